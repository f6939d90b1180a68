//! What an attacker tried after the first hardening round, each as a
//! regression test named after what it guards: a symlink swapped in during
//! a lookup, a replaced file that keeps its size and time, a write timeout
//! that must be a deadline, special files, the thread limit, Host values,
//! chunk extensions, raw bytes in targets, long methods, and
//! `Expect: 100-continue` for a request that is refused anyway.

use std::process::Command;
#[cfg(unix)]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(unix)]
use std::sync::Arc;
#[cfg(unix)]
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{self, Binary, Client, Site, TestServer};

#[cfg(unix)]
#[test]
fn a_directory_swapped_for_a_symlink_during_lookups_never_leaks_the_outside() {
    if !common::unix_only("symlinks") {
        return;
    }
    // `box` flips between a real directory and an absolute symlink to the
    // outside (which makes openat2 refuse, so the fallback decides), as
    // fast as it can, while a client asks for box/x.txt.
    let site = Site::new();
    let outside = site.outside.path().join("elsewhere");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("x.txt"), "SECRET").unwrap();
    let real = site.root.join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::write(real.join("x.txt"), "inside").unwrap();
    let server = TestServer::start(&site.root);
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, root, outside) = (Arc::clone(&stop), site.root.clone(), outside.clone());
        thread::spawn(move || {
            let (link, dir, swap) = (
                root.join("box-link"),
                root.join("box-dir"),
                root.join("box"),
            );
            std::os::unix::fs::symlink(&outside, &link).unwrap();
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("x.txt"), "inside").unwrap();
            let mut flips = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let from = if flips % 2 == 0 { &link } else { &dir };
                // Renaming in the other way round next time: a symlink and
                // a directory take turns at `box`.
                std::fs::rename(from, &swap).unwrap();
                std::fs::rename(&swap, from).unwrap();
                flips += 1;
            }
            flips
        })
    };
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut client = server.connect();
    let (mut asked, mut inside) = (0, 0);
    while Instant::now() < deadline {
        client.send(b"GET /box/x.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        let reply = client.read_reply(false);
        asked += 1;
        assert_ne!(reply.body_text(), "SECRET", "request {asked} left the root");
        inside += usize::from(reply.status == 200);
    }
    stop.store(true, Ordering::Relaxed);
    let flips = swapper.join().unwrap();
    assert!(
        flips > 100 && asked > 100,
        "{flips} flips, {asked} requests"
    );
    // The test raced for real: some lookups found the directory.
    assert!(
        inside > 0,
        "none of {asked} requests found the real directory"
    );
}

#[test]
fn a_replaced_file_with_the_same_size_and_time_gets_a_new_etag() {
    // cp -p, tar, rsync -t: another file, same length, same mtime.
    let site = Site::new();
    site.write("page.txt", "version A\n");
    let server = TestServer::start(&site.root);
    let first = server.get("GET /page.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    let etag = first.header("etag").unwrap().to_string();
    let modified = std::fs::metadata(site.root.join("page.txt"))
        .unwrap()
        .modified()
        .unwrap();
    let replacement = site.outside.path().join("page.txt");
    std::fs::write(&replacement, "version B\n").unwrap();
    let file = std::fs::File::options()
        .write(true)
        .open(&replacement)
        .unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    std::fs::rename(&replacement, site.root.join("page.txt")).unwrap();

    let second = server.get("GET /page.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(second.body_text(), "version B\n");
    assert_ne!(
        second.header("etag"),
        Some(etag.as_str()),
        "same ETag for new bytes"
    );
    let revalidated = server.get(&format!(
        "GET /page.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n"
    ));
    assert_eq!(revalidated.status, 200, "a stale 304");
    let spliced = server.get(&format!(
        "GET /page.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=8-\r\nIf-Range: {etag}\r\n\r\n"
    ));
    assert_eq!(spliced.status, 200, "an If-Range 206 of the new bytes");
}

#[test]
fn a_client_that_stops_reading_is_dropped_once_the_write_timeout_passes_without_progress() {
    let site = Site::new();
    site.write("large.bin", vec![7u8; 64 << 20]);
    let timeout = 3;
    let server = Binary::serving_under(
        common::binary_command(),
        &site.root,
        &["--write-timeout", &timeout.to_string(), "--quiet"],
        &[("RUST_LOG", "debug")],
    );
    let mut stalled = Client::connect(server.addr);
    let asked = Instant::now();
    stalled.send(b"GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    server.wait_for_stderr("closed: WriteTimedOut");
    // The buffers fill at once, and then nothing moves: the server must let
    // go one timeout later, not one timeout per write call (which took 3x).
    // A generous bound, since only the order of magnitude is in question.
    let waited = asked.elapsed();
    assert!(
        waited < Duration::from_secs(2 * timeout + 1),
        "dropped after {waited:?} with --write-timeout {timeout}"
    );
}

#[cfg(unix)]
#[test]
fn a_socket_file_in_the_root_is_404_without_an_error_line() {
    if !common::unix_only("Unix domain sockets") {
        return;
    }
    let site = Site::new();
    let _listener = std::os::unix::net::UnixListener::bind(site.root.join("app.sock")).unwrap();
    let server = Binary::serving(&site.root, &[]);
    let mut client = Client::connect(server.addr);
    client.send(b"GET /app.sock HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 404);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
    let lines = server.stderr_until("\"GET /hello.txt HTTP/1.1\" 200");
    assert!(
        lines.iter().all(|line| !line.contains("error")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("\"GET /app.sock HTTP/1.1\" 404")),
        "{lines:#?}"
    );
}

#[cfg(unix)]
#[test]
fn when_no_thread_can_be_started_new_clients_get_503_and_accepting_goes_on() {
    if !common::unix_only("RLIMIT_NPROC") || !common::require_program("setpriv") {
        return;
    }
    // An unprivileged user (the limit does not bind root) allowed few tasks:
    // the server, its signal thread and a handful of connection threads.
    let site = Site::new();
    let command = common::as_nobody(&site, &["prlimit", "--nproc=12"]);
    let server = Binary::serving_under(
        command,
        &site.root,
        &[
            "--quiet",
            "--max-connections",
            "1000",
            "--idle-timeout",
            "30",
        ],
        &[],
    );
    // Hold connections, each with its own thread, until one is refused.
    let (held, refused) = common::hold_until_refused(server.addr, 40);
    assert_eq!(refused.status, 503, "{}", refused.head);
    assert_eq!(refused.header("retry-after"), Some("1"));
    // Accepting goes on: another client is answered too (503 again, while
    // every thread is taken).
    let mut again = Client::connect(server.addr);
    again.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(again.read_reply(false).status, 503);
    // Once connections close, their threads serve new ones.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut client = Client::connect(server.addr);
        client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        if client.read_reply(false).status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "threads never came back");
        thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(unix)]
#[test]
fn the_default_connection_limit_follows_the_task_limit_too() {
    if !common::unix_only("RLIMIT_NPROC") || !common::require_program("setpriv") {
        return;
    }
    let site = Site::new();
    let command = common::as_nobody(&site, &["prlimit", "--nproc=200"]);
    let server = Binary::serving_under(command, &site.root, &[], &[("RUST_LOG", "debug")]);
    let line = server.wait_for_stderr("allow");
    let allowed: usize = line
        .split_whitespace()
        .find_map(|word| word.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(allowed < 200, "{line}");
}

#[test]
fn invalid_host_values_get_400() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let refused = [
        "a@b",
        "user:pass@example.com",
        "a/b",
        "a b",
        "\"quoted\"",
        "a,b",
        "a, b",
        "[::1",
        "[::1]x",
        "[zz]",
        "example.com:65536",
        "example.com:99999999999",
        "example.com:8o",
        "exa%zzmple.com",
        "",
    ];
    for host in refused {
        let reply = server.get(&format!("GET /hello.txt HTTP/1.1\r\nHost: {host}\r\n\r\n"));
        assert_eq!(reply.status, 400, "Host: {host:?}");
    }
    let accepted = [
        "example.com",
        "EXAMPLE.com:8080",
        "127.0.0.1",
        "127.0.0.1:65535",
        "[::1]",
        "[::1]:8080",
        "[v1.fe]",
        "xn--fsq.example",
        "a-b_c~d.e",
        "ex%41mple.com",
        "example.com:",
    ];
    for host in accepted {
        let reply = server.get(&format!("GET /hello.txt HTTP/1.1\r\nHost: {host}\r\n\r\n"));
        assert_eq!(reply.status, 200, "Host: {host:?}");
    }
    // HTTP/1.0 may leave Host out or empty; there is no http URI to name.
    let reply = server.get("GET /hello.txt HTTP/1.0\r\nHost:\r\n\r\n");
    assert_eq!(reply.status, 200);
}

#[test]
fn an_absolute_form_target_is_answered_from_its_own_authority() {
    // RFC 9112 §3.2.2: the target's authority wins over Host.
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let reply = server.get("GET http://other.example/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body_text(), "hello, world\n");
}

#[test]
fn chunk_extensions_follow_their_grammar() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let with_extension = |extension: &str| {
        format!(
            "GET /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
             3{extension}\r\nabc\r\n0\r\n\r\n"
        )
    };
    for extension in [
        ";",
        ";=",
        ";a=",
        ";a b",
        ";a=b c",
        ";a=\"open",
        ";\"q\"",
        "; ;a",
        ";a=b;",
    ] {
        let reply = server.get(&with_extension(extension));
        assert_eq!(reply.status, 400, "extension {extension:?}");
        assert_eq!(reply.header("connection"), Some("close"), "{extension:?}");
    }
    for extension in [
        ";a",
        ";a=b",
        ";a=\"q \\\" x\"",
        "; a = b",
        ";a;b=c",
        ";a=\"\"",
    ] {
        let reply = server.get(&with_extension(extension));
        assert_eq!(reply.status, 200, "extension {extension:?}");
    }
}

#[test]
fn raw_bytes_outside_ascii_in_a_target_are_400() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    client.send(b"GET /caf\xc3\xa9.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 400);
    // Percent-encoded, the same name is just a missing file.
    let reply = server.get("GET /caf%C3%A9.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 404);
}

#[test]
fn a_method_longer_than_the_request_line_limit_is_501() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let method = "M".repeat(9 * 1024);
    let reply = server.get(&format!("{method} / HTTP/1.1\r\nHost: t\r\n\r\n"));
    assert_eq!(reply.status, 501);
    // A long target is still 414.
    let target = "a".repeat(9 * 1024);
    let reply = server.get(&format!("GET /{target} HTTP/1.1\r\nHost: t\r\n\r\n"));
    assert_eq!(reply.status, 414);
}

#[test]
fn a_refused_request_that_expects_100_continue_gets_its_status_and_no_go_ahead() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let cases = [("POST", 405), ("BREW", 501)];
    for (method, status) in cases {
        let mut client = server.connect();
        // The body is never sent: a client waiting for 100 Continue.
        client.send(
            format!(
                "{method} /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"
            )
            .as_bytes(),
        );
        let reply = client.read_reply(false);
        assert_eq!(reply.status, status, "{method}: {}", reply.head);
        assert_eq!(reply.header("connection"), Some("close"), "{method}");
        assert!(client.is_closed(), "{method}");
    }
    // A request that will be served still gets its go-ahead.
    let mut client = server.connect();
    client.send(
        b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
    );
    assert_eq!(client.read_reply(false).status, 100);
    client.send(b"ok");
    assert_eq!(client.read_reply(false).status, 200);
}

/// A FIFO in a temporary directory, and a process holding its other end
/// that runs `reader` (a shell command reading from standard input).
fn fifo_with_reader(
    dir: &std::path::Path,
    reader: &str,
) -> (std::path::PathBuf, std::process::Child) {
    let fifo = dir.join("capture.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let child = Command::new("sh")
        .args(["-c", &format!("{reader} < '{}'", fifo.display())])
        .spawn()
        .unwrap();
    (fifo, child)
}

/// Starts the binary over `site`, capturing into `capture` with `extra`
/// flags, and asks for /hello.txt `requests` times on one connection, each
/// answered 200; returns the server, ready to stop.
fn capture_while_serving(
    site: &Site,
    capture: &std::path::Path,
    extra: &[&str],
    requests: usize,
) -> Binary {
    let mut args = vec!["--quiet", "--capture", capture.to_str().unwrap()];
    args.extend_from_slice(extra);
    let server = Binary::serving(&site.root, &args);
    let mut client = Client::connect(server.addr);
    for _ in 0..requests {
        client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(client.read_reply(false).status, 200);
    }
    server
}

#[test]
fn a_capture_sink_that_stops_reading_never_stalls_serving() {
    if !common::unix_only("a FIFO") {
        return;
    }
    // A paused Wireshark: the FIFO is open, and nobody reads it.
    let site = Site::new();
    let (fifo, mut reader) = fifo_with_reader(site.outside.path(), "exec sleep 60");
    let mut server = capture_while_serving(&site, &fifo, &["--trace"], 1500);
    server.stop();
    let summary = server
        .stdout_lines
        .recv_timeout(common::SOCKET_TIMEOUT)
        .unwrap();
    assert!(
        summary.contains("the capture dropped") && summary.contains("packets"),
        "{summary}"
    );
    let stderr: Vec<String> = server.rest_of_stderr();
    let warnings = stderr
        .iter()
        .filter(|l| l.contains("cannot keep up"))
        .count();
    assert_eq!(warnings, 1, "one warning, however many drops");
    // The trace says so when the connection closes.
    assert!(
        stderr
            .iter()
            .any(|l| l.starts_with("[conn 1] capture: ") && l.contains("packets dropped so far")),
        "the trace does not report the drops"
    );
    let _ = reader.kill();
    let _ = reader.wait();
}

#[test]
fn the_capture_file_stops_at_its_limit_and_says_so_once() {
    let site = Site::new();
    let capture = site.outside.path().join("lab.pcap");
    let mut server = capture_while_serving(&site, &capture, &["--capture-limit", "4K"], 50);
    server.stop();
    let size = std::fs::metadata(&capture).unwrap().len();
    assert!(size <= 4096 && size > 1024, "{size} bytes");
    let lines: Vec<String> = server.rest_of_stderr();
    let warnings = lines
        .iter()
        .filter(|l| l.contains("reached its limit"))
        .count();
    assert_eq!(warnings, 1, "{lines:#?}");
}

#[test]
fn a_capture_write_error_is_one_warning_that_says_write() {
    if !common::unix_only("a FIFO") {
        return;
    }
    // The reader takes the file's first 4 KiB and goes: every write after
    // that fails (EPIPE). It must outlast the file's start (the section and
    // interface blocks, under 1 KiB), or the server cannot even start: a
    // reader that left after 300 bytes raced the second of those writes.
    // 300 exchanges write well over a pipe's 64 KiB, so some write comes
    // after the reader has gone however fast the writer is.
    let site = Site::new();
    let (fifo, mut reader) = fifo_with_reader(site.outside.path(), "head -c 4096 > /dev/null");
    let mut server = capture_while_serving(&site, &fifo, &[], 300);
    let _ = reader.wait();
    server.stop();
    let lines: Vec<String> = server.rest_of_stderr();
    let warnings: Vec<&String> = lines.iter().filter(|l| l.contains("capture:")).collect();
    assert_eq!(warnings.len(), 1, "{lines:#?}");
    assert!(warnings[0].contains("cannot write"), "{}", warnings[0]);
    assert!(
        !lines.iter().any(|l| l.contains("Error reading bytes")),
        "{lines:#?}"
    );
}

#[test]
fn a_capture_limit_that_is_not_a_size_is_a_clear_error() {
    for bad in ["abc", "0", "12X", "-5"] {
        let flag = format!("--capture-limit={bad}");
        let output = common::run_binary(&["--capture", "x.pcap", &flag]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--capture-limit"), "{bad}: {stderr}");
    }
}

#[test]
fn a_cached_file_changed_or_replaced_with_the_same_size_and_time_is_served_fresh_at_once() {
    if !common::unix_only("a change time: a Windows stamp has none (docs/GUARANTEES.md)") {
        return;
    }
    // Cached at once (no settle time), and answered from the cache after one
    // stat of the path: a change must be seen on the very next request.
    let site = Site::new();
    site.write("page.txt", "version A\n");
    let server = TestServer::start_settled(&site.root);
    let mut client = server.connect();
    let mut get = |expected: &str| {
        for _ in 0..3 {
            client.send(b"GET /page.txt HTTP/1.1\r\nHost: t\r\n\r\n");
            assert_eq!(client.read_reply(false).body_text(), expected);
        }
    };
    get("version A\n");
    let path = site.root.join("page.txt");
    let keep_time = |path: &std::path::Path, time| {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(time).unwrap();
    };
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    // Changed in place: same size, the time put back.
    std::fs::write(&path, "version B\n").unwrap();
    keep_time(&path, modified);
    get("version B\n");
    // Replaced by rename: same size, same time.
    let replacement = site.outside.path().join("page.txt");
    std::fs::write(&replacement, "version C\n").unwrap();
    keep_time(&replacement, modified);
    std::fs::rename(&replacement, &path).unwrap();
    get("version C\n");
}
