//! `--auth` and `--auth-path`: which request paths need credentials, and
//! whether a request has them (RFC 7617, read in `protocol::auth`). A
//! guarded path is checked before anything is looked up, so a 401 tells
//! nothing of the file: not whether it exists, its size, tag or time.

use crate::files::target::RequestPath;
use crate::protocol::auth::{self, Credentials, Verdict};
use crate::protocol::Request;

/// The credentials, and the path prefixes they guard.
#[derive(Debug, Clone)]
pub struct Guard {
    credentials: Credentials,
    /// Lower-case, without a trailing slash; empty for the whole site.
    prefixes: Vec<String>,
}

impl Guard {
    /// Guards `prefixes` (the whole site when there are none) with
    /// `credentials`.
    pub fn new(credentials: Credentials, prefixes: &[String]) -> Guard {
        let mut prefixes: Vec<String> = prefixes
            .iter()
            .map(|prefix| prefix.trim_end_matches('/').to_ascii_lowercase())
            .collect();
        if prefixes.is_empty() {
            prefixes.push(String::new());
        }
        Guard {
            credentials,
            prefixes,
        }
    }

    /// Checks one `--auth-path` value: an absolute path, in ASCII (a
    /// prefix is compared without regard to case, since Windows and macOS
    /// name the same file in any case; outside ASCII, a second spelling of
    /// the same name could pass unseen).
    pub fn parse_prefix(text: &str) -> Result<String, &'static str> {
        if !text.starts_with('/') {
            return Err("a path that starts with /");
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("printable ASCII with no spaces");
        }
        Ok(text.to_string())
    }

    /// The user whose credentials it takes.
    pub fn user(&self) -> &str {
        self.credentials.user()
    }

    /// Whether `path` needs credentials: it is a guarded prefix or lies
    /// beneath one, whatever the case of its letters.
    pub fn covers(&self, path: &RequestPath) -> bool {
        let mut shown = Vec::new();
        for segment in &path.segments {
            shown.push(b'/');
            shown.extend(segment.iter().map(u8::to_ascii_lowercase));
        }
        self.prefixes.iter().any(|prefix| {
            let prefix = prefix.as_bytes();
            prefix.is_empty()
                || shown == prefix
                || (shown.starts_with(prefix) && shown.get(prefix.len()) == Some(&b'/'))
        })
    }

    /// What the request's `Authorization` says against the credentials.
    pub fn verify(&self, request: &Request) -> Verdict {
        auth::verify(request.field_values("authorization"), &self.credentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::target::parse_target;

    #[test]
    fn prefixes_cover_themselves_and_what_lies_beneath_in_any_case() {
        let credentials = Credentials::parse("a:b").unwrap();
        let private = Guard::new(credentials.clone(), &["/private/".to_string()]);
        let whole = Guard::new(credentials, &[]);
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
            assert_eq!(whole.covers(&path), under_whole, "{target}");
        }
    }

    #[test]
    fn prefix_flags_table() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("private/", Err("a path that starts with /")),
            ("", Err("a path that starts with /")),
            ("/私人/", Err("printable ASCII with no spaces")),
            ("/a b/", Err("printable ASCII with no spaces")),
            ("/", Ok("/")),
            ("/private/", Ok("/private/")),
        ];
        for (text, expected) in cases {
            assert_eq!(
                Guard::parse_prefix(text).as_deref(),
                expected.as_deref(),
                "{text:?}"
            );
        }
    }
}
