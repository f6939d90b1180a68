//! `--inspect`: the live inspector, on a listener of its own. It speaks HTTP
//! with the server's own code (the head parser, the one head writer, the
//! chunked coding) but is none of the site's traffic: no observer sees it,
//! so it never shows in the trace, the capture or the access log. One
//! request per connection, answered and closed; a small fixed number of
//! connections at once.
//!
//! | path | answer |
//! |---|---|
//! | `/` | the page ([`crate::observe::page::live`]) |
//! | `/connections.json` | every connection kept, now |
//! | `/events` | Server-Sent Events: each connection again as it changes, chunked |

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crate::observe::journal::Journal;
use crate::observe::page;
use crate::protocol::chunked::{chunk, LAST_CHUNK};
use crate::protocol::request::parse_head;
use crate::protocol::{Body, ConnectionField, Method, Response, Status};
use crate::sys;

/// Inspector connections served at once; more get 503.
const MAX_VIEWERS: usize = 16;
/// How long a viewer may take to send its request, and a write to go out.
const VIEWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an idle event stream sends a comment, so that a gone viewer
/// is noticed and its thread ends.
const EVENT_HEARTBEAT: Duration = Duration::from_secs(15);
/// How long to wait after a failed accept before the next.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);
/// The largest request head read.
const MAX_VIEWER_HEAD: usize = 16 * 1024;

/// The running inspector: its accepting thread, and how to stop it.
pub struct Inspector {
    listener: Arc<TcpListener>,
    journal: Arc<Journal>,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Inspector {
    /// Starts serving `journal` on `listener`.
    pub fn start(listener: TcpListener, journal: Arc<Journal>) -> io::Result<Inspector> {
        let listener = Arc::new(listener);
        let stopping = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (listener, journal, stopping) = (
                Arc::clone(&listener),
                Arc::clone(&journal),
                Arc::clone(&stopping),
            );
            std::thread::Builder::new()
                .name("inspector".into())
                .spawn(move || accept_viewers(&listener, &journal, &stopping))?
        };
        Ok(Inspector {
            listener,
            journal,
            stopping,
            acceptor: Some(acceptor),
        })
    }

    /// Ends every event stream and stops accepting.
    pub fn stop(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.journal.end();
        sys::wake_acceptor(&self.listener);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_viewers(listener: &TcpListener, journal: &Arc<Journal>, stopping: &AtomicBool) {
    let viewers = Arc::new(AtomicUsize::new(0));
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
        if viewers.fetch_add(1, Ordering::SeqCst) >= MAX_VIEWERS {
            viewers.fetch_sub(1, Ordering::SeqCst);
            let _ = answer(&stream, Response::error(Status::ServiceUnavailable), false);
            continue;
        }
        let (journal, counted) = (Arc::clone(journal), Arc::clone(&viewers));
        let spawned = std::thread::Builder::new()
            .name("inspector viewer".into())
            .spawn(move || {
                let _ = serve_viewer(&stream, &journal);
                counted.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            viewers.fetch_sub(1, Ordering::SeqCst);
            log::warn!("inspector: no thread for a viewer");
        }
    }
}

/// Reads one request and answers it.
fn serve_viewer(stream: &TcpStream, journal: &Journal) -> io::Result<()> {
    stream.set_read_timeout(Some(VIEWER_TIMEOUT))?;
    stream.set_write_timeout(Some(VIEWER_TIMEOUT))?;
    let mut buffer = Vec::new();
    let request = loop {
        let mut piece = [0u8; 2048];
        let read = (&mut &*stream).read(&mut piece)?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&piece[..read]);
        match parse_head(&buffer) {
            Ok(Some((request, _))) => break request,
            Ok(None) if buffer.len() < MAX_VIEWER_HEAD => continue,
            Ok(None) => {
                return answer(
                    stream,
                    Response::error(Status::RequestHeaderFieldsTooLarge),
                    false,
                )
            }
            Err(error) => return answer(stream, Response::error(error.status()), false),
        }
    };
    let head_only = request.method == Method::Head;
    if !matches!(request.method, Method::Get | Method::Head) {
        let refused =
            Response::error(Status::MethodNotAllowed).with_field("Allow", "GET, HEAD".into());
        return answer(stream, refused, head_only);
    }
    let path = request.target().split('?').next().unwrap_or("");
    let response = match path {
        "/" => Response::new(Status::Ok, Body::Bytes(page::live().as_bytes().to_vec()))
            .with_field("Content-Type", "text/html; charset=utf-8".into()),
        "/connections.json" => Response::new(
            Status::Ok,
            Body::Bytes(journal.snapshot().to_string().into_bytes()),
        )
        .with_field("Content-Type", "application/json".into()),
        "/events" if !head_only => return stream_events(stream, journal),
        "/events" => Response::new(Status::Ok, Body::Chunked)
            .with_field("Content-Type", "text/event-stream".into()),
        _ => Response::error(Status::NotFound),
    };
    answer(
        stream,
        response.with_field("Cache-Control", "no-store".into()),
        head_only,
    )
}

/// Writes `response` whole (its head by the one head writer), then closes.
fn answer(stream: &TcpStream, response: Response, head_only: bool) -> io::Result<()> {
    let mut out = Vec::new();
    let date = httpdate::fmt_http_date(SystemTime::now());
    response.write_head(&mut out, ConnectionField::Close, &date);
    if let (Body::Bytes(bytes), false) = (&response.body, head_only) {
        out.extend_from_slice(bytes);
    }
    (&mut &*stream).write_all(&out)?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

/// The event stream: a head without a length (`Transfer-Encoding:
/// chunked`, RFC 9112 §7.1), then one chunk per event, each connection
/// whole as it changes, until the viewer leaves or the server stops; then
/// the last chunk.
fn stream_events(stream: &TcpStream, journal: &Journal) -> io::Result<()> {
    let response = Response::new(Status::Ok, Body::Chunked)
        .with_field("Content-Type", "text/event-stream".into())
        .with_field("Cache-Control", "no-store".into());
    let mut out = Vec::new();
    let date = httpdate::fmt_http_date(SystemTime::now());
    response.write_head(&mut out, ConnectionField::Close, &date);
    let mut writer = stream;
    writer.write_all(&out)?;
    let (mut seen, mut dropped) = (0, 0);
    loop {
        let Some((changed, now_dropped, version)) = journal.changes(seen, EVENT_HEARTBEAT) else {
            return writer.write_all(LAST_CHUNK);
        };
        let mut events = String::new();
        for connection in changed {
            events.push_str(&format!("event: connection\ndata: {connection}\n\n"));
        }
        if now_dropped != dropped {
            events.push_str(&format!("event: dropped\ndata: {now_dropped}\n\n"));
            dropped = now_dropped;
        }
        if events.is_empty() {
            // A comment line: nothing for the page, but a write that fails
            // when the viewer has gone.
            events.push_str(": still here\n\n");
        }
        writer.write_all(&chunk(events.as_bytes()))?;
        seen = version;
    }
}
