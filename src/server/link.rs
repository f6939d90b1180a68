//! A connection's byte stream: the socket itself, or TLS over it. The
//! connection loop, the wire writer and the reload stream read and write
//! through a [`Link`] and never ask which; the observers see the bytes as
//! they went on the wire either way (TLS records over HTTPS).

use std::fs::File;
use std::io::{self, Write};
use std::net::TcpStream;

use crate::observe::seam::reborrow;
use crate::observe::{ConnectionObserver, Tap};
#[cfg(feature = "tls")]
use crate::server::tls::Session;
use crate::sys;

/// The socket, or the TLS session over it.
pub enum Link<'a> {
    Plain(&'a TcpStream),
    #[cfg(feature = "tls")]
    Tls(&'a TcpStream, Box<Session>),
}

impl Link<'_> {
    /// Reads what the client sent into `buffer`, reporting the bytes as
    /// read from the socket to the observers that want them; 0 at its
    /// close. Waits as long as the socket's read timeout.
    pub fn read(
        &mut self,
        buffer: &mut [u8],
        observer: &mut ConnectionObserver<'_>,
    ) -> io::Result<usize> {
        match self {
            Link::Plain(stream) => {
                let result = sys::read_retrying(stream, buffer);
                if observer.wants_bytes() {
                    match result {
                        Ok(0) => observer.client_closed(),
                        Ok(n) => observer.received(&buffer[..n]),
                        Err(_) => {}
                    }
                }
                result
            }
            #[cfg(feature = "tls")]
            Link::Tls(stream, session) => session.read(stream, buffer, observer),
        }
    }

    /// Writes `bytes` whole, handing what goes on the wire to `tap` first.
    pub fn send(
        &mut self,
        bytes: &[u8],
        tap: Option<&mut dyn Tap>,
        progress: &mut sys::WriteProgress,
    ) -> io::Result<()> {
        match self {
            Link::Plain(stream) => {
                if let Some(tap) = tap {
                    tap.sent(bytes);
                }
                let mut rest = bytes;
                while !rest.is_empty() {
                    if let Some(n) = progress.judge((&mut &**stream).write(rest))? {
                        rest = &rest[n..];
                    }
                }
                Ok(())
            }
            #[cfg(feature = "tls")]
            Link::Tls(stream, session) => session.send(stream, &[bytes], tap, progress),
        }
    }

    /// Sends `len` bytes of `file` from `offset`: inside the kernel by
    /// [`sys::send_file`] when nothing must see or change them on the way,
    /// else through a bounded buffer (the capture's tap, TLS's encryption).
    pub fn send_file(
        &mut self,
        file: &File,
        offset: u64,
        len: u64,
        mut tap: Option<&mut dyn Tap>,
        progress: &mut sys::WriteProgress,
    ) -> io::Result<()> {
        match self {
            Link::Plain(stream) if tap.is_none() => {
                sys::send_file(stream, file, offset, len, progress).map(drop)
            }
            _ => sys::copy_range(file, offset, len, |chunk| {
                self.send(chunk, reborrow(&mut tap), progress)
            }),
        }
    }

    /// Whether bytes the client sent wait, read from the socket but not
    /// yet taken (decrypted ones, over TLS).
    pub fn has_unread(&mut self) -> bool {
        match self {
            Link::Plain(_) => false,
            #[cfg(feature = "tls")]
            Link::Tls(_, session) => session.has_unread(),
        }
    }

    /// Says "no more" the way the link says it before the socket closes:
    /// TLS's close_notify; nothing over plain TCP, whose FIN says it.
    pub fn notify_close(&mut self, observer: &mut ConnectionObserver<'_>) {
        match self {
            Link::Plain(_) => {}
            #[cfg(feature = "tls")]
            Link::Tls(stream, session) => session.notify_close(stream, observer),
        }
        // Read only by TLS: a build without it has nothing to tell.
        let _ = observer;
    }

    /// Whether the client has left a stream it only listens to (the reload
    /// stream): its FIN, or, over TLS, anything at all, which can only be
    /// its close_notify.
    pub fn listener_gone(&self) -> bool {
        match self {
            Link::Plain(stream) => sys::peek(stream) == sys::Peeked::Closed,
            #[cfg(feature = "tls")]
            Link::Tls(stream, _) => sys::peek(stream) != sys::Peeked::Nothing,
        }
    }

    /// Whether this is HTTPS.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Link::Plain(_))
    }
}
