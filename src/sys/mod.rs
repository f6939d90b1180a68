//! What differs between operating systems, behind one small interface.
//!
//! Everything else in the crate is the same code on every system; it calls
//! these items and nothing OS-specific. Two implementations of the
//! file-and-socket half exist:
//!
//! - `linux.rs`, the fast path: `openat2(RESOLVE_BENEATH)` resolves a path
//!   beneath the root in one call, `sendfile(2)` sends file bodies inside
//!   the kernel, socket options are set once on the listener and inherited,
//!   and `shutdown(2)` on the listener wakes a blocked `accept`.
//! - `portable.rs`, for every other system (Windows, macOS, the BSDs) and
//!   for Linux built with `--features portable`, so that the whole test
//!   suite exercises it here too: std for sockets and file bodies, and the
//!   family's lookup beneath the root.
//!
//! Beside them, what differs per OS family sits in `unix.rs` (the walk
//! beneath the root with `openat(O_NOFOLLOW)`, file identity, names as
//! bytes, positioned reads, the open-file and task limits) and `windows.rs`
//! (lookup by canonical name, creation time as identity, names as Unicode),
//! and [`on_termination`] maps each system's "please stop" (SIGINT,
//! SIGTERM, SIGHUP; Ctrl-C, Ctrl-Break, closing the console) onto one
//! callback.
//!
//! | module | owns |
//! |---|---|
//! | `linux` | the fast path: `openat2`, `sendfile`, options inherited from the listener |
//! | `portable` | every other system, and Linux with `--features portable`: std and the family's lookup |
//! | `unix` | the Unix family: the walk beneath the root, file identity, names as bytes, limits |
//! | `windows` | the Windows family: lookup by canonical name, identity, names as Unicode |
//! | `listen` | listening sockets, every option set before they listen |
//! | `stack` | an idle connection's stack: the pages below its wait given back |
//! | `tcp` | the kernel's TCP facts of a connection (`TCP_INFO`, the saved SYN); `TCP_DEFER_ACCEPT` |
//! | `progress` | the write timeout as a deadline on progress; timeouts told apart, reads retried |
//! | `copy` | part of a file sent through memory (the portable path, and observers) |
//! | `entry` | what a lookup finds, and what a directory holds |
//! | `stamp` | one version of one file, as the cache compares it |
//! | `hash` | FNV-1a, to mix a file's identity into its validator |
//! | `lock` | locks whose poisoning is no reason to stop |
//! | `console` | the console window of a program started by a double-click |
//! | `browser` | `--open`: the default browser at a URL |
//! | `private` | the user's data folder, and files only their owner may read (the CA's key, the key log) |

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

#[cfg(all(target_os = "linux", not(feature = "portable")))]
mod linux;
#[cfg(all(target_os = "linux", not(feature = "portable")))]
use linux as path;

#[cfg(any(not(target_os = "linux"), feature = "portable"))]
mod portable;
#[cfg(any(not(target_os = "linux"), feature = "portable"))]
use portable as path;

mod browser;
mod console;
mod copy;
mod entry;
mod hash;
mod listen;
mod lock;
mod private;
mod progress;
mod stack;
mod stamp;
mod tcp;
#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as family;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as family;

pub use browser::open_browser;
pub use console::hold_own_console_open;
pub use copy::{copy_range, file_shrank};
pub use entry::{DirEntries, DirEntry, Entry, EntryKind};
pub use family::{
    is_unnameable, name_to_segment, open_file_limit, read_at, segment_to_name, task_limit,
    FileIdentity, DEFAULT_CONNECTIONS,
};
pub use hash::fnv1a_bytes;
pub use listen::{listen, ListenOptions};
pub use private::{create_private_dir, data_dir, machine_name, open_private};

/// What a non-blocking peek finds on a connection ([`peek`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peeked {
    /// The client has sent bytes not read yet.
    Unread,
    /// Nothing yet, and the connection is open.
    Nothing,
    /// The client has closed its side, or the connection was reset.
    Closed,
}
pub use lock::ignoring_poison;
pub use path::{peek, prepare_accepted, prepare_listener, send_file, wake_acceptor, wake_reader};
pub use progress::{is_timeout, read_retrying, send_wait, WriteProgress};
pub use stack::{mark_thread_top, release_below_here};
pub use stamp::FileStamp;
/// The user's language as the system names it (`zh_CN.UTF-8`, `zh-CN`,
/// `en-US`): the environment on Linux and the BSDs, the user's settings on
/// Windows and macOS.
pub fn user_language() -> Option<String> {
    sys_locale::get_locale()
}

pub use tcp::{defer_accept, facts as tcp_facts, keep_syns, TcpFacts, WindowScale};

/// Which implementation of the file-and-socket half this build uses, for
/// the banner's debug line and the benchmarks.
pub const PATH: &str = path::NAME;

/// A directory beneath the root that uploads are written into.
#[derive(Debug)]
pub struct WritableDir(family::DirectoryHandle);

impl WritableDir {
    /// Creates `name` in it, new (an existing name is `AlreadyExists`),
    /// for writing; never through a link.
    pub fn create_new(&self, name: &OsStr) -> io::Result<std::fs::File> {
        self.0.create_new(name)
    }

    /// Gives the file `from` a second name `to` in the same directory,
    /// never replacing what is there (`AlreadyExists`): a file appears
    /// under `to` whole, or not at all.
    pub fn link_new(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        self.0.link_new(from, to)
    }

    /// Removes the name `name` (a file) from it.
    pub fn remove(&self, name: &OsStr) -> io::Result<()> {
        self.0.remove(name)
    }
}

/// The served directory: its canonical path, and on Linux an open handle
/// that every lookup starts from.
#[derive(Debug)]
pub struct RootDir {
    dir: PathBuf,
    handle: family::Handle,
}

impl RootDir {
    /// Opens the root directory: it must exist and be a directory.
    pub fn open(dir: &Path) -> io::Result<RootDir> {
        let dir = dir.canonicalize()?;
        if !std::fs::metadata(&dir)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        let handle = family::Handle::open(&dir)?;
        Ok(RootDir { dir, handle })
    }

    /// The canonical path being served.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Looks up `relative` (made only of normal components) beneath the
    /// root. A path that a symlink or junction leads outside the root is
    /// `NotFound`, as if it did not exist.
    pub fn lookup(&self, relative: &Path) -> io::Result<Entry> {
        path::lookup(&self.dir, &self.handle, relative)
    }

    /// The directory `relative` beneath the root, opened for `--upload` to
    /// write in: found as [`RootDir::lookup`] finds it (never through a
    /// link leading out), and from then on every name in it is created,
    /// linked and removed relative to that directory, never resolved again
    /// by path (on Windows, by its canonical path: see `windows.rs`).
    pub fn writable_directory(&self, relative: &Path) -> io::Result<WritableDir> {
        family::writable_directory(&self.dir, &self.handle, relative).map(WritableDir)
    }

    /// The stamp of what `relative` names, without opening it, where one
    /// system call can tell (the Linux path); see `linux::stamp` for why
    /// it may only be compared with a stamp taken beneath the root.
    pub fn stamp(&self, relative: &Path) -> Option<FileStamp> {
        path::stamp(&self.handle, relative)
    }

    /// The entries of the directory `relative` beneath the root whose names
    /// `keep` accepts, at most `limit`. A link is listed as what it leads
    /// to, and only when a lookup finds that beneath the root; anything
    /// but files and directories is left out.
    pub fn read_directory(
        &self,
        relative: &Path,
        limit: usize,
        keep: &dyn Fn(&OsStr) -> bool,
    ) -> io::Result<DirEntries> {
        let mut read = family::read_directory(&self.dir, &self.handle, relative, limit, keep)?;
        for entry in &mut read.entries {
            if entry.kind == EntryKind::Link {
                entry.kind = match self.lookup(&relative.join(&entry.name)) {
                    Ok(Entry::File(_, metadata)) => EntryKind::File {
                        size: metadata.len(),
                        modified: metadata.modified().ok(),
                    },
                    Ok(Entry::Directory) => EntryKind::Directory { modified: None },
                    _ => EntryKind::Other,
                };
            }
        }
        read.entries.retain(|entry| entry.kind != EntryKind::Other);
        Ok(read)
    }
}

/// Calls `handler` on each request to stop: SIGINT, SIGTERM and SIGHUP on
/// Unix; Ctrl-C, Ctrl-Break and closing the console window on Windows. It
/// runs on an ordinary thread, so it may lock, allocate and log.
pub fn on_termination(handler: impl FnMut() + Send + 'static) -> io::Result<()> {
    ctrlc::set_handler(handler).map_err(|error| match error {
        ctrlc::Error::System(error) => error,
        other => io::Error::other(other.to_string()),
    })
}

/// A path as a person would type it: Windows' canonical paths carry a
/// `\\?\` prefix (verbatim form) that no one writes, so the banner drops it
/// when the rest is an ordinary drive or UNC path. Other paths are as given.
pub fn display_path(path: &Path) -> String {
    let text = path.display().to_string();
    if let Some(rest) = text.strip_prefix(r"\\?\UNC\") {
        return format!(r"\\{rest}");
    }
    match text.strip_prefix(r"\\?\") {
        Some(rest) if rest.as_bytes().get(1) == Some(&b':') => rest.to_string(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn display_path_drops_only_the_verbatim_prefix_people_never_type() {
        let cases = [
            (r"\\?\C:\Users\li\www", r"C:\Users\li\www"),
            (r"\\?\UNC\server\share\www", r"\\server\share\www"),
            (r"\\?\Volume{1234}\www", r"\\?\Volume{1234}\www"),
            ("/home/li/www", "/home/li/www"),
        ];
        for (path, shown) in cases {
            assert_eq!(display_path(Path::new(path)), shown, "{path}");
        }
    }

    #[test]
    fn lookup_tells_files_directories_and_escapes_apart() {
        let outside = tempfile::tempdir().unwrap();
        let root = outside.path().join("root");
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let root = RootDir::open(&root).unwrap();
        assert!(matches!(
            root.lookup(Path::new("a.txt")),
            Ok(Entry::File(_, m)) if m.len() == 1
        ));
        assert!(matches!(
            root.lookup(Path::new("dir")),
            Ok(Entry::Directory)
        ));
        let missing = root.lookup(Path::new("none")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("out"))
                .unwrap();
            let escaped = root.lookup(Path::new("out")).unwrap_err();
            assert_eq!(escaped.kind(), io::ErrorKind::NotFound);
        }
    }
}
