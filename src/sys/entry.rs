//! What a lookup beneath the root finds.

use std::fs::{File, Metadata};

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
