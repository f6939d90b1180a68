//! `--trace`: every connection and every exchange explained on stderr — the
//! request head as received, each decision and why, the response head as
//! sent, the body's size and timing, and who closed the connection and why.
//!
//! The explanations are rendered from the [`ExchangeRecord`] every observer
//! reads, and so from the same decision values the server acted on
//! ([`Decision`], [`Precondition`], [`RangeOutcome`], [`KeepAlive`],
//! [`CloseReason`]): nothing is worked out again here, and nothing is
//! rendered unless `--trace` is on. Every line starts with the connection
//! number (and the request number on it), so the output of concurrent
//! connections can be told apart and a trace can be diffed; colours only on
//! a terminal.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::Duration;

use crate::files::conditional::{Field, Precondition};
use crate::files::range::RangeOutcome;
use crate::files::serve::Negotiation;
use crate::files::serve::ALLOW;
use crate::files::target::PathError;
use crate::files::upload::Upload;
use crate::files::{Decision, FileDecision};
use crate::observe::capture::Capture;
use crate::observe::seam::{ExchangeRecord, Observer, Opening, Outcome};
use crate::protocol::auth::{self, Verdict};
use crate::protocol::visible::visible;
use crate::protocol::{CloseReason, KeepAlive, Method, Request, Status};

/// Where the trace goes, and how it looks.
#[derive(Debug)]
pub struct Trace {
    colour: bool,
}

/// The trace's observer of one connection.
#[derive(Debug)]
pub struct TracedConnection<'a> {
    trace: &'a Trace,
    id: u64,
    /// The capture, to say when it has dropped packets.
    capture: Option<&'a Capture>,
}

impl Observer for TracedConnection<'_> {
    fn opened(&mut self, opening: &Opening) {
        self.trace.opened(self.id, opening.client, opening.server);
    }

    fn exchanged(&mut self, record: &ExchangeRecord<'_>) {
        self.trace.exchange(self.id, record);
    }

    fn closed(&mut self, reason: CloseReason, requests: u64) {
        self.trace.closed(self.id, reason, requests);
        let dropped = self.capture.map_or(0, Capture::dropped);
        if dropped > 0 {
            emit(&format!(
                "{} capture: {dropped} packets dropped so far (the capture's writer fell behind)\n",
                self.trace.paint(BOLD, &format!("[conn {}]", self.id))
            ));
        }
    }
}

impl Trace {
    /// A trace on stderr, coloured when stderr is a terminal that shows
    /// colour: not with `NO_COLOR` set, and on Windows only once the console
    /// accepts ANSI sequences (Windows Terminal and PowerShell do, after the
    /// switch is made; an older console would print them as text).
    pub fn to_stderr() -> Trace {
        let colour = std::io::stderr().is_terminal()
            && !anstyle_query::no_color()
            && anstyle_query::windows::enable_ansi_colors().unwrap_or(true);
        Trace { colour }
    }

    /// The observer of connection `id`; `capture`, when recording, to
    /// report what it dropped.
    pub fn connection<'a>(&'a self, id: u64, capture: Option<&'a Capture>) -> TracedConnection<'a> {
        TracedConnection {
            trace: self,
            id,
            capture,
        }
    }

    /// A connection was accepted.
    fn opened(&self, id: u64, client: SocketAddr, server: SocketAddr) {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} opened: client {client} -> server {server}",
            self.paint(BOLD, &format!("[conn {id}]"))
        );
        emit(&out);
    }

    /// One request and its response.
    fn exchange(&self, id: u64, exchange: &ExchangeRecord<'_>) {
        let tag = format!("[conn {id} #{}]", exchange.number);
        let tag = self.paint(BOLD, &tag);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{tag} request head, {} bytes, as received:",
            exchange.request_head.len()
        );
        for line in visible_lines(&hide_credentials(exchange.request_head)) {
            let _ = writeln!(out, "{tag}   {}", self.paint(CYAN, &format!("> {line}")));
        }
        for decision in explain(exchange) {
            let _ = writeln!(out, "{tag} {} {decision}", self.paint(YELLOW, "decided:"));
        }
        let _ = writeln!(
            out,
            "{tag} response head, {} bytes, as sent:",
            exchange.response_head.len()
        );
        for line in visible_lines(exchange.response_head) {
            let _ = writeln!(out, "{tag}   {}", self.paint(GREEN, &format!("< {line}")));
        }
        let first = exchange
            .first_write
            .map_or_else(|| "-".to_string(), |t| millis(t - exchange.received));
        let _ = writeln!(
            out,
            "{tag} body: {} bytes; first byte written {first} after the request, last {}",
            exchange.body_bytes,
            millis(exchange.last_write - exchange.received)
        );
        emit(&out);
    }

    /// A connection ended.
    fn closed(&self, id: u64, reason: CloseReason, requests: u64) {
        let plural = if requests == 1 { "" } else { "s" };
        emit(&format!(
            "{} closed: {} ({requests} request{plural} on this connection)\n",
            self.paint(BOLD, &format!("[conn {id}]")),
            reason.describe()
        ));
    }

    fn paint(&self, colour: &str, text: &str) -> String {
        if self.colour {
            format!("{colour}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

const BOLD: &str = "\x1b[1m";
const CYAN: &str = "\x1b[36m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Writes a block in one call, so blocks of concurrent connections do not
/// interleave line by line.
fn emit(block: &str) {
    let _ = std::io::stderr().lock().write_all(block.as_bytes());
}

fn millis(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

/// `head` with the credentials of every `Authorization` and
/// `Proxy-Authorization` field replaced by a note of their length: the
/// trace and the inspector show heads as received but never a password.
/// The capture keeps them as sent, which is the lesson of Basic.
pub fn hide_credentials(head: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let is_credentials = |line: &[u8]| {
        ["authorization:", "proxy-authorization:"]
            .iter()
            .any(|name| {
                line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            })
    };
    if !head.split(|&b| b == b'\n').any(is_credentials) {
        return std::borrow::Cow::Borrowed(head);
    }
    let mut shown = Vec::with_capacity(head.len());
    for line in head.split_inclusive(|&b| b == b'\n') {
        if !is_credentials(line) {
            shown.extend_from_slice(line);
            continue;
        }
        let colon = line.iter().position(|&b| b == b':').unwrap_or(0);
        let value = &line[colon + 1..];
        let ending = value.len() - value.trim_ascii_end().len();
        let value = value.trim_ascii();
        let scheme_len = value.iter().position(|&b| b == b' ').unwrap_or(value.len());
        shown.extend_from_slice(&line[..=colon]);
        shown.push(b' ');
        shown.extend_from_slice(&value[..scheme_len]);
        let hidden = value[scheme_len..].trim_ascii().len();
        let note = format!(" <{hidden} bytes hidden here; the capture has them>");
        shown.extend_from_slice(note.as_bytes());
        shown.extend_from_slice(&line[line.len() - ending..]);
    }
    std::borrow::Cow::Owned(shown)
}

/// The lines of a head with line endings and control characters made
/// visible: `\r\n` written out, other bytes outside printable ASCII as
/// `\xNN`, so a bare `\n`, a stray `\r` or a NUL shows for what it is.
pub fn visible_lines(head: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for (index, &byte) in head.iter().enumerate() {
        match byte {
            b'\n' => {
                line.push_str("\\n");
                lines.push(std::mem::take(&mut line));
            }
            b'\r' if head.get(index + 1) == Some(&b'\n') => line.push_str("\\r"),
            b'\t' => line.push_str("\\t"),
            0x20..=0x7e => line.push(byte as char),
            _ => {
                let _ = write!(line, "\\x{byte:02x}");
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The decisions behind a response, in plain words and in the order taken.
pub fn explain(exchange: &ExchangeRecord<'_>) -> Vec<String> {
    match &exchange.outcome {
        Outcome::Served {
            request,
            decision,
            keep_alive,
        } => explain_served(request, decision, *keep_alive, exchange.status),
        Outcome::Unreadable { why } => vec![
            format!("{why} -> {}", exchange.status),
            "the request's framing is in doubt -> the connection will close".to_string(),
        ],
        Outcome::NoThread => vec![
            format!(
                "no thread could be started to serve it (a task limit) -> {}, without reading the request",
                exchange.status
            ),
            "the server closes at once".to_string(),
        ],
        Outcome::OverLimit { limit } => vec![
            format!(
                "{limit} connections are open, the limit -> {}, without reading the request",
                exchange.status
            ),
            "the server closes at once".to_string(),
        ],
    }
}

/// The lines for a request that was read and answered; `status` is the
/// record's, never worked out again here.
fn explain_served(
    request: &Request,
    decision: &Decision,
    keep_alive: KeepAlive,
    status: Status,
) -> Vec<String> {
    let mut lines = explain_decision(request, decision, status);
    lines.push(keep_alive.describe().to_string());
    lines
}

/// What was decided for the request, in words; `status` is the record's.
fn explain_decision(request: &Request, decision: &Decision, status: Status) -> Vec<String> {
    // Everything the client sent is shown through `visible`.
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let mut lines = Vec::new();
    match decision {
        Decision::ListMethods => {
            lines.push(format!("OPTIONS {target} -> {status}, Allow: {ALLOW}"))
        }
        Decision::UnknownMethod => lines.push(format!(
            "method {method} is not one this server knows -> {status}"
        )),
        Decision::MethodNotAllowed => lines.push(format!(
            "{method} does not apply to static files -> {status}, Allow: {ALLOW}"
        )),
        Decision::BadTarget(PathError::BadTarget) => lines.push(format!(
            "target {target} is not a path this server can read -> {status}"
        )),
        Decision::BadTarget(PathError::Refused(why)) => lines.push(format!(
            "target {target} refused ({why}) -> {status}, as if absent"
        )),
        Decision::NotOpened(failure) => lines.push(format!(
            "{method} {target}: {} -> {status}",
            failure.describe(),
        )),
        Decision::AddSlash(location) => lines.push(format!(
            "{target} is a directory -> {status} to {}",
            visible(location.as_bytes())
        )),
        Decision::Listing {
            entries,
            truncated,
            etag,
            precondition,
        } => lines.extend(explain_listing(
            request,
            (*entries, *truncated),
            etag,
            *precondition,
            status,
        )),
        Decision::File(file) => lines.extend(explain_file(request, file, status)),
        Decision::UploadForm => lines.push(format!(
            "{method} {target} -> the upload form (--sink) -> {status}"
        )),
        Decision::Uploaded(upload) => lines.extend(explain_upload(request, upload, status)),
        Decision::Unauthorized(verdict) => {
            lines.extend(explain_refusal(request, verdict, status));
        }
        Decision::Authorized { verdict, then } => {
            lines.push(format!("{} -> proceed", explain_verdict(verdict)));
            lines.extend(base64_note(verdict));
            lines.extend(explain_decision(request, then, status));
        }
    }
    lines
}

/// An upload at the sink: how much, how fast, and its parts.
fn explain_upload(request: &Request, upload: &Upload, status: Status) -> Vec<String> {
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let mut lines = vec![format!(
        "{method} {target} -> the sink (--sink): {}, read to the end and thrown away -> {status}",
        upload.summary()
    )];
    let parts = upload.parts();
    if !parts.is_empty() {
        let count = upload.form.as_ref().map_or(0, |form| form.parts.len());
        lines.push(format!(
            "multipart/form-data, {count} parts: {}",
            parts.join("; ")
        ));
    }
    lines
}

/// A guarded path without its credentials: why, and the challenge.
fn explain_refusal(request: &Request, verdict: &Verdict, status: Status) -> Vec<String> {
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let mut lines = vec![format!(
        "{method} {target} needs credentials (--auth): {} -> {status}, WWW-Authenticate: {}",
        explain_verdict(verdict),
        auth::challenge()
    )];
    lines.extend(base64_note(verdict));
    lines
}

/// What the `Authorization` field said. The password is never shown: only
/// its length, masked.
fn explain_verdict(verdict: &Verdict) -> String {
    let masked = |chars: usize| "*".repeat(chars.min(32));
    match verdict {
        Verdict::Granted {
            user,
            password_chars,
        } => format!(
            "Authorization: Basic … -> user {}, password {} ({password_chars} characters) matches",
            visible(user.as_bytes()),
            masked(*password_chars)
        ),
        Verdict::Refused {
            user,
            password_chars,
        } => format!(
            "Authorization: Basic … -> user {}, password {} ({password_chars} characters) does not match",
            visible(user.as_bytes()),
            masked(*password_chars)
        ),
        Verdict::Missing => "no Authorization field".to_string(),
        Verdict::OtherScheme => "Authorization is not Basic".to_string(),
        Verdict::Malformed(why) => format!("Authorization: Basic … unreadable ({why})"),
    }
}

/// Said whenever credentials were sent: the lesson of Basic.
fn base64_note(verdict: &Verdict) -> Option<String> {
    matches!(verdict, Verdict::Granted { .. } | Verdict::Refused { .. }).then(|| {
        "Basic is Base64, an encoding and not encryption: anyone who sees this request \
         (the capture, Wireshark) decodes the password"
            .to_string()
    })
}

/// The lines for a listing: how many entries, its tag, its preconditions.
fn explain_listing(
    request: &Request,
    (entries, truncated): (usize, bool),
    etag: &str,
    precondition: Precondition,
    status: Status,
) -> Vec<String> {
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let more = if truncated {
        " (the first ones only)"
    } else {
        ""
    };
    let mut lines = vec![
        format!(
            "{method} {target} -> a directory without {}: its listing, {entries} entries{more}, weak ETag {etag}",
            crate::files::root::INDEX_FILE
        ),
        explain_precondition(request, precondition, etag, status),
    ];
    lines.extend(explain_skipped_date(request, precondition));
    lines.extend(head_note(request));
    lines
}

/// For HEAD on a file or a listing: the same head as GET, no body.
fn head_note(request: &Request) -> Option<String> {
    (request.method == Method::Head).then(|| "HEAD -> the same head as GET, no body".to_string())
}

/// How `Accept-Encoding` chose the representation, when the file has
/// coded variants or the client named a coding.
fn explain_negotiation(request: &Request, negotiation: &Negotiation) -> Option<String> {
    let asked = quoted(request, "accept-encoding");
    let field = if request.field_values("accept-encoding").next().is_some() {
        format!("Accept-Encoding: {asked}")
    } else {
        "no Accept-Encoding".to_string()
    };
    let chosen = match (&negotiation.coding, &negotiation.sibling) {
        (Some(coding), Some(sibling)) => format!(
            "{} ({})",
            coding.token(),
            visible(sibling.to_string_lossy().as_bytes())
        ),
        (Some(coding), None) => format!(
            "{} (compressed in memory, kept with the file)",
            coding.token()
        ),
        (None, _) if negotiation.varies => "identity (the file as it is)".to_string(),
        (None, _) if field.starts_with("no ") => return None,
        (None, _) => "identity (the file has no coded variant)".to_string(),
    };
    let vary = if negotiation.varies {
        ", Vary: Accept-Encoding"
    } else {
        ""
    };
    Some(format!("{field} -> {chosen}{vary}"))
}

/// The lines for a file: which one, its preconditions, its range.
fn explain_file(request: &Request, file: &FileDecision, status: Status) -> Vec<String> {
    let FileDecision {
        path,
        size,
        etag,
        negotiation,
        precondition,
        range,
    } = file;
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let path: Vec<String> = path
        .components()
        .map(|part| visible(part.as_os_str().to_string_lossy().as_bytes()))
        .collect();
    let mut lines = vec![format!(
        "{method} {target} -> the file /{}, {size} bytes, ETag {etag}",
        path.join("/")
    )];
    lines.extend(explain_negotiation(request, negotiation));
    lines.push(explain_precondition(request, *precondition, etag, status));
    lines.extend(explain_skipped_date(request, *precondition));
    if let Some(range) = range {
        lines.push(explain_range(request, range, *size, status));
    }
    lines.extend(head_note(request));
    lines
}

/// A field's values as sent, made visible, joined as one list.
fn quoted(request: &Request, name: &str) -> String {
    let values: Vec<String> = request.field_values(name).map(visible).collect();
    values.join(", ")
}

/// Browsers send `If-Modified-Since` beside `If-None-Match`; RFC 9110
/// §13.2.2 evaluates the date only when there is no `If-None-Match`, so a
/// student looking for the date's effect is told it had none.
fn explain_skipped_date(request: &Request, precondition: Precondition) -> Option<String> {
    let none_match_evaluated = match precondition {
        Precondition::NotModified(reason) | Precondition::Failed(reason) => {
            reason.field() == Field::IfNoneMatch
        }
        Precondition::Proceed(evaluated) => evaluated.fields().any(|f| f == Field::IfNoneMatch),
    };
    let date_sent = request.field_values("if-modified-since").next().is_some();
    (none_match_evaluated && date_sent).then(|| {
        format!(
            "If-Modified-Since {} was sent too, and not evaluated: RFC 9110 §13.2.2 looks at it \
             only when If-None-Match is absent",
            quoted(request, "if-modified-since")
        )
    })
}

fn explain_precondition(
    request: &Request,
    precondition: Precondition,
    etag: &str,
    status: Status,
) -> String {
    match precondition {
        Precondition::Proceed(evaluated) if evaluated.is_empty() => {
            "no precondition fields -> send the file".to_string()
        }
        Precondition::Proceed(evaluated) => {
            let names: Vec<&str> = evaluated.fields().map(|field| field.name()).collect();
            format!(
                "{} checked against ETag {etag} -> no precondition stops the request",
                names.join(" and ")
            )
        }
        Precondition::NotModified(reason) | Precondition::Failed(reason) => {
            let name = reason.field().name();
            let no_body = match status.has_content() {
                true => "",
                false => ", no body",
            };
            format!(
                "{name} {}: {} -> {status}{no_body}",
                quoted(request, name),
                reason.describe()
            )
        }
    }
}

fn explain_range(request: &Request, range: &RangeOutcome, size: u64, status: Status) -> String {
    let value = quoted(request, "range");
    match range {
        RangeOutcome::Absent => format!("no Range -> {status}, the whole file ({size} bytes)"),
        RangeOutcome::Ignored(why) => format!(
            "Range {value} ignored ({}) -> {status}, the whole file ({size} bytes)",
            why.describe()
        ),
        RangeOutcome::Partial(ranges) => match ranges.as_slice() {
            [one] => format!("Range {value} -> {status}, {}", one.content_range(size)),
            several => format!(
                "Range {value} -> {status}, multipart/byteranges of {} parts",
                several.len()
            ),
        },
        RangeOutcome::Unsatisfiable => {
            format!("Range {value} covers no byte of the {size}-byte file -> {status}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::conditional::{Precondition, Reason};
    use crate::files::range::Ignored;
    use crate::protocol::byte_range::ByteRange;
    use crate::protocol::request::parse_head;
    use std::path::PathBuf;

    /// CSI, OSC and ST (UTF-8 encoded), ESC and BEL: what a terminal acts on.
    const HOSTILE: &[u8] = b"\xc2\x9b2J\xc2\x9d0;owned\xc2\x9c\x1b[31m\x07";

    fn no_control_reaches_the_terminal(lines: &[String], case: &str) {
        for line in lines {
            assert!(
                !line.chars().any(char::is_control),
                "{case}: a control character in {line:?}"
            );
        }
        assert!(
            lines.iter().any(|line| line.contains("\\xc2\\x9b")),
            "{case}: the hostile value is not shown at all: {lines:#?}"
        );
    }

    #[test]
    fn every_decision_line_shows_hostile_client_values_escaped() {
        let file = |precondition, range| {
            Decision::File(FileDecision {
                path: PathBuf::from(String::from_utf8_lossy(HOSTILE).into_owned()),
                size: 10,
                etag: "\"a-b-c\"".into(),
                negotiation: crate::files::serve::Negotiation {
                    varies: true,
                    coding: Some(crate::protocol::coding::Coding::Br),
                    sibling: Some(PathBuf::from(String::from_utf8_lossy(HOSTILE).into_owned())),
                },
                precondition,
                range,
            })
        };
        let proceed = Precondition::Proceed(Default::default());
        let partial = |n: usize| {
            let ranges = vec![ByteRange { start: 0, end: 1 }; n];
            Some(RangeOutcome::Partial(ranges))
        };
        let hostile = String::from_utf8_lossy(HOSTILE).into_owned();
        // (name, field line carrying the hostile value, decision)
        let cases: Vec<(&str, &str, Decision)> = vec![
            (
                "the file's name",
                "X-A: b",
                file(proceed, Some(RangeOutcome::Absent)),
            ),
            ("Range, one part", "Range", file(proceed, partial(1))),
            ("Range, multipart", "Range", file(proceed, partial(2))),
            (
                "Range, ignored",
                "Range",
                file(proceed, Some(RangeOutcome::Ignored(Ignored::Invalid))),
            ),
            (
                "Range, unsatisfiable",
                "Range",
                file(proceed, Some(RangeOutcome::Unsatisfiable)),
            ),
            (
                "If-Match",
                "If-Match",
                file(Precondition::Failed(Reason::IfMatchFailed), None),
            ),
            (
                "If-Unmodified-Since",
                "If-Unmodified-Since",
                file(Precondition::Failed(Reason::ModifiedSince), None),
            ),
            (
                "If-None-Match",
                "If-None-Match",
                file(Precondition::NotModified(Reason::IfNoneMatchMatched), None),
            ),
            (
                "If-Modified-Since",
                "If-Modified-Since",
                file(Precondition::NotModified(Reason::NotModifiedSince), None),
            ),
            (
                "a 301's Location",
                "X-A: b",
                Decision::AddSlash(format!("/docs/?{hostile}")),
            ),
        ];
        for (name, field, decision) in cases {
            let mut head = b"GET /t HTTP/1.1\r\nHost: t\r\n".to_vec();
            if field.contains(':') {
                head.extend_from_slice(field.as_bytes());
            } else {
                head.extend_from_slice(format!("{field}: ").as_bytes());
                head.extend_from_slice(HOSTILE);
            }
            head.extend_from_slice(b"\r\n\r\n");
            // Heads with raw controls never parse; the hostile bytes that do
            // (UTF-8, obs-text) are the ones to show safely.
            let head: Vec<u8> = head
                .into_iter()
                .filter(|&b| b != 0x1b && b != 0x07)
                .collect();
            let (request, _) = parse_head(&head).unwrap().unwrap();
            let lines = explain_served(&request, &decision, KeepAlive::Http11Default, Status::Ok);
            no_control_reaches_the_terminal(&lines, name);
        }
    }

    #[test]
    fn every_status_the_trace_says_is_the_records() {
        // Decisions paired with statuses their words could never guess: the
        // trace must say the record's, and no other.
        let file = |precondition, range| {
            Decision::File(FileDecision {
                path: PathBuf::from("a.txt"),
                size: 10,
                etag: "\"a-b-c\"".into(),
                negotiation: Default::default(),
                precondition,
                range,
            })
        };
        let proceed = Precondition::Proceed(Default::default());
        let cases = [
            (Decision::ListMethods, Status::ServiceUnavailable),
            (Decision::UnknownMethod, Status::Forbidden),
            (Decision::MethodNotAllowed, Status::NoContent),
            (
                Decision::BadTarget(PathError::BadTarget),
                Status::UriTooLong,
            ),
            (Decision::AddSlash("/d/".into()), Status::NotFound),
            (
                file(Precondition::NotModified(Reason::IfNoneMatchMatched), None),
                Status::PreconditionFailed,
            ),
            (
                file(proceed, Some(RangeOutcome::Absent)),
                Status::PartialContent,
            ),
            (
                file(proceed, Some(RangeOutcome::Unsatisfiable)),
                Status::InternalServerError,
            ),
        ];
        let all = [
            Status::Ok,
            Status::NoContent,
            Status::PartialContent,
            Status::MovedPermanently,
            Status::NotModified,
            Status::BadRequest,
            Status::Forbidden,
            Status::NotFound,
            Status::MethodNotAllowed,
            Status::PreconditionFailed,
            Status::UriTooLong,
            Status::RangeNotSatisfiable,
            Status::InternalServerError,
            Status::NotImplemented,
            Status::ServiceUnavailable,
        ];
        let head = b"GET /d HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"x\"\r\n\r\n";
        let (request, _) = parse_head(head).unwrap().unwrap();
        for (decision, status) in cases {
            let now = std::time::Instant::now();
            let record = ExchangeRecord {
                number: 1,
                request_head: head,
                outcome: Outcome::Served {
                    request: &request,
                    decision: &decision,
                    keep_alive: KeepAlive::Http11Default,
                },
                status,
                response_head: b"",
                body_bytes: 0,
                received: now,
                first_write: None,
                last_write: now,
            };
            let said = explain(&record).join("\n");
            assert!(said.contains(&status.to_string()), "{status}: {said}");
            for other in all.iter().filter(|other| **other != status) {
                assert!(!said.contains(&other.to_string()), "{other} in: {said}");
            }
        }
    }

    #[test]
    fn credentials_are_hidden_in_shown_heads_table() {
        let cases: [(&[u8], &[u8]); 4] = [
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            (
                b"GET / HTTP/1.1\r\nAuthorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n",
                b"GET / HTTP/1.1\r\nAuthorization: Basic <16 bytes hidden here; the capture has them>\r\n\r\n",
            ),
            (
                b"GET / HTTP/1.1\nauthorization:basic   YQ==\nX: y\n\n",
                b"GET / HTTP/1.1\nauthorization: basic <4 bytes hidden here; the capture has them>\nX: y\n\n",
            ),
            (
                b"GET / HTTP/1.1\r\nProxy-Authorization: Bearer t\r\n\r\n",
                b"GET / HTTP/1.1\r\nProxy-Authorization: Bearer <1 bytes hidden here; the capture has them>\r\n\r\n",
            ),
        ];
        for (head, shown) in cases {
            assert_eq!(
                String::from_utf8_lossy(&hide_credentials(head)),
                String::from_utf8_lossy(shown)
            );
        }
    }

    #[test]
    fn visible_lines_table() {
        let cases: [(&[u8], &[&str]); 5] = [
            (
                b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                &["GET / HTTP/1.1\\r\\n", "Host: a\\r\\n", "\\r\\n"],
            ),
            (
                b"GET / HTTP/1.1\nHost: a\n\n",
                &["GET / HTTP/1.1\\n", "Host: a\\n", "\\n"],
            ),
            (b"GET /\x00 HTTP/1.1\r\n", &["GET /\\x00 HTTP/1.1\\r\\n"]),
            (b"A: b\rc\r\n", &["A: b\\x0dc\\r\\n"]),
            (b"GET / HTT", &["GET / HTT"]),
        ];
        for (head, expected) in cases {
            assert_eq!(visible_lines(head), expected, "{head:?}");
        }
    }
}
