//! One connection, from accept to close (RFC 9112 §9): read a head, find the
//! end of its body, answer, decide whether the connection goes on, repeat.
//!
//! Bytes that arrive after a head (a pipelined request) stay in the buffer
//! for the next turn, so responses go out in request order. When the server
//! closes, it says `Connection: close` in its last response, then shuts down
//! its sending side and reads what the client still sends for a moment, so
//! the client's unread bytes cannot make the kernel reset the connection and
//! destroy that last response (RFC 9112 §9.6).

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::access_log;
use crate::body::{framing, ChunkedDecoder, Framing};
use crate::cache::FileCache;
use crate::capture::{Capture, Conversation};
use crate::fs::Root;
use crate::request::{parse_head, HeadError, HttpVersion, Method, Request};
use crate::response::{self, Body, DateCache, Persistence, Response, Sent, Status, Tap};
use crate::static_files;
use crate::sys;
use crate::trace::{self, Exchange, Trace};

/// How long a request body may take to arrive, in total, so a client
/// trickling a body cannot hold the connection open.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to keep reading after shutting down our side, at most.
pub const LINGER_TIMEOUT: Duration = Duration::from_secs(2);
/// How much to read and throw away while lingering, at most.
pub const LINGER_MAX_BYTES: usize = 1024 * 1024;
/// Bytes asked of the kernel per read: a browser's head fits in one. The
/// buffer stays this small while a connection is idle, so thousands of idle
/// connections cost little memory.
const READ_CHUNK_BYTES: usize = 4 * 1024;

/// What every connection shares: the files, the timing policy, and whether
/// the server is shutting down.
#[derive(Debug)]
pub struct Context {
    pub root: Root,
    /// Small files' bytes, shared by every connection.
    pub cache: FileCache,
    /// How long an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
    /// How long a request head may take from its first byte: a total
    /// deadline, not per read, so a client dribbling a byte at a time cannot
    /// hold the connection (slowloris).
    pub head_timeout: Duration,
    /// How long one write may make no progress before the client is given
    /// up, so a client that stops reading cannot hold the connection.
    pub write_timeout: Duration,
    /// Whether connections may carry more than one request (off with
    /// `--no-keepalive`).
    pub keep_alive: bool,
    /// `--trace`: explain every exchange on stderr.
    pub trace: Option<Trace>,
    /// `--capture`: record every conversation in a pcap file.
    pub capture: Option<Capture>,
    /// Set once when the server starts to shut down.
    pub shutting_down: AtomicBool,
}

impl Context {
    /// Whether the server has started to shut down.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
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

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The client closed its side between requests.
    ClientClosed,
    /// The client asked with `Connection: close`.
    ClientAskedClose,
    /// HTTP/1.0 without `Connection: keep-alive`.
    Http10Default,
    /// The server closes after every response (`--no-keepalive`).
    NoKeepAlive,
    /// No new request within the idle timeout.
    IdleTimeout,
    /// The request could not be read or framed; the status says why.
    BadRequest(Status),
    /// The client stopped reading: a write made no progress in time.
    WriteTimedOut,
    /// The server is shutting down.
    Shutdown,
    /// The client vanished mid-request, or a read or write failed.
    Broken,
}

impl CloseReason {
    /// Who closed, and why, in plain words.
    pub fn describe(self) -> String {
        match self {
            CloseReason::ClientClosed => "by the client, between requests".into(),
            CloseReason::ClientAskedClose => {
                "by the server, after the response to Connection: close".into()
            }
            CloseReason::Http10Default => {
                "by the server, after the response to HTTP/1.0 without keep-alive".into()
            }
            CloseReason::NoKeepAlive => "by the server, after one response (--no-keepalive)".into(),
            CloseReason::IdleTimeout => "by the server, idle for the whole idle timeout".into(),
            CloseReason::BadRequest(status) => format!(
                "by the server, after {} {}: the request could not be read",
                status.code(),
                status.reason()
            ),
            CloseReason::WriteTimedOut => {
                "by the server, the client stopped reading (write timeout)".into()
            }
            CloseReason::Shutdown => "by the server, shutting down".into(),
            CloseReason::Broken => "the connection broke (reset or vanished client)".into(),
        }
    }
}

/// Whether the connection stays open after a response, and why
/// (RFC 9112 §9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAlive {
    /// HTTP/1.1 persists by default.
    Http11Default,
    /// HTTP/1.0 with `Connection: keep-alive`: persist, and say so.
    Http10Asked,
    /// `Connection: close` from the client.
    ClientAskedClose,
    /// HTTP/1.0 without `Connection: keep-alive`.
    Http10Default,
    /// `--no-keepalive`: one response per connection.
    DisabledByServer,
    /// The server is shutting down: this is the last response.
    ShuttingDown,
}

impl KeepAlive {
    /// What the response head says about the connection.
    pub fn persistence(self) -> Persistence {
        match self {
            KeepAlive::Http11Default => Persistence::KeepAlive,
            KeepAlive::Http10Asked => Persistence::KeepAliveHttp10,
            _ => Persistence::Close,
        }
    }

    /// The decision in plain words.
    pub fn describe(self) -> &'static str {
        match self {
            KeepAlive::Http11Default => {
                "HTTP/1.1 without Connection: close -> the connection stays open for the next request"
            }
            KeepAlive::Http10Asked => {
                "HTTP/1.0 with Connection: keep-alive -> stays open, and the response says keep-alive"
            }
            KeepAlive::ClientAskedClose => {
                "Connection: close -> the server closes after this response"
            }
            KeepAlive::Http10Default => {
                "HTTP/1.0 without keep-alive -> the server closes after this response"
            }
            KeepAlive::DisabledByServer => {
                "--no-keepalive -> the server closes after this response, Connection: close"
            }
            KeepAlive::ShuttingDown => {
                "the server is shutting down -> closes after this response, Connection: close"
            }
        }
    }

    /// Why the connection ends after this response, if it does.
    fn close_reason(self) -> Option<CloseReason> {
        match self {
            KeepAlive::Http11Default | KeepAlive::Http10Asked => None,
            KeepAlive::ClientAskedClose => Some(CloseReason::ClientAskedClose),
            KeepAlive::Http10Default => Some(CloseReason::Http10Default),
            KeepAlive::DisabledByServer => Some(CloseReason::NoKeepAlive),
            KeepAlive::ShuttingDown => Some(CloseReason::Shutdown),
        }
    }
}

/// Serves one connection to its end and says why it ended and how many
/// requests it carried. `id` numbers the connection in the trace.
pub fn serve(
    handle: &ConnectionHandle,
    peer: SocketAddr,
    id: u64,
    context: &Context,
) -> (CloseReason, u64) {
    let stream = &handle.stream;
    let local = stream.local_addr().unwrap_or(peer);
    if let Some(trace) = &context.trace {
        trace.opened(id, peer, local);
    }
    let conversation = context
        .capture
        .as_ref()
        .map(|capture| capture.conversation(peer, local));
    // TCP_NODELAY (responses are written whole, so Nagle's delay would only
    // add latency), the write timeout and the idle read timeout come from
    // the listener: accepted sockets inherit them.
    let mut connection = Connection {
        stream,
        busy: &handle.busy,
        peer,
        id,
        context,
        conversation,
        buffer: Vec::with_capacity(READ_CHUNK_BYTES),
        start: 0,
        scratch: Vec::with_capacity(1024),
        read_timeout: Some(context.idle_timeout),
        dates: DateCache::default(),
        requests: 0,
    };
    let reason = connection.run();
    let nothing_to_protect = match reason {
        // The client is gone or the stream is broken.
        CloseReason::ClientClosed | CloseReason::Broken | CloseReason::WriteTimedOut => true,
        // The client said it is done: linger only if it sent more anyway,
        // or when capturing, to record the client's side of the close.
        CloseReason::ClientAskedClose | CloseReason::Http10Default | CloseReason::NoKeepAlive => {
            connection.pending().is_empty()
                && !sys::has_unread_bytes(stream)
                && connection.conversation.is_none()
        }
        _ => false,
    };
    if !nothing_to_protect {
        connection.linger();
    }
    if let Some(conversation) = &mut connection.conversation {
        conversation.server_closed();
    }
    if let Some(trace) = &context.trace {
        trace.closed(id, reason, connection.requests);
    }
    (reason, connection.requests)
}

struct Connection<'a> {
    stream: &'a TcpStream,
    busy: &'a AtomicBool,
    peer: SocketAddr,
    /// The connection's number, for the trace.
    id: u64,
    context: &'a Context,
    /// The capture's record of this connection (lab mode).
    conversation: Option<Conversation<'a>>,
    /// Received bytes; those before `start` are consumed.
    buffer: Vec<u8>,
    start: usize,
    /// Reused for response heads.
    scratch: Vec<u8>,
    /// The read timeout set on the socket, to skip redundant system calls.
    read_timeout: Option<Duration>,
    dates: DateCache,
    requests: u64,
}

/// What waiting for the next request produced.
enum Incoming {
    Request(Request),
    Refused(HeadError),
    /// The client closed cleanly, before the first byte of a request.
    Closed,
    /// Nothing arrived within the idle timeout.
    Idle,
    /// A head started but did not finish within [`HEAD_TIMEOUT`].
    HeadTimedOut,
    /// The client vanished mid-head, or the read failed.
    Broken,
}

impl Connection<'_> {
    fn run(&mut self) -> CloseReason {
        loop {
            // Idle between requests: shutdown may close the socket now. The
            // flag is read after `busy` is cleared, so either this thread
            // sees it, or the shutting-down thread sees this one idle.
            self.busy.store(false, Ordering::SeqCst);
            if self.context.is_shutting_down() {
                return CloseReason::Shutdown;
            }
            let incoming = self.next_request();
            self.busy.store(true, Ordering::SeqCst);
            let received = Instant::now();
            let request = match incoming {
                Incoming::Request(request) => request,
                Incoming::Refused(error) => {
                    log::debug!("{}: refused head: {}", self.peer, error.describe());
                    return self.refuse(error.status(), error.describe(), received);
                }
                Incoming::HeadTimedOut => {
                    let why = "the head did not arrive within the head timeout";
                    return self.refuse(Status::RequestTimeout, why, received);
                }
                Incoming::Closed if self.context.is_shutting_down() => {
                    return CloseReason::Shutdown
                }
                Incoming::Closed => return CloseReason::ClientClosed,
                Incoming::Idle => return CloseReason::IdleTimeout,
                Incoming::Broken => return CloseReason::Broken,
            };
            self.requests += 1;

            let is_head = request.method == Method::Head;
            let request_line = first_line(request.raw());
            if let Err(status) = self.skip_body(&request) {
                // The framing is in doubt: answer, then close.
                let response = Response::error(status);
                let decisions =
                    self.context.trace.as_ref().map(|_| {
                        trace::explain_refusal("the request body could not be read", status)
                    });
                let exchange = Answer {
                    request_line,
                    request_head: request.raw(),
                    decisions,
                    received,
                };
                let _ = self.answer(exchange, is_head, &response, Persistence::Close);
                return CloseReason::BadRequest(status);
            }

            let (response, decision) =
                static_files::serve(&request, &self.context.root, &self.context.cache);
            let mut keep_alive = keep_alive_for(&request);
            if !self.context.keep_alive && keep_alive.close_reason().is_none() {
                keep_alive = KeepAlive::DisabledByServer;
            }
            if self.context.is_shutting_down() {
                // The last response of a stopping server says so.
                keep_alive = KeepAlive::ShuttingDown;
            }
            let decisions = self
                .context
                .trace
                .as_ref()
                .map(|_| trace::explain(&request, &decision, keep_alive));
            let exchange = Answer {
                request_line,
                request_head: request.raw(),
                decisions,
                received,
            };
            let persistence = keep_alive.persistence();
            if let Err(error) = self.answer(exchange, is_head, &response, persistence) {
                return if is_timeout(&error) {
                    CloseReason::WriteTimedOut
                } else {
                    CloseReason::Broken
                };
            }
            if let Some(reason) = keep_alive.close_reason() {
                return reason;
            }
        }
    }

    /// Reads until the buffer holds a whole head, or something else happens.
    fn next_request(&mut self) -> Incoming {
        let mut head_deadline: Option<Instant> = None;
        loop {
            if !self.pending().is_empty() {
                match parse_head(self.pending()) {
                    Ok(Some((request, head_len))) => {
                        self.start += head_len;
                        return Incoming::Request(request);
                    }
                    Ok(None) => {}
                    Err(error) => return Incoming::Refused(error),
                }
            }
            let timeout = match head_deadline {
                None if self.pending().is_empty() => self.context.idle_timeout,
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
                    if head_deadline.is_none() {
                        head_deadline = Some(Instant::now() + self.context.head_timeout);
                    }
                }
                Err(error) if is_timeout(&error) => {
                    return if self.pending().is_empty() {
                        Incoming::Idle
                    } else {
                        Incoming::HeadTimedOut
                    };
                }
                Err(_) => return Incoming::Broken,
            }
        }
    }

    /// Reads and throws away the request body, leaving the bytes after it.
    /// On failure, returns the status to answer with before closing.
    fn skip_body(&mut self, request: &Request) -> Result<(), Status> {
        let framing = framing(request).map_err(|error| {
            log::debug!("{}: {}", self.peer, error.describe());
            error.status()
        })?;
        if framing == Framing::None {
            return Ok(());
        }
        // RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` waits
        // for a go-ahead before sending the body.
        if request.version == HttpVersion::Http11
            && request.has_token("expect", "100-continue")
            && self.pending().is_empty()
        {
            let interim = Response::new(Status::Continue, Body::Empty);
            if self
                .write_response(&interim, true, Persistence::KeepAlive)
                .is_err()
            {
                return Err(Status::BadRequest);
            }
        }

        let deadline = Instant::now() + BODY_TIMEOUT;
        let mut remaining = match framing {
            Framing::Length(n) => n,
            _ => 0,
        };
        let mut chunked = ChunkedDecoder::default();
        loop {
            let pending = self.pending();
            let used = match framing {
                Framing::Chunked => chunked.consume(pending).map_err(|error| {
                    log::debug!("{}: {}", self.peer, error.describe());
                    error.status()
                })?,
                _ => pending.len().min(remaining as usize),
            };
            self.start += used;
            remaining -= (used as u64).min(remaining);
            let done = match framing {
                Framing::Chunked => chunked.is_done(),
                _ => remaining == 0,
            };
            if done {
                return Ok(());
            }
            let left = deadline
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())
                .ok_or(Status::RequestTimeout)?;
            match self.fill(left) {
                Ok(0) => return Err(Status::BadRequest),
                Ok(_) => {}
                Err(error) if is_timeout(&error) => return Err(Status::RequestTimeout),
                Err(_) => return Err(Status::BadRequest),
            }
        }
    }

    /// Answers a request that cannot be read with `status`, then closes.
    fn refuse(&mut self, status: Status, why: &str, received: Instant) -> CloseReason {
        let request_head = self.pending().to_vec();
        let response = Response::error(status);
        self.requests += 1;
        let exchange = Answer {
            request_line: first_line(&request_head),
            request_head: &request_head,
            decisions: self
                .context
                .trace
                .as_ref()
                .map(|_| trace::explain_refusal(why, status)),
            received,
        };
        let _ = self.answer(exchange, false, &response, Persistence::Close);
        CloseReason::BadRequest(status)
    }

    /// Sends a response, logs it, and traces the exchange.
    fn answer(
        &mut self,
        exchange: Answer<'_>,
        is_head: bool,
        response: &Response,
        persistence: Persistence,
    ) -> io::Result<()> {
        let result = self.write_response(response, is_head, persistence);
        let last_write = Instant::now();
        let sent = result.as_ref().map_or(0, |sent| sent.body_bytes);
        access_log::record(self.peer.ip(), exchange.request_line, response.status, sent);
        if let Err(error) = &result {
            log::debug!("{}: write failed: {error}", self.peer);
        }
        if let (Some(trace), Some(decisions)) = (&self.context.trace, exchange.decisions) {
            let traced = Exchange {
                number: self.requests,
                request_head: exchange.request_head,
                decisions,
                response_head: &self.scratch,
                body_bytes: sent,
                received: exchange.received,
                first_write: result.as_ref().ok().and_then(|sent| sent.first_write),
                last_write,
            };
            trace.exchange(self.id, &traced);
        }
        result.map(drop)
    }

    /// Writes the head into `scratch`, then sends head and body.
    fn write_response(
        &mut self,
        response: &Response,
        is_head: bool,
        persistence: Persistence,
    ) -> io::Result<Sent> {
        self.scratch.clear();
        response.write_head(&mut self.scratch, persistence, self.dates.now());
        let tap = self
            .conversation
            .as_mut()
            .map(|conversation| conversation as &mut dyn Tap);
        response::send(self.stream, response, is_head, &self.scratch, tap)
    }

    /// The received bytes not yet consumed.
    fn pending(&self) -> &[u8] {
        &self.buffer[self.start..]
    }

    /// Reads more bytes into the buffer, waiting at most `timeout`.
    fn fill(&mut self, timeout: Duration) -> io::Result<usize> {
        if self.read_timeout != Some(timeout) {
            self.stream.set_read_timeout(Some(timeout))?;
            self.read_timeout = Some(timeout);
        }
        // Move unconsumed bytes to the front before growing.
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        // A large head grew the buffer; an idle connection gives it back.
        if self.buffer.is_empty() && self.buffer.capacity() > 2 * READ_CHUNK_BYTES {
            self.buffer = Vec::with_capacity(READ_CHUNK_BYTES);
        }
        let len = self.buffer.len();
        self.buffer.resize(len + READ_CHUNK_BYTES, 0);
        let result = loop {
            match (&mut &*self.stream).read(&mut self.buffer[len..]) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.buffer.truncate(len + *result.as_ref().unwrap_or(&0));
        if let Some(conversation) = &mut self.conversation {
            match result {
                Ok(0) => conversation.client_closed(),
                Ok(_) => conversation.received(&self.buffer[len..]),
                Err(_) => {}
            }
        }
        result
    }

    /// Shuts down our sending side and reads what the client still sends for
    /// a bounded time, so our last response is not lost to a reset.
    fn linger(&mut self) {
        if self.stream.shutdown(Shutdown::Write).is_err() {
            return;
        }
        if let Some(conversation) = &mut self.conversation {
            conversation.server_closed();
        }
        let deadline = Instant::now() + LINGER_TIMEOUT;
        let mut drained = 0;
        let mut sink = [0u8; 4096];
        while drained < LINGER_MAX_BYTES {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match (&mut &*self.stream).read(&mut sink) {
                Ok(0) => {
                    if let Some(conversation) = &mut self.conversation {
                        conversation.client_closed();
                    }
                    break;
                }
                Ok(n) => {
                    if let Some(conversation) = &mut self.conversation {
                        conversation.received(&sink[..n]);
                    }
                    drained += n;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }
}

/// Whether the connection stays open after answering `request`
/// (RFC 9112 §9.3): HTTP/1.1 persists unless either side says `close`;
/// HTTP/1.0 persists only when the client asks with `keep-alive`.
pub fn keep_alive_for(request: &Request) -> KeepAlive {
    if request.has_token("connection", "close") {
        return KeepAlive::ClientAskedClose;
    }
    match request.version {
        HttpVersion::Http11 => KeepAlive::Http11Default,
        HttpVersion::Http10 if request.has_token("connection", "keep-alive") => {
            KeepAlive::Http10Asked
        }
        HttpVersion::Http10 => KeepAlive::Http10Default,
    }
}

/// What [`Connection::answer`] needs to know of the request.
struct Answer<'a> {
    request_line: &'a [u8],
    request_head: &'a [u8],
    /// The decisions in plain words, when tracing.
    decisions: Option<Vec<String>>,
    received: Instant,
}

/// The first line of a head, without its line ending.
fn first_line(head: &[u8]) -> &[u8] {
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    head[..end].strip_suffix(b"\r").unwrap_or(&head[..end])
}

/// Whether a socket error is a timeout (a read or write timeout shows as
/// `WouldBlock` on Unix, `TimedOut` on Windows).
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persistence_table() {
        let cases = [
            ("HTTP/1.1", "", Persistence::KeepAlive),
            ("HTTP/1.1", "Connection: close\r\n", Persistence::Close),
            (
                "HTTP/1.1",
                "Connection: Keep-Alive, CLOSE\r\n",
                Persistence::Close,
            ),
            ("HTTP/1.1", "Connection: closed\r\n", Persistence::KeepAlive),
            ("HTTP/1.0", "", Persistence::Close),
            (
                "HTTP/1.0",
                "Connection: keep-alive\r\n",
                Persistence::KeepAliveHttp10,
            ),
            (
                "HTTP/1.0",
                "Connection: KEEP-ALIVE\r\n",
                Persistence::KeepAliveHttp10,
            ),
            (
                "HTTP/1.0",
                "Connection: keep-alive, close\r\n",
                Persistence::Close,
            ),
        ];
        for (version, fields, expected) in cases {
            let head = format!("GET / {version}\r\nHost: a\r\n{fields}\r\n");
            let (request, _) = parse_head(head.as_bytes()).unwrap().unwrap();
            assert_eq!(
                keep_alive_for(&request).persistence(),
                expected,
                "{version} {fields:?}"
            );
        }
    }

    #[test]
    fn first_line_drops_the_line_ending() {
        let cases: [(&[u8], &[u8]); 4] = [
            (b"GET / HTTP/1.1\r\nHost: a\r\n", b"GET / HTTP/1.1"),
            (b"GET / HTTP/1.1\nHost: a\n", b"GET / HTTP/1.1"),
            (b"GET / HTT", b"GET / HTT"),
            (b"", b""),
        ];
        for (head, line) in cases {
            assert_eq!(first_line(head), line, "{head:?}");
        }
    }
}
