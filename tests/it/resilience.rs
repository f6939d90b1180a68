//! Holding up under slow and greedy clients, and shutting down cleanly.

use crate::common;

use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use crate::common::{Binary, Client, Site, TestServer};
use glasshttp::Config;

#[test]
fn head_dribbled_past_the_deadline_gets_408_and_a_close() {
    // One byte every 100 ms never leaves a read waiting a whole second, so
    // only a deadline on the whole head can end this.
    let site = Site::new();
    let server = TestServer::start_config(Config {
        head_timeout: Duration::from_secs(1),
        ..TestServer::config(&site.root)
    });
    let mut client = server.connect();
    let mut writer = client.stream.try_clone().unwrap();
    let dribbler = thread::spawn(move || {
        let head = format!(
            "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: {}\r\n\r\n",
            "a".repeat(200)
        );
        let mut sent = 0;
        for byte in head.as_bytes() {
            if writer.write_all(&[*byte]).is_err() {
                break;
            }
            sent += 1;
            thread::sleep(Duration::from_millis(100));
        }
        (sent, head.len())
    });
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 408);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(client.is_closed());
    let (sent, total) = dribbler.join().unwrap();
    assert!(
        sent < total,
        "the head was cut off before it was complete ({sent} of {total})"
    );
}

#[test]
fn connections_past_the_limit_get_503_and_the_others_go_on() {
    let site = Site::new();
    let server = TestServer::start_config(Config {
        max_connections: 2,
        ..TestServer::config(&site.root)
    });
    let mut held: Vec<Client> = (0..2).map(|_| server.connect()).collect();
    for client in &mut held {
        // A response proves the connection was admitted.
        client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(client.read_reply(false).status, 200);
    }
    for _ in 0..3 {
        let mut extra = server.connect();
        extra.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        let reply = extra.read_reply(false);
        assert_eq!(reply.status, 503, "{}", reply.head);
        assert_eq!(reply.header("retry-after"), Some("1"));
        assert_eq!(reply.header("connection"), Some("close"));
        assert!(reply.body_text().contains("503 Service Unavailable"));
        assert!(extra.is_closed());
    }
    for client in &mut held {
        client.send(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(client.read_reply(false).body, b"h1 { color: red }\n");
    }
}

/// A site with a file too large to fit in the socket buffers.
fn site_with_large_file() -> Site {
    let site = Site::new();
    site.write("large.bin", vec![7u8; 48 << 20]);
    site
}

#[test]
fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
    let site = site_with_large_file();
    let server = Binary::serving_under(
        common::binary_command(),
        &site.root,
        &["--write-timeout", "1", "--quiet"],
        &[("RUST_LOG", "debug")],
    );
    let mut stalled = Client::connect(server.addr);
    stalled.send(b"GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    // The server says why it let go: no guessing at timing here.
    let line = server.wait_for_stderr("closed: WriteTimedOut");
    assert!(line.contains("connection 1 "), "{line}");

    // What the stalled client gets now ends before the announced length.
    let mut received = Vec::new();
    let _ = stalled.stream.read_to_end(&mut received);
    assert!(
        received.len() < 48 << 20,
        "the whole file should not have been sent"
    );

    let mut other = Client::connect(server.addr);
    other.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(other.read_reply(false).body, b"hello, world\n");
}

#[test]
fn shutdown_lets_a_response_in_flight_finish_closes_idle_connections_and_exits_0() {
    let site = site_with_large_file();
    let mut server = Binary::serving(&site.root, &["--quiet"]);

    let mut idle = Client::connect(server.addr);
    idle.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(idle.read_reply(false).status, 200);

    let mut in_flight = Client::connect(server.addr);
    in_flight.send(b"GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    // Read only the head: the server is now blocked sending the body.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        in_flight.stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 200 OK\r\n"));

    server.ask_to_stop();
    assert!(
        idle.is_closed(),
        "the idle connection is closed at shutdown"
    );
    let mut body = Vec::new();
    in_flight.stream.read_to_end(&mut body).unwrap();
    assert_eq!(body.len(), 48 << 20, "the response in flight is sent whole");

    let Some(status) = server.exit_after_stop() else {
        return;
    };
    assert!(status.success(), "exit status {status:?}");
    let summary = server
        .stdout_lines
        .recv_timeout(common::SOCKET_TIMEOUT)
        .unwrap();
    assert_eq!(
        summary,
        "glasshttp stopped: served 2 connections, 2 requests"
    );
}

#[test]
fn shutdown_closes_what_is_still_busy_at_the_deadline() {
    let site = site_with_large_file();
    let mut server = Binary::serving(&site.root, &["--quiet", "--shutdown-timeout", "1"]);
    let mut stalled = Client::connect(server.addr);
    stalled.send(b"GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    let mut first = [0u8; 16];
    stalled.stream.read_exact(&mut first).unwrap();

    server.signal("INT");
    let Some(status) = server.exit_after_stop() else {
        return;
    };
    assert!(status.success(), "exit status {status:?}");
    let summary = server
        .stdout_lines
        .recv_timeout(common::SOCKET_TIMEOUT)
        .unwrap();
    assert!(
        summary.ends_with("; closed 1 still busy at the deadline"),
        "{summary}"
    );
}

#[test]
fn new_connections_are_refused_once_shutdown_starts() {
    let site = Site::new();
    let mut server = Binary::serving(&site.root, &["--quiet"]);
    let addr = server.addr;
    server.ask_to_stop();
    server.exit_after_stop();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "nothing listens any more"
    );
}

#[test]
fn the_default_connection_limit_follows_the_open_file_limit() {
    if !common::unix_only("prlimit") {
        return;
    }
    let site = Site::new();
    let server = Binary::serving_under(
        common::under_prlimit("--nofile=256:4096"),
        &site.root,
        &[],
        &[("RUST_LOG", "debug")],
    );
    // The soft limit (256) was raised to the hard one (4096), less a reserve.
    let line = server.wait_for_stderr("limits allow");
    assert!(line.contains("allow 3584 connections"), "{line}");
}
