//! Responses: what follows the head ([`Body`]), and the one function that
//! writes a status line and header section ([`Response::write_head`]).
//! Date, Server, Connection and Content-Length are decided there and nowhere
//! else, as is "no body for HEAD, 204 and 304". Pure: the wire writer in
//! `server::wire` puts the result on the socket.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::Write;
use std::ops::Deref;
use std::sync::Arc;

use crate::protocol::added::AddedField;
use crate::protocol::multipart::Multipart;
use crate::protocol::persistence::ConnectionField;
use crate::protocol::request::HttpVersion;
use crate::protocol::status::Status;

/// The `Server` field value.
pub const SERVER: &str = concat!("glasshttp/", env!("CARGO_PKG_VERSION"));

/// A field's value: a value the same for every response is borrowed, and
/// one kept with a file (its `ETag`, its `Last-Modified`) is shared, so
/// neither is allocated per response; the rest are made for the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Static(&'static str),
    Shared(Arc<str>),
    Owned(String),
}

impl FieldValue {
    /// Appends `more` (a list's next item: `Vary: Accept-Encoding, Origin`).
    pub fn push_str(&mut self, more: &str) {
        let mut value = String::with_capacity(self.len() + more.len());
        value.push_str(self);
        value.push_str(more);
        *self = FieldValue::Owned(value);
    }
}

impl Deref for FieldValue {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            FieldValue::Static(value) => value,
            FieldValue::Shared(value) => value,
            FieldValue::Owned(value) => value,
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl From<&'static str> for FieldValue {
    fn from(value: &'static str) -> FieldValue {
        FieldValue::Static(value)
    }
}

impl From<String> for FieldValue {
    fn from(value: String) -> FieldValue {
        FieldValue::Owned(value)
    }
}

impl From<Arc<str>> for FieldValue {
    fn from(value: Arc<str>) -> FieldValue {
        FieldValue::Shared(value)
    }
}

impl From<Cow<'static, str>> for FieldValue {
    fn from(value: Cow<'static, str>) -> FieldValue {
        match value {
            Cow::Borrowed(value) => FieldValue::Static(value),
            Cow::Owned(value) => FieldValue::Owned(value),
        }
    }
}

/// Where the bytes of a multipart body's parts are cut from: an open file,
/// or bytes in memory (a small file's, or their compressed form).
#[derive(Debug)]
pub enum Source {
    File(File),
    Shared(std::sync::Arc<[u8]>),
}

/// What writes a [`Body::Streamed`]: exactly the length it announced, or
/// an error, after which the connection closes (the client sees a body cut
/// short, never a wrong one).
pub trait Stream: Send + Sync + std::fmt::Debug {
    fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()>;
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
    /// Several ranges of a representation as `multipart/byteranges`.
    Multipart { source: Source, layout: Multipart },
    /// Content of no known length, written after the head by its sender
    /// in chunks ([`crate::protocol::chunked`]): the head says
    /// `Transfer-Encoding: chunked` instead of `Content-Length`.
    Chunked,
    /// Content of no known length for a client that cannot read chunks
    /// (HTTP/1.0, RFC 9112 §6.1): written by its sender and ended by
    /// closing the connection (RFC 9112 §6.3, rule 8), so the head has
    /// neither field.
    UntilClose,
    /// `len` bytes written after the head by its sender, streamed from
    /// something it must not copy whole.
    Written { len: u64 },
    /// `len` bytes written after the head by `source`, streamed as they
    /// are made (a folder as one `.zip`): never held whole.
    Streamed {
        len: u64,
        source: std::sync::Arc<dyn Stream>,
    },
    /// `len` bytes from `start` of a small file's cached bytes.
    Shared {
        bytes: std::sync::Arc<[u8]>,
        start: usize,
        len: usize,
    },
}

impl Body {
    /// The number of content bytes the head announces: what follows it,
    /// exactly, except for the kinds written by their sender with no
    /// length known ([`Body::Chunked`], [`Body::UntilClose`]), which are 0.
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty | Body::Chunked | Body::UntilClose => 0,
            Body::Written { len } => *len,
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::File { len, .. } => *len,
            Body::Multipart { layout, .. } => layout.content_length(),
            Body::Shared { len, .. } => *len as u64,
            Body::Streamed { len, .. } => *len,
        }
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A response about to be sent.
#[derive(Debug)]
pub struct Response {
    pub status: Status,
    /// Fields other than Date, Server, Connection and Content-Length.
    pub fields: Vec<(&'static str, FieldValue)>,
    pub body: Body,
}

impl Response {
    /// A response with no extra fields.
    pub fn new(status: Status, body: Body) -> Response {
        Response {
            status,
            // Room for a file's fields, so that adding them allocates once.
            fields: Vec::with_capacity(8),
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
            .with_field("Content-Type", "text/html; charset=utf-8")
    }

    /// The head of a stream of Server-Sent Events, its length unknown:
    /// chunked to HTTP/1.1, ended by the close to HTTP/1.0, which cannot
    /// read chunks (RFC 9112 §6.1, §6.3 rule 8). Its sender writes the events.
    pub fn event_stream(version: HttpVersion) -> Response {
        let body = match version {
            HttpVersion::Http11 => Body::Chunked,
            HttpVersion::Http10 => Body::UntilClose,
        };
        Response::new(Status::Ok, body).with_field("Content-Type", "text/event-stream")
    }

    /// Adds a field.
    pub fn with_field(mut self, name: &'static str, value: impl Into<FieldValue>) -> Response {
        self.fields.push((name, value.into()));
        self
    }

    /// The value of a field this response carries, if any (for tests).
    #[cfg(test)]
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }

    /// Writes the status line and header section into `out`: the one place a
    /// response head is formed. `date` is an IMF-fixdate (RFC 9110 §5.6.7).
    /// `added` are the operator's fields (`--header`), on every response
    /// but 100 Continue; one that names `Server` or a field this response
    /// carries takes its place.
    pub fn write_head(
        &self,
        out: &mut Vec<u8>,
        connection: ConnectionField,
        date: &str,
        added: &[AddedField],
    ) {
        let status = self.status;
        // Writing into a Vec cannot fail.
        let _ = write!(out, "HTTP/1.1 {} {}\r\n", status.code(), status.reason());
        if status == Status::Continue {
            out.extend_from_slice(b"\r\n");
            return;
        }
        let replaced = |name: &str| added.iter().any(|field| field.replaces(name));
        let _ = write!(out, "Date: {date}\r\n");
        if !replaced("Server") {
            let _ = write!(out, "Server: {SERVER}\r\n");
        }
        match connection {
            ConnectionField::Absent => {}
            ConnectionField::KeepAlive => out.extend_from_slice(b"Connection: keep-alive\r\n"),
            ConnectionField::Close => out.extend_from_slice(b"Connection: close\r\n"),
        }
        for (name, value) in &self.fields {
            if !replaced(name) {
                let _ = write!(out, "{name}: {value}\r\n");
            }
        }
        for field in added {
            let _ = write!(out, "{}: {}\r\n", field.name, field.value);
        }
        match self.body {
            Body::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            Body::UntilClose => {}
            _ if status.has_content() => {
                let _ = write!(out, "Content-Length: {}\r\n", self.body.len());
            }
            _ => {}
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Whether content bytes follow the head on the wire: never for HEAD
    /// (RFC 9110 §9.3.2) or for statuses that have no content.
    pub fn sends_body(&self, is_head_request: bool) -> bool {
        !is_head_request && self.status.has_content()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(response: &Response, connection: ConnectionField) -> String {
        let mut out = Vec::new();
        response.write_head(&mut out, connection, "Tue, 24 Nov 2026 05:00:00 GMT", &[]);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn head_carries_date_server_connection_and_length() {
        let response = Response::new(Status::Ok, Body::Bytes(b"hello".to_vec()))
            .with_field("Content-Type", "text/plain");
        let cases = [
            (ConnectionField::Absent, None),
            (
                ConnectionField::KeepAlive,
                Some("Connection: keep-alive\r\n"),
            ),
            (ConnectionField::Close, Some("Connection: close\r\n")),
        ];
        for (connection_field, connection) in cases {
            let text = head(&response, connection_field);
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
            let text = head(&Response::new(status, Body::Empty), ConnectionField::Absent);
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
