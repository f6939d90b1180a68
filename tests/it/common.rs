//! Shared helpers: a server on port 0 over a temporary root, a raw-socket
//! client that reads exactly one response at a time (never to EOF on a
//! kept-alive connection), and the real binary for command-line tests.
//!
//! The binary under test is cargo's, unless `GLASSHTTP_BIN` names another
//! (the Windows `.exe`), run through `GLASSHTTP_RUNNER` if set (`wine64`).
//! Then every [`TestServer`] is that binary too, started with the flags
//! that say what its [`Config`] says, so the black-box tests run against it.
#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use glasshttp::server::{ShutdownHandle, Summary};
use glasshttp::{Config, Server};
use tempfile::TempDir;

/// How long a test waits on a socket before it gives up: a safety net so a
/// broken server fails the test instead of hanging it, never a measurement.
pub const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

/// The repository's own site.
pub fn www() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www")
}

/// A temporary root holding a small site, and the directory around it so
/// that tests can place files outside the root.
pub struct Site {
    pub outside: TempDir,
    pub root: PathBuf,
}

impl Site {
    pub fn new() -> Site {
        let outside = tempfile::tempdir().expect("temp dir");
        let root = outside.path().join("root");
        fs::create_dir(&root).unwrap();
        fs::write(root.join("index.html"), "<h1>home</h1>\n").unwrap();
        fs::write(root.join("hello.txt"), "hello, world\n").unwrap();
        fs::write(root.join("data.json"), "{\"a\": 1}\n").unwrap();
        fs::write(root.join("style.css"), "h1 { color: red }\n").unwrap();
        fs::write(root.join("blob.bin"), [0u8, 1, 2, 3, 255]).unwrap();
        fs::write(root.join(".secret"), "dotfile\n").unwrap();
        fs::create_dir(root.join("docs")).unwrap();
        fs::write(root.join("docs/index.html"), "<h1>docs</h1>\n").unwrap();
        fs::create_dir(root.join("empty-dir")).unwrap();
        fs::create_dir(root.join("%2e%2e")).unwrap();
        fs::write(root.join("%2e%2e/literal.txt"), "literal\n").unwrap();
        fs::write(outside.path().join("secret.txt"), "outside the root\n").unwrap();
        Site { outside, root }
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        fs::write(self.root.join(name), contents).unwrap();
    }
}

/// The command that starts the binary under test (see the module doc).
pub fn binary_command() -> Command {
    let Some(binary) = std::env::var_os("GLASSHTTP_BIN") else {
        return Command::new(env!("CARGO_BIN_EXE_glasshttp"));
    };
    match std::env::var_os("GLASSHTTP_RUNNER") {
        Some(runner) => {
            let mut command = Command::new(runner);
            command.arg(binary);
            command
        }
        None => Command::new(binary),
    }
}

/// Whether the binary under test is a Windows build (run under Wine here).
pub fn is_windows_build() -> bool {
    std::env::var_os("GLASSHTTP_BIN")
        .is_some_and(|binary| binary.to_string_lossy().ends_with(".exe"))
}

/// False, after saying why, when the binary under test is a Windows build
/// and the test needs what only Unix has (signals, FIFOs, rlimits, modes).
pub fn unix_only(what: &str) -> bool {
    if is_windows_build() {
        eprintln!("skipped on the Windows build: {what} is Unix-only");
        return false;
    }
    true
}

/// How the binary under test names a directory in its banner: the canonical
/// path, which Wine shows on its drive Z: with backslashes.
pub fn shown_path(dir: &Path) -> String {
    let canonical = dir.canonicalize().unwrap();
    if is_windows_build() {
        format!("Z:{}", canonical.display()).replace('/', "\\")
    } else {
        canonical.display().to_string()
    }
}

/// A server on 127.0.0.1 and a free port: in this process, or the binary
/// under test when that is another build (see the module doc). Dropping it
/// shuts it down and waits for it, so no test leaves a server running.
pub struct TestServer {
    pub addr: SocketAddr,
    running: Running,
}

enum Running {
    InProcess {
        shutdown: ShutdownHandle,
        thread: Option<thread::JoinHandle<Summary>>,
    },
    Binary(Binary),
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Running::InProcess { shutdown, thread } = &mut self.running {
            shutdown.shutdown();
            if let Some(thread) = thread.take() {
                let _ = thread.join();
            }
        }
    }
}

impl TestServer {
    pub fn start(root: &Path) -> TestServer {
        TestServer::start_with(root, Duration::from_secs(5))
    }

    pub fn start_with(root: &Path, idle_timeout: Duration) -> TestServer {
        TestServer::start_config(Config {
            idle_timeout,
            ..TestServer::config(root)
        })
    }

    /// The configuration tests start from: the root, port 0, defaults, and
    /// a short shutdown, so a test that ends with a response in flight does
    /// not wait long for it.
    pub fn config(root: &Path) -> Config {
        Config {
            root: root.to_path_buf(),
            addr: "127.0.0.1:0".parse().unwrap(),
            shutdown_timeout: Duration::from_secs(1),
            ..Config::default()
        }
    }

    pub fn start_config(config: Config) -> TestServer {
        if std::env::var_os("GLASSHTTP_BIN").is_some() {
            let binary = Binary::start_command(binary_command(), &flags_for(&config), &[]);
            return TestServer {
                addr: binary.addr,
                running: Running::Binary(binary),
            };
        }
        let server = Server::bind(&config).expect("server binds to port 0");
        let addr = server.local_addr();
        let shutdown = server.shutdown_handle();
        let thread = Some(thread::spawn(move || server.run()));
        TestServer {
            addr,
            running: Running::InProcess { shutdown, thread },
        }
    }

    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// One request on a fresh connection; the response to it.
    pub fn get(&self, raw: &str) -> Reply {
        let mut client = self.connect();
        client.send(raw.as_bytes());
        client.read_reply(raw.starts_with("HEAD "))
    }
}

/// Asks each request twice: alone on a fresh connection, and on one
/// kept-alive connection that carries every request of the test, and
/// checks that both answers agree, so that no answer depends on what the
/// connection carried before.
pub struct BothWays<'a> {
    server: &'a TestServer,
    kept: Client,
}

impl<'a> BothWays<'a> {
    pub fn new(server: &'a TestServer) -> BothWays<'a> {
        BothWays {
            server,
            kept: server.connect(),
        }
    }

    /// The answer to `raw` (the fresh connection's), once both agree.
    pub fn get(&mut self, raw: &str) -> Reply {
        let head_request = raw.starts_with("HEAD ");
        let fresh = self.server.get(raw);
        self.kept.send(raw.as_bytes());
        let kept = self.kept.read_reply(head_request);
        assert_eq!(
            kept.status, fresh.status,
            "{raw:?} on the kept-alive connection"
        );
        assert_eq!(
            kept.body, fresh.body,
            "{raw:?} on the kept-alive connection"
        );
        let fields = |reply: &Reply| {
            let mut fields: Vec<(String, String)> = reply
                .headers
                .iter()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("date"))
                .cloned()
                .collect();
            fields.sort();
            fields
        };
        assert_eq!(
            fields(&kept),
            fields(&fresh),
            "{raw:?} on the kept-alive connection"
        );
        fresh
    }
}

/// The command-line flags that ask the binary for what `config` says.
fn flags_for(config: &Config) -> Vec<String> {
    let secs = |d: Duration| d.as_secs().to_string();
    let mut flags = vec![
        "--root".to_string(),
        config.root.display().to_string(),
        "--bind".into(),
        config.addr.ip().to_string(),
        "--port".into(),
        config.addr.port().to_string(),
        "--idle-timeout".into(),
        secs(config.idle_timeout),
        "--head-timeout".into(),
        secs(config.head_timeout),
        "--write-timeout".into(),
        secs(config.write_timeout),
        "--max-connections".into(),
        config.max_connections.to_string(),
        "--shutdown-timeout".into(),
        secs(config.shutdown_timeout),
        "--quiet".into(),
    ];
    if !config.keep_alive {
        flags.push("--no-keepalive".into());
    }
    if config.trace {
        flags.push("--trace".into());
    }
    if !config.listings {
        flags.push("--no-listing".into());
    }
    if !config.compress {
        flags.push("--no-compress".into());
    }
    if let Some(capture) = &config.capture {
        flags.push("--capture".into());
        flags.push(capture.display().to_string());
        flags.push("--capture-limit".into());
        flags.push(config.capture_limit.to_string());
    }
    flags
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub reason: String,
    pub head: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A raw HTTP/1.1 client over one TCP connection.
pub struct Client {
    pub stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        Client {
            stream,
            buffer: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send request");
    }

    /// Reads one response: its head, then exactly Content-Length body bytes
    /// (none for HEAD, 1xx, 204 and 304).
    pub fn read_reply(&mut self, head_request: bool) -> Reply {
        self.try_read_reply(head_request)
            .unwrap_or_else(|why| panic!("no complete response: {why}"))
    }

    pub fn try_read_reply(&mut self, head_request: bool) -> Result<Reply, String> {
        let (status, reason, headers, head_len) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut slots);
            match response.parse(&self.buffer) {
                Ok(httparse::Status::Complete(n)) => {
                    let headers = response
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_string(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect::<Vec<_>>();
                    break (
                        response.code.unwrap(),
                        response.reason.unwrap_or("").to_string(),
                        headers,
                        n,
                    );
                }
                Ok(httparse::Status::Partial) => self.fill()?,
                Err(error) => {
                    return Err(format!(
                        "bad response head {error:?}: {:?}",
                        String::from_utf8_lossy(&self.buffer)
                    ))
                }
            }
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_len]).into_owned();
        self.buffer.drain(..head_len);
        let has_body = !head_request && status >= 200 && status != 204 && status != 304;
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse::<usize>().expect("numeric Content-Length"));
        let body_len = if has_body { length.unwrap_or(0) } else { 0 };
        while self.buffer.len() < body_len {
            self.fill()?;
        }
        let body = self.buffer.drain(..body_len).collect();
        Ok(Reply {
            status,
            reason,
            head,
            headers,
            body,
        })
    }

    /// Whether the server has closed the connection: the next read sees EOF
    /// (or a reset) with no further bytes.
    pub fn is_closed(&mut self) -> bool {
        if !self.buffer.is_empty() {
            return false;
        }
        let mut byte = [0u8; 1];
        match self.read_some(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(error) => matches!(
                error.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ),
        }
    }

    /// One read, again when it was interrupted: a read with a timeout is
    /// never restarted by the kernel, so a signal, or the test machine
    /// being paused, would otherwise read as a failure of the server.
    fn read_some(&mut self, into: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.stream.read(into) {
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 16 * 1024];
        match self.read_some(&mut chunk) {
            Ok(0) => Err(format!(
                "connection closed after {:?}",
                String::from_utf8_lossy(&self.buffer)
            )),
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(error) => Err(format!("read failed: {error}")),
        }
    }
}

/// The real binary, started with `args`, whose banner has been read.
pub struct Binary {
    pub child: Child,
    pub banner: Vec<String>,
    pub addr: SocketAddr,
    pub stdout_lines: mpsc::Receiver<String>,
    pub stderr_lines: mpsc::Receiver<String>,
}

impl Binary {
    pub fn start(args: &[&str]) -> Binary {
        Binary::start_command(binary_command(), args, &[])
    }

    /// The binary serving `root` on a free port, with `extra` flags.
    pub fn serving(root: &Path, extra: &[&str]) -> Binary {
        Binary::serving_under(binary_command(), root, extra, &[])
    }

    /// `command` (the binary, or a wrapper that runs it) serving `root` on
    /// a free port, with `extra` flags and environment variables.
    pub fn serving_under(
        command: Command,
        root: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Binary {
        let root = root.to_str().expect("a UTF-8 root");
        let mut args = vec!["--root", root, "--port", "0"];
        args.extend_from_slice(extra);
        Binary::start_command(command, &args, env)
    }

    /// Starts `command` (the binary, or a wrapper that runs it) with `args`
    /// and extra environment variables, and waits for the banner.
    pub fn start_command(
        mut command: Command,
        args: &[impl AsRef<std::ffi::OsStr>],
        env: &[(&str, &str)],
    ) -> Binary {
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("RUST_LOG");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start glasshttp");
        let stdout_lines = forward_lines(child.stdout.take().unwrap());
        let stderr_lines = forward_lines(child.stderr.take().unwrap());
        let mut banner = Vec::new();
        while let Ok(line) = stdout_lines.recv_timeout(SOCKET_TIMEOUT) {
            let done = line.starts_with("Press Ctrl-C");
            banner.push(line);
            if done {
                break;
            }
        }
        let url_line = banner
            .iter()
            .find(|l| l.contains("http://"))
            .unwrap_or_else(|| {
                let said: Vec<String> = stderr_lines.try_iter().collect();
                panic!("banner without a URL: {banner:?}; stderr: {said:?}")
            });
        let authority = url_line
            .split("http://")
            .nth(1)
            .unwrap()
            .trim_end_matches('/');
        let addr = authority.parse().expect("banner URL is an address");
        Binary {
            child,
            banner,
            addr,
            stdout_lines,
            stderr_lines,
        }
    }

    /// Sends a signal to the server process (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Asks the server to stop gracefully: SIGTERM on Unix; on the Windows
    /// build SIGINT, which Wine delivers as the console's Ctrl-C event (it
    /// ends a Windows process at once on SIGTERM).
    pub fn ask_to_stop(&self) {
        self.signal(if is_windows_build() { "INT" } else { "TERM" });
    }

    /// Asks the server to stop and checks that it exits cleanly.
    pub fn stop(&mut self) {
        self.ask_to_stop();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit after a request to stop: {status}");
    }

    /// Waits for the first stderr line containing `needle`.
    pub fn wait_for_stderr(&self, needle: &str) -> String {
        loop {
            let line = self.next_stderr_line();
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// The stderr lines up to and including the first that contains `needle`.
    pub fn stderr_until(&self, needle: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.next_stderr_line();
            let done = line.contains(needle);
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Every stderr line not read yet, up to the end of the stream: call it
    /// once the server has exited.
    pub fn rest_of_stderr(&self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(line) = self.stderr_lines.recv_timeout(SOCKET_TIMEOUT) {
            lines.push(line);
        }
        lines
    }

    /// The next line the server writes to stderr.
    pub fn next_stderr_line(&self) -> String {
        self.stderr_lines
            .recv_timeout(SOCKET_TIMEOUT)
            .expect("a line on stderr")
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward_lines(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Runs the binary to completion (for commands that should exit at once).
pub fn run_binary(args: &[&str]) -> std::process::Output {
    binary_command()
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run glasshttp")
}

/// The binary run under `prlimit` with `limits` (say `--nofile=16:16`).
pub fn under_prlimit(limits: &str) -> Command {
    let mut command = Command::new("prlimit");
    command.args([limits, env!("CARGO_BIN_EXE_glasshttp")]);
    command
}

/// Opens kept-alive connections to `addr`, one `GET /hello.txt` each, and
/// holds them until one is answered with anything but 200: returns the
/// held connections (that one last) and its answer. Fails if `most`
/// connections were all answered 200, or if one hangs.
pub fn hold_until_refused(addr: SocketAddr, most: usize) -> (Vec<Client>, Reply) {
    let mut held = Vec::new();
    loop {
        assert!(held.len() < most, "{most} connections, none refused");
        let mut client = Client::connect(addr);
        client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        let reply = client
            .try_read_reply(false)
            .unwrap_or_else(|why| panic!("connection {} hung: {why}", held.len() + 1));
        held.push(client);
        if reply.status != 200 {
            return (held, reply);
        }
    }
}

/// The binary run as user nobody through `setpriv` (root is bound neither by
/// file modes nor by RLIMIT_NPROC), with `wrapper` (say `prlimit
/// --nproc=12`) between; the site's directories are made readable to it.
pub fn as_nobody(site: &Site, wrapper: &[&str]) -> Command {
    use std::os::unix::fs::PermissionsExt;
    for dir in [site.outside.path(), site.root.as_path()] {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut command = Command::new("setpriv");
    command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
    command.args(wrapper);
    command.arg(env!("CARGO_BIN_EXE_glasshttp"));
    command
}

/// Whether an external program is installed.
pub fn has_program(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// An external client the tests need: present, or the test says why it
/// cannot run. Under CI (`CI` set) a missing program is a failure.
pub fn require_program(name: &str) -> bool {
    if has_program(name) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{name} is required under CI; .ci/run installs it");
    }
    eprintln!("skipped: {name} is not installed (apt-get install {name})");
    false
}
