//! Content codings over real sockets (RFC 9110 §8.4, §12.5.3): compressed
//! in memory and precompressed siblings, Vary, a tag per representation,
//! preconditions and ranges on the representation sent, HEAD, `--no-compress`,
//! curl as a real client, and the trace.

use std::io::{Read, Write};
use std::time::Duration;

use crate::common::{require_program, Binary, BothWays, Client, Reply, Site, TestServer};

/// A stylesheet worth compressing.
fn stylesheet() -> String {
    (0..200)
        .map(|i| format!(".rule-{i} {{ color: #{i:03}; margin: {i}px }}\n"))
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A site whose small files are worth caching (and so compressing), for a
/// server started with no settle time: `style.css` alone, `app.js` with a
/// `.br` and a `.gz` beside it, `logo.png` with a `.gz`.
fn coded_site() -> Site {
    let site = Site::new();
    site.write("style.css", stylesheet());
    let script = "console.log('hello');\n".repeat(50);
    site.write("app.js", &script);
    site.write("app.js.gz", gzip(script.as_bytes()));
    let mut br = Vec::new();
    {
        let mut encoder = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
        encoder.write_all(script.as_bytes()).unwrap();
    }
    site.write("app.js.br", br);
    site.write("logo.png", [0x89, b'P', b'N', b'G', 0, 1, 2, 3]);
    site.write("logo.png.gz", gzip(&[0x89, b'P', b'N', b'G', 0, 1, 2, 3]));
    site
}

fn get(asked: &mut BothWays, target: &str, fields: &str) -> Reply {
    asked.get(&format!("GET {target} HTTP/1.1\r\nHost: t\r\n{fields}\r\n"))
}

#[test]
fn a_small_text_file_is_compressed_for_clients_that_accept_it() {
    let site = coded_site();
    let server = TestServer::start_settled(&site.root);
    let mut asked = BothWays::new(&server);
    let css = stylesheet();

    let plain = get(&mut asked, "/style.css", "");
    assert_eq!(plain.body, css.as_bytes());
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(
        plain.header("vary"),
        Some("Accept-Encoding"),
        "identity varies too"
    );

    let br = get(
        &mut asked,
        "/style.css",
        "Accept-Encoding: gzip, deflate, br\r\n",
    );
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.header("vary"), Some("Accept-Encoding"));
    assert_eq!(br.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(br.body.len() < css.len() / 4, "{} bytes", br.body.len());
    assert_eq!(unbrotli(&br.body), css.as_bytes());

    let gz = get(
        &mut asked,
        "/style.css",
        "Accept-Encoding: gzip;q=1, br;q=0.5\r\n",
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&gz.body), css.as_bytes());

    // Each representation has its own strong tag.
    let tags = [&plain, &br, &gz].map(|reply| reply.header("etag").unwrap().to_string());
    assert!(tags.iter().all(|tag| tag.starts_with('"')), "{tags:?}");
    assert!(
        tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2],
        "{tags:?}"
    );

    // Unknown or refused codings: the file as it is.
    for refused in ["zstd, compress", "br;q=0, gzip;q=0", "identity", ""] {
        let reply = get(
            &mut asked,
            "/style.css",
            &format!("Accept-Encoding: {refused}\r\n"),
        );
        assert_eq!(reply.header("content-encoding"), None, "{refused:?}");
        assert_eq!(reply.body, css.as_bytes(), "{refused:?}");
        assert_eq!(reply.header("vary"), Some("Accept-Encoding"));
    }
    // Not a compressible type, no sibling: no coding, no Vary.
    let blob = get(&mut asked, "/blob.bin", "Accept-Encoding: gzip, br\r\n");
    assert_eq!(
        (blob.header("content-encoding"), blob.header("vary")),
        (None, None)
    );
}

#[test]
fn preconditions_ranges_and_head_apply_to_the_representation_sent() {
    let site = coded_site();
    let server = TestServer::start_settled(&site.root);
    let mut client = server.connect();
    let mut ask = |request: &str| {
        client.send(request.as_bytes());
        client.read_reply(request.starts_with("HEAD "))
    };
    let gzip_get = |fields: &str| {
        format!("GET /style.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n{fields}\r\n")
    };
    let whole = ask(&gzip_get(""));
    let tag = whole.header("etag").unwrap().to_string();

    let revalidated = ask(&gzip_get(&format!("If-None-Match: {tag}\r\n")));
    assert_eq!(revalidated.status, 304);
    assert_eq!(revalidated.header("etag"), Some(tag.as_str()));
    assert_eq!(
        revalidated.header("vary"),
        Some("Accept-Encoding"),
        "a 304 varies too"
    );
    assert_eq!(revalidated.header("content-encoding"), None);
    // The gzip tag names another representation than the file itself.
    let other = ask(&format!(
        "GET /style.css HTTP/1.1\r\nHost: t\r\nIf-None-Match: {tag}\r\n\r\n"
    ));
    assert_eq!(other.status, 200);

    let part = ask(&gzip_get("Range: bytes=0-9\r\n"));
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-encoding"), Some("gzip"));
    let range = format!("bytes 0-9/{}", whole.body.len());
    assert_eq!(part.header("content-range"), Some(range.as_str()));
    assert_eq!(part.body, whole.body[..10]);

    let stale = ask(&gzip_get(
        "Range: bytes=0-9\r\nIf-Range: \"not-this-one\"\r\n",
    ));
    assert_eq!((stale.status, stale.body.len()), (200, whole.body.len()));
    let current = ask(&gzip_get(&format!(
        "Range: bytes=0-9\r\nIf-Range: {tag}\r\n"
    )));
    assert_eq!(current.status, 206);

    let parts = ask(&gzip_get("Range: bytes=0-4, 10-14\r\n"));
    assert_eq!(parts.status, 206);
    assert_eq!(
        parts.header("content-encoding"),
        None,
        "the multipart body is not coded"
    );
    let body = parts.body_text();
    assert_eq!(
        body.matches("Content-Encoding: gzip\r\n").count(),
        2,
        "{body}"
    );
    for (start, end) in [(0, 4), (10, 14)] {
        let range = format!(
            "Content-Range: bytes {start}-{end}/{}\r\n\r\n",
            whole.body.len()
        );
        let at = parts
            .body
            .windows(range.len())
            .position(|w| w == range.as_bytes())
            .unwrap();
        let bytes = &parts.body[at + range.len()..at + range.len() + end - start + 1];
        assert_eq!(bytes, &whole.body[start..=end]);
    }

    let unsatisfiable = ask(&gzip_get(&format!(
        "Range: bytes={}-\r\n",
        whole.body.len()
    )));
    assert_eq!(unsatisfiable.status, 416);
    let range = format!("bytes */{}", whole.body.len());
    assert_eq!(unsatisfiable.header("content-range"), Some(range.as_str()));

    let head = ask("HEAD /style.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
    assert_eq!(head.fields_without_date(), whole.fields_without_date());
    assert!(head.body.is_empty());
}

#[test]
fn precompressed_siblings_are_sent_with_the_type_of_the_original() {
    let site = coded_site();
    for compress in [true, false] {
        let server = TestServer::start_config(glasshttp::Config {
            compress,
            cache_settle_time: Duration::ZERO,
            ..TestServer::config(&site.root)
        });
        let mut asked = BothWays::new(&server);
        let br = get(&mut asked, "/app.js", "Accept-Encoding: br\r\n");
        assert_eq!(
            br.header("content-encoding"),
            Some("br"),
            "compress {compress}"
        );
        assert_eq!(br.body, std::fs::read(site.root.join("app.js.br")).unwrap());
        assert!(br.header("content-type").unwrap().contains("javascript"));
        let gz = get(&mut asked, "/app.js", "Accept-Encoding: gzip\r\n");
        assert_eq!(gz.body, std::fs::read(site.root.join("app.js.gz")).unwrap());
        assert_ne!(gz.header("etag"), br.header("etag"));
        let png = get(&mut asked, "/logo.png", "Accept-Encoding: gzip\r\n");
        assert_eq!(png.header("content-encoding"), Some("gzip"));
        assert_eq!(png.header("content-type"), Some("image/png"));
        let plain = get(&mut asked, "/logo.png", "");
        assert_eq!(
            plain.header("vary"),
            Some("Accept-Encoding"),
            "it has variants"
        );
        assert_eq!(plain.body.len(), 8);
        // --no-compress leaves only the siblings.
        let css = get(&mut asked, "/style.css", "Accept-Encoding: gzip, br\r\n");
        let expected = if compress { Some("br") } else { None };
        assert_eq!(css.header("content-encoding"), expected);
        assert_eq!(css.header("vary").is_some(), compress);
    }
}

#[test]
fn curl_decodes_what_it_asked_for_and_the_trace_explains_the_choice() {
    if !require_program("curl") {
        return;
    }
    let site = coded_site();
    let server = Binary::serving(
        &site.root,
        &["--trace", "--quiet", "--cache-settle-ms", "0"],
    );
    let url = format!("http://{}/style.css", server.addr);
    let output = std::process::Command::new("curl")
        .args(["-s", "--compressed", "-D", "-", &url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.contains("Content-Encoding: br"), "{head}");
    assert_eq!(body, stylesheet(), "curl decoded the body");
    let trace = server.stderr_until("] closed:").join("\n");
    assert!(
        trace.contains(
            "Accept-Encoding: deflate, gzip, br, zstd -> br (compressed in memory, kept with the file), Vary: Accept-Encoding"
        ),
        "{trace}"
    );
    let mut client = Client::connect(server.addr);
    client.send(b"GET /app.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
    assert_eq!(
        client.read_reply(false).header("content-encoding"),
        Some("gzip")
    );
    drop(client);
    let trace = server.stderr_until("] closed:").join("\n");
    assert!(
        trace.contains("Accept-Encoding: gzip -> gzip (app.js.gz), Vary: Accept-Encoding"),
        "{trace}"
    );
}

#[test]
fn a_file_is_compressed_once_per_version_however_many_first_requests_come_at_once() {
    let site = coded_site();
    let server = Binary::serving_under(
        crate::common::binary_command(),
        &site.root,
        &["--quiet", "--cache-settle-ms", "0"],
        &[("RUST_LOG", "glasshttp=debug")],
    );
    // The first request caches the file; none has asked for a coding yet.
    let mut client = Client::connect(server.addr);
    client.send(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
    let asking = 100;
    let start = std::sync::Arc::new(std::sync::Barrier::new(asking));
    let requests: Vec<_> = (0..asking)
        .map(|_| {
            let (start, addr) = (std::sync::Arc::clone(&start), server.addr);
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                start.wait();
                client.send(b"GET /style.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br\r\n\r\n");
                client.read_reply(false)
            })
        })
        .collect();
    for request in requests {
        let reply = request.join().unwrap();
        assert_eq!(reply.status, 200);
        let body = match reply.header("content-encoding") {
            Some("br") => unbrotli(&reply.body),
            None => reply.body.clone(),
            Some(other) => panic!("coded as {other}"),
        };
        assert_eq!(
            body,
            stylesheet().as_bytes(),
            "every answer is the stylesheet"
        );
    }
    let mut compressions = 0;
    while let Ok(line) = server.stderr_lines.recv_timeout(Duration::from_millis(500)) {
        if line.contains("compressed") && line.contains("style.css") {
            compressions += 1;
        }
    }
    assert_eq!(
        compressions, 1,
        "brotli ran {compressions} times for one version"
    );
}
