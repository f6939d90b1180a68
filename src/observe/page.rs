//! The inspector's page and the report: one HTML file with its CSS, SVG
//! drawing and script inline. Live, the script reads `/connections.json`
//! and then `/events`; in a report the connections are embedded in the
//! file, so it loads nothing and opens offline.

use crate::observe::journal::Snapshot;

const TEMPLATE: &str = include_str!("inspector.html");
/// Where a report's connections go: the live page leaves it `null`.
const EMBEDDED: &str = r#"<script id="embedded" type="application/json">null</script>"#;
/// Where a report's summary goes.
const SUMMARY: &str = r#"<script id="summary-data" type="application/json">null</script>"#;

/// What a report says of the whole run, above the connections.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    /// The command line, credentials hidden.
    pub command: String,
    /// When the server started (every time in the ladders counts from
    /// it) and stopped.
    pub started: std::time::SystemTime,
    pub stopped: std::time::SystemTime,
    /// Connections served and requests answered in all, those the report
    /// no longer keeps included.
    pub connections: u64,
    pub requests: u64,
}

impl ReportSummary {
    fn json(&self) -> serde_json::Value {
        let utc = |at| {
            let t = crate::protocol::civil::UtcTime::of(at);
            format!(
                "{}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            )
        };
        serde_json::json!({
            "command": self.command,
            "started": utc(self.started),
            "stopped": utc(self.stopped),
            "connections": self.connections,
            "requests": self.requests,
        })
    }
}

/// The live inspector's page.
pub fn live() -> &'static str {
    TEMPLATE
}

/// A self-contained report of `snapshot`, opening with `summary`.
pub fn report(snapshot: &Snapshot, summary: &ReportSummary) -> String {
    let mut json = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = snapshot.write_json(&mut json);
    let json = script_safe(&String::from_utf8_lossy(&json));
    let embedded = format!(r#"<script id="embedded" type="application/json">{json}</script>"#);
    let said = script_safe(&summary.json().to_string());
    let summary = format!(r#"<script id="summary-data" type="application/json">{said}</script>"#);
    TEMPLATE
        .replacen(EMBEDDED, &embedded, 1)
        .replacen(SUMMARY, &summary, 1)
}

/// JSON that cannot change how an HTML parser reads the script element it
/// stands in. Inside one, `</script` ends it and `<!--` followed by
/// `<script` makes the parser skip past the real end (HTML §13.2.5.4
/// onwards: the "script data escaped" states); `>` and `&` matter to the
/// same states, and U+2028 and U+2029 end lines in JavaScript before
/// ES2019. All of them only ever stand inside JSON strings, where `\uXXXX`
/// means the same character, so the data is unchanged.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_has_nothing_a_script_element_reacts_to() {
        let cases = [
            ("<!--<script>", "\\u003c!--\\u003cscript\\u003e"),
            ("</script>", "\\u003c/script\\u003e"),
            ("<![CDATA[", "\\u003c![CDATA["),
            ("a&amp;b", "a\\u0026amp;b"),
            ("\u{2028}\u{2029}", "\\u2028\\u2029"),
            ("中文.txt", "中文.txt"),
        ];
        for (text, escaped) in cases {
            let json = serde_json::Value::from(text).to_string();
            let safe = script_safe(&json);
            assert_eq!(safe, format!("\"{escaped}\""), "{text:?}");
            let back: String = serde_json::from_str(&safe).unwrap();
            assert_eq!(back, text, "the same data");
        }
    }

    #[test]
    fn a_report_embeds_its_data_and_loads_nothing() {
        assert!(live().contains(EMBEDDED));
        let empty = Snapshot {
            keep: 3,
            dropped: 1,
            connections: Vec::new(),
        };
        let summary = ReportSummary {
            command: "glasshttp --report r.html".into(),
            started: std::time::UNIX_EPOCH,
            stopped: std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_461),
            connections: 7,
            requests: 9,
        };
        let page = report(&empty, &summary);
        assert!(!page.contains(SUMMARY));
        assert!(page.contains("1970-01-02 00:01:01 UTC"), "{page}");
        assert!(!page.contains(EMBEDDED));
        assert!(page.contains(r#"{"keep":3,"dropped":1,"#), "{page}");
        assert_eq!(
            page.matches("</script>").count(),
            live().matches("</script>").count()
        );
        // Nothing is loaded from anywhere: no external script, style or image.
        for outside in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
            assert!(!page.contains(outside), "{outside}");
        }
    }
}
