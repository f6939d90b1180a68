//! Persistence (RFC 9112 §9.3, §9.6): whether a connection carries another
//! request after a response, what the response's `Connection` field says
//! about it, and, when a connection ends, who ended it and why. One
//! vocabulary, read by the connection loop, the response head, the access
//! log and the trace alike.

use crate::protocol::request::{HttpVersion, Request};
use crate::protocol::status::Status;

/// The server's side of the decision: whether it allows more than one
/// request per connection (`--no-keepalive` says no), and whether it is
/// shutting down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub keep_alive: bool,
    pub shutting_down: bool,
}

/// Whether the connection stays open after a response, and why.
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
    /// The client waits for `100 Continue`, but the final status is known
    /// without the body: it is answered, and the connection closes, since
    /// the body may or may not follow (RFC 9110 §10.1.1).
    BodyUnread,
}

/// What a response's `Connection` field says (RFC 9112 §9.3, §9.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionField {
    /// No field: HTTP/1.1 persists by default.
    Absent,
    /// `Connection: keep-alive`, confirming an HTTP/1.0 client's request.
    KeepAlive,
    /// `Connection: close`: the server closes after this response.
    Close,
}

/// Decides whether the connection persists after answering `request`
/// (RFC 9112 §9.3): HTTP/1.1 persists unless the client says `close`;
/// HTTP/1.0 persists only when the client asks with `keep-alive`. Then the
/// server's policy may end it anyway: a stopping server always does, and
/// `--no-keepalive` ends what would have persisted.
pub fn decide(request: &Request, policy: Policy) -> KeepAlive {
    if policy.shutting_down {
        return KeepAlive::ShuttingDown;
    }
    let asked = if request.has_token("connection", "close") {
        KeepAlive::ClientAskedClose
    } else {
        match request.version {
            HttpVersion::Http11 => KeepAlive::Http11Default,
            HttpVersion::Http10 if request.has_token("connection", "keep-alive") => {
                KeepAlive::Http10Asked
            }
            HttpVersion::Http10 => KeepAlive::Http10Default,
        }
    };
    if !policy.keep_alive && asked.close_reason().is_none() {
        return KeepAlive::DisabledByServer;
    }
    asked
}

impl KeepAlive {
    /// What the response head says about the connection.
    pub fn connection_field(self) -> ConnectionField {
        match self {
            KeepAlive::Http11Default => ConnectionField::Absent,
            KeepAlive::Http10Asked => ConnectionField::KeepAlive,
            _ => ConnectionField::Close,
        }
    }

    /// The decision once the server answers without reading the body the
    /// client holds back for `100 Continue`: a connection that would have
    /// persisted closes, since the body may still come and would be read as
    /// the next request.
    pub fn with_body_unread(self, body_unread: bool) -> KeepAlive {
        if body_unread && self.close_reason().is_none() {
            KeepAlive::BodyUnread
        } else {
            self
        }
    }

    /// Why the connection ends after this response, if it does.
    pub fn close_reason(self) -> Option<CloseReason> {
        match self {
            KeepAlive::Http11Default | KeepAlive::Http10Asked => None,
            KeepAlive::ClientAskedClose => Some(CloseReason::ClientAskedClose),
            KeepAlive::Http10Default => Some(CloseReason::Http10Default),
            KeepAlive::DisabledByServer => Some(CloseReason::NoKeepAlive),
            KeepAlive::ShuttingDown => Some(CloseReason::Shutdown),
            KeepAlive::BodyUnread => Some(CloseReason::BodyUnread),
        }
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The client closed its side between requests.
    ClientClosed,
    /// The client closed a connection on which it never sent a request: a
    /// browser's spare connection, opened ahead of need and not needed.
    ClientClosedUnused,
    /// No request ever arrived, for the whole idle timeout: a spare
    /// connection the browser kept open.
    IdleUnused,
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
    /// Refused with 503 at accept: the connection limit was reached.
    OverLimit,
    /// Refused with 503 at accept: no thread could be started for it.
    NoThread,
    /// Answered without reading the body the client was holding back.
    BodyUnread,
    /// The client vanished mid-request, or a read or write failed.
    Broken,
    /// HTTPS: the TLS handshake did not finish (refused, or too slow).
    TlsFailed,
    /// A `--watch` reload stream ended: its page went away, or the server
    /// is stopping.
    EventsEnded,
}

impl CloseReason {
    /// Whether the client has already let the connection go (or it is
    /// broken), so there is no last response left to protect by lingering.
    pub fn is_client_gone(self) -> bool {
        matches!(
            self,
            CloseReason::ClientClosed
                | CloseReason::ClientClosedUnused
                | CloseReason::Broken
                | CloseReason::WriteTimedOut
                | CloseReason::OverLimit
                | CloseReason::NoThread
                // The alert said it all; no HTTP response to protect.
                | CloseReason::TlsFailed
        )
    }

    /// Whether the client said it was done after this response (so it
    /// should send nothing more).
    pub fn is_client_done(self) -> bool {
        matches!(
            self,
            CloseReason::ClientAskedClose | CloseReason::Http10Default | CloseReason::NoKeepAlive
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::request::parse_head;

    const OPEN: Policy = Policy {
        keep_alive: true,
        shutting_down: false,
    };
    const NO_KEEPALIVE: Policy = Policy {
        keep_alive: false,
        shutting_down: false,
    };
    const STOPPING: Policy = Policy {
        keep_alive: true,
        shutting_down: true,
    };

    #[test]
    fn decide_table() {
        use ConnectionField as Field;
        use KeepAlive::*;
        // version, Connection field lines, policy -> decision, field sent, close reason
        type Case = (
            &'static str,
            &'static str,
            Policy,
            KeepAlive,
            Field,
            Option<CloseReason>,
        );
        let cases: &[Case] = &[
            ("HTTP/1.1", "", OPEN, Http11Default, Field::Absent, None),
            (
                "HTTP/1.1",
                "Connection: close\r\n",
                OPEN,
                ClientAskedClose,
                Field::Close,
                Some(CloseReason::ClientAskedClose),
            ),
            (
                "HTTP/1.1",
                "Connection: Keep-Alive, CLOSE\r\n",
                OPEN,
                ClientAskedClose,
                Field::Close,
                Some(CloseReason::ClientAskedClose),
            ),
            (
                "HTTP/1.1",
                "Connection: keep-alive\r\nConnection: close\r\n",
                OPEN,
                ClientAskedClose,
                Field::Close,
                Some(CloseReason::ClientAskedClose),
            ),
            // A token, not a substring.
            (
                "HTTP/1.1",
                "Connection: closed\r\n",
                OPEN,
                Http11Default,
                Field::Absent,
                None,
            ),
            (
                "HTTP/1.0",
                "",
                OPEN,
                Http10Default,
                Field::Close,
                Some(CloseReason::Http10Default),
            ),
            (
                "HTTP/1.0",
                "Connection: keep-alive\r\n",
                OPEN,
                Http10Asked,
                Field::KeepAlive,
                None,
            ),
            (
                "HTTP/1.0",
                "Connection: KEEP-ALIVE\r\n",
                OPEN,
                Http10Asked,
                Field::KeepAlive,
                None,
            ),
            (
                "HTTP/1.0",
                "Connection: keep-alive, close\r\n",
                OPEN,
                ClientAskedClose,
                Field::Close,
                Some(CloseReason::ClientAskedClose),
            ),
            // --no-keepalive ends what would have persisted, and only that.
            (
                "HTTP/1.1",
                "",
                NO_KEEPALIVE,
                DisabledByServer,
                Field::Close,
                Some(CloseReason::NoKeepAlive),
            ),
            (
                "HTTP/1.0",
                "Connection: keep-alive\r\n",
                NO_KEEPALIVE,
                DisabledByServer,
                Field::Close,
                Some(CloseReason::NoKeepAlive),
            ),
            (
                "HTTP/1.1",
                "Connection: close\r\n",
                NO_KEEPALIVE,
                ClientAskedClose,
                Field::Close,
                Some(CloseReason::ClientAskedClose),
            ),
            (
                "HTTP/1.0",
                "",
                NO_KEEPALIVE,
                Http10Default,
                Field::Close,
                Some(CloseReason::Http10Default),
            ),
            // A stopping server closes whatever the client asked.
            (
                "HTTP/1.1",
                "",
                STOPPING,
                ShuttingDown,
                Field::Close,
                Some(CloseReason::Shutdown),
            ),
            (
                "HTTP/1.0",
                "Connection: keep-alive\r\n",
                STOPPING,
                ShuttingDown,
                Field::Close,
                Some(CloseReason::Shutdown),
            ),
            (
                "HTTP/1.1",
                "Connection: close\r\n",
                STOPPING,
                ShuttingDown,
                Field::Close,
                Some(CloseReason::Shutdown),
            ),
        ];
        for (version, fields, policy, decision, field, reason) in cases {
            let host = if *version == "HTTP/1.1" {
                "Host: a\r\n"
            } else {
                ""
            };
            let head = format!("GET / {version}\r\n{host}{fields}\r\n");
            let (request, _) = parse_head(head.as_bytes()).unwrap().unwrap();
            let got = decide(&request, *policy);
            let case = format!("{version} {fields:?} {policy:?}");
            assert_eq!(got, *decision, "{case}");
            assert_eq!(got.connection_field(), *field, "{case}");
            assert_eq!(got.close_reason(), *reason, "{case}");
        }
    }

    #[test]
    fn an_unread_body_closes_only_what_would_have_persisted() {
        use KeepAlive::*;
        let cases = [
            (Http11Default, false, Http11Default),
            (Http11Default, true, BodyUnread),
            (Http10Asked, true, BodyUnread),
            (ClientAskedClose, true, ClientAskedClose),
            (Http10Default, true, Http10Default),
            (DisabledByServer, true, DisabledByServer),
            (ShuttingDown, true, ShuttingDown),
        ];
        for (decided, body_unread, after) in cases {
            let got = decided.with_body_unread(body_unread);
            assert_eq!(got, after, "{decided:?} body_unread={body_unread}");
            assert_eq!(
                got.connection_field() == ConnectionField::Close,
                got.close_reason().is_some()
            );
        }
        assert_eq!(
            BodyUnread.close_reason(),
            Some(CloseReason::BodyUnread),
            "an unread body closes the connection"
        );
    }
}
