//! `--capture`: a real session recorded by the binary, then read back by
//! tshark (Debian package `tshark`), which must find the requests, the
//! statuses, the reuse of one connection, the exact bytes, and nothing
//! malformed.

use crate::common;

use std::path::Path;
use std::process::Command;

use crate::common::{require_program, www, Binary, Client};

/// Runs tshark on `capture`, the server's `port` decoded as HTTP, with
/// `args`; returns its standard output. A test server's port is random:
/// without `-d`, tshark tries the lower port's dissector first, and a client
/// port that happens to be lower and registered to another protocol
/// (44818 is EtherNet/IP's) hides that connection's HTTP. 8080 is HTTP's
/// already, so a lab's capture needs no `-d`.
pub fn tshark(capture: &Path, port: u16, args: &[&str]) -> String {
    let output = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(["-d", &format!("tcp.port=={port},http")])
        .args(args)
        .output()
        .expect("run tshark");
    assert!(output.status.success(), "tshark {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The bytes each side sent on one TCP stream, from `tshark -z follow`:
/// (client to server, server to client).
fn followed(capture: &Path, port: u16, stream: u32) -> (Vec<u8>, Vec<u8>) {
    let text = tshark(
        capture,
        port,
        &["-q", "-z", &format!("follow,tcp,raw,{stream}")],
    );
    let (mut client, mut server) = (Vec::new(), Vec::new());
    let is_hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    for line in text.lines() {
        let (side, hex) = match line.strip_prefix('\t') {
            Some(hex) => (&mut server, hex),
            None => (&mut client, line),
        };
        if !is_hex(hex) {
            continue;
        }
        for pair in hex.as_bytes().chunks(2) {
            side.push(u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap());
        }
    }
    (client, server)
}

/// What a client sent and received on one connection.
type Exchanged = (Vec<u8>, Vec<u8>);

/// Starts a server that captures, plays the lab's exchanges on it, stops
/// it, and returns the capture with what the client sent and received on
/// each of its two connections.
fn record_session(bind: &str, dir: &Path) -> (std::path::PathBuf, u16, [Exchanged; 2]) {
    let capture = dir.join("lab.pcapng");
    let root = www();
    let mut server = Binary::serving(
        &root,
        &[
            "--bind",
            bind,
            "--quiet",
            "--trace",
            "--capture",
            capture.to_str().unwrap(),
        ],
    );
    let mut sessions: [Exchanged; 2] = Default::default();

    // One kept-alive connection: the page, its revalidation, a range.
    let mut client = Client::connect(server.addr);
    let mut etag = String::new();
    let heads = [
        "GET / HTTP/1.1\r\nHost: lab\r\n\r\n".to_string(),
        String::new(), // filled with the ETag of the first response
        "GET /introduction.mp3 HTTP/1.1\r\nHost: lab\r\nRange: bytes=0-\r\n\r\n".to_string(),
    ];
    for (index, head) in heads.iter().enumerate() {
        let head = if index == 1 {
            format!("GET / HTTP/1.1\r\nHost: lab\r\nIf-None-Match: {etag}\r\n\r\n")
        } else {
            head.clone()
        };
        client.send(head.as_bytes());
        let reply = client.read_reply(false);
        if index == 0 {
            etag = reply.header("etag").unwrap().to_string();
        }
        sessions[0].0.extend_from_slice(head.as_bytes());
        sessions[0].1.extend_from_slice(reply.head.as_bytes());
        sessions[0].1.extend_from_slice(&reply.body);
    }
    drop(client);

    // A second connection: a missing favicon, then the server closes.
    let mut client = Client::connect(server.addr);
    let head = "GET /favicon.ico HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n";
    client.send(head.as_bytes());
    let reply = client.read_reply(false);
    assert!(client.is_closed());
    drop(client);
    sessions[1].0.extend_from_slice(head.as_bytes());
    sessions[1].1.extend_from_slice(reply.head.as_bytes());
    sessions[1].1.extend_from_slice(&reply.body);

    // The trace says a connection closed once its close is recorded whole
    // (the server lingers for the client's FIN): a stop asked before then
    // would cut the linger short and the capture would lack that FIN.
    for _ in 0..2 {
        server.wait_for_stderr("] closed: ");
    }
    let port = server.addr.port();
    server.stop();
    (capture, port, sessions)
}

fn check_capture(bind: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (capture, port, sessions) = record_session(bind, dir.path());

    // The requests and statuses, on which TCP stream each travelled.
    let http = tshark(
        &capture,
        port,
        &[
            "-Y",
            "http",
            "-T",
            "fields",
            "-E",
            "separator=,",
            "-e",
            "tcp.stream",
            "-e",
            "http.request.method",
            "-e",
            "http.request.uri",
            "-e",
            "http.response.code",
        ],
    );
    let rows: Vec<&str> = http.lines().collect();
    assert_eq!(
        rows,
        [
            "0,GET,/,",
            "0,,,200",
            "0,GET,/,",
            "0,,,304",
            "0,GET,/introduction.mp3,",
            "0,,,206",
            "1,GET,/favicon.ico,",
            "1,,,404",
        ],
        "three exchanges reuse stream 0; the 404 has a stream of its own"
    );

    // Nothing malformed, no expert warning or error.
    let complaints = tshark(
        &capture,
        port,
        &["-Y", "_ws.malformed or _ws.expert.severity >= 0x00600000"],
    );
    assert_eq!(complaints, "", "tshark complains");

    // A handshake and a close for each connection.
    let flags = tshark(
        &capture,
        port,
        &[
            "-T",
            "fields",
            "-e",
            "tcp.stream",
            "-e",
            "tcp.flags.str",
            "-Y",
            "tcp.flags.syn == 1 or tcp.flags.fin == 1",
        ],
    );
    for stream in ["0", "1"] {
        let of_stream: Vec<&str> = flags
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{stream}\t")))
            .map(|f| f.trim_matches('·'))
            .collect();
        let syns = of_stream.iter().filter(|f| f.contains('S')).count();
        let fins = of_stream.iter().filter(|f| f.contains('F')).count();
        assert_eq!((syns, fins), (2, 2), "stream {stream}: {of_stream:?}");
    }

    check_tcp_as_it_was(&capture, port);

    // The bytes exactly as the client sent and received them.
    for (stream, (sent, received)) in (0..).zip(&sessions) {
        let (from_client, from_server) = followed(&capture, port, stream);
        assert!(from_client == *sent, "stream {stream}: client bytes differ");
        assert!(
            from_server == *received,
            "stream {stream}: server bytes differ"
        );
    }
}

/// The file is pcapng and says, in its section comment, that its TCP/IP
/// headers are reconstructed; on Linux each SYN and SYN-ACK carries the
/// options the kernel says were negotiated, the handshake is spaced by the
/// round-trip time, and data travels in segments of the connection's MSS.
fn check_tcp_as_it_was(capture: &Path, port: u16) {
    let magic = std::fs::read(capture).unwrap()[..4].to_vec();
    assert_eq!(magic, [0x0a, 0x0d, 0x0d, 0x0a], "a pcapng section header");
    if require_program("capinfos") {
        let info = Command::new("capinfos").arg(capture).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(info.contains("pcapng"), "{info}");
        assert!(
            info.contains("TCP/IP headers reconstructed by glasshttp"),
            "{info}"
        );
    }
    let syns = tshark(
        capture,
        port,
        &[
            "-Y",
            "tcp.flags.syn == 1",
            "-T",
            "fields",
            "-E",
            "separator=,",
            "-e",
            "tcp.flags.ack",
            "-e",
            "tcp.options.mss_val",
            "-e",
            "tcp.options.wscale.shift",
            "-e",
            "tcp.options.sack_perm",
            "-e",
            "frame.comment",
        ],
    );
    let rows: Vec<Vec<&str>> = syns.lines().map(|l| l.splitn(5, ',').collect()).collect();
    assert_eq!(rows.len(), 4, "{syns}");
    for row in &rows {
        let comment = row[4];
        let expected = if row[0] == "False" || row[0] == "0" {
            "SYN"
        } else {
            "SYN-ACK"
        };
        assert!(comment.contains(expected), "{row:?}");
        if !crate::common::kernel_tells_tcp() {
            // No facts: no options, and the packet says why.
            assert!(row[1].is_empty() && row[2].is_empty(), "{row:?}");
            assert!(
                !expected.starts_with("SYN-") || comment.contains("made up"),
                "{row:?}"
            );
            assert!(
                expected != "SYN" || comment.contains("kept no copy"),
                "{row:?}"
            );
        } else {
            let mss: u32 = row[1].parse().unwrap_or(0);
            // Loopback's MTU gives an MSS far above an Ethernet's 1460.
            assert!(mss > 1460, "MSS from the kernel: {row:?}");
            assert!(!row[2].is_empty(), "window scale: {row:?}");
            assert!(!row[3].is_empty(), "SACK permitted: {row:?}");
        }
    }
    if crate::common::kernel_tells_tcp() {
        let times = tshark(
            capture,
            port,
            &[
                "-Y",
                "tcp.stream == 0 and frame.number <= 3",
                "-T",
                "fields",
                "-e",
                "frame.time_epoch",
            ],
        );
        let times: Vec<f64> = times.lines().map(|t| t.parse().unwrap()).collect();
        assert!(times[0] < times[2], "spaced by the RTT: {times:?}");
        // The 3 KB page is one segment: the loopback MSS, not 1460.
        let lengths = tshark(
            capture,
            port,
            &["-Y", "http.response", "-T", "fields", "-e", "tcp.len"],
        );
        let first: u32 = lengths.lines().next().unwrap().parse().unwrap();
        assert!(first > 1460, "{lengths}");
    }
}

#[test]
fn tshark_reads_a_capture_of_a_lab_session_over_ipv4() {
    if require_program("tshark") {
        check_capture("127.0.0.1");
    }
}

#[test]
fn tshark_reads_a_capture_of_a_lab_session_over_ipv6() {
    if !require_program("tshark") {
        return;
    }
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        crate::common::say_skipped("this machine has no IPv6 loopback");
        return;
    }
    check_capture("::1");
}

#[test]
fn an_unwritable_capture_path_is_a_clear_error() {
    let root = www();
    let output = common::run_binary(&[
        "--root",
        root.to_str().unwrap(),
        "--port",
        "0",
        "--capture",
        "/nonexistent-dir/lab.pcap",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot write the capture /nonexistent-dir/lab.pcap"),
        "{stderr}"
    );
}

#[test]
fn a_client_port_another_protocol_owns_still_reads_as_http() {
    if !require_program("tshark") {
        return;
    }
    // 44818 is EtherNet/IP's port; the server above it, as a test's random
    // port may be: tshark would try the lower port's protocol first.
    let Some(client) = (0..20).find_map(|_| {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).ok()?;
        socket.set_reuse_address(true).ok()?;
        socket
            .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 44818)).into())
            .ok()?;
        Some(socket)
    }) else {
        crate::common::say_skipped("port 44818 is taken");
        return;
    };
    let Some(port) =
        (45000..45100).find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
    else {
        crate::common::say_skipped("no free port above 44818");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("enip.pcap");
    let port_text = port.to_string();
    let root = www();
    let args = [
        "--root",
        root.to_str().unwrap(),
        "--bind",
        "127.0.0.1",
        "--port",
        &port_text,
        "--quiet",
        "--capture",
        capture.to_str().unwrap(),
    ];
    let mut server = Binary::start_command(common::binary_command(), &args, &[]);
    client.connect(&server.addr.into()).unwrap();
    let mut stream: std::net::TcpStream = client.into();
    use std::io::{Read, Write};
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    assert!(reply.starts_with(b"HTTP/1.1 200 OK"));
    server.stop();
    let http = tshark(
        &capture,
        port,
        &["-Y", "http", "-T", "fields", "-e", "tcp.srcport"],
    );
    assert_eq!(http.lines().count(), 2, "request and response: {http}");
}

/// The decisions ride in the file a student hands in: the first segment of
/// each request names it, and the first of each answer carries why, in
/// `--lang`'s language, as Wireshark shows packet comments.
#[test]
fn each_request_and_answer_is_commented_with_its_decisions() {
    if !require_program("tshark") {
        return;
    }
    let site = crate::common::Site::new();
    let capture = site.outside.path().join("commented.pcapng");
    let capture_flag = capture.to_str().unwrap();
    let mut server = Binary::serving(&site.root, &["--capture", capture_flag, "--lang", "zh"]);
    let mut client = Client::connect(server.addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    let first = client.read_reply(false);
    let etag = first.header("etag").unwrap().to_string();
    client.send(
        format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n").as_bytes(),
    );
    assert_eq!(client.read_reply(false).status, 304);
    drop(client);
    server.stop();
    let comments = tshark(
        &capture,
        server.addr.port(),
        &["-Y", "frame.comment", "-T", "fields", "-e", "frame.comment"],
    );
    let lines: Vec<&str> = comments
        .lines()
        .filter(|l| l.starts_with("[连接"))
        .collect();
    assert_eq!(lines[0], "[连接 1 #1] 请求", "{comments}");
    assert!(
        lines[1].starts_with("[连接 1 #1] 200 OK: GET /hello.txt -> 文件 /hello.txt"),
        "{comments}"
    );
    assert_eq!(lines[2], "[连接 1 #2] 请求", "{comments}");
    assert!(
        lines[3].starts_with("[连接 1 #2] 304 Not Modified"),
        "{comments}"
    );
    assert!(
        lines[3].contains("If-None-Match 与当前的 ETag 匹配"),
        "{comments}"
    );
}
