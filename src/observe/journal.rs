//! The inspector's memory: one more observer of the same exchange records,
//! keeping the last connections whole (accept, each exchange with both
//! heads and the trace's words for its decision, the close) for the live
//! ladder diagrams of `--inspect` and the file of `--report`.
//!
//! Memory is bounded twice: the last [`Journal::keep`] connections
//! (`--inspect-keep`), and [`MAX_JOURNAL_BYTES`] of JSON in all, the oldest
//! connection dropped first; each connection keeps at most
//! [`MAX_EXCHANGES`] exchanges, each head cut at [`MAX_HEAD_BYTES`] shown.
//! What is dropped is counted, and the page says so.
//!
//! Each part of a connection is kept, when it happens, as a shared value
//! with the exact length of its JSON ([`ConnectionView`]), so the serving
//! thread only builds the value and measures it. A reader takes a snapshot
//! by cloning those handles under the lock, and writes the JSON out after
//! the lock is released, straight to its socket: no reader copies the
//! journal, and none holds the lock while it serializes or waits on a socket.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::describe::Describe;
use crate::observe::explain;
use crate::observe::seam::{ExchangeRecord, Observer, Opening, Secured};
use crate::observe::secured;
use crate::protocol::tls_hello;
use crate::protocol::visible::visible;
use crate::protocol::words::Said;
use crate::protocol::CloseReason;
use crate::sys::ignoring_poison;

/// Connections kept by default.
pub const DEFAULT_KEEP: usize = 100;
/// Exchanges kept per connection; later ones are counted, not kept.
pub const MAX_EXCHANGES: usize = 200;
/// Characters of a head shown (after escaping); the rest is counted.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Bytes of JSON kept in all. One connection at its bound (200 exchanges,
/// each with two heads of at most 8 KiB shown, which JSON may write twice
/// as long) fits several times over; 100 such connections would be 6 GiB.
pub const MAX_JOURNAL_BYTES: usize = 16 * 1024 * 1024;

/// The last connections, shared by every connection's observer and by the
/// inspector's readers.
#[derive(Debug)]
pub struct Journal {
    state: Mutex<State>,
    changed: Condvar,
    keep: usize,
    started: Instant,
    /// The same moment on the wall clock, for the report's summary.
    started_at: std::time::SystemTime,
}

#[derive(Debug, Default)]
struct State {
    connections: VecDeque<Kept>,
    /// Bytes of JSON the kept connections hold.
    bytes: usize,
    /// Connections dropped to keep the bounds.
    dropped: u64,
    /// Bumped on every change; each connection remembers the last one
    /// that touched it, so a reader asks for what changed since.
    version: u64,
    /// The server is shutting down: readers stop waiting.
    ended: bool,
}

#[derive(Debug)]
struct Kept {
    id: u64,
    changed: u64,
    view: ConnectionView,
}

/// One connection as the page reads it, each part shared with every reader
/// that took it: its first members and its close as JSON text, each
/// exchange as a value with the length of its JSON.
#[derive(Debug, Clone)]
pub struct ConnectionView {
    /// `"id":…,"client":…,"server":…,"opened_ms":…`, the object's first members.
    opened: Arc<str>,
    /// One JSON object per exchange kept, with the length of its JSON.
    exchanges: Vec<(Arc<Value>, usize)>,
    dropped_exchanges: u64,
    /// The `closed` object, once closed.
    closed: Option<Arc<str>>,
    /// HTTPS: the `tls` object, once the handshake has ended.
    tls: Option<Arc<str>>,
}

impl ConnectionView {
    /// Writes the connection as one JSON object.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"{")?;
        out.write_all(self.opened.as_bytes())?;
        out.write_all(b",\"exchanges\":[")?;
        for (index, (exchange, _)) in self.exchanges.iter().enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, &**exchange)?;
        }
        write!(
            out,
            "],\"dropped_exchanges\":{},\"closed\":",
            self.dropped_exchanges
        )?;
        out.write_all(self.closed.as_deref().unwrap_or("null").as_bytes())?;
        out.write_all(b",\"tls\":")?;
        out.write_all(self.tls.as_deref().unwrap_or("null").as_bytes())?;
        out.write_all(b"}")
    }

    /// The length of [`ConnectionView::write_json`]'s output, from the
    /// lengths kept: nothing is serialized to find it.
    pub fn json_len(&self) -> usize {
        let commas = self.exchanges.len().saturating_sub(1);
        let framing = format!(
            "{{,\"exchanges\":[],\"dropped_exchanges\":{},\"closed\":,\"tls\":}}",
            self.dropped_exchanges
        );
        let closed = self.closed.as_ref().map_or("null".len(), |c| c.len());
        let tls = self.tls.as_ref().map_or("null".len(), |t| t.len());
        framing.len() + self.opened.len() + commas + closed + tls + self.exchanges_len()
    }

    fn exchanges_len(&self) -> usize {
        self.exchanges.iter().map(|(_, len)| len).sum()
    }

    /// The bytes of JSON it holds, as the budget counts them.
    fn held(&self) -> usize {
        let tls = self.tls.as_ref().map_or(0, |t| t.len());
        self.opened.len() + self.exchanges_len() + self.closed.as_ref().map_or(0, |c| c.len()) + tls
    }
}

/// Everything kept at one moment, as the page reads it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub keep: usize,
    pub dropped: u64,
    pub connections: Vec<ConnectionView>,
}

impl Snapshot {
    /// Writes `{"keep":…,"dropped":…,"budget_bytes":…,"connections":[…]}`.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        write!(
            out,
            "{{\"keep\":{},\"dropped\":{},\"budget_bytes\":{MAX_JOURNAL_BYTES},\"connections\":[",
            self.keep, self.dropped
        )?;
        for (index, connection) in self.connections.iter().enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            connection.write_json(out)?;
        }
        out.write_all(b"]}")
    }

    /// The length of [`Snapshot::write_json`]'s output, for Content-Length.
    pub fn json_len(&self) -> usize {
        let framing = format!(
            "{{\"keep\":{},\"dropped\":{},\"budget_bytes\":{MAX_JOURNAL_BYTES},\"connections\":[]}}",
            self.keep, self.dropped
        );
        let commas = self.connections.len().saturating_sub(1);
        let connections: usize = self.connections.iter().map(ConnectionView::json_len).sum();
        framing.len() + commas + connections
    }
}

/// The length of `value` written as compact JSON by serde_json, found by
/// walking it: a scan of its strings, far cheaper than writing them.
fn json_len(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(number) => number.to_string().len(),
        Value::String(text) => string_len(text),
        Value::Array(items) => {
            2 + items.len().saturating_sub(1) + items.iter().map(json_len).sum::<usize>()
        }
        Value::Object(members) => {
            let members_len: usize = members
                .iter()
                .map(|(name, value)| string_len(name) + 1 + json_len(value))
                .sum();
            2 + members.len().saturating_sub(1) + members_len
        }
    }
}

/// A JSON string's length as serde_json escapes it: quotes, `\"` and
/// `\\`, the short escapes, and `\u00XX` for the other controls.
fn string_len(text: &str) -> usize {
    let escapes: usize = text
        .bytes()
        .map(|byte| match byte {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0x00..=0x1f => 5,
            _ => 0,
        })
        .sum();
    2 + text.len() + escapes
}

impl Journal {
    /// A journal keeping the last `keep` connections (at least one).
    pub fn new(keep: usize) -> Journal {
        Journal {
            state: Mutex::default(),
            changed: Condvar::new(),
            keep: keep.max(1),
            started: Instant::now(),
            started_at: std::time::SystemTime::now(),
        }
    }

    /// When the journal began: the moment every `_ms` time counts from.
    pub fn started_at(&self) -> std::time::SystemTime {
        self.started_at
    }

    /// The observer of connection `id`.
    pub fn connection(&self, id: u64) -> Journaled<'_> {
        Journaled {
            journal: self,
            id,
            exchanges: 0,
            stream: Stream::default(),
        }
    }

    /// Everything kept, now: handles to the shared parts, taken under the lock.
    pub fn snapshot(&self) -> Snapshot {
        let state = self.lock();
        Snapshot {
            keep: self.keep,
            dropped: state.dropped,
            connections: state.connections.iter().map(|c| c.view.clone()).collect(),
        }
    }

    /// Waits up to `timeout` for changes after `since`; returns the
    /// connections changed (whole), the dropped count, and the version now.
    /// `None` once the journal has ended.
    pub fn changes(
        &self,
        since: u64,
        timeout: Duration,
    ) -> Option<(Vec<ConnectionView>, u64, u64)> {
        let mut state = self.lock();
        if state.version == since && !state.ended {
            state = ignoring_poison(self.changed.wait_timeout(state, timeout)).0;
        }
        if state.ended {
            return None;
        }
        let changed = state
            .connections
            .iter()
            .filter(|c| c.changed > since)
            .map(|c| c.view.clone())
            .collect();
        Some((changed, state.dropped, state.version))
    }

    /// Tells every reader to stop.
    pub fn end(&self) {
        self.lock().ended = true;
        self.changed.notify_all();
    }

    fn millis(&self, at: Instant) -> f64 {
        let micros = at.saturating_duration_since(self.started).as_micros();
        micros as f64 / 1000.0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        ignoring_poison(self.state.lock())
    }

    /// Applies `change` to connection `id`'s view, if it is still kept; it
    /// returns the bytes it added.
    fn update(&self, id: u64, change: impl FnOnce(&mut ConnectionView) -> usize) {
        self.modify(|state, version| {
            let kept = state.connections.iter_mut().find(|c| c.id == id)?;
            kept.changed = version;
            Some(change(&mut kept.view))
        });
    }

    /// Keeps a new connection, `opened` its first members.
    fn open(&self, id: u64, opened: Arc<str>) {
        self.modify(|state, version| {
            let added = opened.len();
            let view = ConnectionView {
                opened,
                exchanges: Vec::new(),
                dropped_exchanges: 0,
                closed: None,
                tls: None,
            };
            state.connections.push_back(Kept {
                id,
                changed: version,
                view,
            });
            Some(added)
        });
    }

    /// One change under one lock: a new version, `apply` (which returns the
    /// bytes it added, if it changed anything), then the oldest connections
    /// dropped until the kept ones are within both bounds; then the readers
    /// are woken.
    fn modify(&self, apply: impl FnOnce(&mut State, u64) -> Option<usize>) {
        let mut state = self.lock();
        state.version += 1;
        let version = state.version;
        if let Some(added) = apply(&mut state, version) {
            state.bytes += added;
        }
        // The newest connection stays whatever its size: it is the one
        // being watched, and its own bounds keep it far below the budget.
        while state.connections.len() > self.keep
            || (state.bytes > MAX_JOURNAL_BYTES && state.connections.len() > 1)
        {
            if let Some(oldest) = state.connections.pop_front() {
                state.bytes -= oldest.view.held();
                state.dropped += 1;
            }
        }
        drop(state);
        self.changed.notify_all();
    }
}

/// The journal's observer of one connection.
pub struct Journaled<'a> {
    journal: &'a Journal,
    id: u64,
    /// Exchanges seen on the connection: past [`MAX_EXCHANGES`] they are
    /// only counted, so their JSON is never made.
    exchanges: usize,
    stream: Stream,
}

/// The TCP stream as the page draws its close: the bytes each side sent,
/// and each FIN, in the order they came, with sequence numbers relative to
/// each side's SYN as Wireshark shows them (the SYN takes number 0).
#[derive(Debug, Default)]
struct Stream {
    client_bytes: u64,
    server_bytes: u64,
    client_fin: bool,
    server_fin: bool,
    fins: Vec<Value>,
    /// HTTPS: each close_notify, before the FINs.
    close_notifies: Vec<Value>,
}

impl Stream {
    /// The next sequence number of each side, relative.
    fn next(&self) -> (u64, u64) {
        (
            1 + self.client_bytes + u64::from(self.client_fin),
            1 + self.server_bytes + u64::from(self.server_fin),
        )
    }

    /// A FIN from the client (`by_client`) or the server, at `at_ms`.
    fn fin(&mut self, by_client: bool, at_ms: f64) {
        let (client, server) = self.next();
        let (by, seq, ack, sent) = match by_client {
            true => ("client", client, server, &mut self.client_fin),
            false => ("server", server, client, &mut self.server_fin),
        };
        if *sent {
            return;
        }
        *sent = true;
        self.fins
            .push(json!({ "by": by, "at_ms": at_ms, "seq": seq, "ack": ack }));
    }
}

/// A head as the page shows it: one line per head line, `\r\n` written out,
/// every client byte made safe; cut at [`MAX_HEAD_BYTES`] shown.
fn head_lines(head: &[u8]) -> Vec<String> {
    let kept = &head[..head.len().min(MAX_HEAD_BYTES)];
    let mut lines = explain::visible_lines(kept);
    let mut shown = 0;
    let mut cut = kept.len() < head.len();
    for (index, line) in lines.iter_mut().enumerate() {
        if shown + line.len() > MAX_HEAD_BYTES {
            // Escapes are ASCII, so any char boundary is a fair place to cut.
            let mut end = MAX_HEAD_BYTES - shown;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line.truncate(end);
            lines.truncate(index + 1);
            cut = true;
            break;
        }
        shown += line.len();
    }
    if cut {
        lines.push(format!("... cut: the head has {} bytes", head.len()));
    }
    lines
}

impl Observer for Journaled<'_> {
    fn opened(&mut self, opening: &Opening) {
        let journal = self.journal;
        let tcp = json!({
            "client_isn": opening.client_isn,
            "server_isn": opening.server_isn,
            "syn": opening.syn_options(),
            "syn_ack": opening.syn_ack_options(),
            "syn_kept": opening.syn.is_some(),
            "rtt_ms": opening.tcp.as_ref().map(|facts| facts.rtt.as_secs_f64() * 1000.0),
        });
        let opened = format!(
            "\"id\":{},\"client\":{},\"server\":{},\"opened_ms\":{},\"tcp\":{tcp}",
            self.id,
            json!(opening.client.to_string()),
            json!(opening.server.to_string()),
            json!(journal.millis(opening.at)),
        );
        journal.open(self.id, opened.into());
    }

    /// The bytes themselves are not kept, only counted, for the sequence
    /// numbers of the close.
    fn wants_bytes(&self) -> bool {
        true
    }

    fn received(&mut self, bytes: &[u8]) {
        self.stream.client_bytes += bytes.len() as u64;
    }

    fn sent(&mut self, bytes: &[u8]) {
        self.stream.server_bytes += bytes.len() as u64;
    }

    fn client_closed(&mut self) {
        let at = self.journal.millis(Instant::now());
        self.stream.fin(true, at);
    }

    fn server_closed(&mut self) {
        let at = self.journal.millis(Instant::now());
        self.stream.fin(false, at);
    }

    fn exchanged(&mut self, record: &ExchangeRecord<'_>) {
        let journal = self.journal;
        self.exchanges += 1;
        if self.exchanges > MAX_EXCHANGES {
            journal.update(self.id, |connection| {
                connection.dropped_exchanges += 1;
                0
            });
            return;
        }
        let decision = explain::explain(record);
        let exchange = json!({
            "number": record.number,
            "request_line": visible(record.request_line()),
            "request_head": head_lines(&explain::hide_credentials(record.request_head)),
            "status": record.status.code(),
            "reason": record.status.reason(),
            "response_head": head_lines(record.response_head),
            "body_bytes": record.body_bytes,
            "received_ms": journal.millis(record.received),
            "first_byte_ms": record.first_write.map(|at| journal.millis(at)),
            "last_byte_ms": journal.millis(record.last_write),
            "decision": both(&decision),
        });
        let len = json_len(&exchange);
        journal.update(self.id, |connection| {
            connection.exchanges.push((Arc::new(exchange), len));
            len
        });
    }

    fn secured(&mut self, handshake: &Secured) {
        let tls = self.tls_view(handshake);
        self.journal.update(self.id, |connection| {
            let added = tls.len();
            connection.tls = Some(tls);
            added
        });
    }

    fn close_notify(&mut self, by_client: bool) {
        let at = self.journal.millis(Instant::now());
        let by = if by_client { "client" } else { "server" };
        self.stream
            .close_notifies
            .push(json!({ "by": by, "at_ms": at }));
    }

    /// The connection ended: the server's FIN is sent by now, if it was not
    /// before; the side whose FIN came first closed actively and waits in
    /// TIME_WAIT (RFC 9293 §3.6).
    fn closed(&mut self, reason: CloseReason, requests: u64) {
        let journal = self.journal;
        let at = journal.millis(Instant::now());
        self.stream.fin(false, at);
        let fins = std::mem::take(&mut self.stream.fins);
        let time_wait = fins.first().map(|fin| fin["by"].clone());
        let why = reason.describe();
        let closed: Arc<str> = json!({
            "at_ms": at,
            "why": { "en": why.en, "zh": why.zh },
            "requests": requests,
            "close_notifies": std::mem::take(&mut self.stream.close_notifies),
            "fins": fins,
            "time_wait": time_wait,
        })
        .to_string()
        .into();
        journal.update(self.id, |connection| {
            let added = closed.len();
            connection.closed = Some(closed);
            added
        });
    }
}

impl Journaled<'_> {
    /// HTTPS: the handshake as the ladder draws it (its messages in order,
    /// the encrypted ones marked) and its explanation.
    fn tls_view(&self, handshake: &Secured) -> Arc<str> {
        let messages: Vec<Value> = secured::messages(handshake)
            .iter()
            .map(|m| {
                json!({
                    "by": if m.by_client { "client" } else { "server" },
                    "name": m.name,
                    "encrypted": m.encrypted,
                })
            })
            .collect();
        let version = match &handshake.outcome {
            Ok(agreed) => Some(tls_hello::version_name(agreed.version)),
            Err(_) => None,
        };
        json!({
            "ok": handshake.outcome.is_ok(),
            "version": version,
            "took_ms": handshake.took.as_secs_f64() * 1000.0,
            "messages": messages,
            "lines": both(&secured::explain_handshake(handshake)),
        })
        .to_string()
        .into()
    }
}

/// Lines in both languages as the page reads them: `{"en": [...], "zh": [...]}`.
fn both(lines: &[Said]) -> Value {
    json!({
        "en": lines.iter().map(|line| line.en.as_str()).collect::<Vec<_>>(),
        "zh": lines.iter().map(|line| line.zh.as_str()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn parsed(snapshot: &Snapshot) -> Value {
        let mut out = Vec::new();
        snapshot.write_json(&mut out).unwrap();
        assert_eq!(
            out.len(),
            snapshot.json_len(),
            "the length said is the length written"
        );
        serde_json::from_slice(&out).unwrap()
    }

    fn addresses() -> (std::net::SocketAddr, std::net::SocketAddr) {
        (
            "127.0.0.1:5000".parse().unwrap(),
            "127.0.0.1:8080".parse().unwrap(),
        )
    }

    #[test]
    fn the_oldest_connections_are_dropped_and_counted() {
        let journal = Journal::new(2);
        let (client, server) = addresses();
        for id in 1..=3 {
            let mut observer = journal.connection(id);
            observer.opened(&Opening::new(client, server, None));
            observer.closed(CloseReason::ClientClosed, 0);
        }
        let snapshot = parsed(&journal.snapshot());
        let ids: Vec<u64> = snapshot["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, [2, 3]);
        assert_eq!(snapshot["dropped"], 1);
        assert_eq!(snapshot["keep"], 2);
        assert_eq!(snapshot["connections"][0]["client"], "127.0.0.1:5000");
        assert_eq!(snapshot["connections"][0]["exchanges"], json!([]));
        let why = CloseReason::ClientClosed.describe();
        assert_eq!(
            snapshot["connections"][1]["closed"]["why"],
            json!({ "en": why.en, "zh": why.zh })
        );
        // A reader that has seen nothing gets both; one that is current waits
        // and gets nothing new; after the end, nothing at all.
        let (changed, dropped, version) = journal.changes(0, Duration::ZERO).unwrap();
        assert_eq!((changed.len(), dropped), (2, 1));
        let (changed, ..) = journal.changes(version, Duration::from_millis(10)).unwrap();
        assert!(changed.is_empty());
        journal.end();
        assert!(journal.changes(version, Duration::from_secs(5)).is_none());
    }

    #[test]
    fn the_bytes_kept_stay_within_the_budget_and_the_newest_is_kept() {
        // Connections opened with first members far larger than any real
        // ones, so that a few fill the budget.
        let journal = Journal::new(1000);
        let big = MAX_JOURNAL_BYTES / 5;
        for id in 1..=12 {
            let opened = format!("\"id\":{id},\"pad\":\"{}\"", "x".repeat(big));
            journal.open(id, opened.into());
            let state = journal.lock();
            assert!(
                state.bytes <= MAX_JOURNAL_BYTES,
                "after {id}: {}",
                state.bytes
            );
            let held: usize = state.connections.iter().map(|c| c.view.held()).sum();
            assert_eq!(state.bytes, held, "the count is what is held");
            assert_eq!(state.connections.back().map(|c| c.id), Some(id));
        }
        let snapshot = journal.snapshot();
        assert_eq!(snapshot.connections.len(), 4);
        assert_eq!(snapshot.dropped, 8);
        // One connection alone over the budget is still kept: it is the one
        // being watched.
        let journal = Journal::new(10);
        let huge = format!("\"id\":1,\"pad\":\"{}\"", "x".repeat(MAX_JOURNAL_BYTES));
        journal.open(1, huge.into());
        assert_eq!(journal.snapshot().connections.len(), 1);
    }

    #[test]
    fn json_lengths_are_what_serde_json_writes() {
        let cases = [
            json!(null),
            json!(true),
            json!(false),
            json!(-12.5),
            json!(18446744073709551615u64),
            json!(""),
            json!("plain 中文"),
            json!("\" \\ \n \r \t \u{8} \u{c} \u{0} \u{1f} \u{7f}"),
            json!([]),
            json!([1, "a", [null]]),
            json!({}),
            json!({ "a\"b": { "c": [true, 1.0e-7] }, "d": "\\x00" }),
        ];
        for value in cases {
            assert_eq!(json_len(&value), value.to_string().len(), "{value}");
        }
    }

    #[test]
    fn heads_are_cut_by_what_is_shown() {
        let ascii = [b'a'; MAX_HEAD_BYTES * 2];
        let escaped = [0x80u8; MAX_HEAD_BYTES];
        let cases: [(&str, &[u8], usize, bool); 4] = [
            ("short", b"GET / HTTP/1.1\r\n\r\n", 2, false),
            ("long", &ascii, 2, true),
            ("escaped four times over", &escaped, 2, true),
            ("exactly the bound", &ascii[..MAX_HEAD_BYTES], 1, false),
        ];
        for (name, head, lines, cut) in cases {
            let shown = head_lines(head);
            assert_eq!(shown.len(), lines, "{name}: {shown:?}");
            let body: usize = shown
                .iter()
                .take(lines - usize::from(cut))
                .map(|l| l.len())
                .sum();
            assert!(body <= MAX_HEAD_BYTES, "{name}: {body}");
            assert_eq!(
                shown.last().unwrap().starts_with("... cut: the head has"),
                cut,
                "{name}"
            );
        }
    }
}
