//! Server-Sent Events, written by hand: the inspector's `/events` and
//! `--watch`'s reload stream. Each event is one chunk (RFC 9112 §7.1) to
//! HTTP/1.1; to HTTP/1.0, which cannot read chunks, the body is ended by
//! the close (RFC 9112 §6.3, rule 8): the head is
//! [`Response::event_stream`](crate::protocol::Response::event_stream).

use std::io::{self, Write};

use crate::protocol::chunked::{chunk_size_line, CHUNK_END};

/// One event: `opening`, then `data_len` bytes from `write_data`, then the
/// blank line that ends it; in a chunk of its own when `chunked`.
pub fn write_event<W: Write>(
    out: &mut W,
    chunked: bool,
    opening: &str,
    data_len: usize,
    write_data: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    const END: &[u8] = b"\n\n";
    if chunked {
        out.write_all(chunk_size_line(opening.len() + data_len + END.len()).as_bytes())?;
    }
    out.write_all(opening.as_bytes())?;
    write_data(out)?;
    out.write_all(END)?;
    if chunked {
        out.write_all(CHUNK_END)?;
    }
    Ok(())
}
