//! What std spells differently on Windows: names are UTF-16, there is no
//! inode or change time in stable std, reads are positioned by seeking, and
//! sockets are not counted against a descriptor limit.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::windows::fs::{FileExt, MetadataExt};
use std::path::Path;

/// Connections served at once by default: Windows has no per-process
/// descriptor limit to derive it from.
pub const DEFAULT_CONNECTIONS: usize = 1024;

/// What tells one file, and one version of it, from another besides its
/// size and modification time: its creation time. A file replaced by
/// another (a copy, a download, an editor's save-and-rename) was created
/// later. Stable std offers no file index or change time; see the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    created: u64,
}

impl FileIdentity {
    /// The identity in `metadata`.
    pub fn of(metadata: &Metadata) -> FileIdentity {
        FileIdentity {
            created: metadata.creation_time(),
        }
    }

    /// The creation time, whole seconds since the Unix epoch (Windows
    /// counts 100 ns ticks from 1601).
    pub fn changed_secs(&self) -> i64 {
        const TICKS_PER_SEC: u64 = 10_000_000;
        const SECS_1601_TO_1970: i64 = 11_644_473_600;
        (self.created / TICKS_PER_SEC) as i64 - SECS_1601_TO_1970
    }
}

/// A decoded path segment as a file name: Windows names are Unicode, so a
/// segment that is not UTF-8 cannot name a file.
pub fn segment_to_name(segment: &[u8]) -> Option<&OsStr> {
    std::str::from_utf8(segment).ok().map(OsStr::new)
}

/// Whether an error means "this path cannot name a file here" rather than a
/// fault: answered 404.
pub fn is_unnameable(error: &io::Error) -> bool {
    const ERROR_INVALID_NAME: i32 = 123;
    const ERROR_FILENAME_EXCED_RANGE: i32 = 206;
    const ERROR_DIRECTORY: i32 = 267;
    const ERROR_CANT_RESOLVE_FILENAME: i32 = 1921;
    matches!(
        error.raw_os_error(),
        Some(
            ERROR_INVALID_NAME
                | ERROR_FILENAME_EXCED_RANGE
                | ERROR_DIRECTORY
                | ERROR_CANT_RESOLVE_FILENAME
        )
    )
}

/// Reads into `buffer` from `offset`. Windows moves the file's offset as it
/// reads; every caller passes its own position, so that does not matter.
pub fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    file.seek_read(buffer, offset)
}

/// Opens a file for reading.
pub fn open_for_reading(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// Windows counts no descriptors against sockets: no limit to follow.
pub fn open_file_limit() -> Option<u64> {
    None
}
