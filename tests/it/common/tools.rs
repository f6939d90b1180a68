//! External programs the tests drive or run the binary under: whether one
//! is installed, `prlimit`, and `setpriv` to run as user nobody.

use std::fs;
use std::process::Command;

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
pub fn as_nobody(site: &Site, wrapper: &[&str]) -> Command {
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
    if std::env::var_os("CI").is_some() {
        panic!("{name} is required under CI; .ci/run installs it");
    }
    eprintln!("skipped: {name} is not installed (apt-get install {name})");
    false
}
