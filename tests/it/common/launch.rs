//! Starting the server under test: in this process ([`TestServer`]), or
//! the real binary ([`Binary`]), which is `GLASSHTTP_BIN` when set (the
//! Windows `.exe`), run through `GLASSHTTP_RUNNER` if set (`wine64`). Then
//! every [`TestServer`] is that binary too, started with the flags that say
//! what its [`Config`] says, so the black-box tests run against it.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use glasshttp::server::{ShutdownHandle, Summary};
use glasshttp::{Config, Server};

use super::client::{request_once, Client, Reply, SOCKET_TIMEOUT};

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

/// Whether the binary under test reads TCP_INFO and keeps SYNs: a Linux
/// build (the Windows build under Wine reads nothing, and says so).
pub fn kernel_tells_tcp() -> bool {
    is_linux_build()
}

/// Whether the binary under test is a Linux build (not the Windows one
/// under Wine).
pub fn is_linux_build() -> bool {
    cfg!(target_os = "linux") && !is_windows_build()
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
        super::say_skipped(&format!("on the Windows build: {what} is Unix-only"));
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
    /// Held for its `Drop`, which stops the process.
    Binary { _process: Binary },
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

    /// A server that caches a file at once, for a site whose files were
    /// written just now: the cache waits for a file's change time to age,
    /// and no call sets that time in the past.
    pub fn start_settled(root: &Path) -> TestServer {
        TestServer::start_config(Config {
            cache_settle_time: Duration::ZERO,
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
                running: Running::Binary { _process: binary },
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
        request_once(self.addr, raw)
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
        "--body-timeout".into(),
        secs(config.body_timeout),
        "--write-timeout".into(),
        secs(config.write_timeout),
        "--max-connections".into(),
        config.max_connections.to_string(),
        "--shutdown-timeout".into(),
        secs(config.shutdown_timeout),
        "--cache-settle-ms".into(),
        config.cache_settle_time.as_millis().to_string(),
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

/// How long a started program may take to print each line of its banner.
/// Longer than a socket's wait: a process is slow to start under Wine
/// (the Windows build's suite), most of all with a dozen tests starting
/// theirs at once on two cores, where 10 s was seen running out.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The real binary, started with `args`, whose banner has been read.
pub struct Binary {
    pub child: Child,
    pub banner: Vec<String>,
    pub addr: SocketAddr,
    pub stdout_lines: mpsc::Receiver<String>,
    pub stderr_lines: mpsc::Receiver<String>,
}

impl Binary {
    /// The binary serving `root` on a free port, with `extra` flags.
    /// One request on a connection of its own, and its reply.
    pub fn get(&self, raw: &str) -> Reply {
        request_once(self.addr, raw)
    }

    /// One request, `method_and_path` with `fields` (each ending in CRLF),
    /// on a connection of its own, and its reply.
    pub fn ask(&self, method_and_path: &str, fields: &str) -> Reply {
        let mut client = Client::connect(self.addr);
        client.send(format!("{method_and_path} HTTP/1.1\r\nHost: t\r\n{fields}\r\n").as_bytes());
        client.read_reply(method_and_path.starts_with("HEAD"))
    }

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
            .env_remove("RUST_LOG")
            // The trace speaks the system's language without --lang: these
            // tests read it in English unless they ask for Chinese.
            .env_remove("LANGUAGE")
            .env("LC_ALL", "C.UTF-8");
        for (key, value) in env {
            command.env(key, value);
        }
        // Under Wine the program may never start: Wine's own client can
        // lose its wineserver ("wine client error"), or the process end or
        // hang before the program says a word (each seen once in CI). That
        // start is tried again; anything the program says is not.
        for attempt in 1.. {
            let mut child = command.spawn().expect("start glasshttp");
            let stdout_lines = forward_lines(child.stdout.take().unwrap());
            let stderr_lines = forward_lines(child.stderr.take().unwrap());
            let mut banner = Vec::new();
            while let Ok(line) = stdout_lines.recv_timeout(START_TIMEOUT) {
                let done = line.starts_with("Press Ctrl-C");
                banner.push(line);
                if done {
                    break;
                }
            }
            let Some(addr) =
                banner_addr(&banner, "http://").or_else(|| banner_addr(&banner, "https://"))
            else {
                let said: Vec<String> = stderr_lines.try_iter().collect();
                let status = child.try_wait();
                let program_spoke = said.iter().any(|line| line.starts_with("glasshttp"));
                let wine_failed = is_windows_build() && banner.is_empty() && !program_spoke;
                if wine_failed && attempt < 3 {
                    super::say_skipped(&format!(
                        "Wine did not start the program ({status:?}, stderr {said:?}); starting it again"
                    ));
                    let _ = child.kill();
                    let _ = child.wait();
                    continue;
                }
                panic!("banner without a URL: {banner:?}; stderr: {said:?}; exit: {status:?}")
            };
            return Binary {
                child,
                banner,
                addr,
                stdout_lines,
                stderr_lines,
            };
        }
        unreachable!("the attempts end in a start or a panic")
    }

    /// The first HTTPS address in the banner (`--tls`).
    pub fn https_addr(&self) -> SocketAddr {
        banner_addr(&self.banner, "https://").expect("an https:// address in the banner")
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
        if let Some(status) = self.exit_after_stop() {
            assert!(status.success(), "exit after a request to stop: {status}");
        }
    }

    /// Waits for the server to exit once asked to stop: its exit status, or
    /// none, after saying so, when Wine itself crashed. Wine 8 turns SIGINT
    /// into the console's Ctrl-C event by creating a thread inside its
    /// signal handler, which is not safe there, and now and then the wine64
    /// process dies of SIGSEGV (twice in CI runs; never in a thousand stops
    /// looped on a loaded machine). A Windows
    /// program cannot end by a Unix signal (its own faults end it with an
    /// NTSTATUS exit code), so such an end is Wine's, not the server's.
    pub fn exit_after_stop(&mut self) -> Option<std::process::ExitStatus> {
        let status = self.child.wait().unwrap();
        if is_windows_build() {
            #[cfg(unix)]
            if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
                let printed: Vec<String> = self.stdout_lines.try_iter().collect();
                super::say_skipped(&format!(
                    "Wine itself ended by signal {signal} while delivering the request to \
                     stop (the program had printed {printed:?})"
                ));
                return None;
            }
        }
        Some(status)
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

    /// Waits until the trace (`--trace`) has said that connections 1 to
    /// `count` closed, in whatever order: the journal and the report have
    /// recorded each close by then (the stores hear an event before the
    /// trace says it).
    pub fn wait_for_closes(&self, count: usize) {
        let mut open: std::collections::BTreeSet<usize> = (1..=count).collect();
        while !open.is_empty() {
            let line = self.next_stderr_line();
            let closed = line
                .strip_prefix("[conn ")
                .and_then(|rest| rest.split_once("] closed:"))
                .and_then(|(id, _)| id.parse::<usize>().ok());
            if let Some(id) = closed {
                open.remove(&id);
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

/// The address of the first "Running on" URL with `scheme` in `banner`.
fn banner_addr(banner: &[String], scheme: &str) -> Option<SocketAddr> {
    let line = banner
        .iter()
        .find(|line| line.contains("Running on") && line.contains(scheme))?;
    let authority = line.split(scheme).nth(1)?.trim_end_matches('/');
    authority.parse().ok()
}
