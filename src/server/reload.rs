//! `--watch`'s reload stream: once a page's script has its head (decided
//! in `files/serve.rs`), the connection's thread writes one `reload` event
//! each time the watcher sees a change beneath the root, and a comment now
//! and then (so that proxies keep the stream open), until the page goes or
//! the server stops. A page that goes is noticed within [`STOP_CHECK`], by
//! a peek that finds its close, so its slot is free for the next one. At
//! most [`MAX_RELOAD_VIEWERS`] at once, like the inspector's viewers: each
//! holds a thread.

use std::io::{self, BufWriter, Write};
use std::time::{Duration, Instant};

use crate::files::watch::Watcher;
use crate::observe::seam::reborrow;
use crate::observe::Tap;
use crate::protocol::chunked::LAST_CHUNK;
use crate::server::events::write_event;
use crate::server::link::Link;
use crate::sys;

/// Reload streams open at once; more get 503.
pub const MAX_RELOAD_VIEWERS: usize = 16;
/// How often an idle stream sends a comment.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often the stream looks whether the server is stopping, or the
/// page has gone.
const STOP_CHECK: Duration = Duration::from_millis(250);

/// The socket as the stream writes it: every byte handed to the tap first,
/// as the wire writer does, so the capture keeps the events too.
struct Tapped<'a, 'l, 't> {
    link: &'a mut Link<'l>,
    tap: Option<&'t mut dyn Tap>,
    progress: sys::WriteProgress,
}

impl Write for Tapped<'_, '_, '_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.link
            .send(bytes, reborrow(&mut self.tap), &mut self.progress)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes reload events on `link` (in chunks when `chunked`) until a
/// write fails or `stopping` says so; then the last chunk. A write may go
/// `write_timeout` without progress.
pub fn stream(
    link: &mut Link<'_>,
    tap: Option<&mut dyn Tap>,
    watcher: &Watcher,
    (chunked, write_timeout): (bool, Duration),
    stopping: impl Fn() -> bool,
) -> io::Result<()> {
    let progress = sys::WriteProgress::new(write_timeout);
    // Each event goes out in one write, as one segment.
    let mut out = BufWriter::new(Tapped {
        link,
        tap,
        progress,
    });
    let mut seen = watcher.generation();
    let mut quiet_since = Instant::now();
    while !stopping() {
        match watcher.wait(seen, STOP_CHECK) {
            Some(generation) => {
                let data = generation.to_string();
                write_event(
                    &mut out,
                    chunked,
                    "event: reload\ndata: ",
                    data.len(),
                    |out| out.write_all(data.as_bytes()),
                )?;
                out.flush()?;
                seen = generation;
                quiet_since = Instant::now();
            }
            // The page went (closed, reloaded, navigated away): its slot
            // is free at once, not when a write to it fails at last.
            None if out.get_ref().link.listener_gone() => return Ok(()),
            None if quiet_since.elapsed() >= HEARTBEAT => {
                write_event(&mut out, chunked, ": still here", 0, |_| Ok(()))?;
                out.flush()?;
                quiet_since = Instant::now();
            }
            None => {}
        }
    }
    if chunked {
        out.write_all(LAST_CHUNK)?;
    }
    out.flush()
}
