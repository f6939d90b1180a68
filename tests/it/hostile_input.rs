//! Hostile requests: no input makes the server read a request out of what
//! should have been a body (request smuggling), and none panics it. The
//! malformed heads and framings themselves are in the one table of
//! refusals, `errors.rs`.

use crate::common::{Client, Reply, Site, TestServer};

/// Sends `payload`, then a final request that asks to close, and reads every
/// response until the server closes. The file `/smuggled` exists, so a
/// request read out of a body would show up as its content.
fn responses_to(server: &TestServer, payload: &[u8]) -> Vec<Reply> {
    let mut client = Client::connect(server.addr);
    client.send(payload);
    // The server may already have closed after a 400; then this write fails
    // quietly or is discarded, which is what is being tested.
    let _ = std::io::Write::write_all(
        &mut client.stream,
        b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let mut replies = Vec::new();
    while let Ok(reply) = client.try_read_reply(false) {
        let last = reply.header("connection") == Some("close");
        replies.push(reply);
        if last {
            break;
        }
    }
    replies
}

#[test]
fn no_request_is_smuggled_in_a_body() {
    let site = Site::new();
    site.write("smuggled", "SMUGGLED\n");
    let server = TestServer::start(&site.root);
    let hidden = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";
    let cases: Vec<(&str, String)> = vec![
        ("CL.TE", format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{hidden}")),
        ("TE.CL", format!("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n{hidden}")),
        ("TE with space before colon", format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n{hidden}")),
        ("TE obfuscated value", format!("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n{hidden}")),
        ("TE repeated with identity", format!("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n{hidden}")),
        ("TE folded", format!("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n{hidden}")),
        ("TE in HTTP/1.0", format!("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{hidden}")),
        ("CL differing", format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: {}\r\n\r\n{hidden}", hidden.len())),
        ("CL list differing", format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0, {}\r\n\r\n{hidden}", hidden.len())),
        ("chunk size overflow wraps to a small size", format!("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n\r\n0\r\n\r\n{hidden}")),
        ("chunk LF only", format!("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\n\n{hidden}")),
        ("NUL in Content-Length", format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\0{}\r\n\r\n{hidden}", hidden.len())),
        // Well-framed bodies that merely look like requests: skipped, never served.
        ("body by Content-Length", format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{hidden}", hidden.len())),
        ("body by chunks", format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{hidden}\r\n0\r\n\r\n", hidden.len())),
        ("chunked with tab OWS", format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\tchunked\r\n\r\n{:x}\r\n{hidden}\r\n0\r\n\r\n", hidden.len())),
        ("chunked with an extension", format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{:x};a=\"b\"\r\n{hidden}\r\n0\r\n\r\n", hidden.len())),
        ("chunked with a trailer", format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Hidden: {}\r\n\r\n", hidden.trim_end())),
    ];
    for (name, payload) in cases {
        let replies = responses_to(&server, payload.as_bytes());
        assert!(!replies.is_empty(), "{name}: no response at all");
        for reply in &replies {
            assert!(
                !reply.body_text().contains("SMUGGLED"),
                "{name}: smuggled request was served"
            );
        }
        let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        let framed_well = name.starts_with("body") || name.starts_with("chunked");
        if framed_well {
            // The request, then the closing request: nothing in between.
            assert_eq!(statuses, [200, 200], "{name}");
        } else {
            assert_eq!(statuses, [400], "{name}: refused, then closed");
        }
    }
}

#[test]
fn utf8_target_cut_by_the_scheme_length_is_400_not_a_panic() {
    // Found by fuzzing: the 7th byte falls inside a two-byte character.
    let site = Site::new();
    let server = TestServer::start(&site.root);
    for target in ["HHTTGN\u{65f}s", "https:/\u{e9}x"] {
        let reply = server.get(&format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(reply.status, 400, "{target}");
    }
}
