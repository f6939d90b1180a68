//! `--upload` over real sockets and with curl: files stored whole under
//! their names, never replacing one; every refusal storing nothing; a body
//! cut off or a full disk leaving nothing behind; `--auth` before the body;
//! the form under a listing, and the trace of each file stored.

use std::fs;
use std::path::Path;

use crate::common::{self, require_program, Binary, Client, Site};

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A body's media type and its bytes.
type Form = (String, Vec<u8>);

/// A `multipart/form-data` body with one file part per `(filename, bytes)`.
fn form(files: &[(&str, &[u8])]) -> Form {
    let boundary = "glasshttp-test-boundary";
    let mut body = Vec::new();
    for (filename, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POSTs `body` to `path` on a connection of its own, with `fields`.
fn post(addr: std::net::SocketAddr, path: &str, fields: &str, body: &[u8]) -> common::Reply {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\n{fields}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    // One write: an answer that comes before the body (404, 413, 415)
    // closes the connection, and a second write could meet its reset.
    request.extend_from_slice(body);
    let mut client = Client::connect(addr);
    client.send(&request);
    client.read_reply(false)
}

#[test]
fn curl_stores_files_whole_under_their_names_and_never_replaces_one() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    fs::create_dir(site.root.join("in")).unwrap();
    site.write("in/a.txt", "the one already there\n");
    // Content that holds what looks like the form's delimiters.
    let tricky: Vec<u8> = (0..=255u8)
        .cycle()
        .take(70_000)
        .chain(*b"\r\n--------------------------x\r\n--\r\n")
        .collect();
    fs::write(site.outside.path().join("b.bin"), &tricky).unwrap();
    fs::write(site.outside.path().join("a.txt"), "a new a\n").unwrap();
    let server = Binary::serving(&site.root, &["--upload=/in", "--trace"]);
    let url = format!("http://{}/in/", server.addr);
    let output = std::process::Command::new("curl")
        .args(["-s", "-F"])
        .arg(format!(
            "file=@{}",
            site.outside.path().join("b.bin").display()
        ))
        .arg("-F")
        .arg(format!(
            "file=@{}",
            site.outside.path().join("a.txt").display()
        ))
        .arg(&url)
        .output()
        .unwrap();
    let answer = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        answer.trim(),
        r#"{"stored":[{"name":"b.bin","renamed_from":null,"size":70035},{"name":"a (1).txt","renamed_from":"a.txt","size":8}]}"#
    );
    assert_eq!(fs::read(site.root.join("in/b.bin")).unwrap(), tricky);
    assert_eq!(
        fs::read_to_string(site.root.join("in/a (1).txt")).unwrap(),
        "a new a\n"
    );
    assert_eq!(
        fs::read_to_string(site.root.join("in/a.txt")).unwrap(),
        "the one already there\n",
        "nothing replaced"
    );
    assert_eq!(
        names_in(&site.root.join("in")),
        ["a (1).txt", "a.txt", "b.bin"]
    );
    let trace = server.stderr_until("stored a (1).txt").join("\n");
    assert!(
        trace.contains("decided: POST /in/ -> 2 files stored here (--upload) -> 201 Created"),
        "{trace}"
    );
    assert!(
        trace.contains("decided: stored b.bin: 70035 bytes in "),
        "{trace}"
    );
    assert!(
        trace.contains(
            "decided: stored a (1).txt (a.txt exists: a new name, nothing replaced): 8 bytes in "
        ),
        "{trace}"
    );
    // What is stored is served back by its name.
    let served = server.ask("GET /in/a%20(1).txt", "");
    assert_eq!(served.body_text(), "a new a\n");
}

#[test]
fn every_refusal_stores_nothing_and_says_why() {
    let site = Site::new();
    fs::create_dir(site.root.join("in")).unwrap();
    fs::create_dir(site.root.join("elsewhere")).unwrap();
    let server = Binary::serving(
        &site.root,
        &["--upload=/in", "--upload-limit", "1K", "--quiet", "--trace"],
    );
    let addr = server.addr;
    let cases: [(&str, Form, u16, &str); 9] = [
        (
            "/in/",
            form(&[(".env", b"KEY=1")]),
            400,
            "starts with a dot",
        ),
        ("/in/", form(&[("con.txt", b"x")]), 400, "con.txt"),
        ("/in/", form(&[("a:b.txt", b"x")]), 400, "Windows forbids"),
        (
            "/in/",
            form(&[("ok.txt", b"x"), ("bad?.txt", b"y")]),
            400,
            "bad?.txt",
        ),
        ("/in/", form(&[]), 400, "no file in the form"),
        (
            "/in/",
            ("text/plain".into(), b"x".to_vec()),
            415,
            "not multipart",
        ),
        (
            "/in/missing/",
            form(&[("a.txt", b"x")]),
            404,
            "no such folder",
        ),
        ("/elsewhere/", form(&[("a.txt", b"x")]), 405, ""),
        ("/in/", form(&[("big.bin", &[7u8; 2048])]), 413, ""),
    ];
    for (path, (content_type, body), status, why) in cases {
        let fields = format!("Content-Type: {content_type}\r\n");
        let reply = post(addr, path, &fields, &body);
        assert_eq!(reply.status, status, "{path} {why}: {}", reply.head);
        assert!(
            reply.body_text().contains(why),
            "{why}: {}",
            reply.body_text()
        );
    }
    assert!(names_in(&site.root.join("in")).is_empty(), "nothing stored");
    assert!(names_in(&site.root.join("elsewhere")).is_empty());
    let trace = server.stderr_until("(file .env)").join("\n");
    assert!(
        trace.contains("decided: POST /in/ -> nothing stored (--upload): a name that starts with a dot (hidden, never served) (file .env) -> 400 Bad Request"),
        "{trace}"
    );
    // Declared past the limit: 413 before a byte of the body.
    let mut client = Client::connect(addr);
    let (content_type, _) = form(&[]);
    client.send(
        format!(
            "POST /in/ HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\n\
             Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(client.read_reply(false).status, 413);
}

/// A body cut off midway, or one that stops coming, leaves nothing under
/// any name, not even a temporary one.
#[test]
fn an_upload_cut_off_or_stalled_leaves_nothing_behind() {
    let site = Site::new();
    fs::create_dir(site.root.join("in")).unwrap();
    let server = Binary::serving(
        &site.root,
        &["--upload=/in", "--trace", "--body-timeout", "1"],
    );
    let (content_type, body) = form(&[("half.bin", &[1u8; 200_000])]);
    for stalls in [false, true] {
        let mut client = Client::connect(server.addr);
        client.send(
            format!(
                "POST /in/ HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        client.send(&body[..100_000]);
        if stalls {
            assert_eq!(client.read_reply(false).status, 408);
        } else {
            drop(client);
        }
        server.wait_for_stderr("] closed:");
        assert!(
            names_in(&site.root.join("in")).is_empty(),
            "stalled {stalls}: {:?}",
            names_in(&site.root.join("in"))
        );
    }
}

/// `--auth` is asked before a byte of the body is read; the access log
/// names the user who stored; a browser's form is sent back to the listing,
/// which carries the form only where uploads go.
#[test]
fn credentials_come_before_the_body_and_a_form_goes_back_to_the_listing() {
    let site = Site::new();
    fs::create_dir(site.root.join("in")).unwrap();
    let server = Binary::serving(&site.root, &["--upload=/in", "--auth", "li:pw"]);
    assert!(
        server.banner.iter().any(|line| line
            .starts_with(" * Uploads: files sent to the folders under /in are stored there")),
        "{:?}",
        server.banner
    );
    let (content_type, body) = form(&[("note.txt", b"hello")]);
    let mut client = Client::connect(server.addr);
    client.send(
        format!(
            "POST /in/ HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    let refused = client.read_reply(false);
    assert_eq!(
        refused.status, 401,
        "no 100 Continue first: {}",
        refused.head
    );
    assert!(names_in(&site.root.join("in")).is_empty());

    let fields = format!(
        "{}Accept: text/html\r\nContent-Type: {content_type}\r\n",
        common::basic("li:pw")
    );
    let stored = post(server.addr, "/in/", &fields, &body);
    assert_eq!(stored.status, 303);
    assert_eq!(stored.header("location"), Some("/in/"));
    assert_eq!(
        fs::read_to_string(site.root.join("in/note.txt")).unwrap(),
        "hello"
    );
    let logged = server.wait_for_stderr("\"POST /in/ HTTP/1.1\" 303");
    assert!(logged.starts_with("127.0.0.1 - li ["), "{logged}");

    let with = common::basic("li:pw");
    let listing = server.ask("GET /in/", &with).body_text();
    assert!(listing.contains("<form id=\"upload\""), "{listing}");
    assert!(listing.contains("note.txt"), "{listing}");
    let elsewhere = server.ask("GET /docs/", &with).body_text();
    assert!(!elsewhere.contains("<form"), "{elsewhere}");
}

/// A folder that leads out of the root through a link is no folder to
/// store in: nothing is written outside.
#[test]
fn a_link_out_of_the_root_is_no_folder_to_store_in() {
    let site = Site::new();
    fs::create_dir(site.root.join("in")).unwrap();
    if common::symlink(site.outside.path(), site.root.join("in/out")).is_err() {
        common::say_skipped("this system does not let the test make a link");
        return;
    }
    let before = names_in(site.outside.path());
    let server = Binary::serving(&site.root, &["--upload=/in", "--quiet"]);
    let (content_type, body) = form(&[("escaped.txt", b"x")]);
    let reply = post(
        server.addr,
        "/in/out/",
        &format!("Content-Type: {content_type}\r\n"),
        &body,
    );
    assert_eq!(reply.status, 404);
    assert_eq!(
        names_in(site.outside.path()),
        before,
        "nothing written outside"
    );
}

/// A full disk is a 507, and nothing is left behind. Needs a small file
/// system of its own: a tmpfs, which only root on Linux may mount.
#[test]
fn a_full_disk_is_a_507_with_nothing_left_behind() {
    let Some(small) = SmallDisk::mount() else {
        return;
    };
    fs::create_dir(small.path().join("in")).unwrap();
    let server = Binary::serving(small.path(), &["--upload=/in", "--quiet"]);
    let (content_type, body) = form(&[("large.bin", &[9u8; 300 * 1024])]);
    let reply = post(
        server.addr,
        "/in/",
        &format!("Content-Type: {content_type}\r\n"),
        &body,
    );
    assert_eq!(reply.status, 507, "{}", reply.head);
    assert!(reply.body_text().contains("the disk is full"));
    assert!(names_in(&small.path().join("in")).is_empty());
}

/// A tmpfs of 128 KiB, unmounted when dropped.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        if !cfg!(target_os = "linux") {
            common::say_skipped("a small tmpfs needs Linux");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=128k", "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|output| output.status.success());
        if !mounted {
            common::say_skipped("mounting a small tmpfs needs root");
            return None;
        }
        Some(SmallDisk(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}
