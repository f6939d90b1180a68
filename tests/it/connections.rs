//! Connection management over real sockets (RFC 9112 §9): persistence,
//! pipelining, heads split across reads, close semantics, idle timeout.

use std::time::Duration;

use crate::common::{Client, Site, TestServer};

/// An idle timeout no test waits out: longer than the client's read
/// timeout ([`crate::common::SOCKET_TIMEOUT`]).
const LONG_IDLE: Duration = Duration::from_secs(120);

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    for path in ["/", "/hello.txt", "/missing", "/docs/", "/hello.txt"] {
        client.send(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let reply = client.read_reply(false);
        assert!(
            reply.header("connection").is_none(),
            "{path}: HTTP/1.1 persists without a Connection field: {}",
            reply.head
        );
        let expected = if path == "/missing" { 404 } else { 200 };
        assert_eq!(reply.status, expected, "{path}");
    }
    let reply = {
        client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        client.read_reply(false)
    };
    assert_eq!(reply.body, b"hello, world\n");
}

#[test]
fn pipelined_requests_in_one_write_are_answered_in_order() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    client.send(
        b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n\
          HEAD /data.json HTTP/1.1\r\nHost: t\r\n\r\n\
          GET /missing HTTP/1.1\r\nHost: t\r\n\r\n\
          GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    let first = client.read_reply(false);
    assert_eq!(
        (first.status, first.body.as_slice()),
        (200, &b"hello, world\n"[..])
    );
    let second = client.read_reply(true);
    assert_eq!(second.status, 200);
    assert_eq!(
        second.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(client.read_reply(false).status, 404);
    let fourth = client.read_reply(false);
    assert_eq!(fourth.body, b"h1 { color: red }\n");
}

#[test]
fn pipelined_request_split_across_writes_keeps_its_leftover_bytes() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    // The second request's first half arrives with the first request.
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /style");
    assert_eq!(client.read_reply(false).body, b"hello, world\n");
    client.send(b".css HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).body, b"h1 { color: red }\n");
}

#[test]
fn head_dribbled_a_byte_at_a_time_is_parsed() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    client.stream.set_nodelay(true).unwrap();
    for byte in b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nAccept: */*\r\n\r\n" {
        client.send(&[*byte]);
    }
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"hello, world\n");
}

#[test]
fn connection_close_is_answered_with_close_and_the_server_closes() {
    // An idle timeout far beyond the client's read timeout: a server that
    // kept the connection open would leave the client waiting, and fail
    // the test, rather than close it at the idle timeout and pass.
    let site = Site::new();
    let server = TestServer::start_with(&site.root, LONG_IDLE);
    let mut client = server.connect();
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: Close\r\n\r\n");
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("connection"), Some("close"));
    assert_eq!(reply.body, b"hello, world\n");
    assert!(
        client.is_closed(),
        "server should close after Connection: close"
    );
}

#[test]
fn connection_close_among_other_tokens_is_honoured() {
    let site = Site::new();
    let server = TestServer::start_with(&site.root, LONG_IDLE);
    let mut client = server.connect();
    client.send(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: te, CLOSE\r\n\r\n");
    assert_eq!(client.read_reply(false).header("connection"), Some("close"));
    assert!(client.is_closed());
}

#[test]
fn last_response_survives_unread_bytes_from_the_client() {
    // The client sends more after a `Connection: close` request. Had the
    // server closed with those bytes unread, the kernel would reset the
    // connection and the client could lose the response; lingering prevents it.
    let site = Site::new();
    site.write("large.bin", vec![b'x'; 512 * 1024]);
    let server = TestServer::start(&site.root);
    for _ in 0..5 {
        let mut client = server.connect();
        let mut request =
            b"GET /large.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_vec();
        request.extend(std::iter::repeat_n(b'z', 64 * 1024));
        client.send(&request);
        let reply = client.read_reply(false);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body.len(), 512 * 1024);
    }
}

#[test]
fn http10_without_keep_alive_closes_after_one_response() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    client.send(b"GET /hello.txt HTTP/1.0\r\n\r\n");
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 200);
    assert!(
        reply.head.starts_with("HTTP/1.1 200 OK\r\n"),
        "{}",
        reply.head
    );
    assert_eq!(reply.header("connection"), Some("close"));
    assert_eq!(reply.body, b"hello, world\n");
    assert!(client.is_closed(), "HTTP/1.0 closes by default");
}

#[test]
fn http10_with_keep_alive_persists_and_says_so() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    for _ in 0..3 {
        client.send(b"GET /hello.txt HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        let reply = client.read_reply(false);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("connection"), Some("keep-alive"));
    }
    client.send(b"GET /hello.txt HTTP/1.0\r\n\r\n");
    assert_eq!(client.read_reply(false).header("connection"), Some("close"));
    assert!(client.is_closed());
}

#[test]
fn idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let site = Site::new();
    let server = TestServer::start_with(&site.root, Duration::from_secs(1));
    let mut client = server.connect();
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
    // The client's read timeout (10 s) is far above the server's idle
    // timeout (1 s): EOF here can only come from the server.
    assert!(
        client.is_closed(),
        "idle connection should be closed by the server"
    );
}

#[test]
fn connection_idle_past_the_grace_gives_back_its_buffers_and_still_serves() {
    // After a short idle spell the connection drops its buffers and waits
    // on a peek; what arrives next must be read whole, pipelined or large.
    let site = Site::new();
    let server = crate::common::Binary::serving_under(
        crate::common::binary_command(),
        &site.root,
        &["--quiet"],
        &[("RUST_LOG", "glasshttp=debug")],
    );
    let mut client = Client::connect(server.addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
    // The server says what it gave back and what it held once idle:
    // nothing. On Linux the stack pages below the wait go back too.
    let released = server.wait_for_stderr("idle past the grace");
    let numbers: Vec<u64> = released
        .split([' ', ','])
        .filter_map(|word| word.parse().ok())
        .collect();
    assert!(
        matches!(numbers[..], [given, stack, 0]
            if given > 0 && (stack > 0) == crate::common::is_linux_build()),
        "buffers or stack kept while idle: {released}"
    );
    let cookie = "c".repeat(6000);
    client.send(
        format!(
            "GET /hello.txt HTTP/1.1\r\nHost: t\r\nCookie: {cookie}\r\n\r\n\
             HEAD /data.json HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        .as_bytes(),
    );
    let first = client.read_reply(false);
    assert_eq!(
        (first.status, first.body.as_slice()),
        (200, &b"hello, world\n"[..])
    );
    assert_eq!(client.read_reply(true).status, 200);
    std::thread::sleep(Duration::from_millis(400));
    client.send(b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 404);
}

#[test]
fn empty_lines_before_a_request_are_ignored() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let reply = server.get("\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
}

#[test]
fn request_body_is_skipped_and_the_next_request_is_served() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let cases: &[(&str, &[u8])] = &[
        (
            "content-length",
            b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nGET /x HTTP",
        ),
        (
            "chunked",
            b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
              5;ext=1\r\nGET /\r\n6\r\nx HTTP\r\n0\r\nTrailer: yes\r\n\r\n",
        ),
    ];
    for (name, request) in cases {
        let mut client = server.connect();
        client.send(request);
        client.send(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n");
        let first = client.read_reply(false);
        assert_eq!(first.body, b"hello, world\n", "{name}");
        let second = client.read_reply(false);
        assert_eq!(
            second.body, b"h1 { color: red }\n",
            "{name}: the body must not be read as a request"
        );
    }
}

#[test]
fn expect_100_continue_gets_an_interim_response_before_the_body() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    client.send(
        b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
    );
    let interim = client.read_reply(false);
    assert_eq!(interim.status, 100);
    client.send(b"body");
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"hello, world\n");
}

#[test]
fn with_defer_accept_a_silent_connection_is_taken_only_once_it_speaks() {
    let site = Site::new();
    if !crate::common::is_linux_build() {
        // Only Linux has the option: elsewhere, a start-up error that says so.
        let root = site.root.to_string_lossy().into_owned();
        let output = crate::common::run_binary(&[root.as_str(), "--port", "0", "--defer-accept"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains("--defer-accept is Linux's"), "{stderr}");
        return;
    }
    let server = crate::common::Binary::serving_under(
        crate::common::binary_command(),
        &site.root,
        &["--quiet", "--trace", "--defer-accept"],
        &[],
    );
    assert!(
        server
            .banner
            .iter()
            .any(|line| line.contains("(--defer-accept)")),
        "{:?}",
        server.banner
    );
    // Connected first, silent: the kernel keeps it from the server.
    let mut silent = Client::connect(server.addr);
    let mut speaking = Client::connect(server.addr);
    speaking.send(b"GET /hello.txt?second HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(speaking.read_reply(false).status, 200);
    let line = server.wait_for_stderr("> GET /hello.txt?second ");
    assert!(line.starts_with("[conn 1 "), "{line}");
    silent.send(b"GET /hello.txt?first HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(silent.read_reply(false).status, 200);
    let line = server.wait_for_stderr("> GET /hello.txt?first ");
    assert!(line.starts_with("[conn 2 "), "{line}");
}
