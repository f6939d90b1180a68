//! What std spells differently on Windows: names are UTF-16, there is no
//! inode or change time in stable std, reads are positioned by seeking, and
//! sockets are not counted against a descriptor limit.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::windows::fs::{FileExt, MetadataExt};
use std::path::Path;

use super::entry::{DirEntries, DirEntry, Entry, EntryKind};
use super::hash::fnv1a;

/// Connections served at once by default: Windows has no per-process
/// descriptor limit to derive it from.
pub const DEFAULT_CONNECTIONS: usize = 1024;

/// What tells one file, and one version of it, from another besides its
/// size and modification time: the volume and the file index (Windows' file
/// ID, which a file put in another's place does not share), and the
/// creation time. The index comes from the open handle
/// (`GetFileInformationByHandle`, through `winapi-util`); if that fails,
/// the creation time alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    volume: u64,
    index: u64,
    created: u64,
}

impl FileIdentity {
    /// The identity of the open `file`, whose metadata is `metadata`.
    pub fn of(file: &File, metadata: &Metadata) -> FileIdentity {
        let (volume, index) = winapi_util::file::information(file).map_or((0, 0), |info| {
            (info.volume_serial_number(), info.file_index())
        });
        FileIdentity {
            volume,
            index,
            created: metadata.creation_time(),
        }
    }

    /// The identity as one number for a validator: FNV-1a over volume,
    /// file index and creation time.
    pub fn tag(&self) -> u64 {
        fnv1a(&[self.volume, self.index, self.created])
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
/// A name as the bytes a request path spells it with: its UTF-8, and
/// `None` for a name that is not valid Unicode (no URL can name it).
pub fn name_to_segment(name: &OsStr) -> Option<&[u8]> {
    name.to_str().map(str::as_bytes)
}

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

/// Nothing is held open: Windows lookups go by name from the canonical
/// root path.
#[derive(Debug)]
pub struct Handle;

impl Handle {
    pub fn open(_dir: &Path) -> io::Result<Handle> {
        Ok(Handle)
    }
}

/// Looks `relative` up by name: every symlink and junction is resolved
/// (`canonicalize`), the result must still lie under `dir`, and then that
/// canonical path is opened.
///
/// A race remains on Windows, and no std call closes it: a process that
/// can write inside the root can swap a directory for a junction to the
/// outside after the check and before the open. Only someone with write
/// access to the served tree can do this; on Unix the walk of
/// `unix::lookup_beneath` is immune, and on Linux the kernel confines
/// `openat2`.
pub fn lookup_beneath(dir: &Path, _handle: &Handle, relative: &Path) -> io::Result<Entry> {
    let real = beneath(dir, relative)?;
    // Asked by name first: on Windows a directory cannot be opened as a file,
    // and on Unix this spares opening a FIFO at all.
    let named = std::fs::metadata(&real)?;
    if named.is_dir() {
        return Ok(Entry::Directory);
    }
    if !named.is_file() {
        return Ok(Entry::Other);
    }
    let file = File::open(&real)?;
    let metadata = file.metadata()?;
    Ok(if metadata.is_file() {
        Entry::File(file, metadata)
    } else {
        Entry::Other
    })
}

/// A directory beneath the root, by its canonical path: names in it are
/// created, linked and removed by that path, with the race described at
/// [`lookup_beneath`] (someone who can write inside the root could swap
/// the directory for a junction between the check and a write).
#[derive(Debug)]
pub struct DirectoryHandle(std::path::PathBuf);

/// The directory `relative` beneath the root, checked as
/// [`lookup_beneath`] checks; anything else is `NotADirectory`.
pub fn writable_directory(
    dir: &Path,
    _handle: &Handle,
    relative: &Path,
) -> io::Result<DirectoryHandle> {
    let real = beneath(dir, relative)?;
    if !std::fs::metadata(&real)?.is_dir() {
        return Err(io::ErrorKind::NotADirectory.into());
    }
    Ok(DirectoryHandle(real))
}

impl DirectoryHandle {
    pub fn create_new(&self, name: &OsStr) -> io::Result<File> {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.0.join(name))
    }

    pub fn link_new(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        std::fs::hard_link(self.0.join(from), self.0.join(to))
    }

    pub fn remove(&self, name: &OsStr) -> io::Result<()> {
        std::fs::remove_file(self.0.join(name))
    }
}

/// The canonical path of `relative` under `dir` (every symlink and
/// junction resolved), or NotFound when that lies outside `dir`.
fn beneath(dir: &Path, relative: &Path) -> io::Result<std::path::PathBuf> {
    let real = dir.join(relative).canonicalize()?;
    if !real.starts_with(dir) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "a link leads outside the root",
        ));
    }
    Ok(real)
}

/// The entries of the directory `relative` beneath the root that `keep`
/// accepts by name, at most `limit` of them: found by name as
/// [`lookup_beneath`] finds files, with the same check and the same race.
/// Entry metadata does not follow links, so a link is left to a lookup.
pub fn read_directory(
    dir: &Path,
    _handle: &Handle,
    relative: &Path,
    limit: usize,
    keep: &dyn Fn(&OsStr) -> bool,
) -> io::Result<DirEntries> {
    let real = beneath(dir, relative)?;
    let mut read = DirEntries::default();
    for entry in std::fs::read_dir(&real)? {
        let entry = entry?;
        let name = entry.file_name();
        if !keep(&name) {
            continue;
        }
        if read.entries.len() == limit {
            read.truncated = true;
            break;
        }
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        let modified = metadata.modified().ok();
        let kind = if metadata.file_type().is_symlink() {
            EntryKind::Link
        } else if metadata.is_dir() {
            EntryKind::Directory { modified }
        } else if metadata.is_file() {
            EntryKind::File {
                size: metadata.len(),
                modified,
            }
        } else {
            EntryKind::Other
        };
        read.entries.push(DirEntry { name, kind });
    }
    Ok(read)
}

/// No task limit of the Unix kinds applies.
pub fn task_limit() -> Option<u64> {
    None
}

/// Windows counts no descriptors against sockets: no limit to follow.
pub fn open_file_limit() -> Option<u64> {
    None
}
