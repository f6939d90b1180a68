//! Looking a path up by name with std alone: what the portable path does for
//! every lookup, and the Linux path for those `openat2` will not decide.

use std::fs::{File, Metadata};
use std::io;
use std::path::Path;

#[cfg(unix)]
use super::unix::open_for_reading;
#[cfg(windows)]
use super::windows::open_for_reading;

/// What a path beneath the root names.
#[derive(Debug)]
pub enum Entry {
    /// A regular file, open for reading, with the metadata of that handle.
    File(File, Metadata),
    /// A directory.
    Directory,
    /// Anything else: a FIFO, a socket, a device.
    Other,
}

/// Looks `relative` up by name with std alone: every symlink and junction is
/// resolved (`canonicalize`), the result must still lie under `dir`, and
/// then that canonical path is opened.
///
/// A race remains, and no std call closes it: a process that can write
/// inside the root can swap a directory for a symlink to the outside after
/// the check and before the open. Only someone with write access to the
/// served tree can do this; the Linux fast path is immune (the kernel
/// confines `openat2`). Linux also falls back to this for what `openat2`
/// refuses to decide.
pub fn lookup_confined(dir: &Path, relative: &Path) -> io::Result<Entry> {
    let real = dir.join(relative).canonicalize()?;
    if !real.starts_with(dir) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "a link leads outside the root",
        ));
    }
    // Asked by name first: on Windows a directory cannot be opened as a file,
    // and on Unix this spares opening a FIFO at all.
    let named = std::fs::metadata(&real)?;
    if named.is_dir() {
        return Ok(Entry::Directory);
    }
    if !named.is_file() {
        return Ok(Entry::Other);
    }
    let file = open_for_reading(&real)?;
    let metadata = file.metadata()?;
    Ok(if metadata.is_file() {
        Entry::File(file, metadata)
    } else {
        Entry::Other
    })
}
