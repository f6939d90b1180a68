//! `--inspect`: the live inspector, on a listener of its own. It speaks HTTP
//! with the server's own code (the head parser, the one head writer, the
//! chunked coding) but is none of the site's traffic: no observer sees it,
//! so it never shows in the trace, the capture or the access log. One
//! request per connection, answered and closed; a small fixed number of
//! connections at once, each given `--head-timeout` for its whole head.
//!
//! | path | answer |
//! |---|---|
//! | `/` | the page ([`crate::observe::page::live`]) |
//! | `/connections.json` | every connection kept, now |
//! | `/events` | Server-Sent Events: each connection again as it changes, chunked (close-delimited to HTTP/1.0) |
//!
//! What it shows is every request head the site received, cookies and
//! credentials included, so it answers only its own names: a `Host` that
//! is not `localhost`, a loopback address or the address it was reached
//! on, with its port, gets 421, and an `Origin` of any other page gets
//! 403. A page elsewhere that points its own name at 127.0.0.1 (DNS
//! rebinding) is refused by the first, another page's script by the
//! second, and no CORS field ever lets a browser share an answer.

use std::io::{self, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crate::observe::journal::Journal;
use crate::observe::page;
use crate::protocol::chunked::LAST_CHUNK;
use crate::protocol::host::{is_own_authority, is_own_origin};
use crate::protocol::request::{parse_head, Request};
use crate::protocol::{Body, ConnectionField, HttpVersion, Method, Response, Status};
use crate::server::events::write_event;
use crate::server::link::Link;
use crate::server::wire::{self, Outgoing};
use crate::sys::{self, ignoring_poison};

/// Inspector connections served at once; more get 503.
const MAX_VIEWERS: usize = 16;
/// How long a write to a viewer may wait.
const VIEWER_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an idle event stream sends a comment, so that a gone viewer
/// is noticed and its thread ends.
const EVENT_HEARTBEAT: Duration = Duration::from_secs(15);
/// How long stopping waits for the event streams to write their last
/// chunk, once the journal has ended.
const VIEWERS_END_WAIT: Duration = Duration::from_secs(2);
/// How long to wait after a failed accept before the next.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);
/// The largest request head read.
const MAX_VIEWER_HEAD: usize = 16 * 1024;

/// The running inspector: its accepting thread, and how to stop it.
pub struct Inspector {
    listener: Arc<TcpListener>,
    journal: Arc<Journal>,
    stopping: Arc<AtomicBool>,
    viewers: Arc<Viewers>,
    acceptor: Option<JoinHandle<()>>,
}

/// The viewers being served, counted so that stopping can wait for their
/// streams to end properly (the last chunk, then the close) before the
/// process exits under them.
#[derive(Default)]
struct Viewers {
    count: Mutex<usize>,
    left: Condvar,
}

impl Viewers {
    /// Counts one more, unless [`MAX_VIEWERS`] are served already.
    fn enter(&self) -> bool {
        let mut count = ignoring_poison(self.count.lock());
        if *count >= MAX_VIEWERS {
            return false;
        }
        *count += 1;
        true
    }

    fn leave(&self) {
        *ignoring_poison(self.count.lock()) -= 1;
        self.left.notify_all();
    }

    /// Waits, at most `wait`, for every viewer to have left.
    fn wait_for_none(&self, wait: Duration) {
        let count = ignoring_poison(self.count.lock());
        let _ = self
            .left
            .wait_timeout_while(count, wait, |count| *count > 0);
    }
}

impl Inspector {
    /// Starts serving `journal` on `listener`; a viewer has `head_timeout`
    /// from its connection to send its whole request head.
    pub fn start(
        listener: TcpListener,
        journal: Arc<Journal>,
        head_timeout: Duration,
    ) -> io::Result<Inspector> {
        let listener = Arc::new(listener);
        let stopping = Arc::new(AtomicBool::new(false));
        let viewers = Arc::new(Viewers::default());
        let acceptor = {
            let shared = (
                Arc::clone(&listener),
                Arc::clone(&journal),
                Arc::clone(&stopping),
                Arc::clone(&viewers),
            );
            std::thread::Builder::new()
                .name("inspector".into())
                .spawn(move || {
                    let (listener, journal, stopping, viewers) = shared;
                    accept_viewers(&listener, &journal, &stopping, &viewers, head_timeout)
                })?
        };
        Ok(Inspector {
            listener,
            journal,
            stopping,
            viewers,
            acceptor: Some(acceptor),
        })
    }

    /// Ends every event stream, stops accepting, and waits (a little) for
    /// the streams to have written their end.
    pub fn stop(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.journal.end();
        sys::wake_acceptor(&self.listener);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        self.viewers.wait_for_none(VIEWERS_END_WAIT);
    }
}

fn accept_viewers(
    listener: &TcpListener,
    journal: &Arc<Journal>,
    stopping: &AtomicBool,
    viewers: &Arc<Viewers>,
    head_timeout: Duration,
) {
    loop {
        let accepted = listener.accept();
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok((stream, _)) = accepted else {
            // Out of descriptors, say: wait a little rather than spin.
            std::thread::sleep(ACCEPT_RETRY);
            continue;
        };
        if !viewers.enter() {
            let _ = answer(&stream, Response::error(Status::ServiceUnavailable), false);
            continue;
        }
        let (journal, counted) = (Arc::clone(journal), Arc::clone(viewers));
        let deadline = Instant::now() + head_timeout;
        let spawned = std::thread::Builder::new()
            .name("inspector viewer".into())
            .spawn(move || {
                let _ = serve_viewer(&stream, &journal, deadline);
                counted.leave();
            });
        if spawned.is_err() {
            viewers.leave();
            log::warn!("inspector: no thread for a viewer");
        }
    }
}

/// Reads one request, whole by `deadline`, and answers it.
fn serve_viewer(stream: &TcpStream, journal: &Journal, deadline: Instant) -> io::Result<()> {
    stream.set_write_timeout(Some(VIEWER_WRITE_TIMEOUT))?;
    let request = match read_request(stream, deadline)? {
        Some(Ok(request)) => request,
        Some(Err(status)) => return answer(stream, Response::error(status), false),
        None => return Ok(()),
    };
    let head_only = request.method == Method::Head;
    if let Some(refused) = refuse_strangers(&request, stream.local_addr()?) {
        return answer(stream, refused, head_only);
    }
    if !matches!(request.method, Method::Get | Method::Head) {
        let refused = Response::error(Status::MethodNotAllowed).with_field("Allow", "GET, HEAD");
        return answer(stream, refused, head_only);
    }
    let path = request.target().split('?').next().unwrap_or("");
    match path {
        "/" => {
            let page = Response::new(Status::Ok, Body::Bytes(page::live().as_bytes().to_vec()))
                .with_field("Content-Type", "text/html; charset=utf-8");
            answer(stream, uncached(page), head_only)
        }
        "/connections.json" => {
            // Handles to the journal's text, written out with no lock held.
            let snapshot = journal.snapshot();
            let len = snapshot.json_len() as u64;
            let head = Response::new(Status::Ok, Body::Written { len })
                .with_field("Content-Type", "application/json");
            send_head(stream, &uncached(head), head_only)?;
            if !head_only {
                let mut out = BufWriter::new(stream);
                snapshot.write_json(&mut out)?;
                out.flush()?;
            }
            let _ = stream.shutdown(std::net::Shutdown::Write);
            Ok(())
        }
        "/events" if !head_only => stream_events(stream, journal, request.version),
        "/events" => answer(
            stream,
            uncached(Response::event_stream(request.version)),
            head_only,
        ),
        _ => answer(stream, Response::error(Status::NotFound), head_only),
    }
}

/// Reads one request head, all of it by `deadline`: a viewer that sends a
/// byte now and then is held to the same time as one that sends nothing.
/// `None` when the viewer closed first; a status when its head is refused.
fn read_request(
    stream: &TcpStream,
    deadline: Instant,
) -> io::Result<Option<Result<Request, Status>>> {
    let mut buffer = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Some(Err(Status::RequestTimeout)));
        }
        stream.set_read_timeout(Some(left))?;
        let mut piece = [0u8; 2048];
        let read = match (&mut &*stream).read(&mut piece) {
            Ok(0) => return Ok(None),
            Ok(read) => read,
            Err(error) if sys::is_timeout(&error) => return Ok(Some(Err(Status::RequestTimeout))),
            Err(error) => return Err(error),
        };
        buffer.extend_from_slice(&piece[..read]);
        match parse_head(&buffer) {
            Ok(Some((request, _))) => return Ok(Some(Ok(request))),
            Ok(None) if buffer.len() < MAX_VIEWER_HEAD => continue,
            Ok(None) => return Ok(Some(Err(Status::RequestHeaderFieldsTooLarge))),
            Err(error) => return Ok(Some(Err(error.status()))),
        }
    }
}

/// The refusal for a request that is not for the inspector, or not from
/// its own page (see the module doc); `None` for one that is.
fn refuse_strangers(request: &Request, local: SocketAddr) -> Option<Response> {
    let mut hosts = request.field_values("Host");
    let own_host = match (hosts.next(), hosts.next()) {
        (Some(host), None) => is_own_authority(host, local),
        _ => false,
    };
    if !own_host {
        return Some(Response::error(Status::MisdirectedRequest));
    }
    if request
        .field_values("Origin")
        .any(|origin| !is_own_origin(origin, local))
    {
        return Some(Response::error(Status::Forbidden));
    }
    None
}

fn uncached(response: Response) -> Response {
    response.with_field("Cache-Control", "no-store")
}

/// Writes `response` by the server's own wire writer: its head, and its
/// body when it is in memory; a body its sender writes follows from the
/// caller. The connection closes after every answer.
fn send_head(stream: &TcpStream, response: &Response, head_only: bool) -> io::Result<()> {
    let date = httpdate::fmt_http_date(SystemTime::now());
    let outgoing = Outgoing {
        response,
        connection: ConnectionField::Close,
        is_head_request: head_only,
        date: &date,
        added: &[],
    };
    wire::send(
        &mut Link::Plain(stream),
        outgoing,
        &mut Vec::new(),
        None,
        VIEWER_WRITE_TIMEOUT,
    )
    .map(drop)
}

/// Writes `response` whole, then closes.
fn answer(stream: &TcpStream, response: Response, head_only: bool) -> io::Result<()> {
    send_head(stream, &response, head_only)?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

/// The event stream: the head, then the connections as they change, each
/// in an event of its own, until the viewer leaves or the server stops;
/// then the last chunk (when chunked) and the close.
fn stream_events(stream: &TcpStream, journal: &Journal, version: HttpVersion) -> io::Result<()> {
    let response = uncached(Response::event_stream(version));
    let chunked = matches!(response.body, Body::Chunked);
    send_head(stream, &response, false)?;
    let mut out = BufWriter::new(stream);
    let (mut seen, mut dropped) = (0, 0);
    loop {
        let Some((changed, now_dropped, version)) = journal.changes(seen, EVENT_HEARTBEAT) else {
            if chunked {
                out.write_all(LAST_CHUNK)?;
            }
            out.flush()?;
            let _ = stream.shutdown(std::net::Shutdown::Write);
            return Ok(());
        };
        let mut wrote = !changed.is_empty();
        for connection in &changed {
            write_event(
                &mut out,
                chunked,
                "event: connection\ndata: ",
                connection.json_len(),
                |out| connection.write_json(out),
            )?;
        }
        if now_dropped != dropped {
            let data = now_dropped.to_string();
            write_event(
                &mut out,
                chunked,
                "event: dropped\ndata: ",
                data.len(),
                |out| out.write_all(data.as_bytes()),
            )?;
            dropped = now_dropped;
            wrote = true;
        }
        if !wrote {
            // A comment line: nothing for the page, but a write that fails
            // when the viewer has gone.
            write_event(&mut out, chunked, ": still here", 0, |_| Ok(()))?;
        }
        out.flush()?;
        seen = version;
    }
}
