//! The words for the protocol's rules: why a connection stays open or
//! closes, why a request head or body was refused, in both languages. The
//! rules live in `protocol/`, which holds no explanation of its own beyond
//! the fault a parser names as it finds it; the trace, the journal, the log
//! and the report read these. Each `describe` is an exhaustive `match`, so
//! a new variant cannot go unexplained.

use std::sync::OnceLock;

use crate::protocol::body::{FramingError, MAX_BODY_BYTES};
use crate::protocol::chunked::ChunkedError;
use crate::protocol::fields::{quoting_limit, size_in_words};
use crate::protocol::persistence::{CloseReason, KeepAlive};
use crate::protocol::request::{HeadError, MAX_HEADERS, MAX_HEAD_BYTES, MAX_REQUEST_LINE_BYTES};
use crate::protocol::words::{phrase, Phrase, Said};

/// A rule's outcome, in plain words, in both languages.
pub trait Describe {
    /// A [`Phrase`], or a [`Said`] when the words name a value.
    type Words;
    /// The outcome in words, for the log, the trace and the report (never a
    /// response body).
    fn describe(self) -> Self::Words;
}

impl Describe for KeepAlive {
    type Words = Phrase;

    /// The decision in plain words, in both languages.
    fn describe(self) -> Phrase {
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
                "the answer needs none of the request body, which is left unread (no 100 Continue when one is awaited) -> the server closes, Connection: close",
                "这个回答用不到请求体，请求体不读（客户端若在等 100 Continue，也不发送）-> 服务器关闭连接，并写明 Connection: close",
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

impl Describe for CloseReason {
    type Words = Said;

    /// Who closed, and why, in plain words, in both languages.
    fn describe(self) -> Said {
        match self {
            CloseReason::BadRequest(status) => Said::new(
                format!("by the server, after {status}: the request could not be read"),
                format!("由服务器关闭，在 {status} 之后：请求无法读取"),
            ),
            other => close_words(other).into(),
        }
    }
}

/// The words of every reason but the status a refusal names.
fn close_words(reason: CloseReason) -> Phrase {
    match reason {
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
            "by the server, after answering without reading the request body",
            "由服务器关闭：没有读取请求体就已作答",
        ),
        CloseReason::Broken => phrase(
            "the connection broke (reset or vanished client)",
            "连接中断（被重置，或客户端消失）",
        ),
        CloseReason::TlsFailed => phrase(
            "by the server: the TLS handshake did not finish (the line above says why)",
            "由服务器关闭：TLS 握手没有完成（原因见上一行）",
        ),
        CloseReason::EventsEnded => EVENTS_ENDED,
    }
}

impl Describe for HeadError {
    type Words = Phrase;

    /// A short explanation, in both languages, for the log and the trace
    /// (never the response body).
    fn describe(self) -> Phrase {
        match self {
            HeadError::RequestLineTooLong => {
                static TEXT: OnceLock<(String, String)> = OnceLock::new();
                quoting_limit(&TEXT, || {
                    let limit = size_in_words(MAX_REQUEST_LINE_BYTES as u64);
                    (
                        format!("request line longer than {limit}"),
                        format!("请求行超过 {limit}"),
                    )
                })
            }
            HeadError::HeadTooLarge => {
                static TEXT: OnceLock<(String, String)> = OnceLock::new();
                quoting_limit(&TEXT, || {
                    let limit = size_in_words(MAX_HEAD_BYTES as u64);
                    (
                        format!("request head larger than {limit}"),
                        format!("请求头超过 {limit}"),
                    )
                })
            }
            HeadError::TooManyHeaders => {
                static TEXT: OnceLock<(String, String)> = OnceLock::new();
                quoting_limit(&TEXT, || {
                    (
                        format!("more than {MAX_HEADERS} header fields"),
                        format!("头部字段超过 {MAX_HEADERS} 个"),
                    )
                })
            }
            HeadError::UnsupportedVersion => phrase(
                "HTTP version other than 1.0 or 1.1",
                "HTTP 版本既不是 1.0 也不是 1.1",
            ),
            HeadError::BadHost => phrase(
                "HTTP/1.1 request without exactly one Host",
                "HTTP/1.1 请求没有恰好一个 Host 字段",
            ),
            HeadError::InvalidHost(why) => why,
            HeadError::MethodTooLong => phrase(
                "a method longer than the request-line limit",
                "方法名比请求行的上限还长",
            ),
            HeadError::Malformed(why) => why,
            HeadError::LooksLikeTls => phrase(
                "this looks like TLS (a ClientHello: 16 03): use http://, or start glasshttp with --tls",
                "这看起来是 TLS（ClientHello：16 03）：请用 http://，或用 --tls 启动 glasshttp",
            ),
        }
    }
}

impl Describe for FramingError {
    type Words = Phrase;

    /// A short explanation, in both languages, for the log and the trace.
    fn describe(self) -> Phrase {
        match self {
            FramingError::LengthAndTransferEncoding => phrase(
                "both Content-Length and Transfer-Encoding",
                "同时有 Content-Length 和 Transfer-Encoding",
            ),
            FramingError::InvalidContentLength => {
                phrase("invalid Content-Length", "Content-Length 无效")
            }
            FramingError::UnsupportedTransferCoding => {
                phrase("transfer coding other than chunked", "传输编码不是 chunked")
            }
            FramingError::TransferEncodingInHttp10 => phrase(
                "Transfer-Encoding in an HTTP/1.0 request",
                "HTTP/1.0 请求中出现 Transfer-Encoding",
            ),
            FramingError::TooLarge => body_too_large(),
        }
    }
}

impl Describe for ChunkedError {
    type Words = Phrase;

    /// A short explanation, in both languages, for the log and the trace.
    fn describe(self) -> Phrase {
        match self {
            ChunkedError::Malformed(why) => why,
            ChunkedError::SizeOverflow => phrase("chunk size overflows", "块大小溢出"),
            ChunkedError::TooLarge => body_too_large(),
            ChunkedError::MetadataTooLarge => phrase(
                "chunk extension or trailers too large",
                "块扩展或尾部字段太大",
            ),
        }
    }
}

/// The explanation for a body over [`MAX_BODY_BYTES`], however it is framed.
fn body_too_large() -> Phrase {
    static TEXT: OnceLock<(String, String)> = OnceLock::new();
    quoting_limit(&TEXT, || {
        let limit = size_in_words(MAX_BODY_BYTES);
        (
            format!("request body larger than {limit}"),
            format!("请求体超过 {limit}"),
        )
    })
}
