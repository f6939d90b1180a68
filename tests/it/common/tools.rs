//! External programs the tests drive or run the binary under: whether one
//! is installed, `prlimit`, and `setpriv` to run as user nobody.

use std::process::Command;

#[cfg(unix)]
use super::fixtures::Site;

/// The binary run under `prlimit` with `limits` (say `--nofile=16:16`).
pub fn under_prlimit(limits: &str) -> Command {
    let mut command = Command::new("prlimit");
    command.args([limits, env!("CARGO_BIN_EXE_glasshttp")]);
    command
}

/// The binary run as user nobody through `setpriv` (root is bound neither by
/// file modes nor by RLIMIT_NPROC), with `wrapper` (say `prlimit
/// --nproc=12`) between; the site's directories are made readable to it.
#[cfg(unix)]
pub fn as_nobody(site: &Site, wrapper: &[&str]) -> Command {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    for dir in [site.outside.path(), site.root.as_path()] {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut command = Command::new("setpriv");
    command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
    command.args(wrapper);
    command.arg(env!("CARGO_BIN_EXE_glasshttp"));
    command
}

/// Whether an external program is installed.
pub fn has_program(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// An external client the tests need: present, or the test says why it
/// cannot run. Under CI (`CI` set) a missing program is a failure.
pub fn require_program(name: &str) -> bool {
    if has_program(name) {
        return true;
    }
    if every_tool_required() {
        panic!("{name} is required under CI; .ci/run installs it");
    }
    say_skipped(&format!(
        "{name} is not installed ({}; docs/TESTS.md lists what each tool enables)",
        how_to_install(name)
    ));
    false
}

/// Whether a missing tool fails the test rather than skipping it: under
/// CI (`CI` set, and not to `false` or `0`), where every tool is installed.
pub fn every_tool_required() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "false" | "0"))
}

/// How to install a program the tests use, on Debian or Ubuntu.
pub fn how_to_install(name: &str) -> String {
    let package = match name {
        "capinfos" => "wireshark-common",
        "setpriv" => "util-linux",
        "nc" => "netcat-openbsd",
        "node" => "nodejs",
        other => other,
    };
    format!("apt-get install {package}")
}

/// Says that the running test did not do what it is for, and why, where a
/// person sees it: on the process's own standard error, which the test
/// harness does not capture (it captures `print!` and `eprint!` only), so
/// that a skip cannot hide behind the test's "ok".
pub fn say_skipped(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {why}");
}

/// What `command` printed on stdout, once it has succeeded (its stderr
/// in the failure when it has not).
pub fn stdout_of(mut command: Command) -> String {
    let output = command.output().expect("run the program");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
