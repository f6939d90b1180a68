//! One version of one file, as the cache compares it.

use std::fs::{File, Metadata};
use std::time::SystemTime;

#[cfg(unix)]
use super::unix::FileIdentity;
#[cfg(windows)]
use super::windows::FileIdentity;

/// Size, modification time and identity. Equal stamps mean the same file,
/// unchanged: a write changes the modification time, anything else the
/// identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileStamp {
    pub size: u64,
    pub modified: Option<SystemTime>,
    pub identity: FileIdentity,
}

impl FileStamp {
    /// The stamp of the open `file`, whose metadata is `metadata`.
    pub fn of(file: &File, metadata: &Metadata) -> FileStamp {
        FileStamp {
            size: metadata.len(),
            modified: metadata.modified().ok(),
            identity: FileIdentity::of(file, metadata),
        }
    }
}
