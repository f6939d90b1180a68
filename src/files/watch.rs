//! `--watch`: notices when a file beneath the root changes, so that pages
//! open in a browser reload themselves (the script [`RELOAD_SCRIPT`] that
//! `files/serve.rs` puts in every HTML page, listening at [`RELOAD_PATH`]).
//!
//! A poll of modification times rather than the systems' notification
//! APIs: the same code and the same behaviour on Linux, Windows and macOS,
//! on network and WSL file systems too, and nothing more to depend on. Its
//! cost is bounded: every [`POLL_INTERVAL`] one walk of at most
//! [`MAX_WATCHED`] entries (names and `stat`s, no reads), skipping names
//! that start with a dot, which are never served (`.git`, editors' swap
//! files). Past that many entries, the rest is not watched, and one warning
//! says so.
//!
//! An editor's save is several writes (a temporary file, a rename, a
//! metadata change). A change counts once the tree has looked the same for
//! one whole poll after it, so a burst is one reload, not several.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, UNIX_EPOCH};

use crate::files::serve::PageEdit;
use crate::protocol::{Method, Request};
use crate::sys::{self, ignoring_poison};

/// Where a page's script listens for reloads. A dot-segment: no file can
/// be served there, so it cannot hide one.
pub const RELOAD_PATH: &str = "/.glasshttp/reload";
/// Whether `request` asks for the reload events: a GET or HEAD at
/// [`RELOAD_PATH`], whatever its query.
pub fn is_reload_request(request: &Request) -> bool {
    let path = request.target().split('?').next().unwrap_or_default();
    path == RELOAD_PATH && matches!(request.method, Method::Get | Method::Head)
}

/// What every HTML page gets before `</body>` with `--watch`: an event
/// source that reloads the page on the `reload` event (kept on `window`
/// so that a page, or a test, can see it is connected).
pub const RELOAD_SCRIPT: &str = "<script>/* glasshttp --watch */\
window.glasshttpReload=new EventSource('/.glasshttp/reload');\
window.glasshttpReload.addEventListener('reload',function(){location.reload();});</script>";
/// How often the tree is walked.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// The most entries one walk looks at.
pub const MAX_WATCHED: usize = 20_000;
/// The largest page given the script; a larger one is sent as it is.
pub const MAX_PAGE_BYTES: u64 = 8 << 20;

/// What `--watch` asks of the core for every whole HTML page: the script
/// before the end of its body, as a representation of its own whose tag
/// ends `-watch`.
pub const RELOAD_EDIT: PageEdit = PageEdit {
    edit: inject,
    tag_suffix: "-watch",
    max_bytes: MAX_PAGE_BYTES,
};

/// The watcher of one root, shared by the connections that stream reloads.
#[derive(Debug)]
pub struct Watcher {
    /// Bumped once per settled change.
    generation: Mutex<u64>,
    changed: Condvar,
    stopping: AtomicBool,
}

impl Watcher {
    /// Starts watching `root` on a thread of its own.
    pub fn start(root: PathBuf) -> std::io::Result<Arc<Watcher>> {
        let watcher = Arc::new(Watcher {
            generation: Mutex::new(0),
            changed: Condvar::new(),
            stopping: AtomicBool::new(false),
        });
        // The first walk is done before the server serves: a change made
        // the moment it has started is then a change, not the state the
        // watcher starts from. One flag for every walk, the first included:
        // the warning about a large tree is said once.
        let mut warned = false;
        let first = fingerprint(&root, &mut warned);
        let polled = Arc::clone(&watcher);
        thread::Builder::new()
            .name("watch".into())
            .spawn(move || polled.poll(&root, first, warned))?;
        Ok(watcher)
    }

    /// The changes seen so far.
    pub fn generation(&self) -> u64 {
        *ignoring_poison(self.generation.lock())
    }

    /// Waits at most `timeout` for a change after `seen`: the new
    /// generation, or `None` when none came (or the watcher stopped).
    pub fn wait(&self, seen: u64, timeout: Duration) -> Option<u64> {
        let generation = ignoring_poison(self.generation.lock());
        let (generation, _) = ignoring_poison(self.changed.wait_timeout_while(
            generation,
            timeout,
            |generation| *generation == seen && !self.stopping.load(Ordering::SeqCst),
        ));
        (*generation != seen).then_some(*generation)
    }

    /// Stops the walks and wakes every waiter.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _guard = ignoring_poison(self.generation.lock());
        self.changed.notify_all();
    }

    /// Walks `root` every [`POLL_INTERVAL`] until stopped, from the
    /// `settled` state of the first walk.
    fn poll(&self, root: &Path, mut settled: u64, mut warned: bool) {
        let mut pending: Option<u64> = None;
        while !self.stopping.load(Ordering::SeqCst) {
            thread::sleep(POLL_INTERVAL);
            let now = fingerprint(root, &mut warned);
            match pending {
                // Still changing: wait for it to settle.
                Some(last) if last != now => pending = Some(now),
                Some(_) => {
                    pending = None;
                    settled = now;
                    let mut generation = ignoring_poison(self.generation.lock());
                    *generation += 1;
                    self.changed.notify_all();
                }
                None if now != settled => pending = Some(now),
                None => {}
            }
        }
    }
}

/// A hash of every watched entry's name, size and modification time.
fn fingerprint(root: &Path, warned: &mut bool) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut seen = 0usize;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            seen += 1;
            if seen > MAX_WATCHED {
                if !*warned {
                    *warned = true;
                    log::warn!(
                        "--watch: more than {MAX_WATCHED} entries beneath the root; the rest are not watched"
                    );
                }
                return hash;
            }
            // The entry itself, not what a link points to.
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            let modified = metadata
                .modified()
                .ok()
                .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
                .unwrap_or_default()
                .as_nanos();
            let path = entry.path();
            hash = mix(hash, path.to_string_lossy().as_bytes());
            hash = mix(hash, &metadata.len().to_le_bytes());
            hash = mix(hash, &modified.to_le_bytes());
            if metadata.is_dir() {
                pending.push(path);
            }
        }
    }
    hash
}

fn mix(hash: u64, bytes: &[u8]) -> u64 {
    sys::fnv1a_bytes(hash.to_le_bytes().into_iter().chain(bytes.iter().copied()))
}

/// `page` with [`RELOAD_SCRIPT`] before the `</body>` that ends the
/// document as an HTML parser reads it ([`body_end`]), or at its end when
/// there is none.
pub fn inject(page: &[u8]) -> Vec<u8> {
    let at = body_end(page).unwrap_or(page.len());
    let mut injected = Vec::with_capacity(page.len() + RELOAD_SCRIPT.len());
    injected.extend_from_slice(&page[..at]);
    injected.extend_from_slice(RELOAD_SCRIPT.as_bytes());
    injected.extend_from_slice(&page[at..]);
    injected
}

/// Elements whose content a parser reads as text up to their own end tag
/// (HTML's raw text and escapable raw text elements, and `noscript`, which
/// a browser running the script reads the same way): a `</body>` inside
/// them ends nothing.
const TEXT_ELEMENTS: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"noscript",
];

/// Where the last `</body>` end tag starts, read as HTML's tokenizer reads
/// a page (WHATWG HTML §13.2.5), in as much of it as that needs: comments,
/// `<!…>` and `<?…>`, quoted attribute values and the content of
/// [`TEXT_ELEMENTS`] are stepped over, so a `</body>` in any of them is not
/// taken for the end of the body. `<plaintext>` and the script element's
/// escaped states are not modelled: the first takes the rest of the page,
/// which then has no end tag, and the second only matters to a page that
/// writes `<!--` inside a script.
fn body_end(page: &[u8]) -> Option<usize> {
    let mut last = None;
    let mut at = 0;
    while let Some(offset) = page[at..].iter().position(|&b| b == b'<') {
        let open = at + offset;
        let Some((next, is_body_end)) = step_over_markup(page, open) else {
            // The page ends inside a comment, a tag or a text element:
            // nothing after `open` is a tag.
            break;
        };
        if is_body_end {
            last = Some(open);
        }
        at = next;
    }
    last
}

/// From the `<` at `open`: where reading goes on, and whether that `<`
/// opened a `</body>`; `None` when the page ends before the markup does.
fn step_over_markup(page: &[u8], open: usize) -> Option<(usize, bool)> {
    let rest = &page[open..];
    let next = if rest.starts_with(b"<!--") {
        comment_end(page, open + 4)?
    } else if rest.starts_with(b"</") && rest.get(2).is_some_and(u8::is_ascii_alphabetic) {
        let (name, end) = tag(page, open + 2)?;
        return Some((end, name.eq_ignore_ascii_case(b"body")));
    } else if rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
        let (name, end) = tag(page, open + 1)?;
        match TEXT_ELEMENTS.iter().find(|t| name.eq_ignore_ascii_case(t)) {
            Some(element) => end_tag_of(page, end, element)?,
            None => end,
        }
    } else if rest.starts_with(b"<!") || rest.starts_with(b"<?") || rest.starts_with(b"</") {
        // A bogus comment (a doctype among them): up to the next `>`.
        open + 1 + rest[1..].iter().position(|&b| b == b'>')? + 1
    } else {
        open + 1
    };
    Some((next, false))
}

/// Just past the `-->` of a comment whose text starts at `from` (`<!-->`
/// and `<!--->` end at once); `None` when the page ends inside it.
fn comment_end(page: &[u8], from: usize) -> Option<usize> {
    let text = &page[from..];
    for abrupt in [&b">"[..], b"->"] {
        if text.starts_with(abrupt) {
            return Some(from + abrupt.len());
        }
    }
    let close = text.windows(3).position(|w| w == b"-->")?;
    Some(from + close + 3)
}

/// A tag whose name starts at `from`: the name, and where the tag ends
/// (just past its `>`, quoted attribute values stepped over); `None` when
/// the page ends inside it.
fn tag(page: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let is_name_end = |b: &u8| b.is_ascii_whitespace() || *b == b'/' || *b == b'>';
    let name_len = page[from..].iter().position(is_name_end)?;
    let mut at = from + name_len;
    while at < page.len() {
        match page[at] {
            b'>' => return Some((&page[from..from + name_len], at + 1)),
            b'=' => {
                at += 1;
                at += page[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
                if let Some(&quote @ (b'"' | b'\'')) = page.get(at) {
                    at += 1 + page[at + 1..].iter().position(|&b| b == quote)? + 1;
                }
            }
            _ => at += 1,
        }
    }
    None
}

/// Where the end tag of the text element `name` starts, searching from
/// `from`: `</name` followed by white space, `/` or `>`, in any case.
fn end_tag_of(page: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    loop {
        let open = at + page[at..].windows(2).position(|w| w == b"</")?;
        let after = open + 2 + name.len();
        let named = page
            .get(open + 2..after)
            .is_some_and(|text| text.eq_ignore_ascii_case(name));
        let ended = page
            .get(after)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>');
        if named && ended {
            return Some(open);
        }
        at = open + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_goes_before_the_last_body_end_or_at_the_end_table() {
        let s = RELOAD_SCRIPT;
        let cases: Vec<(&str, String)> = vec![
            ("<body>a</body></html>", format!("<body>a{s}</body></html>")),
            (
                "<BODY>a</Body >x</BODY>",
                format!("<BODY>a</Body >x{s}</BODY>"),
            ),
            ("<p>no body", format!("<p>no body{s}")),
            ("", s.to_string()),
            // Where an HTML parser sees no end tag, none is taken.
            (
                "<body>a</body><!-- </body> -->",
                format!("<body>a{s}</body><!-- </body> -->"),
            ),
            ("<p>a<!-- </body> -->", format!("<p>a<!-- </body> -->{s}")),
            ("<p>a<!-- </body>", format!("<p>a<!-- </body>{s}")),
            // Ended inside markup: the real end tag before it still counts.
            (
                "<body>a</body><!-- </body>",
                format!("<body>a{s}</body><!-- </body>"),
            ),
            (
                "<body>a</body><p title=\"</body>",
                format!("<body>a{s}</body><p title=\"</body>"),
            ),
            (
                "<body>a</body><script></body>",
                format!("<body>a{s}</body><script></body>"),
            ),
            ("<!-->x</body>", format!("<!-->x{s}</body>")),
            ("a < b </body>", format!("a < b {s}</body>")),
            ("<a href=></body>", format!("<a href=>{s}</body>")),
            (
                "<script>var s = \"</body>\";</script>",
                format!("<script>var s = \"</body>\";</script>{s}"),
            ),
            (
                "<SCRIPT type=module>'</body>'</SCRIPT ><p>",
                format!("<SCRIPT type=module>'</body>'</SCRIPT ><p>{s}"),
            ),
            (
                "<style>/* </body> */</style></body>",
                format!("<style>/* </body> */</style>{s}</body>"),
            ),
            (
                "<textarea></body></textarea><title></body></title>",
                format!("<textarea></body></textarea><title></body></title>{s}"),
            ),
            (
                "<a title='</body>' href=\"</body>\">x</a></body>",
                format!("<a title='</body>' href=\"</body>\">x</a>{s}</body>"),
            ),
            ("<scripts></body>", format!("<scripts>{s}</body>")),
            ("</bodyx>", format!("</bodyx>{s}")),
            (
                "<!DOCTYPE html></body>",
                format!("<!DOCTYPE html>{s}</body>"),
            ),
        ];
        for (page, expected) in cases {
            assert_eq!(
                String::from_utf8(inject(page.as_bytes())).unwrap(),
                expected,
                "{page:?}"
            );
        }
    }

    #[test]
    fn a_burst_of_writes_is_one_change() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.html"), "1").unwrap();
        fs::write(dir.path().join(".swap"), "x").unwrap();
        let watcher = Watcher::start(dir.path().to_path_buf()).unwrap();
        // Let the first walk happen before anything changes.
        thread::sleep(POLL_INTERVAL * 2);
        assert_eq!(watcher.wait(0, POLL_INTERVAL * 3), None, "no change yet");
        // A dotfile is never served: no change.
        fs::write(dir.path().join(".swap"), "yy").unwrap();
        assert_eq!(watcher.wait(0, POLL_INTERVAL * 4), None);
        // Three writes in a row, as an editor saves.
        for content in ["22", "333", "4444"] {
            fs::write(dir.path().join("a.html"), content).unwrap();
            thread::sleep(Duration::from_millis(20));
        }
        fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(watcher.wait(0, Duration::from_secs(5)), Some(1));
        assert_eq!(watcher.wait(1, POLL_INTERVAL * 4), None, "one reload");
        fs::write(dir.path().join("sub/b.css"), "b").unwrap();
        assert_eq!(watcher.wait(1, Duration::from_secs(5)), Some(2));
        watcher.stop();
    }
}
