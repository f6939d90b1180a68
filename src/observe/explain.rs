//! What a person reads about an exchange, in English and Chinese at once:
//! every decision explained ([`explain`], one exhaustive `match` over
//! [`Decision`], so a new variant cannot compile without its words), and
//! heads shown as received with their line endings written out
//! ([`visible_lines`]) and no credentials ([`hide_credentials`]). The
//! trace prints these words and the journal keeps them, for the inspector
//! and the report: neither depends on the other.

use std::fmt::Write as _;

use super::describe::Describe;
use crate::files::archive;
use crate::files::conditional::{Field, Precondition};
use crate::files::decision::Negotiation;
use crate::files::decision::Upload;
use crate::files::decision::{NotStored, StoredFile};
use crate::files::range::RangeOutcome;
use crate::files::serve::ALLOW;
use crate::files::target::PathError;
use crate::files::{Decision, FileDecision};
use crate::observe::seam::{ExchangeRecord, Outcome};
use crate::protocol::auth::{self, Verdict};
use crate::protocol::cors::{self, Grant, Preflight};
use crate::protocol::visible::visible;
use crate::protocol::words::{phrase, Lang, Said};
use crate::protocol::{KeepAlive, Method, Request, Status};

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
        shown.extend_from_slice(&line[..=colon]);
        shown.push(b' ');
        let hidden = match known_scheme(value) {
            Some(scheme) => {
                shown.extend_from_slice(scheme);
                shown.push(b' ');
                value[scheme.len()..].trim_ascii().len()
            }
            None => value.len(),
        };
        let note = format!("<{hidden} bytes hidden here; the capture has them>");
        shown.extend_from_slice(note.as_bytes());
        shown.extend_from_slice(&line[line.len() - ending..]);
    }
    std::borrow::Cow::Owned(shown)
}

/// The authentication schemes shown before the hidden credentials: those
/// of IANA's HTTP Authentication Scheme Registry, and NTLM.
const AUTH_SCHEMES: &[&str] = &[
    "Basic",
    "Bearer",
    "Concealed",
    "Digest",
    "DPoP",
    "GNAP",
    "HOBA",
    "Mutual",
    "Negotiate",
    "NTLM",
    "OAuth",
    "PrivateToken",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "vapid",
];

/// The scheme that opens a credentials `value`, when it is a known one
/// followed by a space. Anything else is not shown at all: a malformed
/// value (`Basic=dXNl…`, or credentials with no scheme) may be nothing but
/// the secret, so no part of it is taken for a scheme.
fn known_scheme(value: &[u8]) -> Option<&[u8]> {
    let end = value.iter().position(|&b| b == b' ')?;
    let scheme = &value[..end];
    AUTH_SCHEMES
        .iter()
        .any(|known| scheme.eq_ignore_ascii_case(known.as_bytes()))
        .then_some(scheme)
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

/// The decisions behind a response, in plain words and in the order taken,
/// in both languages.
pub fn explain(exchange: &ExchangeRecord<'_>) -> Vec<Said> {
    let status = exchange.status;
    let closes = phrase("the server closes at once", "服务器立即关闭连接");
    match &exchange.outcome {
        Outcome::Served {
            request,
            decision,
            keep_alive,
        } => explain_served(request, decision, *keep_alive, status),
        Outcome::Unreadable { why } => vec![
            Said::new(
                format!("{} -> {status}", why.en),
                format!("{} -> {status}", why.zh),
            ),
            phrase(
                "the request's framing is in doubt -> the connection will close",
                "已无法确定请求在字节流中的边界 -> 连接将被关闭",
            )
            .into(),
        ],
        Outcome::NoThread => vec![
            Said::new(
                format!(
                    "no thread could be started to serve it (a task limit) -> {status}, without reading the request"
                ),
                format!("无法再启动线程来处理它（达到了任务数上限）-> {status}，不读取请求"),
            ),
            closes.into(),
        ],
        Outcome::OverLimit { limit } => vec![
            Said::new(
                format!(
                    "{limit} connections are open, the limit -> {status}, without reading the request"
                ),
                format!("已经打开了 {limit} 个连接，达到上限 -> {status}，不读取请求"),
            ),
            closes.into(),
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
) -> Vec<Said> {
    let mut lines = explain_decision(request, decision, status);
    lines.push(keep_alive.describe().into());
    lines
}

/// What was decided for the request, in words; `status` is the record's.
/// Every arm says it in both languages.
fn explain_decision(request: &Request, decision: &Decision, status: Status) -> Vec<Said> {
    // Everything the client sent is shown through `visible`.
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let mut lines = Vec::new();
    match decision {
        Decision::ListMethods => lines.push(Said::new(
            format!("OPTIONS {target} -> {status}, Allow: {ALLOW}"),
            format!("OPTIONS {target}：列出可用的方法 -> {status}，Allow: {ALLOW}"),
        )),
        Decision::UnknownMethod | Decision::MethodNotAllowed => lines.push(explain_method(
            &method,
            decision == &Decision::UnknownMethod,
            status,
        )),
        Decision::BadTarget(error) => lines.push(explain_bad_target(&target, *error, status)),
        Decision::NotOpened(failure) => lines.push(Said::new(
            format!("{method} {target}: {} -> {status}", failure.describe().en),
            format!("{method} {target}：{} -> {status}", failure.describe().zh),
        )),
        Decision::AddSlash(location) => {
            let location = visible(location.as_bytes());
            lines.push(Said::new(
                format!("{target} is a directory -> {status} to {location}"),
                format!("{target} 是一个目录 -> {status}，重定向到 {location}"),
            ))
        }
        Decision::Listing { .. } => lines.extend(explain_listing(request, decision, status)),
        Decision::File(file) => lines.extend(explain_file(request, file, status)),
        Decision::UploadForm => lines.push(Said::new(
            format!("{method} {target} -> the upload form (--sink) -> {status}"),
            format!("{method} {target} -> 上传表单（--sink）-> {status}"),
        )),
        Decision::Uploaded(upload) => lines.extend(explain_upload(request, upload, status)),
        Decision::Stored(files) => lines.extend(explain_stored(request, files, status)),
        Decision::Archive { .. } | Decision::ArchiveTooLarge => {
            lines.push(explain_archive(request, decision, status))
        }
        Decision::NotStored(not) => lines.push(explain_not_stored(request, not, status)),
        Decision::Unauthorized(verdict) => {
            lines.extend(explain_refusal(request, verdict, status));
        }
        Decision::Authorized { verdict, then } => {
            lines.extend(explain_authorized(request, verdict, then, status))
        }
        Decision::Fallback { then, .. }
        | Decision::CleanUrl { then, .. }
        | Decision::CrossOrigin { then, .. } => {
            lines.extend(explain_layer(decision));
            lines.extend(explain_decision(request, then, status));
        }
        Decision::ReloadEvents => lines.push(Said::new(
            format!("{method} {target} -> live-reload events (--watch): the page reloads when a file beneath the root changes -> {status}, text/event-stream"),
            format!("{method} {target} -> 实时刷新事件（--watch）：根目录下有文件改动时页面自动刷新 -> {status}，text/event-stream"),
        )),
        Decision::Preflight(preflight) => lines.push(explain_preflight(preflight, status)),
    }
    lines
}

/// What a layer that answers with another decision says first: the SPA
/// fallback, a clean URL's page, a grant to another origin.
fn explain_layer(decision: &Decision) -> Option<Said> {
    match decision {
        Decision::Fallback { missing, .. } => Some(explain_fallback(missing)),
        Decision::CleanUrl { missing, page, .. } => Some(explain_clean_url(missing, page)),
        Decision::CrossOrigin { origin, grant, .. } => Some(explain_grant(origin, grant)),
        _ => None,
    }
}

/// A guarded path with the right credentials: the verdict, then what was
/// decided for the path itself.
fn explain_authorized(
    request: &Request,
    verdict: &Verdict,
    then: &Decision,
    status: Status,
) -> Vec<Said> {
    let verdict_said = explain_verdict(verdict);
    let mut lines = vec![Said::new(
        format!("{} -> proceed", verdict_said.en),
        format!("{} -> 继续处理", verdict_said.zh),
    )];
    lines.extend(base64_note(verdict));
    lines.extend(explain_decision(request, then, status));
    lines
}

/// A method this server does not know (`unknown`), or one that does not
/// apply to files.
fn explain_method(method: &str, unknown: bool, status: Status) -> Said {
    match unknown {
        true => Said::new(
            format!("method {method} is not one this server knows -> {status}"),
            format!("服务器不认识方法 {method} -> {status}"),
        ),
        false => Said::new(
            format!("{method} does not apply to static files -> {status}, Allow: {ALLOW}"),
            format!("{method} 不适用于静态文件 -> {status}，Allow: {ALLOW}"),
        ),
    }
}

/// `--spa`: a missing page that is a client-side route.
fn explain_fallback(missing: &str) -> Said {
    let missing = visible(missing.as_bytes());
    Said::new(
        format!("no such file {missing}, --spa: a client-side route -> the page instead"),
        format!("没有 {missing} 这个文件，--spa：这是页面自己处理的路由 -> 改为提供页面"),
    )
}

fn explain_clean_url(missing: &str, page: &str) -> Said {
    let missing = visible(missing.as_bytes());
    let page = visible(page.as_bytes());
    Said::new(
        format!("no file or folder {missing}: a clean URL -> the page {page} instead (--no-clean-urls turns this off)"),
        format!("没有 {missing} 这个文件或文件夹：简洁 URL -> 改为提供页面 {page}（--no-clean-urls 可关闭）"),
    )
}

/// A preflight (`--cors`): who asks, for what, and what it is told.
fn explain_preflight(preflight: &Preflight, status: Status) -> Said {
    let origin = visible(preflight.origin.as_bytes());
    let method = visible(preflight.method.as_bytes());
    let granted = preflight.grant.allow_origin.is_some();
    let (origin_en, origin_zh) = match granted {
        true => ("is allowed", "在允许之列"),
        false => ("is not one --cors allows", "不在 --cors 允许的来源之中"),
    };
    let (method_en, method_zh) = match preflight.method_allowed() {
        true => ("is", "是"),
        false => ("is not", "不是"),
    };
    let (headers_en, headers_zh) = match &preflight.headers {
        Some(names) if names.is_empty() => (
            "no headers asked for".to_string(),
            "没有请求额外的头部".to_string(),
        ),
        Some(names) => {
            let names = visible(names.join(", ").as_bytes());
            (
                format!("headers {names} allowed"),
                format!("允许头部 {names}"),
            )
        }
        None => (
            "Access-Control-Request-Headers is not a list of field names: not echoed".to_string(),
            "Access-Control-Request-Headers 不是字段名列表：不回送".to_string(),
        ),
    };
    let (then_en, then_zh) = match granted && preflight.method_allowed() {
        true => (
            "the browser may now send the request",
            "浏览器接下来可以发送真正的请求",
        ),
        false => (
            "the browser will not send the request",
            "浏览器不会发送真正的请求",
        ),
    };
    Said::new(
        format!(
            "CORS preflight (OPTIONS with Origin and Access-Control-Request-Method): origin {origin} \
             {origin_en}, method {method} {method_en} one of {}, {headers_en} -> {status}, \
             Access-Control-Max-Age: {}; {then_en}",
            cors::ALLOWED_METHODS,
            cors::MAX_AGE_SECS
        ),
        format!(
            "CORS 预检请求（带 Origin 和 Access-Control-Request-Method 的 OPTIONS）：来源 {origin} \
             {origin_zh}，方法 {method} {method_zh} {} 之一，{headers_zh} -> {status}，\
             Access-Control-Max-Age: {}；{then_zh}",
            cors::ALLOWED_METHODS,
            cors::MAX_AGE_SECS
        ),
    )
}

/// What a request from another origin was granted (`--cors`).
fn explain_grant(origin: &str, grant: &Grant) -> Said {
    let origin = visible(origin.as_bytes());
    let vary = if grant.varies { ", Vary: Origin" } else { "" };
    match &grant.allow_origin {
        Some(allowed) => Said::new(
            format!("Origin {origin} (--cors) -> Access-Control-Allow-Origin: {allowed}{vary}: its page may read the answer"),
            format!("Origin {origin}（--cors）-> Access-Control-Allow-Origin: {allowed}{vary}：这个来源的页面可以读取响应"),
        ),
        None => Said::new(
            format!("Origin {origin} is not one --cors allows -> no Access-Control-Allow-Origin{vary}: the browser keeps the answer from its page"),
            format!("Origin {origin} 不在 --cors 允许的来源之中 -> 没有 Access-Control-Allow-Origin{vary}：浏览器不让这个页面读取响应"),
        ),
    }
}

/// A target that names no file: unreadable, or refused as if absent.
fn explain_bad_target(target: &str, error: PathError, status: Status) -> Said {
    match error {
        PathError::BadTarget => Said::new(
            format!("target {target} is not a path this server can read -> {status}"),
            format!("请求目标 {target} 不是服务器能读懂的路径 -> {status}"),
        ),
        PathError::Refused(why) => Said::new(
            format!(
                "target {target} refused ({}) -> {status}, as if absent",
                why.en
            ),
            format!(
                "拒绝请求目标 {target}（{}）-> {status}，就像文件不存在一样",
                why.zh
            ),
        ),
    }
}

/// An upload at the sink: how much, how fast, and its parts.
/// `--upload`: what was stored, one line per file with its name (and the
/// one sent, when that was taken), size, time and rate.
fn explain_stored(request: &Request, files: &[StoredFile], status: Status) -> Vec<Said> {
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let count = files.len();
    let mut lines = vec![Said::new(
        format!(
            "{method} {target} -> {count} {} stored here (--upload) -> {status}",
            if count == 1 { "file" } else { "files" }
        ),
        format!("{method} {target} -> 在这里保存了 {count} 个文件（--upload）-> {status}"),
    )];
    for file in files {
        let name = visible(file.name.as_bytes());
        let (renamed_en, renamed_zh) = match &file.renamed_from {
            Some(sent) => {
                let sent = visible(sent.as_bytes());
                (
                    format!(" ({sent} exists: a new name, nothing replaced)"),
                    format!("（{sent} 已存在：换了新名字，没有覆盖）"),
                )
            }
            None => (String::new(), String::new()),
        };
        let timing = Upload {
            bytes: file.size,
            duration: file.duration,
            form: None,
        }
        .summary();
        lines.push(Said::new(
            format!("stored {name}{renamed_en}: {}", timing.en),
            format!("已保存 {name}{renamed_zh}：{}", timing.zh),
        ));
    }
    lines
}

/// A folder as one `.zip`: what it holds, or why there is none.
fn explain_archive(request: &Request, decision: &Decision, status: Status) -> Said {
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let Decision::Archive {
        name,
        files,
        folders,
        bytes,
        length,
    } = decision
    else {
        return Said::new(
            format!("{method} {target} -> a folder as one .zip, but it holds more than {} entries or goes deeper than {} folders -> {status}", archive::MAX_ENTRIES, archive::MAX_DEPTH),
            format!("{method} {target} -> 把文件夹打包成一个 .zip，但它多于 {} 项或超过 {} 层 -> {status}", archive::MAX_ENTRIES, archive::MAX_DEPTH),
        );
    };
    let name = visible(name.as_bytes());
    Said::new(
        format!("{method} {target} -> the folder as one .zip, {name}: {files} files and {folders} folders, {bytes} bytes stored as they are (no compression), streamed, {length} bytes in all -> {status}"),
        format!("{method} {target} -> 把文件夹打包成一个 .zip，{name}：{files} 个文件、{folders} 个文件夹，{bytes} 字节原样存入（不压缩），边读边发，共 {length} 字节 -> {status}"),
    )
}

/// `--upload`: why nothing was stored.
fn explain_not_stored(request: &Request, not: &NotStored, status: Status) -> Said {
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let (name_en, name_zh) = match &not.name {
        Some(name) => {
            let name = visible(name.as_bytes());
            (format!(" (file {name})"), format!("（文件 {name}）"))
        }
        None => (String::new(), String::new()),
    };
    Said::new(
        format!(
            "{method} {target} -> nothing stored (--upload): {}{name_en} -> {status}",
            not.why.en
        ),
        format!(
            "{method} {target} -> 什么也没有保存（--upload）：{}{name_zh} -> {status}",
            not.why.zh
        ),
    )
}

fn explain_upload(request: &Request, upload: &Upload, status: Status) -> Vec<Said> {
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let summary = upload.summary();
    let mut lines = vec![Said::new(
        format!(
            "{method} {target} -> the sink (--sink): {}, read to the end and thrown away -> {status}",
            summary.en
        ),
        format!(
            "{method} {target} -> 接收端（--sink）：{}，读到末尾后丢弃 -> {status}",
            summary.zh
        ),
    )];
    let parts = upload.parts();
    if !parts.is_empty() {
        let count = upload.form.as_ref().map_or(0, |form| form.parts.len());
        let join = |lang: Lang, separator: &str| {
            let texts: Vec<&str> = parts.iter().map(|part| part.get(lang)).collect();
            texts.join(separator)
        };
        lines.push(Said::new(
            format!(
                "multipart/form-data, {count} parts: {}",
                join(Lang::En, "; ")
            ),
            format!(
                "multipart/form-data，共 {count} 个部分：{}",
                join(Lang::Zh, "；")
            ),
        ));
    }
    lines
}

/// A guarded path without its credentials: why, and the challenge.
fn explain_refusal(request: &Request, verdict: &Verdict, status: Status) -> Vec<Said> {
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let verdict_said = explain_verdict(verdict);
    let challenge = auth::challenge();
    let mut lines = vec![Said::new(
        format!(
            "{method} {target} needs credentials (--auth): {} -> {status}, WWW-Authenticate: {challenge}",
            verdict_said.en
        ),
        format!(
            "{method} {target} 需要凭据（--auth）：{} -> {status}，WWW-Authenticate: {challenge}",
            verdict_said.zh
        ),
    )];
    lines.extend(base64_note(verdict));
    lines
}

/// What the `Authorization` field said. Nothing of the password is shown,
/// not even its length: the mask is always the same.
fn explain_verdict(verdict: &Verdict) -> Said {
    const MASK: &str = "********";
    match verdict {
        Verdict::Granted { user } => {
            let user = visible(user.as_bytes());
            Said::new(
                format!("Authorization: Basic … -> user {user}, password {MASK} (hidden) matches"),
                format!("Authorization: Basic … -> 用户 {user}，密码 {MASK}（已隐藏）匹配"),
            )
        }
        Verdict::Refused { user } => {
            let user = visible(user.as_bytes());
            Said::new(
                format!("Authorization: Basic … -> user {user}, password {MASK} (hidden) does not match"),
                format!("Authorization: Basic … -> 用户 {user}，密码 {MASK}（已隐藏）不匹配"),
            )
        }
        Verdict::Missing => phrase("no Authorization field", "没有 Authorization 字段").into(),
        Verdict::OtherScheme => phrase(
            "Authorization is not Basic",
            "Authorization 用的不是 Basic 方案",
        )
        .into(),
        Verdict::Malformed(why) => Said::new(
            format!("Authorization: Basic … unreadable ({})", why.en),
            format!("Authorization: Basic … 无法读取（{}）", why.zh),
        ),
    }
}

/// Said whenever credentials were sent: the lesson of Basic.
fn base64_note(verdict: &Verdict) -> Option<Said> {
    matches!(verdict, Verdict::Granted { .. } | Verdict::Refused { .. }).then(|| {
        phrase(
            "Basic is Base64, an encoding and not encryption: anyone who sees this request \
             (the capture, Wireshark) decodes the password",
            "Basic 用的是 Base64，这是编码而不是加密：任何看到这个请求的人\
             （抓包文件、Wireshark）都能解出密码",
        )
        .into()
    })
}

/// The lines for a listing: how many entries, its tag, its preconditions.
fn explain_listing(request: &Request, listing: &Decision, status: Status) -> Vec<Said> {
    let Decision::Listing {
        index,
        entries,
        truncated,
        sort,
        etag,
        precondition,
    } = listing
    else {
        return Vec::new();
    };
    let (entries, truncated, precondition) = (*entries, *truncated, *precondition);
    let method = visible(request.method_str().as_bytes());
    let target = visible(request.target().as_bytes());
    let (more_en, more_zh) = if truncated {
        (" (the first ones only)", "（只列出前面的一部分）")
    } else {
        ("", "")
    };
    let order = sort.describe();
    let (index_en, index_zh) = (index.join(" or "), index.join(" 或 "));
    let mut lines = vec![
        Said::new(
            format!("{method} {target} -> a directory without {index_en}: its listing, {entries} entries{more_en}, {}, weak ETag {etag}", order.en),
            format!("{method} {target} -> 一个没有 {index_zh} 的目录：返回目录列表，共 {entries} 项{more_zh}，{}，弱 ETag {etag}", order.zh),
        ),
        explain_precondition(request, precondition, etag, status),
    ];
    lines.extend(explain_skipped_date(request, precondition));
    lines.extend(head_note(request));
    lines
}

/// For HEAD on a file or a listing: the same head as GET, no body.
fn head_note(request: &Request) -> Option<Said> {
    (request.method == Method::Head).then(|| {
        phrase(
            "HEAD -> the same head as GET, no body",
            "HEAD -> 与 GET 相同的响应头，但没有响应体",
        )
        .into()
    })
}

/// How `Accept-Encoding` chose the representation, when the file has
/// coded variants or the client named a coding.
fn explain_negotiation(request: &Request, negotiation: &Negotiation) -> Option<Said> {
    let asked = request.field_values("accept-encoding").next().is_some();
    let field = if asked {
        let value = quoted(request, "accept-encoding");
        Said::new(
            format!("Accept-Encoding: {value}"),
            format!("Accept-Encoding: {value}"),
        )
    } else {
        phrase("no Accept-Encoding", "没有 Accept-Encoding").into()
    };
    let chosen = match (&negotiation.coding, &negotiation.sibling) {
        (Some(coding), Some(sibling)) => {
            let (token, sibling) = (
                coding.token(),
                visible(sibling.to_string_lossy().as_bytes()),
            );
            Said::new(
                format!("{token} ({sibling})"),
                format!("{token}（预先压缩好的文件 {sibling}）"),
            )
        }
        (Some(coding), None) => {
            let token = coding.token();
            Said::new(
                format!("{token} (compressed in memory, kept with the file)"),
                format!("{token}（在内存中压缩，与文件一起缓存）"),
            )
        }
        (None, _) if negotiation.varies => {
            phrase("identity (the file as it is)", "identity（文件原样发送）").into()
        }
        (None, _) if !asked => return None,
        (None, _) => phrase(
            "identity (the file has no coded variant)",
            "identity（这个文件没有压缩版本）",
        )
        .into(),
    };
    let (vary_en, vary_zh) = if negotiation.varies {
        (", Vary: Accept-Encoding", "，Vary: Accept-Encoding")
    } else {
        ("", "")
    };
    Some(Said::new(
        format!("{} -> {}{vary_en}", field.en, chosen.en),
        format!("{}：内容协商 -> {}{vary_zh}", field.zh, chosen.zh),
    ))
}

/// The lines for a file: which one, its preconditions, its range.
fn explain_file(request: &Request, file: &FileDecision, status: Status) -> Vec<Said> {
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
    let path = path.join("/");
    // A coded representation's size is its own, not the file's on disk.
    let (coded_en, coded_zh) = match negotiation.coding {
        Some(coding) => (
            format!(" as {}", coding.token()),
            format!(" 的 {} 压缩形式", coding.token()),
        ),
        None => (String::new(), String::new()),
    };
    let mut lines = vec![Said::new(
        format!("{method} {target} -> the file /{path}{coded_en}, {size} bytes, ETag {etag}"),
        format!("{method} {target} -> 文件 /{path}{coded_zh}，{size} 字节，ETag {etag}"),
    )];
    lines.extend(explain_negotiation(request, negotiation));
    if negotiation.reload_script {
        lines.push(phrase(
            "--watch: the page with the reload script before </body>, a representation of its own (its length, an ETag ending -watch), never compressed",
            "--watch：页面在 </body> 之前加上了自动刷新脚本，这是一个独立的表示（有自己的长度和以 -watch 结尾的 ETag），不压缩",
        ).into());
    }
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
fn explain_skipped_date(request: &Request, precondition: Precondition) -> Option<Said> {
    let none_match_evaluated = match precondition {
        Precondition::NotModified(reason) | Precondition::Failed(reason) => {
            reason.field() == Field::IfNoneMatch
        }
        Precondition::Proceed(evaluated) => evaluated.fields().any(|f| f == Field::IfNoneMatch),
    };
    let date_sent = request.field_values("if-modified-since").next().is_some();
    (none_match_evaluated && date_sent).then(|| {
        let date = quoted(request, "if-modified-since");
        Said::new(
            format!(
                "If-Modified-Since {date} was sent too, and not evaluated: RFC 9110 §13.2.2 looks at it \
                 only when If-None-Match is absent"
            ),
            format!(
                "请求里同时还有 If-Modified-Since {date}，但它没有被评估：按照 RFC 9110 §13.2.2，\
                 只有在没有 If-None-Match 时才看它"
            ),
        )
    })
}

fn explain_precondition(
    request: &Request,
    precondition: Precondition,
    etag: &str,
    status: Status,
) -> Said {
    match precondition {
        Precondition::Proceed(evaluated) if evaluated.is_empty() => phrase(
            "no precondition fields -> send the file",
            "没有条件请求字段 -> 发送文件",
        )
        .into(),
        Precondition::Proceed(evaluated) => {
            let names: Vec<&str> = evaluated.fields().map(|field| field.name()).collect();
            Said::new(
                format!(
                    "{} checked against ETag {etag} -> no precondition stops the request",
                    names.join(" and ")
                ),
                format!(
                    "条件请求：{} 已与 ETag {etag} 比较 -> 没有哪个条件拦下这个请求",
                    names.join(" 和 ")
                ),
            )
        }
        Precondition::NotModified(reason) | Precondition::Failed(reason) => {
            let name = reason.field().name();
            let value = quoted(request, name);
            let (no_body_en, no_body_zh) = match status.has_content() {
                true => ("", ""),
                false => (", no body", "，没有响应体"),
            };
            let why = reason.describe();
            Said::new(
                format!("{name} {value}: {} -> {status}{no_body_en}", why.en),
                format!(
                    "条件请求 {name} {value}：{} -> {status}{no_body_zh}",
                    why.zh
                ),
            )
        }
    }
}

fn explain_range(request: &Request, range: &RangeOutcome, size: u64, status: Status) -> Said {
    let value = quoted(request, "range");
    match range {
        RangeOutcome::Absent => Said::new(
            format!("no Range -> {status}, the whole file ({size} bytes)"),
            format!("没有 Range -> {status}，发送整个文件（{size} 字节）"),
        ),
        RangeOutcome::Ignored(why) => Said::new(
            format!(
                "Range {value} ignored ({}) -> {status}, the whole file ({size} bytes)",
                why.describe().en
            ),
            format!(
                "忽略 Range {value}（{}）-> {status}，发送整个文件（{size} 字节）",
                why.describe().zh
            ),
        ),
        RangeOutcome::Partial(ranges) => match ranges.as_slice() {
            [one] => {
                let content_range = one.content_range(size);
                Said::new(
                    format!("Range {value} -> {status}, {content_range}"),
                    format!("范围请求 Range {value} -> {status}，{content_range}"),
                )
            }
            several => {
                let parts = several.len();
                Said::new(
                    format!("Range {value} -> {status}, multipart/byteranges of {parts} parts"),
                    format!(
                        "范围请求 Range {value} -> {status}，multipart/byteranges，共 {parts} 个部分"
                    ),
                )
            }
        },
        RangeOutcome::Unsatisfiable => Said::new(
            format!("Range {value} covers no byte of the {size}-byte file -> {status}"),
            format!("Range {value} 没有覆盖这个 {size} 字节文件中的任何一个字节 -> {status}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::conditional::{Precondition, Reason};
    use crate::files::range::Ignored;
    use crate::protocol::byte_range::ByteRange;
    use crate::protocol::request::parse_head;
    use crate::protocol::words::Phrase;
    use crate::protocol::CloseReason;
    use std::path::PathBuf;
    use std::time::Duration;

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
                path: PathBuf::from(String::from_utf8_lossy(HOSTILE).into_owned()).into(),
                size: 10,
                etag: "\"a-b-c\"".into(),
                negotiation: crate::files::decision::Negotiation {
                    varies: true,
                    coding: Some(crate::protocol::coding::Coding::Br),
                    sibling: Some(PathBuf::from(String::from_utf8_lossy(HOSTILE).into_owned())),
                    reload_script: false,
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
            let both: Vec<String> = lines
                .iter()
                .flat_map(|line| [line.en.clone(), line.zh.clone()])
                .collect();
            no_control_reaches_the_terminal(&both, name);
        }
    }

    #[test]
    fn every_status_the_trace_says_is_the_records() {
        // Decisions paired with statuses their words could never guess: the
        // trace must say the record's, and no other.
        let file = |precondition, range| {
            Decision::File(FileDecision {
                path: PathBuf::from("a.txt").into(),
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
            let explained = explain(&record);
            for lang in [Lang::En, Lang::Zh] {
                let lines: Vec<&str> = explained.iter().map(|l| l.get(lang)).collect();
                let said = lines.join("\n");
                assert!(said.contains(&status.to_string()), "{status}: {said}");
                for other in all.iter().filter(|other| **other != status) {
                    assert!(!said.contains(&other.to_string()), "{other} in: {said}");
                }
            }
        }
    }

    #[test]
    fn credentials_are_hidden_in_shown_heads_table() {
        let cases: [(&[u8], &[u8]); 8] = [
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
            // Malformed: nothing of the value is taken for a scheme.
            (
                b"GET / HTTP/1.1\r\nAuthorization: Basic=dXNlcjpwYXNz\r\n\r\n",
                b"GET / HTTP/1.1\r\nAuthorization: <18 bytes hidden here; the capture has them>\r\n\r\n",
            ),
            (
                b"GET / HTTP/1.1\r\nAuthorization: dXNlcjpwYXNz\r\n\r\n",
                b"GET / HTTP/1.1\r\nAuthorization: <12 bytes hidden here; the capture has them>\r\n\r\n",
            ),
            (
                b"GET / HTTP/1.1\r\nAuthorization: dXNlcjpwYXNz more\r\n\r\n",
                b"GET / HTTP/1.1\r\nAuthorization: <17 bytes hidden here; the capture has them>\r\n\r\n",
            ),
            (
                b"GET / HTTP/1.1\r\nAuthorization: Basic\r\n\r\n",
                b"GET / HTTP/1.1\r\nAuthorization: <5 bytes hidden here; the capture has them>\r\n\r\n",
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

    /// One value of every variant that the trace explains in words. Each
    /// list is checked by an exhaustive `match`: a new variant does not
    /// compile here until it has a row.
    fn every_decision() -> Vec<Decision> {
        use crate::files::conditional::Reason;
        use crate::files::range::Ignored;
        use crate::files::root::OpenFailure;
        use crate::files::target;
        use crate::protocol::form::{FormReport, Part};
        let file = |precondition, range| {
            Decision::File(FileDecision {
                path: PathBuf::from("a.txt").into(),
                size: 10,
                etag: "\"a-b-c\"".into(),
                negotiation: Negotiation {
                    varies: true,
                    coding: Some(crate::protocol::coding::Coding::Gzip),
                    sibling: None,
                    reload_script: true,
                },
                precondition,
                range,
            })
        };
        let proceed = Precondition::Proceed(Default::default());
        let mut all = vec![
            Decision::ListMethods,
            Decision::UnknownMethod,
            Decision::MethodNotAllowed,
            Decision::BadTarget(PathError::BadTarget),
            Decision::AddSlash("/d/".into()),
            Decision::Listing {
                index: vec!["index.htm".into(), "index.html".into()],
                entries: 3,
                truncated: true,
                sort: crate::files::sort::Sort::parse("size:asc").unwrap(),
                etag: "W/\"l\"".into(),
                precondition: Precondition::NotModified(Reason::IfNoneMatchMatched),
            },
            Decision::UploadForm,
            Decision::Uploaded(Upload {
                bytes: 10,
                duration: Duration::from_millis(2),
                form: Some(FormReport {
                    parts: vec![Part {
                        name: Some("file".into()),
                        filename: Some("a.txt".into()),
                        size: 4,
                    }],
                    more_parts: 2,
                    failed: Some(crate::protocol::form::NO_CLOSING_BOUNDARY),
                }),
            }),
        ];
        for why in [
            target::DOTFILE,
            target::NUL_BYTE,
            target::BACKSLASH,
            target::ABOVE_ROOT,
            target::COLON,
            target::TRAILING_DOT,
            target::DEVICE_NAME,
            target::SHORT_NAME,
        ] {
            all.push(Decision::BadTarget(PathError::Refused(why)));
        }
        for failure in [
            OpenFailure::NotFound,
            OpenFailure::Forbidden,
            OpenFailure::Unreadable,
        ] {
            all.push(Decision::NotOpened(failure));
        }
        for reason in [
            Reason::IfMatchFailed,
            Reason::ModifiedSince,
            Reason::IfNoneMatchMatched,
            Reason::NotModifiedSince,
        ] {
            all.push(file(Precondition::Failed(reason), None));
        }
        for ignored in [
            Ignored::OtherUnit,
            Ignored::Invalid,
            Ignored::EmptyFile,
            Ignored::TooManyRanges,
            Ignored::ExceedsFile,
            Ignored::IfRangeMismatch,
        ] {
            all.push(file(proceed, Some(RangeOutcome::Ignored(ignored))));
        }
        all.push(file(proceed, Some(RangeOutcome::Absent)));
        all.push(file(proceed, Some(RangeOutcome::Unsatisfiable)));
        let ranges = vec![ByteRange { start: 0, end: 1 }; 2];
        all.push(file(proceed, Some(RangeOutcome::Partial(ranges))));
        let granted = Verdict::Granted {
            user: "alice".into(),
        };
        for verdict in [
            granted.clone(),
            Verdict::Refused {
                user: "alice".into(),
            },
            Verdict::Missing,
            Verdict::OtherScheme,
            Verdict::Malformed(crate::protocol::auth::NOT_BASE64),
        ] {
            all.push(Decision::Unauthorized(verdict));
        }
        all.push(Decision::Authorized {
            verdict: granted,
            then: Box::new(Decision::UploadForm),
        });
        all.push(Decision::ReloadEvents);
        all.push(Decision::Fallback {
            missing: "/app/route".into(),
            then: Box::new(file(proceed, Some(RangeOutcome::Absent))),
        });
        all.push(Decision::Stored(vec![
            crate::files::decision::StoredFile {
                name: "a (1).txt".into(),
                renamed_from: Some("a.txt".into()),
                size: 3,
                duration: Duration::from_millis(2),
            },
            crate::files::decision::StoredFile {
                name: "b.txt".into(),
                renamed_from: None,
                size: 0,
                duration: Duration::ZERO,
            },
        ]));
        all.push(Decision::Archive {
            name: "photos.zip".into(),
            files: 2,
            folders: 1,
            bytes: 10,
            length: 300,
        });
        all.push(Decision::ArchiveTooLarge);
        all.push(Decision::NotStored(NotStored {
            status: Status::BadRequest,
            why: crate::files::store::DOT_NAME,
            name: Some(".env".into()),
        }));
        all.push(Decision::CleanUrl {
            missing: "/about".into(),
            page: "/about.html".into(),
            then: Box::new(file(proceed, Some(RangeOutcome::Absent))),
        });
        let any = crate::protocol::cors::Cors::Any;
        let list = crate::protocol::cors::Cors::Origins(vec!["http://a.test".into()]);
        for (cors, origin, method, headers) in [
            (
                &any,
                "http://x.test",
                "GET",
                Some(vec!["range".to_string()]),
            ),
            (&list, "http://x.test", "PUT", None),
            (&list, "http://a.test", "GET", Some(Vec::new())),
        ] {
            let grant = cors.grant(Some(origin.as_bytes()));
            all.push(Decision::Preflight(Preflight {
                origin: origin.into(),
                method: method.into(),
                headers,
                grant: grant.clone(),
            }));
            all.push(Decision::CrossOrigin {
                origin: origin.into(),
                grant,
                then: Box::new(Decision::MethodNotAllowed),
            });
        }
        for decision in &all {
            match decision {
                Decision::ListMethods
                | Decision::UnknownMethod
                | Decision::MethodNotAllowed
                | Decision::BadTarget(_)
                | Decision::NotOpened(_)
                | Decision::AddSlash(_)
                | Decision::Listing { .. }
                | Decision::File(_)
                | Decision::UploadForm
                | Decision::Uploaded(_)
                | Decision::Stored(_)
                | Decision::NotStored(_)
                | Decision::Archive { .. }
                | Decision::ArchiveTooLarge
                | Decision::Unauthorized(_)
                | Decision::Authorized { .. }
                | Decision::Preflight(_)
                | Decision::ReloadEvents
                | Decision::Fallback { .. }
                | Decision::CleanUrl { .. }
                | Decision::CrossOrigin { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_decision_is_explained_in_english_and_in_chinese() {
        let heads: [&[u8]; 3] = [
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nRange: bytes=0-1\r\nAccept-Encoding: gzip\r\n\r\n",
            b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
            b"POST /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ];
        let keep_alives = [
            KeepAlive::Http11Default,
            KeepAlive::Http10Asked,
            KeepAlive::ClientAskedClose,
            KeepAlive::Http10Default,
            KeepAlive::DisabledByServer,
            KeepAlive::ShuttingDown,
            KeepAlive::BodyUnread,
        ];
        for keep_alive in keep_alives {
            match keep_alive {
                KeepAlive::Http11Default
                | KeepAlive::Http10Asked
                | KeepAlive::ClientAskedClose
                | KeepAlive::Http10Default
                | KeepAlive::DisabledByServer
                | KeepAlive::ShuttingDown
                | KeepAlive::BodyUnread => {}
            }
        }
        let mut lines = 0;
        for (index, decision) in every_decision().iter().enumerate() {
            let head = heads[index % heads.len()];
            let (request, _) = parse_head(head).unwrap().unwrap();
            let keep_alive = keep_alives[index % keep_alives.len()];
            for said in explain_served(&request, decision, keep_alive, Status::Ok) {
                crate::protocol::words::assert_both(&said.en, &said.zh, &format!("{decision:?}"));
                lines += 1;
            }
        }
        assert!(lines > 60, "{lines} lines");
    }

    #[test]
    fn every_close_reason_and_refusal_is_explained_in_english_and_in_chinese() {
        use crate::protocol::body::FramingError;
        use crate::protocol::chunked::{ChunkedError, NOT_HEX};
        use crate::protocol::request::HeadError;
        let reasons = [
            CloseReason::ClientClosed,
            CloseReason::ClientClosedUnused,
            CloseReason::IdleUnused,
            CloseReason::ClientAskedClose,
            CloseReason::Http10Default,
            CloseReason::NoKeepAlive,
            CloseReason::IdleTimeout,
            CloseReason::BadRequest(Status::BadRequest),
            CloseReason::WriteTimedOut,
            CloseReason::Shutdown,
            CloseReason::OverLimit,
            CloseReason::NoThread,
            CloseReason::BodyUnread,
            CloseReason::Broken,
            CloseReason::TlsFailed,
            CloseReason::EventsEnded,
        ];
        for reason in reasons {
            match reason {
                CloseReason::ClientClosed
                | CloseReason::ClientClosedUnused
                | CloseReason::IdleUnused
                | CloseReason::ClientAskedClose
                | CloseReason::Http10Default
                | CloseReason::NoKeepAlive
                | CloseReason::IdleTimeout
                | CloseReason::BadRequest(_)
                | CloseReason::WriteTimedOut
                | CloseReason::Shutdown
                | CloseReason::OverLimit
                | CloseReason::NoThread
                | CloseReason::BodyUnread
                | CloseReason::Broken
                | CloseReason::TlsFailed
                | CloseReason::EventsEnded => {}
            }
            let said = reason.describe();
            crate::protocol::words::assert_both(&said.en, &said.zh, &format!("{reason:?}"));
        }
        let head_errors = [
            HeadError::RequestLineTooLong,
            HeadError::HeadTooLarge,
            HeadError::TooManyHeaders,
            HeadError::UnsupportedVersion,
            HeadError::BadHost,
            HeadError::InvalidHost(crate::protocol::words::phrase("empty Host", "Host 为空")),
            HeadError::MethodTooLong,
            HeadError::Malformed(crate::protocol::words::phrase("x", "某")),
            HeadError::LooksLikeTls,
        ];
        let framing = [
            FramingError::LengthAndTransferEncoding,
            FramingError::InvalidContentLength,
            FramingError::UnsupportedTransferCoding,
            FramingError::TransferEncodingInHttp10,
            FramingError::TooLarge,
        ];
        let chunked = [
            ChunkedError::Malformed(NOT_HEX),
            ChunkedError::SizeOverflow,
            ChunkedError::TooLarge,
            ChunkedError::MetadataTooLarge,
        ];
        let whys: Vec<Phrase> = head_errors
            .iter()
            .map(|e| e.describe())
            .chain(framing.iter().map(|e| e.describe()))
            .chain(chunked.iter().map(|e| e.describe()))
            .collect();
        let head = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n";
        let now = std::time::Instant::now();
        let record = |outcome| ExchangeRecord {
            number: 1,
            request_head: head,
            outcome,
            status: Status::BadRequest,
            response_head: b"",
            body_bytes: 0,
            received: now,
            first_write: None,
            last_write: now,
        };
        let mut outcomes: Vec<Outcome<'_>> = whys
            .into_iter()
            .map(|why| Outcome::Unreadable { why })
            .collect();
        outcomes.push(Outcome::OverLimit { limit: 3 });
        outcomes.push(Outcome::NoThread);
        for outcome in outcomes {
            let case = format!("{outcome:?}");
            for said in explain(&record(outcome)) {
                crate::protocol::words::assert_both(&said.en, &said.zh, &case);
            }
        }
    }
}
