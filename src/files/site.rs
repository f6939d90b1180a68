//! The site: the features around the core, as layers in one list
//! ([`serve`]). The core (`serve.rs`) answers "which bytes, and what do the
//! preconditions and the range say" and knows no flag; each layer here adds
//! one feature around it, in the order a request meets them, and each says
//! what it must never reveal or change.
//!
//! | layer | the one thing it must never do |
//! |---|---|
//! | `--cors` preflight | carry or ask for credentials (Fetch: a preflight has none) |
//! | `--watch` reload events | stream to a stranger when the whole site is guarded |
//! | route (method, target) | read a file: a refused path is refused before any lookup |
//! | `--auth` credentials | tell anything of a guarded file before they match (not whether it exists) |
//! | `--sink` form | answer anywhere but at the sink's own path |
//! | core | know a flag |
//! | clean URLs (`/about` → `about.html`) | hide a file or folder of that name, or skip the credentials of the page |
//! | `--spa` fallback | serve a guarded page to a route without the credentials |
//! | `404.html` | show a guarded page to a request without the credentials |
//! | `--cors` grant | reflect an origin that was not allowed |
//!
//! [`serve`] and [`serve_route`] read as that list: a plain `GET` passes
//! the credentials' and the archive's short tests and enters no other
//! feature on its way to the core. The layers are never inlined there:
//! their locals would widen those frames, and every request's calls would
//! run deeper on each connection's stack, whose touched pages are what an
//! idle connection costs.

use std::path::Path;

use crate::files::archive;
use crate::files::cache::FileCache;
use crate::files::decision::Decision;
use crate::files::decision::Upload;
use crate::files::decision::{NotStored, StoredFile};
use crate::files::guard::Guard;
use crate::files::listing::ListingAsks;
use crate::files::negotiate::content_type;
use crate::files::root::{OpenFailure, Root, NOT_FOUND_PAGE};
use crate::files::serve as core;
use crate::files::serve::Asks;
use crate::files::store::{self, Uploads};
use crate::files::target::{self, PathError, RequestPath};
use crate::files::upload::{self, Sink};
use crate::files::watch;
use crate::protocol::auth::{self, Verdict};
use crate::protocol::cors::{self, Cors, Grant, Preflight};
use crate::protocol::{Body, Method, Request, Response, Status};

/// The directory served and the features around it: what the layers read.
#[derive(Debug)]
pub struct Site {
    /// The directory itself (its path, listings, their order).
    pub root: Root,
    /// `--auth`: the paths that need credentials, and which.
    pub guard: Option<Guard>,
    /// `--sink`: where uploads go.
    pub sink: Option<Sink>,
    /// `--cors`: which origins may read the answers.
    pub cors: Option<Cors>,
    /// `--spa`: the page served for a client-side route.
    pub spa: Option<RequestPath>,
    /// `--watch`: HTML pages get the reload script.
    pub watch: bool,
    /// Clean URLs (on unless `--no-clean-urls`): `/about` is `about.html`
    /// when nothing is named `about`.
    pub clean_urls: bool,
    /// `--upload`: the directories files may be stored in.
    pub uploads: Option<Uploads>,
    /// `--qr`: the URL a phone would use, whose code the listings show.
    pub qr: Option<String>,
    /// Where an archive's entries and offsets take ZIP64:
    /// [`archive::ZIP64_FROM`], lower in tests.
    pub zip64_from: u64,
}

impl Site {
    /// `root` with no feature on.
    pub fn new(root: Root) -> Site {
        Site {
            root,
            guard: None,
            sink: None,
            cors: None,
            spa: None,
            watch: false,
            clean_urls: false,
            uploads: None,
            qr: None,
            zip64_from: archive::ZIP64_FROM,
        }
    }

    pub fn uploads(&self) -> Option<&Uploads> {
        self.uploads.as_ref()
    }

    pub fn guard(&self) -> Option<&Guard> {
        self.guard.as_ref()
    }

    pub fn sink(&self) -> Option<&Sink> {
        self.sink.as_ref()
    }

    pub fn cors(&self) -> Option<&Cors> {
        self.cors.as_ref()
    }

    pub fn spa(&self) -> Option<&RequestPath> {
        self.spa.as_ref()
    }

    pub fn watch(&self) -> bool {
        self.watch
    }
}

/// Answers `request` from the `site`, and says why: each layer in the
/// order a request meets it, the core in the middle. A layer whose test
/// fits on its line is tested here, so a plain request never enters it.
pub fn serve(request: &Request, site: &Site, cache: &FileCache) -> (Response, Decision) {
    if let Some(preflight) = site.cors.as_ref().and_then(|cors| cors.preflight(request)) {
        return answer_preflight(preflight);
    }
    let answered = match site.watch && watch::is_reload_request(request) {
        true => reload_events(request, site),
        false => serve_route(request, site, cache),
    };
    let answered = match answered {
        (response, decision) if response.status == Status::NotFound => {
            with_not_found_page(request, site, response, decision)
        }
        answered => answered,
    };
    match &site.cors {
        Some(cors) => with_cors(request, cors, answered),
        None => answered,
    }
}

/// The layers around the core for a request that names a path: the route,
/// the credentials, the sink's form or a folder's `.zip`, the core, and for
/// what the core did not find, clean URLs and the SPA fallback.
fn serve_route(request: &Request, site: &Site, cache: &FileCache) -> (Response, Decision) {
    let path = match core::route(request, &site.root) {
        Ok(path) => path,
        Err(answered) => return refuse_route(request, site, *answered),
    };
    let verdict = match check_credentials(request, site, &path) {
        Ok(verdict) => verdict,
        Err(refused) => return *refused,
    };
    let answered = match &site.sink {
        Some(sink) if sink.is_at(&path) => (upload::form_page(sink), Decision::UploadForm),
        _ if asks_for_archive(request, &path) => serve_archive(request, &path, site),
        _ => match serve_core(request, &path, site, cache) {
            missing @ (_, Decision::NotOpened(OpenFailure::NotFound)) => {
                serve_missing(request, &path, site, cache, verdict.is_some(), missing)
            }
            answered => answered,
        },
    };
    with_verdict(answered, verdict)
}

/// What the core found nothing for: the clean URL's page (`/about` →
/// `about.html`), else `--spa`'s page for a client-side route, else the
/// 404 as the core gave it. `granted` when the path took credentials.
#[inline(never)]
fn serve_missing(
    request: &Request,
    path: &RequestPath,
    site: &Site,
    cache: &FileCache,
    granted: bool,
    missing: (Response, Decision),
) -> (Response, Decision) {
    match with_clean_url(request, path, site, cache, granted, missing) {
        (_, Decision::NotOpened(OpenFailure::NotFound)) if is_client_route(request, path, site) => {
            fall_back(request, site, cache, granted)
        }
        answered => answered,
    }
}

/// What the route refused: a target that names no file (which may take
/// the site's credentials first, see [`refuse_target`]), or a method
/// answered as it is.
#[inline(never)]
fn refuse_route(
    request: &Request,
    site: &Site,
    answered: (Response, Decision),
) -> (Response, Decision) {
    match answered {
        (_, Decision::BadTarget(refusal)) => refuse_target(request, site, refusal),
        answered => answered,
    }
}

/// The core for `path`: with no feature that asks anything of it, as it
/// is; else with what the layers ask (see [`serve_core_asked`]).
fn serve_core(
    request: &Request,
    path: &RequestPath,
    site: &Site,
    cache: &FileCache,
) -> (Response, Decision) {
    match site.watch || site.guard.is_some() || site.uploads.is_some() || site.qr.is_some() {
        true => serve_core_asked(request, path, site, cache),
        false => core::serve_path(request, path, &site.root, cache, Asks::default()),
    }
}

/// The core for `path`, with what the layers ask of it: `--watch`'s edit
/// of whole pages, and, in a folder no prefix guards, the guarded entries
/// a listing names without their size or time, `--upload`'s form and
/// `--qr`'s code.
#[inline(never)]
fn serve_core_asked(
    request: &Request,
    path: &RequestPath,
    site: &Site,
    cache: &FileCache,
) -> (Response, Decision) {
    let guard = site.guard().filter(|guard| !guard.covers(path));
    let withheld = |entry: &RequestPath| guard.is_some_and(|guard| guard.covers(entry));
    let asks = Asks {
        page_edit: site.watch().then_some(&watch::RELOAD_EDIT),
        listing: ListingAsks {
            // Without a guard nothing is withheld, and a listing need not ask.
            withheld: guard.map(|_| &withheld as &dyn Fn(&RequestPath) -> bool),
            form: site
                .uploads()
                .filter(|uploads| uploads.accepts(path))
                .map(|_| store::UPLOAD_FORM),
            phone_url: site.qr.as_deref(),
        },
    };
    core::serve_path(request, path, &site.root, cache, asks)
}

/// Every 404 carries the site's own page when the root holds one. It is
/// looked for only for a 404 (every other answer costs no lookup), and it
/// is a page of the site like any other: under a guarded prefix, only a
/// request with the credentials gets it.
#[inline(never)]
fn with_not_found_page(
    request: &Request,
    site: &Site,
    response: Response,
    decision: Decision,
) -> (Response, Decision) {
    let page = may_see_not_found_page(request, site)
        .then(|| site.root.not_found_page())
        .flatten();
    match page {
        Some(page) => {
            let response = Response::new(Status::NotFound, Body::Bytes(page))
                .with_field("Content-Type", content_type(Path::new(NOT_FOUND_PAGE)));
            (response, decision)
        }
        None => (response, decision),
    }
}

/// `--watch`: the head of the reload event stream (for a GET or HEAD at
/// [`watch::RELOAD_PATH`]); the connection then writes the events.
#[inline(never)]
fn reload_events(request: &Request, site: &Site) -> (Response, Decision) {
    // The stream says when the site changes: with the whole site guarded,
    // it is guarded too (its path is a dotfile, which no prefix can name).
    let verdict = match check_site_credentials(request, site) {
        Ok(verdict) => verdict,
        Err(refused) => return *refused,
    };
    let response = Response::event_stream(request.version).with_field("Cache-Control", "no-store");
    with_verdict((response, Decision::ReloadEvents), verdict)
}

/// Whether the site's 404 page may be shown to `request`: it lies under
/// no guarded prefix, or the request has the credentials.
fn may_see_not_found_page(request: &Request, site: &Site) -> bool {
    let Some(guard) = site.guard() else {
        return true;
    };
    let page = RequestPath::from_segments([NOT_FOUND_PAGE.as_bytes()]);
    !guard.covers(&page) || guard.verify(request).is_granted()
}

/// Whether `request` asks for a folder as one `.zip`: a GET or HEAD of a
/// folder's URL with the query `zip`.
fn asks_for_archive(request: &Request, path: &RequestPath) -> bool {
    // The query first: almost no request has one.
    path.query.as_deref() == Some(archive::QUERY)
        && path.trailing_slash
        && matches!(request.method, Method::Get | Method::Head)
}

/// The folder `path` names as one `.zip`, streamed: what its listing would
/// serve beneath it to this request (entries a guard covers only with the
/// credentials); 404 where there is no listing (`--no-listing`, no such
/// folder).
#[inline(never)]
fn serve_archive(request: &Request, path: &RequestPath, site: &Site) -> (Response, Decision) {
    let not_found = || {
        let decision = Decision::NotOpened(OpenFailure::NotFound);
        (Response::error(Status::NotFound), decision)
    };
    if !site.root.listings() {
        return not_found();
    }
    let guard = (site.guard()).filter(|guard| !guard.verify(request).is_granted());
    let withheld = |entry: &RequestPath| guard.is_some_and(|guard| guard.covers(entry));
    let withheld = guard.map(|_| &withheld as &dyn Fn(&RequestPath) -> bool);
    let plan = archive::Archive::plan(&site.root, path, withheld, site.zip64_from);
    let archive = match plan {
        Ok(archive) => archive,
        Err(archive::NoArchive::TooLarge) => {
            return (
                Response::error(Status::Forbidden),
                Decision::ArchiveTooLarge,
            )
        }
        Err(archive::NoArchive::Io(_)) => return not_found(),
    };
    let name = archive::file_name(path);
    let (files, folders, bytes) = archive.counts();
    let length = archive.length();
    let body = Body::Streamed {
        len: length,
        source: std::sync::Arc::new(archive),
    };
    let response = Response::new(Status::Ok, body)
        .with_field("Content-Type", "application/zip")
        .with_field("Content-Disposition", archive::disposition(&name))
        .with_field("Cache-Control", "no-store");
    let decision = Decision::Archive {
        name,
        files,
        folders,
        bytes,
        length,
    };
    (response, decision)
}

/// Clean URLs: a GET or HEAD for `/about` that found no file or folder of
/// that name gets `about.html` when there is one, with its own validators
/// and preconditions. Whatever exists under the name itself wins, since the
/// rewrite is tried only after the core found nothing. The page is a file
/// of the site like any other: under a guarded prefix it takes the
/// credentials, whatever path asked for it (`granted` when that path took
/// them already).
#[inline(never)]
fn with_clean_url(
    request: &Request,
    path: &RequestPath,
    site: &Site,
    cache: &FileCache,
    granted: bool,
    answered: (Response, Decision),
) -> (Response, Decision) {
    // `answered` is the core's 404 (see `serve_missing`).
    let applies = site.clean_urls && matches!(request.method, Method::Get | Method::Head);
    let Some(page) = applies.then(|| clean_url_page(path)).flatten() else {
        return answered;
    };
    let checked = match granted {
        true => Ok(None),
        false => check_credentials(request, site, &page),
    };
    let (response, decision) = match checked {
        Ok(verdict) => match serve_core(request, &page, site, cache) {
            (_, Decision::NotOpened(OpenFailure::NotFound)) => return answered,
            served => with_verdict(served, verdict),
        },
        // Whether the page exists is not told without the credentials:
        // the 401 comes whether it does or not, as for any guarded path.
        Err(refused) => *refused,
    };
    let decision = Decision::CleanUrl {
        missing: request.target().to_string(),
        page: page.to_url_path(),
        then: Box::new(decision),
    };
    (response, decision)
}

/// The page a clean URL stands for: the last segment with `.html` added,
/// for a path that names a file (not a folder, not `/`) not already an
/// HTML page.
fn clean_url_page(path: &RequestPath) -> Option<RequestPath> {
    let last = path.last_segment()?;
    if path.trailing_slash || last.ends_with(b".html") {
        return None;
    }
    let mut page = path.clone();
    page.query = None;
    page.extend_last_segment(b".html");
    Some(page)
}

/// Whether a missing path is a client-side route for `--spa`: a GET or
/// HEAD for a page (a last segment with no extension) from a client that
/// takes HTML. `/app.js` and `/logo.png` stay 404.
fn is_client_route(request: &Request, path: &RequestPath, site: &Site) -> bool {
    let has_extension = path
        .last_segment()
        .is_some_and(|segment| segment.contains(&b'.'));
    site.spa().is_some()
        && matches!(request.method, Method::Get | Method::Head)
        && !has_extension
        && takes_html(request)
}

/// Whether the client takes HTML (`Accept` names `text/html`): a browser's
/// navigation or form, not a script.
fn takes_html(request: &Request) -> bool {
    request.field_values("accept").any(|value| {
        crate::protocol::fields::list_items(value).any(|item| {
            let media = item.split(|&b| b == b';').next().unwrap_or_default();
            media.trim_ascii().eq_ignore_ascii_case(b"text/html")
        })
    })
}

/// `--spa`: the page instead of the missing route, with its own
/// validators and preconditions; `granted` when the route's own path took
/// the credentials already.
#[inline(never)]
fn fall_back(
    request: &Request,
    site: &Site,
    cache: &FileCache,
    granted: bool,
) -> (Response, Decision) {
    let missing = request.target().to_string();
    let Some(page) = site.spa() else {
        return (
            Response::error(Status::NotFound),
            Decision::NotOpened(OpenFailure::NotFound),
        );
    };
    // The page is a file of the site like any other: under a guarded
    // prefix, it takes the credentials whatever route it answers for.
    let checked = match granted {
        true => Ok(None),
        false => check_credentials(request, site, page),
    };
    let (response, decision) = match checked {
        Ok(verdict) => with_verdict(serve_core(request, page, site, cache), verdict),
        Err(refused) => *refused,
    };
    let decision = Decision::Fallback {
        missing,
        then: Box::new(decision),
    };
    (response, decision)
}

/// `--cors` on an answer: who may read it, and, for a request from another
/// origin, that grant in the decision.
fn with_cors(
    request: &Request,
    cors: &Cors,
    (mut response, decision): (Response, Decision),
) -> (Response, Decision) {
    let origin = request.field_values("origin").next();
    let grant = cors.grant(origin);
    add_grant(&mut response, &grant);
    if grant.allow_origin.is_some() {
        response = response.with_field("Access-Control-Expose-Headers", cors::EXPOSED.to_string());
    }
    match origin {
        Some(origin) => {
            let decision = Decision::CrossOrigin {
                origin: String::from_utf8_lossy(origin).into_owned(),
                grant,
                then: Box::new(decision),
            };
            (response, decision)
        }
        None => (response, decision),
    }
}

/// The grant's fields: `Access-Control-Allow-Origin`, and `Origin` added to
/// `Vary` when the answer depends on it.
fn add_grant(response: &mut Response, grant: &Grant) {
    if let Some(origin) = &grant.allow_origin {
        response
            .fields
            .push(("Access-Control-Allow-Origin", origin.clone().into()));
    }
    if grant.varies {
        match response.fields.iter_mut().find(|(name, _)| *name == "Vary") {
            Some((_, value)) => value.push_str(", Origin"),
            None => response.fields.push(("Vary", "Origin".into())),
        }
    }
}

/// A preflight: 204, the origin's grant, the methods, the headers asked
/// for when they are field names, and how long the answer may be kept.
#[inline(never)]
fn answer_preflight(preflight: Preflight) -> (Response, Decision) {
    let mut response = Response::new(Status::NoContent, Body::Empty)
        .with_field(
            "Access-Control-Allow-Methods",
            cors::ALLOWED_METHODS.to_string(),
        )
        .with_field("Access-Control-Max-Age", cors::MAX_AGE_SECS.to_string());
    if let Some(headers) = preflight.headers.as_ref().filter(|h| !h.is_empty()) {
        response = response.with_field("Access-Control-Allow-Headers", headers.join(", "));
    }
    add_grant(&mut response, &preflight.grant);
    (response, Decision::Preflight(preflight))
}

/// A target that names no file. A refused path (a dotfile, `..` above the
/// root) takes the credentials first when the whole site is guarded: a
/// client without them learns nothing of the site, not even its 404 page.
/// A target that is not one at all is a 400 whoever sends it.
#[inline(never)]
fn refuse_target(request: &Request, site: &Site, refusal: PathError) -> (Response, Decision) {
    let verdict = match refusal {
        PathError::Refused(_) => match check_site_credentials(request, site) {
            Ok(verdict) => verdict,
            Err(refused) => return *refused,
        },
        PathError::BadTarget => None,
    };
    let refused = (
        Response::error(refusal.status()),
        Decision::BadTarget(refusal),
    );
    with_verdict(refused, verdict)
}

/// The credentials a request takes when the whole site is guarded, for
/// what has no path a prefix could name: `Ok(None)` when it is not.
fn check_site_credentials(
    request: &Request,
    site: &Site,
) -> Result<Option<Verdict>, Box<(Response, Decision)>> {
    match site.guard().filter(|guard| guard.covers_everything()) {
        Some(guard) => require_credentials(request, guard).map(Some),
        None => Ok(None),
    }
}

/// The credentials a guarded path takes, before anything is looked up, so
/// that a 401 says nothing of whether the file exists, nor its size, tag or
/// time: `Ok(None)` for a path no one guards, `Ok(Some)` with the user's
/// verdict, or the 401.
fn check_credentials(
    request: &Request,
    site: &Site,
    path: &RequestPath,
) -> Result<Option<Verdict>, Box<(Response, Decision)>> {
    let Some(guard) = site.guard().filter(|guard| guard.covers(path)) else {
        return Ok(None);
    };
    require_credentials(request, guard).map(Some)
}

/// The verdict on the request's credentials when `guard` applies: the
/// user's, or the 401 with its challenge.
fn require_credentials(
    request: &Request,
    guard: &Guard,
) -> Result<Verdict, Box<(Response, Decision)>> {
    match guard.verify(request) {
        verdict if verdict.is_granted() => Ok(verdict),
        verdict => {
            let response = Response::error(Status::Unauthorized)
                .with_field("WWW-Authenticate", auth::challenge());
            Err(Box::new((response, Decision::Unauthorized(verdict))))
        }
    }
}

/// The decision, wrapped in the credentials' verdict when there was one.
fn with_verdict(
    (response, decision): (Response, Decision),
    verdict: Option<Verdict>,
) -> (Response, Decision) {
    let Some(verdict) = verdict else {
        return (response, decision);
    };
    let then = Box::new(decision);
    (response, Decision::Authorized { verdict, then })
}

/// Whether a `POST` may be read as an upload (see [`admit_upload`]).
pub enum Admission {
    /// It is not for the sink (`--sink`).
    Elsewhere,
    /// It may be read; the credentials' verdict, when the path is guarded.
    Admitted(Option<Verdict>),
    /// `--upload`: its files may be stored in the directory `path` names.
    Store {
        path: RequestPath,
        verdict: Option<Verdict>,
    },
    /// It may not: the 401, answered before a byte of the body is read.
    Refused(Box<(Response, Decision)>),
}

/// Whether a `POST` goes to the sink, and may: the credentials are checked
/// before the body is read, so a wrong password costs no upload. The
/// verdict goes to [`answer_upload`] once the body has been read.
pub fn admit_upload(request: &Request, site: &Site) -> Admission {
    let Some(path) = target::parse_target(request.target()).ok() else {
        return Admission::Elsewhere;
    };
    let at_sink = site.sink().is_some_and(|sink| sink.is_at(&path));
    let to_store = !at_sink && site.uploads().is_some_and(|uploads| uploads.accepts(&path));
    if !at_sink && !to_store {
        return Admission::Elsewhere;
    }
    match check_credentials(request, site, &path) {
        Ok(verdict) if to_store => Admission::Store { path, verdict },
        Ok(verdict) => Admission::Admitted(verdict),
        Err(refused) => Admission::Refused(refused),
    }
}

/// The answer to a form for `--upload` at the directory `path`: what was
/// stored, or why nothing was (before its body was read, or after).
pub fn answer_stored(
    request: &Request,
    path: &RequestPath,
    stored: Result<Vec<StoredFile>, NotStored>,
    verdict: Option<Verdict>,
) -> (Response, Decision) {
    let answered = match stored {
        Ok(files) => {
            let response = store::stored_answer(&files, &path.to_url_path(), takes_html(request));
            (response, Decision::Stored(files))
        }
        Err(not) => (store::not_stored_answer(&not), Decision::NotStored(not)),
    };
    with_verdict(answered, verdict)
}

/// The answer to an upload read to its end.
pub fn answer_upload(upload: Upload, verdict: Option<Verdict>) -> (Response, Decision) {
    let response = upload::report_page(&upload);
    with_verdict((response, Decision::Uploaded(upload)), verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_url_is_the_last_segment_with_html_added() {
        let cases = [
            ("/about", Some("/about.html")),
            ("/blog/first-post", Some("/blog/first-post.html")),
            ("/a%20b", Some("/a%20b.html")),
            ("/about?x=1", Some("/about.html")),
            ("/style.css", Some("/style.css.html")),
            ("/about.html", None),
            ("/docs/", None),
            ("/", None),
        ];
        for (target, page) in cases {
            let path = target::parse_target(target).unwrap();
            let shown = clean_url_page(&path).map(|page| page.to_url_path());
            assert_eq!(shown.as_deref(), page, "{target}");
        }
    }
}
