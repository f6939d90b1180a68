//! `--har`: the server's view of every exchange kept, as an HTTP Archive
//! (HAR 1.2), written at shutdown, which Edge's and Chrome's DevTools
//! import (Network → Import HAR) beside the browser's own view. The same
//! connections as the report, with the same bounds and the same escaping:
//! heads as shown (credentials hidden), times as the server measured them.
//!
//! The timings are the server's: `wait` from the request's head to the
//! first byte written, `receive` from the first byte written to the last;
//! what happened on the network before the head arrived is not known here,
//! and is `-1` as HAR says.

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use crate::observe::journal::Snapshot;
use crate::protocol::civil::UtcTime;

/// The archive of `snapshot`, whose times count from `started`.
pub fn har(snapshot: &Snapshot, started: SystemTime) -> String {
    let mut json = Vec::new();
    // Writing into a Vec cannot fail, and what it writes is JSON.
    let _ = snapshot.write_json(&mut json);
    let kept: Value = serde_json::from_slice(&json).unwrap_or(Value::Null);
    let entries: Vec<Value> = kept["connections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|connection| {
            let exchanges = connection["exchanges"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            exchanges
                .into_iter()
                .map(move |exchange| entry(connection, &exchange, started))
        })
        .collect();
    let archive = json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "glasshttp", "version": env!("CARGO_PKG_VERSION") },
            "comment": "The server's view: heads as glasshttp received and sent them \
                        (credentials hidden), times measured on the server.",
            "pages": [],
            "entries": entries,
        }
    });
    serde_json::to_string_pretty(&archive).unwrap_or_default()
}

/// One exchange as a HAR entry.
fn entry(connection: &Value, exchange: &Value, started: SystemTime) -> Value {
    let ms = |key: &str| exchange[key].as_f64();
    let received = ms("received_ms").unwrap_or(0.0);
    let first = ms("first_byte_ms").unwrap_or(received);
    let last = ms("last_byte_ms").unwrap_or(first);
    let request_head = fields(&exchange["request_head"]);
    let response_head = fields(&exchange["response_head"]);
    let request_line = exchange["request_line"].as_str().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    let version = parts.next().unwrap_or("HTTP/1.1");
    let scheme = if connection["tls"].is_null() {
        "http"
    } else {
        "https"
    };
    let host = field(&request_head, "host").unwrap_or_default();
    let url = if target.starts_with("http") {
        target.to_string()
    } else {
        format!("{scheme}://{host}{target}")
    };
    let server = connection["server"].as_str().unwrap_or_default();
    let server_ip = server.rsplit_once(':').map_or(server, |(ip, _)| ip);
    let decision = exchange["decision"]["en"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let decision: Vec<&str> = decision.iter().filter_map(Value::as_str).collect();
    let request = json!({
        "method": method,
        "url": url,
        "httpVersion": version,
        "cookies": [],
        "headers": headers(&request_head),
        "queryString": [],
        "headersSize": -1,
        "bodySize": -1,
    });
    json!({
        "startedDateTime": iso8601(started + Duration::from_secs_f64(received.max(0.0) / 1000.0)),
        "time": (last - received).max(0.0),
        "request": request,
        "response": response(exchange, &response_head),
        "cache": {},
        "timings": {
            "blocked": -1, "dns": -1, "connect": -1, "ssl": -1,
            "send": 0,
            "wait": (first - received).max(0.0),
            "receive": (last - first).max(0.0),
        },
        "serverIPAddress": server_ip.trim_start_matches('[').trim_end_matches(']'),
        "connection": connection["id"].to_string(),
        "comment": decision.join("; "),
    })
}

/// The response part of an entry.
fn response(exchange: &Value, head: &[(String, String)]) -> Value {
    let body = exchange["body_bytes"].as_u64().unwrap_or(0);
    json!({
        "status": exchange["status"],
        "statusText": exchange["reason"],
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers(head),
        "content": {
            "size": body,
            "mimeType": field(head, "content-type").unwrap_or_default(),
        },
        "redirectURL": field(head, "location").unwrap_or_default(),
        "headersSize": -1,
        "bodySize": body,
    })
}

/// A head's lines as the journal shows them (`\r\n` written out), as
/// (name, value) pairs; the first line (request or status line) left out.
fn fields(lines: &Value) -> Vec<(String, String)> {
    lines
        .as_array()
        .into_iter()
        .flatten()
        .skip(1)
        .filter_map(Value::as_str)
        .map(|line| line.trim_end_matches("\\r\\n"))
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_string(), value.trim().to_string()))
        .collect()
}

fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.clone())
}

fn headers(fields: &[(String, String)]) -> Value {
    fields
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect()
}

/// `2026-12-07T15:52:36.123Z`.
fn iso8601(at: SystemTime) -> String {
    let utc = UtcTime::of(at);
    let millis = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_millis());
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_as_shown_become_har_fields() {
        let lines = json!([
            "GET /a HTTP/1.1\\r\\n",
            "Host: 127.0.0.1:8080\\r\\n",
            "Authorization: Basic <16 bytes hidden here; the capture has them>\\r\\n",
            "\\r\\n"
        ]);
        let got = fields(&lines);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], ("Host".to_string(), "127.0.0.1:8080".to_string()));
        assert!(got[1].1.contains("hidden"), "credentials stay hidden");
        assert_eq!(field(&got, "HOST").as_deref(), Some("127.0.0.1:8080"));
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(86_461_250);
        assert_eq!(iso8601(at), "1970-01-02T00:01:01.250Z");
    }
}
