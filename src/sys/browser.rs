//! Starting the default browser at a URL (`--open`): `$BROWSER` when set,
//! else the system's own opener (`xdg-open`, `open`, the URL handler of
//! Windows' shell).
//!
//! The browser is started detached from the server's streams: its stdin,
//! stdout and stderr are null. A pipe that nobody reads, or one closed at
//! once, kills a launcher with SIGPIPE at its first warning (Debian's
//! `chromium` script writes one before it starts the browser), and an
//! inherited stderr would mix a browser's chatter into the access log.

use std::io;
use std::process::{Command, ExitStatus, Stdio};

/// Starts the browser at `url` and waits for its command to end: a
/// launcher that hands the URL over ends at once, a browser run directly
/// when it closes. Errors say which command could not start, or which one
/// ended in failure.
pub fn open_browser(url: &str) -> io::Result<()> {
    let commands = match std::env::var("BROWSER") {
        Ok(listed) if !listed.trim().is_empty() => browser_commands(&listed, url),
        _ => vec![system_opener(url)],
    };
    let mut failures = Vec::new();
    for (program, args) in commands {
        let started = Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match started.and_then(|mut child| child.wait()) {
            Ok(status) if status.success() => return Ok(()),
            Ok(status) => failures.push(format!("{program} {}", ended(status))),
            Err(error) => failures.push(format!("{program}: {error}")),
        }
    }
    Err(io::Error::other(failures.join("; ")))
}

fn ended(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("ended: {status}"),
    }
}

/// The commands a `$BROWSER` value names, tried in order: entries parted
/// as `PATH` is, each a program and its arguments parted by spaces, with
/// `%s` replaced by the URL, or the URL added last when there is none (the
/// convention Python's `webbrowser` and `xdg-open` follow).
fn browser_commands(listed: &str, url: &str) -> Vec<(String, Vec<String>)> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    listed
        .split(separator)
        .filter_map(|entry| {
            let mut words = entry.split_whitespace().map(str::to_string);
            let program = words.next()?;
            let mut args: Vec<String> = words.collect();
            if args.iter().any(|arg| arg.contains("%s")) {
                for arg in &mut args {
                    *arg = arg.replace("%s", url);
                }
            } else {
                args.push(url.to_string());
            }
            Some((program, args))
        })
        .collect()
}

/// The system's own way to open a URL in the user's default browser.
fn system_opener(url: &str) -> (String, Vec<String>) {
    let (program, first): (&str, &[&str]) = if cfg!(windows) {
        // The shell's URL handler, without a console window or `start`'s
        // quoting rules.
        ("rundll32", &["url.dll,FileProtocolHandler"])
    } else if cfg!(target_os = "macos") {
        ("open", &[])
    } else {
        ("xdg-open", &[])
    };
    let mut args: Vec<String> = first.iter().map(|arg| arg.to_string()).collect();
    args.push(url.to_string());
    (program.to_string(), args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_values_table() {
        let url = "http://127.0.0.1:8080/";
        let sep = if cfg!(windows) { ";" } else { ":" };
        type Commands<'a> = Vec<(&'a str, Vec<&'a str>)>;
        let cases: Vec<(String, Commands)> = vec![
            ("firefox".into(), vec![("firefox", vec![url])]),
            (
                "chromium --incognito".into(),
                vec![("chromium", vec!["--incognito", url])],
            ),
            (
                "w3m -o x=%s".into(),
                vec![("w3m", vec!["-o", "x=http://127.0.0.1:8080/"])],
            ),
            (
                format!("nothere{sep}firefox"),
                vec![("nothere", vec![url]), ("firefox", vec![url])],
            ),
            (format!("{sep} {sep}lynx"), vec![("lynx", vec![url])]),
        ];
        for (listed, expected) in cases {
            let commands = browser_commands(&listed, url);
            let expected: Vec<(String, Vec<String>)> = expected
                .into_iter()
                .map(|(p, a)| (p.to_string(), a.into_iter().map(String::from).collect()))
                .collect();
            assert_eq!(commands, expected, "{listed:?}");
        }
    }
}
