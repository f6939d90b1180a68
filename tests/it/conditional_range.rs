//! Conditional requests and byte ranges over real sockets (RFC 9110 §13, §14).

use crate::common;

use std::ops::Range;

use crate::common::{Client, Reply, Site, TestServer};

/// A 1000-byte file whose every byte says where it is.
fn numbered_file() -> Vec<u8> {
    (0..1000u32).map(|i| (i % 251) as u8).collect()
}

fn site_with_numbers() -> (Site, Vec<u8>) {
    let site = Site::new();
    let bytes = numbered_file();
    site.write("numbers.bin", &bytes);
    (site, bytes)
}

/// Sends `GET` then `HEAD` with the same fields on one connection; returns both.
fn get_and_head(server: &TestServer, path: &str, fields: &str) -> (Reply, Reply) {
    let mut client = server.connect();
    client.send(
        format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\n{fields}\r\nHEAD {path} HTTP/1.1\r\nHost: t\r\n{fields}\r\n"
        )
        .as_bytes(),
    );
    let get = client.read_reply(false);
    let head = client.read_reply(true);
    (get, head)
}

fn validators_of(server: &TestServer, path: &str) -> (String, String) {
    let reply = server.get(&format!("HEAD {path} HTTP/1.1\r\nHost: t\r\n\r\n"));
    (
        reply.header("etag").unwrap().to_string(),
        reply.header("last-modified").unwrap().to_string(),
    )
}

/// The fields two responses share, Date aside.
fn same_fields(a: &Reply, b: &Reply) -> bool {
    a.fields_without_date() == b.fields_without_date()
}

#[test]
fn every_conditional_and_range_status_for_get_and_head() {
    let (site, bytes) = site_with_numbers();
    let server = TestServer::start(&site.root);
    let (etag, modified) = validators_of(&server, "/numbers.bin");
    let cases: Vec<(&str, String, u16, Option<Range<usize>>)> = vec![
        ("no conditions", String::new(), 200, Some(0..1000)),
        (
            "If-None-Match current",
            format!("If-None-Match: {etag}\r\n"),
            304,
            None,
        ),
        ("If-None-Match *", "If-None-Match: *\r\n".into(), 304, None),
        (
            "If-None-Match stale",
            "If-None-Match: \"old\"\r\n".into(),
            200,
            Some(0..1000),
        ),
        (
            "If-Modified-Since Last-Modified",
            format!("If-Modified-Since: {modified}\r\n"),
            304,
            None,
        ),
        (
            "If-Modified-Since long ago",
            "If-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT\r\n".into(),
            200,
            Some(0..1000),
        ),
        ("If-Match stale", "If-Match: \"old\"\r\n".into(), 412, None),
        (
            "If-Match current",
            format!("If-Match: {etag}\r\n"),
            200,
            Some(0..1000),
        ),
        (
            "If-Unmodified-Since long ago",
            "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:01 GMT\r\n".into(),
            412,
            None,
        ),
        (
            "one range",
            "Range: bytes=10-19\r\n".into(),
            206,
            Some(10..20),
        ),
        (
            "suffix range",
            "Range: bytes=-5\r\n".into(),
            206,
            Some(995..1000),
        ),
        (
            "open range clipped",
            "Range: bytes=990-5000\r\n".into(),
            206,
            Some(990..1000),
        ),
        ("unsatisfiable", "Range: bytes=1000-\r\n".into(), 416, None),
        (
            "invalid Range is ignored",
            "Range: bytes=5-1\r\n".into(),
            200,
            Some(0..1000),
        ),
        (
            "other unit is ignored",
            "Range: pages=1-2\r\n".into(),
            200,
            Some(0..1000),
        ),
        (
            "apache killer is ignored",
            format!("Range: bytes={}\r\n", ["0-"; 10].join(",")),
            200,
            Some(0..1000),
        ),
        (
            "too many ranges are ignored",
            format!("Range: bytes={}\r\n", ["1-2"; 17].join(",")),
            200,
            Some(0..1000),
        ),
        (
            "If-Range current tag",
            format!("If-Range: {etag}\r\nRange: bytes=0-0\r\n"),
            206,
            Some(0..1),
        ),
        (
            "If-Range current date",
            format!("If-Range: {modified}\r\nRange: bytes=0-0\r\n"),
            206,
            Some(0..1),
        ),
        (
            "If-Range stale tag",
            "If-Range: \"old\"\r\nRange: bytes=0-0\r\n".into(),
            200,
            Some(0..1000),
        ),
        (
            "If-Range weak tag",
            format!("If-Range: W/{etag}\r\nRange: bytes=0-0\r\n"),
            200,
            Some(0..1000),
        ),
        (
            "If-Range stale date",
            "If-Range: Thu, 01 Jan 1970 00:00:01 GMT\r\nRange: bytes=0-0\r\n".into(),
            200,
            Some(0..1000),
        ),
        (
            "304 wins over Range",
            format!("If-None-Match: {etag}\r\nRange: bytes=0-0\r\n"),
            304,
            None,
        ),
        (
            "412 wins over Range",
            "If-Match: \"old\"\r\nRange: bytes=0-0\r\n".into(),
            412,
            None,
        ),
    ];
    for (name, fields, status, body) in cases {
        let (get, head) = get_and_head(&server, "/numbers.bin", &fields);
        assert_eq!(get.status, status, "{name}: {}", get.head);
        assert_eq!(head.status, status, "HEAD {name}: {}", head.head);
        assert!(
            same_fields(&get, &head),
            "{name}: GET {} HEAD {}",
            get.head,
            head.head
        );
        assert!(head.body.is_empty());
        if let Some(span) = &body {
            assert_eq!(get.body, &bytes[span.clone()], "{name}");
        }
        match status {
            206 => {
                let span = body.unwrap();
                let range = format!("bytes {}-{}/1000", span.start, span.end - 1);
                assert_eq!(get.header("content-range"), Some(range.as_str()), "{name}");
            }
            416 => assert_eq!(get.header("content-range"), Some("bytes */1000"), "{name}"),
            412 => assert!(
                get.body_text().contains("412 Precondition Failed"),
                "{name}"
            ),
            _ => assert_eq!(get.header("content-range"), None, "{name}"),
        }
    }
}

#[test]
fn not_modified_carries_validators_and_no_content_fields() {
    let (site, _) = site_with_numbers();
    let server = TestServer::start(&site.root);
    let (etag, modified) = validators_of(&server, "/numbers.bin");
    let (get, head) = get_and_head(
        &server,
        "/numbers.bin",
        &format!("If-None-Match: {etag}\r\n"),
    );
    for reply in [&get, &head] {
        assert_eq!(reply.status, 304);
        assert_eq!(reply.header("etag"), Some(etag.as_str()));
        assert_eq!(reply.header("last-modified"), Some(modified.as_str()));
        assert_eq!(reply.header("cache-control"), Some("no-cache"));
        assert!(reply.header("date").is_some());
        assert_eq!(reply.header("content-type"), None, "{}", reply.head);
        assert_eq!(reply.header("content-length"), None, "{}", reply.head);
        assert!(reply.body.is_empty());
    }
    // Had the 304 carried a body, it would be read here as the next response.
    let mut client = server.connect();
    client.send(format!("GET /numbers.bin HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
    assert_eq!(client.read_reply(false).status, 304);
    assert_eq!(client.read_reply(false).body, b"hello, world\n");
}

/// Splits a multipart/byteranges body by its own framing: each part's
/// Content-Range says how many bytes follow its head.
fn parse_multipart(reply: &Reply) -> Vec<(String, String, Vec<u8>)> {
    let content_type = reply.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("not multipart: {content_type}"));
    let mut rest = reply.body.as_slice();
    let mut parts = Vec::new();
    let mut delimiter = format!("--{boundary}\r\n");
    while rest.starts_with(delimiter.as_bytes()) {
        rest = &rest[delimiter.len()..];
        let head_end = rest.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(rest[..head_end].to_vec()).unwrap();
        rest = &rest[head_end + 4..];
        let field = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or_else(|| panic!("part without {name}: {head}"))
                .to_string()
        };
        let (part_type, part_range) = (field("Content-Type: "), field("Content-Range: "));
        let span = part_range
            .strip_prefix("bytes ")
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        let (first, last) = span.split_once('-').unwrap();
        let len = last.parse::<usize>().unwrap() - first.parse::<usize>().unwrap() + 1;
        parts.push((part_type, part_range, rest[..len].to_vec()));
        rest = &rest[len..];
        delimiter = format!("\r\n--{boundary}\r\n");
    }
    assert_eq!(
        rest,
        format!("\r\n--{boundary}--\r\n").as_bytes(),
        "closing delimiter"
    );
    parts
}

#[test]
fn several_ranges_come_back_as_multipart_in_request_order() {
    let (site, bytes) = site_with_numbers();
    let server = TestServer::start(&site.root);
    let (get, head) = get_and_head(
        &server,
        "/numbers.bin",
        "Range: bytes=500-509, 0-4,,-3, 2000-\r\n",
    );
    assert_eq!(get.status, 206);
    // The same fields but for the boundary, which is new in every response.
    assert_eq!(head.status, 206);
    assert_eq!(head.header("content-length"), get.header("content-length"));
    let boundary_free = |r: &Reply| {
        r.header("content-type")
            .unwrap()
            .split('=')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(boundary_free(&head), boundary_free(&get));
    assert_ne!(head.header("content-type"), get.header("content-type"));
    assert_eq!(
        get.header("content-range"),
        None,
        "multipart has per-part ranges"
    );
    assert_eq!(
        get.header("content-length"),
        Some(get.body.len().to_string().as_str())
    );
    let parts = parse_multipart(&get);
    let expected: [(&str, &[u8]); 3] = [
        ("bytes 500-509/1000", &bytes[500..510]),
        ("bytes 0-4/1000", &bytes[..5]),
        ("bytes 997-999/1000", &bytes[997..]),
    ];
    assert_eq!(parts.len(), expected.len());
    for ((part_type, range, data), (expected_range, expected_data)) in parts.iter().zip(expected) {
        assert_eq!(part_type, "application/octet-stream");
        assert_eq!(range, expected_range);
        assert_eq!(data.as_slice(), expected_data, "{range}");
    }
}

#[test]
fn multipart_parts_carry_the_file_media_type() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let reply = server.get("GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4,7-11\r\n\r\n");
    let parts = parse_multipart(&reply);
    assert_eq!(parts[0].0, "text/plain; charset=utf-8");
    assert_eq!(
        (parts[0].2.as_slice(), parts[1].2.as_slice()),
        (&b"hello"[..], &b"world"[..])
    );
}

#[test]
fn ranges_of_the_real_audio_are_exact() {
    let server = TestServer::start(&common::www());
    let audio = std::fs::read(common::www().join("introduction.mp3")).unwrap();
    let len = audio.len();
    // What a media element asks first, then a seek near the end.
    let mut client = server.connect();
    client.send(b"GET /introduction.mp3 HTTP/1.1\r\nHost: t\r\nRange: bytes=0-\r\n\r\n");
    let whole = client.read_reply(false);
    assert_eq!(whole.status, 206);
    assert_eq!(
        whole.header("content-range"),
        Some(format!("bytes 0-{}/{len}", len - 1).as_str())
    );
    assert_eq!(whole.header("content-type"), Some("audio/mpeg"));
    assert_eq!(whole.body, audio);
    client.send(
        format!(
            "GET /introduction.mp3 HTTP/1.1\r\nHost: t\r\nRange: bytes={}-\r\n\r\n",
            len - 1000
        )
        .as_bytes(),
    );
    let tail = client.read_reply(false);
    assert_eq!(tail.body, &audio[len - 1000..]);
}

#[test]
fn empty_file_ignores_range() {
    let site = Site::new();
    site.write("empty.txt", "");
    let server = TestServer::start(&site.root);
    let reply = server.get("GET /empty.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-\r\n\r\n");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length"), Some("0"));
}

#[test]
fn range_is_ignored_on_methods_other_than_get_and_head() {
    // RFC 9110 §14.2: a server MUST ignore Range on other methods. Each gets
    // exactly what it gets without Range (204 or 405), never part of a file.
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    for method in ["OPTIONS", "POST", "PUT", "DELETE", "PATCH", "TRACE"] {
        let mut replies = Vec::new();
        for range in ["", "Range: bytes=0-1\r\n"] {
            let length = if method == "OPTIONS" {
                ""
            } else {
                "Content-Length: 0\r\n"
            };
            let head = format!("{method} /hello.txt HTTP/1.1\r\nHost: t\r\n{length}{range}\r\n");
            client.send(head.as_bytes());
            replies.push(client.read_reply(false));
        }
        let (plain, ranged) = (&replies[0], &replies[1]);
        assert!(
            matches!(plain.status, 204 | 405),
            "{method}: {}",
            plain.head
        );
        assert_eq!(ranged.status, plain.status, "{method}: {}", ranged.head);
        assert_eq!(ranged.header("content-range"), None, "{method}");
        assert_eq!(ranged.body, plain.body, "{method}");
    }
}

#[test]
fn file_changed_on_disk_gets_a_new_etag_and_a_full_response() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let (old_etag, _) = validators_of(&server, "/hello.txt");
    let revalidate = |etag: &str| {
        server.get(&format!(
            "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n"
        ))
    };
    assert_eq!(revalidate(&old_etag).status, 304);

    site.write("hello.txt", "hello, changed world\n");
    let changed = revalidate(&old_etag);
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body, b"hello, changed world\n");
    let new_etag = changed.header("etag").unwrap();
    assert_ne!(new_etag, old_etag);
    assert_eq!(revalidate(new_etag).status, 304);

    // A Range guarded by the old tag now gets the whole new file.
    let guarded = server.get(&format!(
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Range: {old_etag}\r\nRange: bytes=0-4\r\n\r\n"
    ));
    assert_eq!(guarded.status, 200);
    assert_eq!(guarded.body, b"hello, changed world\n");
}

#[test]
fn same_length_rewrite_with_a_new_time_changes_the_etag() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let (old_etag, _) = validators_of(&server, "/hello.txt");
    site.write("hello.txt", "HELLO, WORLD\n");
    let file = std::fs::File::options()
        .write(true)
        .open(site.root.join("hello.txt"))
        .unwrap();
    file.set_modified(
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000),
    )
    .unwrap();
    let reply = server.get(&format!(
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: {old_etag}\r\n\r\n"
    ));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"HELLO, WORLD\n");
}

#[test]
fn preconditions_do_not_turn_a_404_into_a_412() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let reply = server.get("GET /missing HTTP/1.1\r\nHost: t\r\nIf-Match: *\r\n\r\n");
    assert_eq!(reply.status, 404);
}

#[test]
fn range_responses_keep_the_connection_alive() {
    let (site, bytes) = site_with_numbers();
    let server = TestServer::start(&site.root);
    let mut client = Client::connect(server.addr);
    for (range, expected) in [
        ("0-0", &bytes[..1]),
        ("1-2,5-6", &[][..]),
        ("999-", &bytes[999..]),
    ] {
        client.send(
            format!("GET /numbers.bin HTTP/1.1\r\nHost: t\r\nRange: bytes={range}\r\n\r\n")
                .as_bytes(),
        );
        let reply = client.read_reply(false);
        assert_eq!(reply.status, 206, "{range}");
        if !expected.is_empty() {
            assert_eq!(reply.body, expected, "{range}");
        }
    }
    client.send(b"GET /numbers.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=5000-\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 416);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).body, b"hello, world\n");
}
