//! Client bytes and file names made safe to show: every value a client sent
//! that reaches stderr (the trace's explanations, error lines), and every
//! name a listing or the inspector shows, goes through [`visible`].
//!
//! - C0 controls, DEL and the C1 controls U+0080–U+009F (CSI, OSC, ST,
//!   which VTE terminals act on when UTF-8 encoded) are written as `\xNN`,
//!   as are bytes that are not UTF-8: no request can move a terminal's
//!   cursor, clear its screen or set its title.
//! - Characters that are invisible but change what text around them looks
//!   like are written as `\u{XXXX}`: the bidirectional controls (U+202E
//!   makes `invoice\u{202E}gpj.exe` read as `invoiceexe.jpg`), zero-width
//!   characters, and the line and paragraph separators.
//!
//! Other text, Chinese file names included, is shown as it is.

use std::fmt::Write;

/// `bytes` with every control character and every byte that is not UTF-8
/// written as `\xNN`, and every invisible character that reorders or hides
/// text as `\u{XXXX}` (see the module doc).
pub fn visible(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                let mut encoded = [0u8; 4];
                for byte in c.encode_utf8(&mut encoded).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            } else if is_invisible(c) {
                let _ = write!(out, "\\u{{{:04X}}}", u32::from(c));
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// The invisible characters that can make a name read as another: the
/// Unicode bidirectional controls (UAX #9 §2: ALM, LRM, RLM, LRE to RLO,
/// LRI to PDI), zero-width and joining characters, the byte order mark,
/// the soft hyphen, and the line and paragraph separators.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Text made safe inside an element or a quoted attribute.
pub fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_table() {
        let cases: &[(&[u8], &str)] = &[
            (b"bytes=0-99", "bytes=0-99"),
            (b"a\x1b[2Jb", "a\\x1b[2Jb"),
            (b"\r\n\t\0", "\\x0d\\x0a\\x09\\x00"),
            (b"\x7f", "\\x7f"),
            // CSI, OSC and ST, UTF-8 encoded.
            (
                b"\xc2\x9b2J\xc2\x9d0;t\xc2\x9c",
                "\\xc2\\x9b2J\\xc2\\x9d0;t\\xc2\\x9c",
            ),
            // Lone C1 bytes are not UTF-8.
            (b"\x9b", "\\x9b"),
            ("中文.txt".as_bytes(), "中文.txt"),
            // Invisible characters that reorder or hide text.
            (
                "invoice\u{202E}gpj.exe".as_bytes(),
                "invoice\\u{202E}gpj.exe",
            ),
            ("a\u{2066}b\u{2069}".as_bytes(), "a\\u{2066}b\\u{2069}"),
            (
                "\u{200E}\u{200F}\u{061C}".as_bytes(),
                "\\u{200E}\\u{200F}\\u{061C}",
            ),
            (
                "zero\u{200B}\u{200D}\u{FEFF}".as_bytes(),
                "zero\\u{200B}\\u{200D}\\u{FEFF}",
            ),
            (
                "\u{2028}\u{2029}\u{00AD}".as_bytes(),
                "\\u{2028}\\u{2029}\\u{00AD}",
            ),
            // Visible neighbours stay as they are.
            (
                "\u{2027}\u{2030}\u{2070}".as_bytes(),
                "\u{2027}\u{2030}\u{2070}",
            ),
            ("é\u{a0}".as_bytes(), "é\u{a0}"),
        ];
        for (bytes, shown) in cases {
            assert_eq!(visible(bytes), *shown, "{bytes:?}");
        }
    }
}
