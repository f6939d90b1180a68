//! curl as a real client: connection reuse and HEAD.

use std::process::Command;

use crate::common::{require_program, Site, TestServer};

fn curl(args: &[&str]) -> (String, String) {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("run curl");
    assert!(
        output.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn curl_reuses_one_connection_for_several_urls() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let (stdout, stderr) = curl(&[
        "--verbose",
        &server.url("/hello.txt"),
        &server.url("/style.css"),
        &server.url("/hello.txt"),
    ]);
    assert_eq!(stdout, "hello, world\nh1 { color: red }\nhello, world\n");
    let connects = stderr.matches("Connected to").count();
    let reuses = stderr.matches("Re-using existing connection").count();
    assert_eq!((connects, reuses), (1, 2), "{stderr}");
}

#[test]
fn curl_url_globbing_reuses_the_connection() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let url = format!("{}?[1-20]", server.url("/hello.txt"));
    let (stdout, stderr) = curl(&["--verbose", &url]);
    assert_eq!(stdout, "hello, world\n".repeat(20));
    assert_eq!(stderr.matches("Connected to").count(), 1, "{stderr}");
}

#[test]
fn curl_head_gets_headers_and_no_body() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let (stdout, _) = curl(&["--head", &server.url("/hello.txt")]);
    assert!(stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{stdout}");
    assert!(stdout.contains("Content-Length: 13\r\n"), "{stdout}");
    assert!(
        stdout.contains("Content-Type: text/plain; charset=utf-8\r\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\r\n\r\n"),
        "nothing after the head: {stdout:?}"
    );
}

#[test]
fn curl_http10_gets_a_closed_connection() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let (stdout, stderr) = curl(&[
        "--http1.0",
        "--verbose",
        &server.url("/hello.txt"),
        &server.url("/hello.txt"),
    ]);
    assert_eq!(stdout, "hello, world\n".repeat(2));
    assert_eq!(stderr.matches("Connected to").count(), 2, "{stderr}");
}

/// Runs curl printing the body then, on a last line, the status code.
fn curl_status(args: &[&str]) -> (String, String) {
    let mut with_code = args.to_vec();
    with_code.extend(["--write-out", "\n%{http_code}"]);
    let (stdout, _) = curl(&with_code);
    let (body, code) = stdout.rsplit_once('\n').unwrap();
    (body.to_string(), code.to_string())
}

#[test]
fn curl_range_gets_exactly_the_bytes_asked_for() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let url = server.url("/hello.txt");
    assert_eq!(
        curl_status(&["-r", "0-4", &url]),
        ("hello".into(), "206".into())
    );
    assert_eq!(
        curl_status(&["-r", "-6", &url]),
        ("world\n".into(), "206".into())
    );
    let (multipart, code) = curl_status(&["-r", "0-4,7-11", &url]);
    assert_eq!(code, "206");
    assert!(
        multipart.contains("Content-Range: bytes 0-4/13\r\n\r\nhello\r\n"),
        "{multipart}"
    );
    assert!(
        multipart.contains("Content-Range: bytes 7-11/13\r\n\r\nworld\r\n"),
        "{multipart}"
    );
    assert_eq!(curl_status(&["-r", "100-", &url]).1, "416");
}

#[test]
fn curl_time_condition_gets_304_until_the_file_changes() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let url = server.url("/hello.txt");
    // -z FILE sends If-Modified-Since with that file's time: the served file itself.
    let local = site.root.join("hello.txt");
    assert_eq!(
        curl_status(&["-z", local.to_str().unwrap(), &url]),
        (String::new(), "304".into())
    );
    assert_eq!(
        curl_status(&["-z", "1 Jan 1990 00:00:00 GMT", &url]),
        ("hello, world\n".into(), "200".into())
    );
}

#[test]
fn curl_etag_save_and_compare_round_trip() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let url = server.url("/hello.txt");
    let etag_file = site.outside.path().join("etag.txt");
    let etag_path = etag_file.to_str().unwrap();
    assert_eq!(
        curl_status(&["--etag-save", etag_path, &url]),
        ("hello, world\n".into(), "200".into())
    );
    let saved = std::fs::read_to_string(&etag_file).unwrap();
    assert!(saved.starts_with('"'), "curl saved the tag: {saved}");
    assert_eq!(
        curl_status(&["--etag-compare", etag_path, &url]),
        (String::new(), "304".into())
    );
    site.write("hello.txt", "new content\n");
    assert_eq!(
        curl_status(&["--etag-compare", etag_path, &url]),
        ("new content\n".into(), "200".into())
    );
}
