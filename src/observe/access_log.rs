//! The access log: one line per request in Common Log Format, as Apache,
//! nginx and Flask's development server write it:
//!
//! ```text
//! 127.0.0.1 - - [24/Oct/2024:00:13:10 +0000] "GET / HTTP/1.1" 200 507
//! ```
//!
//! The request line is escaped, so a client cannot forge a log line with CR,
//! LF, quotes or terminal escapes. Lines go to the `log` target
//! [`TARGET`] at info level, so `RUST_LOG` and `--quiet` control them.

use std::fmt::Write;
use std::net::IpAddr;
use std::time::SystemTime;

use crate::files::Decision;
use crate::observe::seam::{ExchangeRecord, Observer, Outcome};
use crate::protocol::auth::Verdict;
use crate::protocol::civil::UtcTime;
use crate::protocol::Status;

/// The `log` target of access lines.
pub const TARGET: &str = "glasshttp::access";
/// Longest request line written to the log; the rest is cut and marked.
pub const MAX_LOGGED_LINE_BYTES: usize = 1024;

/// The access log's observer of one connection: a line per exchange.
#[derive(Debug)]
pub struct AccessLog {
    peer: IpAddr,
}

impl AccessLog {
    /// The log of a connection from `peer`.
    pub fn new(peer: std::net::SocketAddr) -> AccessLog {
        AccessLog { peer: peer.ip() }
    }
}

impl Observer for AccessLog {
    fn exchanged(&mut self, exchange: &ExchangeRecord<'_>) {
        record(
            self.peer,
            authenticated_user(exchange),
            exchange.request_line(),
            exchange.status,
            exchange.body_bytes,
        );
    }
}

/// The user whose credentials `--auth` accepted for this request, if any:
/// CLF's third field. A refused one is not a user.
fn authenticated_user<'a>(exchange: &ExchangeRecord<'a>) -> Option<&'a str> {
    match &exchange.outcome {
        Outcome::Served {
            decision:
                Decision::Authorized {
                    verdict: Verdict::Granted { user, .. },
                    ..
                },
            ..
        } => Some(user),
        _ => None,
    }
}

/// Logs one request. `request_line` is the first line as received, without
/// its line ending (or empty when none could be read); `body_bytes` is the
/// content sent ("-" when none, as CLF writes it).
pub fn record(
    peer: IpAddr,
    user: Option<&str>,
    request_line: &[u8],
    status: Status,
    body_bytes: u64,
) {
    if !log::log_enabled!(target: TARGET, log::Level::Info) {
        return;
    }
    log::info!(
        target: TARGET,
        "{}",
        format_line(peer, user, request_line, status, body_bytes, SystemTime::now())
    );
}

/// The line [`record`] writes.
pub fn format_line(
    peer: IpAddr,
    user: Option<&str>,
    request_line: &[u8],
    status: Status,
    body_bytes: u64,
    at: SystemTime,
) -> String {
    let mut line = String::with_capacity(96 + request_line.len());
    let _ = write!(line, "{peer} - ");
    match user {
        Some(user) => escape_user(&mut line, user.as_bytes()),
        None => line.push('-'),
    }
    let _ = write!(line, " [{}] \"", clf_time(at));
    escape_into(&mut line, request_line);
    let _ = write!(line, "\" {} ", status.code());
    if body_bytes == 0 {
        line.push('-');
    } else {
        let _ = write!(line, "{body_bytes}");
    }
    line
}

/// Printable ASCII stays; `"` and `\` and every other byte become `\xHH`.
fn escape_into(out: &mut String, bytes: &[u8]) {
    let cut = bytes.len() > MAX_LOGGED_LINE_BYTES;
    for &byte in &bytes[..bytes.len().min(MAX_LOGGED_LINE_BYTES)] {
        if (0x20..0x7f).contains(&byte) && byte != b'"' && byte != b'\\' {
            out.push(byte as char);
        } else {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    if cut {
        out.push_str("...");
    }
}

/// A user name as one CLF field: printable ASCII but the space (which would
/// split the field), `"` and `\\`; every other byte as `\\xHH`.
fn escape_user(out: &mut String, bytes: &[u8]) {
    for &byte in bytes {
        if byte.is_ascii_graphic() && byte != b'"' && byte != b'\\' {
            out.push(byte as char);
        } else {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
}

/// `24/Oct/2024:00:13:10 +0000`: the CLF timestamp, always in UTC.
fn clf_time(at: SystemTime) -> String {
    let t = UtcTime::of(at);
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        t.day,
        t.month_name(),
        t.year,
        t.hour,
        t.minute,
        t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    struct Case {
        name: &'static str,
        peer: &'static str,
        user: Option<&'static str>,
        request_line: &'static [u8],
        status: Status,
        body_bytes: u64,
        unix_secs: u64,
        expected: &'static str,
    }

    #[test]
    fn lines_table() {
        let cases = [
            Case {
                name: "the Flask example",
                peer: "127.0.0.1",
                user: None,
                request_line: b"GET / HTTP/1.1",
                status: Status::Ok,
                body_bytes: 507,
                unix_secs: 1_729_728_790,
                expected: r#"127.0.0.1 - - [24/Oct/2024:00:13:10 +0000] "GET / HTTP/1.1" 200 507"#,
            },
            Case {
                name: "no body is a dash",
                peer: "::1",
                user: None,
                request_line: b"GET /logo.png HTTP/1.1",
                status: Status::NotModified,
                body_bytes: 0,
                unix_secs: 0,
                expected: r#"::1 - - [01/Jan/1970:00:00:00 +0000] "GET /logo.png HTTP/1.1" 304 -"#,
            },
            Case {
                name: "forged line break and quote are escaped",
                peer: "127.0.0.1",
                user: None,
                request_line: b"GET /\r\n127.0.0.1 - - \"x\" HTTP/1.1",
                status: Status::BadRequest,
                body_bytes: 10,
                unix_secs: 951_782_400,
                expected: r#"127.0.0.1 - - [29/Feb/2000:00:00:00 +0000] "GET /\x0d\x0a127.0.0.1 - - \x22x\x22 HTTP/1.1" 400 10"#,
            },
            Case {
                name: "terminal escape and UTF-8 bytes are escaped",
                peer: "127.0.0.1",
                user: None,
                request_line: "GET /\u{1b}[31m中".as_bytes(),
                status: Status::NotFound,
                body_bytes: 1,
                unix_secs: 4_102_444_799,
                expected: r#"127.0.0.1 - - [31/Dec/2099:23:59:59 +0000] "GET /\x1b[31m\xe4\xb8\xad" 404 1"#,
            },
            Case {
                name: "the authenticated user, escaped as one field",
                peer: "127.0.0.1",
                user: Some("li hua\"李"),
                request_line: b"GET /private/ HTTP/1.1",
                status: Status::Ok,
                body_bytes: 10,
                unix_secs: 0,
                expected: r#"127.0.0.1 - li\x20hua\x22\xe6\x9d\x8e [01/Jan/1970:00:00:00 +0000] "GET /private/ HTTP/1.1" 200 10"#,
            },
        ];
        for case in cases {
            let line = format_line(
                case.peer.parse().unwrap(),
                case.user,
                case.request_line,
                case.status,
                case.body_bytes,
                at(case.unix_secs),
            );
            assert_eq!(line, case.expected, "{}", case.name);
        }
    }

    #[test]
    fn long_request_lines_are_cut() {
        let request_line = vec![b'a'; MAX_LOGGED_LINE_BYTES + 10];
        let line = format_line(
            "127.0.0.1".parse().unwrap(),
            None,
            &request_line,
            Status::UriTooLong,
            0,
            at(0),
        );
        assert!(line.contains(&format!(
            "\"{}...\" 414 -",
            "a".repeat(MAX_LOGGED_LINE_BYTES)
        )));
    }
}
