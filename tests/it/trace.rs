//! `--trace` and `--no-keepalive`, read from the real binary's stderr: the
//! heads as received and sent, each decision and why, and who closed.

use crate::common::{www, Binary, Client, Reply};

/// The trace's rendering of a head: one line per head line, CRLFs written out.
fn rendered(head: &str) -> Vec<String> {
    head.split_inclusive("\r\n")
        .map(|line| line.replace('\r', "\\r").replace('\n', "\\n"))
        .collect()
}

/// The lines of `trace` tagged `tag` and starting with `marker` after it
/// (`>` request head, `<` response head, `decided:`), without tag and marker.
fn tagged<'a>(trace: &'a [String], tag: &str, marker: &str) -> Vec<&'a str> {
    let prefix = format!("{tag} ");
    trace
        .iter()
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(str::trim_start)
        .filter_map(|rest| rest.strip_prefix(marker))
        .map(str::trim_start)
        .collect()
}

fn start_traced(extra: &[&str]) -> Binary {
    let root = www();
    let mut args = vec!["--trace"];
    args.extend_from_slice(extra);
    Binary::serving(&root, &args)
}

fn get(client: &mut Client, path: &str, fields: &str) -> (String, Reply) {
    let head = format!("GET {path} HTTP/1.1\r\nHost: lab\r\n{fields}\r\n");
    client.send(head.as_bytes());
    (head, client.read_reply(false))
}

#[test]
fn trace_explains_200_304_and_206_on_one_kept_alive_connection() {
    let server = start_traced(&["--quiet"]);
    let page_size = std::fs::metadata(www().join("index.html")).unwrap().len();
    let audio_size = std::fs::metadata(www().join("introduction.mp3"))
        .unwrap()
        .len();
    let mut client = Client::connect(server.addr);
    let client_addr = client.stream.local_addr().unwrap();

    let (head_1, page) = get(&mut client, "/index.html", "");
    assert_eq!(page.status, 200);
    let etag = page.header("etag").unwrap().to_string();
    let (head_2, revalidated) = get(
        &mut client,
        "/index.html",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert_eq!(revalidated.status, 304);
    let (head_3, audio) = get(&mut client, "/introduction.mp3", "Range: bytes=0-\r\n");
    assert_eq!(audio.status, 206);
    drop(client);
    let trace = server.stderr_until("] closed:");

    let opened = format!(
        "[conn 1] opened: client {client_addr} -> server {}",
        server.addr
    );
    assert_eq!(trace[0], opened, "{trace:#?}");
    let exchanges = [(&head_1, &page), (&head_2, &revalidated), (&head_3, &audio)];
    for (number, (request, reply)) in (1..).zip(exchanges) {
        let tag = format!("[conn 1 #{number}]");
        // Both heads exactly as they crossed the wire.
        assert_eq!(
            tagged(&trace, &tag, ">"),
            rendered(request),
            "{tag}: {trace:#?}"
        );
        assert_eq!(
            tagged(&trace, &tag, "<"),
            rendered(&reply.head),
            "{tag}: {trace:#?}"
        );
        let body = format!(
            "{tag} body: {} bytes; first byte written ",
            reply.body.len()
        );
        assert!(
            trace.iter().any(|l| l.starts_with(&body)),
            "{body}: {trace:#?}"
        );
        assert!(
            tagged(&trace, &tag, "decided:").contains(
                &"HTTP/1.1 without Connection: close -> the connection stays open for the next request"
            ),
            "{tag}: {trace:#?}"
        );
    }
    let expected = [
        (
            "[conn 1 #1]",
            format!("no Range -> 200 OK, the whole file ({page_size} bytes)"),
        ),
        (
            "[conn 1 #2]",
            format!(
                "If-None-Match {etag}: If-None-Match matches the current ETag -> 304 Not Modified, no body"
            ),
        ),
        (
            "[conn 1 #3]",
            format!(
                "Range bytes=0- -> 206 Partial Content, bytes 0-{}/{audio_size}",
                audio_size - 1
            ),
        ),
    ];
    for (tag, decision) in expected {
        let decided = tagged(&trace, tag, "decided:");
        assert!(
            decided.contains(&decision.as_str()),
            "{tag} {decision}: {decided:#?}"
        );
    }
    assert_eq!(
        trace.last().unwrap(),
        "[conn 1] closed: by the client, between requests (3 requests on this connection)"
    );
}

#[test]
fn trace_explains_a_404_and_a_close_the_client_asked_for() {
    let server = start_traced(&["--quiet"]);
    let mut client = Client::connect(server.addr);
    let (_, missing) = get(&mut client, "/favicon.ico", "Connection: close\r\n");
    assert_eq!(missing.status, 404);
    assert!(client.is_closed());
    let trace = server.stderr_until("] closed:");
    let decided = tagged(&trace, "[conn 1 #1]", "decided:");
    assert_eq!(
        decided,
        [
            "GET /favicon.ico: no such file under the root -> 404 Not Found",
            "Connection: close -> the server closes after this response",
        ],
        "{trace:#?}"
    );
    assert!(tagged(&trace, "[conn 1 #1]", "<").contains(&"Connection: close\\r\\n"));
    assert_eq!(
        trace.last().unwrap(),
        "[conn 1] closed: by the server, after the response to Connection: close (1 request on this connection)"
    );
}

#[test]
fn trace_shows_a_malformed_head_with_its_control_characters() {
    let server = start_traced(&["--quiet"]);
    let mut client = Client::connect(server.addr);
    client.send(b"GET / HTTP/1.1\r\nHost: a\r\nBad\x01Name: x\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 400);
    let trace = server.stderr_until("] closed:");
    let received = tagged(&trace, "[conn 1 #1]", ">");
    assert!(received.contains(&"Bad\\x01Name: x\\r\\n"), "{trace:#?}");
    let decided = tagged(&trace, "[conn 1 #1]", "decided:");
    assert!(decided[0].ends_with("-> 400 Bad Request"), "{decided:#?}");
    assert!(trace
        .last()
        .unwrap()
        .contains("by the server, after 400 Bad Request"));
}

#[test]
fn no_keepalive_closes_after_every_response_and_says_so() {
    let server = start_traced(&["--quiet", "--no-keepalive"]);
    for path in ["/", "/logo.png"] {
        let mut client = Client::connect(server.addr);
        let (_, reply) = get(&mut client, path, "");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("connection"), Some("close"), "{path}");
        assert!(client.is_closed(), "{path}: the server should have closed");
    }
    let trace = server.stderr_until("[conn 2] closed:");
    for id in [1, 2] {
        let decided = tagged(&trace, &format!("[conn {id} #1]"), "decided:");
        assert_eq!(
            decided.last(),
            Some(&"--no-keepalive -> the server closes after this response, Connection: close"),
            "{trace:#?}"
        );
        let closed = format!(
            "[conn {id}] closed: by the server, after one response (--no-keepalive) (1 request on this connection)"
        );
        assert!(trace.contains(&closed), "{closed}: {trace:#?}");
    }
}

#[test]
fn without_trace_nothing_is_traced() {
    let root = www();
    let server = Binary::serving(&root, &[]);
    let mut client = Client::connect(server.addr);
    let (_, reply) = get(&mut client, "/", "");
    assert_eq!(reply.status, 200);
    // The access log line comes, and nothing tagged [conn before it.
    let lines = server.stderr_until("\"GET / HTTP/1.1\" 200");
    assert!(lines.iter().all(|l| !l.starts_with("[conn")), "{lines:#?}");
}

#[test]
fn a_503_past_the_limit_is_traced_and_logged_like_any_exchange() {
    let server = start_traced(&["--max-connections", "1"]);
    let mut held = Client::connect(server.addr);
    let (_, reply) = get(&mut held, "/", "");
    assert_eq!(reply.status, 200);
    let mut refused = Client::connect(server.addr);
    let reply = refused.read_reply(false);
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("retry-after"), Some("1"));
    let trace = server.stderr_until("[conn 2] closed:");
    let decided = tagged(&trace, "[conn 2 #1]", "decided:");
    assert_eq!(
        decided.first(),
        Some(&"1 connections are open, the limit -> 503 Service Unavailable, without reading the request"),
        "{trace:#?}"
    );
    let sent = tagged(&trace, "[conn 2 #1]", "<");
    assert_eq!(
        sent.first(),
        Some(&"HTTP/1.1 503 Service Unavailable\\r\\n"),
        "{trace:#?}"
    );
    // The access log reads the same record: no request line, the status.
    assert!(
        trace.iter().any(|line| line.contains("\"\" 503 ")),
        "{trace:#?}"
    );
    assert!(
        trace
            .last()
            .unwrap()
            .contains("after 503: the connection limit"),
        "{trace:#?}"
    );
}

#[test]
fn trace_says_if_modified_since_was_sent_and_not_evaluated_beside_if_none_match() {
    let server = start_traced(&["--quiet"]);
    let mut client = Client::connect(server.addr);
    let (_, page) = get(&mut client, "/index.html", "");
    let etag = page.header("etag").unwrap().to_string();
    let date = page.header("last-modified").unwrap().to_string();
    // As Edge revalidates on F5: both validators, the tag deciding. Then a
    // tag that does not match (200), then the date alone (304 by the date).
    let both = format!("If-None-Match: {etag}\r\nIf-Modified-Since: {date}\r\n");
    assert_eq!(get(&mut client, "/index.html", &both).1.status, 304);
    let stale = format!("If-None-Match: \"old\"\r\nIf-Modified-Since: {date}\r\n");
    assert_eq!(get(&mut client, "/index.html", &stale).1.status, 200);
    let date_only = format!("If-Modified-Since: {date}\r\n");
    assert_eq!(get(&mut client, "/index.html", &date_only).1.status, 304);
    drop(client);
    let trace = server.stderr_until("] closed:");
    let skipped = format!(
        "If-Modified-Since {date} was sent too, and not evaluated: RFC 9110 §13.2.2 looks at it only when If-None-Match is absent"
    );
    let cases = [
        ("[conn 1 #2]", true, format!("If-None-Match {etag}: If-None-Match matches the current ETag -> 304 Not Modified, no body")),
        ("[conn 1 #3]", true, format!("If-None-Match checked against ETag {etag} -> no precondition stops the request")),
        ("[conn 1 #4]", false, format!("If-Modified-Since {date}: the file is not modified since If-Modified-Since -> 304 Not Modified, no body")),
    ];
    for (tag, said, decision) in cases {
        let decided = tagged(&trace, tag, "decided:");
        let at = decided.iter().position(|line| *line == decision);
        assert!(at.is_some(), "{tag} {decision}: {decided:#?}");
        let next = decided.get(at.unwrap() + 1).copied();
        assert_eq!(next == Some(skipped.as_str()), said, "{tag}: {decided:#?}");
        assert!(
            !said || decided.iter().filter(|l| **l == skipped).count() == 1,
            "{tag}"
        );
    }
}

#[test]
fn trace_and_inspector_say_a_connection_without_a_request_is_a_spare_one() {
    let server = start_traced(&["--quiet", "--idle-timeout", "1", "--inspect", "0"]);
    // A spare connection closed by the browser, then one it let idle.
    drop(Client::connect(server.addr));
    let closed = server.wait_for_stderr("[conn 1] closed:");
    assert_eq!(
        closed,
        "[conn 1] closed: by the client, and no request arrived: browsers open spare connections ahead of need and close those they do not use (0 requests on this connection)"
    );
    let mut idle = Client::connect(server.addr);
    let closed = server.wait_for_stderr("[conn 2] closed:");
    assert_eq!(
        closed,
        "[conn 2] closed: by the server: no request arrived within the idle timeout (browsers open spare connections ahead of need) (0 requests on this connection)"
    );
    assert!(idle.is_closed(), "the server's FIN after the idle timeout");
    // The inspector uses the same words.
    let inspector = crate::inspector::inspector_of(&server);
    let snapshot = crate::inspector::snapshot(inspector);
    let whys: Vec<&str> = snapshot["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["closed"]["why"]["en"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        whys,
        [
            "by the client, and no request arrived: browsers open spare connections ahead of need and close those they do not use",
            "by the server: no request arrived within the idle timeout (browsers open spare connections ahead of need)"
        ]
    );
}

/// The Chinese trace of a lab session (200, 304, 206, 404) with `lang_args`
/// and `env`; returns the trace and what the page, audio and ETag were.
fn chinese_session(lang_args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let mut args = vec!["--trace", "--quiet"];
    args.extend_from_slice(lang_args);
    let mut command = crate::common::binary_command();
    command.env_remove("LANGUAGE");
    let server = Binary::serving_under(command, &www(), &args, env);
    let mut client = Client::connect(server.addr);
    let (_, page) = get(&mut client, "/index.html", "");
    let etag = page.header("etag").unwrap().to_string();
    let (_, revalidated) = get(
        &mut client,
        "/index.html",
        &format!("If-None-Match: {etag}\r\n"),
    );
    let (_, audio) = get(&mut client, "/introduction.mp3", "Range: bytes=0-\r\n");
    let (_, missing) = get(&mut client, "/missing.txt", "");
    let statuses = [
        page.status,
        revalidated.status,
        audio.status,
        missing.status,
    ];
    assert_eq!(statuses, [200, 304, 206, 404]);
    drop(client);
    server.stderr_until("] 连接关闭：")
}

#[test]
fn trace_explains_200_304_206_and_404_in_chinese_with_lang_zh() {
    let page_size = std::fs::metadata(www().join("index.html")).unwrap().len();
    let audio_size = std::fs::metadata(www().join("introduction.mp3"))
        .unwrap()
        .len();
    let trace = chinese_session(&["--lang", "zh"], &[]);
    assert!(
        trace[0].starts_with("[conn 1] 连接建立：客户端 "),
        "{trace:#?}"
    );
    if crate::common::kernel_tells_tcp() {
        assert!(
            trace[1].starts_with("[conn 1] TCP 三次握手（内核在 accept() 之前已完成）：SYN [MSS="),
            "{trace:#?}"
        );
    }
    let decided = |tag: &str| tagged(&trace, tag, "决策：");
    let expected = [
        (
            "[conn 1 #1]",
            format!("没有 Range -> 200 OK，发送整个文件（{page_size} 字节）"),
        ),
        (
            "[conn 1 #2]",
            "If-None-Match 与当前的 ETag 匹配 -> 304 Not Modified，没有响应体".to_string(),
        ),
        (
            "[conn 1 #3]",
            format!(
                "范围请求 Range bytes=0- -> 206 Partial Content，bytes 0-{}/{audio_size}",
                audio_size - 1
            ),
        ),
        (
            "[conn 1 #4]",
            "GET /missing.txt：根目录下没有这个文件 -> 404 Not Found".to_string(),
        ),
    ];
    for (tag, said) in expected {
        let lines = decided(tag);
        assert!(
            lines.iter().any(|line| line.contains(&said)),
            "{tag} {said}: {lines:#?}"
        );
        assert!(
            lines.contains(
                &"HTTP/1.1 且没有 Connection: close -> 持久连接：连接保持打开，等待下一个请求"
            ),
            "{tag}: {lines:#?}"
        );
        assert!(
            trace
                .iter()
                .any(|l| l.starts_with(&format!("{tag} 请求头，"))),
            "{tag}: {trace:#?}"
        );
        assert!(
            trace
                .iter()
                .any(|l| l.starts_with(&format!("{tag} 响应体："))),
            "{tag}: {trace:#?}"
        );
    }
    assert_eq!(
        trace.last().unwrap(),
        "[conn 1] 连接关闭：由客户端关闭，在两个请求之间（这个连接上共 4 个请求）"
    );
    // Heads stay as they crossed the wire; nothing else is in English.
    for line in &trace {
        assert!(
            !line.contains("decided:") && !line.contains("request head,"),
            "{line}"
        );
    }
}

#[test]
fn the_trace_follows_the_systems_language_unless_lang_says_otherwise() {
    // The Windows build reads the user's language from Wine, which takes
    // it from the same variables.
    let chinese = chinese_session(&[], &[("LC_ALL", "zh_CN.UTF-8")]);
    assert!(
        chinese[0].starts_with("[conn 1] 连接建立："),
        "{chinese:#?}"
    );
    let mut args = vec!["--trace", "--quiet", "--lang", "en"];
    let server = Binary::serving_under(
        crate::common::binary_command(),
        &www(),
        &args,
        &[("LC_ALL", "zh_CN.UTF-8")],
    );
    let mut client = Client::connect(server.addr);
    let (_, reply) = get(&mut client, "/", "");
    assert_eq!(reply.status, 200);
    drop(client);
    let english = server.stderr_until("] closed:");
    assert!(
        english[0].starts_with("[conn 1] opened: client "),
        "{english:#?}"
    );
    args.truncate(2);
    args.extend(["--lang", "fr"]);
    let output = crate::common::run_binary(&args);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("expected en or zh"), "{stderr}");
}

/// A close the server begins (the idle timeout) while the client holds the
/// connection: its FIN never reaches glasshttp, and the trace says who
/// answers it instead of implying four segments.
#[test]
fn a_server_first_close_says_the_clients_fin_went_unseen() {
    let site = crate::common::Site::new();
    let server = Binary::serving(&site.root, &["--trace", "--idle-timeout", "1"]);
    let mut client = Client::connect(server.addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
    let lines = server.stderr_until("[conn 1] closed:");
    let closed = lines.last().unwrap();
    assert!(
        closed.contains("idle for the whole idle timeout"),
        "{closed}"
    );
    let unseen = &lines[lines.len() - 2];
    assert!(
        unseen.contains("the client's FIN was not seen before the server closed its socket"),
        "{lines:#?}"
    );
    assert!(unseen.contains("FIN_WAIT_2, then TIME_WAIT"), "{unseen}");
    drop(client);
}
