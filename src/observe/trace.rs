//! `--trace`: every connection and every exchange explained on stderr — the
//! request head as received, each decision and why, the response head as
//! sent, the body's size and timing, and who closed the connection and why.
//!
//! The words come from [`crate::observe::explain`], rendered from the
//! [`ExchangeRecord`] every observer reads, and so from the same decision
//! values the server acted on: nothing is worked out again here, and
//! nothing is rendered unless `--trace` is on. Every line starts with the
//! connection number (and the request number on it), so the output of
//! concurrent connections can be told apart and a trace can be diffed;
//! colours only on a terminal.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::describe::Describe;
use crate::observe::capture::Capture;
use crate::observe::explain::{explain, hide_credentials, visible_lines};
use crate::observe::seam::{ExchangeRecord, Observer, Opening, Secured};
use crate::observe::secured::{explain_close_notify, explain_handshake};
use crate::protocol::added::AddedField;
use crate::protocol::words::{phrase, Lang, Said};
use crate::protocol::CloseReason;

/// Where the trace goes, how it looks, and which language it speaks.
#[derive(Debug)]
pub struct Trace {
    colour: bool,
    lang: Lang,
    /// The names of the operator's fields (`--header`), marked where
    /// they are sent.
    added: Vec<String>,
}

/// The trace's observer of one connection.
#[derive(Debug)]
pub struct TracedConnection<'a> {
    trace: &'a Trace,
    id: u64,
    /// The capture, to say when it has dropped packets.
    capture: Option<&'a Capture>,
    /// Whether the client's FIN was read (while lingering, or as an end
    /// of stream).
    client_fin: bool,
}

impl Observer for TracedConnection<'_> {
    fn opened(&mut self, opening: &Opening) {
        self.trace.opened(self.id, opening);
    }

    fn exchanged(&mut self, record: &ExchangeRecord<'_>) {
        self.trace.exchange(self.id, record);
    }

    fn secured(&mut self, handshake: &Secured) {
        self.trace.lines(self.id, &explain_handshake(handshake));
    }

    fn close_notify(&mut self, by_client: bool) {
        self.trace
            .lines(self.id, &[explain_close_notify(by_client)]);
    }

    fn client_closed(&mut self) {
        self.client_fin = true;
    }

    fn closed(&mut self, reason: CloseReason, requests: u64) {
        let server_first = !reason.is_client_gone() && reason != CloseReason::EventsEnded;
        if server_first && !self.client_fin {
            self.trace.lines(self.id, &[UNSEEN_FIN.into()]);
        }
        self.trace.closed(self.id, reason, requests);
        let dropped = self.capture.map_or(0, Capture::dropped);
        if dropped > 0 {
            let said = Said::new(
                format!(
                    "capture: {dropped} packets dropped so far (the capture's writer fell behind)"
                ),
                format!("抓包：到目前为止丢弃了 {dropped} 个数据包（写文件的速度跟不上）"),
            );
            emit(&format!(
                "{} {}\n",
                self.trace.paint(BOLD, &format!("[conn {}]", self.id)),
                said.get(self.trace.lang)
            ));
        }
    }
}

/// A close the server began, whose answer it never read.
const UNSEEN_FIN: crate::protocol::words::Phrase = phrase(
    "the client's FIN was not seen before the server closed its socket: the kernel answers it \
     alone (FIN_WAIT_2, then TIME_WAIT), and no program sees it",
    "服务器关闭套接字之前没有看到客户端的 FIN：之后由内核单独应答（FIN_WAIT_2，然后 TIME_WAIT），没有程序看得到它",
);

impl Trace {
    /// A trace on stderr in `lang`, coloured when stderr is a terminal that
    /// shows colour: not with `NO_COLOR` set, and on Windows only once the
    /// console accepts ANSI sequences (Windows Terminal and PowerShell do,
    /// after the switch is made; an older console would print them as text).
    pub fn to_stderr(lang: Lang, added: &[AddedField]) -> Trace {
        let colour = std::io::stderr().is_terminal()
            && !anstyle_query::no_color()
            && anstyle_query::windows::enable_ansi_colors().unwrap_or(true);
        let added = added.iter().map(|field| field.name.clone()).collect();
        Trace {
            colour,
            lang,
            added,
        }
    }

    /// The observer of connection `id`; `capture`, when recording, to
    /// report what it dropped.
    pub fn connection<'a>(&'a self, id: u64, capture: Option<&'a Capture>) -> TracedConnection<'a> {
        TracedConnection {
            trace: self,
            id,
            capture,
            client_fin: false,
        }
    }

    /// A connection was accepted: who, and what the kernel tells of the
    /// three-way handshake it completed before the accept.
    fn opened(&self, id: u64, opening: &Opening) {
        let tag = self.paint(BOLD, &format!("[conn {id}]"));
        let (client, server) = (opening.client, opening.server);
        let opened = Said::new(
            format!("opened: client {client} -> server {server}"),
            format!("连接建立：客户端 {client} -> 服务器 {server}"),
        );
        let mut out = format!("{tag} {}\n", opened.get(self.lang));
        if let Some(handshake) = describe_handshake(opening) {
            let _ = writeln!(out, "{tag} {}", handshake.get(self.lang));
        }
        emit(&out);
    }

    /// One request and its response.
    fn exchange(&self, id: u64, exchange: &ExchangeRecord<'_>) {
        let lang = self.lang;
        let tag = format!("[conn {id} #{}]", exchange.number);
        let tag = self.paint(BOLD, &tag);
        let mut out = String::new();
        let request_len = exchange.request_head.len();
        let said = Said::new(
            format!("request head, {request_len} bytes, as received:"),
            format!("请求头，{request_len} 字节，按收到的原样："),
        );
        let _ = writeln!(out, "{tag} {}", said.get(lang));
        for line in visible_lines(&hide_credentials(exchange.request_head)) {
            let _ = writeln!(out, "{tag}   {}", self.paint(CYAN, &format!("> {line}")));
        }
        // The Chinese colon is full width: no space after it.
        let (decided, gap) = match lang {
            Lang::En => ("decided:", " "),
            Lang::Zh => ("决策：", ""),
        };
        let decided = self.paint(YELLOW, decided);
        for decision in explain(exchange) {
            let _ = writeln!(out, "{tag} {decided}{gap}{}", decision.get(lang));
        }
        let response_len = exchange.response_head.len();
        let said = Said::new(
            format!("response head, {response_len} bytes, as sent:"),
            format!("响应头，{response_len} 字节，按发送的原样："),
        );
        let _ = writeln!(out, "{tag} {}", said.get(lang));
        let mark = phrase("  [added by --header]", "  [由 --header 添加]").get(lang);
        for line in visible_lines(exchange.response_head) {
            let added = self.added.iter().any(|name| {
                line.len() > name.len()
                    && line.as_bytes()[name.len()] == b':'
                    && line[..name.len()].eq_ignore_ascii_case(name)
            });
            let mark = if added { mark } else { "" };
            let _ = writeln!(
                out,
                "{tag}   {}{mark}",
                self.paint(GREEN, &format!("< {line}"))
            );
        }
        let first = exchange
            .first_write
            .map_or_else(|| "-".to_string(), |t| millis(t - exchange.received));
        let last = millis(exchange.last_write - exchange.received);
        let bytes = exchange.body_bytes;
        let said = Said::new(
            format!(
                "body: {bytes} bytes; first byte written {first} after the request, last {last}"
            ),
            format!("响应体：{bytes} 字节；请求到达后 {first} 写出首字节，{last} 写完末字节"),
        );
        let _ = writeln!(out, "{tag} {}", said.get(lang));
        emit(&out);
    }

    /// Lines of connection `id` outside any exchange (its TLS handshake).
    fn lines(&self, id: u64, lines: &[Said]) {
        let tag = self.paint(BOLD, &format!("[conn {id}]"));
        let mut out = String::new();
        for said in lines {
            let _ = writeln!(out, "{tag} {}", said.get(self.lang));
        }
        emit(&out);
    }

    /// A connection ended.
    fn closed(&self, id: u64, reason: CloseReason, requests: u64) {
        let plural = if requests == 1 { "" } else { "s" };
        let why = reason.describe();
        let said = Said::new(
            format!(
                "closed: {} ({requests} request{plural} on this connection)",
                why.en
            ),
            format!("连接关闭：{}（这个连接上共 {requests} 个请求）", why.zh),
        );
        emit(&format!(
            "{} {}\n",
            self.paint(BOLD, &format!("[conn {id}]")),
            said.get(self.lang)
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

/// The three-way handshake the kernel completed before the accept, with
/// the options each side sent and the round-trip time it measured; `None`
/// when the system tells nothing of it.
fn describe_handshake(opening: &Opening) -> Option<Said> {
    let (syn, syn_ack) = (opening.syn_options()?, opening.syn_ack_options()?);
    let rtt = opening
        .tcp
        .as_ref()
        .map_or_else(String::new, |facts| millis(facts.rtt));
    Some(Said::new(
        format!(
            "TCP three-way handshake, done by the kernel before accept(): SYN [{syn}], \
             SYN-ACK [{syn_ack}], ACK; round-trip time {rtt}"
        ),
        format!(
            "TCP 三次握手（内核在 accept() 之前已完成）：SYN [{syn}]，SYN-ACK [{syn_ack}]，\
             ACK；往返时间 RTT {rtt}"
        ),
    ))
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
