//! Request body framing (RFC 9112 §6–§7). This server never uses a request
//! body, but it must find where one ends, or the next request on the
//! connection would be read out of the middle of it (request smuggling).
//!
//! [`framing`] decides from the head how the body is delimited, refusing
//! every ambiguous combination; a [`BodyReader`] holds how far a body has
//! come, whatever its framing, so a connection reads one by a single call
//! per arrival (a chunked body through [`ChunkedDecoder`]). Neither does I/O.

use crate::protocol::chunked::{ChunkedDecoder, ChunkedError};
use crate::protocol::fields::{list_items, parse_decimal, trim_ows};
use crate::protocol::request::{HttpVersion, Request};
use crate::protocol::status::Status;

/// Largest request body read (and thrown away) before answering 413.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

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

impl FramingError {
    /// The status the client is told.
    pub fn status(self) -> Status {
        match self {
            FramingError::TooLarge => Status::ContentTooLarge,
            _ => Status::BadRequest,
        }
    }
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

/// A request body being read, whatever its framing: the bytes a declared
/// length still owes, or where a chunked body's decoder stands.
#[derive(Debug, Clone)]
pub struct BodyReader {
    left: Left,
}

#[derive(Debug, Clone)]
enum Left {
    Length(u64),
    Chunked(ChunkedDecoder),
}

impl BodyReader {
    /// A reader of the body `framing` delimits, taking at most `limit` bytes
    /// of a chunked body's data (a declared length was checked by
    /// [`framing_within`]).
    pub fn new(framing: Framing, limit: u64) -> BodyReader {
        let left = match framing {
            Framing::None => Left::Length(0),
            Framing::Length(n) => Left::Length(n),
            Framing::Chunked => Left::Chunked(ChunkedDecoder::with_limit(limit)),
        };
        BodyReader { left }
    }

    /// Takes the body's bytes from the start of `input`, handing its data
    /// (a chunked body's without the framing) to `data`; returns how many
    /// bytes of `input` belonged to the body. When [`BodyReader::is_done`]
    /// afterwards, the rest of `input` is the next request.
    pub fn read(
        &mut self,
        input: &[u8],
        mut data: impl FnMut(&[u8]),
    ) -> Result<usize, ChunkedError> {
        match &mut self.left {
            Left::Length(left) => {
                let used = input
                    .len()
                    .min(usize::try_from(*left).unwrap_or(usize::MAX));
                data(&input[..used]);
                *left -= used as u64;
                Ok(used)
            }
            Left::Chunked(decoder) => decoder.consume_data(input, data),
        }
    }

    /// Whether the whole body has been read.
    pub fn is_done(&self) -> bool {
        match &self.left {
            Left::Length(left) => *left == 0,
            Left::Chunked(decoder) => decoder.is_done(),
        }
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

    #[test]
    fn a_body_reader_stops_at_the_bodys_end_whatever_its_framing() {
        // framing, bytes arriving (in these pieces), data handed on, bytes
        // of the input that were the body's, done
        type Case<'a> = (Framing, &'a [&'a [u8]], &'a [u8], usize, bool);
        let cases: [Case; 6] = [
            (Framing::None, &[b"GET /next"], b"", 0, true),
            (Framing::Length(5), &[b"hel", b"loGET"], b"hello", 5, true),
            (Framing::Length(5), &[b"hell"], b"hell", 4, false),
            (
                Framing::Chunked,
                &[b"3\r\nhel\r\n2\r", b"\nlo\r\n0\r\n\r\nGET"],
                b"hello",
                20,
                true,
            ),
            (Framing::Chunked, &[b"5\r\nhel"], b"hel", 6, false),
            (Framing::Length(0), &[b"x"], b"", 0, true),
        ];
        for (framing, pieces, data, used, done) in cases {
            let mut reader = BodyReader::new(framing, MAX_BODY_BYTES);
            let (mut seen, mut total) = (Vec::new(), 0);
            for piece in pieces {
                total += reader.read(piece, |d| seen.extend_from_slice(d)).unwrap();
            }
            assert_eq!(seen, data, "{framing:?}");
            assert_eq!(total, used, "{framing:?}");
            assert_eq!(reader.is_done(), done, "{framing:?}");
        }
        let mut small = BodyReader::new(Framing::Chunked, 2);
        assert_eq!(
            small.read(b"3\r\nabc\r\n", |_| {}),
            Err(ChunkedError::TooLarge)
        );
    }
}
