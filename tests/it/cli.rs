//! The real binary: banner, flags, clear start-up errors, the access log.

use crate::common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::common::{run_binary, Binary, Client, Site};

#[test]
fn banner_names_the_root_the_url_and_how_to_stop() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &[]);
    let banner = server.banner.join("\n");
    let root = common::shown_path(&site.root);
    assert!(banner.contains(&format!("serving {root}")), "{banner}");
    assert!(
        banner.contains(&format!(" * Running on http://{}/", server.addr)),
        "{banner}"
    );
    assert!(banner.contains("Ctrl-C to stop"), "{banner}");
    assert_eq!(server.addr.ip().to_string(), "127.0.0.1");
    assert_ne!(server.addr.port(), 0, "port 0 is replaced by the real port");
}

#[test]
fn unspecified_address_lists_the_machine_addresses() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--bind", "0.0.0.0"]);
    let banner = server.banner.join("\n");
    assert!(
        banner.contains("Running on all addresses (0.0.0.0)"),
        "{banner}"
    );
    assert!(
        banner.contains(&format!("http://127.0.0.1:{}/", server.addr.port())),
        "{banner}"
    );
    let mut client = Client::connect(server.addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
}

#[test]
fn ipv6_loopback_is_served() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        crate::common::say_skipped("this machine has no IPv6 loopback");
        return;
    }
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--bind", "::1"]);
    assert!(
        server.banner.join("\n").contains("http://[::1]:"),
        "{:?}",
        server.banner
    );
    let mut client = Client::connect(server.addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: [::1]\r\n\r\n");
    assert_eq!(client.read_reply(false).body, b"hello, world\n");
}

/// Whether `addr` answers a GET with 200.
fn answers(addr: std::net::SocketAddr) -> bool {
    let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
        return false;
    };
    drop(stream);
    let mut client = Client::connect(addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    client.read_reply(false).status == 200
}

#[test]
fn with_no_bind_both_loopback_families_answer_on_one_port() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        crate::common::say_skipped("this machine has no IPv6 loopback");
        return;
    }
    let site = Site::new();
    let server = Binary::serving(&site.root, &[]);
    let port = server.addr.port();
    let running: Vec<&String> = server
        .banner
        .iter()
        .filter(|line| line.starts_with(" * Running on "))
        .collect();
    assert_eq!(
        running,
        [
            &format!(" * Running on http://127.0.0.1:{port}/"),
            &format!(" * Running on http://[::1]:{port}/")
        ],
        "{:?}",
        server.banner
    );
    for ip in ["127.0.0.1", "::1"] {
        let addr = std::net::SocketAddr::new(ip.parse().unwrap(), port);
        assert!(answers(addr), "{addr}");
    }
}

#[test]
fn bind_to_the_ipv6_wildcard_serves_ipv4_too_and_one_address_is_one_family() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        crate::common::say_skipped("this machine has no IPv6 loopback");
        return;
    }
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--bind", "::"]);
    let port = server.addr.port();
    for ip in ["127.0.0.1", "::1"] {
        let addr = std::net::SocketAddr::new(ip.parse().unwrap(), port);
        assert!(answers(addr), "--bind :: on {addr}");
    }
    let cases = [("127.0.0.1", "::1"), ("::1", "127.0.0.1")];
    for (bound, other) in cases {
        let server = Binary::serving(&site.root, &["--bind", bound]);
        let port = server.addr.port();
        let addr = std::net::SocketAddr::new(other.parse().unwrap(), port);
        assert!(!answers(addr), "--bind {bound} must not answer on {addr}");
    }
}

#[test]
fn start_up_errors_are_clear_and_exit_non_zero() {
    let site = Site::new();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port().to_string();
    let root = site.root.to_str().unwrap();
    let file = site.root.join("hello.txt");
    let missing = site.root.join("no-such-dir");
    let cases: Vec<(&str, Vec<&str>, i32, String)> = vec![
        (
            "port in use",
            vec!["--root", root, "--port", &busy_port],
            1,
            format!(
                "127.0.0.1:{busy_port} is already in use: glasshttp may already be running in \
                 another window; close it, or pass --port {} (or --port 0 for any free port)",
                busy.local_addr().unwrap().port() + 1
            ),
        ),
        (
            "missing root",
            vec!["--root", missing.to_str().unwrap(), "--port", "0"],
            1,
            "there is no folder".into(),
        ),
        (
            "root is a file",
            vec!["--root", file.to_str().unwrap(), "--port", "0"],
            1,
            "is a file, not a folder".into(),
        ),
        (
            "bad port",
            vec!["--port", "99999"],
            2,
            "invalid value '99999' for '--port".into(),
        ),
        (
            "bad address",
            vec!["--bind", "localhost:80"],
            2,
            "invalid value 'localhost:80' for '--bind".into(),
        ),
        (
            "bad timeout",
            vec!["--idle-timeout", "0"],
            2,
            "--idle-timeout".into(),
        ),
        (
            "unknown flag",
            vec!["--frobnicate"],
            2,
            "unexpected argument '--frobnicate'".into(),
        ),
    ];
    for (name, args, code, message) in cases {
        let output = run_binary(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{name}: {stderr}");
        assert!(stderr.contains(&message), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    drop(busy);
}

#[test]
fn help_and_version_describe_the_program() {
    let help = run_binary(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--root",
        "--bind",
        "--port",
        "--idle-timeout",
        "--quiet",
        "--help",
        "--version",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}: {text}");
    }
    let version = run_binary(&["--version"]);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        concat!("glasshttp ", env!("CARGO_PKG_VERSION"))
    );
}

/// `--help` ends by saying where the lab guides are and that they open with
/// a double-click, in the system's language (the Windows build reads it
/// from Wine, which takes it from the same variables).
#[test]
fn help_names_the_guides_in_the_systems_language() {
    let help_under = |locale: &str| {
        let output = common::binary_command()
            .arg("--help")
            .env("LC_ALL", locale)
            .output()
            .expect("run glasshttp --help");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let chinese = help_under("zh_CN.UTF-8");
    assert!(
        chinese.contains("LAB.zh-CN.html（中文）和 LAB.html（English）双击即可打开"),
        "{chinese}"
    );
    let english = help_under("C");
    assert!(
        english.contains("LAB.html (English) and LAB.zh-CN.html (中文) in the Windows folder open with a double-click"),
        "{english}"
    );
    assert!(!english.contains("双击"), "{english}");
}

#[test]
fn access_log_writes_one_common_log_format_line_per_request() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &[]);
    let mut client = Client::connect(server.addr);
    client.send(
        b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\nHEAD /missing HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    client.read_reply(false);
    client.read_reply(true);
    // A request line that tries to forge a second log line.
    client.send(b"GET /a\"\x1b[2J HTTP/1.1\r\nHost: t\r\n\r\n");
    client.read_reply(false);

    let lines = [
        server.next_stderr_line(),
        server.next_stderr_line(),
        server.next_stderr_line(),
    ];
    let patterns = [
        r#"] "GET /hello.txt HTTP/1.1" 200 13"#,
        r#"] "HEAD /missing HTTP/1.1" 404 -"#,
        r#"] "GET /a\x22\x1b[2J HTTP/1.1" 400 "#,
    ];
    for (line, tail) in lines.iter().zip(patterns) {
        assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
        assert!(line.contains(" +0000] \""), "{line}");
        assert!(line.contains(tail), "expected {tail:?} in {line}");
        assert!(!line.contains('\x1b'), "raw escape in log: {line:?}");
    }
}

#[test]
fn rust_log_chooses_the_level_and_quiet_silences_the_access_log() {
    // The connection's thread logs its access line before its closing debug
    // line, so the first line on stderr tells whether an access line was written.
    let cases: [(&[&str], &str); 2] = [
        (&[], "\"GET /hello.txt HTTP/1.1\" 200 13"),
        (&["--quiet"], "glasshttp: debug: connection 1 from"),
    ];
    for (flags, first_line) in cases {
        let site = Site::new();
        let server = Binary::serving_under(
            common::binary_command(),
            &site.root,
            flags,
            &[("RUST_LOG", "debug")],
        );
        let mut client = Client::connect(server.addr);
        client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        client.read_reply(false);
        assert!(client.is_closed());
        drop(client); // as a real client does on EOF, ending the server's linger
                      // Start-up lines come first; the connection's lines follow.
        let first = server.wait_for_stderr("127.0.0.1");
        assert!(first.contains(first_line), "{flags:?}: {first}");
        let closing = if flags.is_empty() {
            server.next_stderr_line()
        } else {
            first
        };
        assert!(
            closing.contains("ClientAskedClose after 1 requests"),
            "{flags:?}: {closing}"
        );
    }
}

#[test]
fn the_build_says_which_file_and_socket_path_it_uses() {
    // The portable path is what Windows and macOS run; `--features portable`
    // selects it on Linux, and this checks that it really was selected.
    let portable = cfg!(feature = "portable") || !cfg!(target_os = "linux");
    let expected = if portable || common::is_windows_build() {
        "file and socket calls: portable"
    } else {
        "file and socket calls: linux (openat2, sendfile)"
    };
    let site = Site::new();
    let server = Binary::serving_under(
        common::binary_command(),
        &site.root,
        &[],
        &[("RUST_LOG", "debug")],
    );
    let line = server.wait_for_stderr("file and socket calls");
    assert!(line.contains(expected), "{line}");
}

#[test]
fn accept_errors_are_logged_and_the_server_goes_on() {
    if !common::unix_only("prlimit") {
        return;
    }
    // With 16 descriptors the server runs out after a dozen connections.
    let site = Site::new();
    let server = Binary::serving_under(
        common::under_prlimit("--nofile=16:16"),
        &site.root,
        &["--max-connections", "100"],
        &[],
    );
    let crowd: Vec<Client> = (0..24).map(|_| Client::connect(server.addr)).collect();
    let warning = loop {
        let line = server.next_stderr_line();
        if line.contains("accept failed") {
            break line;
        }
    };
    assert!(warning.contains("Too many open files"), "{warning}");
    drop(crowd);
    // Every held connection is closed: once the server has let go of their
    // descriptors (a few free of the 16), it accepts and serves again.
    // The connections still queued behind the crowd are accepted (and
    // found closed) as descriptors free up, so a request may still meet a
    // full table (500) for a moment; it must be served before the deadline.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "descriptors were not released");
        if open_descriptors(server.child.id()) <= 12 {
            let mut client = Client::connect(server.addr);
            client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
            let reply = client.read_reply(false);
            if reply.status == 200 {
                assert_eq!(reply.body, b"hello, world\n");
                break;
            }
            assert_eq!(reply.status, 500, "{}", reply.head);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How many descriptors a process has open.
fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| entries.count())
        .unwrap_or(0)
}

/// A second double-click, the first window hidden behind the browser: with
/// no `--port`, a taken 8080 moves the server to the next free port, and
/// the banner says why, in the system's language; an explicit `--port`
/// that is taken is an error that names the likely cause, in Chinese too.
#[test]
fn a_taken_default_port_moves_to_the_next_and_says_why() {
    let site = Site::new();
    let root = site.root.to_str().unwrap();
    // Hold 8080 (or find it held already: the server must move either way).
    let _held = TcpListener::bind("127.0.0.1:8080");
    if TcpListener::bind("127.0.0.1:8080").is_ok() {
        crate::common::say_skipped("port 8080 cannot be held for the test");
        return;
    }
    let mut command = crate::common::binary_command();
    command.args(["--root", root, "--bind", "127.0.0.1"]);
    let mut server = crate::common::Binary::start_command(command, &[] as &[&str], &[]);
    let banner = server.banner.join("\n");
    assert!((8081..=8089).contains(&server.addr.port()), "{banner}");
    assert!(
        banner.contains(&format!(
            "Port 8080 is in use (glasshttp may already be running in another window): \
             serving on {} instead",
            server.addr.port()
        )),
        "{banner}"
    );
    server.stop();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let output = crate::common::binary_command()
        .args([
            "--root",
            root,
            "--bind",
            "127.0.0.1",
            "--port",
            &port,
            "--lang",
            "zh",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("已被占用：glasshttp 可能已经在另一个窗口中运行"),
        "{stderr}"
    );
    assert!(stderr.contains("--port 0"), "{stderr}");
}
