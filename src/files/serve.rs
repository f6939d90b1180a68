//! Serving files, the core: [`route`] and [`serve_path`] turn one request
//! into one response, in the order RFC 9110 gives: method, target, then one
//! [`Representation`] of what the target names (a small file from the cache
//! by [`choose_from_cache`], else by [`choose`] a file opened beneath the
//! root in the coding `Accept-Encoding` picks, or a directory's listing),
//! then [`serve_representation`], which reads as Go's
//! `serveContent`: preconditions (§13.2.2) → 304 or 412, then the range
//! (§14.2) → 200, 206 (one part or multipart) or 416.

use std::collections::hash_map::RandomState;
use std::fs::{File, Metadata};
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use crate::files::cache::FileCache;
use crate::files::conditional::{self, Conditions, EntityTag, Precondition, Validators};
use crate::files::decision::{Decision, FileDecision, Negotiation};
use crate::files::listing;
use crate::files::negotiate::{choose_coding, media_type, Representation};
use crate::files::range::{self, Ignored, RangeOutcome};
use crate::files::root::{OpenError, Resolved, Root};
use crate::files::sort::Sort;
use crate::files::target::{self, RequestPath};
use crate::protocol::byte_range::unsatisfied_content_range;
use crate::protocol::coding::Coding;
use crate::protocol::multipart::Multipart;
use crate::protocol::visible::visible;
use crate::protocol::{Body, Method, Request, Response, Source, Status};
use crate::sys::FileStamp;

/// The methods this server implements (RFC 9110 §9.1: GET and HEAD are
/// the methods every general-purpose server supports).
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// What the site's layers ask of the core for one request, without the
/// core knowing which feature asks.
#[derive(Clone, Copy, Default)]
pub struct Asks<'a> {
    /// An edit of every whole HTML page (`--watch`'s reload script).
    pub page_edit: Option<&'a PageEdit>,
    /// What a listing is asked to add (`--auth`'s withheld entries,
    /// `--upload`'s form).
    pub listing: listing::ListingAsks<'a>,
}

/// An edit of whole HTML pages: the edited page is a representation of its
/// own, with its own bytes, length and strong tag (the page's, with
/// `tag_suffix`), so that neither a cache nor a range mixes it with the
/// file as it is. It applies to a GET or HEAD of the whole page (never a
/// range of it), and a page edited is sent as it is, never in a coding
/// (compressed bytes could not be edited).
#[derive(Debug)]
pub struct PageEdit {
    pub edit: fn(&[u8]) -> Vec<u8>,
    pub tag_suffix: &'static str,
    /// The largest page edited; a larger one is sent as it is.
    pub max_bytes: u64,
}

/// The edit that applies to `request`: a GET or HEAD of a whole page.
fn page_edit<'a>(request: &Request, asks: Asks<'a>) -> Option<&'a PageEdit> {
    asks.page_edit.filter(|_| {
        matches!(request.method, Method::Get | Method::Head)
            && request.field_values("range").next().is_none()
    })
}

/// An HTML file's own bytes, when they are few enough to hold for `edit`.
fn page_bytes(
    file: &File,
    metadata: &Metadata,
    path: &Path,
    edit: &PageEdit,
) -> Option<Representation> {
    use std::io::Read;
    let (content_type, _) = media_type(path);
    if metadata.len() > edit.max_bytes || !content_type.starts_with("text/html") {
        return None;
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    (&mut &*file).read_to_end(&mut bytes).ok()?;
    let stamp = FileStamp::of(file, metadata);
    Some(Representation {
        size: bytes.len() as u64,
        source: Source::Shared(bytes.into()),
        content_type,
        validators: Validators::of(&stamp),
        negotiation: Negotiation::default(),
        ranges: true,
    })
}

/// An HTML page in memory with `edit` applied, as a representation of its
/// own; anything else, or a page not held in memory, as it is.
fn with_page_edit(representation: Representation, edit: &PageEdit) -> Representation {
    let Source::Shared(bytes) = &representation.source else {
        return representation;
    };
    if !representation.content_type.starts_with("text/html")
        || representation.negotiation.coding.is_some()
    {
        return representation;
    }
    let page = (edit.edit)(bytes);
    let validators = &representation.validators;
    let tag = EntityTag::strong(format!("{}{}", validators.etag().opaque, edit.tag_suffix));
    let validators = Validators::new(&tag, validators.last_modified);
    Representation {
        size: page.len() as u64,
        source: Source::Shared(page.into()),
        validators,
        negotiation: Negotiation {
            reload_script: true,
            ..Negotiation::default()
        },
        ..representation
    }
}

/// The route of a request: its method answered when it is not GET or HEAD
/// (OPTIONS, 405, 501), else its target read as a path beneath the root,
/// or the answer when it names none (400, or 404 for a refused path). The
/// dotfiles it may name are the root's.
pub fn route(request: &Request, root: &Root) -> Result<RequestPath, Box<(Response, Decision)>> {
    if !matches!(request.method, Method::Get | Method::Head) {
        return Err(Box::new(answer_method(request.method)));
    }
    target::parse_target_with(request.target(), root.dotfiles()).map_err(|refusal| {
        Box::new((
            Response::error(refusal.status()),
            Decision::BadTarget(refusal),
        ))
    })
}

/// Serves what `path` names, as Go's `serveContent` does: one
/// representation (a cached file, a file in the coding chosen, a listing),
/// then its preconditions, then its range; or why nothing could be served
/// (404, 403, 500, or 301 to a directory's slash).
pub fn serve_path(
    request: &Request,
    path: &RequestPath,
    root: &Root,
    cache: &FileCache,
    asks: Asks<'_>,
) -> (Response, Decision) {
    let edit = page_edit(request, asks);
    let chosen = match choose_from_cache(request, path, root, cache) {
        Some((representation, subject)) => Chosen::Representation(representation, subject),
        None => choose(request, path, root, cache, edit, asks.listing),
    };
    match (chosen, edit) {
        (Chosen::Representation(representation, subject), None) => {
            serve_representation(request, representation, subject)
        }
        (Chosen::Representation(representation, subject), Some(edit)) => {
            serve_representation(request, with_page_edit(representation, edit), subject)
        }
        (Chosen::Answered(response, decision), _) => (response, decision),
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
#[inline(never)]
fn answer_method(method: Method) -> (Response, Decision) {
    match method {
        // RFC 9110 §9.3.7: OPTIONS, for "*" or for a resource, lists the methods.
        Method::Options => {
            let response = Response::new(Status::NoContent, Body::Empty)
                .with_field("Allow", ALLOW.to_string());
            (response, Decision::ListMethods)
        }
        // RFC 9110 §15.6.2: a method the server does not recognise → 501.
        Method::Unknown => (
            Response::error(Status::NotImplemented),
            Decision::UnknownMethod,
        ),
        // RFC 9110 §15.5.6: a known method this resource does not support →
        // 405, and the response MUST list the supported ones in Allow.
        _ => {
            let response =
                Response::error(Status::MethodNotAllowed).with_field("Allow", ALLOW.to_string());
            (response, Decision::MethodNotAllowed)
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

/// What a representation is of, for the [`Decision`].
enum Subject {
    /// A file, by its path relative to the root.
    File(Arc<Path>),
    /// A directory's listing.
    Listing {
        index: Vec<String>,
        entries: usize,
        truncated: bool,
        sort: Sort,
    },
}

/// What [`choose`] found: a representation to serve, or the answer already.
enum Chosen {
    Representation(Representation, Subject),
    /// A redirect to a directory's slash, or why nothing could be opened.
    Answered(Response, Decision),
}

impl From<(Response, Decision)> for Chosen {
    fn from((response, decision): (Response, Decision)) -> Chosen {
        Chosen::Answered(response, decision)
    }
}

/// The representation the target names when the cache has none, or the
/// answer when it names none: what the root opens, a file (in the coding
/// `Accept-Encoding` chooses; with an `edit`, an HTML file's own bytes
/// rather than a coded form), a directory's listing, a redirect to a
/// directory's slash, or why nothing could be opened.
fn choose(
    request: &Request,
    path: &RequestPath,
    root: &Root,
    cache: &FileCache,
    edit: Option<&PageEdit>,
    listing_asks: listing::ListingAsks<'_>,
) -> Chosen {
    match root.open(path) {
        Ok(Resolved::File {
            file,
            metadata,
            path,
        }) => {
            let page = edit.and_then(|edit| page_bytes(&file, &metadata, &path, edit));
            let representation =
                page.unwrap_or_else(|| choose_coding(request, root, file, &metadata, &path, cache));
            Chosen::Representation(representation, Subject::File(path.into()))
        }
        Ok(Resolved::DirectoryWithoutSlash) => redirect_to_slash(path).into(),
        Ok(Resolved::Listing(directory)) => {
            match listing::list(root, path, &directory, listing_asks) {
                Ok(listed) => Chosen::Representation(
                    Representation {
                        size: listed.page.len() as u64,
                        source: Source::Shared(listed.page.into()),
                        content_type: "text/html; charset=utf-8".into(),
                        validators: listed.validators,
                        negotiation: Negotiation::default(),
                        ranges: false,
                    },
                    Subject::Listing {
                        index: root.index_names().to_vec(),
                        entries: listed.entries,
                        truncated: listed.truncated,
                        sort: listed.sort,
                    },
                ),
                Err(error) => not_opened(request, "listing", OpenError::from(error)).into(),
            }
        }
        Err(error) => not_opened(request, "reading", error).into(),
    }
}

/// A small cached file, found without opening it: one `stat` of its path
/// shows it is the very file that was cached, unchanged (see
/// [`crate::sys::RootDir::stamp`]). Only for a GET without `Range`, the
/// browser's and the benchmark's everyday request; anything else, and any
/// doubt, goes the whole way.
fn choose_from_cache(
    request: &Request,
    path: &RequestPath,
    root: &Root,
    cache: &FileCache,
) -> Option<(Representation, Subject)> {
    if request.method != Method::Get || request.field_values("range").next().is_some() {
        return None;
    }
    let relative = root.file_path(path)?;
    // A file with coded variants, asked for by a client that names a
    // coding, is negotiated the full way (which also looks for siblings),
    // so it is not even stamped here. Should the entry change in between,
    // the file as it is, with `Vary`, is still a right answer.
    if request.field_values("accept-encoding").next().is_some() && cache.varies(&relative) {
        return None;
    }
    let hit = cache.hit(&relative, &root.stamp(&relative)?)?;
    let representation = Representation {
        size: hit.bytes.len() as u64,
        source: Source::Shared(hit.bytes),
        content_type: hit.content_type,
        validators: hit.validators,
        negotiation: Negotiation {
            varies: hit.varies,
            ..Negotiation::default()
        },
        ranges: true,
    };
    Some((representation, Subject::File(hit.path)))
}

/// Answers with `representation`, the one place a response to a
/// representation is decided, as Go's `serveContent` does: the
/// preconditions (RFC 9110 §13.2.2) first, a 304 or 412 if they say so;
/// then the range (§14.2): 200, 206 with one part or several, or 416.
fn serve_representation(
    request: &Request,
    representation: Representation,
    subject: Subject,
) -> (Response, Decision) {
    let conditions = Conditions::from_request(request);
    let validators = &representation.validators;
    let precondition =
        conditional::evaluate(request.method, &conditions, validators, SystemTime::now());
    let (size, etag) = (representation.size, validators.etag_field());
    let negotiation = representation.negotiation.clone();
    let (response, range) = match precondition {
        // RFC 9110 §15.4.5: a 304 carries the validators and caching fields
        // a 200 would have, and no content.
        Precondition::NotModified(_) => {
            let response = Response::new(Status::NotModified, Body::Empty)
                .with_validators(validators, representation.ranges);
            (response, None)
        }
        Precondition::Failed(_) => (Response::error(Status::PreconditionFailed), None),
        Precondition::Proceed(_) => {
            let outcome = match representation.ranges {
                true => range_outcome(request, &conditions, validators, size),
                false => RangeOutcome::Absent,
            };
            (respond(representation, &outcome), Some(outcome))
        }
    };
    let response = with_negotiation(response, &negotiation);
    let decision = match subject {
        Subject::File(path) => Decision::File(FileDecision {
            path,
            size,
            etag,
            negotiation,
            precondition,
            range,
        }),
        Subject::Listing {
            index,
            entries,
            truncated,
            sort,
        } => Decision::Listing {
            index,
            entries,
            truncated,
            sort,
            etag,
            precondition,
        },
    };
    (response, decision)
}

/// `Vary` on every answer of a file with coded variants, 304s included,
/// and `Content-Encoding` on the ones whose content is coded: a 200, and a
/// single-part 206 (a multipart body says it in each part).
fn with_negotiation(response: Response, negotiation: &Negotiation) -> Response {
    let coded = matches!(response.status, Status::Ok)
        || (response.status == Status::PartialContent
            && !matches!(response.body, Body::Multipart { .. }));
    let response = match negotiation.coding {
        Some(coding) if coded => {
            response.with_field("Content-Encoding", coding.token().to_string())
        }
        _ => response,
    };
    if negotiation.varies {
        response.with_field("Vary", "Accept-Encoding")
    } else {
        response
    }
}

/// The response the range outcome asks for: 200, 206 (one part or
/// multipart), or 416. The ranges are of the representation, coded in its
/// coding if it is.
fn respond(representation: Representation, outcome: &RangeOutcome) -> Response {
    let Representation {
        source,
        size,
        content_type,
        validators,
        negotiation,
        ranges,
    } = representation;
    match outcome {
        RangeOutcome::Absent | RangeOutcome::Ignored(_) => {
            Response::new(Status::Ok, cut(source, 0, size))
                .with_field("Content-Type", content_type)
                .with_validators(&validators, ranges)
        }
        RangeOutcome::Partial(parts) => match parts.as_slice() {
            [one] => Response::new(
                Status::PartialContent,
                cut(source, one.start, one.byte_count()),
            )
            .with_field("Content-Type", content_type)
            .with_field("Content-Range", one.content_range(size))
            .with_validators(&validators, ranges),
            several => {
                let part_coding = negotiation.coding.map(Coding::token);
                let boundary = new_boundary();
                let layout = Multipart::new(several, size, &content_type, part_coding, &boundary);
                let content_type = layout.content_type.clone();
                Response::new(Status::PartialContent, Body::Multipart { source, layout })
                    .with_field("Content-Type", content_type)
                    .with_validators(&validators, ranges)
            }
        },
        // RFC 9110 §15.5.17: a 416 names the current length.
        RangeOutcome::Unsatisfiable => Response::error(Status::RangeNotSatisfiable)
            .with_field("Content-Range", unsatisfied_content_range(size)),
    }
}

/// `len` bytes of `source` from `start`, as a body.
fn cut(source: Source, start: u64, len: u64) -> Body {
    match source {
        Source::Shared(bytes) => Body::Shared {
            bytes,
            start: start as usize,
            len: len as usize,
        },
        Source::File(file) => Body::File {
            file,
            offset: start,
            len,
        },
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
    /// The validator and caching fields of a representation (RFC 9110 §8.8,
    /// §14.3); `Accept-Ranges` where ranges apply.
    fn with_validators(self, validators: &Validators, ranges: bool) -> Response {
        let mut response = match ranges {
            true => self.with_field("Accept-Ranges", "bytes"),
            false => self,
        };
        response = response
            // Browsers revalidate every time, so a reload shows 304s.
            .with_field("Cache-Control", "no-cache")
            .with_field("ETag", validators.etag_field());
        if let Some(modified) = validators.last_modified_field() {
            response = response.with_field("Last-Modified", modified);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::conditional::{Evaluated, Reason};
    use crate::files::root::OpenFailure;
    use crate::files::target::PathError;
    use crate::protocol::byte_range::ByteRange;
    use crate::protocol::request::parse_head;

    /// What the core answers to `request` under `root`: the route, then the
    /// path, with nothing asked of it (no feature on).
    fn serve(request: &Request, root: &Root, cache: &FileCache) -> (Response, Decision) {
        match route(request, root) {
            Ok(path) => serve_path(request, &path, root, cache, Asks::default()),
            Err(answered) => *answered,
        }
    }

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
        let etag = Validators::of(&FileStamp::of(&digits, &digits.metadata().unwrap()))
            .etag()
            .to_string();
        let get = |target: &str, fields: &str| {
            format!("GET {target} HTTP/1.1\r\nHost: t\r\n{fields}\r\n")
        };
        let file = |precondition, range| {
            Decision::File(FileDecision {
                path: Path::new("digits.txt").into(),
                size: 10,
                etag: etag.as_str().into(),
                // A text file: it could be sent compressed, so it varies.
                negotiation: Negotiation {
                    varies: true,
                    ..Negotiation::default()
                },
                precondition,
                range,
            })
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
                Decision::BadTarget(PathError::Refused(crate::files::target::DOTFILE)),
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
            ("If-None-Match", "\"other\"".into(), "proceed"),
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
    fn accept_encoding_picks_a_sibling_then_memory_then_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let css = "h1 { color: red }\n".repeat(40);
        std::fs::write(dir.path().join("a.css"), &css).unwrap();
        std::fs::write(dir.path().join("b.css"), &css).unwrap();
        std::fs::write(dir.path().join("b.css.gz"), "precompressed").unwrap();
        std::fs::write(dir.path().join("logo.png"), [0x89, b'P', b'N', b'G']).unwrap();
        let root = Root::new(dir.path()).unwrap();
        let cache = FileCache::with_settle_time(std::time::Duration::ZERO);
        let off = FileCache::with_settle_time(std::time::Duration::ZERO).with_compression(false);
        let negotiated = |cache: &FileCache, target: &str, accept: &str| {
            let raw = format!("GET {target} HTTP/1.1\r\nHost: t\r\n{accept}\r\n");
            let (request, _) = parse_head(raw.as_bytes()).unwrap().unwrap();
            match serve(&request, &root, cache).1 {
                Decision::File(FileDecision { negotiation, .. }) => negotiation,
                other => panic!("{raw:?}: {other:?}"),
            }
        };
        let chose = |varies, coding, sibling: Option<&str>| Negotiation {
            varies,
            coding,
            sibling: sibling.map(std::path::PathBuf::from),
            reload_script: false,
        };
        let both = "Accept-Encoding: gzip, br\r\n";
        let gzip = "Accept-Encoding: gzip\r\n";
        let cases = [
            ("/a.css", both, &cache, chose(true, Some(Coding::Br), None)),
            ("/a.css", "", &cache, chose(true, None, None)),
            (
                "/a.css",
                "Accept-Encoding: identity\r\n",
                &cache,
                chose(true, None, None),
            ),
            (
                "/b.css",
                gzip,
                &cache,
                chose(true, Some(Coding::Gzip), Some("b.css.gz")),
            ),
            ("/b.css", both, &cache, chose(true, Some(Coding::Br), None)),
            (
                "/b.css",
                both,
                &off,
                chose(true, Some(Coding::Gzip), Some("b.css.gz")),
            ),
            ("/a.css", both, &off, chose(false, None, None)),
            ("/logo.png", both, &cache, chose(false, None, None)),
        ];
        for (target, accept, cache, expected) in cases {
            assert_eq!(
                negotiated(cache, target, accept),
                expected,
                "{target} {accept:?}"
            );
        }
    }
}
