//! `--upload [PREFIX]`: files sent with a form stored beneath the root. A
//! `POST` of `multipart/form-data` to a directory under an upload prefix
//! stores each file part there. The rules, each for a reason:
//!
//! - **Where**: only a directory that exists under a prefix, found as
//!   every lookup finds it (never through a link leading out); each name
//!   is then created, linked and removed relative to that directory.
//! - **Names** ([`stored_name`]): the last segment of what the client
//!   sent, refused when it could not be served back or would mean
//!   something else on another system (see there).
//! - **Whole or nothing**: each part is written to a temporary name beside
//!   its target (a dotfile, never served or listed), and only when the
//!   whole body has been read does each get its name, by a link that never
//!   replaces (an existing name gives `name (1).ext`, then `(2)`…). A body
//!   cut off, a full disk or a refused name leaves nothing behind.
//! - **Bounded**: `--upload-limit` per request, checked before the body
//!   when its length is declared (the connection reads it).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::files::decision::{NotStored, StoredFile};
use crate::files::target::{self, RequestPath};
use crate::files::upload;
use crate::protocol::form::{Part, PartSink};
use crate::protocol::visible::{html_escape, visible};
use crate::protocol::words::{phrase, Phrase};
use crate::protocol::{Body, Response, Status};
use crate::sys::WritableDir;

/// The largest upload taken by default (`--upload-limit`), per request.
pub const DEFAULT_UPLOAD_LIMIT: u64 = 1 << 30;
/// The longest name stored, in bytes (most file systems' limit).
pub const MAX_NAME_BYTES: usize = 255;
/// How many new names (`a (1).txt` …) are tried before a 409.
pub const MAX_NEW_NAMES: u32 = 99;
/// What every temporary name begins with: a dotfile, and one that
/// `--hidden` never serves either (see [`target::NEVER_SERVED`]).
pub const TEMPORARY_PREFIX: &str = ".glasshttp-upload-";

/// The directories uploads may be stored in: those under these prefixes.
#[derive(Debug, Clone)]
pub struct Uploads {
    prefixes: Vec<RequestPath>,
    limit: u64,
}

impl Uploads {
    /// Uploads under `prefixes` (`/` for the whole site), up to `limit`
    /// bytes per request.
    pub fn new(prefixes: Vec<RequestPath>, limit: u64) -> Uploads {
        Uploads { prefixes, limit }
    }

    /// `--upload=PREFIX`: a path as a request names it; bare, the whole site.
    pub fn parse_prefix(text: &str) -> Result<RequestPath, String> {
        let text = match text {
            "" => "/",
            text => text,
        };
        if !text.starts_with('/') {
            return Err(format!("{text:?} is not a path: one that starts with /"));
        }
        target::parse_target(text)
            .ok()
            .filter(|path| path.query.is_none())
            .ok_or_else(|| format!("{text:?} is not a path this server could serve"))
    }

    /// Whether `path` names a directory (a trailing slash) under a prefix,
    /// compared segment by segment, exactly: `/in` does not cover `/inbox/`.
    pub fn accepts(&self, path: &RequestPath) -> bool {
        path.trailing_slash && self.prefixes.iter().any(|prefix| path.starts_with(prefix))
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The prefixes, as URL paths: `/in/, /shared/`.
    pub fn shown(&self) -> String {
        let shown: Vec<String> = self.prefixes.iter().map(RequestPath::to_url_path).collect();
        shown.join(", ")
    }
}

/// Refusals of a name, each the reason it could not be stored.
pub const EMPTY_NAME: Phrase = phrase("an empty file name", "文件名为空");
pub const DOT_NAME: Phrase = phrase(
    "a name that starts with a dot (hidden, never served)",
    "以点开头的名字（隐藏文件，不会被提供）",
);
pub const CONTROL_IN_NAME: Phrase = phrase("a control character in the name", "名字里有控制字符");
pub const WINDOWS_CHARACTER: Phrase = phrase(
    "a character Windows forbids in names (< > : \" | ? *)",
    "名字里有 Windows 禁止的字符（< > : \" | ? *）",
);
pub const NAME_TOO_LONG: Phrase = phrase("a name longer than 255 bytes", "名字超过 255 字节");

/// The name a file part is stored under: the last segment of what the
/// client sent (a browser may send a whole Windows path), refused when it
/// is empty, `.` or `..`, a dotfile, holds a control character or one of
/// Windows' forbidden characters, is a name Windows reads otherwise (`CON`,
/// `NUL.txt`, `COM1`, a trailing dot or space, an 8.3 short name), or is
/// longer than [`MAX_NAME_BYTES`]. What is stored can be served back by
/// the same name on every system.
pub fn stored_name(sent: &str) -> Result<String, Phrase> {
    let name = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    if name.is_empty() {
        return Err(EMPTY_NAME);
    }
    if name.starts_with('.') {
        return Err(DOT_NAME);
    }
    if name.chars().any(char::is_control) {
        return Err(CONTROL_IN_NAME);
    }
    if name.contains(['<', '>', ':', '"', '|', '?', '*']) {
        return Err(WINDOWS_CHARACTER);
    }
    // The form reader cuts a long name and marks the cut with `…`.
    if name.len() > MAX_NAME_BYTES || name.ends_with('…') {
        return Err(NAME_TOO_LONG);
    }
    match target::refuse_segment(name.as_bytes()) {
        Some(why) => Err(why),
        None => Ok(name.to_string()),
    }
}

/// The `n`th new name for `name` when it is taken: `report (1).pdf`.
pub fn numbered(name: &str, n: u32) -> String {
    match name.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()) {
        Some((stem, extension)) => format!("{stem} ({n}).{extension}"),
        None => format!("{name} ({n})"),
    }
}

/// A part being written to its temporary name.
struct Pending {
    temporary: OsString,
    file: Option<BufWriter<File>>,
    name: String,
    size: u64,
    started: Instant,
    last: Instant,
}

/// Stores the file parts of one form in one directory: a [`PartSink`]
/// while the body streams in, then [`Intake::finish`]. Dropped before it
/// finishes (a body cut off, a timeout), it removes what it wrote.
pub struct Intake {
    dir: WritableDir,
    pending: Vec<Pending>,
    /// The part being written, if it is a file.
    writing: bool,
    failure: Option<NotStored>,
}

/// Tells temporary names apart within this process.
static TEMPORARY_NAMES: AtomicU64 = AtomicU64::new(0);

impl Intake {
    pub fn new(dir: WritableDir) -> Intake {
        Intake {
            dir,
            pending: Vec::new(),
            writing: false,
            failure: None,
        }
    }

    /// Gives each file its name once the body has been read whole and
    /// `form_failed` says nothing was wrong with it: the files stored, or
    /// why nothing was (and nothing is left behind).
    pub fn finish(mut self, form_failed: Option<Phrase>) -> Result<Vec<StoredFile>, NotStored> {
        self.close_current();
        if let Some(why) = form_failed.filter(|_| self.failure.is_none()) {
            self.fail(not_stored(Status::BadRequest, why, None));
        }
        if self.failure.is_none() && self.pending.is_empty() {
            let why = phrase("no file in the form", "表单里没有文件");
            self.fail(not_stored(Status::BadRequest, why, None));
        }
        if let Some(failure) = self.failure.take() {
            return Err(failure);
        }
        let mut stored = Vec::new();
        for index in 0..self.pending.len() {
            match self.publish(index) {
                Ok(file) => stored.push(file),
                Err(failure) => {
                    // The ones already published stay: each is whole.
                    return Err(failure);
                }
            }
        }
        Ok(stored)
    }

    /// Links the `index`th file to its name, or the first free new name,
    /// then drops its temporary name.
    fn publish(&mut self, index: usize) -> Result<StoredFile, NotStored> {
        let pending = &self.pending[index];
        let mut name = pending.name.clone();
        let mut n = 0;
        loop {
            match self.dir.link_new(&pending.temporary, OsStr::new(&name)) {
                Ok(()) => break,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && n < MAX_NEW_NAMES => {
                    n += 1;
                    name = numbered(&pending.name, n);
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    let why = phrase(
                        "the name and its numbered new names are all taken",
                        "这个名字和它的编号新名字都已被占用",
                    );
                    return Err(not_stored(Status::Conflict, why, Some(&pending.name)));
                }
                Err(error) => return Err(written_failure(&error, Some(&pending.name))),
            }
        }
        let _ = self.dir.remove(&pending.temporary);
        let pending = &mut self.pending[index];
        pending.temporary.clear();
        Ok(StoredFile {
            renamed_from: (n > 0).then(|| pending.name.clone()),
            name,
            size: pending.size,
            duration: pending.last - pending.started,
        })
    }

    fn close_current(&mut self) {
        if !self.writing {
            return;
        }
        self.writing = false;
        let Some(pending) = self.pending.last_mut() else {
            return;
        };
        let flushed = match pending.file.take() {
            Some(mut file) => file.flush().and_then(|()| file.get_ref().sync_data()),
            None => Ok(()),
        };
        if let Err(error) = flushed {
            self.failure.get_or_insert(written_failure(&error, None));
        }
    }

    fn begin_file(&mut self, sent: &str) {
        let name = match stored_name(sent) {
            Ok(name) => name,
            Err(why) => return self.fail(not_stored(Status::BadRequest, why, Some(sent))),
        };
        let mut created = None;
        for _ in 0..8 {
            let number = TEMPORARY_NAMES.fetch_add(1, Ordering::Relaxed);
            let temporary =
                OsString::from(format!("{TEMPORARY_PREFIX}{}-{number}", std::process::id()));
            match self.dir.create_new(&temporary) {
                Ok(file) => {
                    created = Some((temporary, file));
                    break;
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return self.fail(written_failure(&error, Some(sent))),
            }
        }
        let Some((temporary, file)) = created else {
            let why = phrase("no temporary name was free", "没有可用的临时文件名");
            return self.fail(not_stored(Status::InternalServerError, why, None));
        };
        let now = Instant::now();
        self.pending.push(Pending {
            temporary,
            file: Some(BufWriter::with_capacity(64 * 1024, file)),
            name,
            size: 0,
            started: now,
            last: now,
        });
        self.writing = true;
    }

    /// The first failure stands; nothing more is written after it.
    fn fail(&mut self, failure: NotStored) {
        self.failure.get_or_insert(failure);
        self.writing = false;
    }
}

fn not_stored(status: Status, why: Phrase, name: Option<&str>) -> NotStored {
    NotStored {
        status,
        why,
        name: name.map(str::to_string),
    }
}

/// A write that failed: 507 when the disk (or the quota) is full, else 500.
fn written_failure(error: &io::Error, name: Option<&str>) -> NotStored {
    log::warn!("--upload: {error}");
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => {
            let why = phrase("the disk is full", "磁盘已满");
            not_stored(Status::InsufficientStorage, why, name)
        }
        _ => {
            let why = phrase("the file could not be written", "文件无法写入");
            not_stored(Status::InternalServerError, why, name)
        }
    }
}

impl PartSink for Intake {
    fn part_begins(&mut self, part: &Part) {
        self.close_current();
        if self.failure.is_some() {
            return;
        }
        // A field, or a file input left empty (a browser sends `filename=""`
        // and no bytes): nothing to store.
        match part.filename.as_deref() {
            None | Some("") => {}
            Some(sent) => self.begin_file(sent),
        }
    }

    fn content(&mut self, bytes: &[u8]) {
        if !self.writing || self.failure.is_some() {
            return;
        }
        let Some(pending) = self.pending.last_mut() else {
            return;
        };
        pending.size += bytes.len() as u64;
        pending.last = Instant::now();
        let written = match pending.file.as_mut() {
            Some(file) => file.write_all(bytes),
            None => Ok(()),
        };
        if let Err(error) = written {
            self.fail(written_failure(&error, None));
        }
    }

    fn content_lost(&mut self) {
        if self.writing {
            let why = phrase(
                "a line of a file began like the form's boundary, with more padding than is kept",
                "文件中某一行以表单的分隔符开头，后面的填充超过了保留的长度",
            );
            self.fail(not_stored(Status::BadRequest, why, None));
        }
    }
}

impl Drop for Intake {
    /// Whatever was not given its name is removed: a body cut off, a
    /// refusal, a full disk leave nothing behind.
    fn drop(&mut self) {
        for pending in &mut self.pending {
            drop(pending.file.take());
            if !pending.temporary.is_empty() {
                let _ = self.dir.remove(&pending.temporary);
            }
        }
    }
}

/// The form under a listing where files may be stored: several files, a
/// progress bar, no script from elsewhere. Without script it posts as any
/// form does (and the answer is a 303 back to the listing); with it, the
/// bar shows the bytes sent and the listing reloads when they are stored.
pub const UPLOAD_FORM: &str = "<form id=\"upload\" method=\"post\" enctype=\"multipart/form-data\">\
<p><input type=\"file\" name=\"file\" multiple required> <button type=\"submit\">Upload</button> \
<progress id=\"progress\" max=\"1\" value=\"0\" hidden></progress> <span id=\"status\"></span></p>\
</form>\n<script>\
document.getElementById('upload').addEventListener('submit', function (event) {\
event.preventDefault();\
var form = event.target, request = new XMLHttpRequest();\
var bar = document.getElementById('progress'), status = document.getElementById('status');\
bar.hidden = false; status.textContent = '';\
request.upload.onprogress = function (e) { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; } };\
request.onload = function () {\
if (request.status === 201) { location.reload(); }\
else { status.textContent = request.status + ' ' + request.statusText + ': ' + request.responseText; }\
};\
request.onerror = function () { status.textContent = 'the upload failed'; };\
request.open('POST', location.pathname);\
request.setRequestHeader('Accept', 'application/json');\
request.send(new FormData(form));\
});\
</script>\n";

/// The answer to a form that stored `files` in the directory at `url_path`:
/// for a browser's form (`Accept` names `text/html`), 303 back to the
/// listing, which shows them; for a script, 201 with the names as JSON.
pub fn stored_answer(files: &[StoredFile], url_path: &str, takes_html: bool) -> Response {
    if takes_html {
        let mut body = String::from("<ul>\n");
        for file in files {
            body.push_str(&format!("<li>{}</li>\n", html_escape(&file.name)));
        }
        body.push_str(&format!(
            "</ul>\n<p><a href=\"{}\">Back to the folder</a></p>\n",
            html_escape(url_path)
        ));
        let mut response =
            upload::page("Stored", &body).with_field("Location", url_path.to_string());
        response.status = Status::SeeOther;
        return response;
    }
    let stored: Vec<serde_json::Value> = files
        .iter()
        .map(|file| {
            serde_json::json!({
                "name": file.name,
                "renamed_from": file.renamed_from,
                "size": file.size,
            })
        })
        .collect();
    let body = serde_json::json!({ "stored": stored }).to_string() + "\n";
    Response::new(Status::Created, Body::Bytes(body.into_bytes()))
        .with_field("Content-Type", "application/json")
        .with_field("Cache-Control", "no-store")
}

/// The answer when nothing was stored: its status, and why in a line.
pub fn not_stored_answer(not: &NotStored) -> Response {
    let mut why = not.why.en.to_string();
    if let Some(name) = &not.name {
        why.push_str(&format!(": {}", visible(name.as_bytes())));
    }
    let mut response = upload::page(
        "Nothing stored",
        &format!("<p id=\"why\">{}</p>\n", html_escape(&why)),
    );
    response.status = not.status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_name_is_the_last_segment_and_one_every_system_serves() {
        let cases = [
            ("report.pdf", Ok("report.pdf")),
            ("C:\\Users\\li\\photo.jpg", Ok("photo.jpg")),
            ("../../etc/passwd", Ok("passwd")),
            ("照片 1.png", Ok("照片 1.png")),
            ("", Err(EMPTY_NAME)),
            ("dir/", Err(EMPTY_NAME)),
            ("..", Err(DOT_NAME)),
            (".bashrc", Err(DOT_NAME)),
            ("a\u{7}b", Err(CONTROL_IN_NAME)),
            ("line\nbreak", Err(CONTROL_IN_NAME)),
            ("a:b.txt", Err(WINDOWS_CHARACTER)),
            ("what?.txt", Err(WINDOWS_CHARACTER)),
            ("a*b", Err(WINDOWS_CHARACTER)),
            ("<script>", Err(WINDOWS_CHARACTER)),
            ("CON", Err(target::refuse_segment(b"CON").unwrap())),
            ("nul.txt", Err(target::refuse_segment(b"nul.txt").unwrap())),
            (
                "com1.log",
                Err(target::refuse_segment(b"com1.log").unwrap()),
            ),
            (
                "trailing.",
                Err(target::refuse_segment(b"trailing.").unwrap()),
            ),
            (
                "PROGRA~1",
                Err(target::refuse_segment(b"PROGRA~1").unwrap()),
            ),
            ("cut…", Err(NAME_TOO_LONG)),
        ];
        for (sent, expected) in cases {
            let expected = expected.map(str::to_string);
            assert_eq!(stored_name(sent), expected, "{sent:?}");
        }
        assert_eq!(stored_name(&"a".repeat(255)).map(|n| n.len()), Ok(255));
        assert_eq!(stored_name(&"a".repeat(256)), Err(NAME_TOO_LONG));
    }

    #[test]
    fn a_taken_name_gets_a_number_before_its_extension() {
        let cases = [
            ("report.pdf", 1, "report (1).pdf"),
            ("archive.tar.gz", 2, "archive.tar (2).gz"),
            ("README", 3, "README (3)"),
            ("x.", 1, "x (1)."),
        ];
        for (name, n, expected) in cases {
            assert_eq!(numbered(name, n), expected, "{name}");
        }
    }

    #[test]
    fn uploads_go_to_directories_under_a_prefix_only() {
        let uploads = Uploads::new(
            vec![Uploads::parse_prefix("/in").unwrap()],
            DEFAULT_UPLOAD_LIMIT,
        );
        let cases = [
            ("/in/", true),
            ("/in/deeper/", true),
            ("/in", false),
            ("/in/file.txt", false),
            ("/inbox/", false),
            ("/IN/", false),
            ("/", false),
        ];
        for (path, accepted) in cases {
            let path = target::parse_target(path).unwrap();
            assert_eq!(uploads.accepts(&path), accepted, "{path:?}");
        }
        let whole = Uploads::new(vec![Uploads::parse_prefix("").unwrap()], 1);
        assert!(whole.accepts(&target::parse_target("/").unwrap()));
        assert!(Uploads::parse_prefix("in").is_err());
        assert!(Uploads::parse_prefix("/a?b").is_err());
    }
}
