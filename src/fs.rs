//! Safe path resolution: from a request target to a file under the root.
//!
//! Two steps. [`parse_target`] is pure: it takes the path out of an origin-
//! or absolute-form target, percent-decodes it once, and normalises `.` and
//! `..` segments, refusing NUL, backslashes, dotfiles and any `..` that would
//! climb above the root. [`Root::open`] then does the I/O: it opens the path
//! with the kernel confining the lookup beneath the root (openat2 with
//! RESOLVE_BENEATH), so a symlink can never lead outside it.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::response::Status;

/// The file served for a directory whose path ends in `/`.
pub const INDEX_FILE: &str = "index.html";

/// A request path, decoded and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPath {
    /// Decoded segments, none empty, `.`, `..` or starting with a dot.
    pub segments: Vec<Vec<u8>>,
    /// Whether the path as sent ended in `/` (a directory URL).
    pub trailing_slash: bool,
    /// The query as sent, without the `?`.
    pub query: Option<String>,
}

impl RequestPath {
    /// The path re-encoded for a `Location` field: always one leading slash,
    /// so it can never be read as `//host` (a network-path reference).
    pub fn to_url_path(&self) -> String {
        let mut url = String::from("/");
        for segment in &self.segments {
            for &byte in segment {
                if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte) {
                    url.push(byte as char);
                } else {
                    url.push_str(&format!("%{byte:02X}"));
                }
            }
            url.push('/');
        }
        if self.segments.is_empty() || !self.trailing_slash {
            // "/" alone, or "/a/b/" trimmed back to "/a/b".
            if url.len() > 1 {
                url.pop();
            }
        }
        url
    }
}

/// Why a target cannot name a file. [`PathError::status`] is the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// Not origin-form or absolute-form, or a `%` not followed by two hex digits.
    BadTarget,
    /// A NUL byte, a backslash, a dotfile or a `..` above the root:
    /// answered as if there were no such file.
    Refused(&'static str),
}

impl PathError {
    /// The status the client is told.
    pub fn status(self) -> Status {
        match self {
            PathError::BadTarget => Status::BadRequest,
            PathError::Refused(_) => Status::NotFound,
        }
    }
}

/// Takes the path out of a request target and normalises it.
pub fn parse_target(target: &str) -> Result<RequestPath, PathError> {
    let path_and_query = origin_part(target).ok_or(PathError::BadTarget)?;
    if path_and_query.contains('#') {
        // Fragments are for the client; a target never carries one (RFC 9112 §3.2).
        return Err(PathError::BadTarget);
    }
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query.to_string())),
        None => (path_and_query, None),
    };
    let decoded = percent_decode(path.as_bytes()).ok_or(PathError::BadTarget)?;
    if decoded.contains(&0) {
        return Err(PathError::Refused("NUL byte in path"));
    }
    if decoded.contains(&b'\\') {
        return Err(PathError::Refused("backslash in path"));
    }

    let mut segments: Vec<Vec<u8>> = Vec::new();
    for segment in decoded.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                if segments.pop().is_none() {
                    return Err(PathError::Refused("path climbs above the root"));
                }
            }
            s if s.starts_with(b".") => return Err(PathError::Refused("dotfile")),
            s => segments.push(s.to_vec()),
        }
    }
    let trailing_slash = decoded.ends_with(b"/")
        || decoded.ends_with(b"/.")
        || decoded.ends_with(b"/..")
        || decoded.is_empty();
    Ok(RequestPath {
        segments,
        trailing_slash,
        query,
    })
}

/// The origin-form part of a target: the target itself, or the path and
/// query of an absolute-form target (RFC 9112 §3.2.2).
fn origin_part(target: &str) -> Option<&str> {
    if target.starts_with('/') {
        return Some(target);
    }
    // Compared as bytes: the target may hold UTF-8, and slicing a str at a
    // byte that is not a character boundary would panic.
    let has_prefix = |prefix: &[u8]| {
        target
            .as_bytes()
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    };
    let scheme_len = if has_prefix(b"http://") {
        7
    } else if has_prefix(b"https://") {
        8
    } else {
        return None;
    };
    // The prefix is ASCII, so `scheme_len` is a character boundary.
    let rest = &target[scheme_len..];
    match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => Some(&rest[i..]),
        // "http://host?q" has an empty path, which means "/".
        Some(_) | None => Some("/"),
    }
}

/// Decodes `%XX` escapes once. A second layer (`%252e`) stays literal.
fn percent_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut bytes = input.iter();
    while let Some(&byte) = bytes.next() {
        if byte == b'%' {
            let high = (*bytes.next()? as char).to_digit(16)?;
            let low = (*bytes.next()? as char).to_digit(16)?;
            out.push((high * 16 + low) as u8);
        } else {
            out.push(byte);
        }
    }
    Some(out)
}

/// The directory being served, held by its canonical path and an open
/// handle that every lookup starts from.
#[derive(Debug)]
pub struct Root {
    dir: PathBuf,
    handle: File,
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
}

/// Why a path could not be served. [`OpenError::status`] is the one mapping
/// from file-system errors to statuses.
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

impl OpenError {
    /// The status the client is told.
    pub fn status(&self) -> Status {
        match self {
            OpenError::NotFound => Status::NotFound,
            OpenError::Forbidden => Status::Forbidden,
            OpenError::Io(_) => Status::InternalServerError,
        }
    }
}

impl From<io::Error> for OpenError {
    fn from(error: io::Error) -> OpenError {
        match error.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => OpenError::NotFound,
            io::ErrorKind::PermissionDenied => OpenError::Forbidden,
            // ENAMETOOLONG and ELOOP mean the path cannot name a file here.
            _ if [rustix::io::Errno::NAMETOOLONG, rustix::io::Errno::LOOP]
                .iter()
                .any(|errno| error.raw_os_error() == Some(errno.raw_os_error())) =>
            {
                OpenError::NotFound
            }
            _ => OpenError::Io(error),
        }
    }
}

impl Root {
    /// Opens the root directory: it must exist and be a directory.
    pub fn new(dir: &Path) -> io::Result<Root> {
        let dir = dir.canonicalize()?;
        let handle = File::open(&dir)?;
        if !handle.metadata()?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        Ok(Root { dir, handle })
    }

    /// The canonical path being served.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Finds and opens what `request_path` names under the root.
    pub fn open(&self, request_path: &RequestPath) -> Result<Resolved, OpenError> {
        let mut relative = PathBuf::from(".");
        for segment in &request_path.segments {
            relative.push(OsStr::from_bytes(segment));
        }
        let (mut file, mut metadata) = self.open_beneath(&relative)?;
        if metadata.is_dir() {
            if !request_path.trailing_slash {
                return Ok(Resolved::DirectoryWithoutSlash);
            }
            relative.push(INDEX_FILE);
            (file, metadata) = self.open_beneath(&relative)?;
        }
        if !metadata.is_file() {
            // A directory named index.html, a FIFO, a device: nothing to serve.
            return Err(OpenError::NotFound);
        }
        Ok(Resolved::File {
            file,
            metadata,
            path: relative,
        })
    }

    /// Opens `relative` with the kernel keeping every step of the resolution,
    /// symlinks included, beneath the root: one openat2(2) with
    /// RESOLVE_BENEATH instead of resolving the path by hand. O_NONBLOCK keeps
    /// a FIFO from blocking the open; it changes nothing for regular files.
    fn open_beneath(&self, relative: &Path) -> Result<(File, Metadata), OpenError> {
        use rustix::fs::{openat2, Mode, OFlags, ResolveFlags};
        use rustix::io::Errno;
        let opened = openat2(
            &self.handle,
            relative,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
        );
        let file = match opened {
            Ok(fd) => File::from(fd),
            // EXDEV: an absolute symlink, or one through "..", which may still
            // land inside the root; ENOSYS or EPERM: a kernel or sandbox
            // without openat2. The slower path decides those.
            Err(Errno::XDEV | Errno::NOSYS | Errno::PERM) => {
                let real = self.confine(&self.dir.join(relative))?;
                open_nonblocking(&real)?
            }
            Err(errno) => return Err(io::Error::from(errno).into()),
        };
        let metadata = file.metadata()?;
        Ok((file, metadata))
    }

    /// Resolves every symlink in `path` and refuses the result unless it is
    /// still under the root.
    fn confine(&self, path: &Path) -> Result<PathBuf, OpenError> {
        let real = path.canonicalize()?;
        if real.starts_with(&self.dir) {
            Ok(real)
        } else {
            Err(OpenError::NotFound)
        }
    }
}

fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    File::options()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(parts: &[&str]) -> Vec<Vec<u8>> {
        parts.iter().map(|p| p.as_bytes().to_vec()).collect()
    }

    #[test]
    fn targets_table() {
        use PathError::*;
        type Expected = Result<(&'static [&'static str], bool), PathError>;
        let cases: &[(&str, Expected)] = &[
            // Garbage and attacks first.
            ("*", Err(BadTarget)),
            ("example.com:80", Err(BadTarget)),
            ("index.html", Err(BadTarget)),
            // Found by fuzzing: a multi-byte character across the scheme's length.
            ("HHTTGN\u{65f}s", Err(BadTarget)),
            ("https:/\u{e9}", Err(BadTarget)),
            ("/bad%zzescape", Err(BadTarget)),
            ("/truncated%2", Err(BadTarget)),
            ("/a#frag", Err(BadTarget)),
            ("/..", Err(Refused("path climbs above the root"))),
            ("/../etc/passwd", Err(Refused("path climbs above the root"))),
            (
                "/a/../../etc/passwd",
                Err(Refused("path climbs above the root")),
            ),
            (
                "/%2e%2e/etc/passwd",
                Err(Refused("path climbs above the root")),
            ),
            (
                "/%2E%2E%2Fetc%2Fpasswd",
                Err(Refused("path climbs above the root")),
            ),
            ("/a%00.html", Err(Refused("NUL byte in path"))),
            ("/..%5cetc", Err(Refused("backslash in path"))),
            ("/a\\b", Err(Refused("backslash in path"))),
            ("/.env", Err(Refused("dotfile"))),
            ("/a/.git/config", Err(Refused("dotfile"))),
            // Then valid targets.
            ("/", Ok((&[], true))),
            ("/index.html", Ok((&["index.html"], false))),
            ("/a/b/", Ok((&["a", "b"], true))),
            ("/a/./b", Ok((&["a", "b"], false))),
            ("/a/../b", Ok((&["b"], false))),
            ("/a/..", Ok((&[], true))),
            ("//a//b", Ok((&["a", "b"], false))),
            ("/%E4%B8%AD.txt", Ok((&["中.txt"], false))),
            // A second layer of encoding stays literal: a file named "%2e%2e".
            ("/%252e%252e/x", Ok((&["%2e%2e", "x"], false))),
            ("http://example.com/a?b", Ok((&["a"], false))),
            ("HTTP://example.com", Ok((&[], true))),
            ("https://example.com?x", Ok((&[], true))),
        ];
        for (target, expected) in cases {
            let got = parse_target(target).map(|p| (p.segments, p.trailing_slash));
            let expected = (*expected).map(|(parts, slash)| (segments(parts), slash));
            assert_eq!(got, expected, "{target}");
        }
    }

    #[test]
    fn query_is_kept_apart_from_the_path() {
        let path = parse_target("/docs?lang=en&x=%2F").unwrap();
        assert_eq!(path.segments, segments(&["docs"]));
        assert_eq!(path.query.as_deref(), Some("lang=en&x=%2F"));
    }

    #[test]
    fn url_paths_have_exactly_one_leading_slash() {
        let cases = [
            ("/", "/"),
            ("//evil.example/", "/evil.example/"),
            ("/a/b", "/a/b"),
            ("/a%20b/", "/a%20b/"),
            ("/%E4%B8%AD/", "/%E4%B8%AD/"),
            ("/a/%3F/", "/a/%3F/"),
        ];
        for (target, url) in cases {
            assert_eq!(parse_target(target).unwrap().to_url_path(), url, "{target}");
        }
    }
}
