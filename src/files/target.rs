//! From a request target to a path beneath the root, without I/O.
//!
//! [`parse_target`] takes the path out of an origin- or absolute-form
//! target, percent-decodes it once, and normalises `.` and `..` segments,
//! refusing NUL, backslashes, dotfiles, any `..` that would climb above the
//! root, and names Windows would read as another file or a device
//! ([`refuse_on_windows`], on every system). [`crate::files::root`] then
//! looks the path up.

use crate::protocol::words::{phrase, Phrase};
use crate::protocol::Status;

/// A request path, decoded and normalised: its segments, held in one
/// buffer joined by `/` (no segment holds one: a decoded `%2F` separates
/// segments like any slash), so that reading a request's path costs one
/// allocation, not one per segment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestPath {
    /// Decoded segments joined by `/`, none empty, `.`, `..` or starting
    /// with a dot; empty for the root.
    joined: Vec<u8>,
    /// Whether the path as sent ended in `/` (a directory URL).
    pub trailing_slash: bool,
    /// The query as sent, without the `?`.
    pub query: Option<String>,
}

impl RequestPath {
    /// The path of these segments, checked by nothing: for a path the
    /// server names itself (its `404.html`).
    pub fn from_segments<'a>(segments: impl IntoIterator<Item = &'a [u8]>) -> RequestPath {
        let mut path = RequestPath::default();
        for segment in segments {
            path.push_segment(segment);
        }
        path
    }

    /// The decoded segments, in order.
    pub fn segments(&self) -> impl DoubleEndedIterator<Item = &[u8]> + Clone + '_ {
        self.joined
            .split(|&b| b == b'/')
            .filter(|segment| !segment.is_empty())
    }

    /// The last segment, the name of what the path names.
    pub fn last_segment(&self) -> Option<&[u8]> {
        self.segments().next_back()
    }

    /// The segments joined by `/`, as one name relative to the root.
    pub fn joined(&self) -> &[u8] {
        &self.joined
    }

    /// Whether the path names the root itself.
    pub fn is_root(&self) -> bool {
        self.joined.is_empty()
    }

    /// Adds a segment at the end.
    fn push_segment(&mut self, segment: &[u8]) {
        if !self.joined.is_empty() {
            self.joined.push(b'/');
        }
        self.joined.extend_from_slice(segment);
    }

    /// The path of `name` inside the folder this one names (an entry of its
    /// listing or of its `.zip`): no trailing slash, no query.
    pub fn child(&self, name: &[u8]) -> RequestPath {
        let mut joined = Vec::with_capacity(self.joined.len() + 1 + name.len());
        joined.extend_from_slice(&self.joined);
        let mut child = RequestPath {
            joined,
            ..RequestPath::default()
        };
        child.push_segment(name);
        child
    }

    /// Adds `more` to the last segment's name (`about` → `about.html`).
    pub fn extend_last_segment(&mut self, more: &[u8]) {
        self.joined.extend_from_slice(more);
    }

    /// Whether `prefix`'s segments begin this path's.
    pub fn starts_with(&self, prefix: &RequestPath) -> bool {
        let mut segments = self.segments();
        prefix
            .segments()
            .all(|wanted| segments.next() == Some(wanted))
    }

    /// Whether both name the same segments (whatever their slash or query).
    pub fn same_segments(&self, other: &RequestPath) -> bool {
        self.joined == other.joined
    }

    /// The path re-encoded for a `Location` field: always one leading slash,
    /// so it can never be read as `//host` (a network-path reference).
    pub fn to_url_path(&self) -> String {
        let mut url = String::from("/");
        for segment in self.segments() {
            // Unreserved bytes and those a path segment may hold as they are
            // (RFC 3986 §3.3: pchar).
            percent_encode_into(&mut url, segment, b"!$&'()*+,;=:@");
            url.push('/');
        }
        if self.is_root() || !self.trailing_slash {
            // "/" alone, or "/a/b/" trimmed back to "/a/b".
            if url.len() > 1 {
                url.pop();
            }
        }
        url
    }
}

/// Appends `segment` to `out` with every byte but the unreserved ones
/// (RFC 3986 §2.3) and those in `also_kept` written as `%XX`.
pub fn percent_encode_into(out: &mut String, segment: &[u8], also_kept: &[u8]) {
    for &byte in segment {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || also_kept.contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// Why a path is refused, in both languages.
pub const DOTFILE: Phrase = phrase("dotfile", "以点开头的名字（隐藏文件）");
pub const NUL_BYTE: Phrase = phrase("NUL byte in path", "路径中有 NUL 字节");
pub const BACKSLASH: Phrase = phrase("backslash in path", "路径中有反斜杠");
pub const ABOVE_ROOT: Phrase = phrase("path climbs above the root", "路径越过了根目录");
pub const COLON: Phrase = phrase(
    "colon in a name (a drive or an NTFS stream)",
    "名字中有冒号（在 Windows 上表示驱动器或 NTFS 数据流）",
);
pub const TRAILING_DOT: Phrase = phrase(
    "name ends in a dot or a space",
    "名字以点或空格结尾（Windows 会去掉它们）",
);
pub const DEVICE_NAME: Phrase = phrase("reserved device name", "Windows 保留的设备名");
pub const SHORT_NAME: Phrase = phrase("8.3 short name", "8.3 短文件名（同一个文件的第二个名字）");

/// Why a target cannot name a file. [`PathError::status`] is the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// Not origin-form or absolute-form, or a `%` not followed by two hex digits.
    BadTarget,
    /// A NUL byte, a backslash, a dotfile or a `..` above the root:
    /// answered as if there were no such file.
    Refused(Phrase),
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

/// Which dotfiles a path may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dotfiles {
    /// None: the default, as every peer's.
    #[default]
    Refused,
    /// `--hidden`: all but [`NEVER_SERVED`] (for `.well-known/`).
    Served,
}

/// Names never served, `--hidden` or not: a repository's history, and
/// glasshttp's own (`/.glasshttp/reload`, which no file may shadow, and
/// the temporary names of uploads, `.glasshttp-upload-…`): `.git`, and
/// every name that begins with `.glasshttp`. Compared without regard to
/// case: a case-insensitive file system opens `.GIT` as `.git`.
pub const NEVER_SERVED: [&str; 2] = [".git", ".glasshttp"];

/// Takes the path out of a request target and normalises it; no dotfile.
pub fn parse_target(target: &str) -> Result<RequestPath, PathError> {
    parse_target_with(target, Dotfiles::Refused)
}

/// [`parse_target`], with `dotfiles` saying which dotfiles it may name.
pub fn parse_target_with(target: &str, dotfiles: Dotfiles) -> Result<RequestPath, PathError> {
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
        return Err(PathError::Refused(NUL_BYTE));
    }
    if decoded.contains(&b'\\') {
        return Err(PathError::Refused(BACKSLASH));
    }

    let (joined, trailing_slash) = normalise_in_place(decoded, dotfiles)?;
    Ok(RequestPath {
        joined,
        trailing_slash,
        query,
    })
}

/// The segments of a decoded path, joined by `/`, with `.` and empty ones
/// dropped and each `..` taking back the one before it, written over the
/// path itself: what is kept is never longer than what was read, so the
/// decoded buffer becomes the path's without another allocation. Also
/// says whether the path names a folder: its last segment is empty, `.`
/// or `..` (`/a/`, `/a/.`, `/a/b/..`). Refuses a `..` above the root and
/// any name [`refuse_name`] refuses.
fn normalise_in_place(mut path: Vec<u8>, dotfiles: Dotfiles) -> Result<(Vec<u8>, bool), PathError> {
    let (mut read, mut kept, mut folder) = (0, 0, true);
    while read <= path.len() {
        let end = path[read..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(path.len(), |at| read + at);
        folder = matches!(&path[read..end], b"" | b"." | b"..");
        match &path[read..end] {
            b"" | b"." => {}
            b".." if kept == 0 => return Err(PathError::Refused(ABOVE_ROOT)),
            b".." => kept = path[..kept].iter().rposition(|&b| b == b'/').unwrap_or(0),
            segment => {
                if let Some(why) = refuse_name(segment, dotfiles) {
                    return Err(PathError::Refused(why));
                }
                if kept > 0 {
                    path[kept] = b'/';
                    kept += 1;
                }
                path.copy_within(read..end, kept);
                kept += end - read;
            }
        }
        read = end + 1;
    }
    path.truncate(kept);
    Ok((path, folder))
}

/// Why one decoded path segment (a name, not `.` or `..`) may not be
/// served, if it may not: a dotfile, a NUL or a backslash, or a name
/// Windows reads otherwise. The listing leaves out the same names.
pub fn refuse_segment(segment: &[u8]) -> Option<Phrase> {
    refuse_name(segment, Dotfiles::Refused)
}

/// [`refuse_segment`], with `dotfiles` saying which dotfiles may be served.
pub fn refuse_name(segment: &[u8], dotfiles: Dotfiles) -> Option<Phrase> {
    let never = || {
        let [git, own] = NEVER_SERVED.map(str::as_bytes);
        segment.eq_ignore_ascii_case(git)
            || segment
                .get(..own.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(own))
    };
    if segment.starts_with(b".") && (dotfiles == Dotfiles::Refused || never()) {
        return Some(DOTFILE);
    }
    if segment.contains(&0) {
        return Some(NUL_BYTE);
    }
    if segment.contains(&b'\\') {
        return Some(BACKSLASH);
    }
    refuse_on_windows(segment)
}

/// Names that Windows would read as something other than the file they
/// spell, refused on every system so that a root copied from one machine to
/// another serves the same files (and a Windows build serves nothing else):
///
/// - `:` names a drive (`C:`) or an NTFS alternate data stream
///   (`index.html::$DATA` is the file's content under another name, which
///   would skip every rule keyed on the name);
/// - Win32 drops a trailing `.` or space, so `secret.txt.` opens `secret.txt`;
/// - `CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9` (and the
///   superscript digits Windows also accepts), `CONIN$` and `CONOUT$` are
///   devices in every directory, whatever the case or extension
///   (`nul.txt` is the NUL device);
/// - an 8.3 short name (`PROGRA~1`, `HTACCE~1`) is a second name for a file
///   whose long name may be refused (a dotfile), so every name of that
///   shape is refused.
///
/// Dotfiles are refused before this by their leading dot, which has no case.
pub fn refuse_on_windows(segment: &[u8]) -> Option<Phrase> {
    if segment.contains(&b':') {
        return Some(COLON);
    }
    if segment.ends_with(b".") || segment.ends_with(b" ") {
        return Some(TRAILING_DOT);
    }
    if is_reserved_device(segment) {
        return Some(DEVICE_NAME);
    }
    if is_short_name(segment) {
        return Some(SHORT_NAME);
    }
    None
}

/// Whether the part before the first dot, less trailing spaces, is a DOS
/// device name, in any case.
fn is_reserved_device(segment: &[u8]) -> bool {
    let stem = segment.split(|&b| b == b'.').next().unwrap_or_default();
    // Compared without regard to case, and without a copy: this runs for
    // every segment of every request.
    let stem = stem.trim_ascii_end();
    let numbered = |prefix: &[u8]| {
        stem.len() > prefix.len() && stem[..prefix.len()].eq_ignore_ascii_case(prefix) && {
            let digit = &stem[prefix.len()..];
            matches!(digit, [b'0'..=b'9']) || ["¹", "²", "³"].iter().any(|s| digit == s.as_bytes())
        }
    };
    [&b"CON"[..], b"PRN", b"AUX", b"NUL", b"CONIN$", b"CONOUT$"]
        .iter()
        .any(|device| stem.eq_ignore_ascii_case(device))
        || numbered(b"COM")
        || numbered(b"LPT")
}

/// Whether a name has the shape of a generated 8.3 short name: at most 8
/// characters, ending in `~` and digits, then at most a 3-character
/// extension.
fn is_short_name(segment: &[u8]) -> bool {
    let (stem, extension) = match segment.iter().rposition(|&b| b == b'.') {
        Some(dot) => (&segment[..dot], &segment[dot + 1..]),
        None => (segment, &[][..]),
    };
    let Some(tilde) = stem.iter().rposition(|&b| b == b'~') else {
        return false;
    };
    let digits = &stem[tilde + 1..];
    stem.len() <= 8
        && extension.len() <= 3
        && tilde > 0
        && !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(parts: &[&str]) -> Vec<Vec<u8>> {
        parts.iter().map(|p| p.as_bytes().to_vec()).collect()
    }

    fn owned(path: &RequestPath) -> Vec<Vec<u8>> {
        path.segments().map(<[u8]>::to_vec).collect()
    }

    /// Every path of up to seven bytes from `a`, `.` and `/` is normalised
    /// in place exactly as a list of segments would be: the same segments,
    /// the same refusals, and (for a path from `/`) a folder exactly when
    /// it ends in `/`, `/.` or `/..`.
    #[test]
    fn normalising_in_place_agrees_with_a_list_of_segments() {
        fn by_list(path: &[u8]) -> Result<Vec<Vec<u8>>, PathError> {
            let mut kept: Vec<Vec<u8>> = Vec::new();
            for segment in path.split(|&b| b == b'/') {
                match segment {
                    b"" | b"." => {}
                    b".." if kept.pop().is_some() => {}
                    b".." => return Err(PathError::Refused(ABOVE_ROOT)),
                    segment => match refuse_name(segment, Dotfiles::Served) {
                        Some(why) => return Err(PathError::Refused(why)),
                        None => kept.push(segment.to_vec()),
                    },
                }
            }
            Ok(kept)
        }
        let mut paths: Vec<Vec<u8>> = vec![Vec::new()];
        for length in 1..=7 {
            let shorter: Vec<Vec<u8>> = paths
                .iter()
                .filter(|p| p.len() == length - 1)
                .cloned()
                .collect();
            for path in shorter {
                for byte in [b'a', b'.', b'/'] {
                    let mut longer = path.clone();
                    longer.push(byte);
                    paths.push(longer);
                }
            }
        }
        assert_eq!(paths.len(), (0..=7).map(|n| 3usize.pow(n)).sum::<usize>());
        for path in paths {
            let folder = path.ends_with(b"/") || path.ends_with(b"/.") || path.ends_with(b"/..");
            if let (Ok((_, named_folder)), Some(b'/')) = (
                normalise_in_place(path.clone(), Dotfiles::Served),
                path.first(),
            ) {
                assert_eq!(named_folder, folder, "{:?}", String::from_utf8_lossy(&path));
            }
            let in_place = normalise_in_place(path.clone(), Dotfiles::Served).map(|(joined, _)| {
                RequestPath {
                    joined,
                    ..RequestPath::default()
                }
                .segments()
                .map(<[u8]>::to_vec)
                .collect()
            });
            assert_eq!(
                in_place,
                by_list(&path),
                "{:?}",
                String::from_utf8_lossy(&path)
            );
        }
    }

    const TRAILING: Phrase = TRAILING_DOT;
    const DEVICE: Phrase = DEVICE_NAME;
    const SHORT: Phrase = SHORT_NAME;

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
            ("/..", Err(Refused(ABOVE_ROOT))),
            ("/../etc/passwd", Err(Refused(ABOVE_ROOT))),
            ("/a/../../etc/passwd", Err(Refused(ABOVE_ROOT))),
            ("/%2e%2e/etc/passwd", Err(Refused(ABOVE_ROOT))),
            ("/%2E%2E%2Fetc%2Fpasswd", Err(Refused(ABOVE_ROOT))),
            ("/a%00.html", Err(Refused(NUL_BYTE))),
            ("/..%5cetc", Err(Refused(BACKSLASH))),
            ("/a\\b", Err(Refused(BACKSLASH))),
            ("/.env", Err(Refused(DOTFILE))),
            ("/a/.git/config", Err(Refused(DOTFILE))),
            ("/.GIT/config", Err(Refused(DOTFILE))),
            // Names Windows reads as something else, refused everywhere.
            ("/index.html::$DATA", Err(Refused(COLON))),
            ("/index.html:$DATA", Err(Refused(COLON))),
            ("/C:/Windows/win.ini", Err(Refused(COLON))),
            ("/c%3a/boot.ini", Err(Refused(COLON))),
            ("/index.html.", Err(Refused(TRAILING))),
            ("/index.html%20", Err(Refused(TRAILING))),
            ("/docs./index.html", Err(Refused(TRAILING))),
            ("/index.html...", Err(Refused(TRAILING))),
            ("/nul", Err(Refused(DEVICE))),
            ("/NUL.txt", Err(Refused(DEVICE))),
            ("/nul.tar.gz", Err(Refused(DEVICE))),
            ("/Con", Err(Refused(DEVICE))),
            ("/aux.html", Err(Refused(DEVICE))),
            ("/prn%20.txt", Err(Refused(DEVICE))),
            ("/com1", Err(Refused(DEVICE))),
            ("/COM9.log", Err(Refused(DEVICE))),
            ("/lpt3.txt", Err(Refused(DEVICE))),
            ("/lpt0", Err(Refused(DEVICE))),
            ("/COM%C2%B9", Err(Refused(DEVICE))),
            ("/conin$", Err(Refused(DEVICE))),
            ("/docs/CONOUT$.txt", Err(Refused(DEVICE))),
            ("/HTACCE~1", Err(Refused(SHORT))),
            ("/GIT~1/config", Err(Refused(SHORT))),
            ("/PROGRA~1", Err(Refused(SHORT))),
            ("/index~1.htm", Err(Refused(SHORT))),
            ("/A~12.TXT", Err(Refused(SHORT))),
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
            // Names that only look like the refused ones are served.
            ("/console.html", Ok((&["console.html"], false))),
            ("/com10.txt", Ok((&["com10.txt"], false))),
            ("/lpt.txt", Ok((&["lpt.txt"], false))),
            (
                "/auxiliary/nullable.js",
                Ok((&["auxiliary", "nullable.js"], false)),
            ),
            ("/a.b.c", Ok((&["a.b.c"], false))),
            ("/~user/", Ok((&["~user"], true))),
            ("/notes~1.markdown", Ok((&["notes~1.markdown"], false))),
            ("/verylongname~1.txt", Ok((&["verylongname~1.txt"], false))),
            ("/backup~", Ok((&["backup~"], false))),
            ("/a%20b.txt", Ok((&["a b.txt"], false))),
        ];
        for (target, expected) in cases {
            let got = parse_target(target).map(|p| (owned(&p), p.trailing_slash));
            let expected = (*expected).map(|(parts, slash)| (segments(parts), slash));
            assert_eq!(got, expected, "{target}");
        }
    }

    /// `--hidden` serves dotfiles, but never a repository's history nor
    /// glasshttp's own paths, in any case; the other rules still hold.
    #[test]
    fn hidden_serves_dotfiles_but_never_git_or_glasshttp() {
        use PathError::*;
        type Parsed = Result<(), PathError>;
        let cases: [(&str, Parsed, Parsed); 10] = [
            ("/.well-known/security.txt", Err(Refused(DOTFILE)), Ok(())),
            ("/.env", Err(Refused(DOTFILE)), Ok(())),
            ("/.git/config", Err(Refused(DOTFILE)), Err(Refused(DOTFILE))),
            (
                "/docs/.GIT/HEAD",
                Err(Refused(DOTFILE)),
                Err(Refused(DOTFILE)),
            ),
            (
                "/.glasshttp/reload",
                Err(Refused(DOTFILE)),
                Err(Refused(DOTFILE)),
            ),
            (
                "/.GlassHTTP/x",
                Err(Refused(DOTFILE)),
                Err(Refused(DOTFILE)),
            ),
            (
                "/.glasshttp-upload-1-2",
                Err(Refused(DOTFILE)),
                Err(Refused(DOTFILE)),
            ),
            (
                "/.git./config",
                Err(Refused(DOTFILE)),
                Err(Refused(TRAILING)),
            ),
            ("/.gitignore", Err(Refused(DOTFILE)), Ok(())),
            ("/a/../.env", Err(Refused(DOTFILE)), Ok(())),
        ];
        for (target, refused, served) in cases {
            let by = |dotfiles| parse_target_with(target, dotfiles).map(|_| ());
            assert_eq!(by(Dotfiles::Refused), refused, "{target}");
            assert_eq!(by(Dotfiles::Served), served, "{target} with --hidden");
        }
    }

    #[test]
    fn a_child_is_its_folder_and_one_more_name_without_the_query() {
        // (folder, name, the child's segments)
        let cases: [(&str, &str, &[&str]); 3] = [
            ("/", "a.txt", &["a.txt"]),
            ("/docs/?sort=size", "b", &["docs", "b"]),
            ("/x/y/", "z.html", &["x", "y", "z.html"]),
        ];
        for (folder, name, expected) in cases {
            let child = parse_target(folder).unwrap().child(name.as_bytes());
            assert_eq!(owned(&child), segments(expected), "{folder} + {name}");
            assert_eq!(
                (child.trailing_slash, child.query),
                (false, None),
                "{folder}"
            );
        }
    }

    #[test]
    fn query_is_kept_apart_from_the_path() {
        let path = parse_target("/docs?lang=en&x=%2F").unwrap();
        assert_eq!(owned(&path), segments(&["docs"]));
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
