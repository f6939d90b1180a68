//! What std spells the same way on every Unix: names are bytes, files have a
//! device and inode, reads can be positioned, and descriptors are limited.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Connections allowed when the open-file limit cannot be read.
pub const DEFAULT_CONNECTIONS: usize = 1024;

/// What tells one file, and one version of it, from another besides its
/// size and modification time: device, inode and change time. A rename or
/// a new link changes the change time; a replaced file has a new inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
    changed: (i64, i64),
}

impl FileIdentity {
    /// The identity in `metadata`.
    pub fn of(metadata: &Metadata) -> FileIdentity {
        FileIdentity {
            device: metadata.dev(),
            inode: metadata.ino(),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    /// The last status change, whole seconds since the epoch.
    pub fn changed_secs(&self) -> i64 {
        self.changed.0
    }
}

/// A decoded path segment as a file name: on Unix, names are bytes.
pub fn segment_to_name(segment: &[u8]) -> Option<&OsStr> {
    Some(OsStr::from_bytes(segment))
}

/// Whether an error means "this path cannot name a file here" (a name too
/// long, a symlink loop) rather than a fault: answered 404.
pub fn is_unnameable(error: &io::Error) -> bool {
    [rustix::io::Errno::NAMETOOLONG, rustix::io::Errno::LOOP]
        .iter()
        .any(|errno| error.raw_os_error() == Some(errno.raw_os_error()))
}

/// Reads into `buffer` from `offset` without moving the file's offset.
pub fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    file.read_at(buffer, offset)
}

/// Opens a file for reading, non-blocking so that a FIFO swapped in cannot
/// hang the thread; that changes nothing for regular files.
pub fn open_for_reading(path: &Path) -> io::Result<File> {
    File::options()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

/// Raises the soft open-file limit as far as allowed, and returns it (the
/// number of descriptors the process may hold), or `None` if unlimited.
pub fn open_file_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let wanted = limit;
        limit.current = limit.maximum;
        if setrlimit(Resource::Nofile, limit).is_err() {
            // macOS reports an unlimited hard limit but refuses more than
            // OPEN_MAX for the soft one.
            limit.current = Some(OPEN_MAX.max(wanted.current.unwrap_or(0)));
            if limit.current > wanted.maximum || setrlimit(Resource::Nofile, limit).is_err() {
                limit = wanted;
            }
        }
    }
    limit.current
}

/// The most descriptors macOS gives one process by default (`OPEN_MAX`).
const OPEN_MAX: u64 = 10240;
