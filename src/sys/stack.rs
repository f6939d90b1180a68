//! A connection thread's stack, while its connection is idle.
//!
//! A thread keeps every stack page it has ever touched. Serving a request
//! reaches three or four pages deep (a cache fill is the deepest), but an
//! idle connection waits two pages from the top, and it may wait for
//! minutes. With ten thousand idle connections the pages below the wait
//! are most of the process's memory, so on Linux an idle connection gives
//! them back to the kernel; they come back zeroed, one fault each, if the
//! connection is served again.
//!
//! | system | what an idle connection gives back |
//! |---|---|
//! | Linux | the stack pages below its wait (`madvise(MADV_DONTNEED)`) |
//! | others | nothing |

use std::cell::Cell;

thread_local! {
    /// The lowest address this thread may give back: zero until the
    /// thread marks its top ([`mark_thread_top`]).
    static FLOOR: Cell<usize> = const { Cell::new(0) };
}

/// Called first thing in a thread spawned with a stack of `stack_bytes`:
/// from here down to half that size is certainly this thread's own stack
/// (what lies above the first frame is the thread's descriptor and TLS,
/// a few KiB), so [`release_below_here`] may give back pages there.
#[inline(never)]
pub fn mark_thread_top(stack_bytes: usize) {
    let local = 0u8;
    let top = std::hint::black_box(&local) as *const u8 as usize;
    FLOOR.with(|floor| floor.set(top.saturating_sub(stack_bytes / 2)));
}

/// Gives the kernel back the pages of this thread's stack below the
/// caller's frame (at most 64 KiB, never below the floor that
/// [`mark_thread_top`] set); how many bytes. Nothing on a thread that did
/// not mark its top, or on a system other than Linux.
pub fn release_below_here() -> usize {
    match FLOOR.with(Cell::get) {
        0 => 0,
        floor => imp::release(floor),
    }
}

#[cfg(target_os = "linux")]
mod imp {
    /// How far below a local of [`release`] the given-back pages end: room
    /// for the rest of its frame (a few hundred bytes at most, unoptimised)
    /// and the call into libc's `madvise`, which pushes its return address
    /// and has no frame of its own (glibc) or a few bytes of one (musl). Small, because a larger margin would
    /// keep the page below the idle wait that this is for.
    const MARGIN_BYTES: usize = 512;
    /// How much is given back at most: deeper than any serving path
    /// reaches below an idle wait (under 8 KiB, measured), and far less
    /// than a connection thread's stack.
    const RELEASED_BYTES: usize = 64 * 1024;

    /// Gives back the whole pages below this frame, down to `floor` and
    /// at most [`RELEASED_BYTES`] of them. The system call is made here,
    /// through libc's stub, so that nothing runs below this frame while the
    /// pages go.
    #[inline(never)]
    #[allow(unsafe_code)]
    pub fn release(floor: usize) -> usize {
        let local = 0u8;
        let here = std::hint::black_box(&local) as *const u8 as usize;
        let page = rustix::param::page_size();
        let end = here.saturating_sub(MARGIN_BYTES) & !(page - 1);
        let start = end
            .saturating_sub(RELEASED_BYTES)
            .max(floor.next_multiple_of(page));
        if start >= end {
            return 0;
        }
        // SAFETY: no safe call gives stack pages back. The range is whole
        // pages of this thread's own stack, holding nothing live:
        // - It lies in the stack: `start` is at or above the floor, half
        //   the spawned stack size below the thread's first frame, and the
        //   stack extends that far below its first frame (glibc and musl
        //   put only the thread descriptor and TLS above it, a few KiB).
        //   The guard page and other mappings lie further below.
        // - Nothing in it is live: `end` is at least MARGIN_BYTES below a
        //   local of this frame. Below that local there is only the rest
        //   of this frame and, during the call, the return address that
        //   the call pushes: libc's `madvise` is a system call stub with no
        //   frame (glibc) or a few bytes of one (musl). The margin covers
        //   them. Every live frame of this thread
        //   lies above; no reference, of this thread or another, points
        //   into a frame that has returned.
        // - MADV_DONTNEED on private anonymous memory only makes the pages
        //   read as zeros when next touched, and stack memory below the
        //   stack pointer is uninitialised to the program, which writes a
        //   frame before it reads it. A signal handler run meanwhile builds
        //   its frame the same way. (glibc does the same to the part of a
        //   thread's stack below its stack pointer when the thread ends.)
        // An error (none is expected) leaves the pages where they are.
        let result =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        if result == 0 {
            end - start
        } else {
            0
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    /// This build gives nothing back on this system (see the table above).
    pub fn release(_floor: usize) -> usize {
        0
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::hint::black_box;

    /// The resident bytes of the mapping holding `address`, from
    /// /proc/self/smaps.
    fn resident_bytes_around(address: usize) -> usize {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            let range = line.split_whitespace().next().unwrap_or("");
            if let Some((low, high)) = range.split_once('-') {
                if let (Ok(low), Ok(high)) = (
                    usize::from_str_radix(low, 16),
                    usize::from_str_radix(high, 16),
                ) {
                    inside = (low..high).contains(&address);
                    continue;
                }
            }
            if let (true, Some(kib)) = (inside, line.strip_prefix("Rss:")) {
                let kib = kib.trim().trim_end_matches("kB").trim();
                return kib.parse::<usize>().unwrap() * 1024;
            }
        }
        panic!("no mapping holds {address:#x}");
    }

    /// Touches `depth` bytes of stack below the caller, and returns.
    #[inline(never)]
    fn go_deep(depth: usize) -> u8 {
        let mut block = [0u8; 4096];
        black_box(&mut block);
        match depth.checked_sub(block.len()) {
            Some(rest) if rest > 0 => block[0].wrapping_add(go_deep(rest)),
            _ => block[0],
        }
    }

    #[test]
    fn an_idle_thread_gives_back_the_pages_below_it_and_keeps_its_frames() {
        const STACK: usize = 256 * 1024;
        let measured = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(|| {
                // Nothing is given back before the top is marked.
                assert_eq!(release_below_here(), 0);
                mark_thread_top(STACK);
                let kept: [u8; 2048] = std::array::from_fn(|i| i as u8);
                let kept = black_box(kept);
                go_deep(48 * 1024);
                let address = kept.as_ptr() as usize;
                let before = resident_bytes_around(address);
                let released = release_below_here();
                let after = resident_bytes_around(address);
                // The frames above are intact.
                assert!(kept.iter().enumerate().all(|(i, &b)| b == i as u8));
                (before, released, after)
            })
            .unwrap()
            .join()
            .unwrap();
        let (before, released, after) = measured;
        assert!(released >= 40 * 1024, "{measured:?}");
        assert!(before - after >= 40 * 1024, "{measured:?}");
    }
}
