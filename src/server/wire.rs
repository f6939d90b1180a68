//! The wire writer: a response head and its body onto the socket, in as few
//! system calls as the body allows (head and in-memory body in one
//! `writev`, file bodies by [`sys::send_file`]), with every byte handed to a
//! [`Tap`] first when an observer wants the bytes (the capture). Over
//! HTTPS the same bytes go through the TLS session of the [`Link`].

use std::fs::File;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use crate::observe::seam::{reborrow, Delivered, Tap};
use crate::protocol::added::AddedField;
use crate::protocol::multipart::Multipart;
use crate::protocol::response::Stream;
use crate::protocol::{Body, ConnectionField, Response, Source};
use crate::server::link::Link;
use crate::sys;

/// A response about to go out, and what its head needs besides.
pub struct Outgoing<'a> {
    pub response: &'a Response,
    /// The `Connection` field it carries.
    pub connection: ConnectionField,
    /// The request was HEAD: the head as for GET, and no body (RFC 9110 §9.3.2).
    pub is_head_request: bool,
    /// The IMF-fixdate for `Date` (RFC 9110 §5.6.7).
    pub date: &'a str,
    /// The operator's fields (`--header`).
    pub added: &'a [AddedField],
}

/// Writes the head of `outgoing` into `head` by the one head writer
/// ([`Response::write_head`]), then head and body onto `link`: head and
/// an in-memory body in one write, a file body by sendfile(2) from the
/// file's offset, and nothing after the head for a body its sender writes
/// (chunked, close-delimited, or streamed). `head` keeps what was sent, for
/// the observers. With a `tap`, every byte written is also handed to it,
/// and file bodies are copied through memory so that the tap sees them.
///
/// `write_timeout` is how long the writes may go without the socket
/// accepting a byte (see [`sys::WriteProgress`]).
pub fn send(
    link: &mut Link<'_>,
    outgoing: Outgoing<'_>,
    head: &mut Vec<u8>,
    tap: Option<&mut dyn Tap>,
    write_timeout: Duration,
) -> io::Result<Delivered> {
    let Outgoing {
        response,
        connection,
        is_head_request,
        date,
        added,
    } = outgoing;
    head.clear();
    response.write_head(head, connection, date, added);
    let mut out = Out {
        link,
        tap,
        first_write: None,
        progress: sys::WriteProgress::new(write_timeout),
    };
    let body_bytes = if !response.sends_body(is_head_request) {
        out.write_all(head, &[])?;
        0
    } else {
        match &response.body {
            // What follows is the sender's to write.
            Body::Empty | Body::Chunked | Body::UntilClose | Body::Written { .. } => {
                out.write_all(head, &[])?;
                0
            }
            Body::Bytes(bytes) => {
                out.write_all(head, bytes)?;
                bytes.len() as u64
            }
            Body::Shared { bytes, start, len } => {
                out.write_all(head, &bytes[*start..*start + *len])?;
                *len as u64
            }
            Body::File { file, offset, len } => {
                out.write_all(head, &[])?;
                out.send_file(file, *offset, *len)?
            }
            Body::Multipart { source, layout } => {
                out.send_multipart(head, source, layout)?;
                layout.content_length()
            }
            Body::Streamed { len, source } => out.send_streamed(head, source.as_ref(), *len)?,
        }
    };
    Ok(Delivered {
        body_bytes,
        first_write: out.first_write,
        last_write: Instant::now(),
    })
}

impl Out<'_, '_, '_> {
    /// The head, then what `source` writes: `len` bytes, as it announced.
    fn send_streamed(&mut self, head: &[u8], source: &dyn Stream, len: u64) -> io::Result<u64> {
        self.write_all(head, &[])?;
        source.write_to(self)?;
        Ok(len)
    }
}

/// A streamed body's writes go out as any other body's: tapped, with the
/// write timeout.
impl io::Write for Out<'_, '_, '_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes, &[])?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The socket, as [`send`] writes to it.
struct Out<'a, 'l, 't> {
    link: &'a mut Link<'l>,
    tap: Option<&'t mut dyn Tap>,
    first_write: Option<Instant>,
    progress: sys::WriteProgress,
}

impl Out<'_, '_, '_> {
    /// Writes `first` then `second` with as few system calls as the socket
    /// allows (usually one writev), without copying one next to the other.
    fn write_all(&mut self, first: &[u8], second: &[u8]) -> io::Result<()> {
        let stream = match self.link {
            Link::Plain(stream) => *stream,
            #[cfg(feature = "tls")]
            Link::Tls(stream, session) => {
                // One flush for both, so a small response is one write.
                session.send(
                    stream,
                    &[first, second],
                    reborrow(&mut self.tap),
                    &mut self.progress,
                )?;
                self.first_write.get_or_insert_with(Instant::now);
                return Ok(());
            }
        };
        if let Some(tap) = reborrow(&mut self.tap) {
            // Handed over before the write: once written, the client may
            // answer (and another connection be recorded) before this thread
            // runs again, and the capture must keep the order of events.
            tap.sent(&[first, second].concat());
        }
        let mut slices = [io::IoSlice::new(first), io::IoSlice::new(second)];
        let mut remaining: &mut [io::IoSlice<'_>] = &mut slices;
        while remaining.iter().any(|slice| !slice.is_empty()) {
            let written = (&mut &*stream).write_vectored(remaining);
            if let Some(n) = self.progress.judge(written)? {
                self.first_write.get_or_insert_with(Instant::now);
                io::IoSlice::advance_slices(&mut remaining, n);
            }
        }
        Ok(())
    }

    /// A multipart body after `head`: each part's head goes out with
    /// whatever text precedes it, then the part's bytes.
    fn send_multipart(
        &mut self,
        head: &[u8],
        source: &Source,
        layout: &Multipart,
    ) -> io::Result<()> {
        let mut before: &[u8] = head;
        for part in &layout.parts {
            let range = &part.range;
            self.write_all(before, &part.head)?;
            before = &[];
            match source {
                Source::File(file) => {
                    self.send_file(file, range.start, range.byte_count())?;
                }
                Source::Shared(bytes) => {
                    self.write_all(&bytes[range.start as usize..=range.end as usize], &[])?;
                }
            }
        }
        self.write_all(&layout.closing, &[])
    }

    /// Sends `len` bytes of `file` from `offset` (see [`Link::send_file`]).
    fn send_file(&mut self, file: &File, offset: u64, len: u64) -> io::Result<u64> {
        let tap = reborrow(&mut self.tap);
        self.link
            .send_file(file, offset, len, tap, &mut self.progress)?;
        Ok(len)
    }
}

/// The `Date` field value, formatted at most once a second: formatting a
/// date costs more than the rest of a small response's head.
#[derive(Debug, Default)]
pub struct DateCache {
    second: u64,
    text: String,
}

impl DateCache {
    /// The IMF-fixdate of now.
    pub fn now(&mut self) -> &str {
        let now = std::time::SystemTime::now();
        let second = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if second != self.second || self.text.is_empty() {
            self.second = second;
            self.text = httpdate::fmt_http_date(now);
        }
        &self.text
    }
}
