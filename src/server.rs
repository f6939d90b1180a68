//! The listener: bind (port 0 picks a free port), accept, and hand each
//! connection to a thread of its own.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::connection::{self, Context};
use crate::fs::Root;

/// Stack size of a connection thread. Serving needs a few KiB (the largest
/// frame holds httparse's 100 header slots); 256 KiB leaves ample room for
/// logging and unwinding while keeping thousands of threads cheap.
pub const CONNECTION_STACK_BYTES: usize = 256 * 1024;
/// Pause after an accept error such as EMFILE, so a full descriptor table
/// does not turn the accept loop into a busy loop.
pub const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// What the server is asked to do.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory served.
    pub root: PathBuf,
    /// The address and port to listen on; port 0 picks a free one.
    pub addr: SocketAddr,
    /// How long an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            root: PathBuf::from("www"),
            addr: SocketAddr::new(IpAddr::from([127, 0, 0, 1]), 8080),
            idle_timeout: Duration::from_secs(5),
        }
    }
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

/// A bound server, ready to [`Server::run`].
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    context: Arc<Context>,
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
        Ok(Server {
            listener,
            local_addr,
            context: Arc::new(Context {
                root,
                idle_timeout: config.idle_timeout,
            }),
        })
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The canonical directory being served.
    pub fn root(&self) -> &Path {
        self.context.root.path()
    }

    /// Accepts connections forever, one thread each. Accept errors (a full
    /// descriptor table, a connection reset before it was accepted) are
    /// logged and the loop goes on.
    pub fn run(self) {
        let connection_ids = AtomicU64::new(0);
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    let id = connection_ids.fetch_add(1, Ordering::Relaxed) + 1;
                    self.spawn(stream, peer, id);
                }
                Err(error) => {
                    log::warn!("accept failed: {error}");
                    if error.kind() != io::ErrorKind::ConnectionAborted {
                        thread::sleep(ACCEPT_ERROR_BACKOFF);
                    }
                }
            }
        }
    }

    fn spawn(&self, stream: TcpStream, peer: SocketAddr, id: u64) {
        let context = Arc::clone(&self.context);
        let spawned = thread::Builder::new()
            .name(format!("conn-{id}"))
            .stack_size(CONNECTION_STACK_BYTES)
            .spawn(move || {
                let (reason, requests) = connection::serve(stream, peer, &context);
                log::debug!(
                    "connection {id} from {peer} closed: {reason:?} after {requests} requests"
                );
            });
        if let Err(error) = spawned {
            // The stream was moved into the closure and is dropped with it.
            log::error!("cannot start a thread for {peer}: {error}");
        }
    }
}
