//! Request body framing (RFC 9112 §6–§7). This server never uses a request
//! body, but it must find where one ends, or the next request on the
//! connection would be read out of the middle of it (request smuggling).
//!
//! [`framing`] decides from the head how the body is delimited, refusing
//! every ambiguous combination; [`ChunkedDecoder`] walks a chunked body
//! byte-exactly. Neither does I/O.

use std::sync::OnceLock;

use crate::protocol::fields::{
    is_tchar, list_items, parse_decimal, quoting_limit, size_in_words, trim_ows,
};
use crate::protocol::request::{HttpVersion, Request};
use crate::protocol::status::Status;
use crate::protocol::words::{phrase, Phrase};

/// Largest request body read (and thrown away) before answering 413.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Longest chunk extension accepted on one chunk-size line.
pub const MAX_CHUNK_EXTENSION_BYTES: usize = 4 * 1024;
/// Largest trailer section accepted after the last chunk.
pub const MAX_TRAILER_BYTES: usize = 16 * 1024;

/// How the request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: neither Content-Length nor Transfer-Encoding.
    None,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// A chunked body follows (RFC 9112 §7.1).
    Chunked,
}

/// Why a body cannot be framed. Every one of these ends the connection: once
/// the framing is in doubt, no later byte can be trusted to start a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramingError {
    /// Both Content-Length and Transfer-Encoding (RFC 9112 §6.3 point 3).
    LengthAndTransferEncoding,
    /// A Content-Length that is not plain decimal, or repeats that differ.
    InvalidContentLength,
    /// A transfer coding other than exactly `chunked`.
    UnsupportedTransferCoding,
    /// Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1).
    TransferEncodingInHttp10,
    /// The declared length exceeds [`MAX_BODY_BYTES`].
    TooLarge,
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

impl FramingError {
    /// The status the client is told.
    pub fn status(self) -> Status {
        match self {
            FramingError::TooLarge => Status::ContentTooLarge,
            _ => Status::BadRequest,
        }
    }

    /// A short explanation, in both languages, for the log and the trace.
    pub fn describe(self) -> Phrase {
        match self {
            FramingError::LengthAndTransferEncoding => phrase(
                "both Content-Length and Transfer-Encoding",
                "同时有 Content-Length 和 Transfer-Encoding",
            ),
            FramingError::InvalidContentLength => {
                phrase("invalid Content-Length", "Content-Length 无效")
            }
            FramingError::UnsupportedTransferCoding => {
                phrase("transfer coding other than chunked", "传输编码不是 chunked")
            }
            FramingError::TransferEncodingInHttp10 => phrase(
                "Transfer-Encoding in an HTTP/1.0 request",
                "HTTP/1.0 请求中出现 Transfer-Encoding",
            ),
            FramingError::TooLarge => body_too_large(),
        }
    }
}

/// The explanation for a body over [`MAX_BODY_BYTES`], however it is framed.
fn body_too_large() -> Phrase {
    static TEXT: OnceLock<(String, String)> = OnceLock::new();
    quoting_limit(&TEXT, || {
        let limit = size_in_words(MAX_BODY_BYTES);
        (
            format!("request body larger than {limit}"),
            format!("请求体超过 {limit}"),
        )
    })
}

/// Decides how the body of `request` is framed (RFC 9112 §6.3).
pub fn framing(request: &Request) -> Result<Framing, FramingError> {
    framing_within(request, MAX_BODY_BYTES)
}

/// As [`framing`], for a body of up to `limit` bytes: the upload sink reads
/// larger bodies than any other request may send.
pub fn framing_within(request: &Request, limit: u64) -> Result<Framing, FramingError> {
    let mut codings = request.field_values("transfer-encoding").peekable();
    let has_transfer_encoding = codings.peek().is_some();
    let length = content_length(request)?;

    if has_transfer_encoding {
        if length.is_some() {
            return Err(FramingError::LengthAndTransferEncoding);
        }
        if request.version == HttpVersion::Http10 {
            return Err(FramingError::TransferEncodingInHttp10);
        }
        // Only `chunked`, once: any other coding would have to be decoded to
        // find the body's end, and this server implements none.
        let mut items = codings.flat_map(list_items);
        let only_chunked = matches!(items.next(), Some(c) if c.eq_ignore_ascii_case(b"chunked"))
            && items.next().is_none();
        return if only_chunked {
            Ok(Framing::Chunked)
        } else {
            Err(FramingError::UnsupportedTransferCoding)
        };
    }
    match length {
        None | Some(0) => Ok(Framing::None),
        Some(n) if n > limit => Err(FramingError::TooLarge),
        Some(n) => Ok(Framing::Length(n)),
    }
}

/// The Content-Length, if any. Repeats (as fields or as a list) are accepted
/// only when every value is the same plain decimal (RFC 9110 §8.6).
fn content_length(request: &Request) -> Result<Option<u64>, FramingError> {
    let mut length = None;
    for value in request.field_values("content-length") {
        for item in value.split(|&b| b == b',').map(trim_ows) {
            let n = parse_decimal(item).map_err(|_| FramingError::InvalidContentLength)?;
            if length.is_some_and(|seen| seen != n) {
                return Err(FramingError::InvalidContentLength);
            }
            length = Some(n);
        }
    }
    Ok(length)
}

/// Why a chunked body is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkedError {
    /// A chunk size that is not hexadecimal, or a line ending that is not CRLF.
    Malformed(Phrase),
    /// A chunk size that does not fit in 64 bits.
    SizeOverflow,
    /// The body's data exceeds [`MAX_BODY_BYTES`].
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

    /// A short explanation, in both languages, for the log and the trace.
    pub fn describe(self) -> Phrase {
        match self {
            ChunkedError::Malformed(why) => why,
            ChunkedError::SizeOverflow => phrase("chunk size overflows", "块大小溢出"),
            ChunkedError::TooLarge => body_too_large(),
            ChunkedError::MetadataTooLarge => phrase(
                "chunk extension or trailers too large",
                "块扩展或尾部字段太大",
            ),
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
    /// The most data bytes accepted: [`MAX_BODY_BYTES`] unless the caller
    /// reads (and bounds) the data itself.
    limit: u64,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0 },
            data_bytes: 0,
            trailer_bytes: 0,
            limit: MAX_BODY_BYTES,
        }
    }
}

impl ChunkedDecoder {
    /// A decoder that accepts up to `limit` bytes of data.
    pub fn with_limit(limit: u64) -> ChunkedDecoder {
        ChunkedDecoder {
            limit,
            ..ChunkedDecoder::default()
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
    use crate::protocol::request::parse_head;

    fn framing_of(fields: &str, version: &str) -> Result<Framing, FramingError> {
        let head = format!("POST / {version}\r\nHost: a\r\n{fields}\r\n");
        let (request, _) = parse_head(head.as_bytes()).unwrap().unwrap();
        framing(&request)
    }

    #[test]
    fn framing_table() {
        use FramingError::*;
        let cases: &[(&str, &str, Result<Framing, FramingError>)] = &[
            // Refused first.
            (
                "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                "HTTP/1.1",
                Err(LengthAndTransferEncoding),
            ),
            (
                "Content-Length: +5\r\n",
                "HTTP/1.1",
                Err(InvalidContentLength),
            ),
            (
                "Content-Length: 0x5\r\n",
                "HTTP/1.1",
                Err(InvalidContentLength),
            ),
            (
                "Content-Length: 5 5\r\n",
                "HTTP/1.1",
                Err(InvalidContentLength),
            ),
            (
                "Content-Length: \r\n",
                "HTTP/1.1",
                Err(InvalidContentLength),
            ),
            (
                "Content-Length: 99999999999999999999999\r\n",
                "HTTP/1.1",
                Err(InvalidContentLength),
            ),
            (
                "Content-Length: 5\r\nContent-Length: 6\r\n",
                "HTTP/1.1",
                Err(InvalidContentLength),
            ),
            (
                "Content-Length: 5, 6\r\n",
                "HTTP/1.1",
                Err(InvalidContentLength),
            ),
            ("Content-Length: 1048577\r\n", "HTTP/1.1", Err(TooLarge)),
            (
                "Transfer-Encoding: gzip\r\n",
                "HTTP/1.1",
                Err(UnsupportedTransferCoding),
            ),
            (
                "Transfer-Encoding: chunked, gzip\r\n",
                "HTTP/1.1",
                Err(UnsupportedTransferCoding),
            ),
            (
                "Transfer-Encoding: gzip, chunked\r\n",
                "HTTP/1.1",
                Err(UnsupportedTransferCoding),
            ),
            (
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                "HTTP/1.1",
                Err(UnsupportedTransferCoding),
            ),
            (
                "Transfer-Encoding: chunked\r\n",
                "HTTP/1.0",
                Err(TransferEncodingInHttp10),
            ),
            // Then the valid forms.
            ("", "HTTP/1.1", Ok(Framing::None)),
            ("Content-Length: 0\r\n", "HTTP/1.1", Ok(Framing::None)),
            ("Content-Length: 5\r\n", "HTTP/1.1", Ok(Framing::Length(5))),
            (
                "Content-Length: 1048576\r\n",
                "HTTP/1.0",
                Ok(Framing::Length(1048576)),
            ),
            (
                "Transfer-Encoding: chunked\r\n",
                "HTTP/1.1",
                Ok(Framing::Chunked),
            ),
            (
                "Transfer-Encoding: CHUNKED\r\n",
                "HTTP/1.1",
                Ok(Framing::Chunked),
            ),
            // And the lax forms RFC 9110 §8.6 allows a recipient to accept.
            (
                "Content-Length: 5\r\nContent-Length: 5\r\n",
                "HTTP/1.1",
                Ok(Framing::Length(5)),
            ),
            (
                "Content-Length: 5, 5\r\n",
                "HTTP/1.1",
                Ok(Framing::Length(5)),
            ),
        ];
        for (fields, version, expected) in cases {
            assert_eq!(
                &framing_of(fields, version),
                expected,
                "{version} {fields:?}"
            );
        }
    }

    /// Feeds `body` whole and then a byte at a time; both must agree.
    fn decode(body: &[u8]) -> Result<(usize, bool), ChunkedError> {
        let mut whole = ChunkedDecoder::default();
        let result = whole.consume(body).map(|used| (used, whole.is_done()));
        let mut dribbled = ChunkedDecoder::default();
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
        let too_big = format!("{:x}\r\n", MAX_BODY_BYTES + 1);
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
