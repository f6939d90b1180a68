//! Client bytes made safe to print: every value a client sent that reaches
//! stderr (the trace's explanations, error lines) goes through [`visible`],
//! so that no request can move a terminal's cursor, clear its screen or set
//! its title. C0 controls, DEL and the C1 controls U+0080–U+009F (CSI, OSC,
//! ST, which VTE terminals act on when UTF-8 encoded) are written as
//! `\xNN`, as are bytes that are not UTF-8; other text, Chinese file names
//! included, is shown as it is.

use std::fmt::Write;

/// `bytes` with every control character and every byte that is not UTF-8
/// written as `\xNN`.
pub fn visible(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                let mut encoded = [0u8; 4];
                for byte in c.encode_utf8(&mut encoded).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
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
            ("é\u{a0}".as_bytes(), "é\u{a0}"),
        ];
        for (bytes, shown) in cases {
            assert_eq!(visible(bytes), *shown, "{bytes:?}");
        }
    }
}
