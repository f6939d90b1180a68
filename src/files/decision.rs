//! What serving decided, and why: the [`Decision`] every answer comes
//! with, the response is built from, and the trace, the inspector, the
//! access log and the tests all read, so the explanation cannot drift from
//! the behaviour. Values only: deciding is `serve.rs`'s, and the words for
//! each decision are `observe/explain.rs`'s.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::files::conditional::Precondition;
use crate::files::range::RangeOutcome;
use crate::files::root::OpenFailure;
use crate::files::sort::Sort;
use crate::files::target::PathError;
use crate::protocol::auth::Verdict;
use crate::protocol::coding::Coding;
use crate::protocol::cors::{Grant, Preflight};
use crate::protocol::form::FormReport;
use crate::protocol::words::Phrase;
use crate::protocol::Status;

/// What [`crate::files::serve`] decided, and why. The response is built from the same
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
        /// The index names looked for (`index.html`, `--index`).
        index: Vec<String>,
        entries: usize,
        truncated: bool,
        /// The order shown (`?sort=`, `--sort`).
        sort: Sort,
        etag: Arc<str>,
        precondition: Precondition,
    },
    /// A file: which of its representations, and what its preconditions
    /// and the Range field decided.
    File(FileDecision),
    /// `GET` at the sink (`--sink`): the form to upload with.
    UploadForm,
    /// A `POST` at the sink, read to its end and thrown away.
    Uploaded(Upload),
    /// A folder as one `.zip` (`?zip`): its file name, its files, folders
    /// and their bytes, and the archive's length.
    Archive {
        name: String,
        files: usize,
        folders: usize,
        bytes: u64,
        length: u64,
    },
    /// A folder too large to archive (403).
    ArchiveTooLarge,
    /// `--upload`: the files of a form stored in a directory, in order.
    Stored(Vec<StoredFile>),
    /// `--upload`: nothing stored, and why.
    NotStored(NotStored),
    /// A path `--auth` guards, without the credentials it takes (401).
    Unauthorized(Verdict),
    /// A path `--auth` guards, with the right credentials: the verdict (the
    /// user), then what was decided for the path itself.
    Authorized {
        verdict: Verdict,
        then: Box<Decision>,
    },
    /// `--spa`: no file at `missing`, a client-side route: the page
    /// instead, and what was decided for it.
    Fallback {
        missing: String,
        then: Box<Decision>,
    },
    /// A clean URL: no file or folder at `missing` (`/about`), so the page
    /// `page` (`/about.html`), and what was decided for it.
    CleanUrl {
        missing: String,
        page: String,
        then: Box<Decision>,
    },
    /// `--watch`: a page's script asks for reload events; the connection
    /// streams them.
    ReloadEvents,
    /// `--cors`: a preflight, answered 204 with what may be sent.
    Preflight(Preflight),
    /// `--cors`: a request from a page of another origin (`Origin`), what
    /// that origin was granted, then what was decided for the path.
    CrossOrigin {
        origin: String,
        grant: Grant,
        then: Box<Decision>,
    },
}

impl Decision {
    /// Whether the connection goes on to stream reload events (`--watch`),
    /// whatever the credentials' verdict around it.
    pub fn opens_reload_stream(&self) -> bool {
        match self {
            Decision::ReloadEvents => true,
            Decision::Authorized { then, .. } => then.opens_reload_stream(),
            _ => false,
        }
    }
}

/// What [`crate::files::serve`] decided for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDecision {
    /// The file, relative to the root.
    pub path: Arc<Path>,
    /// The length and tag of the representation chosen.
    pub size: u64,
    pub etag: Arc<str>,
    pub negotiation: Negotiation,
    pub precondition: Precondition,
    /// `None` when a precondition answered first.
    pub range: Option<RangeOutcome>,
}

/// Which representation of a file `Accept-Encoding` chose (RFC 9110 §12.5.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Negotiation {
    /// Whether the file has coded variants at all: then every answer
    /// carries `Vary: Accept-Encoding`.
    pub varies: bool,
    /// The coding sent; `None` is the file as it is.
    pub coding: Option<Coding>,
    /// The precompressed file sent, when one was; with a coding and no
    /// sibling, the bytes were compressed in memory.
    pub sibling: Option<PathBuf>,
    /// `--watch`: the page with the reload script, a representation of its
    /// own, never coded.
    pub reload_script: bool,
}

/// One upload to `--sink`, as read: what [`Decision::Uploaded`] records
/// (`files/upload.rs` describes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Body bytes received (a chunked body's data, without its framing).
    pub bytes: u64,
    /// From the first body byte read to the last.
    pub duration: Duration,
    /// The parts, for a `multipart/form-data` body.
    pub form: Option<FormReport>,
}

/// Why an upload stored nothing, in both languages, with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotStored {
    pub status: Status,
    pub why: Phrase,
    /// The name the client sent, when the refusal is about one.
    pub name: Option<String>,
}

/// One file stored: the name it got, the one the client sent when that
/// was taken, its size, and the time its bytes took to arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub name: String,
    pub renamed_from: Option<String>,
    pub size: u64,
    pub duration: Duration,
}
