//! The server: bind (port 0 picks a free port), hand each connection to a
//! thread of its own, and shut down gracefully.
//!
//! | module | owns |
//! |---|---|
//! | this file | [`Config`], start-up errors, [`Server::run`], the registry of open connections, shutdown |
//! | `state` | what the threads share: the listeners (one door each, with who accepts there), the registry of open connections, the counters, and the `Context` every connection reads (the site, the cache, the timeouts, the observers) |
//! | `workers` | the connection threads: a few blocked in accept(), followers parked, the limit (503), panic containment |
//! | `connection` | one connection's loop: read, answer, persist or close (RFC 9112 §9), timeouts, lingering |
//! | `wire` | a response onto the socket: writev, files by `sys::send_file`, the observers' tap |
//! | `inspect` | `--inspect`: the live inspector on a listener of its own, answering only its own names |
//! | `events` | one server-sent event onto the wire, chunked or close-delimited: the inspector's and the reload stream's |
//! | `reload` | `--watch`: the reload stream a page's script listens to, one event per change |
//! | `link` | a connection's byte stream: the socket, or TLS over it |
//! | `tls` | HTTPS: the TLS session (rustls, graviola's cryptography), the key log, what the handshake agreed |
//! | `certificate` | the certificate HTTPS is served with: a local CA's leaf made at start, or the user's PEM files |
//!
//! Every open connection is in a registry (taken once per connection, never
//! per request). Shutting down stops the accept loop, closes the connections
//! that are idle, lets those with a request in flight finish it until a
//! deadline, then closes whatever is left.

#[cfg(feature = "tls")]
mod certificate;
mod connection;
mod events;
mod inspect;
mod link;
mod reload;
mod state;
#[cfg(feature = "tls")]
mod tls;
mod wire;
mod workers;

use std::fmt;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::files::cache::FileCache;
use crate::files::guard::Guard;
use crate::files::root::Root;
use crate::files::site::Site;
use crate::files::sort::Sort;
use crate::files::upload::Sink;
use crate::files::watch::Watcher;
use crate::observe::capture::Capture;
use crate::observe::journal::Journal;
use crate::observe::trace::Trace;
use crate::observe::Observers;
use crate::protocol::added::AddedField;
use crate::protocol::cors::Cors;
use crate::protocol::words::Lang;
use crate::server::inspect::Inspector;
use crate::server::state::Context;
use crate::server::state::{Door, Registry, Shared};
use crate::sys;

/// Descriptors (or tasks) kept back from connections: the listener, the
/// standard streams and the files being sent (the main, signal and accepting
/// threads).
pub const RESERVED_DESCRIPTORS: u64 = 64;
/// How long the forced close at the end of a shutdown waits for threads.
const FORCED_CLOSE_WAIT: Duration = Duration::from_secs(1);

/// The port listened on by default.
pub const DEFAULT_PORT: u16 = 8080;
/// How long an idle keep-alive connection stays open by default: long
/// enough for a page's next request, short enough that a lab's capture
/// shows the server's FIN.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request head may take by default.
pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request body may take by default (an upload: between bytes).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a write may make no progress by default.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a shutdown waits for responses in flight by default.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::protocol::tls_hello::TlsMax;

/// Where HTTPS's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateSource {
    /// A leaf made at start, signed by the local CA kept in this folder.
    MadeHere(PathBuf),
    /// The user's own PEM files (`--tls-cert`, `--tls-key`).
    Files { cert: PathBuf, key: PathBuf },
}

/// `--tls`: serve HTTPS, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    pub certificate: CertificateSource,
    /// `--tls-port`: HTTPS on this port beside HTTP on `Config::addr`'s;
    /// `None`: `Config::addr`'s port is HTTPS.
    pub port: Option<u16>,
    pub max: TlsMax,
    /// `--keylog` (or `SSLKEYLOGFILE`): where the session secrets go.
    pub keylog: Option<PathBuf>,
}

/// What the banner says of HTTPS.
#[derive(Debug, Clone)]
pub struct TlsBanner {
    /// The local CA's certificate, the file to trust, when one is used.
    pub ca_file: Option<PathBuf>,
    /// Whether that CA was made at this start.
    pub ca_made_now: bool,
    pub max: TlsMax,
    pub keylog: Option<PathBuf>,
}

/// What the server is asked to do.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory served.
    pub root: PathBuf,
    /// The address and port to listen on; port 0 picks a free one.
    pub addr: SocketAddr,
    /// More addresses to listen on, on `addr`'s port. By default `::1`
    /// beside 127.0.0.1, since browsers try `localhost` on IPv6 first (a
    /// refused `::1` costs Edge on Windows about 2 s before it falls back);
    /// an address whose family the system lacks is skipped with a warning.
    pub also_listen: Vec<IpAddr>,
    /// How long an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
    /// How long a request head may take from its first byte.
    pub head_timeout: Duration,
    /// How long a request body may take (an upload: between bytes).
    pub body_timeout: Duration,
    /// How long a write may make no progress.
    pub write_timeout: Duration,
    /// Connections served at once; more are answered 503.
    pub max_connections: usize,
    /// How long a shutdown waits for responses in flight.
    pub shutdown_timeout: Duration,
    /// Whether a connection may carry more than one request.
    pub keep_alive: bool,
    /// `--defer-accept` (Linux): a connection is accepted once its first
    /// bytes arrive, not at the end of its handshake.
    pub defer_accept: bool,
    /// Explain every connection and exchange on stderr.
    pub trace: bool,
    /// The language `--trace` explains in (`--lang`).
    pub lang: Lang,
    /// Record every conversation in this pcapng file.
    pub capture: Option<PathBuf>,
    /// The most bytes the capture file may take.
    pub capture_limit: u64,
    /// How long a file must be left alone before it is cached (see
    /// [`crate::files::cache`]).
    pub cache_settle_time: Duration,
    /// Whether a directory without an index file is listed (else 404).
    pub listings: bool,
    /// Whether small files of compressible types are sent compressed to
    /// clients that accept it (precompressed siblings are used either way).
    pub compress: bool,
    /// `--inspect`: where the live inspector listens.
    pub inspect: Option<SocketAddr>,
    /// How many connections the inspector and the report keep.
    pub inspect_keep: usize,
    /// `--report`: the HTML file written at shutdown.
    pub report: Option<PathBuf>,
    /// `--har`: the HTTP Archive written at shutdown.
    pub har: Option<PathBuf>,
    /// `--auth`: the paths that need credentials (Basic, RFC 7617), and which.
    pub auth: Option<Guard>,
    /// `--sink`: where uploads are read and thrown away, and how large.
    pub sink: Option<Sink>,
    /// `--upload`: the directories files may be stored in, and how large.
    pub uploads: Option<crate::files::store::Uploads>,
    /// Fields added to every response (`--header`).
    pub added: Vec<AddedField>,
    /// `--cors`: which origins may read the answers.
    pub cors: Option<Cors>,
    /// `--spa`: the page, relative to the root, for client-side routes.
    pub spa: Option<String>,
    /// `--sort`: the listings' order when the URL names none.
    pub sort: Sort,
    /// `--watch`: reload pages when a file beneath the root changes.
    pub watch: bool,
    /// Clean URLs: `/about` serves `about.html` when nothing is named
    /// `about` (on unless `--no-clean-urls`).
    pub clean_urls: bool,
    /// `--index`: a directory's index page names, the first found served;
    /// none given, `index.html`.
    pub index_names: Vec<String>,
    /// `--hidden`: dotfiles are served and listed, `.git` and `.glasshttp`
    /// never.
    pub hidden: bool,
    /// `--qr`: the address a phone would use, as a QR code in the banner
    /// and on the listings.
    pub qr: bool,
    /// Where a folder's `.zip` takes ZIP64: [`crate::files::archive::ZIP64_FROM`],
    /// lower in tests (they cannot send 4 GiB for each archive).
    pub zip64_from: u64,
    /// `--tls`: HTTPS.
    pub tls: Option<TlsOptions>,
    /// The command line as the report shows it, credentials hidden.
    pub command: String,
    /// No `--port` was given: when `addr`'s port is taken, serve on the
    /// next free one of the [`FALLBACK_PORTS`] after it (a second
    /// double-click, the first window hidden behind the browser).
    pub port_fallback: bool,
}

/// How many ports after the default one are tried when it is taken.
pub const FALLBACK_PORTS: u16 = 9;

impl Config {
    /// Whether an observer will show each connection's handshake (the
    /// trace, the capture, the inspector or the report): then the
    /// listeners keep each SYN from before they listen. The same answer as
    /// [`Observers::reads_handshakes`], known before the observers exist.
    pub fn reads_handshakes(&self) -> bool {
        self.trace
            || self.capture.is_some()
            || self.inspect.is_some()
            || self.report.is_some()
            || self.har.is_some()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            root: PathBuf::from("www"),
            addr: SocketAddr::new(IpAddr::from([127, 0, 0, 1]), DEFAULT_PORT),
            also_listen: vec![IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)],
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            head_timeout: DEFAULT_HEAD_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_connections: 1024,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            keep_alive: true,
            defer_accept: false,
            trace: false,
            lang: Lang::En,
            capture: None,
            capture_limit: crate::observe::capture::DEFAULT_LIMIT_BYTES,
            listings: true,
            compress: true,
            inspect: None,
            inspect_keep: crate::observe::journal::DEFAULT_KEEP,
            report: None,
            har: None,
            auth: None,
            sink: None,
            uploads: None,
            added: Vec::new(),
            cors: None,
            spa: None,
            sort: Sort::default(),
            watch: false,
            clean_urls: true,
            index_names: Vec::new(),
            hidden: false,
            qr: false,
            zip64_from: crate::files::archive::ZIP64_FROM,
            tls: None,
            port_fallback: false,
            command: String::new(),
            cache_settle_time: crate::files::cache::SETTLE_TIME,
        }
    }
}

/// Raises the soft open-file limit to the hard one where there is one, and
/// returns the default connection limit: what the open-file limit allows
/// (one descriptor per connection, less a reserve for the files being sent)
/// and the task limit allows (one thread per connection, less a reserve for
/// the other threads), whichever is lower; [`sys::DEFAULT_CONNECTIONS`]
/// where neither limit exists (Windows).
pub fn raise_open_file_limit() -> usize {
    let by_descriptors = sys::open_file_limit().map(connections_for);
    let by_tasks = sys::task_limit().map(connections_for);
    [by_descriptors, by_tasks]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(sys::DEFAULT_CONNECTIONS)
}

/// The connections a limit of `resources` (descriptors or tasks) allows,
/// less a reserve of an eighth, at least [`RESERVED_DESCRIPTORS`].
fn connections_for(resources: u64) -> usize {
    let reserve = RESERVED_DESCRIPTORS.max(resources / 8);
    resources.saturating_sub(reserve).clamp(1, 1 << 16) as usize
}

/// Why the server could not start; each says what to do about it.
#[derive(Debug)]
pub enum StartError {
    RootMissing(PathBuf),
    RootNotDirectory(PathBuf),
    RootUnreadable(PathBuf, io::Error),
    AddrInUse(SocketAddr),
    PermissionDenied(SocketAddr),
    AddrNotAvailable(SocketAddr),
    Bind(SocketAddr, io::Error),
    Capture(PathBuf, io::Error),
    Inspector(SocketAddr, io::Error),
    Report(PathBuf, io::Error),
    Har(PathBuf, io::Error),
    Spa(String),
    /// HTTPS cannot be served: the certificate, the key, the key log, the
    /// processor, or a build without TLS; the text says which.
    Tls(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Tls(why) => f.write_str(why),
            StartError::Spa(page) => write!(
                f,
                "--spa {page}: no such file under the root (name a page in it, such as index.html)"
            ),
            StartError::RootMissing(path) => match port_like(path) {
                Some(port) => write!(
                    f,
                    "there is no folder {port} to serve; to serve on port {port}, \
                     pass --port {port} (or -p {port})"
                ),
                None => write!(f, "there is no folder {} to serve", path.display()),
            },
            StartError::RootNotDirectory(path) => write!(
                f,
                "{} is a file, not a folder: name the folder to serve",
                path.display()
            ),
            StartError::RootUnreadable(path, error) => {
                write!(f, "root {} cannot be opened: {error}", path.display())
            }
            StartError::AddrInUse(addr) => write!(
                f,
                "{addr} is already in use: glasshttp may already be running in another window; \
                 close it, or pass --port {} (or --port 0 for any free port)",
                addr.port().wrapping_add(1).max(1)
            ),
            StartError::PermissionDenied(addr) => write!(
                f,
                "not allowed to listen on {addr} (ports below 1024 need privileges); pass --port"
            ),
            StartError::AddrNotAvailable(addr) => write!(
                f,
                "{} is not an address of this machine; pass --bind",
                addr.ip()
            ),
            StartError::Bind(addr, error) => write!(f, "cannot listen on {addr}: {error}"),
            StartError::Capture(path, error) => {
                write!(f, "cannot write the capture {}: {error}", path.display())
            }
            StartError::Inspector(addr, error) => {
                write!(
                    f,
                    "cannot listen for the inspector on {addr}: {error}; pass --inspect PORT"
                )
            }
            StartError::Report(path, error) => {
                write!(f, "cannot write the report {}: {error}", path.display())
            }
            StartError::Har(path, error) => {
                write!(f, "cannot write the HAR file {}: {error}", path.display())
            }
        }
    }
}

/// A folder name that is a port number (`glasshttp 8000`, python's
/// habit), when no such folder exists.
fn port_like(path: &Path) -> Option<u16> {
    let text = path.to_str()?;
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten()
}

impl StartError {
    /// The error in `lang`: the ones a double-click user meets (a port in
    /// use) and a folder that cannot be served in Chinese too; the rest as
    /// [`fmt::Display`] writes them.
    pub fn in_lang(&self, lang: Lang) -> String {
        match (self, lang) {
            (StartError::AddrInUse(addr), Lang::Zh) => format!(
                "{addr} 已被占用：glasshttp 可能已经在另一个窗口中运行；关闭那个窗口，\
                 或者加上 --port {}（或 --port 0，使用任意空闲端口）",
                addr.port().wrapping_add(1).max(1)
            ),
            (StartError::RootMissing(path), Lang::Zh) => match port_like(path) {
                Some(port) => format!(
                    "没有名为 {port} 的文件夹可以提供；要在端口 {port} 上提供服务，\
                     请加上 --port {port}（或 -p {port}）"
                ),
                None => format!("没有 {} 这个文件夹可以提供", path.display()),
            },
            (StartError::RootNotDirectory(path), Lang::Zh) => {
                format!(
                    "{} 是文件，不是文件夹：请给出要提供的文件夹",
                    path.display()
                )
            }
            _ => self.to_string(),
        }
    }
}

impl std::error::Error for StartError {}

/// What a server did in its life, reported when it stops.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Connections accepted and served (those refused with 503 not included).
    pub connections: u64,
    /// Requests answered on them.
    pub requests: u64,
    /// Connections refused with 503 past the limit.
    pub refused: u64,
    /// Connections still open at the shutdown deadline, closed by force.
    pub forced: u64,
    /// Packets the capture dropped because its writer fell behind.
    pub capture_dropped: u64,
    /// Why `--report` could not be written at shutdown, if it could not:
    /// a failure the exit status must show.
    pub report_error: Option<String>,
}

/// A bound server, ready to [`Server::run`].
pub struct Server {
    local_addrs: Vec<SocketAddr>,
    /// `--qr`: the URL a phone would use.
    phone_url: Option<String>,
    /// The port asked for, when it was taken and another served instead.
    moved_from: Option<u16>,
    /// `--defer-accept`: connections are taken once their first bytes arrive.
    defers_accept: bool,
    tls: Option<TlsBanner>,
    shared: Arc<Shared>,
    /// `--inspect`'s listener, until [`Server::run`] starts it.
    inspector: Option<TcpListener>,
    report: Option<PathBuf>,
    har: Option<PathBuf>,
    /// The command line, for the report.
    command: String,
}

/// Starts a graceful shutdown from another thread (a signal handler's).
#[derive(Clone)]
pub struct ShutdownHandle {
    shared: Arc<Shared>,
}

impl ShutdownHandle {
    /// Stops accepting, and closes every connection that has no request in
    /// flight. Those with one finish it; [`Server::run`] then returns.
    pub fn shutdown(&self) {
        let shared = &self.shared;
        if shared.context.shutting_down.swap(true, Ordering::SeqCst) {
            return;
        }
        // The threads blocked in accept() wake, see the flag and exit.
        for door in &shared.doors {
            sys::wake_acceptor(&door.listener);
        }
        shared.open.for_each(|handle| {
            if !handle.busy.load(Ordering::SeqCst) {
                // The blocked read returns; the thread sees the flag.
                sys::wake_reader(&handle.stream);
            }
        });
        shared.open.wake();
        for door in &shared.doors {
            drop(door.parked());
            door.promote.notify_all();
        }
    }
}

/// The observers `config` asks for, and `--inspect`'s listener. The
/// journal is kept only for the inspector or the report; the report file
/// is created now, so that a path that cannot be written is an error at
/// start, as the capture's is.
fn observers_for(config: &Config) -> Result<(Observers, Option<TcpListener>), StartError> {
    let capture = match &config.capture {
        Some(path) => Some(
            Capture::create(
                path,
                config.capture_limit,
                config.tls.is_some(),
                config.lang,
            )
            .map_err(|error| StartError::Capture(path.clone(), error))?,
        ),
        None => None,
    };
    if let Some(path) = &config.report {
        std::fs::File::create(path).map_err(|error| StartError::Report(path.clone(), error))?;
    }
    if let Some(path) = &config.har {
        std::fs::File::create(path).map_err(|error| StartError::Har(path.clone(), error))?;
    }
    let listener = match config.inspect {
        Some(addr) => {
            Some(TcpListener::bind(addr).map_err(|error| StartError::Inspector(addr, error))?)
        }
        None => None,
    };
    let wanted = listener.is_some() || config.report.is_some() || config.har.is_some();
    let observers = Observers {
        trace: config
            .trace
            .then(|| Trace::to_stderr(config.lang, &config.added)),
        capture,
        journal: wanted.then(|| Arc::new(Journal::new(config.inspect_keep))),
    };
    Ok((observers, listener))
}

/// How often a free port is picked again when the other family has it taken.
const PORT_ATTEMPTS: usize = 10;

/// Listens at `config.addr`, then at each of `config.also_listen` on the
/// same port. With port 0 the port is picked on the first address; if
/// another program holds it on another, a new one is picked.
fn listen_all(config: &Config) -> Result<Vec<TcpListener>, StartError> {
    let options = sys::ListenOptions {
        read: config.idle_timeout,
        write: config.write_timeout,
        keep_syns: config.reads_handshakes(),
        // A connection that sends nothing waits in the kernel no longer
        // than it would wait here for its first request.
        defer_accept: config.defer_accept.then_some(config.idle_timeout),
    };
    let mut attempt = 0;
    'pick: loop {
        attempt += 1;
        let first =
            sys::listen(config.addr, &options).map_err(|error| bind_error(config.addr, error))?;
        let port = first
            .local_addr()
            .map_err(|error| StartError::Bind(config.addr, error))?
            .port();
        let mut listeners = vec![first];
        for &ip in &config.also_listen {
            let addr = SocketAddr::new(ip, port);
            match sys::listen(addr, &options) {
                Ok(listener) => listeners.push(listener),
                Err(error) if error.kind() == io::ErrorKind::AddrInUse => {
                    if config.addr.port() == 0 && attempt < PORT_ATTEMPTS {
                        continue 'pick;
                    }
                    return Err(StartError::AddrInUse(addr));
                }
                // No IPv6 on this system, say: the first address still serves.
                Err(error) => log::warn!("cannot listen on {addr} ({error}); going on without it"),
            }
        }
        return Ok(listeners);
    }
}

/// Every listener, as [`listen_every_door`]; with `port_fallback`, on the
/// next free port when the asked one is in use, and which port that was.
fn listen_falling_back(
    config: &Config,
) -> Result<(Vec<TcpListener>, usize, Option<u16>), StartError> {
    let asked = config.addr.port();
    let mut port = asked;
    loop {
        let tried = Config {
            addr: SocketAddr::new(config.addr.ip(), port),
            ..config.clone()
        };
        match listen_every_door(&tried) {
            Ok((listeners, plain)) => {
                let moved = (port != asked).then_some(asked);
                return Ok((listeners, plain, moved));
            }
            Err(StartError::AddrInUse(addr))
                if config.port_fallback
                    && addr.port() == port
                    && port != 0
                    && port < asked.saturating_add(FALLBACK_PORTS) =>
            {
                port += 1;
            }
            // The first port's error, which names the port asked for.
            Err(StartError::AddrInUse(_)) if port != asked => {
                return Err(StartError::AddrInUse(config.addr));
            }
            Err(error) => return Err(error),
        }
    }
}

/// Every listener: HTTP's, then HTTPS's, and how many are HTTP. With
/// `--tls` and no `--tls-port` every one is HTTPS.
fn listen_every_door(config: &Config) -> Result<(Vec<TcpListener>, usize), StartError> {
    let Some(tls) = &config.tls else {
        let listeners = listen_all(config)?;
        let plain = listeners.len();
        return Ok((listeners, plain));
    };
    let Some(port) = tls.port else {
        return Ok((listen_all(config)?, 0));
    };
    let mut listeners = listen_all(config)?;
    let plain = listeners.len();
    let secure = Config {
        addr: SocketAddr::new(config.addr.ip(), port),
        ..config.clone()
    };
    listeners.extend(listen_all(&secure)?);
    Ok((listeners, plain))
}

/// What every connection reads, around the `site`.
fn context_for(
    config: &Config,
    site: Site,
    observers: Observers,
    tls: TlsPart,
) -> Result<Context, StartError> {
    let root_path = site.root.path().to_path_buf();
    let watcher = match config.watch {
        true => Some(
            Watcher::start(root_path.clone())
                .map_err(|error| StartError::RootUnreadable(root_path, error))?,
        ),
        false => None,
    };
    #[cfg(not(feature = "tls"))]
    let () = tls;
    Ok(Context {
        site,
        cache: FileCache::with_settle_time(config.cache_settle_time)
            .with_compression(config.compress),
        keep_alive: config.keep_alive,
        observers,
        idle_timeout: config.idle_timeout,
        head_timeout: config.head_timeout,
        body_timeout: config.body_timeout,
        write_timeout: config.write_timeout,
        added: config.added.clone(),
        watcher,
        reload_viewers: std::sync::atomic::AtomicUsize::new(0),
        shutting_down: AtomicBool::new(false),
        #[cfg(feature = "tls")]
        tls,
    })
}

/// What the HTTPS doors share: TLS settings, in a build with TLS.
#[cfg(feature = "tls")]
type TlsPart = Option<tls::TlsSettings>;
#[cfg(not(feature = "tls"))]
type TlsPart = ();

/// `--tls` in a build without TLS: a clear refusal.
#[cfg(not(feature = "tls"))]
fn secure_doors(
    config: &Config,
    _addrs: &[SocketAddr],
) -> Result<(TlsPart, Option<TlsBanner>), StartError> {
    match config.tls {
        Some(_) => Err(StartError::Tls(
            "--tls: this glasshttp was built without TLS (cargo feature \"tls\")".to_string(),
        )),
        None => Ok(((), None)),
    }
}

/// With `--tls`, HTTPS's settings for the doors at `addrs`, and what the
/// banner says of them.
#[cfg(feature = "tls")]
fn secure_doors(
    config: &Config,
    addrs: &[SocketAddr],
) -> Result<(TlsPart, Option<TlsBanner>), StartError> {
    let Some(options) = &config.tls else {
        return Ok((None, None));
    };
    let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
    let (settings, banner) = tls_settings(options, &ips, config.capture.is_some())?;
    Ok((Some(settings), Some(banner)))
}

/// HTTPS's settings and what the banner says of them: the processor
/// checked first, then the certificate (made here, or the user's files),
/// then the key log.
#[cfg(feature = "tls")]
fn tls_settings(
    options: &TlsOptions,
    ips: &[IpAddr],
    capturing: bool,
) -> Result<(tls::TlsSettings, TlsBanner), StartError> {
    if !tls::provider_runs_here() {
        return Err(StartError::Tls(
            "--tls: this processor lacks AVX2, ADX or BMI2, which the TLS library's \
             cryptography needs; serve HTTP without --tls"
                .to_string(),
        ));
    }
    let mut served: Vec<IpAddr> = Vec::new();
    for ip in ips {
        if ip.is_unspecified() {
            let interfaces = if_addrs::get_if_addrs().unwrap_or_default();
            served.extend(interfaces.iter().map(|interface| interface.ip()));
        } else {
            served.push(*ip);
        }
    }
    let identity = match &options.certificate {
        CertificateSource::MadeHere(dir) => certificate::made_here(dir, &served),
        CertificateSource::Files { cert, key } => certificate::from_files(cert, key),
    }
    .map_err(|error| StartError::Tls(error.to_string()))?;
    let banner = TlsBanner {
        ca_file: identity.ca_file.clone(),
        ca_made_now: identity.ca_made_now,
        max: options.max,
        keylog: options.keylog.clone(),
    };
    let settings =
        tls::TlsSettings::new(identity, options.max, options.keylog.as_deref(), capturing)
            .map_err(|why| match &options.certificate {
                // The user's own pair: name both files, as a missing one is.
                CertificateSource::Files { cert, key } if !why.contains("key log") => {
                    StartError::Tls(format!("{} and {}: {why}", cert.display(), key.display()))
                }
                _ => StartError::Tls(why),
            })?;
    Ok((settings, banner))
}

/// The machine's addresses a client can use when listening on `unspecified`:
/// IPv4 ones for 0.0.0.0, IPv4 and IPv6 for :: (Linux listens on both).
pub fn reachable_addresses(unspecified: IpAddr) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|interface| interface.ip())
        .filter(|ip| match ip {
            IpAddr::V4(_) => true,
            // Link-local IPv6 needs a zone index no browser bar takes.
            IpAddr::V6(v6) => unspecified.is_ipv6() && (v6.segments()[0] & 0xffc0) != 0xfe80,
        })
        .collect();
    ips.sort_by_key(|ip| (ip.is_ipv6(), !ip.is_loopback(), *ip));
    ips.dedup();
    if ips.is_empty() {
        ips.push(IpAddr::from([127, 0, 0, 1]));
    }
    ips
}

/// `http://ADDR:PORT/` (IPv6 in brackets), or `https://`.
pub fn url(addr: SocketAddr, secure: bool) -> String {
    let scheme = if secure { "https" } else { "http" };
    match addr.ip() {
        IpAddr::V4(ip) => format!("{scheme}://{ip}:{}/", addr.port()),
        IpAddr::V6(ip) => format!("{scheme}://[{ip}]:{}/", addr.port()),
    }
}

/// `--qr`: the URL a phone would use, the first address served that is
/// not a loopback one (each of the machine's for an unspecified one), else
/// the first; HTTPS when that listener speaks it.
fn phone_url(local_addrs: &[SocketAddr], plain_addrs: usize) -> String {
    let served: Vec<(SocketAddr, bool)> = local_addrs
        .iter()
        .enumerate()
        .flat_map(|(n, addr)| {
            let ips = match addr.ip().is_unspecified() {
                true => reachable_addresses(addr.ip()),
                false => vec![addr.ip()],
            };
            ips.into_iter()
                .map(move |ip| (SocketAddr::new(ip, addr.port()), n >= plain_addrs))
        })
        .collect();
    let (addr, secure) = served
        .iter()
        .find(|(addr, _)| !addr.ip().is_loopback())
        .or(served.first())
        .copied()
        .unwrap_or((local_addrs[0], false));
    url(addr, secure)
}

/// The start-up error for a failed bind of `addr`.
fn bind_error(addr: SocketAddr, error: io::Error) -> StartError {
    match error.kind() {
        io::ErrorKind::AddrInUse => StartError::AddrInUse(addr),
        io::ErrorKind::PermissionDenied => StartError::PermissionDenied(addr),
        io::ErrorKind::AddrNotAvailable => StartError::AddrNotAvailable(addr),
        _ => StartError::Bind(addr, error),
    }
}

impl Server {
    /// Checks the root and binds the listening sockets.
    pub fn bind(config: &Config) -> Result<Server, StartError> {
        let site = open_site(config)?;
        let (listeners, plain_addrs, moved_from) = listen_falling_back(config)?;
        let local_addrs = listeners
            .iter()
            .map(TcpListener::local_addr)
            .collect::<io::Result<Vec<_>>>()
            .map_err(|error| StartError::Bind(config.addr, error))?;
        let (tls, tls_banner) = secure_doors(config, &local_addrs)?;
        let phone_url = config.qr.then(|| phone_url(&local_addrs, plain_addrs));
        let site = Site {
            qr: phone_url.clone(),
            ..site
        };
        // After listening, so that a busy port creates no capture or report
        // file (nor empties an old one).
        let (observers, inspector) = observers_for(config)?;
        debug_assert_eq!(observers.reads_handshakes(), config.reads_handshakes());
        let context = context_for(config, site, observers, tls)?;
        log::debug!("file and socket calls: {}", sys::PATH);
        Ok(Server {
            phone_url,
            inspector,
            report: config.report.clone(),
            har: config.har.clone(),
            command: config.command.clone(),
            local_addrs,
            moved_from,
            defers_accept: config.defer_accept,
            tls: tls_banner,
            shared: Arc::new(Shared {
                doors: listeners
                    .into_iter()
                    .enumerate()
                    .map(|(n, listener)| Door::new(listener, n >= plain_addrs))
                    .collect(),
                context,
                max_connections: config.max_connections.max(1),
                shutdown_timeout: config.shutdown_timeout,
                open: Registry::default(),
                next_id: AtomicU64::new(0),
                connections: AtomicU64::new(0),
                requests: AtomicU64::new(0),
                refused: AtomicU64::new(0),
                last_limit_warning: AtomicU64::new(0),
            }),
        })
    }

    /// `--qr`: the URL a phone would use, for the banner's code.
    pub fn phone_url(&self) -> Option<&str> {
        self.phone_url.as_deref()
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs[0]
    }

    /// Every address listened on: [`Server::local_addr`] first, then those
    /// of [`Config::also_listen`] that the system has.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// Whether the listener at `addr` (one of [`Server::local_addrs`])
    /// speaks HTTPS.
    pub fn is_secure(&self, addr: SocketAddr) -> bool {
        // `local_addrs` and the doors are in the same order.
        let doors = self.local_addrs.iter().zip(&self.shared.doors);
        doors
            .into_iter()
            .any(|(&at, door)| at == addr && door.secure)
    }

    /// The port asked for, when it was in use and [`Server::local_addr`]'s
    /// serves instead.
    pub fn moved_from(&self) -> Option<u16> {
        self.moved_from
    }

    /// What the banner says of HTTPS, with `--tls`.
    pub fn tls(&self) -> Option<&TlsBanner> {
        self.tls.as_ref()
    }

    /// Where the inspector listens, with `--inspect`.
    pub fn inspector_addr(&self) -> Option<SocketAddr> {
        self.inspector.as_ref()?.local_addr().ok()
    }

    /// What guards the served paths (`--auth`), if anything.
    pub fn guard(&self) -> Option<&Guard> {
        self.shared.context.site.guard()
    }

    /// Whether the listeners hand a connection over only once its first
    /// bytes arrive (`--defer-accept`).
    pub fn defers_accept(&self) -> bool {
        self.defers_accept
    }

    /// Whether `--watch` is on.
    pub fn watches(&self) -> bool {
        self.shared.context.watcher.is_some()
    }

    /// `--cors`: which origins may read the answers, if any.
    pub fn cors(&self) -> Option<&Cors> {
        self.shared.context.site.cors()
    }

    /// `--upload`: where files sent with a form are stored, if anywhere.
    pub fn uploads(&self) -> Option<&crate::files::store::Uploads> {
        self.shared.context.site.uploads()
    }

    /// The canonical directory being served.
    pub fn root(&self) -> &Path {
        self.shared.context.site.root.path()
    }

    /// A handle that shuts this server down from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Serves until shut down, then waits for the connections to finish and
    /// reports what the server did.
    pub fn run(mut self) -> Summary {
        for door in 0..self.shared.doors.len() {
            if let Err(error) = workers::spawn_worker(&self.shared, door) {
                log::error!("cannot start a connection thread: {error}");
                return Summary::default();
            }
        }
        let journal = self.shared.context.observers.journal.clone();
        let inspector = match (self.inspector.take(), &journal) {
            (Some(listener), Some(journal)) => {
                let head_timeout = self.shared.context.head_timeout;
                Inspector::start(listener, Arc::clone(journal), head_timeout)
                    .map_err(|error| log::error!("cannot start the inspector: {error}"))
                    .ok()
            }
            _ => None,
        };
        let context = &self.shared.context;
        self.shared.open.wait(None, || context.is_shutting_down());
        if let Some(watcher) = &self.shared.context.watcher {
            // Wakes the reload streams, which then end.
            watcher.stop();
        }
        let mut summary = self.drain();
        if let Some(inspector) = inspector {
            inspector.stop();
        }
        if let (Some(path), Some(journal)) = (&self.report, &journal) {
            let said = crate::observe::page::ReportSummary {
                command: self.command.clone(),
                started: journal.started_at(),
                stopped: std::time::SystemTime::now(),
                connections: summary.connections,
                requests: summary.requests,
            };
            match std::fs::write(
                path,
                crate::observe::page::report(&journal.snapshot(), &said),
            ) {
                Ok(()) => log::info!("report written to {}", path.display()),
                Err(error) => {
                    let failure = StartError::Report(path.clone(), error).to_string();
                    summary.report_error = Some(failure);
                }
            }
        }
        if let (Some(path), Some(journal)) = (&self.har, &journal) {
            let archive = crate::observe::har::har(&journal.snapshot(), journal.started_at());
            match std::fs::write(path, archive) {
                Ok(()) => log::info!("HAR written to {}", path.display()),
                Err(error) => {
                    let failure = StartError::Har(path.clone(), error).to_string();
                    summary.report_error = Some(failure);
                }
            }
        }
        summary
    }

    /// Waits for the connections to finish, closing them by force at the
    /// deadline, and reports what the server did.
    fn drain(&self) -> Summary {
        let open = &self.shared.open;
        let deadline = Instant::now() + self.shared.shutdown_timeout;
        open.wait(Some(deadline), || open.len() == 0);
        let forced = open.len() as u64;
        open.for_each(|handle| {
            let _ = handle.stream.shutdown(Shutdown::Both);
        });
        open.wait(Some(Instant::now() + FORCED_CLOSE_WAIT), || open.len() == 0);
        let capture_dropped = self
            .shared
            .context
            .observers
            .capture
            .as_ref()
            .map_or(0, |capture| capture.finish());
        Summary {
            connections: self.shared.connections.load(Ordering::Relaxed),
            requests: self.shared.requests.load(Ordering::Relaxed),
            refused: self.shared.refused.load(Ordering::Relaxed),
            forced,
            capture_dropped,
            report_error: None,
        }
    }
}

/// The root, checked, with what the flags say of it and around it.
fn open_site(config: &Config) -> Result<Site, StartError> {
    let root = Root::new(&config.root)
        .map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => StartError::RootMissing(config.root.clone()),
            io::ErrorKind::NotADirectory => StartError::RootNotDirectory(config.root.clone()),
            _ => StartError::RootUnreadable(config.root.clone(), error),
        })?
        .with_listings(config.listings)
        .with_sort(config.sort)
        .with_index_names(config.index_names.clone())
        .with_dotfiles(match config.hidden {
            true => crate::files::target::Dotfiles::Served,
            false => crate::files::target::Dotfiles::Refused,
        });
    let spa = match &config.spa {
        Some(page) => Some(spa_page(&root, page)?),
        None => None,
    };
    Ok(Site {
        guard: config.auth.clone(),
        sink: config.sink.clone(),
        cors: config.cors.clone(),
        spa,
        watch: config.watch,
        clean_urls: config.clean_urls,
        uploads: config.uploads.clone(),
        zip64_from: config.zip64_from,
        ..Site::new(root)
    })
}

/// `--spa`'s page as a path beneath the root; it must be a file there.
fn spa_page(root: &Root, page: &str) -> Result<crate::files::target::RequestPath, StartError> {
    let target = format!("/{}", page.trim_start_matches('/'));
    let path = crate::files::target::parse_target(&target)
        .map_err(|_| StartError::Spa(page.to_string()))?;
    match root.open(&path) {
        Ok(crate::files::root::Resolved::File { .. }) => Ok(path),
        _ => Err(StartError::Spa(page.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_named_like_a_port_suggests_the_port() {
        let cases = [
            ("8000", Some(8000)),
            ("0", Some(0)),
            ("65535", Some(65535)),
            ("65536", None),
            ("8000a", None),
            ("", None),
            ("site", None),
        ];
        for (name, port) in cases {
            assert_eq!(port_like(Path::new(name)), port, "{name}");
        }
        let missing = StartError::RootMissing(PathBuf::from("8000"));
        for text in [missing.to_string(), missing.in_lang(Lang::Zh)] {
            assert!(text.contains("--port 8000"), "{text}");
            assert!(!text.contains("--root"), "{text}");
        }
        let missing = StartError::RootMissing(PathBuf::from("/nonexistent"));
        assert_eq!(
            missing.to_string(),
            "there is no folder /nonexistent to serve"
        );
    }

    #[test]
    fn default_connection_limit_keeps_a_reserve() {
        let cases = [
            (1, 1),
            (64, 1),
            (100, 36),
            (1024, 896),
            (8192, 7168),
            (1 << 20, 1 << 16),
        ];
        for (descriptors, connections) in cases {
            assert_eq!(connections_for(descriptors), connections, "{descriptors}");
        }
        let limit = raise_open_file_limit();
        match (sys::open_file_limit(), sys::task_limit()) {
            (None, None) => assert_eq!(limit, sys::DEFAULT_CONNECTIONS),
            (descriptors, tasks) => {
                for bound in [descriptors, tasks].into_iter().flatten() {
                    assert!((limit as u64) < bound, "{limit} of {bound}");
                }
            }
        }
    }
}
