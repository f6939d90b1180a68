//! Serving files: [`serve`] turns one request into one response, in the order
//! RFC 9110 gives, as Go's `serveContent` does: method, target, file, then
//! preconditions (§13.2.2), then range (§14.2) — full, partial, multipart,
//! or unsatisfiable.

use std::collections::hash_map::RandomState;
use std::fs::{File, Metadata};
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::files::cache::FileCache;
use crate::files::conditional::{self, Conditions, Precondition, Validators};
use crate::files::listing;
use crate::files::range::{self, Ignored, RangeOutcome};
use crate::files::root::{OpenError, OpenFailure, Resolved, Root, NOT_FOUND_PAGE};
use crate::files::target::{self, PathError, RequestPath};
use crate::protocol::byte_range::unsatisfied_content_range;
use crate::protocol::multipart::Multipart;
use crate::protocol::visible::visible;
use crate::protocol::{Body, Method, Request, Response, Status};
use crate::sys::FileStamp;

/// The methods this server implements (RFC 9110 §9.1: GET and HEAD are
/// the methods every general-purpose server supports).
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// What [`serve`] decided, and why. The response is built from the same
/// values, so the trace's explanation cannot drift from the behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// OPTIONS: list the methods (204).
    ListMethods,
    /// A method this server does not know (501).
    UnknownMethod,
    /// A method it knows but does not apply to files (405).
    MethodNotAllowed,
    /// The target cannot name a file (400, or 404 for a refused path).
    BadTarget(PathError),
    /// No file could be opened, for this reason (404, 403, 500).
    NotOpened(OpenFailure),
    /// A directory named without its trailing slash (301).
    AddSlash(String),
    /// A directory without an index file, listed (200, or 304 / 412).
    Listing {
        entries: usize,
        truncated: bool,
        etag: String,
        precondition: Precondition,
    },
    /// A file: what its preconditions and the Range field decided.
    File {
        /// The file, relative to the root.
        path: PathBuf,
        size: u64,
        etag: String,
        precondition: Precondition,
        /// `None` when a precondition answered first.
        range: Option<RangeOutcome>,
    },
}

/// Answers `request` from the files under `root`, and says why: the
/// method, then the target, then the file, then its preconditions and range.
/// Every 404 carries the site's own page when the root holds one.
pub fn serve(request: &Request, root: &Root, cache: &FileCache) -> (Response, Decision) {
    let (response, decision) = decide(request, root, cache);
    if response.status != Status::NotFound {
        return (response, decision);
    }
    match root.not_found_page() {
        Some(page) => {
            let response = Response::new(Status::NotFound, Body::Bytes(page))
                .with_field("Content-Type", content_type(Path::new(NOT_FOUND_PAGE)));
            (response, decision)
        }
        None => (response, decision),
    }
}

fn decide(request: &Request, root: &Root, cache: &FileCache) -> (Response, Decision) {
    if let Some(answered) = answer_method(request.method) {
        return answered;
    }
    let path = match target::parse_target(request.target()) {
        Ok(path) => path,
        Err(refusal) => {
            return (
                Response::error(refusal.status()),
                Decision::BadTarget(refusal),
            )
        }
    };
    if let Some(answered) = serve_from_cache(request, &path, root, cache) {
        return answered;
    }
    match root.open(&path) {
        Ok(Resolved::File {
            file,
            metadata,
            path,
        }) => serve_file(request, file, &metadata, path, cache),
        Ok(Resolved::DirectoryWithoutSlash) => redirect_to_slash(&path),
        Ok(Resolved::Listing(directory)) => serve_listing(request, root, &path, &directory),
        Err(error) => not_opened(request, "reading", error),
    }
}

/// The answer when nothing could be opened (or listed); an unexpected I/O
/// error goes to the log, `doing` what, never to the client.
fn not_opened(request: &Request, doing: &str, error: OpenError) -> (Response, Decision) {
    if let OpenError::Io(detail) = &error {
        log::error!("{doing} {}: {detail}", visible(request.target().as_bytes()));
    }
    let failure = error.failure();
    (
        Response::error(failure.status()),
        Decision::NotOpened(failure),
    )
}

/// The answer for every method but GET and HEAD, which go on to a file.
fn answer_method(method: Method) -> Option<(Response, Decision)> {
    match method {
        Method::Get | Method::Head => None,
        // RFC 9110 §9.3.7: OPTIONS, for "*" or for a resource, lists the methods.
        Method::Options => {
            let response = Response::new(Status::NoContent, Body::Empty)
                .with_field("Allow", ALLOW.to_string());
            Some((response, Decision::ListMethods))
        }
        // RFC 9110 §15.6.2: a method the server does not recognise → 501.
        Method::Unknown => Some((
            Response::error(Status::NotImplemented),
            Decision::UnknownMethod,
        )),
        // RFC 9110 §15.5.6: a known method this resource does not support →
        // 405, and the response MUST list the supported ones in Allow.
        _ => {
            let response =
                Response::error(Status::MethodNotAllowed).with_field("Allow", ALLOW.to_string());
            Some((response, Decision::MethodNotAllowed))
        }
    }
}

/// A directory named without its trailing slash: 301 to the slash form
/// (RFC 9110 §15.4.2), the query kept.
fn redirect_to_slash(path: &RequestPath) -> (Response, Decision) {
    // Relative references would be shorter, but an absolute path with
    // exactly one leading slash is what learners expect to read.
    let mut location = path.to_url_path();
    location.push('/');
    if let Some(query) = &path.query {
        location.push('?');
        location.push_str(query);
    }
    let response =
        Response::error(Status::MovedPermanently).with_field("Location", location.clone());
    (response, Decision::AddSlash(location))
}

/// A directory's listing, after its preconditions. It has no ranges: a
/// server may ignore Range (RFC 9110 §14.2), and a generated page does.
fn serve_listing(
    request: &Request,
    root: &Root,
    path: &RequestPath,
    directory: &Path,
) -> (Response, Decision) {
    let listed = match listing::list(root, path, directory) {
        Ok(listed) => listed,
        Err(error) => return not_opened(request, "listing", OpenError::from(error)),
    };
    let etag = listed.validators.etag.clone();
    let conditions = Conditions::from_request(request);
    let precondition = conditional::evaluate(
        request.method,
        &conditions,
        &listed.validators,
        SystemTime::now(),
    );
    let validated = |response: Response| {
        response
            .with_field("Cache-Control", "no-cache".to_string())
            .with_field("ETag", etag.clone())
    };
    let response = match precondition {
        Precondition::Proceed(_) => validated(
            Response::new(Status::Ok, Body::Bytes(listed.page))
                .with_field("Content-Type", "text/html; charset=utf-8".to_string()),
        ),
        Precondition::NotModified(_) => validated(Response::new(Status::NotModified, Body::Empty)),
        Precondition::Failed(_) => Response::error(Status::PreconditionFailed),
    };
    let decision = Decision::Listing {
        entries: listed.entries,
        truncated: listed.truncated,
        etag,
        precondition,
    };
    (response, decision)
}

/// Preconditions, then range, for an open file.
fn serve_file(
    request: &Request,
    file: File,
    metadata: &Metadata,
    path: PathBuf,
    cache: &FileCache,
) -> (Response, Decision) {
    // One stamp of the open file: the validators and the cache both read it.
    let stamp = FileStamp::of(&file, metadata);
    let validators = Validators::of(&stamp);
    let conditions = Conditions::from_request(request);
    let size = metadata.len();
    let precondition =
        conditional::evaluate(request.method, &conditions, &validators, SystemTime::now());
    let decision = |path: PathBuf, range: Option<RangeOutcome>| Decision::File {
        path,
        size,
        etag: validators.etag.clone(),
        precondition,
        range,
    };
    if let Some(response) = answer_precondition(precondition, &validators) {
        return (response, decision(path, None));
    }
    // A small file is sent from memory with its head in one write; HEAD
    // needs no bytes at all.
    let cached = match request.method {
        Method::Head => None,
        _ => cache.bytes(&path, &file, &stamp, &validators),
    };
    let content = Content {
        file,
        cached,
        size,
        content_type: content_type(&path),
    };
    let outcome = range_outcome(request, &conditions, &validators, size);
    let response = respond(content, &outcome, &validators);
    (response, decision(path, Some(outcome)))
}

/// The 304 or 412 that a precondition answers with, if it does.
fn answer_precondition(precondition: Precondition, validators: &Validators) -> Option<Response> {
    match precondition {
        Precondition::Proceed(_) => None,
        // RFC 9110 §15.4.5: a 304 carries the validators and caching fields
        // a 200 would have, and no content.
        Precondition::NotModified(_) => {
            Some(Response::new(Status::NotModified, Body::Empty).with_validators(validators))
        }
        Precondition::Failed(_) => Some(Response::error(Status::PreconditionFailed)),
    }
}

/// The 200 for a whole file, from memory or from disk: the one place its
/// fields are chosen, so a cached answer and an opened one cannot differ.
fn whole_file(body: Body, content_type: String, validators: &Validators) -> Response {
    Response::new(Status::Ok, body)
        .with_field("Content-Type", content_type)
        .with_validators(validators)
}

/// A small cached file answered without opening it: one `stat` of its path
/// shows it is the very file that was cached, unchanged (see
/// [`crate::sys::RootDir::stamp`]). Only for a GET without `Range`, the
/// browser's and the benchmark's everyday request; anything else, and any
/// doubt, goes the whole way.
fn serve_from_cache(
    request: &Request,
    path: &RequestPath,
    root: &Root,
    cache: &FileCache,
) -> Option<(Response, Decision)> {
    if request.method != Method::Get || request.field_values("range").next().is_some() {
        return None;
    }
    let relative = root.file_path(path)?;
    let hit = cache.hit(&relative, &root.stamp(&relative)?)?;
    let conditions = Conditions::from_request(request);
    let validators = hit.validators;
    let size = hit.bytes.len() as u64;
    let precondition =
        conditional::evaluate(request.method, &conditions, &validators, SystemTime::now());
    let response = answer_precondition(precondition, &validators).unwrap_or_else(|| {
        let body = Body::Shared {
            bytes: hit.bytes,
            start: 0,
            len: size as usize,
        };
        whole_file(body, content_type(&relative), &validators)
    });
    let range = matches!(precondition, Precondition::Proceed(_)).then_some(RangeOutcome::Absent);
    let decision = Decision::File {
        path: relative,
        size,
        etag: validators.etag,
        precondition,
        range,
    };
    Some((response, decision))
}

/// The representation about to be sent: the open file, its bytes when
/// cached, its length and its media type.
struct Content {
    file: File,
    cached: Option<Arc<[u8]>>,
    size: u64,
    content_type: String,
}

impl Content {
    /// `len` bytes from `start`: from memory when cached, else from the file.
    fn body(self, start: u64, len: u64) -> Body {
        match self.cached {
            Some(bytes) => Body::Shared {
                bytes,
                start: start as usize,
                len: len as usize,
            },
            None => Body::File {
                file: self.file,
                offset: start,
                len,
            },
        }
    }
}

/// The response the range outcome asks for: 200, 206 (one part or
/// multipart), or 416.
fn respond(content: Content, outcome: &RangeOutcome, validators: &Validators) -> Response {
    let size = content.size;
    match outcome {
        RangeOutcome::Absent | RangeOutcome::Ignored(_) => {
            let content_type = content.content_type.clone();
            whole_file(content.body(0, size), content_type, validators)
        }
        RangeOutcome::Partial(ranges) => match ranges.as_slice() {
            [one] => {
                let content_type = content.content_type.clone();
                Response::new(Status::PartialContent, content.body(one.start, one.len()))
                    .with_field("Content-Type", content_type)
                    .with_field("Content-Range", one.content_range(size))
                    .with_validators(validators)
            }
            several => {
                let layout = Multipart::new(several, size, &content.content_type, &new_boundary());
                let content_type = layout.content_type.clone();
                let body = Body::Multipart {
                    file: content.file,
                    layout,
                };
                Response::new(Status::PartialContent, body)
                    .with_field("Content-Type", content_type)
                    .with_validators(validators)
            }
        },
        // RFC 9110 §15.5.17: a 416 names the current length.
        RangeOutcome::Unsatisfiable => Response::error(Status::RangeNotSatisfiable)
            .with_field("Content-Range", unsatisfied_content_range(size)),
    }
}

/// Whether and how the Range field applies (RFC 9110 §14.2), and only when
/// `If-Range`, if sent, matches. Only GET and HEAD reach here: a server
/// MUST ignore Range on other methods, and every other method was answered
/// before a file was opened. HEAD evaluates it too, so that it keeps GET's
/// fields (RFC 9110 §9.3.2).
fn range_outcome(
    request: &Request,
    conditions: &Conditions<'_>,
    validators: &Validators,
    size: u64,
) -> RangeOutcome {
    let mut values = request.field_values("range");
    let value = match (values.next(), values.next()) {
        (None, _) => return RangeOutcome::Absent,
        (Some(value), None) => value,
        // A single field by definition, so repeated is invalid.
        (Some(_), Some(_)) => return RangeOutcome::Ignored(Ignored::Invalid),
    };
    if !conditional::if_range_matches(conditions, validators) {
        return RangeOutcome::Ignored(Ignored::IfRangeMismatch);
    }
    range::evaluate(value, size)
}

/// A multipart boundary that no file will contain by chance: 64 random
/// bits, from the randomly keyed hasher std already carries.
fn new_boundary() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("glasshttp-{:016x}", hasher.finish())
}

impl Response {
    /// The validator and caching fields of a file (RFC 9110 §8.8, §14.3).
    fn with_validators(self, validators: &Validators) -> Response {
        let mut response = self
            .with_field("Accept-Ranges", "bytes".to_string())
            // Browsers revalidate every time, so a reload shows 304s.
            .with_field("Cache-Control", "no-cache".to_string())
            .with_field("ETag", validators.etag.clone());
        if let Some(modified) = validators.last_modified_field() {
            response = response.with_field("Last-Modified", modified);
        }
        response
    }
}

/// The media type for a file name; text types are declared UTF-8, the
/// encoding the files of this site are written in.
pub fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let is_text = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/javascript" | "application/json" | "application/xml" | "image/svg+xml"
        );
    if is_text {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::conditional::{Evaluated, Reason};
    use crate::protocol::byte_range::ByteRange;
    use crate::protocol::request::parse_head;

    /// What `serve` decides for `raw` under `root`.
    fn decide(root: &Root, raw: &str) -> Decision {
        let (request, _) = parse_head(raw.as_bytes()).unwrap().unwrap();
        serve(&request, root, &FileCache::default()).1
    }

    #[test]
    fn serve_decides_for_every_kind_of_request() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("digits.txt"), "0123456789").unwrap();
        std::fs::write(dir.path().join(".secret"), "s").unwrap();
        std::fs::create_dir(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("docs/index.html"), "<p>docs</p>").unwrap();
        let root = Root::new(dir.path()).unwrap().with_listings(false);
        let digits = File::open(dir.path().join("digits.txt")).unwrap();
        let etag = Validators::of(&FileStamp::of(&digits, &digits.metadata().unwrap())).etag;
        let get = |target: &str, fields: &str| {
            format!("GET {target} HTTP/1.1\r\nHost: t\r\n{fields}\r\n")
        };
        let file = |precondition, range| Decision::File {
            path: PathBuf::from("digits.txt"),
            size: 10,
            etag: etag.clone(),
            precondition,
            range,
        };
        let proceed = Precondition::Proceed(Evaluated::default());
        let range = |spans: &[(u64, u64)]| {
            let ranges = spans
                .iter()
                .map(|&(start, end)| ByteRange { start, end })
                .collect();
            Some(RangeOutcome::Partial(ranges))
        };
        let cases: Vec<(&str, String, Decision)> = vec![
            (
                "OPTIONS",
                "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n".into(),
                Decision::ListMethods,
            ),
            (
                "unknown method",
                "BREW / HTTP/1.1\r\nHost: t\r\n\r\n".into(),
                Decision::UnknownMethod,
            ),
            (
                "POST",
                "POST / HTTP/1.1\r\nHost: t\r\n\r\n".into(),
                Decision::MethodNotAllowed,
            ),
            (
                "DELETE",
                "DELETE /digits.txt HTTP/1.1\r\nHost: t\r\n\r\n".into(),
                Decision::MethodNotAllowed,
            ),
            (
                "bad target",
                get("/bad%zz", ""),
                Decision::BadTarget(PathError::BadTarget),
            ),
            (
                "dotfile",
                get("/.secret", ""),
                Decision::BadTarget(PathError::Refused("dotfile")),
            ),
            (
                "missing file",
                get("/nothing.txt", ""),
                Decision::NotOpened(OpenFailure::NotFound),
            ),
            (
                "directory without index, listings off",
                get("/", ""),
                Decision::NotOpened(OpenFailure::NotFound),
            ),
            (
                "directory without slash",
                get("/docs?x=1", ""),
                Decision::AddSlash("/docs/?x=1".into()),
            ),
            (
                "whole file",
                get("/digits.txt", ""),
                file(proceed, Some(RangeOutcome::Absent)),
            ),
            (
                "HEAD keeps GET's decision",
                "HEAD /digits.txt HTTP/1.1\r\nHost: t\r\n\r\n".into(),
                file(proceed, Some(RangeOutcome::Absent)),
            ),
            (
                "304",
                get("/digits.txt", &format!("If-None-Match: {etag}\r\n")),
                file(Precondition::NotModified(Reason::IfNoneMatchMatched), None),
            ),
            (
                "412",
                get("/digits.txt", "If-Match: \"other\"\r\n"),
                file(Precondition::Failed(Reason::IfMatchFailed), None),
            ),
            (
                "206",
                get("/digits.txt", "Range: bytes=2-4\r\n"),
                file(proceed, range(&[(2, 4)])),
            ),
            (
                "multipart",
                get("/digits.txt", "Range: bytes=0-0, -2\r\n"),
                file(proceed, range(&[(0, 0), (8, 9)])),
            ),
            (
                "416",
                get("/digits.txt", "Range: bytes=10-\r\n"),
                file(proceed, Some(RangeOutcome::Unsatisfiable)),
            ),
            (
                "Range ignored",
                get("/digits.txt", "Range: lines=1-2\r\n"),
                file(proceed, Some(RangeOutcome::Ignored(Ignored::OtherUnit))),
            ),
        ];
        for (name, raw, expected) in cases {
            assert_eq!(decide(&root, &raw), expected, "{name}: {raw:?}");
        }
    }

    #[test]
    fn a_directory_without_index_is_listed_with_its_preconditions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        std::fs::write(dir.path().join(".hidden"), "h").unwrap();
        std::fs::write(dir.path().join("nul.txt"), "refused by the path rules").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let root = Root::new(dir.path()).unwrap();
        let Decision::Listing { entries, etag, .. } =
            decide(&root, "GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        else {
            panic!("a directory without index.html is listed");
        };
        assert_eq!(entries, 2, "a.txt and sub/; not .hidden, not nul.txt");
        assert!(etag.starts_with("W/\""), "{etag}");
        let cases = [
            ("If-None-Match", etag.clone(), "not modified"),
            ("If-None-Match", "\"other\"".to_string(), "proceed"),
            ("If-Match", etag.clone(), "failed"),
        ];
        for (field, value, expected) in cases {
            let raw = format!("GET / HTTP/1.1\r\nHost: t\r\n{field}: {value}\r\n\r\n");
            let Decision::Listing { precondition, .. } = decide(&root, &raw) else {
                panic!("{raw:?}");
            };
            let got = match precondition {
                Precondition::NotModified(_) => "not modified",
                Precondition::Proceed(_) => "proceed",
                Precondition::Failed(_) => "failed",
            };
            assert_eq!(got, expected, "{field}: {value}");
        }
    }

    #[test]
    fn content_types_table() {
        let cases = [
            ("index.html", "text/html; charset=utf-8"),
            ("style.css", "text/css; charset=utf-8"),
            ("notes.txt", "text/plain; charset=utf-8"),
            ("data.json", "application/json; charset=utf-8"),
            ("logo.png", "image/png"),
            ("introduction.mp3", "audio/mpeg"),
            ("picture.svg", "image/svg+xml; charset=utf-8"),
            ("no-extension", "application/octet-stream"),
        ];
        for (name, expected) in cases {
            assert_eq!(content_type(Path::new(name)), expected, "{name}");
        }
    }
}
