//! curl as a real client: connection reuse and HEAD.

mod common;

use std::process::Command;

use common::{require_program, Site, TestServer};

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
