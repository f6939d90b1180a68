//! `--sink` over real sockets and with curl: uploads read to their end and
//! thrown away, multipart parts described, the form page, 413 before the
//! body (instead of 100 Continue when one is awaited), 408 for a stalled
//! body, the rules elsewhere unchanged, and the upload in the capture.

use std::io::{Read, Write};
use std::time::Duration;

use crate::common::{require_program, Binary, Client, Site};

/// A text file of `size` bytes in `dir`, as the TCP lab uploads.
fn text_file(dir: &std::path::Path, size: usize) -> std::path::PathBuf {
    let path = dir.join("150k.txt");
    let line = "The quick brown fox jumps over the lazy dog. 0123456789\n";
    let text: String = line.chars().cycle().take(size).collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn curl(args: &[&str]) -> String {
    let mut curl = std::process::Command::new("curl");
    curl.args(args);
    crate::common::stdout_of(curl)
}

#[test]
fn curl_uploads_a_form_and_a_chunked_body_and_each_is_read_to_its_end() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let file = text_file(site.outside.path(), 153_600);
    let server = Binary::serving(&site.root, &["--sink", "/upload", "--trace"]);
    let url = format!("http://{}/upload", server.addr);
    let form = format!("file=@{}", file.display());
    let page = curl(&["-s", "-F", &form, "-F", "note=hello", &url]);
    assert!(page.contains("<h1>Upload received</h1>"), "{page}");
    assert!(
        page.contains("field &quot;file&quot;, file &quot;150k.txt&quot;, 153600 bytes"),
        "{page}"
    );
    assert!(page.contains("field &quot;note&quot;, 5 bytes"), "{page}");
    let chunked = curl(&[
        "-s",
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        &format!("@{}", file.display()),
        &url,
    ]);
    assert!(chunked.contains(">153600 bytes in "), "{chunked}");
    let trace = server
        .stderr_until("POST /upload -> the sink (--sink): 153600 bytes")
        .join("\n");
    assert!(
        trace.contains("multipart/form-data, 2 parts: field \"file\", file \"150k.txt\", 153600 bytes; field \"note\", 5 bytes"),
        "{trace}"
    );
    // Nothing was written anywhere under the root.
    let mut names: Vec<String> = std::fs::read_dir(&site.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.iter().any(|n| n.contains("150k")), "{names:?}");
}

#[test]
fn the_form_is_at_the_sink_and_elsewhere_the_rules_are_unchanged() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--sink", "/upload", "--quiet"]);
    let mut client = Client::connect(server.addr);
    client.send(b"GET /upload HTTP/1.1\r\nHost: t\r\n\r\n");
    let form = client.read_reply(false);
    assert_eq!(form.status, 200);
    assert!(form.body_text().contains("enctype=\"multipart/form-data\""));
    assert!(form.body_text().contains("action=\"/upload\""));
    client.send(b"POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    assert_eq!(client.read_reply(false).status, 405);
    let mut client = Client::connect(server.addr);
    client.send(b"POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n");
    assert_eq!(
        client.read_reply(false).status,
        413,
        "1 MiB outside the sink"
    );
}

#[test]
fn past_the_limit_a_413_comes_before_the_body_and_instead_of_100_continue() {
    let site = Site::new();
    let server = Binary::serving(
        &site.root,
        &["--sink", "/upload", "--sink-limit", "1K", "--quiet"],
    );
    let cases = [
        ("declared", "Content-Length: 1025\r\n"),
        (
            "declared, awaiting 100 Continue",
            "Content-Length: 1025\r\nExpect: 100-continue\r\n",
        ),
    ];
    for (name, fields) in cases {
        let mut client = Client::connect(server.addr);
        client.send(format!("POST /upload HTTP/1.1\r\nHost: t\r\n{fields}\r\n").as_bytes());
        let reply = client.read_reply(false);
        assert_eq!(reply.status, 413, "{name}: {}", reply.head);
        assert!(client.is_closed(), "{name}");
    }
    // Chunked: counted as it comes, refused once past.
    let mut client = Client::connect(server.addr);
    let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
    client.send(
        format!(
            "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}{chunk}"
        )
        .as_bytes(),
    );
    assert_eq!(client.read_reply(false).status, 413);
    // At the limit, with 100 Continue: the go-ahead, then the answer.
    let mut client = Client::connect(server.addr);
    client.send(
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\nExpect: 100-continue\r\n\r\n",
    );
    assert_eq!(client.read_reply(false).status, 100);
    client.send(&[b'y'; 1024]);
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 200);
    assert!(
        reply.body_text().contains(">1024 bytes in "),
        "{}",
        reply.body_text()
    );
}

#[test]
fn a_boundary_split_across_reads_and_a_boundary_like_line_are_read_right() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--sink", "/upload", "--quiet"]);
    let body = "--AaB03x\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n\
Content-Type: text/plain\r\n\r\n\
first line\r\n--AaB03xx is not a boundary\r\n--AaB0\r\n\
--AaB03x--\r\n";
    let content = "first line\r\n--AaB03xx is not a boundary\r\n--AaB0".len();
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=AaB03x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    // Every piece ends inside a delimiter or a head: the server reads each
    // as it arrives, so the pieces are paced apart.
    let bytes = body.as_bytes();
    let cuts = [5, 40, body.find("\r\n--AaB03x--").unwrap() + 6, bytes.len()];
    let mut from = 0;
    for cut in cuts {
        stream.write_all(&bytes[from..cut]).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        from = cut;
    }
    let mut reply = String::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buffer = [0u8; 4096];
    while !reply.contains("</html>") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "{reply}");
        reply.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    let part = format!("field &quot;file&quot;, file &quot;notes.txt&quot;, {content} bytes");
    assert!(reply.contains(&part), "{part} not in {reply}");
}

#[test]
fn a_stalled_upload_gets_408_and_a_close() {
    let site = Site::new();
    let server = Binary::serving(
        &site.root,
        &["--sink", "/upload", "--body-timeout", "1", "--quiet"],
    );
    let mut client = Client::connect(server.addr);
    client.send(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly this much");
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 408);
    assert!(client.is_closed());
}

#[test]
fn tshark_reads_the_upload_from_the_capture() {
    if !["curl", "tshark"].into_iter().all(require_program) {
        return;
    }
    let site = Site::new();
    let file = text_file(site.outside.path(), 153_600);
    let capture = site.outside.path().join("upload.pcap");
    let mut server = Binary::serving(
        &site.root,
        &[
            "--sink",
            "/upload",
            "--quiet",
            "--capture",
            capture.to_str().unwrap(),
        ],
    );
    let url = format!("http://{}/upload", server.addr);
    curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-F",
        &format!("file=@{}", file.display()),
        &url,
    ]);
    let port = server.addr.port();
    server.stop();
    // The random port decoded as HTTP (see `capture::tshark`).
    let decode = format!("tcp.port=={port},http");
    let output = std::process::Command::new("tshark")
        .args([
            "-d",
            &decode,
            "-r",
            capture.to_str().unwrap(),
            "-Y",
            "http.request.method == \"POST\"",
        ])
        .args([
            "-T",
            "fields",
            "-e",
            "http.request.uri",
            "-e",
            "mime_multipart.header.content-disposition",
        ])
        .output()
        .unwrap();
    let fields = String::from_utf8_lossy(&output.stdout);
    assert!(fields.starts_with("/upload\t"), "{fields}");
    assert!(fields.contains("filename=\"150k.txt\""), "{fields}");
}
