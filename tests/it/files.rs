//! Files over real sockets: what is served, with which fields, and what is
//! never served (traversal, dotfiles, symlinks out of the root).

use crate::common;

use std::process::Command;

use crate::common::{symlink, BothWays, Site, TestServer};

#[test]
fn traversal_attempts_never_reach_files_outside_the_root() {
    let site = Site::new();
    symlink(
        site.outside.path().join("secret.txt"),
        site.root.join("link-out.txt"),
    )
    .unwrap();
    symlink(site.outside.path(), site.root.join("dir-out")).unwrap();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    let targets = [
        "/../secret.txt",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/docs/%2e%2e/%2e%2e/secret.txt",
        "/%252e%252e/secret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/hello.txt%00.html",
        "/link-out.txt",
        "/dir-out/secret.txt",
        "http://t/../secret.txt",
        "/.secret",
        "/%2esecret",
    ];
    for target in targets {
        let reply = asked.get(&format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(reply.status, 404, "{target}: {}", reply.head);
        assert!(!reply.body_text().contains("outside the root"), "{target}");
        assert!(!reply.body_text().contains("dotfile"), "{target}");
    }
}

#[test]
fn names_windows_reads_as_other_files_or_devices_are_refused_on_every_system() {
    // On Linux each of these is an ordinary file that exists, so only the
    // rule can answer 404; on Windows they would be other files or devices.
    let site = Site::new();
    for name in ["nul.txt", "CON", "aux.html", "COM1.log", "lpt9", "HTACCE~1"] {
        site.write(name, "should never be served\n");
    }
    #[cfg(unix)]
    for name in ["index.html.", "hello.txt ", "a:b.txt"] {
        site.write(name, "should never be served\n");
    }
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    let targets = [
        "/index.html::$DATA",
        "/index.html:$DATA",
        "/hello.txt::$DATA",
        "/a:b.txt",
        "/c:/windows/win.ini",
        "/C%3A%5Cwindows%5Cwin.ini",
        "/index.html.",
        "/index.html%2e",
        "/hello.txt%20",
        "/docs./index.html",
        "/nul.txt",
        "/NUL",
        "/CON",
        "/con",
        "/aux.html",
        "/COM1.log",
        "/lpt9",
        "/conin$",
        "/HTACCE~1",
        "/SECRET~1",
        "/docs/INDEX~1.HTM",
    ];
    // One kept-alive connection: a refusal is a 404, not a reason to close.
    for target in targets {
        client.send(format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let reply = client.read_reply(false);
        assert_eq!(reply.status, 404, "{target}: {}", reply.head);
        assert!(!reply.body_text().contains("never"), "{target}");
    }
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).body_text(), "hello, world\n");
}

#[test]
fn symlinks_that_stay_inside_the_root_are_followed() {
    let site = Site::new();
    symlink(site.root.join("hello.txt"), site.root.join("alias.txt")).unwrap();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    let reply = asked.get("GET /alias.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"hello, world\n");
}

#[test]
fn double_encoded_names_are_decoded_once() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    // "%252e%252e" names the directory literally called "%2e%2e".
    let reply = asked.get("GET /%252e%252e/literal.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"literal\n");
}

#[test]
fn dot_segments_inside_the_root_are_resolved() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    for target in [
        "/docs/../hello.txt",
        "/./hello.txt",
        "//hello.txt",
        "/docs/%2e%2e/hello.txt",
    ] {
        let reply = asked.get(&format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(reply.body, b"hello, world\n", "{target}");
    }
}

#[test]
fn directory_without_slash_redirects_to_the_slash_form() {
    let site = Site::new();
    std::fs::create_dir(site.root.join("evil.example")).unwrap();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    let cases = [
        ("/docs", "/docs/"),
        ("/docs?lang=en", "/docs/?lang=en"),
        ("/empty-dir", "/empty-dir/"),
        // A Location of "//evil.example/" would send the browser to another host.
        ("//evil.example", "/evil.example/"),
        ("///evil.example?x", "/evil.example/?x"),
        ("http://t/docs", "/docs/"),
    ];
    for (target, location) in cases {
        let reply = asked.get(&format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(reply.status, 301, "{target}");
        assert_eq!(reply.header("location"), Some(location), "{target}");
    }
}

#[test]
fn directory_with_index_serves_it_and_without_one_is_listed() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    let cases = [
        ("/", 200, "<h1>home</h1>\n"),
        ("/docs/", 200, "<h1>docs</h1>\n"),
        ("/docs/?x=1", 200, "<h1>docs</h1>\n"),
        ("/empty-dir/", 200, "<title>Index of /empty-dir/</title>"),
    ];
    for (target, status, body) in cases {
        let reply = asked.get(&format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(reply.status, status, "{target}");
        assert!(
            reply.body_text().contains(body),
            "{target}: {}",
            reply.body_text()
        );
        if status == 200 {
            assert_eq!(
                reply.header("content-type"),
                Some("text/html; charset=utf-8")
            );
        }
    }
}

#[test]
fn content_types_follow_the_file_name() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    let cases = [
        ("/index.html", "text/html; charset=utf-8"),
        ("/hello.txt", "text/plain; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/data.json", "application/json; charset=utf-8"),
        ("/blob.bin", "application/octet-stream"),
    ];
    for (path, content_type) in cases {
        let reply = asked.get(&format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(reply.header("content-type"), Some(content_type), "{path}");
    }
}

#[test]
fn file_responses_carry_validators_and_caching_fields() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    let reply = asked.get("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    let modified = std::fs::metadata(site.root.join("hello.txt"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(reply.header("content-length"), Some("13"));
    assert_eq!(reply.header("accept-ranges"), Some("bytes"));
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
    assert_eq!(
        reply.header("server"),
        Some(concat!("glasshttp/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        reply.header("last-modified"),
        Some(httpdate::fmt_http_date(modified).as_str())
    );
    let date = reply.header("date").expect("Date field");
    assert!(
        httpdate::parse_http_date(date).is_ok(),
        "Date is an HTTP-date: {date}"
    );
    let etag = reply.header("etag").expect("ETag field");
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "strong ETag: {etag}"
    );

    // The tag changes with the file.
    site.write("hello.txt", "hello again, world\n");
    let changed = asked.get("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_ne!(changed.header("etag"), Some(etag));
    assert_eq!(changed.body, b"hello again, world\n");
}

#[test]
fn absolute_form_targets_are_served() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    let reply = asked.get("GET http://t/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.body, b"hello, world\n");
}

#[test]
fn the_real_site_serves_its_page_logo_and_audio() {
    let server = TestServer::start(&common::www());
    let mut asked = BothWays::new(&server);
    let page = asked.get("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.body_text();
    for needle in [
        "学号",
        "Student number",
        "<img src=\"/logo.png\"",
        "<audio controls",
        "/introduction.mp3",
    ] {
        assert!(html.contains(needle), "page lacks {needle:?}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );

    let logo = asked.get("GET /logo.png HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(logo.header("content-type"), Some("image/png"));
    assert!(logo.body.starts_with(b"\x89PNG\r\n\x1a\n"), "a real PNG");
    assert!(
        logo.body.len() < 64 * 1024,
        "logo is small: {}",
        logo.body.len()
    );

    let audio = asked.get("GET /introduction.mp3 HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(audio.header("content-type"), Some("audio/mpeg"));
    let is_mpeg =
        audio.body.starts_with(b"ID3") || (audio.body[0] == 0xff && audio.body[1] & 0xe0 == 0xe0);
    assert!(is_mpeg, "an MPEG audio file");
    assert_eq!(
        audio.body,
        std::fs::read(common::www().join("introduction.mp3")).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_403() {
    if !common::unix_only("a file mode that denies reading") {
        return;
    }
    // Root can read any file, so the server runs as an unprivileged user
    // when the tests run as root.
    use std::os::unix::fs::PermissionsExt;
    let site = Site::new();
    site.write("locked.txt", "locked\n");
    std::fs::set_permissions(
        site.root.join("locked.txt"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    for dir in [site.outside.path(), site.root.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let args = ["--quiet"];
    let server = if is_root() {
        let mut command = Command::new("setpriv");
        command.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_glasshttp"),
        ]);
        common::Binary::serving_under(command, &site.root, &args, &[])
    } else {
        common::Binary::serving(&site.root, &args)
    };
    let mut client = common::Client::connect(server.addr);
    client.send(
        b"GET /locked.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 403, "{}", reply.head);
    assert!(reply.body_text().contains("403 Forbidden"));
    assert_eq!(
        client.read_reply(false).status,
        200,
        "the connection goes on"
    );
}

#[cfg(unix)]
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[test]
fn other_io_errors_are_500_without_detail_and_logged() {
    if !common::unix_only("prlimit") {
        return;
    }
    // Under a 16-descriptor limit, each kept-alive connection holds one
    // descriptor. The connection that takes the last one is accepted, but
    // opening a file for it fails with EMFILE: an I/O error that is neither
    // "missing" nor "forbidden".
    let site = Site::new();
    let server = common::Binary::serving_under(
        common::under_prlimit("--nofile=16:16"),
        &site.root,
        &["--quiet", "--max-connections", "100"],
        &[],
    );
    // Each held connection keeps one descriptor; they run out before 16.
    let (_held, reply) = common::hold_until_refused(server.addr, 16);
    assert_eq!(reply.status, 500, "{}", reply.head);
    assert!(reply.body_text().contains("500 Internal Server Error"));
    assert!(
        !reply.body_text().contains("open files"),
        "{}",
        reply.body_text()
    );
    // An accept may fail for want of a descriptor too; that line can come first.
    let logged = server.wait_for_stderr("error: reading");
    assert!(
        logged.contains("error: reading /hello.txt: Too many open files"),
        "{logged}"
    );
}

#[test]
fn a_fifo_in_the_root_is_404_and_does_not_block_the_connection() {
    if !common::unix_only("a FIFO") {
        return;
    }
    // Opening a FIFO for reading waits for a writer unless opened non-blocking.
    let site = Site::new();
    let fifo = site.root.join("pipe.html");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let server = TestServer::start(&site.root);
    let mut client = common::Client::connect(server.addr);
    client.send(
        b"GET /pipe.html HTTP/1.1\r\nHost: t\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    assert_eq!(client.read_reply(false).status, 404);
    assert_eq!(client.read_reply(false).status, 200);
}
