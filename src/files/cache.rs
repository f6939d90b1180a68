//! A cache of small files' bytes and validators, so that a small response is
//! one write of head and body instead of a write and a sendfile, and, on
//! Linux, needs neither an open nor a close.
//!
//! It never serves stale bytes. An entry, kept by the file's path beneath
//! the root, holds the [`FileStamp`] the file had when it was read: size,
//! modification time and identity (device, inode and change time on Unix;
//! volume, file index and creation time on Windows). It is used only when
//! the file's stamp now is the same:
//!
//! - On Linux, a GET without `Range` takes the stamp with one `stat` of the
//!   path and, on a match, answers from the entry ([`FileCache::hit`]): the
//!   file was opened beneath the root when it was cached, and a matching
//!   stamp is that very file, unchanged, wherever the path now leads. Any
//!   mismatch, and every other request, opens the file as usual.
//! - Otherwise the stamp comes from the open file's metadata
//!   ([`FileCache::bytes`]).
//!
//! A small file of a compressible type is also kept compressed, in each
//! coding a client asked for, made once per version ([`FileCache::compressed`]:
//! requests that ask while it is being made wait for it) and dropped with it. Whether a file has coded variants at all (kept
//! compressed, or precompressed siblings beside it) is recorded with the
//! entry, so that an answer from the entry carries `Vary` as the full path
//! would; a sibling added later shows once the file itself changes, and
//! every request that names a coding goes the full path, which looks.
//!
//! A write changes the modification time; a rename or a new link the change
//! time; a file put in another's place (even with the same size and time,
//! `cp -p`) has another inode or file index. Clocks have coarse ticks,
//! though, so a file changed less than [`SETTLE_TIME`] ago is not cached: a
//! second write of the same length in the same tick would otherwise go
//! unnoticed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::files::conditional::Validators;
use crate::protocol::coding::Coding;
use crate::sys::ignoring_poison;
use crate::sys::FileStamp;

/// Largest file kept in memory.
pub const MAX_CACHED_FILE_BYTES: u64 = 64 * 1024;
/// Most bytes kept in memory in all; past it, new files are sent from disk.
pub const MAX_CACHE_BYTES: usize = 16 * 1024 * 1024;
/// How long a file must have been left alone before it is cached.
pub const SETTLE_TIME: Duration = Duration::from_secs(2);

/// One cached file: which version, its validators, its bytes, and those
/// bytes compressed, each coding made when first asked for.
#[derive(Debug)]
struct Entry {
    /// Its path beneath the root, as the key holds it, shared with every
    /// answer's decision.
    path: Arc<Path>,
    version: FileStamp,
    validators: Validators,
    /// The file's media type, found once per version, not per request.
    content_type: Cow<'static, str>,
    bytes: Arc<[u8]>,
    /// Whether the file has coded variants (see the module doc).
    varies: bool,
    /// Each coding's bytes, once made; `None` when they could not be.
    /// Shared, so that a request can make them with no lock on the cache.
    compressed: [Arc<CompressedSlot>; Coding::ALL.len()],
}

impl Entry {
    /// The bytes this entry holds, compressed forms included.
    fn footprint(&self) -> usize {
        let compressed: usize = self
            .compressed
            .iter()
            .filter_map(|slot| slot.get()?.as_ref())
            .map(|bytes| bytes.len())
            .sum();
        self.bytes.len() + compressed
    }
}

/// One coding's bytes of one version: set once, by the first request that
/// asks; `None` when they could not be made.
type CompressedSlot = OnceLock<Option<Arc<[u8]>>>;

/// A cached file found by its path and a stamp, without opening it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: Arc<Path>,
    pub validators: Validators,
    pub content_type: Cow<'static, str>,
    pub bytes: Arc<[u8]>,
    /// Whether the file has coded variants: its answers carry `Vary`.
    pub varies: bool,
}

/// Small files' bytes by their path beneath the root.
#[derive(Debug)]
pub struct FileCache {
    entries: RwLock<HashMap<PathBuf, Entry>>,
    settle_time: Duration,
    /// Whether small files of compressible types are kept compressed.
    compress: bool,
}

impl Default for FileCache {
    fn default() -> Self {
        FileCache::with_settle_time(SETTLE_TIME)
    }
}

impl FileCache {
    /// A cache that waits `settle_time` after a change before caching a file.
    pub fn with_settle_time(settle_time: Duration) -> FileCache {
        FileCache {
            entries: RwLock::default(),
            settle_time,
            compress: true,
        }
    }

    /// The same cache, keeping compressed forms or not (`--no-compress`).
    pub fn with_compression(self, compress: bool) -> FileCache {
        FileCache { compress, ..self }
    }

    /// Whether compressed forms are made at all.
    pub fn compresses(&self) -> bool {
        self.compress
    }

    /// The cached file at `path`, version `stamp`, compressed in `coding`:
    /// made on the first request for it and kept with the entry. `None`
    /// when that version is not cached, or compression is off.
    pub fn compressed(&self, path: &Path, stamp: &FileStamp, coding: Coding) -> Option<Arc<[u8]>> {
        if !self.compress {
            return None;
        }
        let index = Coding::ALL.iter().position(|c| *c == coding)?;
        let (slot, bytes) = {
            let entries = ignoring_poison(self.entries.read());
            let entry = entries.get(path).filter(|entry| entry.version == *stamp)?;
            (
                Arc::clone(&entry.compressed[index]),
                Arc::clone(&entry.bytes),
            )
        };
        // Compressed with no lock on the cache held: brotli at its best
        // takes tens of milliseconds, and a writer waiting on the lock
        // would hold every reader up meanwhile. The slot runs one
        // compression per version: requests that come while it runs wait
        // for its result rather than each compress again (a hundred first
        // requests at once were a hundred brotli runs).
        slot.get_or_init(|| {
            let made = compress(coding, &bytes);
            if let Some(made) = &made {
                log::debug!(
                    "compressed {} ({}): {} -> {} bytes",
                    path.display(),
                    coding.token(),
                    bytes.len(),
                    made.len()
                );
            }
            made
        })
        .clone()
    }

    /// Whether the file cached at `path`, in whatever version, has coded
    /// variants; false when nothing is cached there.
    pub fn varies(&self, path: &Path) -> bool {
        let entries = ignoring_poison(self.entries.read());
        entries.get(path).is_some_and(|entry| entry.varies)
    }

    /// The cached file at `path` if `stamp` (taken without opening it) is
    /// the stamp it was cached with: the same file, unchanged.
    pub fn hit(&self, path: &Path, stamp: &FileStamp) -> Option<Hit> {
        let entries = ignoring_poison(self.entries.read());
        let entry = entries.get(path).filter(|entry| entry.version == *stamp)?;
        Some(Hit {
            path: Arc::clone(&entry.path),
            validators: entry.validators.clone(),
            content_type: entry.content_type.clone(),
            bytes: Arc::clone(&entry.bytes),
            varies: entry.varies,
        })
    }

    /// The bytes of `file`, opened at `path` and whose version is `stamp`,
    /// from memory when this version is cached, read and cached (with its
    /// `validators`, its `content_type`, and whether it `varies`) when it
    /// is small and settled, or `None` (send it from disk).
    // The media type is taken as the `Cow` it is, not as a `&str`, and
    // cloned only into a new entry: a static one stays static there, and a
    // hit finds it with no allocation.
    #[allow(clippy::ptr_arg)]
    pub fn bytes(
        &self,
        path: &Path,
        file: &File,
        stamp: &FileStamp,
        validators: &Validators,
        content_type: &Cow<'static, str>,
        varies: bool,
    ) -> Option<Arc<[u8]>> {
        if stamp.size > MAX_CACHED_FILE_BYTES {
            return None;
        }
        let version = *stamp;
        {
            let entries = ignoring_poison(self.entries.read());
            if let Some(entry) = entries.get(path) {
                if entry.version == version && entry.varies == varies {
                    return Some(Arc::clone(&entry.bytes));
                }
            }
        }
        if !is_settled(&version, self.settle_time) {
            return None;
        }
        let bytes = read_exactly(file, version.size)?;
        // A write during the read changes the metadata: then cache nothing.
        let after = file.metadata().ok()?;
        if FileStamp::of(file, &after) != version {
            return None;
        }
        let mut entries = ignoring_poison(self.entries.write());
        let held: usize = entries.values().map(Entry::footprint).sum();
        // A new version replaces its old one, whose bytes it frees.
        let replaced = entries.get(path).map_or(0, Entry::footprint);
        if held - replaced + bytes.len() <= MAX_CACHE_BYTES {
            let bytes = Arc::clone(&bytes);
            let validators = validators.clone();
            let entry = Entry {
                path: Arc::from(path),
                version,
                validators,
                content_type: content_type.clone(),
                bytes,
                varies,
                compressed: Default::default(),
            };
            entries.insert(path.to_path_buf(), entry);
        }
        Some(bytes)
    }
}

/// Whether the file was last changed long enough ago (see the module doc).
fn is_settled(version: &FileStamp, settle_time: Duration) -> bool {
    let changed_secs = version.identity.changed_secs().max(0) as u64;
    let changed = UNIX_EPOCH + Duration::from_secs(changed_secs);
    let modified = version.modified.unwrap_or(SystemTime::now());
    let latest = changed.max(modified);
    SystemTime::now()
        .duration_since(latest)
        .is_ok_and(|age| age >= settle_time)
}

/// Stack for the thread that compresses: the brotli encoder's frames at
/// its best quality are larger than a connection thread's whole stack.
const COMPRESSOR_STACK_BYTES: usize = 16 * 1024 * 1024;

/// `bytes` in `coding`, at the smallest size each coding offers: made once
/// per file version, so the time (and the thread) is spent once. `None`
/// when no thread could be started.
fn compress(coding: Coding, bytes: &Arc<[u8]>) -> Option<Arc<[u8]>> {
    let bytes = Arc::clone(bytes);
    std::thread::Builder::new()
        .name("compress".into())
        .stack_size(COMPRESSOR_STACK_BYTES)
        .spawn(move || compress_here(coding, &bytes))
        .ok()?
        .join()
        .ok()
}

fn compress_here(coding: Coding, bytes: &[u8]) -> Arc<[u8]> {
    use std::io::Write;
    let mut out = Vec::with_capacity(bytes.len() / 2);
    // Writing into a Vec cannot fail.
    match coding {
        Coding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(&mut out, flate2::Compression::best());
            let _ = encoder.write_all(bytes);
            let _ = encoder.finish();
        }
        Coding::Br => {
            // Quality 11, the best; a 64 KiB window (2^16), as large as the
            // largest cached file, where the default 4 MiB only costs memory.
            let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 11, 16);
            let _ = encoder.write_all(bytes);
            // Dropping the writer ends the stream.
            drop(encoder);
        }
    }
    out.into()
}

/// Reads `size` bytes from `file`, just opened, so from its start; a file
/// that no longer has that many bytes is not cached.
fn read_exactly(file: &File, size: u64) -> Option<Arc<[u8]>> {
    let mut bytes = Vec::with_capacity(size as usize);
    let mut reader = file;
    reader.read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 == size).then(|| bytes.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settled_file(dir: &std::path::Path, name: &str, contents: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        // Back-date the modification time; the change time is now, so the
        // cache must wait for it too: these tests check the other rules.
        let file = File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        path
    }

    fn lookup(cache: &FileCache, path: &std::path::Path) -> Option<Arc<[u8]>> {
        let file = File::open(path).unwrap();
        let metadata = file.metadata().unwrap();
        let stamp = FileStamp::of(&file, &metadata);
        let validators = Validators::of(&stamp);
        cache.bytes(
            path,
            &file,
            &stamp,
            &validators,
            &"text/plain".into(),
            false,
        )
    }

    #[test]
    fn recently_changed_files_are_served_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = settled_file(dir.path(), "a.txt", b"hello");
        // The change time is seconds old at most: not settled.
        assert!(lookup(&FileCache::default(), &path).is_none());
    }

    #[test]
    fn hits_share_the_bytes_and_a_new_version_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = settled_file(dir.path(), "a.txt", b"hello");
        let cache = FileCache::with_settle_time(Duration::ZERO);
        let first = lookup(&cache, &path).expect("cached");
        let second = lookup(&cache, &path).expect("hit");
        assert_eq!(&*first, b"hello");
        assert!(
            Arc::ptr_eq(&first, &second),
            "a hit shares the cached bytes"
        );
        // Same length, new content: the version changes and so do the bytes.
        std::fs::write(&path, b"HELLO").unwrap();
        let third = lookup(&cache, &path).expect("re-read");
        assert_eq!(&*third, b"HELLO");
        // A file renamed over it is another file: another identity.
        let other = settled_file(dir.path(), "b.txt", b"other");
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(&*lookup(&cache, &path).unwrap(), b"other");
    }

    #[test]
    fn compressed_forms_are_made_once_per_version_and_decode_to_the_file() {
        use std::io::Read as _;
        let dir = tempfile::tempdir().unwrap();
        let text = "h1 { color: red }\n".repeat(100);
        let path = settled_file(dir.path(), "a.css", text.as_bytes());
        let cache = FileCache::with_settle_time(Duration::ZERO);
        let stamp = |path: &std::path::Path| {
            let file = File::open(path).unwrap();
            FileStamp::of(&file, &file.metadata().unwrap())
        };
        let before = stamp(&path);
        assert!(
            cache.compressed(&path, &before, Coding::Gzip).is_none(),
            "not cached yet"
        );
        lookup(&cache, &path).expect("cached");
        let first = cache.compressed(&path, &before, Coding::Gzip).unwrap();
        let again = cache.compressed(&path, &before, Coding::Gzip).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "made once, then kept");
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&first[..])
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, text);
        let br = cache.compressed(&path, &before, Coding::Br).unwrap();
        let mut decoded = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, text);
        // Another version: the old one's compressed forms are gone with it.
        std::fs::write(&path, text.to_uppercase()).unwrap();
        lookup(&cache, &path).expect("re-read");
        assert!(cache.compressed(&path, &before, Coding::Gzip).is_none());
        let off = FileCache::with_settle_time(Duration::ZERO).with_compression(false);
        lookup(&off, &path).expect("cached");
        assert!(off.compressed(&path, &stamp(&path), Coding::Gzip).is_none());
    }

    #[test]
    fn large_files_are_never_cached() {
        // Settled at once, so the size is the only rule that can refuse.
        let cache = FileCache::with_settle_time(Duration::ZERO);
        let dir = tempfile::tempdir().unwrap();
        let limit = MAX_CACHED_FILE_BYTES as usize;
        let cases = [
            ("at the limit", limit, true),
            ("one byte over", limit + 1, false),
        ];
        for (name, size, cached) in cases {
            let path = settled_file(dir.path(), name, &vec![7; size]);
            let bytes = lookup(&cache, &path);
            assert_eq!(bytes.is_some(), cached, "{name}");
            if let Some(bytes) = bytes {
                assert_eq!(bytes.len(), size, "{name}");
            }
        }
    }

    #[test]
    fn versions_differ_when_anything_that_identifies_them_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = settled_file(dir.path(), "a.txt", b"hello");
        let version = |path: &std::path::Path| {
            let file = File::open(path).unwrap();
            FileStamp::of(&file, &file.metadata().unwrap())
        };
        let before = version(&path);
        std::fs::write(&path, b"HELLO").unwrap();
        let after = version(&path);
        assert_eq!(before.size, after.size);
        assert_ne!(before, after, "same size, new write: a new version");
    }
}
