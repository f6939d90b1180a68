//! `--inspect` and `--report` over real sockets: the banner, the snapshot of
//! every connection with its heads and decisions, the live event stream in
//! chunked coding, the bound on what is kept, that none of the inspector's
//! own traffic reaches the lab's logs, and the report written at shutdown.

use std::time::{Duration, Instant};

use crate::common::{run_binary, Binary, Client, Site};

/// The inspector's address from the banner line ` * Inspector on http://ADDR/`.
pub fn inspector_of(server: &Binary) -> std::net::SocketAddr {
    let line = server
        .banner
        .iter()
        .find(|line| line.starts_with(" * Inspector on http://"))
        .unwrap_or_else(|| panic!("no inspector in the banner: {:?}", server.banner));
    line.trim_start_matches(" * Inspector on http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

/// A request head for the inspector, naming it as its own page would.
fn own(method_and_path: &str, inspector: std::net::SocketAddr) -> String {
    format!("{method_and_path} HTTP/1.1\r\nHost: {inspector}\r\n\r\n")
}

pub fn snapshot(inspector: std::net::SocketAddr) -> serde_json::Value {
    let mut client = Client::connect(inspector);
    client.send(own("GET /connections.json", inspector).as_bytes());
    let reply = client.read_reply(false);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    serde_json::from_slice(&reply.body).unwrap()
}

/// Two connections to the site: a 200 then a 404 on one, a HEAD on another.
fn visit(addr: std::net::SocketAddr) {
    let mut client = Client::connect(addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nCookie: secret=1\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
    client.send(b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 404);
    drop(client);
    let mut other = Client::connect(addr);
    other.send(b"HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(other.read_reply(true).status, 200);
}

/// Waits until `check` holds for the inspector's snapshot.
fn until(
    inspector: std::net::SocketAddr,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = snapshot(inspector);
        if check(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "never: {now:#}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_inspector_shows_every_connection_with_its_heads_decisions_and_close() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--inspect", "0"]);
    let inspector = inspector_of(&server);
    assert!(
        inspector.ip().is_loopback(),
        "on loopback by default: {inspector}"
    );
    visit(server.addr);
    let now = until(inspector, |now| {
        now["connections"]
            .as_array()
            .is_some_and(|c| c.len() == 2 && c.iter().all(|c| !c["closed"].is_null()))
    });
    let first = &now["connections"][0];
    assert_eq!(first["server"], server.addr.to_string());
    let exchanges = first["exchanges"].as_array().unwrap();
    assert_eq!(exchanges.len(), 2);
    assert_eq!(exchanges[0]["request_line"], "GET /hello.txt HTTP/1.1");
    assert_eq!(exchanges[0]["status"], 200);
    assert_eq!(exchanges[0]["body_bytes"], 13);
    assert_eq!(
        exchanges[0]["request_head"][2], "Cookie: secret=1\\r\\n",
        "heads exactly, CRLF shown"
    );
    assert_eq!(exchanges[0]["response_head"][0], "HTTP/1.1 200 OK\\r\\n");
    let decision: Vec<&str> = exchanges[0]["decision"]["en"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect();
    assert!(
        decision[0].starts_with("GET /hello.txt -> the file /hello.txt, 13 bytes, ETag"),
        "{decision:?}"
    );
    assert_eq!(exchanges[1]["status"], 404);
    assert!(
        first["closed"]["why"]["en"]
            .as_str()
            .unwrap()
            .starts_with("by the client"),
        "{first:#}"
    );
    let second = &now["connections"][1];
    assert_eq!(second["exchanges"][0]["request_line"], "HEAD / HTTP/1.1");
    assert_eq!(second["closed"]["requests"], 1);
    assert!(
        second["closed"]["why"]["en"]
            .as_str()
            .unwrap()
            .contains("Connection: close"),
        "{second:#}"
    );

    // The page itself, and nothing of the inspector in the site's log.
    let mut client = Client::connect(inspector);
    client.send(own("GET /", inspector).as_bytes());
    let page = client.read_reply(false);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.body_text().contains("new EventSource('/events')"));
    let log = server.stderr_until("\"HEAD / HTTP/1.1\" 200");
    assert!(
        log.iter().all(|line| !line.contains("connections.json")),
        "{log:#?}"
    );
    let mut client = Client::connect(inspector);
    let post = own("POST /", inspector).replace("\r\n\r\n", "\r\nContent-Length: 0\r\n\r\n");
    client.send(post.as_bytes());
    assert_eq!(client.read_reply(false).status, 405);
}

/// Reads one chunk of a chunked body: its size line, its bytes, its CRLF.
fn read_chunk(stream: &mut std::net::TcpStream, pending: &mut Vec<u8>) -> Vec<u8> {
    use std::io::Read;
    loop {
        if let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
            let size =
                usize::from_str_radix(std::str::from_utf8(&pending[..end]).unwrap(), 16).unwrap();
            if pending.len() >= end + 2 + size + 2 {
                let data = pending[end + 2..end + 2 + size].to_vec();
                assert_eq!(&pending[end + 2 + size..end + 4 + size], b"\r\n");
                pending.drain(..end + 4 + size);
                return data;
            }
        }
        let mut piece = [0u8; 4096];
        let read = stream.read(&mut piece).unwrap();
        assert!(
            read > 0,
            "the stream ended: {:?}",
            String::from_utf8_lossy(pending)
        );
        pending.extend_from_slice(&piece[..read]);
    }
}

#[test]
fn events_arrive_live_in_chunks_and_end_with_the_last_chunk() {
    use std::io::{Read, Write};
    let site = Site::new();
    let mut server = Binary::serving(&site.root, &["--inspect", "0", "--inspect-keep", "2"]);
    let inspector = inspector_of(&server);
    let mut events = std::net::TcpStream::connect(inspector).unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    events
        .write_all(own("GET /events", inspector).as_bytes())
        .unwrap();
    let mut pending = Vec::new();
    let head = loop {
        let mut piece = [0u8; 4096];
        let read = events.read(&mut piece).unwrap();
        pending.extend_from_slice(&piece[..read]);
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end + 4]).into_owned();
            pending.drain(..end + 4);
            break head;
        }
    };
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Transfer-Encoding: chunked\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: text/event-stream\r\n"),
        "{head}"
    );
    assert!(!head.contains("Content-Length"), "{head}");

    let mut seen = String::new();
    for path in ["/hello.txt", "/data.json", "/style.css"] {
        let mut client = Client::connect(server.addr);
        client.send(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        assert_eq!(client.read_reply(false).status, 200);
        let request_line = format!("GET {path} HTTP/1.1");
        while !seen.contains(&request_line) {
            seen.push_str(&String::from_utf8(read_chunk(&mut events, &mut pending)).unwrap());
        }
    }
    assert!(seen.contains("event: connection\ndata: {"), "{seen}");
    // Three connections with a bound of two: the oldest goes, and that is said.
    while !seen.contains("event: dropped\ndata: 1\n\n") {
        seen.push_str(&String::from_utf8(read_chunk(&mut events, &mut pending)).unwrap());
    }
    let kept = until(inspector, |now| now["dropped"] == 1);
    assert_eq!(kept["connections"].as_array().unwrap().len(), 2);
    assert_eq!(kept["keep"], 2);
    // Shutting down ends the stream properly: the last chunk, then the close.
    server.ask_to_stop();
    let mut rest = pending;
    let _ = events.read_to_end(&mut rest);
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );
    if let Some(status) = server.exit_after_stop() {
        assert!(status.success(), "exit status {status}");
    }
}

/// A report's page, and the JSON embedded in it.
fn report_of(path: &std::path::Path) -> (String, String) {
    let page = std::fs::read_to_string(path).expect("a report");
    let start = page
        .find(r#"<script id="embedded" type="application/json">"#)
        .unwrap();
    let json = page[start..].split_once('>').unwrap().1;
    let json = json.split("</script>").next().unwrap().to_string();
    (page, json)
}

#[test]
fn the_report_is_written_at_shutdown_and_holds_every_connection() {
    let site = Site::new();
    let report = site.outside.path().join("report.html");
    let report_flag = ["--report", report.to_str().unwrap(), "--trace"];
    let mut server = Binary::serving(&site.root, &report_flag);
    assert!(
        !server.banner.iter().any(|line| line.contains("Inspector")),
        "no inspector without --inspect"
    );
    visit(server.addr);
    // The server is done with both connections before it is asked to stop.
    server.wait_for_closes(2);
    server.stop();
    let (page, json) = report_of(&report);
    let data: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(data["connections"].as_array().unwrap().len(), 2, "{data:#}");
    assert_eq!(data["connections"][0]["exchanges"][1]["status"], 404);
    for outside in ["src=\"http", "href=\"http", "<link", "url("] {
        assert!(
            !page.contains(outside),
            "the report loads nothing: {outside}"
        );
    }
}

#[test]
fn inspector_and_report_errors_are_clear() {
    let site = Site::new();
    let root = site.root.to_str().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port().to_string();
    let unwritable = site.outside.path().join("no-such-dir/report.html");
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec!["--inspect", &busy_port],
            "cannot listen for the inspector on 127.0.0.1:",
        ),
        (
            vec!["--inspect", "not-a-port"],
            "is neither a port nor ADDR:PORT",
        ),
        (vec!["--inspect-keep", "0"], "--inspect-keep"),
        (
            vec!["--report", unwritable.to_str().unwrap()],
            "cannot write the report",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["--root", root, "--port", "0"];
        args.extend(&extra);
        let output = run_binary(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{extra:?}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
}

/// One request to the inspector, its head lines given whole; the reply.
fn ask(
    inspector: std::net::SocketAddr,
    method_and_path: &str,
    fields: &str,
) -> crate::common::Reply {
    let mut client = Client::connect(inspector);
    client.send(format!("{method_and_path} HTTP/1.1\r\n{fields}\r\n").as_bytes());
    client.read_reply(method_and_path.starts_with("HEAD"))
}

#[test]
fn the_inspector_answers_only_its_own_names_as_dns_rebinding_would_reach_it() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--inspect", "0"]);
    let inspector = inspector_of(&server);
    let port = inspector.port();
    // Each case: its name, the fields sent, the status for / and /connections.json.
    let cases: [(&str, String, u16); 12] = [
        ("its address", format!("Host: 127.0.0.1:{port}\r\n"), 200),
        ("localhost", format!("Host: localhost:{port}\r\n"), 200),
        ("LOCALHOST", format!("Host: LOCALHOST:{port}\r\n"), 200),
        (
            "another loopback address",
            format!("Host: 127.0.0.2:{port}\r\n"),
            200,
        ),
        ("IPv6 loopback", format!("Host: [::1]:{port}\r\n"), 200),
        (
            "its own Origin",
            format!("Host: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"),
            200,
        ),
        (
            "a rebound name",
            format!("Host: attacker.example:{port}\r\n"),
            421,
        ),
        (
            "a rebound name, no port",
            "Host: attacker.example\r\n".into(),
            421,
        ),
        (
            "localhost, another port",
            "Host: localhost:1\r\n".into(),
            421,
        ),
        (
            "localhost. with a dot",
            format!("Host: localhost.:{port}\r\n"),
            421,
        ),
        (
            "another Origin",
            format!("Host: 127.0.0.1:{port}\r\nOrigin: http://attacker.example:{port}\r\n"),
            403,
        ),
        (
            "an opaque Origin",
            format!("Host: 127.0.0.1:{port}\r\nOrigin: null\r\n"),
            403,
        ),
    ];
    for (name, fields, status) in &cases {
        for path in ["GET /", "GET /connections.json", "HEAD /events"] {
            let reply = ask(inspector, path, fields);
            assert_eq!(reply.status, *status, "{name}: {path}");
            assert!(
                reply
                    .headers
                    .iter()
                    .all(|(field, _)| !field.to_ascii_lowercase().starts_with("access-control")),
                "{name}: no CORS field ever: {:?}",
                reply.headers
            );
            if *status != 200 {
                assert!(!reply.body_text().contains("connections"), "{name}");
            }
        }
    }
    // The event stream itself is refused too, before a byte of it is sent.
    let reply = ask(inspector, "GET /events", &cases[6].1);
    assert_eq!(reply.status, 421);
}

#[test]
fn events_to_an_http_1_0_client_are_close_delimited_not_chunked() {
    use std::io::{Read, Write};
    let site = Site::new();
    let mut server = Binary::serving(&site.root, &["--inspect", "0"]);
    let inspector = inspector_of(&server);
    let mut events = std::net::TcpStream::connect(inspector).unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!(
        "GET /events HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n",
        inspector.port()
    );
    events.write_all(request.as_bytes()).unwrap();
    let mut pending = Vec::new();
    while !pending.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut piece = [0u8; 4096];
        let read = events.read(&mut piece).unwrap();
        assert!(read > 0, "closed: {:?}", String::from_utf8_lossy(&pending));
        pending.extend_from_slice(&piece[..read]);
    }
    let end = pending.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&pending[..end]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(!head.contains("Transfer-Encoding"), "RFC 9112 §6.1: {head}");
    assert!(!head.contains("Content-Length"), "{head}");
    assert!(head.contains("Connection: close\r\n"), "{head}");
    let mut client = Client::connect(server.addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
    let mut body = pending[end..].to_vec();
    while !String::from_utf8_lossy(&body).contains("GET /hello.txt HTTP/1.1") {
        let mut piece = [0u8; 4096];
        let read = events.read(&mut piece).unwrap();
        assert!(read > 0, "closed: {:?}", String::from_utf8_lossy(&body));
        body.extend_from_slice(&piece[..read]);
    }
    assert!(
        body.starts_with(b"event: connection\ndata: {"),
        "events bare, no chunk sizes: {:?}",
        String::from_utf8_lossy(&body)
    );
    server.ask_to_stop();
    let _ = events.read_to_end(&mut body);
    assert!(!body.ends_with(b"0\r\n\r\n"), "no last chunk either");
    if let Some(status) = server.exit_after_stop() {
        assert!(status.success(), "exit status {status}");
    }
}

#[test]
fn the_inspector_head_timeout_is_for_the_whole_head_and_frees_the_slot() {
    use std::io::Write;
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--inspect", "0", "--head-timeout", "1"]);
    let inspector = inspector_of(&server);
    // Sixteen viewers that drip a byte of their head every 200 ms: each read
    // is quick, the head never ends.
    let drippers: Vec<std::net::TcpStream> = (0..16)
        .map(|_| std::net::TcpStream::connect(inspector).unwrap())
        .collect();
    let started = Instant::now();
    let mut dripped = 0;
    let mut closed = 0;
    while started.elapsed() < Duration::from_millis(2500) {
        closed = 0;
        for mut dripper in &drippers {
            if dripper
                .write_all(&[b"GET /connections.json"[dripped % 21]])
                .is_err()
            {
                closed += 1;
            }
        }
        dripped += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    let fields = format!("Host: 127.0.0.1:{}\r\n", inspector.port());
    let reply = ask(inspector, "GET /connections.json", &fields);
    assert_eq!(
        reply.status, 200,
        "slots held by heads begun over a second ago ({closed} of 16 seen closed)"
    );
}

#[test]
fn a_report_that_cannot_be_written_at_shutdown_fails_the_exit_status() {
    if !crate::common::unix_only("a report directory removed while serving") {
        return;
    }
    let site = Site::new();
    let folder = site.outside.path().join("reports");
    std::fs::create_dir(&folder).unwrap();
    let report = folder.join("report.html");
    let mut server = Binary::serving(&site.root, &["--report", report.to_str().unwrap()]);
    std::fs::remove_dir_all(&folder).unwrap();
    server.ask_to_stop();
    let Some(status) = server.exit_after_stop() else {
        return;
    };
    let stderr = server.rest_of_stderr().join("\n");
    assert!(!status.success(), "exit status {status}: {stderr}");
    assert!(
        stderr.contains(&format!("cannot write the report {}", report.display())),
        "{stderr}"
    );
}

/// Requests whose target, field names and values carry what could change
/// how an HTML parser reads a script element.
const HOSTILE: [&str; 4] = ["<!--<script>", "</script>", "<![CDATA[", "\u{2028}"];

/// Sends each of [`HOSTILE`] in a target, a field name and a field value,
/// one connection each; returns how many connections.
pub fn send_hostile_requests(addr: std::net::SocketAddr) -> usize {
    let mut sent = 0;
    for hostile in HOSTILE {
        for request in [
            format!("GET /{hostile} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
            format!("GET / HTTP/1.1\r\nHost: t\r\nX{hostile}: 1\r\nConnection: close\r\n\r\n"),
            format!("GET / HTTP/1.1\r\nHost: t\r\nX-Value: {hostile}\r\nConnection: close\r\n\r\n"),
        ] {
            let mut client = Client::connect(addr);
            client.send(request.as_bytes());
            let _ = client.read_reply(false);
            sent += 1;
        }
    }
    sent
}

#[test]
fn nothing_a_client_sends_can_change_how_the_report_page_parses() {
    let site = Site::new();
    let report = site.outside.path().join("report.html");
    let report_flag = ["--report", report.to_str().unwrap(), "--trace", "--quiet"];
    let mut server = Binary::serving(&site.root, &report_flag);
    let sent = send_hostile_requests(server.addr);
    server.wait_for_closes(sent);
    server.stop();
    let (_, json) = report_of(&report);
    for unsafe_text in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
        assert!(!json.contains(unsafe_text), "{unsafe_text:?} in {json}");
    }
    let data: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        data["connections"].as_array().unwrap().len(),
        sent,
        "{data:#}"
    );
    let text = data.to_string();
    assert!(text.contains("<!--<script>"), "the data itself is kept");
}

#[test]
fn the_journal_is_bounded_in_bytes_and_drops_the_oldest() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--inspect", "0", "--quiet"]);
    let inspector = inspector_of(&server);
    // Heads of 8 KiB of backslashes, which JSON writes twice: far more than
    // the byte budget across the default 100 connections.
    let filler = "\\".repeat(8000);
    for _ in 0..30 {
        let mut client = Client::connect(server.addr);
        for _ in 0..80 {
            client.send(
                format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nX: {filler}\r\n\r\n").as_bytes(),
            );
            assert_eq!(client.read_reply(false).status, 200);
        }
    }
    let mut client = Client::connect(inspector);
    let fields = format!("Host: 127.0.0.1:{}\r\n", inspector.port());
    client.send(format!("GET /connections.json HTTP/1.1\r\n{fields}\r\n").as_bytes());
    let reply = client.read_reply(false);
    let budget = glasshttp::observe::journal::MAX_JOURNAL_BYTES;
    assert!(
        reply.body.len() <= budget + 64 * 1024,
        "{} bytes kept, budget {budget}",
        reply.body.len()
    );
    let data: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert!(
        data["dropped"].as_u64().unwrap() > 0,
        "the oldest dropped, and said"
    );
    assert!(!data["connections"].as_array().unwrap().is_empty());
}

#[test]
fn an_inspector_off_loopback_says_what_it_exposes_and_answers_to_that_address() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--inspect", "0.0.0.0:0"]);
    let warning = server
        .banner
        .iter()
        .find(|line| line.contains("not on loopback"))
        .unwrap_or_else(|| panic!("no warning: {:?}", server.banner));
    assert!(warning.contains("cookies and Authorization"), "{warning}");
    let port = inspector_of(&server).port();
    let reached = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let reply = ask(
        reached,
        "GET /connections.json",
        &format!("Host: 127.0.0.1:{port}\r\n"),
    );
    assert_eq!(reply.status, 200);
    let reply = ask(
        reached,
        "GET /connections.json",
        &format!("Host: 192.0.2.1:{port}\r\n"),
    );
    assert_eq!(reply.status, 421, "an address it was not reached on");
}

/// `--har`: at shutdown, every exchange kept as HAR 1.2, with the server's
/// timings, the connection it came on, and credentials hidden.
#[test]
fn the_har_holds_every_exchange_with_the_servers_timings() {
    let site = crate::common::Site::new();
    let har = site.outside.path().join("lab.har");
    let flags = [
        "--har",
        har.to_str().unwrap(),
        "--auth",
        "alice:s3cret",
        "--auth-path",
        "/docs/",
    ];
    let mut server = Binary::serving(&site.root, &flags);
    let mut client = Client::connect(server.addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: lab.test\r\n\r\n");
    let first = client.read_reply(false);
    let etag = first.header("etag").unwrap().to_string();
    let again =
        format!("GET /hello.txt HTTP/1.1\r\nHost: lab.test\r\nIf-None-Match: {etag}\r\n\r\n");
    client.send(again.as_bytes());
    assert_eq!(client.read_reply(false).status, 304);
    client.send(
        b"GET /docs/ HTTP/1.1\r\nHost: lab.test\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\n\r\n",
    );
    assert_eq!(client.read_reply(false).status, 200);
    drop(client);
    server.stop();
    let text = std::fs::read_to_string(&har).unwrap();
    assert!(
        !text.contains("YWxpY2U6czNjcmV0"),
        "credentials never in the file"
    );
    let archive: serde_json::Value = serde_json::from_str(&text).unwrap();
    let log = &archive["log"];
    assert_eq!(log["version"], "1.2");
    let entries = log["entries"].as_array().unwrap();
    let statuses: Vec<u64> = entries
        .iter()
        .map(|e| e["response"]["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 304, 200]);
    let first = &entries[0];
    assert_eq!(first["request"]["method"], "GET");
    assert_eq!(first["request"]["url"], "http://lab.test/hello.txt");
    assert_eq!(first["response"]["content"]["size"], 13);
    assert_eq!(
        first["response"]["content"]["mimeType"],
        "text/plain; charset=utf-8"
    );
    assert!(first["startedDateTime"].as_str().unwrap().ends_with('Z'));
    for entry in entries {
        for timing in ["send", "wait", "receive"] {
            assert!(entry["timings"][timing].as_f64().unwrap() >= 0.0, "{entry}");
        }
        // One keep-alive connection.
        assert_eq!(entry["connection"], entries[0]["connection"]);
    }
    assert!(entries[1]["comment"]
        .as_str()
        .unwrap()
        .contains("304 Not Modified"));
}
