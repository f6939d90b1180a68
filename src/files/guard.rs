//! `--auth` and `--auth-path`: which request paths need credentials, and
//! whether a request has them (RFC 7617, read in `protocol::auth`). A
//! guarded path is checked before anything is looked up, so a 401 tells
//! nothing of the file: not whether it exists, its size, tag or time.

use crate::files::target::{parse_target, PathError, RequestPath};
use crate::protocol::auth::{self, Credentials, Verdict};
use crate::protocol::Request;

/// The credentials, and the path prefixes they guard.
#[derive(Debug, Clone)]
pub struct Guard {
    credentials: Credentials,
    /// Each prefix's decoded segments, folded to lower case; one with no
    /// segments guards the whole site.
    prefixes: Vec<Vec<Vec<u8>>>,
}

/// Why an `--auth-path` value names nothing a request could reach.
pub const NOT_ABSOLUTE: &str = "a path that starts with /";
pub const HAS_QUERY: &str = "a path without a query (?) or fragment (#)";

impl Guard {
    /// Guards `prefixes` (checked by [`Guard::parse_prefix`]; the whole
    /// site when there are none) with `credentials`.
    pub fn new(credentials: Credentials, prefixes: &[RequestPath]) -> Guard {
        let mut prefixes: Vec<Vec<Vec<u8>>> = prefixes
            .iter()
            .map(|prefix| prefix.segments().map(fold_case).collect())
            .collect();
        if prefixes.is_empty() {
            prefixes.push(Vec::new());
        }
        Guard {
            credentials,
            prefixes,
        }
    }

    /// Reads one `--auth-path` value as a request target is read, by the
    /// same code ([`parse_target`]): percent-decoded once, `.` and `..`
    /// resolved, so `/my%20docs`, `/my docs` and `/x/../my docs` all guard
    /// the folder `my docs`. A value that could never match a request (one
    /// that climbs above the root, bad `%` escapes, a dotfile, NUL, a
    /// query) is refused with the reason, rather than guarding nothing.
    pub fn parse_prefix(text: &str) -> Result<RequestPath, String> {
        if !text.starts_with('/') {
            return Err(NOT_ABSOLUTE.to_string());
        }
        match parse_target(text) {
            Ok(path) if path.query.is_none() => Ok(path),
            Ok(_) | Err(PathError::BadTarget) if text.contains(['?', '#']) => {
                Err(HAS_QUERY.to_string())
            }
            Ok(_) | Err(PathError::BadTarget) => Err(
                "bad percent-encoding: each % takes two hex digits (%20 for a space, %25 for %)"
                    .to_string(),
            ),
            Err(PathError::Refused(why)) => Err(format!(
                "{}: no request can reach such a path, so it would guard nothing",
                why.en
            )),
        }
    }

    /// The user whose credentials it takes.
    pub fn user(&self) -> &str {
        self.credentials.user()
    }

    /// Whether `path` needs credentials: it is a guarded prefix or lies
    /// beneath one, whatever the case of its letters.
    pub fn covers(&self, path: &RequestPath) -> bool {
        self.prefixes.iter().any(|prefix| {
            let mut asked = path.segments();
            prefix.iter().all(|guarded| {
                asked
                    .next()
                    .is_some_and(|asked| is_same_name(guarded, asked))
            })
        })
    }

    /// Whether the whole site is guarded (an `--auth` without
    /// `--auth-path`, or `--auth-path /`).
    pub fn covers_everything(&self) -> bool {
        self.prefixes.iter().any(Vec::is_empty)
    }

    /// What the request's `Authorization` says against the credentials.
    pub fn verify(&self, request: &Request) -> Verdict {
        auth::verify(request.field_values("authorization"), &self.credentials)
    }
}

/// Whether the request's segment `asked` names what the guarded segment
/// `folded` (already folded) does. Without a copy in the common case, an
/// ASCII name: this runs for every request.
fn is_same_name(folded: &[u8], asked: &[u8]) -> bool {
    if asked.is_ascii() {
        folded.eq_ignore_ascii_case(asked)
    } else {
        folded == fold_case(asked)
    }
}

/// A segment with its letters in lower case, for a comparison that
/// ignores case as Windows and macOS do when they look a name up: Unicode
/// letters too (`Ä` and `ä`), when the segment is UTF-8.
fn fold_case(segment: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(segment) {
        Ok(text) if !text.is_ascii() => text.to_lowercase().into_bytes(),
        _ => segment.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_cover_themselves_and_what_lies_beneath_in_any_case() {
        let credentials = Credentials::parse("a:b").unwrap();
        let guard = |prefix: &str| {
            let prefix = Guard::parse_prefix(prefix).unwrap();
            Guard::new(credentials.clone(), &[prefix])
        };
        let private = guard("/private/");
        let spelled = [
            guard("/%70rivate"),
            guard("/./private"),
            guard("/x/../PRIVATE/"),
        ];
        let whole = Guard::new(credentials.clone(), &[]);
        let cases = [
            ("/", false, true),
            ("/index.html", false, true),
            ("/privateer.txt", false, true),
            ("/public/private/", false, true),
            ("/private", true, true),
            ("/private/", true, true),
            ("/private/notes.txt", true, true),
            ("/PRIVATE/notes.txt", true, true),
            ("/Private/a/b/c", true, true),
            ("/%70rivate/notes.txt", true, true),
            ("/a/../private/notes.txt", true, true),
        ];
        for (target, under_private, under_whole) in cases {
            let path = parse_target(target).unwrap();
            assert_eq!(private.covers(&path), under_private, "{target}");
            for other in &spelled {
                assert_eq!(other.covers(&path), under_private, "{target}");
            }
            assert_eq!(whole.covers(&path), under_whole, "{target}");
        }
        assert!(whole.covers_everything() && !private.covers_everything());
        assert!(guard("/").covers_everything());
    }

    #[test]
    fn names_outside_ascii_are_compared_without_regard_to_case() {
        let credentials = Credentials::parse("a:b").unwrap();
        let cases = [
            ("/my%20docs", "/my docs/s.txt", true),
            ("/my docs", "/MY%20Docs/", true),
            ("/%E7%A7%81%E4%BA%BA/", "/私人/a", true),
            ("/私人", "/%e7%a7%81%e4%ba%ba", true),
            ("/Äpfel", "/äPFEL/x", true),
            ("/äpfel", "/%C3%84pfel", true),
            ("/私人", "/私/人", false),
            ("/äpfel", "/apfel", false),
        ];
        for (prefix, target, covered) in cases {
            let guard = Guard::new(credentials.clone(), &[Guard::parse_prefix(prefix).unwrap()]);
            let path = parse_target(target).unwrap();
            assert_eq!(guard.covers(&path), covered, "{prefix} over {target}");
        }
    }

    #[test]
    fn prefix_flags_table() {
        let cases: &[(&str, Result<&[&str], &str>)] = &[
            ("private/", Err(NOT_ABSOLUTE)),
            ("", Err(NOT_ABSOLUTE)),
            ("/../private", Err("climbs above the root")),
            ("/a/../../b", Err("climbs above the root")),
            ("/%zz", Err("percent")),
            ("/a%2", Err("percent")),
            ("/a%00b", Err("NUL")),
            ("/.git/", Err("dotfile")),
            ("/a/%2Essh", Err("dotfile")),
            ("/a\\b", Err("backslash")),
            ("/docs?x=1", Err(HAS_QUERY)),
            ("/docs#top", Err(HAS_QUERY)),
            ("/", Ok(&[])),
            ("/private/", Ok(&["private"])),
            ("/私人/", Ok(&["私人"])),
            ("/a b/c", Ok(&["a b", "c"])),
            ("/a/./b/../c", Ok(&["a", "c"])),
        ];
        for (text, expected) in cases {
            let got = Guard::parse_prefix(text);
            match (got, expected) {
                (Ok(path), Ok(segments)) => {
                    let segments: Vec<Vec<u8>> =
                        segments.iter().map(|s| s.as_bytes().to_vec()).collect();
                    let got: Vec<Vec<u8>> = path.segments().map(<[u8]>::to_vec).collect();
                    assert_eq!(got, segments, "{text:?}");
                }
                (Err(why), Err(part)) => assert!(why.contains(part), "{text:?}: {why}"),
                (got, _) => panic!("{text:?}: {got:?}"),
            }
        }
    }
}
