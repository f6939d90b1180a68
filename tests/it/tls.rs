//! HTTPS (`--tls`) against real TLS clients: curl trusting the local CA
//! the banner names, openssl s_client against `--tls-max`, tshark reading
//! the capture decrypted with no key log setting, the key log's lines
//! beside curl's own, and the mistakes that get an answer that teaches.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::common::{binary_command, require_program, unix_only, Binary, Site};

/// A temporary data folder (the local CA's home) and the environment
/// that points the server at it, on every system.
struct DataHome {
    dir: tempfile::TempDir,
    ca_dir: String,
}

impl DataHome {
    fn new() -> DataHome {
        let dir = tempfile::tempdir().unwrap();
        let ca_dir = dir.path().join("glasshttp").to_str().unwrap().to_string();
        DataHome { dir, ca_dir }
    }

    /// The CA's folder, named by `GLASSHTTP_CA_DIR`, which a Wine prefix
    /// passes on (it sets `APPDATA` itself); the data folder proper has a
    /// test of its own.
    fn env(&self) -> Vec<(&str, &str)> {
        vec![("GLASSHTTP_CA_DIR", &self.ca_dir), ("SSLKEYLOGFILE", "")]
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("glasshttp").join("glasshttp-ca.pem")
    }
}

/// A site served over HTTPS with `extra` flags: the site, the CA's home,
/// and the server.
fn served(extra: &[&str]) -> (Site, DataHome, Binary) {
    let site = Site::new();
    let home = DataHome::new();
    let server = serve_tls(&site.root, &home, extra);
    (site, home, server)
}

/// The binary serving `root` over HTTPS with `extra` flags.
fn serve_tls(root: &Path, home: &DataHome, extra: &[&str]) -> Binary {
    let mut flags = vec!["--tls"];
    flags.extend_from_slice(extra);
    Binary::serving_under(binary_command(), root, &flags, &home.env())
}

fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("run curl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn curl_trusts_the_ca_the_banner_names_and_nothing_else() {
    if !require_program("curl") {
        return;
    }
    let (_site, home, mut server) = served(&[]);
    let ca = home.ca();
    let banner = server.banner.join("\n");
    // The folder as given, then the file (after a backslash on Windows).
    assert!(banner.contains(&home.ca_dir), "{banner}");
    assert!(banner.contains("glasshttp-ca.pem\""), "{banner}");
    assert!(banner.contains("certutil -user -addstore Root"), "{banner}");
    let url = format!("https://localhost:{}/hello.txt", server.https_addr().port());
    let trusted = curl(&["--cacert", ca.to_str().unwrap(), &url]);
    assert!(trusted.status.success(), "{}", text(&trusted.stderr));
    assert_eq!(text(&trusted.stdout), "hello, world\n");
    // Without the CA the certificate is refused (60: peer certificate
    // cannot be authenticated), and -k skips the check.
    let untrusted = curl(&[&url]);
    assert_eq!(
        untrusted.status.code(),
        Some(60),
        "{}",
        text(&untrusted.stderr)
    );
    let insecure = curl(&["-k", &url]);
    assert_eq!(text(&insecure.stdout), "hello, world\n");
    server.stop();
    if unix_only("the CA key's permissions") {
        use std::os::unix::fs::PermissionsExt;
        let key = ca.with_file_name("glasshttp-ca-key.pem");
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn the_local_ca_lives_in_the_users_data_folder() {
    // Wine's prefix sets APPDATA itself: this is for the native build.
    if !unix_only("the data folder from XDG_DATA_HOME") {
        return;
    }
    let site = Site::new();
    let home = tempfile::tempdir().unwrap();
    let data = home.path().to_str().unwrap();
    let env = [
        ("XDG_DATA_HOME", data),
        ("GLASSHTTP_CA_DIR", ""),
        ("SSLKEYLOGFILE", ""),
    ];
    let mut server = Binary::serving_under(binary_command(), &site.root, &["--tls"], &env);
    let ca = home.path().join("glasshttp").join("glasshttp-ca.pem");
    assert!(server.banner.join("\n").contains(&ca.display().to_string()));
    assert!(ca.exists());
    server.stop();
}

#[test]
fn the_local_ca_is_made_once_and_trusted_across_starts() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let home = DataHome::new();
    let mut first = serve_tls(&site.root, &home, &[]);
    assert!(first.banner.join("\n").contains("(made now)"));
    first.stop();
    let ca = std::fs::read(home.ca()).unwrap();
    let mut second = serve_tls(&site.root, &home, &[]);
    assert!(second.banner.join("\n").contains("(kept from before)"));
    assert_eq!(
        std::fs::read(home.ca()).unwrap(),
        ca,
        "the CA is not made again"
    );
    let url = format!("https://localhost:{}/hello.txt", second.https_addr().port());
    let reply = curl(&["--cacert", home.ca().to_str().unwrap(), &url]);
    assert_eq!(
        text(&reply.stdout),
        "hello, world\n",
        "{}",
        text(&reply.stderr)
    );
    second.stop();
}

/// `openssl s_client -quiet` at `addr` with `flags`, its input a pipe and
/// its output read by the test when it wants (errors thrown away).
fn quiet_client(addr: std::net::SocketAddr, flags: &[&str]) -> std::process::Child {
    Command::new("openssl")
        .args(["s_client", "-quiet"])
        .args(flags)
        .args(["-connect", &addr.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run openssl")
}

/// `openssl s_client` at `addr` with `version_flag`: what it printed.
fn s_client(addr: std::net::SocketAddr, version_flag: &str) -> String {
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &addr.to_string(),
            "-ign_eof",
            version_flag,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run openssl");
    // A request and the end of input: s_client sends it, reads the reply
    // and exits.
    let request = "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    text(&output.stdout) + &text(&output.stderr)
}

#[test]
fn tls_max_caps_the_version_a_client_gets() {
    if !require_program("openssl") {
        return;
    }
    let site = Site::new();
    let home = DataHome::new();
    let mut open = serve_tls(&site.root, &home, &["--trace"]);
    let said = s_client(open.https_addr(), "-tls1_3");
    assert!(said.contains("TLSv1.3"), "{said}");
    open.stop();
    let mut capped = serve_tls(&site.root, &home, &["--tls-max", "1.2", "--trace"]);
    let said = s_client(capped.https_addr(), "-tls1_2");
    assert!(said.contains("Protocol  : TLSv1.2"), "{said}");
    assert!(said.contains("hello, world"), "{said}");
    let trace = capped.stderr_until("ServerHello").join("\n");
    assert!(trace.contains("ClientHello: offers TLS 1.2"), "{trace}");
    let said = s_client(capped.https_addr(), "-tls1_3");
    assert!(!said.contains("hello, world"), "{said}");
    assert!(said.contains("alert") || said.contains("error"), "{said}");
    let failed = capped.wait_for_stderr("TLS handshake failed");
    assert!(failed.contains("version"), "{failed}");
    capped.stop();
}

#[test]
fn the_capture_opens_decrypted_in_tshark_with_no_key_log_setting() {
    if !require_program("curl") || !require_program("tshark") {
        return;
    }
    let site = Site::new();
    let home = DataHome::new();
    let capture = site.outside.path().join("https.pcapng");
    let capture_flag = capture.to_str().unwrap();
    let mut server = serve_tls(&site.root, &home, &["--capture", capture_flag]);
    let port = server.https_addr().port();
    for version in ["--tlsv1.3", "--tls-max"] {
        let mut args = vec!["-k", version];
        if version == "--tls-max" {
            args.push("1.2");
        }
        let url = format!("https://127.0.0.1:{port}/hello.txt");
        args.push(&url);
        let reply = curl(&args);
        assert_eq!(
            text(&reply.stdout),
            "hello, world\n",
            "{}",
            text(&reply.stderr)
        );
    }
    server.stop();
    let output = Command::new("tshark")
        .args(["-r", capture_flag, "-Y", "http.request", "-T", "fields"])
        .args([
            "-e",
            "http.request.method",
            "-e",
            "http.request.uri",
            "-e",
            "tls.record.version",
        ])
        .output()
        .expect("run tshark");
    let requests = text(&output.stdout);
    // Both sessions, 1.3 and 1.2, decrypted from the file alone.
    assert_eq!(requests.matches("GET\t/hello.txt").count(), 2, "{requests}");
}

#[test]
fn the_key_log_holds_the_secrets_curl_holds() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let home = DataHome::new();
    let server_log = site.outside.path().join("server.keys");
    let client_log = site.outside.path().join("client.keys");
    let mut server = serve_tls(
        &site.root,
        &home,
        &["--keylog", server_log.to_str().unwrap()],
    );
    assert!(server
        .banner
        .join("\n")
        .contains("can decrypt these sessions"));
    let port = server.https_addr().port();
    for max in ["1.3", "1.2"] {
        let url = format!("https://127.0.0.1:{port}/hello.txt");
        let reply = Command::new("curl")
            .args(["--silent", "-k", "--tls-max", max, &url])
            .env("SSLKEYLOGFILE", &client_log)
            .output()
            .unwrap();
        assert_eq!(text(&reply.stdout), "hello, world\n");
    }
    server.stop();
    let ours = std::fs::read_to_string(&server_log).unwrap();
    let curls = std::fs::read_to_string(&client_log).unwrap();
    let ours: std::collections::BTreeSet<&str> = ours.lines().collect();
    let wanted: Vec<&str> = curls
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect();
    assert!(wanted.iter().any(|line| line.starts_with("CLIENT_RANDOM ")));
    assert!(wanted
        .iter()
        .any(|line| line.starts_with("SERVER_TRAFFIC_SECRET_0 ")));
    for line in wanted {
        assert!(
            ours.contains(line),
            "{line} not in the server's key log: {ours:?}"
        );
    }
    if unix_only("the key log's permissions") {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&server_log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn plain_http_at_the_https_port_is_told_to_use_https() {
    let (_site, _home, mut server) = served(&["--trace"]);
    let mut stream = TcpStream::connect(server.https_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{reply}");
    assert!(reply.contains("Content-Type: text/plain"), "{reply}");
    assert!(reply.contains("https://"), "{reply}");
    let trace = server.wait_for_stderr("plain HTTP at the HTTPS port");
    assert!(trace.contains("https://"), "{trace}");
    server.stop();
}

#[test]
fn tls_at_the_http_port_is_recognised() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let mut server = Binary::serving(&site.root, &["--trace"]);
    let url = format!("https://{}/", server.addr);
    let reply = curl(&["-k", &url]);
    assert!(!reply.status.success());
    let trace = server.wait_for_stderr("this looks like TLS");
    assert!(
        trace.contains("use http://, or start glasshttp with --tls"),
        "{trace}"
    );
    server.stop();
}

#[test]
fn http_and_https_side_by_side_with_tls_port() {
    if !require_program("curl") {
        return;
    }
    let (_site, home, mut server) = served(&["--tls-port", "0"]);
    let banner = server.banner.join("\n");
    assert!(banner.contains("http://127.0.0.1:") && banner.contains("https://127.0.0.1:"));
    let http = format!("http://{}/hello.txt", server.addr);
    let https = format!("https://localhost:{}/hello.txt", server.https_addr().port());
    assert_ne!(server.addr.port(), server.https_addr().port());
    let ca = home.ca();
    for args in [
        vec![http.as_str()],
        vec!["--cacert", ca.to_str().unwrap(), &https],
    ] {
        let reply = curl(&args);
        assert_eq!(
            text(&reply.stdout),
            "hello, world\n",
            "{args:?}: {}",
            text(&reply.stderr)
        );
    }
    server.stop();
}

#[test]
fn ranges_conditionals_and_keep_alive_work_the_same_over_tls() {
    if !require_program("curl") {
        return;
    }
    let (_site, home, mut server) = served(&[]);
    let url = format!("https://localhost:{}/hello.txt", server.https_addr().port());
    let ca = home.ca();
    let ca = ca.to_str().unwrap();
    let range = curl(&["--cacert", ca, "-r", "0-4", "-w", " %{http_code}", &url]);
    assert_eq!(text(&range.stdout), "hello 206");
    let head = curl(&["--cacert", ca, "-I", &url]);
    let head = text(&head.stdout);
    let etag = head
        .lines()
        .find_map(|line| line.strip_prefix("ETag: "))
        .expect("an ETag")
        .trim();
    let if_none = format!("If-None-Match: {etag}");
    let conditional = curl(&["--cacert", ca, "-H", &if_none, "-w", "%{http_code}", &url]);
    assert_eq!(text(&conditional.stdout), "304");
    let reused = curl(&["--cacert", ca, "--verbose", &url, &url]);
    let verbose = text(&reused.stderr);
    assert_eq!(text(&reused.stdout), "hello, world\n".repeat(2));
    assert_eq!(
        verbose.matches("Re-using existing connection").count(),
        1,
        "{verbose}"
    );
    server.stop();
}

#[test]
fn the_server_says_close_notify_before_it_closes_an_idle_connection() {
    if !require_program("openssl") {
        return;
    }
    let (_site, _home, mut server) = served(&["--trace", "--idle-timeout", "1"]);
    let mut child = quiet_client(server.https_addr(), &[]);
    let line = server.wait_for_stderr("close_notify sent by the server");
    assert!(line.contains("[conn 1]"), "{line}");
    let closed = server.wait_for_stderr("closed:");
    assert!(closed.contains("idle"), "{closed}");
    drop(child.stdin.take());
    let _ = child.wait();
    server.stop();
}

#[test]
fn a_handshake_that_does_not_finish_is_held_to_the_head_timeout() {
    let (_site, _home, mut server) = served(&["--trace", "--head-timeout", "1"]);
    let mut stream = TcpStream::connect(server.https_addr()).unwrap();
    // The start of a handshake record, and nothing more.
    stream.write_all(&[22, 3, 1, 0, 200, 1]).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    let failed = server.wait_for_stderr("TLS handshake failed");
    assert!(failed.contains("--head-timeout"), "{failed}");
    let closed = server.wait_for_stderr("closed:");
    assert!(closed.contains("TLS handshake did not finish"), "{closed}");
    server.stop();
}

#[test]
fn certificate_files_that_cannot_be_used_are_one_line_and_exit_1() {
    let site = Site::new();
    let dir = site.outside.path();
    let missing = dir.join("missing.pem");
    let not_pem = dir.join("notes.txt");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    // Two valid pairs from two local CAs: one's key is not the other's.
    let (home_a, home_b) = (DataHome::new(), DataHome::new());
    for home in [&home_a, &home_b] {
        let mut server = serve_tls(&site.root, home, &[]);
        server.stop();
    }
    let key_b = home_b.ca().with_file_name("glasshttp-ca-key.pem");
    let cases: [(&Path, &Path, &str); 3] = [
        (&missing, &key_b, "missing.pem"),
        (&not_pem, &key_b, "no certificate"),
        (&home_a.ca(), &key_b, "does not belong"),
    ];
    for (cert, key, words) in cases {
        let output = binary_command()
            .args(["--root", site.root.to_str().unwrap(), "--port", "0"])
            .args([
                "--tls-cert",
                cert.to_str().unwrap(),
                "--tls-key",
                key.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{cert:?}: {stderr}");
        assert!(stderr.contains(words), "{words}: {stderr}");
        // The line names the file it is about.
        let named = cert.file_name().unwrap().to_str().unwrap();
        assert!(stderr.contains(named), "{named}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}

#[test]
fn tls_flags_without_tls_are_refused() {
    let site = Site::new();
    for flags in [
        ["--tls-port", "0"],
        ["--tls-max", "1.2"],
        ["--keylog", "k.log"],
    ] {
        let output = binary_command()
            .args(["--root", site.root.to_str().unwrap(), "--port", "0"])
            .args(flags)
            .output()
            .unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains("needs --tls"), "{stderr}");
    }
}

#[test]
fn credentials_uploads_and_pipelining_work_the_same_over_tls() {
    if !require_program("curl") || !require_program("openssl") {
        return;
    }
    let site = Site::new();
    let home = DataHome::new();
    let flags = [
        "--auth",
        "alice:s3cret",
        "--auth-path",
        "/docs/",
        "--sink",
        "/upload",
        "--trace",
    ];
    let server = serve_tls(&site.root, &home, &flags);
    let base = format!("https://localhost:{}", server.https_addr().port());
    let ca = home.ca();
    let ca = ca.to_str().unwrap();
    let code = |args: &[&str]| {
        let mut all = vec!["--cacert", ca, "-o", "/dev/null", "-w", "%{http_code}"];
        all.extend_from_slice(args);
        text(&curl(&all).stdout)
    };
    assert_eq!(code(&[&format!("{base}/docs/")]), "401");
    assert_eq!(
        code(&["-u", "alice:s3cret", &format!("{base}/docs/")]),
        "200"
    );
    let upload = site.outside.path().join("upload.bin");
    std::fs::write(&upload, vec![7u8; 300_000]).unwrap();
    let form = format!("file=@{}", upload.display());
    let answer = curl(&["--cacert", ca, "-F", &form, &format!("{base}/upload")]);
    assert!(
        text(&answer.stdout).contains("300000"),
        "{}",
        text(&answer.stdout)
    );
    // Two requests in one write, over one TLS session: two answers, in order.
    let mut child = quiet_client(server.https_addr(), &["-ign_eof"]);
    let pipelined = "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n\
                     GET /style.css HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pipelined.as_bytes())
        .unwrap();
    let output = text(&child.wait_with_output().unwrap().stdout);
    let hello = output.find("hello, world").expect(&output);
    let style = output.find("h1 { color: red }").expect(&output);
    assert!(hello < style, "{output}");
    // A graceful stop says close_notify to an idle connection before its FIN.
    let mut idle = quiet_client(server.https_addr(), &[]);
    let opened = server.wait_for_stderr("TLS handshake done");
    let id = opened.split(']').next().unwrap().to_string() + "]";
    server.ask_to_stop();
    loop {
        let line = server.next_stderr_line();
        if line.starts_with(&id) && line.contains("close_notify sent by the server") {
            break;
        }
    }
    drop(idle.stdin.take());
    let _ = idle.wait();
}

#[test]
fn a_reload_stream_over_tls_frees_its_slot_when_the_page_goes() {
    if !require_program("openssl") {
        return;
    }
    let (_site, _home, mut server) = served(&["--watch", "--trace"]);
    // -no_ign_eof: the end of its input makes s_client say close_notify
    // and leave, as a page's TLS does when it goes.
    let mut page = quiet_client(server.https_addr(), &["-no_ign_eof"]);
    let mut stdin = page.stdin.take().unwrap();
    stdin
        .write_all(
            b"GET /.glasshttp/reload HTTP/1.1\r\nHost: a\r\nAccept: text/event-stream\r\n\r\n",
        )
        .unwrap();
    let answered = server.wait_for_stderr("response head");
    assert!(answered.contains("[conn 1 #1]"), "{answered}");
    // The page goes: its TLS says close_notify. The stream ends within a
    // quarter of a second, not at the next heartbeat's failed write (15 s).
    drop(stdin);
    let closed = server.wait_for_stderr("[conn 1] closed:");
    assert!(
        closed.contains("live-reload event stream ended"),
        "{closed}"
    );
    let _ = page.wait();
    server.stop();
}

#[test]
fn past_the_limit_an_https_client_gets_its_503_over_tls() {
    if !require_program("curl") || !require_program("openssl") {
        return;
    }
    let (_site, _home, mut server) = served(&["--max-connections", "1", "--trace"]);
    // The one connection allowed, held open.
    let mut held = quiet_client(server.https_addr(), &[]);
    server.wait_for_stderr("TLS handshake done");
    let url = format!("https://127.0.0.1:{}/hello.txt", server.https_addr().port());
    let refused = curl(&["-k", "-D", "-", "-o", "/dev/null", &url]);
    let head = text(&refused.stdout);
    assert!(
        head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{head}{}",
        text(&refused.stderr)
    );
    assert!(head.contains("Retry-After: 1\r\n"), "{head}");
    drop(held.stdin.take());
    let _ = held.kill();
    let _ = held.wait();
    server.stop();
}

#[test]
fn sslkeylogfile_is_read_as_keylog_is() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    let home = DataHome::new();
    let log = site.outside.path().join("from-env.keys");
    let log_path = log.to_str().unwrap();
    let env = [
        ("GLASSHTTP_CA_DIR", home.ca_dir.as_str()),
        ("SSLKEYLOGFILE", log_path),
    ];
    let mut server = Binary::serving_under(binary_command(), &site.root, &["--tls"], &env);
    assert!(server
        .banner
        .join("\n")
        .contains("can decrypt these sessions"));
    let url = format!("https://127.0.0.1:{}/hello.txt", server.https_addr().port());
    assert_eq!(
        text(&curl(&["-k", "--tls-max", "1.2", &url]).stdout),
        "hello, world\n"
    );
    server.stop();
    let keys = std::fs::read_to_string(&log).unwrap();
    assert!(keys.starts_with("CLIENT_RANDOM "), "{keys}");
}

#[test]
fn a_client_that_does_not_trust_the_certificate_is_one_trace_line_naming_its_alert() {
    if !require_program("curl") {
        return;
    }
    let (_site, _home, mut server) = served(&["--trace"]);
    let url = format!("https://localhost:{}/hello.txt", server.https_addr().port());
    // curl trusts the system's roots only: the local CA is not among them.
    let refused = curl(&[&url]);
    assert_eq!(refused.status.code(), Some(60), "{}", text(&refused.stderr));
    let failed = server.wait_for_stderr("TLS handshake failed");
    assert!(
        failed.contains("it does not trust the certificate"),
        "{failed}"
    );
    let closed = server.wait_for_stderr("closed:");
    assert!(closed.contains("TLS handshake did not finish"), "{closed}");
    server.stop();
}

#[test]
fn compression_listings_and_cors_are_the_same_over_tls() {
    if !require_program("curl") {
        return;
    }
    let site = Site::new();
    site.write("big.txt", "glass ".repeat(2000));
    let home = DataHome::new();
    // No settle time: the file is cached, and compressed, at once.
    let mut server = serve_tls(
        &site.root,
        &home,
        &["--cors", "--cache-settle-ms", "0", "--qr"],
    );
    // --qr over HTTPS: the code's address is https://, on loopback, and
    // the banner says a phone cannot reach it.
    let banner = server.banner.join("\n");
    assert!(banner.contains(" * Scan to open https://"), "{banner}");
    assert!(banner.contains("only with --bind 0.0.0.0"), "{banner}");
    let base = format!("https://localhost:{}", server.https_addr().port());
    let ca = home.ca();
    let ca = ca.to_str().unwrap();
    let head = |args: &[&str]| {
        let mut all = vec!["--cacert", ca, "-s", "-D", "-", "-o", "/dev/null"];
        all.extend_from_slice(args);
        text(&curl(&all).stdout)
    };
    let compressed = head(&["-H", "Accept-Encoding: gzip", &format!("{base}/big.txt")]);
    assert!(
        compressed.contains("Content-Encoding: gzip"),
        "{compressed}"
    );
    let listing = curl(&["--cacert", ca, "-s", &format!("{base}/empty-dir/")]);
    assert!(
        text(&listing.stdout).contains("<table"),
        "{}",
        text(&listing.stdout)
    );
    let cors = head(&[
        "-H",
        "Origin: https://example.test",
        &format!("{base}/hello.txt"),
    ]);
    assert!(cors.contains("Access-Control-Allow-Origin: *"), "{cors}");
    server.stop();
}
