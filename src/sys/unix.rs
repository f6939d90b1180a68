//! What std spells the same way on every Unix: names are bytes, files have a
//! device and inode, reads can be positioned, and descriptors are limited.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

use super::entry::{DirEntries, DirEntry, Entry, EntryKind};
use super::hash::fnv1a;

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
    /// The identity of `file`, whose metadata is `metadata`: on Unix all of
    /// it is in the metadata.
    pub fn of(_file: &File, metadata: &Metadata) -> FileIdentity {
        FileIdentity {
            device: metadata.dev(),
            inode: metadata.ino(),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    /// The identity in what one `stat` found.
    #[cfg(all(target_os = "linux", not(feature = "portable")))]
    // The field types differ between targets; on some the casts are no-ops.
    #[allow(clippy::unnecessary_cast)]
    pub fn from_stat(stat: &rustix::fs::Stat) -> FileIdentity {
        FileIdentity {
            device: stat.st_dev as u64,
            inode: stat.st_ino as u64,
            changed: (stat.st_ctime as i64, stat.st_ctime_nsec as i64),
        }
    }

    /// The last status change, whole seconds since the epoch.
    pub fn changed_secs(&self) -> i64 {
        self.changed.0
    }

    /// The identity as one number for a validator: FNV-1a over device,
    /// inode and change time, so a file put in another's place (a new
    /// inode) or renamed over it (a new change time) gets another.
    pub fn tag(&self) -> u64 {
        fnv1a(&[
            self.device,
            self.inode,
            self.changed.0 as u64,
            self.changed.1 as u64,
        ])
    }
}

/// A name as the bytes a request path spells it with: on Unix, itself.
pub fn name_to_segment(name: &OsStr) -> Option<&[u8]> {
    Some(name.as_bytes())
}

/// A decoded path segment as a file name: on Unix, names are bytes.
pub fn segment_to_name(segment: &[u8]) -> Option<&OsStr> {
    Some(OsStr::from_bytes(segment))
}

/// Whether an error means "this path cannot name a file to serve here"
/// rather than a fault: a name too long, a symlink loop, or a special file
/// that cannot be opened for reading (a socket: ENXIO). Answered 404, and
/// not logged.
pub fn is_unnameable(error: &io::Error) -> bool {
    use rustix::io::Errno;
    [Errno::NAMETOOLONG, Errno::LOOP, Errno::NXIO]
        .iter()
        .any(|errno| error.raw_os_error() == Some(errno.raw_os_error()))
}

/// Reads into `buffer` from `offset` without moving the file's offset.
pub fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    file.read_at(buffer, offset)
}

/// An open descriptor of the root directory: every lookup starts from it.
#[derive(Debug)]
pub struct Handle(File);

impl Handle {
    pub fn open(dir: &Path) -> io::Result<Handle> {
        File::open(dir).map(Handle)
    }

    /// The root directory's descriptor.
    pub fn directory(&self) -> &File {
        &self.0
    }
}

/// Symlinks followed in one lookup before it is given up (Linux's limit).
const MAX_SYMLINKS: usize = 40;

/// Looks `relative` up beneath the root one component at a time, each
/// opened with `openat(O_NOFOLLOW)` from the descriptor of the directory
/// before it, so that no name is ever resolved again by path. A symlink is
/// read (`readlinkat`) and its target walked the same way: a relative
/// target from the directory that holds the link, an absolute one only if
/// it names a place under the root (`dir`, canonical), from the root. A
/// `..` steps back to the directory walked before, and one above the root
/// is refused.
///
/// No race lets a swap escape: a directory swapped for a symlink after a
/// check is still opened with O_NOFOLLOW, so the swap is seen and the
/// symlink walked by these rules. What the walk cannot prevent is a
/// directory it is inside being moved out of the root by someone who can
/// write both inside and outside it; what it then reaches was under the
/// root when the walk entered it.
pub fn lookup_beneath(dir: &Path, handle: &Handle, relative: &Path) -> io::Result<Entry> {
    entry_of(open_beneath(dir, handle, relative)?)
}

/// Opens what `relative` names beneath the root by the walk described at
/// [`lookup_beneath`]: the root itself when the path is empty.
fn open_beneath(dir: &Path, handle: &Handle, relative: &Path) -> io::Result<File> {
    let mut pending: VecDeque<OsString> = components(relative).collect();
    let mut walked: Vec<File> = Vec::new();
    let mut links = 0;
    while let Some(name) = pending.pop_front() {
        if name == ".." {
            walked.pop().ok_or_else(leaves_the_root)?;
            continue;
        }
        let parent = walked.last().unwrap_or(handle.directory());
        let is_last = pending.is_empty();
        match open_component(parent, &name, is_last) {
            Ok(file) if is_last => return Ok(file),
            Ok(directory) => walked.push(directory),
            Err(error) => {
                let target = match rustix::fs::readlinkat(parent, name.as_os_str(), Vec::new()) {
                    Ok(target) => PathBuf::from(OsStr::from_bytes(target.as_bytes())),
                    // Not a symlink: the open's own error stands.
                    Err(_) => return Err(error),
                };
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(rustix::io::Errno::LOOP.into());
                }
                let target = if target.is_absolute() {
                    walked.clear();
                    target
                        .strip_prefix(dir)
                        .map_err(|_| leaves_the_root())?
                        .to_path_buf()
                } else {
                    target
                };
                for part in components(&target).rev().collect::<Vec<_>>() {
                    pending.push_front(part);
                }
            }
        }
    }
    walked
        .pop()
        .map_or_else(|| handle.directory().try_clone(), Ok)
}

/// A directory beneath the root, held open: names in it are created,
/// linked and removed relative to its descriptor.
#[derive(Debug)]
pub struct DirectoryHandle(File);

/// The directory `relative` beneath the root, by the walk of
/// [`lookup_beneath`]; anything else is `NotADirectory`.
pub fn writable_directory(
    dir: &Path,
    handle: &Handle,
    relative: &Path,
) -> io::Result<DirectoryHandle> {
    let directory = open_beneath(dir, handle, relative)?;
    if !directory.metadata()?.is_dir() {
        return Err(io::ErrorKind::NotADirectory.into());
    }
    Ok(DirectoryHandle(directory))
}

impl DirectoryHandle {
    pub fn create_new(&self, name: &OsStr) -> io::Result<File> {
        use rustix::fs::{openat, Mode, OFlags};
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(File::from(openat(
            &self.0,
            name,
            flags,
            Mode::from_raw_mode(0o644),
        )?))
    }

    pub fn link_new(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        use rustix::fs::{linkat, AtFlags};
        Ok(linkat(&self.0, from, &self.0, to, AtFlags::empty())?)
    }

    pub fn remove(&self, name: &OsStr) -> io::Result<()> {
        use rustix::fs::{unlinkat, AtFlags};
        Ok(unlinkat(&self.0, name, AtFlags::empty())?)
    }
}

/// The modification time a `stat` holds (none before 1970).
pub fn modified_of(stat: &rustix::fs::Stat) -> Option<std::time::SystemTime> {
    let secs = u64::try_from(stat.st_mtime).ok()?;
    Some(std::time::UNIX_EPOCH + std::time::Duration::new(secs, stat.st_mtime_nsec as u32))
}

/// The entries of the directory `relative` beneath the root that `keep`
/// accepts by name, at most `limit` of them. The directory is opened by
/// the walk, read through its descriptor, and each entry is `stat`ed from
/// that descriptor without following links, so no name is resolved again.
pub fn read_directory(
    dir: &Path,
    handle: &Handle,
    relative: &Path,
    limit: usize,
    keep: &dyn Fn(&OsStr) -> bool,
) -> io::Result<DirEntries> {
    use rustix::fs::{statat, AtFlags, Dir, FileType};
    let directory = open_beneath(dir, handle, relative)?;
    let mut read = DirEntries::default();
    for entry in Dir::read_from(&directory)? {
        let entry = entry?;
        let name = OsStr::from_bytes(entry.file_name().to_bytes());
        if name == "." || name == ".." || !keep(name) {
            continue;
        }
        if read.entries.len() == limit {
            read.truncated = true;
            break;
        }
        // Gone since it was read, or unreadable: not listed.
        let Ok(stat) = statat(&directory, name, AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        let modified = modified_of(&stat);
        let kind = match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => EntryKind::File {
                size: stat.st_size as u64,
                modified,
            },
            FileType::Directory => EntryKind::Directory { modified },
            FileType::Symlink => EntryKind::Link,
            _ => EntryKind::Other,
        };
        read.entries.push(DirEntry {
            name: name.to_os_string(),
            kind,
        });
    }
    Ok(read)
}

/// The names in a path, `..` kept (a symlink's target may hold one), `.`
/// and the root dropped.
fn components(path: &Path) -> impl DoubleEndedIterator<Item = OsString> + '_ {
    path.components().filter_map(|part| match part {
        Component::Normal(name) => Some(name.to_os_string()),
        Component::ParentDir => Some(OsString::from("..")),
        _ => None,
    })
}

/// One component, never followed if it is a symlink. O_NONBLOCK keeps a
/// FIFO from blocking the open; it changes nothing for regular files.
fn open_component(parent: &File, name: &OsStr, is_last: bool) -> io::Result<File> {
    use rustix::fs::{openat, Mode, OFlags};
    let mut flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    if !is_last {
        flags |= OFlags::DIRECTORY;
    }
    flags |= OFlags::NOCTTY;
    Ok(File::from(openat(parent, name, flags, Mode::empty())?))
}

/// What an open file is: a regular file (kept open), a directory, or other.
pub fn entry_of(file: File) -> io::Result<Entry> {
    let metadata = file.metadata()?;
    Ok(if metadata.is_file() {
        Entry::File(file, metadata)
    } else if metadata.is_dir() {
        Entry::Directory
    } else {
        Entry::Other
    })
}

fn leaves_the_root() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "a link leads outside the root")
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

/// How many tasks (threads) this process may run, when something limits
/// it: RLIMIT_NPROC (which counts all of the user's tasks, and does not bind
/// root), and on Linux the cgroup's `pids.max` (a container's pids limit,
/// systemd's `TasksMax`).
pub fn task_limit() -> Option<u64> {
    use rustix::process::{geteuid, getrlimit, Resource};
    let nproc = if geteuid().is_root() {
        None
    } else {
        getrlimit(Resource::Nproc).current
    };
    [nproc, cgroup_pids_max()].into_iter().flatten().min()
}

#[cfg(target_os = "linux")]
fn cgroup_pids_max() -> Option<u64> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroups.lines().find_map(|line| line.strip_prefix("0::"))?;
    let max = std::fs::read_to_string(format!("/sys/fs/cgroup{path}/pids.max")).ok()?;
    // "max" means no limit.
    max.trim().parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn cgroup_pids_max() -> Option<u64> {
    None
}

/// The most descriptors macOS gives one process by default (`OPEN_MAX`).
const OPEN_MAX: u64 = 10240;

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// What the walk finds: the file's bytes, "dir", "other", or the error kind.
    fn found(dir: &Path, handle: &Handle, path: &str) -> String {
        match lookup_beneath(dir, handle, Path::new(path)) {
            Ok(Entry::File(file, _)) => {
                let mut text = String::new();
                io::Read::read_to_string(&mut &file, &mut text).unwrap();
                text
            }
            Ok(Entry::Directory) => "dir".into(),
            Ok(Entry::Other) => "other".into(),
            Err(error) if is_unnameable(&error) => "unnameable".into(),
            Err(error) => format!("{:?}", error.kind()),
        }
    }

    #[test]
    fn the_walk_follows_links_only_while_they_stay_beneath_the_root() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "SECRET").unwrap();
        std::fs::create_dir(outside.path().join("root")).unwrap();
        let root = outside.path().join("root").canonicalize().unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f.txt"), "f").unwrap();
        std::fs::write(root.join("top.txt"), "top").unwrap();
        let links: &[(&str, String)] = &[
            ("rel", "a/b/f.txt".into()),
            ("rel-dir", "a/b".into()),
            ("up-inside", "../top.txt".into()),
            ("abs-inside", root.join("top.txt").display().to_string()),
            (
                "abs-outside",
                outside.path().join("secret").display().to_string(),
            ),
            ("up-outside", "../secret".into()),
            ("deep-up-outside", "a/../../secret".into()),
            ("loop", "loop".into()),
            ("chain", "rel".into()),
        ];
        for (name, target) in links {
            let at = if *name == "up-inside" {
                root.join("a").join(name)
            } else {
                root.join(name)
            };
            symlink(target, at).unwrap();
        }
        let handle = Handle::open(&root).unwrap();
        let cases = [
            // Escapes, garbage and loops first.
            ("abs-outside", "NotFound"),
            ("up-outside", "NotFound"),
            ("deep-up-outside", "NotFound"),
            ("rel-dir/../../../secret", "NotFound"),
            ("loop", "unnameable"),
            ("nothing", "NotFound"),
            ("top.txt/x", "NotADirectory"),
            // Then what stays inside.
            ("top.txt", "top"),
            ("a/b/f.txt", "f"),
            ("a", "dir"),
            ("rel", "f"),
            ("chain", "f"),
            ("rel-dir/f.txt", "f"),
            ("a/up-inside", "top"),
            ("abs-inside", "top"),
            ("rel-dir/../b/f.txt", "f"),
        ];
        for (path, expected) in cases {
            assert_eq!(found(&root, &handle, path), expected, "{path}");
        }
    }
}
