//! The connection threads. A connection's thread serves it alone, start to
//! end. A few idle threads wait in accept() on the listener itself, and the
//! kernel wakes exactly one for each new connection: no hand-over in user
//! space, no wake-up of another thread. The one woken serves its
//! connection and, when done, waits in accept() again, or parks as a
//! follower when enough threads are already waiting there; a parked
//! follower is woken only when the last acceptor takes a connection. Each
//! listening socket (a [`Door`]) has its own acceptors and followers. Past
//! the connection limit, the accepting thread answers 503 itself and goes
//! back to accepting.

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::observe::{ExchangeRecord, Outcome};
use crate::protocol::{CloseReason, ConnectionField, Response, Status};
use crate::server::connection;
use crate::server::link::Link;
use crate::server::state::ConnectionHandle;
use crate::server::state::{Door, Shared};
use crate::server::wire::{self, Outgoing};
use crate::sys::{self, ignoring_poison, is_timeout};

/// Stack size of a connection thread. Serving needs a few KiB (the largest
/// frame holds httparse's 100 header slots); 256 KiB leaves ample room for
/// logging and unwinding while keeping thousands of threads cheap.
pub const CONNECTION_STACK_BYTES: usize = 256 * 1024;
/// Pause after an accept error such as EMFILE, so a full descriptor table
/// does not turn the accept loop into a busy loop.
pub const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);
/// `Retry-After` of a 503 sent past the connection limit, in seconds.
pub const RETRY_AFTER_SECS: u32 = 1;

/// Starts a connection thread for door `door`; it joins that door's
/// acceptors as soon as there is room.
#[inline(never)]
pub(super) fn spawn_worker(shared: &Arc<Shared>, door: usize) -> io::Result<()> {
    let for_thread = Arc::clone(shared);
    thread::Builder::new()
        .name("conn".into())
        .stack_size(CONNECTION_STACK_BYTES)
        .spawn(move || {
            sys::mark_thread_top(CONNECTION_STACK_BYTES);
            work(&for_thread, door);
        })
        .map(drop)
}

/// Threads waiting in accept() at one door, at most: a few per core. Each
/// is a connection served without a wake-up; Linux reserves a descriptor
/// for every blocked accept(), so a crowd of them would hold descriptors
/// that opening files needs. Counted once: std counts the cores anew on
/// each call (on Linux, reading the cgroup's files), and every thread asks.
pub fn max_acceptors() -> usize {
    static MOST: OnceLock<usize> = OnceLock::new();
    *MOST.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(2, |n| n.get());
        (cores * 2).clamp(2, 8)
    })
}

/// A connection thread: it waits in accept() with the other acceptors;
/// when a connection arrives it serves it, start to end, after making sure
/// some thread still accepts (waking a follower, or starting a thread, when
/// it was the last). Then it accepts again, or parks as a follower when
/// enough threads already wait there. A follower not called for a whole
/// idle timeout exits.
///
/// When no thread can take its place (none is parked and none can be
/// started: a task limit), the last acceptor stays and answers the
/// connection it accepted with 503 itself, so that accepting never stops.
fn work(shared: &Arc<Shared>, door: usize) {
    let here = &shared.doors[door];
    let most = max_acceptors();
    loop {
        if !join_the_acceptors(shared, here, most) {
            return;
        }
        loop {
            let Some((stream, peer)) = accept(shared, here) else {
                here.acceptors.fetch_sub(1, Ordering::SeqCst);
                return;
            };
            if leave_the_acceptors(shared, door) {
                serve_one(shared, here, stream, peer);
                break;
            }
            let id = shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
            refuse(shared, (&stream, here.secure), peer, id, Refused::NoThread);
        }
    }
}

/// Parks until fewer than `most` threads wait in accept(), then joins them.
/// False when the thread should exit: the server is shutting down, or the
/// thread was not needed for a whole idle timeout.
fn join_the_acceptors(shared: &Shared, door: &Door, most: usize) -> bool {
    let join = || {
        door.acceptors
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < most).then_some(n + 1)
            })
            .is_ok()
    };
    if shared.context.is_shutting_down() {
        return false;
    }
    if join() {
        return true;
    }
    let mut parked = door.parked();
    loop {
        // Under the lock: a leaving acceptor that finds the door empty
        // takes it too before it wakes anyone, so no wake-up is missed.
        if shared.context.is_shutting_down() {
            return false;
        }
        if join() {
            return true;
        }
        parked.followers += 1;
        let (guard, waited) = ignoring_poison(
            door.promote
                .wait_timeout(parked, shared.context.idle_timeout),
        );
        parked = guard;
        parked.followers -= 1;
        if waited.timed_out() && door.acceptors.load(Ordering::SeqCst) >= most {
            return false;
        }
    }
}

/// Leaves accept() to serve a connection. When that leaves no thread
/// accepting, a parked follower is woken, or a thread started, to take the
/// place. False, with the place kept, when no thread can be started.
fn leave_the_acceptors(shared: &Arc<Shared>, door: usize) -> bool {
    let here = &shared.doors[door];
    if here.acceptors.fetch_sub(1, Ordering::SeqCst) > 1 || shared.context.is_shutting_down() {
        return true;
    }
    let parked = here.parked();
    if parked.followers > 0 {
        here.promote.notify_one();
        return true;
    }
    drop(parked);
    // The new thread joins the acceptors as soon as it runs.
    if let Err(error) = spawn_worker(shared, door) {
        warn_once_a_second(
            shared,
            &format!("cannot start a connection thread ({error})"),
        );
        here.acceptors.fetch_add(1, Ordering::SeqCst);
        return false;
    }
    true
}

/// Waits for a connection, retrying after errors. `None` at shutdown.
fn accept(shared: &Shared, door: &Door) -> Option<(TcpStream, SocketAddr)> {
    loop {
        let accepted = door.listener.accept();
        if shared.context.is_shutting_down() {
            return None;
        }
        match accepted {
            Ok(accepted) => return Some(accepted),
            // The listener's read timeout bounds accept(); the acceptor waits on.
            Err(error) if is_timeout(&error) => {}
            Err(error) => {
                log::warn!("accept failed: {error}");
                if error.kind() != io::ErrorKind::ConnectionAborted {
                    thread::sleep(ACCEPT_ERROR_BACKOFF);
                }
            }
        }
    }
}

/// Registers, serves and unregisters one connection, or refuses it with 503
/// past the limit.
fn serve_one(shared: &Shared, door: &Door, stream: TcpStream, peer: SocketAddr) {
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let context = &shared.context;
    if let Err(error) = sys::prepare_accepted(&stream, context.idle_timeout, context.write_timeout)
    {
        log::warn!("cannot set up the connection from {peer}: {error}");
        return;
    }
    let handle = Arc::new(ConnectionHandle::new(stream));
    if !shared.open.insert(id, &handle, shared.max_connections) {
        refuse(
            shared,
            (&handle.stream, door.secure),
            peer,
            id,
            Refused::OverLimit,
        );
        return;
    }
    let local = door.local_of(&handle.stream, peer);
    let served = serve_guarded(&handle, (peer, local), id, &shared.context, door.secure);
    shared.connections.fetch_add(1, Ordering::Relaxed);
    if let Some((reason, requests)) = served {
        shared.requests.fetch_add(requests, Ordering::Relaxed);
        log::debug!("connection {id} from {peer} closed: {reason:?} after {requests} requests");
    }
    drop(handle);
    shared.open.remove(id, shared.context.is_shutting_down());
}

/// Answers 503 without serving: the response is small enough for an empty
/// socket buffer, so the write cannot block. At an HTTPS door (`secure`)
/// past the limit, the thread that would have served the connection runs
/// the TLS handshake first (within the head timeout) and sends the 503
/// over it; the last acceptor (no thread to be had) cannot wait for a
/// handshake, and closes the connection at once.
#[inline(never)]
fn refuse(
    shared: &Shared,
    (stream, secure): (&TcpStream, bool),
    peer: SocketAddr,
    id: u64,
    why: Refused,
) {
    shared.refused.fetch_add(1, Ordering::Relaxed);
    let (outcome, reason) = why.outcome(shared);
    if secure && reason == CloseReason::NoThread {
        let _ = stream.shutdown(Shutdown::Both);
        return;
    }
    let local = stream.local_addr().unwrap_or(peer);
    let mut observer = shared.context.observers.connection(id, peer, local, stream);
    let Some(mut link) = refusal_link(shared, (stream, secure), &mut observer) else {
        observer.closed(CloseReason::TlsFailed, 0);
        return;
    };
    let received = Instant::now();
    let response = Response::error(Status::ServiceUnavailable)
        .with_field("Retry-After", RETRY_AFTER_SECS.to_string());
    let date = httpdate::fmt_http_date(SystemTime::now());
    let outgoing = Outgoing {
        response: &response,
        connection: ConnectionField::Close,
        is_head_request: false,
        date: &date,
        added: &shared.context.added,
    };
    let mut head = Vec::with_capacity(256);
    // Over TCP the socket is non-blocking and the 503 small: a write that
    // would wait is given up at once (no time allowed without progress).
    // Over TLS the handshake has shown the client reads.
    let patience = match secure {
        true => shared.context.write_timeout,
        false => Duration::ZERO,
    };
    let sent = wire::send(&mut link, outgoing, &mut head, observer.tap(), patience);
    link.notify_close(&mut observer);
    let _ = stream.set_nonblocking(true);
    let record = ExchangeRecord::new(1, &[], outcome, response.status, &head, received, sent.ok());
    observer.exchanged(&record);
    // Read what the client already sent, so closing does not reset the
    // connection and destroy the 503 before the client reads it.
    let mut sink = [0u8; 4096];
    while let Ok(n @ 1..) = (&mut &*stream).read(&mut sink) {
        observer.received(&sink[..n]);
    }
    let _ = stream.shutdown(Shutdown::Write);
    observer.server_closed();
    observer.closed(reason, 1);
}

/// The link a refusal is written on: the socket, made non-blocking; or,
/// at an HTTPS door, TLS over it, once the handshake has finished within
/// the head timeout (`None` when it did not).
fn refusal_link<'a>(
    shared: &Shared,
    (stream, secure): (&'a TcpStream, bool),
    observer: &mut crate::observe::ConnectionObserver<'_>,
) -> Option<Link<'a>> {
    if !secure {
        let _ = stream.set_nonblocking(true);
        return Some(Link::Plain(stream));
    }
    #[cfg(feature = "tls")]
    {
        let session = shared.context.handshake(stream, observer)?.ok()?;
        Some(Link::Tls(stream, Box::new(session)))
    }
    #[cfg(not(feature = "tls"))]
    {
        let _ = (shared, observer);
        None
    }
}

impl Refused {
    /// What the observers are told, and why the connection closes; past
    /// the limit, a warning too (once a second).
    fn outcome(self, shared: &Shared) -> (Outcome<'static>, CloseReason) {
        match self {
            Refused::OverLimit => {
                let limit = shared.max_connections;
                let message = format!("connection limit ({limit}) reached");
                warn_once_a_second(shared, &message);
                (Outcome::OverLimit { limit }, CloseReason::OverLimit)
            }
            Refused::NoThread => (Outcome::NoThread, CloseReason::NoThread),
        }
    }
}

/// Why a connection is answered 503 without being served.
enum Refused {
    /// `--max-connections` are open.
    OverLimit,
    /// No thread could be started to serve it (a task limit).
    NoThread,
}

/// Warns that connections are being refused, at most once a second however
/// many are.
#[inline(never)]
fn warn_once_a_second(shared: &Shared, what: &str) {
    let second = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if shared.last_limit_warning.swap(second, Ordering::Relaxed) != second {
        log::warn!("{what}: answering 503 with Retry-After to new connections meanwhile");
    }
}

/// Serves a connection, containing a panic to its own thread: the panic is
/// logged and the server and the other connections go on. `None` when the
/// connection panicked.
fn serve_guarded(
    handle: &ConnectionHandle,
    addresses: (SocketAddr, SocketAddr),
    id: u64,
    context: &crate::server::state::Context,
    secure: bool,
) -> Option<(CloseReason, u64)> {
    run_guarded(addresses.0, || {
        connection::serve(handle, addresses, id, context, secure)
    })
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
}
