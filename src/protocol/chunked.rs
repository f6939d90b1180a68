//! The chunked transfer coding, as a sender writes it (RFC 9112 §7.1): each
//! chunk is its size in hexadecimal, CRLF, the bytes, CRLF; a chunk of size
//! zero and an empty trailer section end the content. It frames a response
//! whose length is not known when its head is sent, such as an event stream.

/// The last chunk and an empty trailer section: the end of the content.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// What ends every chunk's data.
pub const CHUNK_END: &[u8] = b"\r\n";

/// The line that opens a chunk of `len` bytes (not 0: that is the last
/// chunk), for a sender that writes the data itself.
pub fn chunk_size_line(len: usize) -> String {
    format!("{len:X}\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::body::ChunkedDecoder;

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
        let mut decoder = ChunkedDecoder::default();
        assert_eq!(decoder.consume(&body).unwrap(), body.len());
        assert!(decoder.is_done());
    }
}
