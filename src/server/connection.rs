//! One connection, from accept to close (RFC 9112 §9): read a head, find the
//! end of its body, answer, decide whether the connection goes on, repeat.
//!
//! Bytes that arrive after a head (a pipelined request) stay in the buffer
//! for the next turn, so responses go out in request order. When the server
//! closes, it says `Connection: close` in its last response, then shuts down
//! its sending side and reads what the client still sends for a moment, so
//! the client's unread bytes cannot make the kernel reset the connection and
//! destroy that last response (RFC 9112 §9.6).

use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::files;
use crate::files::decision::NotStored;
use crate::files::decision::Upload;
use crate::files::site::Admission;
use crate::files::store::{Intake, Uploads};
use crate::files::target::RequestPath;
use crate::files::upload::Sink;
use crate::files::Decision;
use crate::observe::describe::Describe;
use crate::observe::seam::Delivered;
use crate::observe::{ConnectionObserver, ExchangeRecord, Outcome};
use crate::protocol::auth::Verdict;
use crate::protocol::body::{
    framing, framing_within, BodyReader, Framing, FramingError, MAX_BODY_BYTES,
};
use crate::protocol::form::{self, FormReader};
use crate::protocol::persistence;
use crate::protocol::request::{parse_head_reusing, HeadError};
use crate::protocol::words::{phrase, Phrase};
use crate::protocol::{
    Body, CloseReason, ConnectionField, HttpVersion, Method, Request, Response, Status,
};
use crate::server::link::Link;
use crate::server::reload;
use crate::server::state::{ConnectionHandle, Context};
use crate::server::wire::{self, DateCache, Outgoing};
use crate::sys::{self, is_timeout};

/// How long a request body may take: in all (a body skipped, which must
/// not hold the connection), or between reads (an upload, which may be
/// large but must keep coming).
#[derive(Clone, Copy)]
enum BodyDeadline {
    InAll(Instant),
    BetweenReads(Duration),
}

/// How long to keep reading after shutting down our side, at most.
pub const LINGER_TIMEOUT: Duration = Duration::from_secs(2);
/// How much to read and throw away while lingering, at most.
pub const LINGER_MAX_BYTES: usize = 1024 * 1024;
/// Bytes asked of the kernel per read: a browser's head fits in one. The
/// buffer stays this small while a connection is idle, so thousands of idle
/// connections cost little memory.
const READ_CHUNK_BYTES: usize = 4 * 1024;
/// Room reserved for a response head, given back when the connection
/// idles. Over 1,032 bytes on purpose: glibc keeps a freed block of up to
/// 1,032 bytes in the freeing thread's own cache, where an idle
/// connection's thread would hold it for as long as it idles (10 MiB for
/// 10,000 connections, measured); a larger block goes back to the arena
/// that every thread shares.
const HEAD_BYTES: usize = 2 * 1024;
/// How long a connection waits for its next request holding its buffers.
/// After that it gives them back and sleeps on a one-byte peek, so an idle
/// connection costs its thread's stack and little else; a busy one never
/// pays the extra system call.
const IDLE_GRACE: Duration = Duration::from_millis(100);

/// Serves one connection, from `peer` to `local`, to its end and says why
/// it ended and how many requests it carried. `id` numbers the connection
/// for the observers; a `secure` one (accepted on an HTTPS door) starts
/// with the TLS handshake.
// Never inlined into the worker loop, whose own locals (the 503 path's
// TLS handshake) would otherwise sit under every request's calls.
#[inline(never)]
pub fn serve(
    handle: &ConnectionHandle,
    (peer, local): (SocketAddr, SocketAddr),
    id: u64,
    context: &Context,
    secure: bool,
) -> (CloseReason, u64) {
    let stream = &handle.stream;
    // TCP_NODELAY, the write timeout and the idle read timeout are already
    // set (see `sys::prepare_listener` and `sys::prepare_accepted`).
    let mut connection = Connection {
        stream,
        link: Link::Plain(stream),
        wrong_scheme: false,
        busy: &handle.busy,
        context,
        observer: context.observers.connection(id, peer, local, stream),
        buffer: Vec::new(),
        start: 0,
        end: 0,
        scratch: Vec::with_capacity(HEAD_BYTES),
        spare_request: None,
        read_timeout: Some(context.idle_timeout),
        dates: DateCache::default(),
        requests: 0,
    };
    let reason = match secure {
        true => connection.secure().err(),
        false => None,
    };
    let reason = reason.unwrap_or_else(|| connection.run());
    connection.close(reason);
    (reason, connection.requests)
}

struct Connection<'a> {
    /// The socket, for what is asked of it beneath any TLS: timeouts,
    /// peeks, shutdown.
    stream: &'a TcpStream,
    /// What the requests are read from and the answers written to.
    link: Link<'a>,
    /// Plain HTTP arrived at an HTTPS door: every request is answered 400
    /// with the way to the right address.
    wrong_scheme: bool,
    busy: &'a AtomicBool,
    context: &'a Context,
    observer: ConnectionObserver<'a>,
    /// Received bytes are `buffer[start..end]`; those before `start` are
    /// consumed. The rest of it is room for the next read: zeroed once when
    /// the buffer grows, not before every read (4 KiB written per request,
    /// in every connection's own cache lines).
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    /// Reused for response heads.
    scratch: Vec<u8>,
    /// The last request answered, kept while the connection is busy so
    /// that the next one reuses its buffers; given back with the others.
    spare_request: Option<Request>,
    /// The read timeout set on the socket, to skip redundant system calls.
    read_timeout: Option<Duration>,
    dates: DateCache,
    requests: u64,
}

/// What one turn of the loop leaves the connection to do.
enum Next {
    Continue,
    Close(CloseReason),
}

/// What waiting for the next request produced.
enum Incoming {
    Request(Request),
    Refused(HeadError),
    /// The client closed cleanly, before the first byte of a request.
    Closed,
    /// Nothing arrived within the idle timeout.
    Idle,
    /// A head started but did not finish within the head timeout.
    HeadTimedOut,
    /// The client vanished mid-head, or the read failed.
    Broken,
}

/// Why plain HTTP at an HTTPS door is refused.
const PLAIN_ON_HTTPS: Phrase = phrase(
    "plain HTTP at the HTTPS port: the address must start with https://",
    "在 HTTPS 端口上收到明文 HTTP：地址应以 https:// 开头",
);
/// The answer to it, which the browser shows as it is.
const PLAIN_ON_HTTPS_PAGE: &str = "400 Bad Request: this port speaks HTTPS.\n\
    Use the same address with https:// in front (https://localhost:PORT/).\n\
    此端口使用 HTTPS：请在地址前写 https://。\n";

/// A request that cannot be answered normally, and the status it gets
/// before the connection closes.
struct Refusal {
    status: Status,
    why: Phrase,
}

impl Connection<'_> {
    /// HTTPS: waits for the client's first byte. A TLS handshake record
    /// starts the handshake (within the head timeout); anything else is
    /// plain HTTP at the wrong door, and every request on it gets a 400 that
    /// says so. `Err` when the connection is over before a request.
    // Never inlined: the handshake's session (rustls's state, some KiB)
    // would otherwise take room in `serve`'s frame, and every request's
    // calls would run a page deeper on every connection's stack, HTTP too.
    #[cfg(feature = "tls")]
    #[inline(never)]
    fn secure(&mut self) -> Result<(), CloseReason> {
        if self.context.tls.is_none() {
            return Ok(());
        }
        let mut first = [0u8; 1];
        // The listener's idle timeout is still the socket's: a browser's
        // spare connection waits as long over HTTPS as over HTTP.
        match self.stream.peek(&mut first) {
            Ok(0) => return Err(CloseReason::ClientClosedUnused),
            Ok(_) => {}
            Err(error) if is_timeout(&error) => return Err(CloseReason::IdleUnused),
            Err(_) => return Err(CloseReason::Broken),
        }
        if !crate::protocol::tls_hello::looks_like_tls(&[first[0], 3]) {
            self.wrong_scheme = true;
            return Ok(());
        }
        match self.context.handshake(self.stream, &mut self.observer) {
            Some(Ok(session)) => {
                self.link = Link::Tls(self.stream, Box::new(session));
                // The handshake set its own read timeouts.
                self.read_timeout = None;
                Ok(())
            }
            // The trace has said why (the alert, the timeout, the close).
            _ => Err(CloseReason::TlsFailed),
        }
    }

    #[cfg(not(feature = "tls"))]
    fn secure(&mut self) -> Result<(), CloseReason> {
        Ok(())
    }

    fn run(&mut self) -> CloseReason {
        loop {
            if let Next::Close(reason) = self.exchange() {
                return reason;
            }
        }
    }

    /// One turn: wait for a request, read past its body, answer it, and
    /// decide whether the connection goes on.
    fn exchange(&mut self) -> Next {
        // Idle between requests: shutdown may close the socket now. The flag
        // is read after `busy` is cleared, so either this thread sees it, or
        // the shutting-down thread sees this one idle.
        self.busy.store(false, Ordering::SeqCst);
        if self.context.is_shutting_down() {
            return Next::Close(CloseReason::Shutdown);
        }
        let incoming = self.next_request();
        self.busy.store(true, Ordering::SeqCst);
        let received = Instant::now();
        let request = match self.take_request(incoming, received) {
            Ok(request) => request,
            Err(next) => return next,
        };
        if self.wrong_scheme {
            let refusal = Refusal {
                status: Status::BadRequest,
                why: PLAIN_ON_HTTPS,
            };
            return self.refuse(request.raw(), refusal, received);
        }
        if request.method == Method::Post {
            if let Some(next) = self.take_upload(&request, received) {
                return next;
            }
        }
        let framing = match framing(&request) {
            Ok(framing) => framing,
            Err(error) => {
                let refusal = Refusal {
                    status: error.status(),
                    why: error.describe(),
                };
                return self.refuse(request.raw(), refusal, received);
            }
        };
        if framing != Framing::None
            && self.waits_for_continue(&request)
            && !matches!(request.method, Method::Get | Method::Head)
        {
            // RFC 9110 §10.1.1: the final status (405, 501, 204) is known
            // without the body, so it goes instead of 100 Continue, and the
            // connection closes: whether the body follows is now the
            // client's choice, and the next request cannot be found.
            return self.serve(&request, received, true);
        }
        if let Err(status) = self.skip_body(&request, framing) {
            let why = phrase("the request body could not be read", "无法读取请求体");
            return self.refuse(request.raw(), Refusal { status, why }, received);
        }
        let next = self.serve(&request, received, false);
        self.spare_request = Some(request);
        next
    }

    /// The request that arrived, or what to do instead: refuse a head that
    /// could not be read, or close.
    #[inline(never)]
    fn take_request(&mut self, incoming: Incoming, received: Instant) -> Result<Request, Next> {
        let refusal = match incoming {
            Incoming::Request(request) => return Ok(request),
            Incoming::Refused(error) => Refusal {
                status: error.status(),
                why: error.describe(),
            },
            Incoming::HeadTimedOut => Refusal {
                status: Status::RequestTimeout,
                why: phrase(
                    "the head did not arrive within the head timeout",
                    "请求头没有在头部超时内到齐",
                ),
            },
            Incoming::Closed if self.context.is_shutting_down() => {
                return Err(Next::Close(CloseReason::Shutdown))
            }
            // A connection that never carried a request is told apart: it
            // is a browser's spare one, which puzzles students in captures.
            Incoming::Closed if self.requests == 0 => {
                return Err(Next::Close(CloseReason::ClientClosedUnused))
            }
            Incoming::Closed => return Err(Next::Close(CloseReason::ClientClosed)),
            Incoming::Idle if self.requests == 0 => {
                return Err(Next::Close(CloseReason::IdleUnused))
            }
            Incoming::Idle => return Err(Next::Close(CloseReason::IdleTimeout)),
            Incoming::Broken => return Err(Next::Close(CloseReason::Broken)),
        };
        let head = self.pending().to_vec();
        Err(self.refuse(&head, refusal, received))
    }

    /// Answers a request whose head and body were read (or, with
    /// `body_unread`, whose body will not be, so the connection closes).
    #[inline(never)]
    fn serve(&mut self, request: &Request, received: Instant, body_unread: bool) -> Next {
        let context = self.context;
        let (response, decision) = files::serve(request, &context.site, &context.cache);
        // Only a watched site has a reload stream to open.
        if context.site.watch && decision.opens_reload_stream() && !body_unread {
            return self.reload(request, (response, decision), received);
        }
        self.answer_served(request, (response, decision), received, body_unread)
    }

    /// `--watch`: the reload stream's head, then its events on this
    /// connection until the page goes or the server stops; 503 past
    /// [`reload::MAX_RELOAD_VIEWERS`].
    fn reload(
        &mut self,
        request: &Request,
        (response, decision): (Response, Decision),
        received: Instant,
    ) -> Next {
        let context = self.context;
        let Some(watcher) = context.watcher.as_deref() else {
            return self.answer_served(request, (response, decision), received, false);
        };
        let viewers = &context.reload_viewers;
        if viewers.fetch_add(1, Ordering::SeqCst) >= reload::MAX_RELOAD_VIEWERS {
            viewers.fetch_sub(1, Ordering::SeqCst);
            let busy = Response::error(Status::ServiceUnavailable).with_field("Retry-After", "1");
            return self.answer_served(request, (busy, decision), received, false);
        }
        let next = self.answer_served(request, (response, decision), received, false);
        let next = match next {
            Next::Continue | Next::Close(_) if request.method == Method::Get => {
                let chunked = request.version == HttpVersion::Http11;
                let stopping = || context.is_shutting_down();
                let framing = (chunked, context.write_timeout);
                let tap = self.observer.tap();
                let _ = reload::stream(&mut self.link, tap, watcher, framing, stopping);
                Next::Close(CloseReason::EventsEnded)
            }
            other => other,
        };
        viewers.fetch_sub(1, Ordering::SeqCst);
        next
    }

    /// Sends the answer to a request that was read (or, with `body_unread`,
    /// whose body will not be, so the connection closes), tells the
    /// observers, and says whether the connection goes on.
    fn answer_served(
        &mut self,
        request: &Request,
        (response, decision): (Response, Decision),
        received: Instant,
        body_unread: bool,
    ) -> Next {
        let keep_alive =
            persistence::decide(request, self.context.policy()).with_body_unread(body_unread);
        if self.observer.wants_bytes() {
            let outcome = Outcome::Served {
                request,
                decision: &decision,
                keep_alive,
            };
            self.responding(request.raw(), outcome, response.status, received);
        }
        let sent = self.answer(
            request.method == Method::Head,
            &response,
            keep_alive.connection_field(),
        );
        let outcome = Outcome::Served {
            request,
            decision: &decision,
            keep_alive,
        };
        self.observe(request.raw(), outcome, &response, &sent, received);
        match sent {
            Err(error) if is_timeout(&error) => Next::Close(CloseReason::WriteTimedOut),
            Err(_) => Next::Close(CloseReason::Broken),
            Ok(_) => keep_alive
                .close_reason()
                .map_or(Next::Continue, Next::Close),
        }
    }

    /// The one error-answer path: a request that cannot be read (its head,
    /// or its body's framing) gets its status, then the connection closes.
    #[inline(never)]
    fn refuse(&mut self, head: &[u8], refusal: Refusal, received: Instant) -> Next {
        log::debug!("{}: refused: {}", self.peer(), refusal.why);
        let response = match self.wrong_scheme {
            // In plain text, as nginx answers it: a browser shows it as is.
            true => Response::new(refusal.status, Body::Bytes(PLAIN_ON_HTTPS_PAGE.into()))
                .with_field("Content-Type", "text/plain; charset=utf-8"),
            false => Response::error(refusal.status),
        };
        if self.observer.wants_bytes() {
            let outcome = Outcome::Unreadable { why: refusal.why };
            self.responding(head, outcome, response.status, received);
        }
        let sent = self.answer(false, &response, ConnectionField::Close);
        let outcome = Outcome::Unreadable { why: refusal.why };
        self.observe(head, outcome, &response, &sent, received);
        Next::Close(CloseReason::BadRequest(refusal.status))
    }

    /// Sends a response, its head written into `scratch` (kept there for
    /// the observers).
    fn answer(
        &mut self,
        is_head: bool,
        response: &Response,
        connection: ConnectionField,
    ) -> io::Result<Delivered> {
        self.requests += 1;
        self.scratch.reserve(HEAD_BYTES);
        let outgoing = Outgoing {
            response,
            connection,
            is_head_request: is_head,
            date: self.dates.now(),
            added: &self.context.added,
        };
        let sent = wire::send(
            &mut self.link,
            outgoing,
            &mut self.scratch,
            self.observer.tap(),
            self.context.write_timeout,
        );
        if let Err(error) = &sent {
            log::debug!("{}: write failed: {error}", self.peer());
        }
        sent
    }

    /// Tells the observers that want the bytes (the capture) what the
    /// answer about to go decides, before its first byte.
    fn responding(
        &mut self,
        request_head: &[u8],
        outcome: Outcome<'_>,
        status: Status,
        received: Instant,
    ) {
        let number = self.requests + 1;
        let record =
            ExchangeRecord::new(number, request_head, outcome, status, &[], received, None);
        self.observer.responding(&record);
    }

    /// Tells the observers about the exchange just answered.
    fn observe(
        &mut self,
        request_head: &[u8],
        outcome: Outcome<'_>,
        response: &Response,
        sent: &io::Result<Delivered>,
        received: Instant,
    ) {
        let record = ExchangeRecord::new(
            self.requests,
            request_head,
            outcome,
            response.status,
            &self.scratch,
            received,
            sent.as_ref().ok().copied(),
        );
        self.observer.exchanged(&record);
    }

    /// Reads until the buffer holds a whole head, or something else happens.
    fn next_request(&mut self) -> Incoming {
        let mut head_deadline: Option<Instant> = None;
        loop {
            if self.requests == 0
                && !self.link.is_tls()
                && crate::protocol::tls_hello::looks_like_tls(self.pending())
            {
                return Incoming::Refused(HeadError::LooksLikeTls);
            }
            if !self.pending().is_empty() {
                match self.parse_pending() {
                    Ok(Some((request, head_len))) => {
                        self.start += head_len;
                        return Incoming::Request(request);
                    }
                    Ok(None) => {}
                    Err(error) => return Incoming::Refused(error),
                }
            }
            // Idle until a head starts; from then on, the head's deadline.
            let timeout = match head_deadline {
                // A new connection waits with the timeout it inherited from
                // the listener (no system call to change it): a spare one
                // holds its small buffer for the idle timeout, then goes.
                None if self.pending().is_empty() && self.requests == 0 => {
                    self.context.idle_timeout
                }
                None if self.pending().is_empty() => self.context.idle_timeout.min(IDLE_GRACE),
                None => {
                    let deadline = Instant::now() + self.context.head_timeout;
                    *head_deadline.insert(deadline) - Instant::now()
                }
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return Incoming::HeadTimedOut,
                },
            };
            match self.fill(timeout) {
                Ok(0) if self.pending().is_empty() => return Incoming::Closed,
                Ok(0) => return Incoming::Broken,
                Ok(_) => {
                    head_deadline.get_or_insert_with(|| Instant::now() + self.context.head_timeout);
                }
                Err(error) if is_timeout(&error) && !self.pending().is_empty() => {
                    return Incoming::HeadTimedOut;
                }
                Err(error) if is_timeout(&error) && self.requests == 0 => return Incoming::Idle,
                Err(error) if is_timeout(&error) => {
                    let rest = self.context.idle_timeout.saturating_sub(IDLE_GRACE);
                    match self.sleep_until_readable(rest) {
                        // The next read finds a byte, or the client's close.
                        Ok(true) => {}
                        Ok(false) => return Incoming::Idle,
                        Err(_) => return Incoming::Broken,
                    }
                }
                Err(_) => return Incoming::Broken,
            }
        }
    }

    /// Reads and throws away the request body framed by `framing`, leaving
    /// the bytes after it. On failure, returns the status to answer with
    /// before closing.
    fn skip_body(&mut self, request: &Request, framing: Framing) -> Result<(), Status> {
        let deadline = BodyDeadline::InAll(Instant::now() + self.context.body_timeout);
        self.read_body(request, framing, MAX_BODY_BYTES, deadline, |_| {})
            .map(drop)
    }

    /// Reads an upload at the sink to its end, throwing its bytes away (the
    /// parts of a form counted as they pass), then answers what came: 413
    /// past `--sink-limit` (before any byte is read, when the length is
    /// declared; instead of `100 Continue` when one is awaited), 408 when
    /// the body stops coming for `--body-timeout`.
    #[inline(never)]
    fn upload(&mut self, request: &Request, verdict: Option<Verdict>, received: Instant) -> Next {
        let limit = self.context.site.sink().map_or(0, Sink::limit);
        let too_large = phrase(
            "an upload larger than --sink-limit",
            "上传的内容超过 --sink-limit",
        );
        let mut form = request
            .field("content-type")
            .and_then(form::boundary)
            .map(|boundary| FormReader::new(&boundary));
        let read = self.read_upload(request, (limit, too_large), received, |piece| {
            if let Some(form) = form.as_mut() {
                form.feed(piece);
            }
        });
        let (bytes, duration) = match read {
            Ok(read) => read,
            Err(next) => return next,
        };
        let upload = Upload {
            bytes,
            duration,
            form: form.map(FormReader::finish),
        };
        let answered = files::site::answer_upload(upload, verdict);
        self.answer_served(request, answered, received, false)
    }

    /// A `POST` for a feature that reads bodies (`--sink`, `--upload`),
    /// answered; `None` when it is for neither.
    fn take_upload(&mut self, request: &Request, received: Instant) -> Option<Next> {
        Some(
            match files::site::admit_upload(request, &self.context.site) {
                Admission::Elsewhere => return None,
                Admission::Admitted(verdict) => self.upload(request, verdict, received),
                Admission::Store { path, verdict } => self.store(request, &path, verdict, received),
                // Refused before a byte of the body is read: the client may
                // still be sending it, so the connection closes.
                Admission::Refused(refused) => {
                    self.answer_served(request, *refused, received, true)
                }
            },
        )
    }

    /// `--upload`: reads a form's body into files in the directory `path`
    /// names, each given its name once the body is whole (see
    /// `files::store`). Before a byte is read: 415 for a body that is not
    /// a form, 404 for a directory that is not there, 413 past
    /// `--upload-limit` when the length is declared. Cut off, past the
    /// limit or stalled, it stores nothing.
    #[inline(never)]
    fn store(
        &mut self,
        request: &Request,
        path: &RequestPath,
        verdict: Option<Verdict>,
        received: Instant,
    ) -> Next {
        let limit = self.context.site.uploads().map_or(0, Uploads::limit);
        let opened = open_intake(request, path, &self.context.site);
        let (mut form, mut intake) = match opened {
            Ok(opened) => opened,
            Err(not) => {
                let answered = files::site::answer_stored(request, path, Err(not), verdict);
                return self.answer_served(request, answered, received, true);
            }
        };
        let too_large = phrase(
            "an upload larger than --upload-limit",
            "上传的内容超过 --upload-limit",
        );
        let read = self.read_upload(request, (limit, too_large), received, |piece| {
            form.feed_to(piece, &mut intake);
        });
        if let Err(next) = read {
            // The intake goes with its temporary files.
            return next;
        }
        let stored = intake.finish(form.finish().failed);
        let answered = files::site::answer_stored(request, path, stored, verdict);
        self.answer_served(request, answered, received, false)
    }

    /// Reads an upload's body (`--sink`, `--upload`) to its end, handing
    /// its data to `data`: within `limit` (413, said with `too_large`,
    /// before a byte when the length is declared and instead of `100
    /// Continue` when one is awaited), `--body-timeout` between reads
    /// (408). On failure, the answer sent, and the connection closes.
    fn read_upload(
        &mut self,
        request: &Request,
        (limit, too_large): (u64, Phrase),
        received: Instant,
        data: impl FnMut(&[u8]),
    ) -> Result<(u64, Duration), Next> {
        let too_large = Refusal {
            status: Status::ContentTooLarge,
            why: too_large,
        };
        let framing = match framing_within(request, limit) {
            Ok(framing) => framing,
            Err(FramingError::TooLarge) => {
                return Err(self.refuse(request.raw(), too_large, received))
            }
            Err(error) => {
                let refusal = Refusal {
                    status: error.status(),
                    why: error.describe(),
                };
                return Err(self.refuse(request.raw(), refusal, received));
            }
        };
        let deadline = BodyDeadline::BetweenReads(self.context.body_timeout);
        match self.read_body(request, framing, limit, deadline, data) {
            Ok(read) => Ok(read),
            Err(Status::ContentTooLarge) => Err(self.refuse(request.raw(), too_large, received)),
            Err(status) => {
                let why = phrase(
                    "the upload could not be read to its end",
                    "上传的内容没能读到末尾",
                );
                Err(self.refuse(request.raw(), Refusal { status, why }, received))
            }
        }
    }

    /// Reads a body framed by `framing` to its end, after `100 Continue`
    /// when the client awaits it, handing its data (a chunked body's without
    /// the framing) to `data`: at most `limit` bytes, within `deadline`.
    /// Returns the bytes and the time from the first to the last. On
    /// failure, the status to answer with before closing.
    fn read_body(
        &mut self,
        request: &Request,
        framing: Framing,
        limit: u64,
        deadline: BodyDeadline,
        mut data: impl FnMut(&[u8]),
    ) -> Result<(u64, Duration), Status> {
        if framing == Framing::None {
            return Ok((0, Duration::ZERO));
        }
        if self.waits_for_continue(request) {
            self.send_continue()?;
        }
        let mut body = BodyReader::new(framing, limit);
        let (mut bytes, mut first, mut last) = (0u64, None, Instant::now());
        loop {
            let pending = self.pending();
            if !pending.is_empty() {
                first.get_or_insert_with(Instant::now);
                last = Instant::now();
            }
            let used = body
                .read(pending, |piece| {
                    bytes += piece.len() as u64;
                    data(piece);
                })
                .map_err(|error| {
                    log::debug!("{}: {}", self.peer(), error.describe());
                    error.status()
                })?;
            self.start += used;
            if body.is_done() {
                let duration = first.map_or(Duration::ZERO, |first| last - first);
                return Ok((bytes, duration));
            }
            let by = match deadline {
                BodyDeadline::InAll(by) => by,
                BodyDeadline::BetweenReads(gap) => Instant::now() + gap,
            };
            self.fill_before(by)?;
        }
    }

    /// Whether the client waits for a go-ahead before it sends the body
    /// (RFC 9110 §10.1.1): it asked with `Expect: 100-continue` and has not
    /// sent any of the body yet.
    fn waits_for_continue(&self, request: &Request) -> bool {
        request.version == HttpVersion::Http11
            && request.has_token("expect", "100-continue")
            && self.pending().is_empty()
    }

    /// Sends the go-ahead, `100 Continue`.
    fn send_continue(&mut self) -> Result<(), Status> {
        let interim = Response::new(Status::Continue, Body::Empty);
        let outgoing = Outgoing {
            response: &interim,
            connection: ConnectionField::Absent,
            is_head_request: true,
            date: self.dates.now(),
            added: &self.context.added,
        };
        wire::send(
            &mut self.link,
            outgoing,
            &mut self.scratch,
            self.observer.tap(),
            self.context.write_timeout,
        )
        .map(drop)
        .map_err(|_| Status::BadRequest)
    }

    /// Reads more of a body, which must have arrived whole by `deadline`.
    fn fill_before(&mut self, deadline: Instant) -> Result<(), Status> {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or(Status::RequestTimeout)?;
        match self.fill(left) {
            Ok(0) => Err(Status::BadRequest),
            Ok(_) => Ok(()),
            Err(error) if is_timeout(&error) => Err(Status::RequestTimeout),
            Err(_) => Err(Status::BadRequest),
        }
    }

    /// The head at the start of the received bytes, parsed into the last
    /// request's buffers when there was one.
    fn parse_pending(&mut self) -> Result<Option<(Request, usize)>, HeadError> {
        let pending = &self.buffer[self.start..self.end];
        parse_head_reusing(pending, &mut self.spare_request)
    }

    /// The received bytes not yet consumed.
    fn pending(&self) -> &[u8] {
        &self.buffer[self.start..self.end]
    }

    fn peer(&self) -> String {
        self.stream
            .peer_addr()
            .map_or_else(|_| "a client".to_string(), |addr| addr.to_string())
    }

    /// Sets the socket's read timeout, skipping the call when it is set.
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        if self.read_timeout != Some(timeout) {
            self.stream.set_read_timeout(Some(timeout))?;
            self.read_timeout = Some(timeout);
        }
        Ok(())
    }

    /// Gives the buffers back and waits up to `timeout` for the next byte
    /// (or the close) without taking it. False when nothing came.
    fn sleep_until_readable(&mut self, timeout: Duration) -> io::Result<bool> {
        if self.link.has_unread() {
            return Ok(true);
        }
        if timeout.is_zero() {
            return Ok(false);
        }
        let held = self.buffer.capacity() + self.scratch.capacity();
        self.buffer = Vec::new();
        (self.start, self.end) = (0, 0);
        self.scratch = Vec::new();
        self.spare_request = None;
        let stack = sys::release_below_here();
        log::debug!(
            "{}: idle past the grace: gave back {held} bytes of buffers and {stack} of stack, \
             {} still held; waiting on a one-byte peek",
            self.peer(),
            self.buffer.capacity() + self.scratch.capacity()
        );
        self.set_read_timeout(timeout)?;
        loop {
            match self.stream.peek(&mut [0u8; 1]) {
                Ok(_) => return Ok(true),
                Err(error) if is_timeout(&error) => return Ok(false),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        }
    }

    /// Reads more bytes into the buffer, waiting at most `timeout`.
    fn fill(&mut self, timeout: Duration) -> io::Result<usize> {
        self.set_read_timeout(timeout)?;
        // Move unconsumed bytes to the front before growing.
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        // A large head grew the buffer; an idle connection gives it back.
        if self.end == 0 && self.buffer.len() > 2 * READ_CHUNK_BYTES {
            self.buffer = Vec::new();
        }
        if self.buffer.len() - self.end < READ_CHUNK_BYTES {
            self.buffer.resize(self.end + READ_CHUNK_BYTES, 0);
        }
        let len = self.end;
        let result = self.link.read(&mut self.buffer[len..], &mut self.observer);
        self.end += *result.as_ref().unwrap_or(&0);
        result
    }

    /// Ends the connection: lingers when the last response needs it, then
    /// tells the observers.
    #[inline(never)]
    fn close(&mut self, reason: CloseReason) {
        // TLS: say so before the FIN, and answer the client's own
        // close_notify (RFC 5246 §7.2.1); not on a link already broken.
        if !reason.is_client_gone() || reason == CloseReason::ClientClosed {
            self.link.notify_close(&mut self.observer);
        }
        let capturing = self.observer.wants_bytes();
        let unread = !self.pending().is_empty() || self.link.has_unread();
        let stream = self.stream;
        let unread = || unread || sys::peek(stream) == sys::Peeked::Unread;
        if must_linger(reason, capturing, unread) {
            self.linger();
        }
        self.observer.closed(reason, self.requests);
    }

    /// Shuts down our sending side and reads what the client still sends for
    /// a bounded time, so our last response is not lost to a reset.
    fn linger(&mut self) {
        if self.stream.shutdown(Shutdown::Write).is_err() {
            return;
        }
        self.observer.server_closed();
        let deadline = Instant::now() + LINGER_TIMEOUT;
        let mut drained = 0;
        // The connection's own buffer, not a stack array: a 4 KiB array here
        // would be touched by every connection's thread, lingering or not.
        (self.start, self.end) = (0, 0);
        let sink = &mut self.buffer;
        if sink.len() < READ_CHUNK_BYTES {
            sink.resize(READ_CHUNK_BYTES, 0);
        }
        while drained < LINGER_MAX_BYTES {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match sys::read_retrying(self.stream, sink) {
                Ok(0) => {
                    self.observer.client_closed();
                    break;
                }
                Ok(n) => {
                    self.observer.received(&sink[..n]);
                    drained += n;
                }
                Err(_) => break,
            }
        }
    }
}

/// `--upload`: the form's reader and the intake into the directory
/// `path` names, or why there is none before a byte of the body is read:
/// 415 for a body that is not a form, 404 for a folder that is not there.
fn open_intake(
    request: &Request,
    path: &RequestPath,
    site: &files::site::Site,
) -> Result<(FormReader, Intake), NotStored> {
    match request.field("content-type").and_then(form::boundary) {
        None => Err(NotStored {
            status: Status::UnsupportedMediaType,
            why: phrase(
                "a body that is not multipart/form-data",
                "请求体不是 multipart/form-data",
            ),
            name: None,
        }),
        Some(boundary) => match site.root.writable_directory(path) {
            Ok(dir) => Ok((FormReader::new(&boundary), Intake::new(dir))),
            Err(_) => Err(NotStored {
                status: Status::NotFound,
                why: phrase("no such folder under the root", "根目录下没有这个文件夹"),
                name: None,
            }),
        },
    }
}

/// Whether closing for `reason` must linger (RFC 9112 §9.6): unless the
/// client is gone, or said it was done and sent nothing more, a close with
/// bytes unread would make the kernel answer with a reset, and the reset can
/// destroy the last response before the client reads it. When `capturing`,
/// it lingers anyway, to record the client's side of the close. `unread`
/// asks the kernel, so it is called only when the answer matters.
fn must_linger(reason: CloseReason, capturing: bool, unread: impl FnOnce() -> bool) -> bool {
    if reason.is_client_gone() {
        return false;
    }
    !reason.is_client_done() || capturing || unread()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Status;

    #[test]
    fn when_a_close_lingers() {
        use CloseReason::*;
        // reason, capturing, bytes unread -> lingers
        let cases = [
            // The client is gone: nothing to protect, whatever is unread.
            (ClientClosed, true, true, false),
            (Broken, false, true, false),
            (WriteTimedOut, true, false, false),
            (OverLimit, false, true, false),
            // The client said it was done: linger only for what it still
            // sent, or to record its close.
            (ClientAskedClose, false, false, false),
            (ClientAskedClose, false, true, true),
            (ClientAskedClose, true, false, true),
            (Http10Default, false, false, false),
            (Http10Default, false, true, true),
            (NoKeepAlive, false, false, false),
            // The server chose to close: the client may be sending already.
            (IdleTimeout, false, false, true),
            (Shutdown, false, false, true),
            (BadRequest(Status::BadRequest), false, false, true),
            (BodyUnread, false, false, true),
            (EventsEnded, false, false, true),
        ];
        for (reason, capturing, unread, lingers) in cases {
            let asked = std::cell::Cell::new(false);
            let got = must_linger(reason, capturing, || {
                asked.set(true);
                unread
            });
            assert_eq!(
                got, lingers,
                "{reason:?} capturing={capturing} unread={unread}"
            );
            // The kernel is asked only when its answer decides.
            let decides = reason.is_client_done() && !capturing;
            assert_eq!(asked.get(), decides, "{reason:?} capturing={capturing}");
        }
    }
}
