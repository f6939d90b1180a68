//! The console window a program runs in, where it matters: a program
//! started by a double-click in Explorer gets a console window of its own,
//! which closes the moment the program exits, taking its last words with it.

/// Keeps a console window that belongs to this process alone open until
/// Enter is pressed, so that an error printed just before exiting can be
/// read. Does nothing in a terminal, with no console, or on other systems.
pub fn hold_own_console_open() {
    if owns_its_console() {
        eprintln!("Press Enter to close this window.");
        let _ = std::io::stdin().read_line(&mut String::new());
    }
}

/// Whether this process is the only one attached to its console: true for
/// a program started from Explorer (the window is its own), false in a
/// terminal (the shell is attached too) or with no console at all.
#[cfg(windows)]
#[allow(unsafe_code)]
fn owns_its_console() -> bool {
    use windows_sys::Win32::System::Console::GetConsoleProcessList;
    let mut ids = [0u32; 2];
    // SAFETY: the call needs a buffer for process ids (no safe wrapper in
    // std or the crates here). It writes at most `ids.len()` u32s into
    // `ids`, which is valid and writable for that many for the whole call,
    // and keeps no pointer to it; it returns how many processes share the
    // console, or 0 when there is none.
    let attached = unsafe { GetConsoleProcessList(ids.as_mut_ptr(), ids.len() as u32) };
    attached == 1
}

#[cfg(not(windows))]
fn owns_its_console() -> bool {
    false
}
