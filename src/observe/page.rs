//! The inspector's page and the report: one HTML file with its CSS, SVG
//! drawing and script inline. Live, the script reads `/connections.json`
//! and then `/events`; in a report the connections are embedded in the
//! file, so it loads nothing and opens offline.

use serde_json::Value;

const TEMPLATE: &str = include_str!("inspector.html");
/// Where a report's connections go: the live page leaves it `null`.
const EMBEDDED: &str = r#"<script id="embedded" type="application/json">null</script>"#;

/// The live inspector's page.
pub fn live() -> &'static str {
    TEMPLATE
}

/// A self-contained report of `snapshot` (see [`super::journal::Journal::snapshot`]).
pub fn report(snapshot: &Value) -> String {
    // Inside a script element only `</` could end it early.
    let json = snapshot.to_string().replace("</", "<\\/");
    let embedded = format!(r#"<script id="embedded" type="application/json">{json}</script>"#);
    TEMPLATE.replacen(EMBEDDED, &embedded, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_report_embeds_its_data_and_nothing_can_close_the_script_early() {
        assert!(live().contains(EMBEDDED));
        let hostile = json!({ "connections": [{ "request_line": "GET /</script><b>x" }] });
        let page = report(&hostile);
        assert!(!page.contains(EMBEDDED));
        assert!(page.contains(r#"GET /<\/script><b>x"#), "{page}");
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
