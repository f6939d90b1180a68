//! Fields the operator adds to every response (`--header 'Name: value'`),
//! checked once at start-up by the parser's own rules: the name a token,
//! the value free of CR, LF, NUL and other controls (RFC 9110 §5.1, §5.5).
//!
//! Some fields cannot be added, because the server writes them itself for
//! each response and a second value would contradict the first: framing
//! and connection fields (RFC 9112 §6, §9; RFC 9110 §7.6.1), and what is
//! worked out per response (`Content-Type`, `ETag`, `Content-Range`…).
//! `Cache-Control` and `Server`, which the server sends with a default
//! value, are replaced by the operator's.
//!
//! A field may be given twice only when it is a list whose lines may each
//! stand on their own ([`MAY_REPEAT`], and `Set-Cookie`); any other field
//! appears once in a response (RFC 9110 §5.3), so a second `--header` for it
//! is refused rather than sending two that contradict each other. A refused
//! value is shown with its controls written out, so that it can neither
//! split the error line nor reach the terminal as an escape sequence.

use crate::protocol::fields::is_tchar;
use crate::protocol::visible::visible;

/// One field to add: its name as given, its value trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedField {
    pub name: String,
    pub value: String,
}

/// The fields no `--header` may set, and why.
const REFUSED: &[(&str, &str)] = &[
    ("content-length", FRAMING),
    ("transfer-encoding", FRAMING),
    ("trailer", FRAMING),
    ("te", CONNECTION),
    ("connection", CONNECTION),
    ("keep-alive", CONNECTION),
    ("upgrade", CONNECTION),
    (
        "date",
        "the server dates every response itself (RFC 9110 §6.6.1)",
    ),
    ("content-type", PER_RESPONSE),
    ("content-encoding", PER_RESPONSE),
    ("content-range", PER_RESPONSE),
    ("etag", PER_RESPONSE),
    ("last-modified", PER_RESPONSE),
    ("vary", PER_RESPONSE),
    ("accept-ranges", PER_RESPONSE),
    ("location", PER_RESPONSE),
    ("allow", PER_RESPONSE),
    ("www-authenticate", PER_RESPONSE),
    ("retry-after", PER_RESPONSE),
];
/// The fields that may be given more than once, each becoming a line of
/// its own: lists whose lines a recipient reads as one (RFC 9110 §5.3),
/// and `Set-Cookie`, which is never combined (RFC 6265 §3).
const MAY_REPEAT: &[&str] = &[
    "set-cookie",
    "link",
    "content-security-policy",
    "content-security-policy-report-only",
    "via",
    "alt-svc",
    "server-timing",
    "timing-allow-origin",
    "accept-ch",
];
const FRAMING: &str =
    "it frames the message, which the server does for each response (RFC 9112 §6)";
const CONNECTION: &str = "it is a connection option, which applies to one connection only and \
     which the server decides (RFC 9110 §7.6.1, RFC 9112 §9)";
const PER_RESPONSE: &str = "the server works it out for each response";

impl AddedField {
    /// Reads `Name: value`; the error says what is wrong, for the command
    /// line.
    pub fn parse(text: &str) -> Result<AddedField, String> {
        let Some((name, value)) = text.split_once(':') else {
            return Err("expected 'Name: value', with a colon".to_string());
        };
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(format!(
                "{name:?} is not a field name (letters, digits and !#$%&'*+-.^_`|~ only)"
            ));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(format!(
                "the value of {name} has a control character (CR, LF and NUL are never allowed)"
            ));
        }
        let lower = name.to_ascii_lowercase();
        if let Some((_, why)) = REFUSED.iter().find(|(refused, _)| *refused == lower) {
            return Err(format!("{name} cannot be added: {why}"));
        }
        if lower.starts_with("access-control-") {
            return Err(format!(
                "{name} cannot be added: --cors sends the CORS fields, per request"
            ));
        }
        Ok(AddedField {
            name: name.to_string(),
            value: value.to_string(),
        })
    }

    /// Reads every `--header` value, in order: the first error says which
    /// value and why, with the value's controls written out.
    pub fn parse_all(texts: &[String]) -> Result<Vec<AddedField>, String> {
        let mut fields: Vec<AddedField> = Vec::with_capacity(texts.len());
        for text in texts {
            let field = AddedField::parse(text)
                .map_err(|why| format!("invalid value '{}' for '--header': {why}", shown(text)))?;
            let repeats = fields.iter().any(|earlier| earlier.replaces(&field.name));
            let lower = field.name.to_ascii_lowercase();
            if repeats && !MAY_REPEAT.contains(&lower.as_str()) {
                return Err(format!(
                    "--header {} given twice: a response carries one {} field (RFC 9110 §5.3); \
                     give one --header with every value it needs, joined by commas where it is a list",
                    field.name, field.name
                ));
            }
            fields.push(field);
        }
        Ok(fields)
    }

    /// Whether this field takes the place of the server's field `name`.
    pub fn replaces(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// `text` as an error line shows it: CR and LF as `\r` and `\n`, every
/// other control as `\xNN` ([`visible`]).
fn shown(text: &str) -> String {
    visible(text.as_bytes())
        .replace("\\x0d", "\\r")
        .replace("\\x0a", "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_fields_table() {
        let ok = |name: &str, value: &str| {
            Ok(AddedField {
                name: name.into(),
                value: value.into(),
            })
        };
        let cases: &[(&str, Result<AddedField, &str>)] = &[
            ("X-Frame-Options: DENY", ok("X-Frame-Options", "DENY")),
            (
                "Cache-Control:max-age=60 ",
                ok("Cache-Control", "max-age=60"),
            ),
            ("X-A:\tb c\t", ok("X-A", "b c")),
            ("X-Empty:", ok("X-Empty", "")),
            ("Server: mine", ok("Server", "mine")),
            ("no colon", Err("with a colon")),
            (": v", Err("is not a field name")),
            ("X A: v", Err("is not a field name")),
            ("X-A: a\rb", Err("control character")),
            ("X-A: a\nb", Err("control character")),
            ("X-A: a\0b", Err("control character")),
            ("content-length: 5", Err("RFC 9112 §6")),
            ("Transfer-Encoding: chunked", Err("RFC 9112 §6")),
            ("Connection: close", Err("RFC 9110 §7.6.1")),
            ("Keep-Alive: 5", Err("RFC 9110 §7.6.1")),
            ("Upgrade: h2c", Err("RFC 9110 §7.6.1")),
            ("TE: trailers", Err("RFC 9110 §7.6.1")),
            ("Trailer: X", Err("RFC 9112 §6")),
            ("Date: x", Err("dates every response")),
            ("ETag: \"x\"", Err("for each response")),
            ("Vary: *", Err("for each response")),
            ("Content-Range: x", Err("for each response")),
            ("Content-Encoding: br", Err("for each response")),
            ("Access-Control-Allow-Origin: *", Err("--cors")),
        ];
        for (text, expected) in cases {
            match (AddedField::parse(text), expected) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{text:?}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{text:?}: {got}"),
                (got, want) => panic!("{text:?}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn every_header_value_is_read_and_repeats_checked_table() {
        let cases: &[(&[&str], Result<usize, &str>)] = &[
            (&[], Ok(0)),
            (&["X-A: 1", "X-B: 2"], Ok(2)),
            (&["Link: <a>", "link: <b>"], Ok(2)),
            (&["Set-Cookie: a=1", "Set-Cookie: b=2"], Ok(2)),
            (&["Server: one", "Server: two"], Err("Server given twice")),
            (
                &["Cache-Control: a", "cache-control: b"],
                Err("given twice"),
            ),
            (&["X-A: 1", "x-a: 2"], Err("x-a given twice")),
            (&["X-A: a\r\nb"], Err("'X-A: a\\r\\nb'")),
            (&["X-A: a\x1b[31m"], Err("'X-A: a\\x1b[31m'")),
            (&["X-A: a\0"], Err("'X-A: a\\x00'")),
            (&["X-A: 1", "Bad Name: 2"], Err("'Bad Name: 2'")),
        ];
        for (texts, expected) in cases {
            let texts: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
            match (AddedField::parse_all(&texts), expected) {
                (Ok(fields), Ok(count)) => assert_eq!(fields.len(), *count, "{texts:?}"),
                (Err(why), Err(part)) => {
                    assert!(why.contains(part), "{texts:?}: {why}");
                    assert!(!why.contains(['\r', '\n', '\x1b', '\0']), "{why:?}");
                }
                (got, _) => panic!("{texts:?}: {got:?}"),
            }
        }
    }
}
