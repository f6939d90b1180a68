//! From a path beneath the root to an open file: one lookup through
//! [`crate::sys`], which keeps it beneath the root (on Linux the kernel does,
//! with openat2 and RESOLVE_BENEATH), so a symlink or junction can never
//! lead outside it; then the index file of a directory, and the one mapping
//! from file-system errors to what the client is told.

use std::borrow::Cow;
use std::fs::{File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crate::files::sort::Sort;
use crate::files::target::{self, Dotfiles, RequestPath};
use crate::protocol::coding::Coding;
use crate::protocol::words::{phrase, Phrase};
use crate::protocol::Status;
use crate::sys;

/// The file served for a directory whose path ends in `/`, unless
/// `--index` names others.
pub const INDEX_FILE: &str = "index.html";
/// The site's own page for every 404, when the root holds it (as GitHub
/// Pages and static-web-server use one).
pub const NOT_FOUND_PAGE: &str = "404.html";
/// Largest 404 page used; a larger one is ignored for the built-in page.
pub const MAX_NOT_FOUND_PAGE_BYTES: u64 = 1024 * 1024;

/// The directory being served. Lookups go through [`sys::RootDir`], which
/// keeps every one beneath the root however the OS resolves names.
#[derive(Debug)]
pub struct Root {
    /// Shared with the archives being streamed, which look files up
    /// beneath the root as they go.
    dir: std::sync::Arc<sys::RootDir>,
    /// Whether a directory without an index file is listed (else 404).
    listings: bool,
    /// `--sort`: the listings' order when the query names none.
    sort: Sort,
    /// The names of a directory's index page, the first found served
    /// (`--index`; `index.html`).
    index_names: Vec<String>,
    /// Which dotfiles are served and listed (`--hidden`).
    dotfiles: Dotfiles,
}

/// What a request path names on disk.
// Made once per request and moved once: boxing the large variant would
// only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Resolved {
    /// A regular file, open, with its metadata from that open handle.
    File {
        file: File,
        metadata: Metadata,
        path: PathBuf,
    },
    /// A directory named without its trailing slash: redirect to the slash form.
    DirectoryWithoutSlash,
    /// A directory without an index file, to be listed; its path relative
    /// to the root.
    Listing(PathBuf),
}

/// Why a path could not be served, with the I/O detail for the log.
#[derive(Debug)]
pub enum OpenError {
    /// No such file, a directory without an index, a special file, or a
    /// path that a symlink leads outside the root.
    NotFound,
    /// The file exists but this process may not read it.
    Forbidden,
    /// Any other I/O failure; the detail goes to the log, not the client.
    Io(io::Error),
}

/// Why no file was opened, as the decision records it. [`OpenFailure::status`]
/// is the one mapping from file-system errors to statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFailure {
    NotFound,
    Forbidden,
    Unreadable,
}

impl OpenError {
    /// The failure without its detail.
    pub fn failure(&self) -> OpenFailure {
        match self {
            OpenError::NotFound => OpenFailure::NotFound,
            OpenError::Forbidden => OpenFailure::Forbidden,
            OpenError::Io(_) => OpenFailure::Unreadable,
        }
    }
}

impl OpenFailure {
    /// The status the client is told.
    pub fn status(self) -> Status {
        match self {
            OpenFailure::NotFound => Status::NotFound,
            OpenFailure::Forbidden => Status::Forbidden,
            OpenFailure::Unreadable => Status::InternalServerError,
        }
    }

    /// The failure in plain words, in both languages.
    pub fn describe(self) -> Phrase {
        match self {
            OpenFailure::NotFound => phrase("no such file under the root", "根目录下没有这个文件"),
            OpenFailure::Forbidden => phrase(
                "the file exists but may not be read",
                "文件存在，但不允许读取",
            ),
            OpenFailure::Unreadable => phrase("the file could not be read", "文件无法读取"),
        }
    }
}

impl From<io::Error> for OpenError {
    fn from(error: io::Error) -> OpenError {
        match error.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => OpenError::NotFound,
            io::ErrorKind::PermissionDenied => OpenError::Forbidden,
            _ if sys::is_unnameable(&error) => OpenError::NotFound,
            _ => OpenError::Io(error),
        }
    }
}

/// The path beneath the root that `request_path`'s segments name (no index
/// file added); `None` when a segment cannot be a name on this system.
pub fn relative_path(request_path: &RequestPath) -> Option<PathBuf> {
    (request_path.segments())
        .map(sys::segment_to_name)
        .collect()
}

/// `--index NAME`: one file name, which a request path could name too (no
/// separator, no dotfile, nothing Windows reads otherwise).
pub fn parse_index_name(text: &str) -> Result<String, String> {
    let refused = crate::files::target::refuse_segment(text.as_bytes());
    match refused {
        _ if text.is_empty() || text.len() > 255 => Err("an index page is a file name".into()),
        _ if text.contains('/') => Err(format!(
            "{text:?} is a path: name a file, such as index.htm"
        )),
        Some(why) => Err(format!("{text:?} cannot be served: {}", why.en)),
        None => Ok(text.to_string()),
    }
}

impl Root {
    /// Opens the root directory: it must exist and be a directory.
    pub fn new(dir: &Path) -> io::Result<Root> {
        Ok(Root {
            dir: std::sync::Arc::new(sys::RootDir::open(dir)?),
            listings: true,
            sort: Sort::default(),
            index_names: vec![INDEX_FILE.to_string()],
            dotfiles: Dotfiles::Refused,
        })
    }

    /// `--index`: a directory's index page is the first of `names` found.
    pub fn with_index_names(self, names: Vec<String>) -> Root {
        match names.is_empty() {
            true => self,
            false => Root {
                index_names: names,
                ..self
            },
        }
    }

    /// `--hidden`: which dotfiles are served and listed.
    pub fn with_dotfiles(self, dotfiles: Dotfiles) -> Root {
        Root { dotfiles, ..self }
    }

    pub fn dotfiles(&self) -> Dotfiles {
        self.dotfiles
    }

    /// The index page's names, in the order they are looked for.
    pub fn index_names(&self) -> &[String] {
        &self.index_names
    }

    /// The same root, listing directories without an index file or not.
    pub fn with_listings(self, listings: bool) -> Root {
        Root { listings, ..self }
    }

    /// `--sort`: the listings' order when the query names none.
    pub fn with_sort(self, sort: Sort) -> Root {
        Root { sort, ..self }
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// The entries of the directory `relative`, as [`sys::RootDir::read_directory`].
    pub fn read_directory(
        &self,
        relative: &Path,
        limit: usize,
        keep: &dyn Fn(&std::ffi::OsStr) -> bool,
    ) -> io::Result<sys::DirEntries> {
        self.dir.read_directory(relative, limit, keep)
    }

    /// The root's directory, shared: what a streamed archive looks its
    /// files up in, beneath the root as every lookup.
    pub fn shared_dir(&self) -> std::sync::Arc<sys::RootDir> {
        std::sync::Arc::clone(&self.dir)
    }

    pub fn listings(&self) -> bool {
        self.listings
    }

    /// The canonical path being served.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The file a request path names when it names a file: its segments,
    /// and the first index name after a trailing slash (when that one does
    /// not exist, a lookup by this path finds nothing, and the caller goes
    /// the whole way through [`Root::open`]). `None` when a segment cannot
    /// be a name here.
    ///
    /// Borrowed from the request path when it names a file, so that a hit
    /// in the cache costs no allocation (`/` is a separator on every
    /// system, so the joined segments are a relative path as they are).
    pub fn file_path<'a>(&self, request_path: &'a RequestPath) -> Option<Cow<'a, Path>> {
        let relative = Path::new(sys::segment_to_name(request_path.joined())?);
        match request_path.trailing_slash {
            false => Some(Cow::Borrowed(relative)),
            true => Some(Cow::Owned(relative.join(self.index_names.first()?))),
        }
    }

    /// The bytes of the root's `404.html`, if it holds one that can be
    /// read and is not over [`MAX_NOT_FOUND_PAGE_BYTES`]. Read on every 404,
    /// so an edit shows at once; 404s are rare and the page small.
    pub fn not_found_page(&self) -> Option<Vec<u8>> {
        use std::io::Read;
        let sys::Entry::File(file, metadata) = self.dir.lookup(Path::new(NOT_FOUND_PAGE)).ok()?
        else {
            return None;
        };
        if metadata.len() > MAX_NOT_FOUND_PAGE_BYTES {
            log::warn!("{NOT_FOUND_PAGE} is over {MAX_NOT_FOUND_PAGE_BYTES} bytes: the built-in page is sent");
            return None;
        }
        let mut page = Vec::with_capacity(metadata.len() as usize);
        file.take(MAX_NOT_FOUND_PAGE_BYTES)
            .read_to_end(&mut page)
            .ok()?;
        Some(page)
    }

    /// The file `relative` precompressed in `coding` (`style.css.br` beside
    /// `style.css`), open, if such a regular file is there.
    pub fn sibling(&self, relative: &Path, coding: Coding) -> Option<(File, Metadata, PathBuf)> {
        let mut name = relative.as_os_str().to_os_string();
        name.push(coding.file_suffix());
        let path = PathBuf::from(name);
        match self.dir.lookup(&path) {
            Ok(sys::Entry::File(file, metadata)) => Some((file, metadata, path)),
            _ => None,
        }
    }

    /// The stamp of `relative` without opening it, where the system can
    /// tell in one call (see [`sys::RootDir::stamp`]).
    pub fn stamp(&self, relative: &Path) -> Option<sys::FileStamp> {
        self.dir.stamp(relative)
    }

    /// The first index page of the directory `relative` found, open, with
    /// its path; `None` when it has none.
    fn find_index(&self, relative: &Path) -> Result<Option<(PathBuf, sys::Entry)>, OpenError> {
        for name in &self.index_names {
            let index = relative.join(name);
            match self.dir.lookup(&index).map_err(OpenError::from) {
                Err(OpenError::NotFound) => continue,
                found => return Ok(Some((index, found?))),
            }
        }
        Ok(None)
    }

    /// The directory `request_path` names, opened for `--upload` to write
    /// in (see [`sys::RootDir::writable_directory`]).
    pub fn writable_directory(&self, request_path: &RequestPath) -> io::Result<sys::WritableDir> {
        let relative = relative_path(request_path).ok_or(io::ErrorKind::NotFound)?;
        self.dir.writable_directory(&relative)
    }

    /// Whether a directory's entry named `name` is shown (listed, and put
    /// in a folder's `.zip`): a name the path rules would let a request
    /// name, dotfiles only with `--hidden`.
    pub fn shows(&self, name: &std::ffi::OsStr) -> bool {
        sys::name_to_segment(name)
            .is_some_and(|segment| target::refuse_name(segment, self.dotfiles).is_none())
    }

    /// Finds and opens what `request_path` names under the root.
    pub fn open(&self, request_path: &RequestPath) -> Result<Resolved, OpenError> {
        let mut relative = relative_path(request_path).ok_or(OpenError::NotFound)?;
        let entry = if relative.as_os_str().is_empty() {
            sys::Entry::Directory
        } else {
            self.dir.lookup(&relative)?
        };
        let entry = match entry {
            sys::Entry::Directory if !request_path.trailing_slash => {
                return Ok(Resolved::DirectoryWithoutSlash)
            }
            sys::Entry::Directory => match self.find_index(&relative)? {
                Some((index, entry)) => {
                    relative = index;
                    entry
                }
                None if self.listings => return Ok(Resolved::Listing(relative)),
                None => return Err(OpenError::NotFound),
            },
            other => other,
        };
        match entry {
            sys::Entry::File(file, metadata) => Ok(Resolved::File {
                file,
                metadata,
                path: relative,
            }),
            // A directory named index.html, a FIFO, a device: nothing to serve.
            sys::Entry::Directory | sys::Entry::Other => Err(OpenError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_name_is_one_servable_file_name() {
        let cases = [
            ("index.htm", Ok(())),
            ("default.html", Ok(())),
            ("首页.html", Ok(())),
            ("", Err("a file name")),
            ("docs/index.html", Err("is a path")),
            (".index.html", Err("dotfile")),
            ("nul.html", Err("cannot be served")),
            ("index.html.", Err("cannot be served")),
            ("a\\b.html", Err("backslash")),
        ];
        for (text, expected) in cases {
            match (parse_index_name(text), expected) {
                (Ok(name), Ok(())) => assert_eq!(name, text),
                (Err(why), Err(part)) => assert!(why.contains(part), "{text:?}: {why}"),
                (got, want) => panic!("{text:?}: {got:?}, expected {want:?}"),
            }
        }
    }
}
