//! A folder as one `.zip` (`?zip`, linked from its listing), read back by
//! Python's `zipfile` and Info-ZIP's `unzip`: exactly what the listing
//! would serve beneath the folder, every CRC right, ZIP64 where it is
//! needed (forced here on small archives), `--auth`, `--hidden` and
//! `--no-listing` applied.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{self, require_program, Binary, Site};

/// Downloads `url` with curl to `to`: the head it printed.
fn download(url: &str, to: &Path, fields: &[&str]) -> String {
    let mut command = Command::new("curl");
    command.args(["-s", "-D", "-", "-o"]).arg(to).arg(url);
    for field in fields {
        command.args(["-H", field]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What Python's `zipfile` reads in the archive at `path`: each name and
/// its size, after checking every CRC (`testzip`), one per line.
pub fn python_reads(path: &Path) -> String {
    let script = "import sys, zipfile\n\
        z = zipfile.ZipFile(sys.argv[1])\n\
        bad = z.testzip()\n\
        assert bad is None, bad\n\
        for i in z.infolist(): print(i.filename, i.file_size)\n";
    let mut python = Command::new("python3");
    python.args(["-c", script]).arg(path);
    common::stdout_of(python)
}

fn photos() -> (Site, Vec<u8>) {
    let site = Site::new();
    let bytes: Vec<u8> = (0..300_000u32).map(|n| (n * 7 % 251) as u8).collect();
    for dir in ["photos", "photos/sub", "photos/empty", "photos/private"] {
        fs::create_dir(site.root.join(dir)).unwrap();
    }
    site.write("photos/a.txt", "a\n");
    site.write("photos/sub/b.bin", &bytes);
    site.write("photos/.secret", "s\n");
    site.write("photos/private/diary.txt", "d\n");
    (site, bytes)
}

#[test]
fn a_folder_downloads_as_one_zip_that_python_and_unzip_read_whole() {
    if !["curl", "python3", "unzip"]
        .into_iter()
        .all(require_program)
    {
        return;
    }
    let (site, bytes) = photos();
    let server = Binary::serving(
        &site.root,
        &[
            "--quiet",
            "--trace",
            "--auth",
            "li:pw",
            "--auth-path",
            "/photos/private",
        ],
    );
    let listing = server.ask("GET /photos/", "").body_text();
    assert!(
        listing.contains("<a id=\"zip\" href=\"?zip\" download>"),
        "{listing}"
    );
    let zip = site.outside.path().join("photos.zip");
    let head = download(&format!("http://{}/photos/?zip", server.addr), &zip, &[]);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("Content-Type: application/zip"), "{head}");
    assert!(
        head.contains(
            "Content-Disposition: attachment; filename=\"photos.zip\"; filename*=UTF-8''photos.zip"
        ),
        "{head}"
    );
    let length = fs::metadata(&zip).unwrap().len();
    assert!(
        head.contains(&format!("Content-Length: {length}")),
        "{head}"
    );
    // No dotfile; the guarded folder withheld, as the listing withholds it.
    assert_eq!(
        python_reads(&zip),
        "a.txt 2\nempty/ 0\nsub/ 0\nsub/b.bin 300000\n"
    );
    let unzip = Command::new("unzip").arg("-tq").arg(&zip).output().unwrap();
    assert!(
        unzip.status.success(),
        "{}",
        String::from_utf8_lossy(&unzip.stdout)
    );
    let out = site.outside.path().join("unzipped");
    Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&out)
        .status()
        .unwrap();
    assert_eq!(fs::read(out.join("sub/b.bin")).unwrap(), bytes);
    let trace = server.wait_for_stderr("as one .zip");
    assert!(
        trace.ends_with(&format!("decided: GET /photos/?zip -> the folder as one .zip, photos.zip: 2 files and 2 folders, 300002 bytes stored as they are (no compression), streamed, {length} bytes in all -> 200 OK")),
        "{trace}"
    );
    let head = server.ask("HEAD /photos/?zip", "");
    assert_eq!(
        head.header("content-length"),
        Some(length.to_string().as_str())
    );
    assert!(head.body.is_empty());
    // With the credentials, the guarded folder is in the archive too.
    let with = common::basic("li:pw");
    let zip = site.outside.path().join("with.zip");
    download(
        &format!("http://{}/photos/?zip", server.addr),
        &zip,
        &[with.trim_end()],
    );
    assert!(python_reads(&zip).contains("private/diary.txt 2\n"));
}

/// ZIP64's records, forced on a small archive (the threshold is a hidden
/// flag: 4 GiB per test is too much), read by both readers.
#[test]
fn zip64_records_are_read_by_python_and_unzip() {
    if !["curl", "python3", "unzip"]
        .into_iter()
        .all(require_program)
    {
        return;
    }
    let (site, _) = photos();
    let server = Binary::serving(&site.root, &["--quiet", "--zip64-from", "0"]);
    let zip = site.outside.path().join("photos.zip");
    download(&format!("http://{}/photos/?zip", server.addr), &zip, &[]);
    let read = fs::read(&zip).unwrap();
    assert!(
        read.windows(4).any(|w| w == b"PK\x06\x06"),
        "the ZIP64 end record"
    );
    assert_eq!(
        python_reads(&zip),
        "a.txt 2\nempty/ 0\nprivate/ 0\nprivate/diary.txt 2\nsub/ 0\nsub/b.bin 300000\n"
    );
    let unzip = Command::new("unzip").arg("-tq").arg(&zip).output().unwrap();
    assert!(
        unzip.status.success(),
        "{}",
        String::from_utf8_lossy(&unzip.stdout)
    );
}

/// What the listing shows is what the archive holds: `--hidden` adds the
/// dotfiles (never `.git`), `--no-listing` has no archive, `--auth` on the
/// folder asks first, and the root's archive is `site.zip`.
#[test]
fn the_archive_follows_the_listings_rules() {
    if !["curl", "python3"].into_iter().all(require_program) {
        return;
    }
    let (site, _) = photos();
    fs::create_dir(site.root.join("photos/.git")).unwrap();
    site.write("photos/.git/config", "x\n");
    let hidden = Binary::serving(&site.root, &["--quiet", "--hidden"]);
    let zip = site.outside.path().join("hidden.zip");
    download(&format!("http://{}/photos/?zip", hidden.addr), &zip, &[]);
    let read = python_reads(&zip);
    assert!(
        read.starts_with(".secret 2\n") && !read.contains(".git"),
        "{read}"
    );

    let no_listing = Binary::serving(&site.root, &["--quiet", "--no-listing"]);
    assert_eq!(no_listing.ask("GET /photos/?zip", "").status, 404);
    let guarded = Binary::serving(&site.root, &["--quiet", "--auth", "li:pw"]);
    assert_eq!(guarded.ask("GET /photos/?zip", "").status, 401);
    let plain = Binary::serving(&site.root, &["--quiet"]);
    assert_eq!(plain.ask("GET /nothing/?zip", "").status, 404);
    let root = plain.ask("HEAD /?zip", "");
    assert_eq!(root.status, 200);
    assert!(
        root.header("content-disposition")
            .is_some_and(|d| d.contains("filename=\"site.zip\"")),
        "{}",
        root.head
    );
}
