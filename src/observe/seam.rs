//! The seam itself: the events an observer can hear ([`Observer`]), the one
//! value that describes an exchange ([`ExchangeRecord`]), and the [`Tap`]
//! the wire writer hands written bytes to.

use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use etherparse::{TcpHeader, TcpOptionElement};

use crate::files::Decision;
use crate::protocol::tls_hello::ClientHello;
use crate::protocol::words::Phrase;
use crate::protocol::{CloseReason, KeepAlive, Request, Status};
use crate::sys::TcpFacts;

/// Receives a copy of every byte written to the socket, in order, just
/// before it is written. Bytes of a write that then fails are still handed
/// over.
pub trait Tap {
    fn sent(&mut self, bytes: &[u8]);
}

/// The tap again, for one more call, leaving `tap` usable afterwards.
pub fn reborrow<'s>(tap: &'s mut Option<&mut dyn Tap>) -> Option<&'s mut dyn Tap> {
    match tap {
        Some(tap) => Some(&mut **tap),
        None => None,
    }
}

/// One observer of one connection. Every method has a default that does
/// nothing, so an observer implements only the events it reads.
pub trait Observer {
    /// The connection was accepted.
    fn opened(&mut self, _opening: &Opening) {}
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
    /// An answer is about to be written (told only when an observer wants
    /// the bytes): its record, without what the writes will tell.
    fn responding(&mut self, _record: &ExchangeRecord<'_>) {}
    /// HTTPS: the TLS handshake finished, or failed.
    fn secured(&mut self, _handshake: &Secured) {}
    /// HTTPS: session secrets, as key log lines, made before the bytes
    /// they decrypt are reported.
    fn secrets(&mut self, _lines: &[u8]) {}
    /// HTTPS: a close_notify alert, from the client (`true`) or the server.
    fn close_notify(&mut self, _by_client: bool) {}
}

/// A TLS handshake, as the observers explain it.
#[derive(Debug, Clone)]
pub struct Secured {
    /// What the client offered, when its hello could be read.
    pub hello: Option<ClientHello>,
    /// What was agreed, or why the handshake failed (the TLS library's
    /// words, which name the alert).
    pub outcome: Result<Agreed, String>,
    /// From the connection's first TLS byte to the handshake's end.
    pub took: Duration,
}

/// What a finished handshake agreed.
#[derive(Debug, Clone)]
pub struct Agreed {
    /// The version, as its number (`0x0304` is TLS 1.3).
    pub version: u16,
    /// The highest version the server offers (`--tls-max`).
    pub max_version: u16,
    /// The cipher suite, by its IANA name.
    pub suite: String,
    /// The key exchange group, when one was used.
    pub group: Option<String>,
    /// The application protocol agreed by ALPN, if any.
    pub alpn: Option<String>,
    /// Whether a session was resumed (no certificate sent).
    pub resumed: bool,
    /// Whether the server asked for another key share (HelloRetryRequest).
    pub retried: bool,
    /// The chain sent, one line per certificate, leaf first.
    pub chain: std::sync::Arc<[String]>,
}

/// A connection just accepted: who, when, and what the kernel tells of
/// its handshake. One value for every observer, so that the capture and the
/// inspector draw the same segments with the same sequence numbers.
#[derive(Debug, Clone)]
pub struct Opening {
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// When accept() returned.
    pub accepted: SystemTime,
    pub at: Instant,
    /// What the kernel tells, when it tells anything.
    pub tcp: Option<TcpFacts>,
    /// The client's SYN, when the kernel kept it.
    pub syn: Option<SavedSyn>,
    /// Each side's initial sequence number: the client's from its SYN when
    /// the kernel kept it; otherwise, and always for the server (no system
    /// tells it), a random one.
    pub client_isn: u32,
    pub server_isn: u32,
}

impl Opening {
    /// The opening of a connection accepted just now.
    pub fn new(client: SocketAddr, server: SocketAddr, tcp: Option<TcpFacts>) -> Opening {
        let accepted = SystemTime::now();
        let syn = tcp
            .as_ref()
            .and_then(|facts| facts.syn.as_deref())
            .and_then(SavedSyn::parse);
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            accepted
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        let random = hasher.finish();
        Opening {
            client,
            server,
            accepted,
            at: Instant::now(),
            client_isn: syn.as_ref().map_or(random as u32, |syn| syn.sequence),
            server_isn: (random >> 32) as u32,
            tcp,
            syn,
        }
    }
}

impl Opening {
    /// The client SYN's options as Wireshark's summary line writes them
    /// (`MSS=65495 SACK_PERM TS WS=1024`): from the SYN when the kernel
    /// kept it, else what TCP_INFO says was negotiated (no MSS); `None`
    /// when the system tells nothing.
    pub fn syn_options(&self) -> Option<String> {
        if let Some(syn) = &self.syn {
            return Some(option_list(
                syn.mss,
                syn.sack,
                syn.tsval.is_some(),
                syn.window_shift,
            ));
        }
        let facts = self.tcp.as_ref()?;
        let shift = facts.window_scale.map(|scale| scale.client);
        Some(option_list(None, facts.sack, facts.timestamps, shift))
    }

    /// The SYN-ACK's options, as TCP_INFO reports them.
    pub fn syn_ack_options(&self) -> Option<String> {
        let facts = self.tcp.as_ref()?;
        let shift = facts.window_scale.map(|scale| scale.server);
        Some(option_list(
            Some(facts.server_mss),
            facts.sack,
            facts.timestamps,
            shift,
        ))
    }
}

fn option_list(mss: Option<u16>, sack: bool, timestamps: bool, shift: Option<u8>) -> String {
    let mut options = Vec::new();
    if let Some(mss) = mss {
        options.push(format!("MSS={mss}"));
    }
    if sack {
        options.push("SACK_PERM".to_string());
    }
    if timestamps {
        options.push("TS".to_string());
    }
    if let Some(shift) = shift {
        options.push(format!("WS={}", 1u32 << shift.min(14)));
    }
    options.join(" ")
}

/// The parts of a client's SYN, as the kernel kept it, that the capture
/// writes again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSyn {
    pub sequence: u32,
    pub window: u16,
    pub ttl: u8,
    /// The TCP options, as sent.
    pub options: Vec<u8>,
    /// The MSS option's value, when there is one.
    pub mss: Option<u16>,
    /// The timestamp option's value (TSval), when there is one.
    pub tsval: Option<u32>,
    pub sack: bool,
    /// The window scale option's shift, when there is one.
    pub window_shift: Option<u8>,
}

impl SavedSyn {
    /// Reads a SYN from its IP header on; `None` if it is not one.
    pub fn parse(packet: &[u8]) -> Option<SavedSyn> {
        let (ttl, ip_len) = match packet.first()? >> 4 {
            4 => (*packet.get(8)?, usize::from(packet[0] & 0x0f) * 4),
            // Extension headers are not expected on a SYN to a server.
            6 => (*packet.get(7)?, 40),
            _ => return None,
        };
        let (tcp, _) = TcpHeader::from_slice(packet.get(ip_len..)?).ok()?;
        if !tcp.syn || tcp.ack {
            return None;
        }
        let (mut mss, mut tsval, mut sack, mut window_shift) = (None, None, false, None);
        for option in tcp.options_iterator().flatten() {
            match option {
                TcpOptionElement::MaximumSegmentSize(value) => mss = Some(value),
                TcpOptionElement::Timestamp(value, _) => tsval = Some(value),
                TcpOptionElement::SelectiveAcknowledgementPermitted => sack = true,
                TcpOptionElement::WindowScale(shift) => window_shift = Some(shift),
                _ => {}
            }
        }
        Some(SavedSyn {
            sequence: tcp.sequence_number,
            window: tcp.window_size,
            ttl,
            options: tcp.options.as_slice().to_vec(),
            mss,
            tsval,
            sack,
            window_shift,
        })
    }
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
    Unreadable { why: Phrase },
    /// Past the connection limit: answered 503 without reading a request.
    OverLimit { limit: usize },
    /// No thread could be started to serve it: answered 503 the same way.
    NoThread,
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

/// What the wire writer put on the socket for one response.
#[derive(Debug, Clone, Copy)]
pub struct Delivered {
    /// Content bytes sent after the head.
    pub body_bytes: u64,
    /// When the first write returned: the first byte is in the kernel's hands.
    pub first_write: Option<Instant>,
    /// When the last write returned.
    pub last_write: Instant,
}

impl<'a> ExchangeRecord<'a> {
    /// The one way a record is made: the exchange's parts, and what was
    /// `delivered` (`None` when the writes failed: no body bytes counted,
    /// the last write now).
    pub fn new(
        number: u64,
        request_head: &'a [u8],
        outcome: Outcome<'a>,
        status: Status,
        response_head: &'a [u8],
        received: Instant,
        delivered: Option<Delivered>,
    ) -> ExchangeRecord<'a> {
        ExchangeRecord {
            number,
            request_head,
            outcome,
            status,
            response_head,
            body_bytes: delivered.map_or(0, |d| d.body_bytes),
            received,
            first_write: delivered.and_then(|d| d.first_write),
            last_write: delivered.map_or_else(Instant::now, |d| d.last_write),
        }
    }
}

impl ExchangeRecord<'_> {
    /// The request line as received, without its line ending.
    pub fn request_line(&self) -> &[u8] {
        let head = self.request_head;
        let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
        head[..end].strip_suffix(b"\r").unwrap_or(&head[..end])
    }
}
