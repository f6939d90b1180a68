//! What the connection threads, the shutdown handle and [`Server::run`]
//! share: the listeners (each a [`Door`] with its own acceptors and
//! followers), the registry of open connections, and the counters for the
//! summary.
//!
//! [`Server::run`]: crate::server::Server::run

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::files::cache::FileCache;
use crate::files::site::Site;
use crate::files::watch::Watcher;
use crate::observe::Observers;
use crate::protocol::added::AddedField;
use crate::protocol::persistence::Policy;
use crate::sys::ignoring_poison;

/// State shared by the connection threads, the shutdown handle and
/// [`Server::run`].
pub struct Shared {
    /// One per listening socket: 127.0.0.1 and [::1] by default.
    pub doors: Vec<Door>,
    pub context: Context,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
    /// The connections open now.
    pub open: Registry,
    pub next_id: AtomicU64,
    pub connections: AtomicU64,
    pub requests: AtomicU64,
    pub refused: AtomicU64,
    /// The second of the last "limit reached" warning, to log it once a second.
    pub last_limit_warning: AtomicU64,
}

/// The open connections, by id, in shards: each connection's thread
/// touches one shard when it comes and when it goes, so threads on other
/// cores, coming and going at the same time, rarely wait for each other (one
/// map behind one lock cost a contended lock, two futex calls, per
/// `Connection: close` request). The count is kept beside them for the limit
/// and the drain.
pub struct Registry {
    shards: Vec<Mutex<HashMap<u64, Arc<ConnectionHandle>>>>,
    count: AtomicUsize,
    /// Signalled at shutdown, and then whenever a connection leaves.
    changed: Mutex<()>,
    closed: Condvar,
}

const SHARDS: u64 = 16;

impl Default for Registry {
    fn default() -> Registry {
        Registry {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            count: AtomicUsize::new(0),
            changed: Mutex::new(()),
            closed: Condvar::new(),
        }
    }
}

impl Registry {
    fn shard(&self, id: u64) -> MutexGuard<'_, HashMap<u64, Arc<ConnectionHandle>>> {
        // A poisoned lock only means a thread panicked while holding it; the
        // map itself is always consistent (single inserts and removes).
        ignoring_poison(self.shards[(id % SHARDS) as usize].lock())
    }

    /// Keeps `handle` as `id`, unless `most` are open already.
    pub fn insert(&self, id: u64, handle: &Arc<ConnectionHandle>, most: usize) -> bool {
        let counted = self
            .count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < most).then_some(n + 1)
            });
        if counted.is_err() {
            return false;
        }
        self.shard(id).insert(id, Arc::clone(handle));
        true
    }

    /// Forgets `id`; wakes a drain when `shutting_down`.
    pub fn remove(&self, id: u64, shutting_down: bool) {
        self.shard(id).remove(&id);
        self.count.fetch_sub(1, Ordering::SeqCst);
        // Only a draining server waits for connections to leave; waking it
        // for every close would cost two context switches per connection.
        if shutting_down {
            self.wake();
        }
    }

    pub fn len(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Calls `each` with every open connection.
    pub fn for_each(&self, mut each: impl FnMut(&ConnectionHandle)) {
        for shard in &self.shards {
            for handle in ignoring_poison(shard.lock()).values() {
                each(handle);
            }
        }
    }

    /// Wakes whoever waits in [`Registry::wait`].
    pub fn wake(&self) {
        drop(ignoring_poison(self.changed.lock()));
        self.closed.notify_all();
    }

    /// Waits until `done` holds, a wake-up comes and it holds, or `until`.
    pub fn wait(&self, until: Option<Instant>, done: impl Fn() -> bool) {
        let mut guard = ignoring_poison(self.changed.lock());
        while !done() {
            guard = match until.map(|until| until.checked_duration_since(Instant::now())) {
                None => ignoring_poison(self.closed.wait(guard)),
                Some(Some(left)) => ignoring_poison(self.closed.wait_timeout(guard, left)).0,
                Some(None) => return,
            };
        }
    }
}

/// A listening socket and the threads that take turns to accept on it.
pub struct Door {
    pub listener: TcpListener,
    /// Whether connections here speak HTTPS.
    pub secure: bool,
    /// The address every connection here arrives at, when the listener's
    /// is one address (not `0.0.0.0` or `::`): then no connection asks.
    pub local: Option<SocketAddr>,
    /// Threads in accept() now. Changed without the lock while a thread
    /// joins or leaves with others still accepting (the everyday case);
    /// the lock is taken only to park or wake a follower.
    pub acceptors: AtomicUsize,
    pub parked: Mutex<Parked>,
    /// Wakes a parked follower to take a place in accept(), or all at shutdown.
    pub promote: Condvar,
}

impl Door {
    /// The local address of `stream`, accepted here (its peer's, should the
    /// system not say).
    pub fn local_of(&self, stream: &TcpStream, peer: SocketAddr) -> SocketAddr {
        self.local
            .unwrap_or_else(|| stream.local_addr().unwrap_or(peer))
    }

    pub fn new(listener: TcpListener, secure: bool) -> Door {
        let local = listener
            .local_addr()
            .ok()
            .filter(|addr| !addr.ip().is_unspecified());
        Door {
            listener,
            secure,
            local,
            acceptors: AtomicUsize::new(0),
            parked: Mutex::default(),
            promote: Condvar::new(),
        }
    }

    pub fn parked(&self) -> MutexGuard<'_, Parked> {
        // Two plain fields, never left half-updated: a poisoned lock is safe.
        ignoring_poison(self.parked.lock())
    }
}

/// The followers parked at one door until a place in accept() is needed.
#[derive(Default)]
pub struct Parked {
    pub followers: usize,
}

/// What every connection shares: the files, the timing policy, the
/// observers, and whether the server is shutting down.
#[derive(Debug)]
pub struct Context {
    /// The directory served and the features around it.
    pub site: Site,
    /// Small files' bytes, shared by every connection.
    pub cache: FileCache,
    /// How long an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
    /// How long a request head may take from its first byte: a total
    /// deadline, not per read, so a client dribbling a byte at a time cannot
    /// hold the connection (slowloris).
    pub head_timeout: Duration,
    /// How long a request body may take to arrive whole (an upload at the
    /// sink: how long it may go without a byte).
    pub body_timeout: Duration,
    /// How long one write may make no progress before the client is given
    /// up, so a client that stops reading cannot hold the connection.
    pub write_timeout: Duration,
    /// Whether connections may carry more than one request (off with
    /// `--no-keepalive`).
    pub keep_alive: bool,
    /// The access log, `--trace`, `--capture` and the inspector's journal.
    pub observers: Observers,
    /// The operator's fields for every response (`--header`).
    pub added: Vec<AddedField>,
    /// `--watch`: what tells the reload streams of a change.
    pub watcher: Option<std::sync::Arc<Watcher>>,
    /// Reload streams open now.
    pub reload_viewers: std::sync::atomic::AtomicUsize,
    /// Set once when the server starts to shut down.
    pub shutting_down: AtomicBool,
    /// HTTPS: what the secure doors' connections share.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::server::tls::TlsSettings>,
}

#[cfg(feature = "tls")]
impl Context {
    /// HTTPS: the TLS handshake on `stream`, held to the head timeout, the
    /// observer told what it agreed or why it failed; `None` when the server
    /// serves no TLS. The one way a connection, served or refused, starts
    /// its TLS.
    pub(super) fn handshake(
        &self,
        stream: &TcpStream,
        observer: &mut crate::observe::ConnectionObserver<'_>,
    ) -> Option<Result<crate::server::tls::Session, crate::server::tls::HandshakeEnd>> {
        let settings = self.tls.as_ref()?;
        let deadline = Instant::now() + self.head_timeout;
        let session = crate::server::tls::Session::accept(
            stream,
            settings,
            deadline,
            self.write_timeout,
            observer,
        );
        Some(session)
    }
}

impl Context {
    /// Whether the server has started to shut down.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// The server's side of every persistence decision, now.
    pub(super) fn policy(&self) -> Policy {
        Policy {
            keep_alive: self.keep_alive,
            shutting_down: self.is_shutting_down(),
        }
    }
}

/// The part of a connection the server can reach from outside its thread:
/// the socket, to close an idle connection at shutdown, and whether a
/// request is in flight (then the connection is left to finish it).
#[derive(Debug)]
pub struct ConnectionHandle {
    pub stream: TcpStream,
    pub busy: AtomicBool,
}

impl ConnectionHandle {
    /// Wraps an accepted stream.
    pub fn new(stream: TcpStream) -> ConnectionHandle {
        ConnectionHandle {
            stream,
            busy: AtomicBool::new(false),
        }
    }
}
