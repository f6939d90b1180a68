//! The observer seam: what the connection loop tells about a connection, and
//! who listens. The loop makes one call per event — opened, bytes received,
//! bytes sent, a side closed, an exchange, closed — on the connection's
//! [`ConnectionObserver`], built once at accept; each enabled observer (the
//! access log, `--trace`, `--capture`, the journal of `--inspect` and
//! `--report`) reads the same values there and
//! renders what it needs. Observers read; they never drive the loop. A new
//! observer is one more [`Observer`] in [`Observers::connection`].
//!
//! | module | owns |
//! |---|---|
//! | [`seam`] | the [`Observer`] trait, the [`ExchangeRecord`] and the [`Tap`] |
//! | [`access_log`] | one escaped Common Log Format line per request |
//! | [`trace`] | `--trace`: every connection and exchange, as it happens, on stderr |
//! | [`explain`] | the words for every decision, in both languages, and heads shown without credentials |
//! | [`secured`] | the TLS handshake in words: the ClientHello, the ServerHello's choice and why, the chain, close_notify |
//! | [`describe`] | the words for the protocol's rules: why a connection persists or closes, why a head or body was refused |
//! | [`capture`] | `--capture`: the server's conversations as a pcapng file, with the kernel's TCP facts |
//! | [`page`] | the inspector's page and the report: one self-contained HTML file |
//! | [`har`] | `--har`: the exchanges kept, as an HTTP Archive (HAR 1.2) for the browser's DevTools |
//! | [`journal`] | `--inspect` and `--report`: the last connections, whole, for the ladder diagrams |

pub mod access_log;
pub mod capture;
pub mod describe;
pub mod explain;
pub mod har;
pub mod journal;
pub mod page;
pub mod seam;
pub mod secured;
pub mod trace;

use std::net::{SocketAddr, TcpStream};

use crate::protocol::CloseReason;
use crate::sys;

pub use seam::{ExchangeRecord, Observer, Opening, Outcome, Tap};

/// What observes the whole server, chosen once at start-up.
#[derive(Debug, Default)]
pub struct Observers {
    /// `--trace`: explain every exchange on stderr.
    pub trace: Option<trace::Trace>,
    /// `--capture`: record every conversation in a pcapng file.
    pub capture: Option<capture::Capture>,
    /// `--inspect` / `--report`: keep the last connections whole.
    pub journal: Option<std::sync::Arc<journal::Journal>>,
}

impl Observers {
    /// Whether an observer shows the handshake (the trace, the capture,
    /// the inspector): then listeners keep each SYN ([`sys::keep_syns`])
    /// and each connection's TCP facts are read.
    pub fn reads_handshakes(&self) -> bool {
        self.trace.is_some() || self.capture.is_some() || self.journal.is_some()
    }

    /// The observers of one new connection, accepted as `stream`; tells
    /// them it opened.
    pub fn connection(
        &self,
        id: u64,
        client: SocketAddr,
        server: SocketAddr,
        stream: &TcpStream,
    ) -> ConnectionObserver<'_> {
        // The stores (the journal, the capture) hear each event before
        // anything says it (the trace, the access log): whatever a person
        // or a test has read on stderr, the inspector already shows.
        let mut observers: Vec<Box<dyn Observer + '_>> = Vec::with_capacity(4);
        if let Some(journal) = &self.journal {
            observers.push(Box::new(journal.connection(id)));
        }
        if let Some(capture) = &self.capture {
            observers.push(Box::new(capture.conversation(id)));
        }
        observers.push(Box::new(access_log::AccessLog::new(client)));
        if let Some(trace) = &self.trace {
            observers.push(Box::new(trace.connection(id, self.capture.as_ref())));
        }
        let wants_bytes = observers.iter().any(|observer| observer.wants_bytes());
        let mut connection = ConnectionObserver {
            observers,
            wants_bytes,
        };
        let tcp = self
            .reads_handshakes()
            .then(|| sys::tcp_facts(stream))
            .flatten();
        let opening = Opening::new(client, server, tcp);
        for observer in &mut connection.observers {
            observer.opened(&opening);
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

    pub fn responding(&mut self, record: &ExchangeRecord<'_>) {
        self.each(|observer| observer.responding(record));
    }

    pub fn secured(&mut self, handshake: &seam::Secured) {
        self.each(|observer| observer.secured(handshake));
    }

    pub fn secrets(&mut self, lines: &[u8]) {
        self.each(|observer| observer.secrets(lines));
    }

    pub fn close_notify(&mut self, by_client: bool) {
        self.each(|observer| observer.close_notify(by_client));
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
