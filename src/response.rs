//! Responses: the status codes this server sends, response bodies, and the
//! one function that writes a status line and header section
//! ([`Response::write_head`]). Date, Server, Connection and Content-Length are
//! decided there and nowhere else, as is "no body for HEAD, 204 and 304".

use std::fs::File;
use std::io::{self, Write};
use std::net::TcpStream;
use std::time::Instant;

use crate::range::Multipart;
use crate::sys;

/// The `Server` field value.
pub const SERVER: &str = concat!("glasshttp/", env!("CARGO_PKG_VERSION"));

/// The status codes this server sends (RFC 9110 §15, RFC 6585).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Continue,
    Ok,
    NoContent,
    PartialContent,
    MovedPermanently,
    NotModified,
    BadRequest,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    PreconditionFailed,
    ContentTooLarge,
    UriTooLong,
    RangeNotSatisfiable,
    RequestHeaderFieldsTooLarge,
    InternalServerError,
    NotImplemented,
    ServiceUnavailable,
    HttpVersionNotSupported,
}

impl Status {
    /// The three-digit code.
    pub fn code(self) -> u16 {
        match self {
            Status::Continue => 100,
            Status::Ok => 200,
            Status::NoContent => 204,
            Status::PartialContent => 206,
            Status::MovedPermanently => 301,
            Status::NotModified => 304,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::PreconditionFailed => 412,
            Status::ContentTooLarge => 413,
            Status::UriTooLong => 414,
            Status::RangeNotSatisfiable => 416,
            Status::RequestHeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::HttpVersionNotSupported => 505,
        }
    }

    /// The reason phrase RFC 9110 gives the code.
    pub fn reason(self) -> &'static str {
        match self {
            Status::Continue => "Continue",
            Status::Ok => "OK",
            Status::NoContent => "No Content",
            Status::PartialContent => "Partial Content",
            Status::MovedPermanently => "Moved Permanently",
            Status::NotModified => "Not Modified",
            Status::BadRequest => "Bad Request",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::PreconditionFailed => "Precondition Failed",
            Status::ContentTooLarge => "Content Too Large",
            Status::UriTooLong => "URI Too Long",
            Status::RangeNotSatisfiable => "Range Not Satisfiable",
            Status::RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::InternalServerError => "Internal Server Error",
            Status::NotImplemented => "Not Implemented",
            Status::ServiceUnavailable => "Service Unavailable",
            Status::HttpVersionNotSupported => "HTTP Version Not Supported",
        }
    }

    /// RFC 9110 §6.4.1: 1xx, 204 and 304 responses never have content, and
    /// RFC 9110 §8.6 forbids Content-Length on 1xx and 204. A 304 could carry
    /// the 200's length, but sending none is simpler and always correct.
    fn has_content(self) -> bool {
        !matches!(
            self,
            Status::Continue | Status::NoContent | Status::NotModified
        )
    }
}

/// What follows the head.
#[derive(Debug)]
pub enum Body {
    /// No content (Content-Length: 0, unless the status forbids the field).
    Empty,
    /// Bytes held in memory: error pages and small generated bodies.
    Bytes(Vec<u8>),
    /// `len` bytes of an open file starting at `offset`, sent by [`sys::send_file`].
    File { file: File, offset: u64, len: u64 },
    /// Several ranges of an open file as `multipart/byteranges`.
    Multipart { file: File, layout: Multipart },
    /// `len` bytes from `start` of a small file's cached bytes.
    Shared {
        bytes: std::sync::Arc<[u8]>,
        start: usize,
        len: usize,
    },
}

impl Body {
    /// The exact number of content bytes, known before sending (this server
    /// always frames responses with Content-Length).
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::File { len, .. } => *len,
            Body::Multipart { layout, .. } => layout.len(),
            Body::Shared { len, .. } => *len as u64,
        }
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the response says about the connection (RFC 9112 §9.3, §9.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// HTTP/1.1 default: no Connection field needed.
    KeepAlive,
    /// An HTTP/1.0 client asked for keep-alive: confirm it explicitly.
    KeepAliveHttp10,
    /// The server closes after this response and says so.
    Close,
}

/// A response about to be sent.
#[derive(Debug)]
pub struct Response {
    pub status: Status,
    /// Fields other than Date, Server, Connection and Content-Length.
    pub fields: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Response {
    /// A response with no extra fields.
    pub fn new(status: Status, body: Body) -> Response {
        Response {
            status,
            fields: Vec::new(),
            body,
        }
    }

    /// A short HTML page naming the status; never any internal error text.
    pub fn error(status: Status) -> Response {
        let page = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{code} {reason}</title></head>\n\
             <body><h1>{code} {reason}</h1><hr><p>{SERVER}</p></body></html>\n",
            code = status.code(),
            reason = status.reason(),
        );
        Response::new(status, Body::Bytes(page.into_bytes()))
            .with_field("Content-Type", "text/html; charset=utf-8".to_string())
    }

    /// Adds a field.
    pub fn with_field(mut self, name: &'static str, value: String) -> Response {
        self.fields.push((name, value));
        self
    }

    /// The value of a field this response carries, if any.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Writes the status line and header section into `out`: the one place a
    /// response head is formed. `date` is an IMF-fixdate (RFC 9110 §5.6.7).
    pub fn write_head(&self, out: &mut Vec<u8>, persistence: Persistence, date: &str) {
        let status = self.status;
        // Writing into a Vec cannot fail.
        let _ = write!(out, "HTTP/1.1 {} {}\r\n", status.code(), status.reason());
        if status == Status::Continue {
            out.extend_from_slice(b"\r\n");
            return;
        }
        let _ = write!(out, "Date: {date}\r\nServer: {SERVER}\r\n");
        match persistence {
            Persistence::KeepAlive => {}
            Persistence::KeepAliveHttp10 => out.extend_from_slice(b"Connection: keep-alive\r\n"),
            Persistence::Close => out.extend_from_slice(b"Connection: close\r\n"),
        }
        for (name, value) in &self.fields {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        if status.has_content() {
            let _ = write!(out, "Content-Length: {}\r\n", self.body.len());
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Whether content bytes follow the head on the wire: never for HEAD
    /// (RFC 9110 §9.3.2) or for statuses that have no content.
    pub fn sends_body(&self, is_head_request: bool) -> bool {
        !is_head_request && self.status.has_content()
    }
}

/// Receives a copy of every byte written to the socket, in order, just
/// before it is written (lab mode: the capture). Bytes of a write that then
/// fails are still handed over.
pub trait Tap {
    fn sent(&mut self, bytes: &[u8]);
}

/// What [`send`] did.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// Content bytes sent after the head.
    pub body_bytes: u64,
    /// When the first write returned: the first byte is in the kernel's hands.
    pub first_write: Option<Instant>,
}

/// Writes `head` (from [`Response::write_head`]) and the body of `response`
/// to `stream`: head and an in-memory body in one write, a file body by
/// sendfile(2) from the file's offset. With a `tap`, every byte written is
/// also handed to it, and file bodies are copied through memory so that the
/// tap sees them.
pub fn send(
    stream: &TcpStream,
    response: &Response,
    is_head_request: bool,
    head: &[u8],
    tap: Option<&mut dyn Tap>,
) -> io::Result<Sent> {
    let mut out = Out {
        stream,
        tap,
        first_write: None,
    };
    let body_bytes = if !response.sends_body(is_head_request) {
        out.write_all(head, &[])?;
        0
    } else {
        match &response.body {
            Body::Empty => {
                out.write_all(head, &[])?;
                0
            }
            Body::Bytes(bytes) => {
                out.write_all(head, bytes)?;
                bytes.len() as u64
            }
            Body::Shared { bytes, start, len } => {
                out.write_all(head, &bytes[*start..*start + *len])?;
                *len as u64
            }
            Body::File { file, offset, len } => {
                out.write_all(head, &[])?;
                out.send_file(file, *offset, *len)?
            }
            Body::Multipart { file, layout } => {
                // Each part's head goes out with whatever text precedes it.
                let mut before: &[u8] = head;
                for part in &layout.parts {
                    out.write_all(before, &part.head)?;
                    before = &[];
                    out.send_file(file, part.range.start, part.range.len())?;
                }
                out.write_all(&layout.closing, &[])?;
                layout.len()
            }
        }
    };
    Ok(Sent {
        body_bytes,
        first_write: out.first_write,
    })
}

/// The socket, as [`send`] writes to it.
struct Out<'a, 't> {
    stream: &'a TcpStream,
    tap: Option<&'t mut dyn Tap>,
    first_write: Option<Instant>,
}

impl Out<'_, '_> {
    /// Writes `first` then `second` with as few system calls as the socket
    /// allows (usually one writev), without copying one next to the other.
    fn write_all(&mut self, first: &[u8], second: &[u8]) -> io::Result<()> {
        if let Some(tap) = self.tap.as_deref_mut() {
            // Handed over before the write: once written, the client may
            // answer (and another connection be recorded) before this thread
            // runs again, and the capture must keep the order of events.
            tap.sent(&[first, second].concat());
        }
        let mut slices = [io::IoSlice::new(first), io::IoSlice::new(second)];
        let mut remaining: &mut [io::IoSlice<'_>] = &mut slices;
        while remaining.iter().any(|slice| !slice.is_empty()) {
            match (&mut &*self.stream).write_vectored(remaining) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.first_write.get_or_insert_with(Instant::now);
                    io::IoSlice::advance_slices(&mut remaining, n);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Sends `len` bytes of `file` from `offset`: by [`sys::send_file`], or
    /// through memory when a tap must see the bytes.
    fn send_file(&mut self, file: &File, offset: u64, len: u64) -> io::Result<u64> {
        if self.tap.is_none() {
            sys::send_file(self.stream, file, offset, len)?;
        } else {
            sys::copy_range(file, offset, len, |chunk| self.write_all(chunk, &[]))?;
        }
        Ok(len)
    }
}

/// The `Date` field value, formatted at most once a second: formatting a
/// date costs more than the rest of a small response's head.
#[derive(Debug, Default)]
pub struct DateCache {
    second: u64,
    text: String,
}

impl DateCache {
    /// The IMF-fixdate of now.
    pub fn now(&mut self) -> &str {
        let now = std::time::SystemTime::now();
        let second = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if second != self.second || self.text.is_empty() {
            self.second = second;
            self.text = httpdate::fmt_http_date(now);
        }
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(response: &Response, persistence: Persistence) -> String {
        let mut out = Vec::new();
        response.write_head(&mut out, persistence, "Tue, 24 Nov 2026 05:00:00 GMT");
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn head_carries_date_server_connection_and_length() {
        let response = Response::new(Status::Ok, Body::Bytes(b"hello".to_vec()))
            .with_field("Content-Type", "text/plain".into());
        let cases = [
            (Persistence::KeepAlive, None),
            (
                Persistence::KeepAliveHttp10,
                Some("Connection: keep-alive\r\n"),
            ),
            (Persistence::Close, Some("Connection: close\r\n")),
        ];
        for (persistence, connection) in cases {
            let text = head(&response, persistence);
            assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
            assert!(
                text.contains("Date: Tue, 24 Nov 2026 05:00:00 GMT\r\n"),
                "{text}"
            );
            assert!(text.contains(&format!("Server: {SERVER}\r\n")), "{text}");
            assert!(text.contains("Content-Type: text/plain\r\n"), "{text}");
            assert!(text.ends_with("Content-Length: 5\r\n\r\n"), "{text}");
            assert_eq!(text.contains("Connection:"), connection.is_some(), "{text}");
            if let Some(line) = connection {
                assert!(text.contains(line), "{text}");
            }
        }
    }

    #[test]
    fn statuses_without_content_have_no_length() {
        for status in [Status::NoContent, Status::NotModified] {
            let text = head(&Response::new(status, Body::Empty), Persistence::KeepAlive);
            assert!(!text.contains("Content-Length"), "{status:?}: {text}");
            assert!(!Response::new(status, Body::Empty).sends_body(false));
        }
    }

    #[test]
    fn error_pages_name_their_status() {
        let response = Response::error(Status::NotFound);
        let Body::Bytes(page) = &response.body else {
            panic!("error page should be in memory")
        };
        let page = String::from_utf8_lossy(page);
        assert!(page.contains("404 Not Found"), "{page}");
        assert_eq!(
            response.field("content-type"),
            Some("text/html; charset=utf-8")
        );
    }
}
