//! The listener: bind (port 0 picks a free port), accept, hand each
//! connection to a thread of its own, refuse past the connection limit, and
//! shut down gracefully.
//!
//! A connection's thread serves it alone, start to end. When it ends, the
//! thread parks and waits for the next connection instead of exiting, so a
//! new connection rarely pays for spawning a thread; parked threads exit
//! after [`WORKER_IDLE_EXIT`] without work.
//!
//! Every open connection is in a registry (taken once per connection, never
//! per request). Shutting down stops the accept loop, closes the connections
//! that are idle, lets those with a request in flight finish it until a
//! deadline, then closes whatever is left.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::cache::FileCache;
use crate::connection::{self, CloseReason, ConnectionHandle, Context};
use crate::fs::Root;
use crate::response::{Persistence, Response, Status};

/// Stack size of a connection thread. Serving needs a few KiB (the largest
/// frame holds httparse's 100 header slots); 256 KiB leaves ample room for
/// logging and unwinding while keeping thousands of threads cheap.
pub const CONNECTION_STACK_BYTES: usize = 256 * 1024;
/// Pause after an accept error such as EMFILE, so a full descriptor table
/// does not turn the accept loop into a busy loop.
pub const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);
/// Descriptors kept back from connections: the listener, the standard
/// streams, and the files being sent.
pub const RESERVED_DESCRIPTORS: u64 = 64;
/// `Retry-After` of a 503 sent past the connection limit, in seconds.
pub const RETRY_AFTER_SECS: u32 = 1;
/// How long the forced close at the end of a shutdown waits for threads.
const FORCED_CLOSE_WAIT: Duration = Duration::from_secs(1);
/// How long a parked connection thread waits for work before it exits.
pub const WORKER_IDLE_EXIT: Duration = Duration::from_secs(30);

/// What the server is asked to do.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory served.
    pub root: PathBuf,
    /// The address and port to listen on; port 0 picks a free one.
    pub addr: SocketAddr,
    /// How long an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
    /// How long a request head may take from its first byte.
    pub head_timeout: Duration,
    /// How long a write may make no progress.
    pub write_timeout: Duration,
    /// Connections served at once; more are answered 503.
    pub max_connections: usize,
    /// How long a shutdown waits for responses in flight.
    pub shutdown_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            root: PathBuf::from("www"),
            addr: SocketAddr::new(IpAddr::from([127, 0, 0, 1]), 8080),
            idle_timeout: Duration::from_secs(5),
            head_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Raises the soft open-file limit to the hard one, and returns the default
/// connection limit it allows: one descriptor per connection, less a reserve
/// for the files being sent (an `open` that fails anyway is a 500).
pub fn raise_open_file_limit() -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        limit.current = limit.maximum;
        if setrlimit(Resource::Nofile, limit).is_err() {
            limit = getrlimit(Resource::Nofile);
        }
    }
    let descriptors = limit.current.unwrap_or(1 << 20);
    let reserve = RESERVED_DESCRIPTORS.max(descriptors / 8);
    descriptors.saturating_sub(reserve).clamp(1, 1 << 16) as usize
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
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::RootMissing(path) => {
                write!(f, "root {} does not exist; pass --root DIR", path.display())
            }
            StartError::RootNotDirectory(path) => {
                write!(
                    f,
                    "root {} is not a directory; pass --root DIR",
                    path.display()
                )
            }
            StartError::RootUnreadable(path, error) => {
                write!(f, "root {} cannot be opened: {error}", path.display())
            }
            StartError::AddrInUse(addr) => {
                write!(f, "{addr} is already in use; pass --port")
            }
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
        }
    }
}

impl std::error::Error for StartError {}

/// What a server did in its life, reported when it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Connections accepted and served (those refused with 503 not included).
    pub connections: u64,
    /// Requests answered on them.
    pub requests: u64,
    /// Connections refused with 503 past the limit.
    pub refused: u64,
    /// Connections still open at the shutdown deadline, closed by force.
    pub forced: u64,
}

/// State shared by the accept loop, the connection threads and the
/// shutdown handle.
struct Shared {
    context: Context,
    max_connections: usize,
    shutdown_timeout: Duration,
    open: Mutex<HashMap<u64, Arc<ConnectionHandle>>>,
    /// Signalled whenever a connection leaves `open`.
    closed: Condvar,
    workers: Mutex<Workers>,
    /// Signalled when a job is queued for a parked thread, or at shutdown.
    work: Condvar,
    connections: AtomicU64,
    requests: AtomicU64,
    refused: AtomicU64,
    /// The second of the last "limit reached" warning, to log it once a second.
    last_limit_warning: AtomicU64,
}

impl Shared {
    fn lock_workers(&self) -> MutexGuard<'_, Workers> {
        self.workers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn open_connections(&self) -> MutexGuard<'_, HashMap<u64, Arc<ConnectionHandle>>> {
        // A poisoned lock only means a thread panicked while holding it; the
        // map itself is always consistent (single inserts and removes).
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An accepted connection waiting for a thread.
struct Job {
    id: u64,
    peer: SocketAddr,
    handle: Arc<ConnectionHandle>,
}

/// Parked connection threads and the connections handed to them.
#[derive(Default)]
struct Workers {
    queue: std::collections::VecDeque<Job>,
    /// Threads parked, waiting for a job (each queued job has one).
    parked: usize,
}

/// A bound server, ready to [`Server::run`].
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
}

/// Starts a graceful shutdown from another thread (a signal handler's).
#[derive(Clone)]
pub struct ShutdownHandle {
    listener: Arc<TcpListener>,
    shared: Arc<Shared>,
}

impl ShutdownHandle {
    /// Stops accepting, and closes every connection that has no request in
    /// flight. Those with one finish it; [`Server::run`] then returns.
    pub fn shutdown(&self) {
        if self
            .shared
            .context
            .shutting_down
            .swap(true, Ordering::SeqCst)
        {
            return;
        }
        // Parked threads wake, see the flag and exit.
        drop(self.shared.lock_workers());
        self.shared.work.notify_all();
        // On Linux, shutting down a listening socket wakes a blocked accept().
        let _ = rustix::net::shutdown(&*self.listener, rustix::net::Shutdown::Read);
        for handle in self.shared.open_connections().values() {
            if !handle.busy.load(Ordering::SeqCst) {
                // The blocked read returns end-of-file; the thread sees the flag.
                let _ = handle.stream.shutdown(Shutdown::Read);
            }
        }
    }
}

impl Server {
    /// Checks the root and binds the listening socket.
    pub fn bind(config: &Config) -> Result<Server, StartError> {
        let root = Root::new(&config.root).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => StartError::RootMissing(config.root.clone()),
            io::ErrorKind::NotADirectory => StartError::RootNotDirectory(config.root.clone()),
            _ => StartError::RootUnreadable(config.root.clone(), error),
        })?;
        let listener = TcpListener::bind(config.addr).map_err(|error| match error.kind() {
            io::ErrorKind::AddrInUse => StartError::AddrInUse(config.addr),
            io::ErrorKind::PermissionDenied => StartError::PermissionDenied(config.addr),
            io::ErrorKind::AddrNotAvailable => StartError::AddrNotAvailable(config.addr),
            _ => StartError::Bind(config.addr, error),
        })?;
        let local_addr = listener
            .local_addr()
            .map_err(|error| StartError::Bind(config.addr, error))?;
        let context = Context {
            root,
            cache: FileCache::default(),
            idle_timeout: config.idle_timeout,
            head_timeout: config.head_timeout,
            write_timeout: config.write_timeout,
            shutting_down: AtomicBool::new(false),
        };
        Ok(Server {
            listener,
            local_addr,
            shared: Arc::new(Shared {
                context,
                max_connections: config.max_connections.max(1),
                shutdown_timeout: config.shutdown_timeout,
                open: Mutex::new(HashMap::new()),
                closed: Condvar::new(),
                workers: Mutex::new(Workers::default()),
                work: Condvar::new(),
                connections: AtomicU64::new(0),
                requests: AtomicU64::new(0),
                refused: AtomicU64::new(0),
                last_limit_warning: AtomicU64::new(0),
            }),
        })
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The canonical directory being served.
    pub fn root(&self) -> &Path {
        self.shared.context.root.path()
    }

    /// A handle that shuts this server down from another thread.
    pub fn shutdown_handle(&self) -> io::Result<ShutdownHandle> {
        Ok(ShutdownHandle {
            listener: Arc::new(self.listener.try_clone()?),
            shared: Arc::clone(&self.shared),
        })
    }

    /// Accepts connections until shut down, one thread each, then waits for
    /// them to finish. Accept errors (a full descriptor table, a connection
    /// reset before it was accepted) are logged and the loop goes on.
    pub fn run(self) -> Summary {
        let mut next_id = 0u64;
        loop {
            let accepted = self.listener.accept();
            if self.shared.context.is_shutting_down() {
                break;
            }
            match accepted {
                Ok((stream, peer)) => {
                    next_id += 1;
                    self.admit(stream, peer, next_id);
                }
                Err(error) => {
                    log::warn!("accept failed: {error}");
                    if error.kind() != io::ErrorKind::ConnectionAborted {
                        thread::sleep(ACCEPT_ERROR_BACKOFF);
                    }
                }
            }
        }
        // The listener was shut down by the handle: new connections are refused.
        self.drain()
    }

    /// Hands the connection to a parked thread or a new one, or refuses it
    /// past the limit.
    fn admit(&self, stream: TcpStream, peer: SocketAddr, id: u64) {
        let handle = Arc::new(ConnectionHandle::new(stream));
        {
            let mut open = self.shared.open_connections();
            if open.len() >= self.shared.max_connections {
                drop(open);
                self.refuse(&handle.stream, peer);
                return;
            }
            open.insert(id, Arc::clone(&handle));
        }
        let job = Job { id, peer, handle };
        let mut workers = self.shared.lock_workers();
        if workers.parked > workers.queue.len() {
            workers.queue.push_back(job);
            drop(workers);
            self.shared.work.notify_one();
            return;
        }
        drop(workers);
        let shared = Arc::clone(&self.shared);
        let spawned = thread::Builder::new()
            .name("conn".into())
            .stack_size(CONNECTION_STACK_BYTES)
            .spawn(move || work(&shared, job));
        if let Err(error) = spawned {
            log::error!("cannot start a thread for {peer}: {error}");
            self.shared.open_connections().remove(&id);
        }
    }

    /// Answers 503 without a thread: the response is small enough for an
    /// empty socket buffer, so the write cannot block the accept loop.
    fn refuse(&self, mut stream: &TcpStream, peer: SocketAddr) {
        self.shared.refused.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now();
        let second = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if self
            .shared
            .last_limit_warning
            .swap(second, Ordering::Relaxed)
            != second
        {
            log::warn!(
                "connection limit ({}) reached: answering 503 to {peer} and others",
                self.shared.max_connections
            );
        }
        let response = Response::error(Status::ServiceUnavailable)
            .with_field("Retry-After", RETRY_AFTER_SECS.to_string());
        let mut bytes = Vec::with_capacity(512);
        response.write_head(
            &mut bytes,
            Persistence::Close,
            &httpdate::fmt_http_date(now),
        );
        if let crate::response::Body::Bytes(page) = &response.body {
            bytes.extend_from_slice(page);
        }
        let _ = stream.set_nonblocking(true);
        let _ = stream.write_all(&bytes);
        // Read what the client already sent, so closing does not reset the
        // connection and destroy the 503 before the client reads it.
        let mut sink = [0u8; 4096];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        let _ = stream.shutdown(Shutdown::Write);
    }

    /// Waits for the connections to finish, closing them by force at the
    /// deadline, and reports what the server did.
    fn drain(&self) -> Summary {
        let deadline = Instant::now() + self.shared.shutdown_timeout;
        let mut open = self.shared.open_connections();
        while !open.is_empty() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            open = match self.shared.closed.wait_timeout(open, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        let forced = open.len() as u64;
        for handle in open.values() {
            let _ = handle.stream.shutdown(Shutdown::Both);
        }
        let until = Instant::now() + FORCED_CLOSE_WAIT;
        while !open.is_empty() {
            let Some(left) = until.checked_duration_since(Instant::now()) else {
                break;
            };
            open = match self.shared.closed.wait_timeout(open, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        drop(open);
        Summary {
            connections: self.shared.connections.load(Ordering::Relaxed),
            requests: self.shared.requests.load(Ordering::Relaxed),
            refused: self.shared.refused.load(Ordering::Relaxed),
            forced,
        }
    }
}

/// A connection thread: serves its first job, then parks for the next one,
/// until none comes for [`WORKER_IDLE_EXIT`] or the server shuts down.
fn work(shared: &Shared, first: Job) {
    let mut job = first;
    loop {
        let Job { id, peer, handle } = job;
        let served = serve_guarded(&handle, peer, &shared.context);
        shared.connections.fetch_add(1, Ordering::Relaxed);
        if let Some((reason, requests)) = served {
            shared.requests.fetch_add(requests, Ordering::Relaxed);
            log::debug!("connection {id} from {peer} closed: {reason:?} after {requests} requests");
        }
        drop(handle);
        shared.open_connections().remove(&id);
        shared.closed.notify_all();

        let mut workers = shared.lock_workers();
        workers.parked += 1;
        loop {
            if let Some(next) = workers.queue.pop_front() {
                workers.parked -= 1;
                job = next;
                break;
            }
            if shared.context.is_shutting_down() {
                workers.parked -= 1;
                return;
            }
            let (guard, wait) = shared
                .work
                .wait_timeout(workers, WORKER_IDLE_EXIT)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            workers = guard;
            if wait.timed_out() && workers.queue.is_empty() {
                workers.parked -= 1;
                return;
            }
        }
    }
}

/// Serves a connection, containing a panic to its own thread: the panic is
/// logged and the server and the other connections go on. `None` when the
/// connection panicked.
pub fn serve_guarded(
    handle: &ConnectionHandle,
    peer: SocketAddr,
    context: &Context,
) -> Option<(CloseReason, u64)> {
    run_guarded(peer, || connection::serve(handle, peer, context))
}

fn run_guarded<T>(peer: SocketAddr, serve: impl FnOnce() -> T) -> Option<T> {
    match panic::catch_unwind(AssertUnwindSafe(serve)) {
        Ok(value) => Some(value),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            log::error!("connection from {peer} panicked: {message}; other connections go on");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_contained_and_reported_as_none() {
        let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
        type Serve = Box<dyn FnOnce() -> u32>;
        let cases: [(&str, Serve, Option<u32>); 3] = [
            ("returns", Box::new(|| 7), Some(7)),
            ("panics with &str", Box::new(|| panic!("boom")), None),
            (
                "panics with String",
                Box::new(|| panic!("{}", String::from("boom"))),
                None,
            ),
        ];
        for (name, serve, expected) in cases {
            assert_eq!(run_guarded(peer, serve), expected, "{name}");
        }
    }

    #[test]
    fn default_connection_limit_keeps_a_reserve() {
        let limit = raise_open_file_limit();
        let descriptors = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap_or(u64::MAX);
        assert!(limit >= 1);
        assert!((limit as u64) < descriptors, "{limit} of {descriptors}");
    }
}
