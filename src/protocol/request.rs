//! Request heads: the method, the version, the target and the header fields,
//! parsed incrementally with `httparse` under named limits (RFC 9112 §2–§5).
//!
//! This module does no I/O. [`parse_head`] looks at the bytes a connection has
//! buffered so far and answers "need more", "here is a head of `n` bytes" (the
//! bytes after `n` belong to the next, pipelined, request) or a [`HeadError`]
//! that carries the status the client must be told.

use crate::protocol::fields::list_items;
use crate::protocol::host::check_host;
use crate::protocol::status::Status;
use crate::protocol::words::{phrase, Phrase};
use std::ops::Range;

/// Longest request line accepted, in bytes (RFC 9112 §3: a server that
/// receives a longer request-target than it wishes to parse answers 414).
pub const MAX_REQUEST_LINE_BYTES: usize = 8 * 1024;
/// Largest request head (request line and all fields), in bytes; larger → 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most header fields in one head; more → 431 (RFC 6585 §5).
pub const MAX_HEADERS: usize = 100;
/// Fields a head usually has at most (browsers send 10 to 20).
const COMMON_HEADERS: usize = 32;

/// The request method (RFC 9110 §9). Standard methods are named so that the
/// server can answer 405 for them and 501 for anything it has never heard of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Options,
    Post,
    Put,
    Delete,
    Connect,
    Trace,
    Patch,
    /// A syntactically valid method this server does not know (→ 501).
    Unknown,
}

impl Method {
    /// Methods are case-sensitive (RFC 9110 §9.1): `get` is not `GET`.
    pub fn from_token(token: &str) -> Method {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "CONNECT" => Method::Connect,
            "TRACE" => Method::Trace,
            "PATCH" => Method::Patch,
            _ => Method::Unknown,
        }
    }
}

/// The protocol versions this server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpVersion {
    Http10,
    Http11,
}

/// Why a request head was refused. Each variant maps to one status in
/// [`HeadError::status`], the single place where parse errors become statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// The request line is longer than [`MAX_REQUEST_LINE_BYTES`].
    RequestLineTooLong,
    /// The head is longer than [`MAX_HEAD_BYTES`].
    HeadTooLarge,
    /// The head has more than [`MAX_HEADERS`] fields.
    TooManyHeaders,
    /// The head is well-formed except for an HTTP version other than 1.0 or 1.1.
    UnsupportedVersion,
    /// An HTTP/1.1 request without exactly one `Host` field (RFC 9112 §3.2).
    BadHost,
    /// A `Host` field whose value is not `uri-host [ ":" port ]`.
    InvalidHost(Phrase),
    /// A method token longer than the request-line limit: no method this
    /// server implements is that long (RFC 9112 §3 asks for 501).
    MethodTooLong,
    /// Anything else that is not a valid request head; the text says what.
    Malformed(Phrase),
    /// A TLS handshake (`16 03`) where a request line belongs: an
    /// `https://` address aimed at a plain HTTP port.
    LooksLikeTls,
}

impl HeadError {
    /// The status the client is told.
    pub fn status(self) -> Status {
        match self {
            HeadError::RequestLineTooLong => Status::UriTooLong,
            HeadError::HeadTooLarge | HeadError::TooManyHeaders => {
                Status::RequestHeaderFieldsTooLarge
            }
            HeadError::UnsupportedVersion => Status::HttpVersionNotSupported,
            HeadError::BadHost
            | HeadError::InvalidHost(_)
            | HeadError::Malformed(_)
            | HeadError::LooksLikeTls => Status::BadRequest,
            HeadError::MethodTooLong => Status::NotImplemented,
        }
    }
}

/// A parsed request head. It owns a copy of the head exactly as received, and
/// refers into it by offsets, so that the trace can show the raw bytes and the
/// server reads fields without a copy each.
#[derive(Debug, Clone)]
pub struct Request {
    raw: Vec<u8>,
    /// The request method.
    pub method: Method,
    method_span: Range<usize>,
    target_span: Range<usize>,
    /// The protocol version of the request.
    pub version: HttpVersion,
    fields: Vec<(Range<usize>, Range<usize>)>,
}

impl Request {
    /// The head exactly as received, request line to the empty line.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The method token as sent.
    pub fn method_str(&self) -> &str {
        self.text(&self.method_span)
    }

    /// The request target as sent (origin-, absolute-, authority- or asterisk-form).
    pub fn target(&self) -> &str {
        self.text(&self.target_span)
    }

    /// Every field line in order, name as sent and value with surrounding
    /// whitespace already removed by the parser.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.fields
            .iter()
            .map(|(name, value)| (self.text(name), &self.raw[value.clone()]))
    }

    /// The values of every field named `name` (case-insensitive), in order.
    pub fn field_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The value of the field `name` when it appears exactly once.
    pub fn field<'a>(&'a self, name: &'a str) -> Option<&'a [u8]> {
        let mut values = self.field_values(name);
        let first = values.next()?;
        values.next().is_none().then_some(first)
    }

    /// Whether any `name` field lists `token` (RFC 9110 §5.6.1: a comma-separated
    /// list of tokens, compared case-insensitively), e.g. `Connection: close`.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.field_values(name)
            .any(|value| list_items(value).any(|item| item.eq_ignore_ascii_case(token.as_bytes())))
    }

    fn text(&self, span: &Range<usize>) -> &str {
        // The parser only accepts token and URI characters for these spans.
        std::str::from_utf8(&self.raw[span.clone()]).unwrap_or("")
    }
}

/// Parses the request head at the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, or the request with the
/// length of its head: bytes after it are the body or the next request.
pub fn parse_head(buf: &[u8]) -> Result<Option<(Request, usize)>, HeadError> {
    parse_head_reusing(buf, &mut None)
}

/// [`parse_head`], taking the buffers of `spare` (an earlier request on
/// the same connection, done with) when it parses a whole head, so that a
/// kept-alive connection's requests reuse one copy of a head and one list
/// of fields instead of allocating both each time.
pub fn parse_head_reusing(
    buf: &[u8],
    spare: &mut Option<Request>,
) -> Result<Option<(Request, usize)>, HeadError> {
    check_request_line_length(buf)?;
    // Most heads carry a few fields: a small array on the stack takes them,
    // and only a head with more pays for the full one, on the heap. Stack
    // that an exchange touches stays resident while the connection is idle.
    let mut few = [httparse::EMPTY_HEADER; COMMON_HEADERS];
    match parse_into(buf, &mut few, spare) {
        Err(HeadError::TooManyHeaders) => {
            parse_into(buf, &mut vec![httparse::EMPTY_HEADER; MAX_HEADERS], spare)
        }
        parsed => parsed,
    }
}

/// [`parse_head`] with room for `headers.len()` fields.
fn parse_into<'b>(
    buf: &'b [u8],
    headers: &mut [httparse::Header<'b>],
    spare: &mut Option<Request>,
) -> Result<Option<(Request, usize)>, HeadError> {
    let mut parsed = httparse::Request::new(headers);
    let head_len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n > MAX_HEAD_BYTES => {
            return Err(HeadError::HeadTooLarge)
        }
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_BYTES => {
            return Err(HeadError::HeadTooLarge)
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooManyHeaders),
        Err(httparse::Error::Version) => return Err(classify_version_error(buf)),
        Err(error) => return Err(HeadError::Malformed(describe_httparse_error(error))),
    };

    let span = |part: &[u8]| {
        let start = part.as_ptr() as usize - buf.as_ptr() as usize;
        start..start + part.len()
    };
    // Complete heads always carry these three parts.
    let (Some(method), Some(target), Some(minor)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(HeadError::Malformed(phrase(
            "incomplete request line",
            "请求行不完整",
        )));
    };
    let (mut raw, mut fields) = match spare.take() {
        Some(Request { raw, fields, .. }) => (raw, fields),
        None => (Vec::new(), Vec::new()),
    };
    raw.clear();
    raw.extend_from_slice(&buf[..head_len]);
    fields.clear();
    fields.extend(
        (parsed.headers.iter()).map(|field| (span(field.name.as_bytes()), span(field.value))),
    );
    let request = Request {
        raw,
        method: Method::from_token(method),
        method_span: span(method.as_bytes()),
        target_span: span(target.as_bytes()),
        version: if minor == 0 {
            HttpVersion::Http10
        } else {
            HttpVersion::Http11
        },
        fields,
    };

    check_target_and_host(&request)?;
    Ok(Some((request, head_len)))
}

/// What httparse leaves to the server: RFC 9112 §3.2 has only US-ASCII in a
/// target (httparse lets UTF-8 through), and an HTTP/1.1 request exactly
/// one `Host`, with a valid value.
fn check_target_and_host(request: &Request) -> Result<(), HeadError> {
    if !request.raw[request.target_span.clone()].is_ascii() {
        return Err(HeadError::Malformed(phrase(
            "bytes outside US-ASCII in the request target",
            "请求目标中有 US-ASCII 以外的字节",
        )));
    }
    let is_http11 = request.version == HttpVersion::Http11;
    if is_http11 && request.field_values("host").count() != 1 {
        return Err(HeadError::BadHost);
    }
    for host in request.field_values("host") {
        check_host(host, !is_http11).map_err(HeadError::InvalidHost)?;
    }
    Ok(())
}

/// Refuses a request line longer than the limit as soon as the limit is
/// passed, without waiting for its end. Empty lines before the request line
/// are skipped, as RFC 9112 §2.2 lets a server do and httparse does.
fn check_request_line_length(buf: &[u8]) -> Result<(), HeadError> {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let line = &buf[start..];
    let window = &line[..line.len().min(MAX_REQUEST_LINE_BYTES + 2)];
    let length = match window.iter().position(|&b| b == b'\n') {
        Some(lf) if lf > 0 && window[lf - 1] == b'\r' => lf - 1,
        Some(lf) => lf,
        None => window.len(),
    };
    if length > MAX_REQUEST_LINE_BYTES {
        // The whole limit is spent before the method ends: no method this
        // server implements is that long, so 501 (RFC 9112 §3), not 414.
        let method_ends = window.iter().position(|&b| b == b' ');
        if method_ends.is_none_or(|end| end > MAX_REQUEST_LINE_BYTES) {
            return Err(HeadError::MethodTooLong);
        }
        return Err(HeadError::RequestLineTooLong);
    }
    Ok(())
}

/// httparse says "version" for anything it cannot read as HTTP/1.0 or 1.1.
/// A line that is well-formed but names another version (`HTTP/2.0`,
/// `HTTP/1.2`) gets 505; a line that is simply broken gets 400.
fn classify_version_error(buf: &[u8]) -> HeadError {
    // The empty lines a client may send before the request line (RFC 9112
    // §2.2) are skipped first, then the line is cut at its end.
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = trim_crlf(&rest[..line_end]);
    let version = line.rsplit(|&b| b == b' ').next().unwrap_or_default();
    let parts = line.split(|&b| b == b' ').count();
    let is_http_version = version.len() == 8
        && version.starts_with(b"HTTP/")
        && version[5].is_ascii_digit()
        && version[6] == b'.'
        && version[7].is_ascii_digit();
    if parts == 3 && is_http_version {
        HeadError::UnsupportedVersion
    } else {
        HeadError::Malformed(INVALID_VERSION)
    }
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

const INVALID_VERSION: Phrase = phrase("invalid HTTP version", "HTTP 版本无效");

fn describe_httparse_error(error: httparse::Error) -> Phrase {
    match error {
        httparse::Error::HeaderName => phrase("invalid header field name", "头部字段名无效"),
        httparse::Error::HeaderValue => phrase("invalid header field value", "头部字段值无效"),
        httparse::Error::NewLine => phrase("invalid line ending", "行结束符无效"),
        httparse::Error::Status => phrase("invalid request line", "请求行无效"),
        httparse::Error::Token => phrase("invalid method or request target", "方法或请求目标无效"),
        httparse::Error::TooManyHeaders => phrase("too many header fields", "头部字段太多"),
        httparse::Error::Version => INVALID_VERSION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Result<Option<(Request, usize)>, HeadError> {
        parse_head(input.as_bytes())
    }

    #[test]
    fn field_counts_around_the_small_array_and_the_limit() {
        // Host plus `extra` fields: the small array, one past it (parsed
        // again with the full one), exactly the limit, one past the limit.
        for (extra, parsed) in [
            (COMMON_HEADERS - 1, true),
            (COMMON_HEADERS, true),
            (MAX_HEADERS - 1, true),
            (MAX_HEADERS, false),
        ] {
            let head = format!(
                "GET / HTTP/1.1\r\nHost: a\r\n{}\r\n",
                "X-A: b\r\n".repeat(extra)
            );
            match parse(&head) {
                Ok(Some((request, len))) => {
                    assert!(parsed, "{extra} extra fields should be refused");
                    assert_eq!(len, head.len());
                    assert_eq!(request.fields().count(), extra + 1);
                }
                other => {
                    assert!(!parsed, "{extra} extra fields: {other:?}");
                    assert_eq!(other.unwrap_err(), HeadError::TooManyHeaders);
                }
            }
        }
    }

    #[test]
    fn refusals_map_to_their_status() {
        let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
        let many_fields = format!(
            "GET / HTTP/1.1\r\nHost: a\r\n{}\r\n",
            "X-A: b\r\n".repeat(MAX_HEADERS)
        );
        let huge_field = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n",
            "b".repeat(MAX_HEAD_BYTES)
        );
        let cases: &[(&str, &str, Status)] = &[
            ("request line too long", &long_target, Status::UriTooLong),
            (
                "too many fields",
                &many_fields,
                Status::RequestHeaderFieldsTooLarge,
            ),
            (
                "head too large",
                &huge_field,
                Status::RequestHeaderFieldsTooLarge,
            ),
            (
                "HTTP/2.0",
                "GET / HTTP/2.0\r\n\r\n",
                Status::HttpVersionNotSupported,
            ),
            (
                "HTTP/1.2",
                "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
                Status::HttpVersionNotSupported,
            ),
            (
                "HTTP/2.0 after an empty line",
                "\r\nGET / HTTP/2.0\r\n\r\n",
                Status::HttpVersionNotSupported,
            ),
            ("HTTP/0.9 style", "GET /\r\n\r\n", Status::BadRequest),
            (
                "garbage version",
                "GET / HTTX/1.1\r\n\r\n",
                Status::BadRequest,
            ),
            (
                "no Host in 1.1",
                "GET / HTTP/1.1\r\n\r\n",
                Status::BadRequest,
            ),
            (
                "two Hosts",
                "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                Status::BadRequest,
            ),
            (
                "space in target",
                "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
                Status::BadRequest,
            ),
            (
                "bad field name",
                "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
                Status::BadRequest,
            ),
        ];
        for (name, input, status) in cases {
            match parse(input) {
                Err(error) => assert_eq!(error.status(), *status, "{name}: {error:?}"),
                Ok(other) => panic!("{name}: expected {status:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn partial_heads_ask_for_more() {
        let full = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
        for cut in 0..full.len() {
            assert!(
                matches!(parse(&full[..cut]), Ok(None)),
                "prefix of {cut} bytes should be partial"
            );
        }
    }

    #[test]
    fn complete_head_leaves_pipelined_bytes_alone() {
        let input = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n";
        let (request, len) = parse(input).unwrap().unwrap();
        assert_eq!(&input[len..], "GET /b HTTP/1.1\r\n");
        assert_eq!(request.target(), "/a");
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.version, HttpVersion::Http11);
        assert_eq!(request.raw(), &input.as_bytes()[..len]);
    }

    #[test]
    fn http10_needs_no_host() {
        let (request, _) = parse("HEAD / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert_eq!(request.version, HttpVersion::Http10);
        assert_eq!(request.method, Method::Head);
    }

    #[test]
    fn methods_are_case_sensitive() {
        let cases = [
            ("GET", Method::Get),
            ("get", Method::Unknown),
            ("OPTIONS", Method::Options),
            ("DELETE", Method::Delete),
            ("BREW", Method::Unknown),
        ];
        for (token, method) in cases {
            assert_eq!(Method::from_token(token), method, "{token}");
        }
    }

    #[test]
    fn tokens_are_comma_separated_and_case_insensitive() {
        let head = "GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive , ,Upgrade\r\nConnection: CLOSE\r\nX-Close: nothing\r\n\r\n";
        let (request, _) = parse(head).unwrap().unwrap();
        let cases = [
            ("connection", "close", true),
            ("connection", "keep-alive", true),
            ("connection", "upgrade", true),
            ("connection", "clo", false),
            ("x-close", "close", false),
        ];
        for (field, token, expected) in cases {
            assert_eq!(
                request.has_token(field, token),
                expected,
                "{field}: {token}"
            );
        }
    }

    /// A head parsed into an earlier request's buffers holds exactly its
    /// own bytes and fields, whatever the earlier one held: longer or
    /// shorter, more fields or fewer, or none given at all.
    #[test]
    fn a_reused_request_holds_only_its_own_head() {
        let heads = [
            "GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nX-One: 1\r\nX-Two: 2\r\n\r\n",
            "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /much/longer/path/than/before HTTP/1.0\r\nUser-Agent: u\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n\r\n",
        ];
        let mut spare = None;
        for head in heads.iter().chain(heads.iter().rev()) {
            let (reused, len) = parse_head_reusing(head.as_bytes(), &mut spare)
                .unwrap()
                .unwrap();
            let (fresh, _) = parse_head(head.as_bytes()).unwrap().unwrap();
            assert_eq!(len, head.len());
            assert_eq!(reused.raw(), fresh.raw(), "{head:?}");
            assert_eq!(reused.target(), fresh.target(), "{head:?}");
            let fields = |request: &Request| -> Vec<(String, Vec<u8>)> {
                (request.fields())
                    .map(|(n, v)| (n.to_string(), v.to_vec()))
                    .collect()
            };
            assert_eq!(fields(&reused), fields(&fresh), "{head:?}");
            assert!(spare.is_none(), "the spare was taken");
            spare = Some(reused);
        }
    }

    #[test]
    fn field_is_none_when_repeated() {
        let (request, _) = parse("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nx: 2\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(request.field("host"), Some(&b"a"[..]));
        assert_eq!(request.field("x"), None);
        assert_eq!(request.field_values("X").count(), 2);
    }
}
