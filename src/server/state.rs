//! What the connection threads, the shutdown handle and [`Server::run`]
//! share: the listeners (each a [`Door`] with its own leader and
//! followers), the registry of open connections, and the counters for the
//! summary.
//!
//! [`Server::run`]: crate::server::Server::run

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::server::connection::{ConnectionHandle, Context};
use crate::sys::ignoring_poison;

/// State shared by the connection threads, the shutdown handle and
/// [`Server::run`].
pub struct Shared {
    /// One per listening socket: 127.0.0.1 and [::1] by default.
    pub doors: Vec<Door>,
    pub context: Context,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
    pub open: Mutex<HashMap<u64, Arc<ConnectionHandle>>>,
    /// Signalled at shutdown, and then whenever a connection leaves `open`.
    pub closed: Condvar,
    pub next_id: AtomicU64,
    pub connections: AtomicU64,
    pub requests: AtomicU64,
    pub refused: AtomicU64,
    /// The second of the last "limit reached" warning, to log it once a second.
    pub last_limit_warning: AtomicU64,
}

impl Shared {
    pub fn open_connections(&self) -> MutexGuard<'_, HashMap<u64, Arc<ConnectionHandle>>> {
        // A poisoned lock only means a thread panicked while holding it; the
        // map itself is always consistent (single inserts and removes).
        ignoring_poison(self.open.lock())
    }
}

/// A listening socket and the threads that take turns to accept on it.
pub struct Door {
    pub listener: TcpListener,
    pub leadership: Mutex<Leadership>,
    /// Wakes a parked follower to take the leader's place, or all at shutdown.
    pub promote: Condvar,
}

impl Door {
    pub fn new(listener: TcpListener) -> Door {
        Door {
            listener,
            leadership: Mutex::default(),
            promote: Condvar::new(),
        }
    }

    pub fn leadership(&self) -> MutexGuard<'_, Leadership> {
        // Two plain fields, never left half-updated: a poisoned lock is safe.
        ignoring_poison(self.leadership.lock())
    }
}

/// Who is accepting at one door: at most one leader blocked in accept(),
/// and the followers parked until the leader hands its place on.
#[derive(Default)]
pub struct Leadership {
    pub has_leader: bool,
    pub followers: usize,
}
