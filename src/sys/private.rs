//! Files only their owner may read: the local certificate authority's key
//! and the TLS key log. Where the user's own data lives differs per system;
//! so does how a file is kept from other users (mode 0600 on Unix; on
//! Windows a file created in the user's profile inherits its owner-only
//! permissions).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// The user's data folder for this program: `%APPDATA%\glasshttp` on
/// Windows, `~/Library/Application Support/glasshttp` on macOS, else
/// `$XDG_DATA_HOME/glasshttp` or `~/.local/share/glasshttp`. `None` when
/// the environment names no home at all.
pub fn data_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        var("APPDATA")?
    } else if cfg!(target_os = "macos") {
        var("HOME")?.join("Library").join("Application Support")
    } else {
        var("XDG_DATA_HOME").or_else(|| Some(var("HOME")?.join(".local").join("share")))?
    };
    Some(base.join("glasshttp"))
}

/// This machine's name, for the local CA's name: `COMPUTERNAME` on
/// Windows, else the host name the system keeps; "this computer" when
/// neither says.
pub fn machine_name() -> String {
    let named = std::env::var("COMPUTERNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .or_else(|| std::env::var("HOSTNAME").ok());
    named
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty() && name.len() <= 64)
        .unwrap_or_else(|| "this computer".to_string())
}

/// Creates `dir` and its parents, the last one readable by its owner only.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Opens `path` to write from its start (`append` false, and then only a
/// new file: an existing one is an error) or to append to, creating it
/// readable and writable by its owner only.
pub fn open_private(path: &Path, append: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    if append {
        options.append(true).create(true);
    } else {
        options.write(true).create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_file_is_the_owners_alone_and_never_replaced() {
        let dir = std::env::temp_dir().join(format!("glasshttp-private-{}", std::process::id()));
        create_private_dir(&dir).unwrap();
        let path = dir.join("key");
        let _ = std::fs::remove_file(&path);
        open_private(&path, false).unwrap();
        assert_eq!(
            open_private(&path, false).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        open_private(&path, true).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
