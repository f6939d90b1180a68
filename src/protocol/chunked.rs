//! The chunked transfer coding (RFC 9112 §7.1), both ways: each chunk is
//! its size in hexadecimal, CRLF, the bytes, CRLF; a chunk of size zero and
//! a trailer section end the content. The server writes it to frame a
//! response whose length is not known when its head is sent (an event
//! stream), and [`ChunkedDecoder`] reads it byte-exactly from a request, so
//! the bytes after a chunked body stay for the next request. No I/O.

use crate::protocol::fields::is_tchar;
use crate::protocol::status::Status;
use crate::protocol::words::{phrase, Phrase};

/// Longest chunk extension accepted on one chunk-size line.
pub const MAX_CHUNK_EXTENSION_BYTES: usize = 4 * 1024;
/// Largest trailer section accepted after the last chunk.
pub const MAX_TRAILER_BYTES: usize = 16 * 1024;

/// The last chunk and an empty trailer section: the end of the content.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// What ends every chunk's data.
pub const CHUNK_END: &[u8] = b"\r\n";

/// The line that opens a chunk of `len` bytes (not 0: that is the last
/// chunk), for a sender that writes the data itself.
pub fn chunk_size_line(len: usize) -> String {
    format!("{len:X}\r\n")
}

/// A chunked body's fault, in both languages.
pub const NOT_HEX: Phrase = phrase("chunk size is not hex", "块大小不是十六进制数");
/// A chunked body's fault, in both languages.
pub const AFTER_SIZE: Phrase = phrase("invalid byte after chunk size", "块大小之后有无效字节");
/// A chunked body's fault, in both languages.
pub const SIZE_LINE_END: Phrase = phrase(
    "chunk size line not ended by CRLF",
    "块大小行不是以 CRLF 结束",
);
/// A chunked body's fault, in both languages.
pub const TRAILER_CONTROL: Phrase = phrase(
    "control character in trailer section",
    "尾部字段中有控制字符",
);
/// A chunked body's fault, in both languages.
pub const TRAILER_LINE_END: Phrase = phrase(
    "trailer line not ended by CRLF",
    "尾部字段行不是以 CRLF 结束",
);
/// A chunked body's fault, in both languages.
pub const BAD_EXTENSION: Phrase = phrase("invalid chunk extension", "块扩展无效");
/// A chunked body's fault, in both languages.
pub const DATA_END: Phrase = phrase("chunk data not followed by CRLF", "块数据之后没有 CRLF");

/// Why a chunked body is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkedError {
    /// A chunk size that is not hexadecimal, or a line ending that is not CRLF.
    Malformed(Phrase),
    /// A chunk size that does not fit in 64 bits.
    SizeOverflow,
    /// The body's data exceeds the decoder's limit.
    TooLarge,
    /// A chunk extension or trailer section past its limit.
    MetadataTooLarge,
}

impl ChunkedError {
    /// The status the client is told.
    pub fn status(self) -> Status {
        match self {
            ChunkedError::TooLarge => Status::ContentTooLarge,
            _ => Status::BadRequest,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the hex digits of a chunk size; `digits` seen so far.
    Size {
        size: u64,
        digits: usize,
    },
    /// Whitespace after the size, before a `;` extension (BWS).
    SizeSpace {
        size: u64,
    },
    /// Inside a chunk extension, at `part` of its grammar, `seen` bytes in.
    Extension {
        size: u64,
        seen: usize,
        part: ExtensionPart,
    },
    /// Expecting the LF that ends the chunk-size line.
    SizeLf {
        size: u64,
    },
    /// Inside chunk data.
    Data {
        remaining: u64,
    },
    /// Expecting the CR, then the LF, after chunk data.
    DataCr,
    DataLf,
    /// At the start of a trailer line, or of the final empty line.
    TrailerStart,
    /// Inside a trailer field line.
    TrailerLine,
    /// Expecting the LF of a trailer line, or of the final empty line.
    TrailerLf,
    FinalLf,
    /// The body is complete.
    Done,
}

/// A chunked-body reader that consumes bytes as they arrive and stops
/// exactly at the body's end, so bytes after it stay for the next request.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    data_bytes: u64,
    trailer_bytes: usize,
    /// The most data bytes accepted: the body limit of the request, which
    /// the caller chooses (`protocol::body::MAX_BODY_BYTES`, or the sink's).
    limit: u64,
}

impl ChunkedDecoder {
    /// A decoder that accepts up to `limit` bytes of data.
    pub fn with_limit(limit: u64) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0 },
            data_bytes: 0,
            trailer_bytes: 0,
            limit,
        }
    }

    /// Consumes bytes of the body from `input`; returns how many belonged to
    /// it. When [`ChunkedDecoder::is_done`] afterwards, the rest of `input`
    /// is the next request.
    pub fn consume(&mut self, input: &[u8]) -> Result<usize, ChunkedError> {
        self.consume_data(input, |_| {})
    }

    /// As [`ChunkedDecoder::consume`], handing each piece of the data (the
    /// chunks' contents, without their framing) to `data`.
    pub fn consume_data(
        &mut self,
        input: &[u8],
        mut data: impl FnMut(&[u8]),
    ) -> Result<usize, ChunkedError> {
        let mut used = 0;
        while used < input.len() && self.state != State::Done {
            if let State::Data { remaining } = self.state {
                // Data in bulk rather than byte by byte.
                let take = remaining.min((input.len() - used) as u64);
                data(&input[used..used + take as usize]);
                used += take as usize;
                self.state = if take == remaining {
                    State::DataCr
                } else {
                    State::Data {
                        remaining: remaining - take,
                    }
                };
                continue;
            }
            self.step(input[used])?;
            used += 1;
        }
        Ok(used)
    }

    /// Whether the whole body, trailers included, has been consumed.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    fn step(&mut self, byte: u8) -> Result<(), ChunkedError> {
        self.state = match self.state {
            State::Size { .. }
            | State::SizeSpace { .. }
            | State::Extension { .. }
            | State::SizeLf { .. } => self.step_size_line(byte)?,
            State::DataCr | State::DataLf => step_data_end(self.state, byte)?,
            State::TrailerStart | State::TrailerLine | State::TrailerLf | State::FinalLf => {
                self.step_trailer(byte)?
            }
            State::Data { .. } | State::Done => self.state,
        };
        Ok(())
    }

    /// `chunk-size [ chunk-ext ] CRLF` (RFC 9112 §7.1, §7.1.1).
    fn step_size_line(&mut self, byte: u8) -> Result<State, ChunkedError> {
        use ChunkedError::Malformed;
        Ok(match (self.state, byte) {
            (State::Size { size, digits }, b) if b.is_ascii_hexdigit() => {
                let digit = u64::from((b as char).to_digit(16).unwrap_or(0));
                let size = size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(digit))
                    .ok_or(ChunkedError::SizeOverflow)?;
                State::Size {
                    size,
                    digits: digits + 1,
                }
            }
            (State::Size { digits: 0, .. }, _) => return Err(Malformed(NOT_HEX)),
            (State::Size { size, .. } | State::SizeSpace { size }, b' ' | b'\t') => {
                State::SizeSpace { size }
            }
            (State::Size { size, .. } | State::SizeSpace { size }, b';') => State::Extension {
                size,
                seen: 0,
                part: ExtensionPart::BeforeName,
            },
            (State::Size { size, .. }, b'\r') => State::SizeLf { size },
            (State::Size { .. } | State::SizeSpace { .. }, _) => return Err(Malformed(AFTER_SIZE)),
            (State::Extension { size, seen, part }, b) => {
                if seen >= MAX_CHUNK_EXTENSION_BYTES {
                    return Err(ChunkedError::MetadataTooLarge);
                }
                match part.next(b)? {
                    Some(part) => State::Extension {
                        size,
                        seen: seen + 1,
                        part,
                    },
                    None => State::SizeLf { size },
                }
            }
            (State::SizeLf { size: 0 }, b'\n') => State::TrailerStart,
            (State::SizeLf { size }, b'\n') => {
                self.data_bytes = self.data_bytes.saturating_add(size);
                if self.data_bytes > self.limit {
                    return Err(ChunkedError::TooLarge);
                }
                State::Data { remaining: size }
            }
            (State::SizeLf { .. }, _) => return Err(Malformed(SIZE_LINE_END)),
            (other, _) => other,
        })
    }

    /// `trailer-section CRLF` after the last chunk (RFC 9112 §7.1.2).
    fn step_trailer(&mut self, byte: u8) -> Result<State, ChunkedError> {
        use ChunkedError::Malformed;
        Ok(match (self.state, byte) {
            (State::TrailerStart, b'\r') => State::FinalLf,
            (State::FinalLf, b'\n') => State::Done,
            (State::TrailerLine, b'\r') => State::TrailerLf,
            (State::TrailerStart | State::TrailerLine, b) if is_control(b) && b != b'\t' => {
                return Err(Malformed(TRAILER_CONTROL))
            }
            (State::TrailerStart | State::TrailerLine, _) => {
                self.trailer_bytes += 1;
                if self.trailer_bytes > MAX_TRAILER_BYTES {
                    return Err(ChunkedError::MetadataTooLarge);
                }
                State::TrailerLine
            }
            (State::TrailerLf, b'\n') => State::TrailerStart,
            (State::TrailerLf | State::FinalLf, _) => return Err(Malformed(TRAILER_LINE_END)),
            (other, _) => other,
        })
    }
}

/// Where a chunk extension is in its grammar (RFC 9112 §7.1.1):
/// `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`, where a
/// name is a token and a value a token or a quoted-string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExtensionPart {
    /// After `;`: a name must come.
    BeforeName,
    Name,
    /// Whitespace after a name.
    AfterName,
    /// After `=`: a value must come.
    BeforeValue,
    Token,
    Quoted,
    /// After a backslash in a quoted-string.
    QuotedEscape,
    /// Whitespace after a value.
    AfterValue,
}

impl ExtensionPart {
    /// The part after `byte`, or `None` at the CR that ends the line.
    fn next(self, byte: u8) -> Result<Option<ExtensionPart>, ChunkedError> {
        use ExtensionPart::*;
        let is_space = byte == b' ' || byte == b'\t';
        let next = match (self, byte) {
            (BeforeName | BeforeValue | AfterName | AfterValue, _) if is_space => self,
            (Name | Token, _) if is_space => {
                if self == Name {
                    AfterName
                } else {
                    AfterValue
                }
            }
            (BeforeName | Name, b) if is_tchar(b) => Name,
            (BeforeValue | Token, b) if is_tchar(b) => Token,
            (BeforeValue, b'"') => Quoted,
            (Name | AfterName | Token | AfterValue, b';') => BeforeName,
            (Name | AfterName, b'=') => BeforeValue,
            (Name | AfterName | Token | AfterValue, b'\r') => return Ok(None),
            (Quoted, b'"') => AfterValue,
            (Quoted, b'\\') => QuotedEscape,
            // qdtext, and what a backslash may quote: HTAB, SP, VCHAR, obs-text.
            (Quoted, b) if b != 0x7f && (b >= 0x20 || b == b'\t') => Quoted,
            (QuotedEscape, b) if b != 0x7f && (b >= 0x20 || b == b'\t') => Quoted,
            _ => return Err(ChunkedError::Malformed(BAD_EXTENSION)),
        };
        Ok(Some(next))
    }
}

/// The CRLF that ends a chunk's data.
fn step_data_end(state: State, byte: u8) -> Result<State, ChunkedError> {
    match (state, byte) {
        (State::DataCr, b'\r') => Ok(State::DataLf),
        (State::DataLf, b'\n') => Ok(State::Size { size: 0, digits: 0 }),
        _ => Err(ChunkedError::Malformed(DATA_END)),
    }
}

/// CTLs (RFC 5234 §B.1), with bare CR and LF among them.
fn is_control(byte: u8) -> bool {
    byte < 0x20 || byte == 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limit the server reads other requests' bodies under
    /// (`body::MAX_BODY_BYTES`).
    const LIMIT: u64 = 1024 * 1024;

    /// `data` as one chunk, as a sender frames it with [`chunk_size_line`]
    /// and [`CHUNK_END`]. Empty data would read as the last chunk, so it
    /// gives no bytes at all.
    fn chunk(data: &[u8]) -> Vec<u8> {
        if data.is_empty() {
            return Vec::new();
        }
        let mut out = chunk_size_line(data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(CHUNK_END);
        out
    }

    #[test]
    fn chunks_table() {
        let cases: [(&[u8], &[u8]); 4] = [
            (b"", b""),
            (b"a", b"1\r\na\r\n"),
            (b"data: {}\n\n", b"A\r\ndata: {}\n\n\r\n"),
            (&[b'x'; 300], b"12C\r\n"),
        ];
        for (data, starts) in cases {
            assert!(chunk(data).starts_with(starts), "{data:?}");
        }
        assert_eq!(chunk(&[b'x'; 300]).len(), 5 + 300 + 2);
    }

    #[test]
    fn what_is_written_is_what_the_decoder_reads() {
        // The server's own decoder of request bodies reads the same coding.
        let mut body = Vec::new();
        for part in [&b"first"[..], b"", b"second part", &[b'z'; 4096]] {
            body.extend(chunk(part));
        }
        body.extend_from_slice(LAST_CHUNK);
        let mut decoder = ChunkedDecoder::with_limit(LIMIT);
        assert_eq!(decoder.consume(&body).unwrap(), body.len());
        assert!(decoder.is_done());
    }

    /// Feeds `body` whole and then a byte at a time; both must agree.
    fn decode(body: &[u8]) -> Result<(usize, bool), ChunkedError> {
        let mut whole = ChunkedDecoder::with_limit(LIMIT);
        let result = whole.consume(body).map(|used| (used, whole.is_done()));
        let mut dribbled = ChunkedDecoder::with_limit(LIMIT);
        let mut used = 0;
        let mut dribble_result = Ok(());
        for byte in body {
            if dribbled.is_done() {
                break;
            }
            match dribbled.consume(std::slice::from_ref(byte)) {
                Ok(n) => used += n,
                Err(error) => {
                    dribble_result = Err(error);
                    break;
                }
            }
        }
        let dribbled = dribble_result.map(|()| (used, dribbled.is_done()));
        assert_eq!(result, dribbled, "whole and dribbled disagree on {body:?}");
        result
    }

    #[test]
    fn chunked_table() {
        use ChunkedError::*;
        let too_big = format!("{:x}\r\n", LIMIT + 1);
        let long_extension = format!("1;{}\r\n", "e".repeat(MAX_CHUNK_EXTENSION_BYTES + 1));
        type Expected = Result<(usize, bool), ChunkedError>;
        let cases: &[(&str, &[u8], Expected)] = &[
            // Garbage first.
            ("not hex", b"zz\r\n", Err(Malformed(NOT_HEX))),
            ("empty size", b"\r\n", Err(Malformed(NOT_HEX))),
            ("negative", b"-1\r\n", Err(Malformed(NOT_HEX))),
            ("0x prefix", b"0x5\r\n", Err(Malformed(AFTER_SIZE))),
            ("overflow", b"10000000000000000\r\n", Err(SizeOverflow)),
            (
                "bare LF after size",
                b"5\nhello\r\n0\r\n\r\n",
                Err(Malformed(AFTER_SIZE)),
            ),
            (
                "bare CR after size",
                b"5\rhello",
                Err(Malformed(SIZE_LINE_END)),
            ),
            ("data overruns", b"3\r\nhello\r\n", Err(Malformed(DATA_END))),
            (
                "bare LF after data",
                b"5\r\nhello\n0\r\n\r\n",
                Err(Malformed(DATA_END)),
            ),
            ("space in size", b"5 5\r\n", Err(Malformed(AFTER_SIZE))),
            ("too large", too_big.as_bytes(), Err(TooLarge)),
            (
                "extension too long",
                long_extension.as_bytes(),
                Err(MetadataTooLarge),
            ),
            (
                "NUL in extension",
                b"1;a\0\r\n",
                Err(Malformed(BAD_EXTENSION)),
            ),
            ("bare ;", b"1;\r\n", Err(Malformed(BAD_EXTENSION))),
            ("no name", b"1;=b\r\n", Err(Malformed(BAD_EXTENSION))),
            ("no value", b"1;a=\r\n", Err(Malformed(BAD_EXTENSION))),
            (
                "space in a name",
                b"1;a b\r\n",
                Err(Malformed(BAD_EXTENSION)),
            ),
            (
                "unclosed quote",
                b"1;a=\"b\r\n",
                Err(Malformed(BAD_EXTENSION)),
            ),
            ("trailing ;", b"1;a;\r\n", Err(Malformed(BAD_EXTENSION))),
            (
                "bare LF in trailer",
                b"0\r\nX: y\n\r\n",
                Err(Malformed(TRAILER_CONTROL)),
            ),
            // Then valid bodies.
            ("empty body", b"0\r\n\r\n", Ok((5, true))),
            ("one chunk", b"5\r\nhello\r\n0\r\n\r\n", Ok((15, true))),
            (
                "two chunks",
                b"5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n",
                Ok((21, true)),
            ),
            ("upper hex", b"A\r\n0123456789\r\n0\r\n\r\n", Ok((20, true))),
            ("extension name", b"1;a\r\nx\r\n0\r\n\r\n", Ok((13, true))),
            (
                "extensions with values and spaces",
                b"1 ; a = b ;c=\"q \\\" ;\"\r\nx\r\n0\r\n\r\n",
                Ok((31, true)),
            ),
            (
                "leading zeros",
                b"0005\r\nhello\r\n0\r\n\r\n",
                Ok((18, true)),
            ),
            (
                "extension",
                b"5;name=value\r\nhello\r\n0\r\n\r\n",
                Ok((26, true)),
            ),
            ("trailer", b"0\r\nX-Sum: 1\r\n\r\n", Ok((15, true))),
            (
                "stops at body end",
                b"0\r\n\r\nGET / HTTP/1.1\r\n",
                Ok((5, true)),
            ),
            ("incomplete", b"5\r\nhel", Ok((6, false))),
            // And the lax form the grammar allows: BWS before an extension.
            (
                "space before extension",
                b"5 ;x\r\nhello\r\n0\r\n\r\n",
                Ok((18, true)),
            ),
        ];
        for (name, body, expected) in cases {
            assert_eq!(
                &decode(body),
                expected,
                "{name}: {:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
