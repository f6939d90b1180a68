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

use std::fmt::{self, Write};
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
    let line = AccessLine {
        peer,
        user,
        request_line,
        status,
        body_bytes,
        at: SystemTime::now(),
    };
    log::info!(target: TARGET, "{line}");
}

/// The line [`record`] writes, written straight into the logger's buffer:
/// no string of its own is made for each request.
pub struct AccessLine<'a> {
    pub peer: IpAddr,
    pub user: Option<&'a str>,
    pub request_line: &'a [u8],
    pub status: Status,
    pub body_bytes: u64,
    pub at: SystemTime,
}

impl fmt::Display for AccessLine<'_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(out, "{} - ", self.peer)?;
        match self.user {
            // A user name is one field: the space is escaped too.
            Some(user) => escape_into(out, user.as_bytes(), |byte| byte != b' ')?,
            None => out.write_char('-')?,
        }
        let t = UtcTime::of(self.at);
        write!(
            out,
            " [{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000] \"",
            t.day,
            t.month_name(),
            t.year,
            t.hour,
            t.minute,
            t.second
        )?;
        let shown = &self.request_line[..self.request_line.len().min(MAX_LOGGED_LINE_BYTES)];
        escape_into(out, shown, |_| true)?;
        if shown.len() < self.request_line.len() {
            out.write_str("...")?;
        }
        write!(out, "\" {} ", self.status.code())?;
        match self.body_bytes {
            0 => out.write_char('-'),
            bytes => write!(out, "{bytes}"),
        }
    }
}

/// Printable ASCII that `keeps` stays, in runs; `"` and `\` and every other
/// byte become `\xHH`.
fn escape_into(out: &mut impl fmt::Write, bytes: &[u8], keeps: impl Fn(u8) -> bool) -> fmt::Result {
    let plain =
        |byte: u8| (0x20..0x7f).contains(&byte) && byte != b'"' && byte != b'\\' && keeps(byte);
    let mut rest = bytes;
    while !rest.is_empty() {
        let run = rest
            .iter()
            .position(|&byte| !plain(byte))
            .unwrap_or(rest.len());
        // Printable ASCII is UTF-8 as it is.
        out.write_str(std::str::from_utf8(&rest[..run]).map_err(|_| fmt::Error)?)?;
        if let Some(&byte) = rest.get(run) {
            write!(out, "\\x{byte:02x}")?;
        }
        rest = &rest[(run + 1).min(rest.len())..];
    }
    Ok(())
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
            let line = AccessLine {
                peer: case.peer.parse().unwrap(),
                user: case.user,
                request_line: case.request_line,
                status: case.status,
                body_bytes: case.body_bytes,
                at: at(case.unix_secs),
            }
            .to_string();
            assert_eq!(line, case.expected, "{}", case.name);
        }
    }

    #[test]
    fn long_request_lines_are_cut() {
        let request_line = vec![b'a'; MAX_LOGGED_LINE_BYTES + 10];
        let line = AccessLine {
            peer: "127.0.0.1".parse().unwrap(),
            user: None,
            request_line: &request_line,
            status: Status::UriTooLong,
            body_bytes: 0,
            at: at(0),
        }
        .to_string();
        assert!(line.contains(&format!(
            "\"{}...\" 414 -",
            "a".repeat(MAX_LOGGED_LINE_BYTES)
        )));
    }
}
