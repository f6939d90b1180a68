//! The framing of a `multipart/byteranges` body (RFC 9110 §14.6; RFC 2046
//! §5.1.1): each part's head, its range, and the closing delimiter, laid
//! out before a byte is sent so that the body's length is known.

use std::fmt::Write;

use crate::protocol::byte_range::ByteRange;

/// One part of a `multipart/byteranges` body: its head, then the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Boundary line and part fields, ending with the empty line.
    pub head: Vec<u8>,
    /// The file bytes that follow.
    pub range: ByteRange,
}

/// The layout of a `multipart/byteranges` body (RFC 9110 §14.6), whose exact
/// length is known before a byte is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    /// The `Content-Type` of the whole response.
    pub content_type: String,
    pub parts: Vec<Part>,
    /// The closing boundary line.
    pub closing: Vec<u8>,
}

impl Multipart {
    /// Lays out `ranges` of a representation of `size` bytes whose type is
    /// `part_type` and content coding `part_coding`, if it has one: the
    /// ranges are of the coded bytes, so each part says so (the multipart
    /// body itself has no coding). `boundary` must not occur in the
    /// representation; a random one does not, in practice.
    pub fn new(
        ranges: &[ByteRange],
        size: u64,
        part_type: &str,
        part_coding: Option<&str>,
        boundary: &str,
    ) -> Multipart {
        let coding = part_coding.map_or_else(String::new, |c| format!("Content-Encoding: {c}\r\n"));
        let parts = ranges
            .iter()
            .enumerate()
            .map(|(i, range)| {
                let mut head = String::new();
                // Every part after the first starts on a new line (the CRLF
                // belongs to the delimiter, RFC 2046 §5.1.1).
                let newline = if i == 0 { "" } else { "\r\n" };
                let _ = write!(
                    head,
                    "{newline}--{boundary}\r\nContent-Type: {part_type}\r\n{coding}Content-Range: {}\r\n\r\n",
                    range.content_range(size)
                );
                Part {
                    head: head.into_bytes(),
                    range: *range,
                }
            })
            .collect();
        Multipart {
            content_type: format!("multipart/byteranges; boundary={boundary}"),
            parts,
            closing: format!("\r\n--{boundary}--\r\n").into_bytes(),
        }
    }

    /// The exact body length, for `Content-Length`: never zero, a
    /// multipart body has at least its closing line.
    pub fn content_length(&self) -> u64 {
        let parts: u64 = self
            .parts
            .iter()
            .map(|part| part.head.len() as u64 + part.range.byte_count())
            .sum();
        parts + self.closing.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    #[test]
    fn multipart_length_is_the_length_of_its_bytes() {
        let layout = Multipart::new(
            &[r(0, 4), r(10, 10)],
            20,
            "text/plain; charset=utf-8",
            None,
            "B0UND",
        );
        let file: Vec<u8> = (b'a'..b'a' + 20).collect();
        let mut body = Vec::new();
        for part in &layout.parts {
            body.extend_from_slice(&part.head);
            body.extend_from_slice(&file[part.range.start as usize..=part.range.end as usize]);
        }
        body.extend_from_slice(&layout.closing);
        assert_eq!(layout.content_length(), body.len() as u64);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "--B0UND\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-4/20\r\n\r\nabcde\
             \r\n--B0UND\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 10-10/20\r\n\r\nk\
             \r\n--B0UND--\r\n"
        );
        assert_eq!(layout.content_type, "multipart/byteranges; boundary=B0UND");
    }
}
