//! The portable path: std alone, for every system that is not Linux, and for
//! Linux built with `--features portable` so the tests cover it here.

use std::fs::File;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;

use std::time::Duration;

use super::copy::copy_range;
use super::entry::Entry;
use super::progress::{send_wait, WriteProgress};
use super::stamp::FileStamp;
#[cfg(unix)]
use super::unix::{lookup_beneath, Handle};
#[cfg(windows)]
use super::windows::{lookup_beneath, Handle};
use super::Peeked;

pub const NAME: &str = "portable";

/// On Unix the walk of `unix::lookup_beneath`, on Windows a lookup by
/// name (see `windows::lookup_beneath`, and the race it names).
pub fn lookup(dir: &Path, handle: &Handle, relative: &Path) -> io::Result<Entry> {
    lookup_beneath(dir, handle, relative)
}

/// No stamp without an open here: the cache revalidates after a lookup.
pub fn stamp(_handle: &Handle, _relative: &Path) -> Option<FileStamp> {
    None
}

/// Sends `len` bytes of `file` from `offset` through memory (see
/// [`copy_range`]); `progress` judges every write.
pub fn send_file(
    stream: &TcpStream,
    file: &File,
    offset: u64,
    len: u64,
    progress: &mut WriteProgress,
) -> io::Result<u64> {
    copy_range(file, offset, len, |mut chunk| {
        while !chunk.is_empty() {
            if let Some(n) = progress.judge((&mut &*stream).write(chunk))? {
                chunk = &chunk[n..];
            }
        }
        Ok(())
    })?;
    Ok(len)
}

/// Nothing on the listener: not every system hands its options on to
/// accepted sockets, so each gets them from [`prepare_accepted`].
pub fn prepare_listener(
    _listener: &TcpListener,
    _read: Duration,
    _write: Duration,
) -> io::Result<()> {
    Ok(())
}

/// TCP_NODELAY (responses are written whole, so Nagle's delay would only
/// add latency) and both timeouts, set on the accepted socket itself.
pub fn prepare_accepted(stream: &TcpStream, read: Duration, write: Duration) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(read))?;
    stream.set_write_timeout(Some(send_wait(write)))
}

/// Wakes the thread blocked in accept() by connecting to the listener: on
/// Windows and macOS, shutting a listening socket down does not wake it.
/// The accepting thread sees the server stopping and drops the connection.
pub fn wake_acceptor(listener: &TcpListener) {
    let Ok(mut addr) = listener.local_addr() else {
        return;
    };
    if addr.ip().is_unspecified() {
        let loopback = match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        addr = SocketAddr::new(loopback, addr.port());
    }
    let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
}

/// Makes a read blocked on `stream` return now. Shutting down only the
/// receiving side does not wake it on Windows; shutting down both sides
/// does (the read fails or sees end-of-file), and costs nothing here: the
/// connection is idle, with no response owed.
pub fn wake_reader(stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// What the client has left on the connection: a peek made non-blocking
/// for the moment (three calls).
pub fn peek(stream: &TcpStream) -> Peeked {
    if stream.set_nonblocking(true).is_err() {
        return Peeked::Nothing;
    }
    let mut byte = [0u8; 1];
    let peeked = match stream.peek(&mut byte) {
        Ok(0) => Peeked::Closed,
        Ok(_) => Peeked::Unread,
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            Peeked::Nothing
        }
        Err(_) => Peeked::Closed,
    };
    let _ = stream.set_nonblocking(false);
    peeked
}
