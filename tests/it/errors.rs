//! Every refusal the server can give, over real sockets: one table of limits
//! (414, 431, 413), malformed and hostile heads (400, 505) and framing errors
//! (RFC 9112, RFC 9110 §5.5), each answered with its status and a close; then
//! methods (204, 405, 501).

use crate::common::{Site, TestServer};

/// A request that must be refused with `status`, after which the server closes.
struct Refusal {
    name: &'static str,
    request: Vec<u8>,
    status: u16,
}

fn refusal(name: &'static str, request: impl Into<Vec<u8>>, status: u16) -> Refusal {
    Refusal {
        name,
        request: request.into(),
        status,
    }
}

#[test]
fn refused_requests_get_their_status_a_page_and_a_close() {
    let long_line = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(9 * 1024));
    let many_fields = format!(
        "GET / HTTP/1.1\r\nHost: t\r\n{}\r\n",
        "X-F: v\r\n".repeat(101)
    );
    let huge_head = format!(
        "GET / HTTP/1.1\r\nHost: t\r\n{}\r\n",
        format!("X-Big: {}\r\n", "v".repeat(1000)).repeat(70)
    );
    let cases = [
        refusal("request line over 8 KiB", long_line, 414),
        refusal("more than 100 fields", many_fields, 431),
        refusal("head over 64 KiB", huge_head, 431),
        refusal("TLS hello", &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..], 400),
        refusal("space in target", "GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        refusal("HTTP/2.0", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
        refusal("HTTP/3.0", "GET / HTTP/3.0\r\n\r\n", 505),
        refusal("no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400),
        refusal("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        refusal(
            "body over 1 MiB",
            "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n",
            413,
        ),
        refusal(
            "chunked body over 1 MiB",
            format!("GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n", 2 << 20),
            413,
        ),
        refusal(
            "Content-Length and Transfer-Encoding",
            "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        refusal(
            "non-decimal Content-Length",
            "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
            400,
        ),
        refusal(
            "differing Content-Lengths",
            "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            400,
        ),
        refusal(
            "transfer coding other than chunked",
            "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
            400,
        ),
        refusal(
            "Transfer-Encoding in HTTP/1.0",
            "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        refusal(
            "chunk size not hex",
            "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
            400,
        ),        // Heads and framings RFC 9112 says a server MUST (or, here, does)
        // reject; httparse refuses the heads, body.rs the framings.
        refusal("space between name and colon", &b"GET / HTTP/1.1\r\nHost: t\r\nX-A : b\r\n\r\n"[..], 400),
        refusal("tab between name and colon", &b"GET / HTTP/1.1\r\nHost: t\r\nX-A\t: b\r\n\r\n"[..], 400),
        refusal("obs-fold", &b"GET / HTTP/1.1\r\nHost: t\r\nX-A: b\r\n c\r\n\r\n"[..], 400),
        refusal("whitespace before the first field", &b"GET / HTTP/1.1\r\n Host: t\r\n\r\n"[..], 400),
        refusal("NUL in a field value", &b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n"[..], 400),
        refusal("escape in a field value", &b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\x1bb\r\n\r\n"[..], 400),
        refusal("DEL in a field value", &b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\x7fb\r\n\r\n"[..], 400),
        refusal("bare CR in a field value", &b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n"[..], 400),
        refusal("bare CR ending the request line", &b"GET / HTTP/1.1\rHost: t\r\n\r\n"[..], 400),
        refusal("NUL in the target", &b"GET /a\0b HTTP/1.1\r\nHost: t\r\n\r\n"[..], 400),
        refusal("control character in the target", &b"GET /a\x01b HTTP/1.1\r\nHost: t\r\n\r\n"[..], 400),
        refusal("tab in the target", &b"GET /a\tb HTTP/1.1\r\nHost: t\r\n\r\n"[..], 400),
        refusal("signed Content-Length", &b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc"[..], 400),
        refusal("hex Content-Length", &b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 0x3\r\n\r\nabc"[..], 400),
        refusal("Content-Length with a space inside", &b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1 2\r\n\r\n"[..], 400),
        refusal("negative chunk size", &b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n"[..], 400),
        refusal("chunk size overflow", &b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n"[..], 400),
        refusal("final coding not chunked", &b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"[..], 400),
        refusal("coding other than chunked", &b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: identity\r\n\r\n"[..], 400),
        refusal("chunked twice", &b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"[..], 400),
        refusal("bare LF in chunked framing", &b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n"[..], 400),
        refusal("bare CR in chunked framing", &b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\rabc"[..], 400),
    ];
    let site = Site::new();
    let server = TestServer::start(&site.root);
    for case in cases {
        let mut client = server.connect();
        client.send(&case.request);
        let reply = client
            .try_read_reply(false)
            .unwrap_or_else(|why| panic!("{}: {why}", case.name));
        assert_eq!(reply.status, case.status, "{}: {}", case.name, reply.head);
        assert_eq!(reply.header("connection"), Some("close"), "{}", case.name);
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{}",
            case.name
        );
        let code = case.status.to_string();
        assert!(
            reply.body_text().contains(&code),
            "{}: {}",
            case.name,
            reply.body_text()
        );
        assert!(client.is_closed(), "{}: the server must close", case.name);
    }
}

#[test]
fn bad_targets_get_400_and_the_connection_goes_on() {
    // The head is well-framed, so the next request can still be trusted.
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    for target in ["/%zz", "/%4", "index.html", "*", "/a#fragment"] {
        client.send(format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let reply = client.read_reply(false);
        assert_eq!(reply.status, 400, "{target}");
        assert_eq!(reply.header("connection"), None, "{target}");
    }
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
}

#[test]
fn error_pages_carry_no_internal_detail() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let reply = server.get("GET /../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 404);
    let page = reply.body_text();
    for leak in ["etc", "passwd", "root", "error", "os error"] {
        assert!(!page.contains(leak), "page leaks {leak:?}: {page}");
    }
}

#[test]
fn options_lists_the_allowed_methods() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    for target in ["*", "/", "/hello.txt"] {
        let reply = server.get(&format!("OPTIONS {target} HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(reply.status, 204, "{target}");
        assert_eq!(
            reply.header("allow"),
            Some("GET, HEAD, OPTIONS"),
            "{target}"
        );
        assert_eq!(
            reply.header("content-length"),
            None,
            "{target}: 204 has no length"
        );
        assert!(reply.body.is_empty());
    }
}

#[test]
fn other_standard_methods_get_405_with_allow_and_the_connection_stays_open() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    for method in ["POST", "PUT", "DELETE", "PATCH", "TRACE"] {
        client.send(
            format!("{method} /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nab")
                .as_bytes(),
        );
        let reply = client.read_reply(false);
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(
            reply.header("allow"),
            Some("GET, HEAD, OPTIONS"),
            "{method}"
        );
        assert_eq!(reply.header("connection"), None, "{method}");
    }
    client.send(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 405);
}

#[test]
fn unknown_methods_get_501() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    for method in ["BREW", "get", "PROPFIND"] {
        client.send(format!("{method} / HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let reply = client.read_reply(false);
        assert_eq!(reply.status, 501, "{method}");
        assert!(reply.body_text().contains("501 Not Implemented"));
    }
}

#[test]
fn head_gets_the_same_headers_as_get_and_no_body() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    for path in ["/hello.txt", "/missing", "/docs", "/"] {
        let mut client = server.connect();
        client.send(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\nHEAD {path} HTTP/1.1\r\nHost: t\r\n\r\nGET /style.css HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let get = client.read_reply(false);
        let head = client.read_reply(true);
        assert_eq!(head.status, get.status, "{path}");
        assert_eq!(
            head.fields_without_date(),
            get.fields_without_date(),
            "{path}"
        );
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str()),
            "{path}"
        );
        // Had HEAD sent a body, it would be read here as the next response.
        assert_eq!(
            client.read_reply(false).body,
            b"h1 { color: red }\n",
            "{path}"
        );
    }
}
