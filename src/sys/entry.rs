//! What a lookup beneath the root finds, and what a directory holds.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::time::SystemTime;

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

/// One name in a directory, as read, before links are resolved.
#[derive(Debug)]
pub struct DirEntry {
    pub name: OsString,
    pub kind: EntryKind,
}

/// What a directory entry is, from a `stat` that does not follow links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File {
        size: u64,
        modified: Option<SystemTime>,
    },
    Directory {
        modified: Option<SystemTime>,
    },
    /// A symbolic link (or junction): where it leads is decided by a lookup.
    Link,
    /// A FIFO, a socket, a device: never listed.
    Other,
}

/// The entries of one directory that a filter kept, at most a limit.
#[derive(Debug, Default)]
pub struct DirEntries {
    pub entries: Vec<DirEntry>,
    /// Whether entries were left unread because the limit was reached.
    pub truncated: bool,
}
