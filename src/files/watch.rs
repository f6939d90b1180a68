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

use crate::sys::{self, ignoring_poison};

/// Where a page's script listens for reloads. A dot-segment: no file can
/// be served there, so it cannot hide one.
pub const RELOAD_PATH: &str = "/.glasshttp/reload";
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
        let polled = Arc::clone(&watcher);
        thread::Builder::new()
            .name("watch".into())
            .spawn(move || polled.poll(&root))?;
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

    fn poll(&self, root: &Path) {
        let mut settled = fingerprint(root, &mut false);
        let mut pending: Option<u64> = None;
        let mut warned = false;
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

/// `page` with [`RELOAD_SCRIPT`] before its last `</body>` (in any case),
/// or at its end when it has none.
pub fn inject(page: &[u8]) -> Vec<u8> {
    let lower = page.to_ascii_lowercase();
    let at = lower
        .windows(b"</body>".len())
        .rposition(|window| window == b"</body>")
        .unwrap_or(page.len());
    let mut injected = Vec::with_capacity(page.len() + RELOAD_SCRIPT.len());
    injected.extend_from_slice(&page[..at]);
    injected.extend_from_slice(RELOAD_SCRIPT.as_bytes());
    injected.extend_from_slice(&page[at..]);
    injected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_goes_before_the_last_body_end_or_at_the_end_table() {
        let s = RELOAD_SCRIPT;
        let cases: [(&str, String); 4] = [
            ("<body>a</body></html>", format!("<body>a{s}</body></html>")),
            (
                "<BODY>a</Body >x</BODY>",
                format!("<BODY>a</Body >x{s}</BODY>"),
            ),
            ("<p>no body", format!("<p>no body{s}")),
            ("", s.to_string()),
        ];
        for (page, expected) in cases {
            assert_eq!(
                String::from_utf8(inject(page.as_bytes())).unwrap(),
                expected
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
