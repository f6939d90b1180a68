//! The Linux fast path: the kernel confines lookups beneath the root, sends
//! file bodies itself, and hands accepted sockets the listener's options.

use std::fs::File;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::Path;

use rustix::fs::{openat2, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use std::time::Duration;

use super::copy::file_shrank;
use super::entry::Entry;
use super::progress::{send_wait, WriteProgress};
use super::stamp::FileStamp;
use super::unix::{entry_of, lookup_beneath, modified_of, FileIdentity, Handle};
use super::Peeked;

pub const NAME: &str = "linux (openat2, sendfile)";

/// One openat2(2) with RESOLVE_BENEATH: every step of the resolution,
/// symlinks included, stays beneath the root, or the call fails. O_NONBLOCK
/// keeps a FIFO from blocking the open; it changes nothing for regular files.
pub fn lookup(dir: &Path, handle: &Handle, relative: &Path) -> io::Result<Entry> {
    let opened = openat2(
        handle.directory(),
        relative,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
    );
    let file = match opened {
        Ok(fd) => File::from(fd),
        // EXDEV: an absolute symlink, or one through "..", which may still
        // land inside the root; ENOSYS or EPERM: a kernel or sandbox
        // without openat2. The walk decides those, as safely.
        Err(Errno::XDEV | Errno::NOSYS | Errno::PERM) => {
            return lookup_beneath(dir, handle, relative)
        }
        Err(errno) => return Err(errno.into()),
    };
    entry_of(file)
}

/// The stamp of what `relative` names beneath the root, by one `stat` and
/// no open. It follows symlinks wherever they lead, so it may only be
/// compared with the stamp of a file that was opened beneath the root (the
/// cache's): a match means that very file, unchanged; anything else, the
/// caller opens the path properly.
pub fn stamp(handle: &Handle, relative: &Path) -> Option<FileStamp> {
    let stat =
        rustix::fs::statat(handle.directory(), relative, rustix::fs::AtFlags::empty()).ok()?;
    Some(FileStamp {
        size: stat.st_size as u64,
        modified: modified_of(&stat),
        identity: FileIdentity::from_stat(&stat),
    })
}

/// Copies `len` bytes of `file` from `offset` to the socket inside the
/// kernel: `std::io::copy` would bounce every 8 KiB through user space.
/// `progress` judges every call (see [`WriteProgress`]).
pub fn send_file(
    stream: &TcpStream,
    file: &File,
    offset: u64,
    len: u64,
    progress: &mut WriteProgress,
) -> io::Result<u64> {
    let mut position = offset;
    let end = offset + len;
    while position < end {
        // Linux moves at most 0x7ffff000 bytes per call.
        let chunk = (end - position).min(0x7fff_f000) as usize;
        match rustix::fs::sendfile(stream, file, Some(&mut position), chunk) {
            Ok(0) => return Err(file_shrank()),
            sent => {
                progress.judge(sent.map_err(io::Error::from))?;
            }
        }
    }
    Ok(len)
}

/// Sets TCP_NODELAY and both timeouts on the listener (the send timeout is
/// one wait, [`send_wait`]): accepted sockets inherit them on Linux, which
/// saves three system calls per connection.
/// The read timeout also bounds accept(), so the accepting thread wakes now
/// and then to see whether the server is stopping.
pub fn prepare_listener(listener: &TcpListener, read: Duration, write: Duration) -> io::Result<()> {
    use rustix::net::sockopt::{set_socket_timeout, set_tcp_nodelay, Timeout};
    set_tcp_nodelay(listener, true)?;
    set_socket_timeout(listener, Timeout::Recv, Some(read))?;
    set_socket_timeout(listener, Timeout::Send, Some(send_wait(write)))?;
    Ok(())
}

/// Nothing to do: the socket inherited the listener's options.
pub fn prepare_accepted(_stream: &TcpStream, _read: Duration, _write: Duration) -> io::Result<()> {
    Ok(())
}

/// Shutting down a listening socket wakes every thread blocked in accept().
pub fn wake_acceptor(listener: &TcpListener) {
    let _ = rustix::net::shutdown(listener, rustix::net::Shutdown::Read);
}

/// Makes a read blocked on `stream` return end-of-file now: shutting down
/// the receiving side does it on Linux, and sends the client nothing.
pub fn wake_reader(stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Read);
}

/// What the client has left on the connection: one non-blocking peek.
pub fn peek(stream: &TcpStream) -> Peeked {
    use rustix::io::Errno;
    use rustix::net::{recv, RecvFlags};
    let mut byte = [0u8; 1];
    match recv(stream, &mut byte, RecvFlags::PEEK | RecvFlags::DONTWAIT) {
        Ok((0, _)) => Peeked::Closed,
        Ok(_) => Peeked::Unread,
        Err(Errno::AGAIN | Errno::INTR) => Peeked::Nothing,
        Err(_) => Peeked::Closed,
    }
}
