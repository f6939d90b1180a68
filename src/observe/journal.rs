//! The inspector's memory: one more observer of the same exchange records,
//! keeping the last connections whole (accept, each exchange with both
//! heads and the trace's words for its decision, the close) for the live
//! ladder diagrams of `--inspect` and the file of `--report`.
//!
//! Memory is bounded: the last [`Journal::keep`] connections (`--inspect-keep`),
//! at most [`MAX_EXCHANGES`] exchanges each, heads cut at [`MAX_HEAD_BYTES`];
//! what is dropped is counted, and the page says so.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::observe::seam::{ExchangeRecord, Observer};
use crate::observe::trace;
use crate::protocol::visible::visible;
use crate::protocol::CloseReason;

/// Connections kept by default.
pub const DEFAULT_KEEP: usize = 100;
/// Exchanges kept per connection; later ones are counted, not kept.
pub const MAX_EXCHANGES: usize = 200;
/// Bytes of a head kept; the rest is counted.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
pub const MAX_JOURNAL_BYTES: usize = 16 << 20;

/// The last connections, shared by every connection's observer and by the
/// inspector's readers.
#[derive(Debug)]
pub struct Journal {
    state: Mutex<State>,
    changed: Condvar,
    keep: usize,
    started: Instant,
}

#[derive(Debug, Default)]
struct State {
    connections: VecDeque<Connection>,
    /// Connections dropped to keep the bound.
    dropped: u64,
    /// Bumped on every change; each connection remembers the last one
    /// that touched it, so a reader asks for what changed since.
    version: u64,
    /// The server is shutting down: readers stop waiting.
    ended: bool,
}

#[derive(Debug)]
struct Connection {
    id: u64,
    changed: u64,
    view: Value,
    exchanges: usize,
}

impl Journal {
    /// A journal keeping the last `keep` connections (at least one).
    pub fn new(keep: usize) -> Journal {
        Journal {
            state: Mutex::default(),
            changed: Condvar::new(),
            keep: keep.max(1),
            started: Instant::now(),
        }
    }

    /// How many connections it keeps.
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// The observer of connection `id`.
    pub fn connection(&self, id: u64) -> Journaled<'_> {
        Journaled { journal: self, id }
    }

    /// Everything kept, as the page reads it.
    pub fn snapshot(&self) -> Value {
        let state = self.lock();
        let connections: Vec<&Value> = state.connections.iter().map(|c| &c.view).collect();
        json!({ "keep": self.keep, "dropped": state.dropped, "connections": connections })
    }

    /// Waits up to `timeout` for changes after `since`; returns the
    /// connections changed (whole), the dropped count, and the version now.
    /// `None` once the journal has ended.
    pub fn changes(&self, since: u64, timeout: Duration) -> Option<(Vec<Value>, u64, u64)> {
        let mut state = self.lock();
        if state.version == since && !state.ended {
            state = match self.changed.wait_timeout(state, timeout) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
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
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `change` to connection `id`'s view, if it is still kept.
    fn update(&self, id: u64, change: impl FnOnce(&mut Connection)) {
        let mut state = self.lock();
        state.version += 1;
        let version = state.version;
        if let Some(connection) = state.connections.iter_mut().find(|c| c.id == id) {
            change(connection);
            connection.changed = version;
        }
        drop(state);
        self.changed.notify_all();
    }
}

/// The journal's observer of one connection.
pub struct Journaled<'a> {
    journal: &'a Journal,
    id: u64,
}

/// A head as the page shows it: one line per head line, `\r\n` written out,
/// every client byte made safe; cut at [`MAX_HEAD_BYTES`].
fn head_lines(head: &[u8]) -> Value {
    let kept = &head[..head.len().min(MAX_HEAD_BYTES)];
    let mut lines = trace::visible_lines(kept);
    if kept.len() < head.len() {
        lines.push(format!("... {} more bytes", head.len() - kept.len()));
    }
    json!(lines)
}

impl Observer for Journaled<'_> {
    fn opened(&mut self, client: SocketAddr, server: SocketAddr) {
        let journal = self.journal;
        let view = json!({
            "id": self.id,
            "client": client.to_string(),
            "server": server.to_string(),
            "opened_ms": journal.millis(Instant::now()),
            "exchanges": [],
            "dropped_exchanges": 0,
            "closed": null,
        });
        let mut state = journal.lock();
        state.version += 1;
        let changed = state.version;
        state.connections.push_back(Connection {
            id: self.id,
            changed,
            view,
            exchanges: 0,
        });
        while state.connections.len() > journal.keep {
            state.connections.pop_front();
            state.dropped += 1;
        }
        drop(state);
        journal.changed.notify_all();
    }

    fn exchanged(&mut self, record: &ExchangeRecord<'_>) {
        let journal = self.journal;
        let exchange = json!({
            "number": record.number,
            "request_line": visible(record.request_line()),
            "request_head": head_lines(record.request_head),
            "status": record.status.code(),
            "reason": record.status.reason(),
            "response_head": head_lines(record.response_head),
            "body_bytes": record.body_bytes,
            "received_ms": journal.millis(record.received),
            "first_byte_ms": record.first_write.map(|at| journal.millis(at)),
            "last_byte_ms": journal.millis(record.last_write),
            "decision": trace::explain(record),
        });
        journal.update(self.id, |connection| {
            if connection.exchanges >= MAX_EXCHANGES {
                let dropped = connection.view["dropped_exchanges"].as_u64().unwrap_or(0);
                connection.view["dropped_exchanges"] = json!(dropped + 1);
                return;
            }
            connection.exchanges += 1;
            if let Some(list) = connection.view["exchanges"].as_array_mut() {
                list.push(exchange);
            }
        });
    }

    fn closed(&mut self, reason: CloseReason, requests: u64) {
        let journal = self.journal;
        let at = journal.millis(Instant::now());
        journal.update(self.id, |connection| {
            connection.view["closed"] = json!({
                "at_ms": at,
                "why": reason.describe(),
                "requests": requests,
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_connections_are_dropped_and_counted() {
        let journal = Journal::new(2);
        let client: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let server: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        for id in 1..=3 {
            let mut observer = journal.connection(id);
            observer.opened(client, server);
            observer.closed(CloseReason::ClientClosed, 0);
        }
        let snapshot = journal.snapshot();
        let ids: Vec<u64> = snapshot["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, [2, 3]);
        assert_eq!(snapshot["dropped"], 1);
        assert_eq!(snapshot["keep"], 2);
        assert_eq!(
            snapshot["connections"][1]["closed"]["why"],
            CloseReason::ClientClosed.describe()
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
}
