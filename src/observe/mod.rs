//! The observer seam: what the connection loop tells about a connection, and
//! who listens. The loop makes one call per event — opened, bytes received,
//! bytes sent, a side closed, an exchange, closed — on the connection's
//! [`ConnectionObserver`], built once at accept; each enabled observer (the
//! access log, `--trace`, `--capture`) reads the same values there and
//! renders what it needs. Observers read; they never drive the loop. A new
//! observer is one more [`Observer`] in [`Observers::connection`].
//!
//! | module | owns |
//! |---|---|
//! | [`access_log`] | one escaped Common Log Format line per request |
//! | [`trace`] | `--trace`: every exchange and decision explained |
//! | [`capture`] | `--capture`: the server's conversations as a pcap file |

pub mod access_log;
pub mod capture;
pub mod trace;

use std::net::SocketAddr;
use std::time::Instant;

use crate::files::Decision;
use crate::protocol::{CloseReason, KeepAlive, Request, Status};

/// Receives a copy of every byte written to the socket, in order, just
/// before it is written. Bytes of a write that then fails are still handed
/// over.
pub trait Tap {
    fn sent(&mut self, bytes: &[u8]);
}

/// One observer of one connection. Every method has a default that does
/// nothing, so an observer implements only the events it reads.
pub trait Observer {
    /// The connection was accepted.
    fn opened(&mut self, _client: SocketAddr, _server: SocketAddr) {}
    /// Whether it needs the bytes themselves ([`Observer::received`],
    /// [`Observer::sent`]); then file bodies go through memory, not sendfile.
    fn wants_bytes(&self) -> bool {
        false
    }
    /// Bytes read from the client.
    fn received(&mut self, _bytes: &[u8]) {}
    /// Bytes about to be written to the client.
    fn sent(&mut self, _bytes: &[u8]) {}
    /// The client closed its sending side (a read saw end-of-file).
    fn client_closed(&mut self) {}
    /// The server closed its sending side.
    fn server_closed(&mut self) {}
    /// A request was answered (or refused).
    fn exchanged(&mut self, _record: &ExchangeRecord<'_>) {}
    /// The connection ended, after `requests` exchanges.
    fn closed(&mut self, _reason: CloseReason, _requests: u64) {}
}

/// What was asked, and what was decided.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// The request was read and served.
    Served {
        request: &'a Request,
        decision: &'a Decision,
        keep_alive: KeepAlive,
    },
    /// The head or the body could not be read, or its framing is in doubt:
    /// answered with the record's status, then the connection closes.
    Unreadable { why: &'static str },
    /// Past the connection limit: answered 503 without reading a request.
    OverLimit { limit: usize },
}

/// One exchange, as the connection saw it: the single value every observer
/// reads.
#[derive(Debug)]
pub struct ExchangeRecord<'a> {
    /// The request's number on its connection, from 1.
    pub number: u64,
    /// The request head exactly as received (or the bytes of a refused head).
    pub request_head: &'a [u8],
    pub outcome: Outcome<'a>,
    pub status: Status,
    /// The response head exactly as sent.
    pub response_head: &'a [u8],
    /// Content bytes sent after the head.
    pub body_bytes: u64,
    /// When the whole request head had been read.
    pub received: Instant,
    /// When the first write returned, and when the last did.
    pub first_write: Option<Instant>,
    pub last_write: Instant,
}

impl ExchangeRecord<'_> {
    /// The request line as received, without its line ending.
    pub fn request_line(&self) -> &[u8] {
        let head = self.request_head;
        let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
        head[..end].strip_suffix(b"\r").unwrap_or(&head[..end])
    }
}

/// What observes the whole server, chosen once at start-up.
#[derive(Debug, Default)]
pub struct Observers {
    /// `--trace`: explain every exchange on stderr.
    pub trace: Option<trace::Trace>,
    /// `--capture`: record every conversation in a pcap file.
    pub capture: Option<capture::Capture>,
}

impl Observers {
    /// The observers of one new connection; tells them it opened.
    pub fn connection(
        &self,
        id: u64,
        client: SocketAddr,
        server: SocketAddr,
    ) -> ConnectionObserver<'_> {
        let mut observers: Vec<Box<dyn Observer + '_>> =
            vec![Box::new(access_log::AccessLog::new(client))];
        if let Some(trace) = &self.trace {
            observers.push(Box::new(trace.connection(id)));
        }
        if let Some(capture) = &self.capture {
            observers.push(Box::new(capture.conversation()));
        }
        let wants_bytes = observers.iter().any(|observer| observer.wants_bytes());
        let mut connection = ConnectionObserver {
            observers,
            wants_bytes,
        };
        for observer in &mut connection.observers {
            observer.opened(client, server);
        }
        connection
    }
}

/// Every observer of one connection, told each event in turn.
pub struct ConnectionObserver<'a> {
    observers: Vec<Box<dyn Observer + 'a>>,
    wants_bytes: bool,
}

impl ConnectionObserver<'_> {
    /// Where the wire writer hands the bytes it writes, when an observer
    /// wants them.
    pub fn tap(&mut self) -> Option<&mut dyn Tap> {
        if self.wants_bytes {
            Some(self)
        } else {
            None
        }
    }

    /// Whether any observer wants the bytes read.
    pub fn wants_bytes(&self) -> bool {
        self.wants_bytes
    }

    pub fn received(&mut self, bytes: &[u8]) {
        self.each(|observer| observer.received(bytes));
    }

    pub fn client_closed(&mut self) {
        self.each(|observer| observer.client_closed());
    }

    pub fn server_closed(&mut self) {
        self.each(|observer| observer.server_closed());
    }

    pub fn exchanged(&mut self, record: &ExchangeRecord<'_>) {
        self.each(|observer| observer.exchanged(record));
    }

    pub fn closed(&mut self, reason: CloseReason, requests: u64) {
        self.each(|observer| observer.closed(reason, requests));
    }

    fn each(&mut self, mut event: impl FnMut(&mut dyn Observer)) {
        for observer in &mut self.observers {
            event(observer.as_mut());
        }
    }
}

impl Tap for ConnectionObserver<'_> {
    fn sent(&mut self, bytes: &[u8]) {
        self.each(|observer| observer.sent(bytes));
    }
}
