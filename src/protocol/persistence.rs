//! Persistence (RFC 9112 §9.3, §9.6): whether a connection carries another
//! request after a response, what the response's `Connection` field says
//! about it, and, when a connection ends, who ended it and why. One
//! vocabulary, read by the connection loop, the response head, the access
//! log and the trace alike.

use crate::protocol::request::{HttpVersion, Request};
use crate::protocol::status::Status;
use crate::protocol::words::{phrase, Phrase, Said};

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

    /// The decision in plain words, in both languages.
    pub fn describe(self) -> Phrase {
        match self {
            KeepAlive::Http11Default => phrase(
                "HTTP/1.1 without Connection: close -> the connection stays open for the next request",
                "HTTP/1.1 且没有 Connection: close -> 持久连接：连接保持打开，等待下一个请求",
            ),
            KeepAlive::Http10Asked => phrase(
                "HTTP/1.0 with Connection: keep-alive -> stays open, and the response says keep-alive",
                "HTTP/1.0 且带有 Connection: keep-alive -> 连接保持打开，响应里也写明 keep-alive",
            ),
            KeepAlive::ClientAskedClose => phrase(
                "Connection: close -> the server closes after this response",
                "Connection: close -> 服务器发完这个响应后关闭连接",
            ),
            KeepAlive::Http10Default => phrase(
                "HTTP/1.0 without keep-alive -> the server closes after this response",
                "HTTP/1.0 且没有 keep-alive -> 服务器发完这个响应后关闭连接",
            ),
            KeepAlive::DisabledByServer => phrase(
                "--no-keepalive -> the server closes after this response, Connection: close",
                "--no-keepalive -> 服务器发完这个响应后关闭连接，并写明 Connection: close",
            ),
            KeepAlive::ShuttingDown => phrase(
                "the server is shutting down -> closes after this response, Connection: close",
                "服务器正在停止 -> 发完这个响应后关闭连接，并写明 Connection: close",
            ),
            KeepAlive::BodyUnread => phrase(
                "Expect: 100-continue, but the answer needs no body -> no 100 Continue, and the server closes, Connection: close",
                "请求带有 Expect: 100-continue，但这个回答用不到请求体 -> 不发 100 Continue，服务器关闭连接，并写明 Connection: close",
            ),
        }
    }
}

/// Why a connection ended: ClientClosedUnused.
const SPARE_CLOSED: Phrase = phrase(
    "by the client, and no request arrived: browsers open spare connections ahead of need and close those they do not use",
    "由客户端关闭，且从未收到请求：浏览器会预先打开备用连接，用不上的就关掉",
);

/// Why a connection ended: IdleUnused.
const SPARE_IDLE: Phrase = phrase(
    "by the server: no request arrived within the idle timeout (browsers open spare connections ahead of need)",
    "由服务器关闭：空闲超时内没有收到任何请求（浏览器会预先打开备用连接）",
);

/// Why a connection ended: EventsEnded.
const EVENTS_ENDED: Phrase = phrase(
    "by the server: the live-reload event stream ended (its page went away or reloaded)",
    "由服务器关闭：实时刷新的事件流结束了（页面已离开或已刷新）",
);

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
    /// A `--watch` reload stream ended: its page went away, or the server
    /// is stopping.
    EventsEnded,
}

impl CloseReason {
    /// Who closed, and why, in plain words, in both languages.
    pub fn describe(self) -> Said {
        match self {
            CloseReason::BadRequest(status) => Said::new(
                format!("by the server, after {status}: the request could not be read"),
                format!("由服务器关闭，在 {status} 之后：请求无法读取"),
            ),
            other => other.words().into(),
        }
    }

    /// The words of every reason but the status a refusal names.
    fn words(self) -> Phrase {
        match self {
            CloseReason::ClientClosed => phrase(
                "by the client, between requests",
                "由客户端关闭，在两个请求之间",
            ),
            CloseReason::ClientClosedUnused => SPARE_CLOSED,
            CloseReason::IdleUnused => SPARE_IDLE,
            CloseReason::ClientAskedClose => phrase(
                "by the server, after the response to Connection: close",
                "由服务器关闭，在回应带 Connection: close 的请求之后",
            ),
            CloseReason::Http10Default => phrase(
                "by the server, after the response to HTTP/1.0 without keep-alive",
                "由服务器关闭，在回应不带 keep-alive 的 HTTP/1.0 请求之后",
            ),
            CloseReason::NoKeepAlive => phrase(
                "by the server, after one response (--no-keepalive)",
                "由服务器关闭，每个连接只发一个响应（--no-keepalive）",
            ),
            CloseReason::IdleTimeout => phrase(
                "by the server, idle for the whole idle timeout",
                "由服务器关闭：整个空闲超时期间都没有新请求",
            ),
            CloseReason::BadRequest(_) => phrase(
                "by the server: the request could not be read",
                "由服务器关闭：请求无法读取",
            ),
            CloseReason::WriteTimedOut => phrase(
                "by the server, the client stopped reading (write timeout)",
                "由服务器关闭：客户端不再读取（写超时）",
            ),
            CloseReason::Shutdown => phrase(
                "by the server, shutting down",
                "由服务器关闭：服务器正在停止",
            ),
            CloseReason::OverLimit => phrase(
                "by the server, after 503: the connection limit",
                "由服务器关闭，在 503 之后：已达到连接数上限",
            ),
            CloseReason::NoThread => phrase(
                "by the server, after 503: no thread to serve it",
                "由服务器关闭，在 503 之后：没有线程可以处理它",
            ),
            CloseReason::BodyUnread => phrase(
                "by the server, after answering without the body held back for 100 Continue",
                "由服务器关闭：客户端为等 100 Continue 而未发送请求体，服务器不读它就已作答",
            ),
            CloseReason::Broken => phrase(
                "the connection broke (reset or vanished client)",
                "连接中断（被重置，或客户端消失）",
            ),
            CloseReason::EventsEnded => EVENTS_ENDED,
        }
    }

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
}
