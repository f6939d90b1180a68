//! Fixtures: the repository's site, and a temporary site of a few files
//! with room around it for files outside the root.

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// The repository's own site.
pub fn www() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www")
}

/// A temporary root holding a small site, and the directory around it so
/// that tests can place files outside the root.
pub struct Site {
    pub outside: TempDir,
    pub root: PathBuf,
}

impl Site {
    pub fn new() -> Site {
        let outside = tempfile::tempdir().expect("temp dir");
        let root = outside.path().join("root");
        fs::create_dir(&root).unwrap();
        fs::write(root.join("index.html"), "<h1>home</h1>\n").unwrap();
        fs::write(root.join("hello.txt"), "hello, world\n").unwrap();
        fs::write(root.join("data.json"), "{\"a\": 1}\n").unwrap();
        fs::write(root.join("style.css"), "h1 { color: red }\n").unwrap();
        fs::write(root.join("blob.bin"), [0u8, 1, 2, 3, 255]).unwrap();
        fs::write(root.join(".secret"), "dotfile\n").unwrap();
        fs::create_dir(root.join("docs")).unwrap();
        fs::write(root.join("docs/index.html"), "<h1>docs</h1>\n").unwrap();
        fs::create_dir(root.join("empty-dir")).unwrap();
        fs::create_dir(root.join("%2e%2e")).unwrap();
        fs::write(root.join("%2e%2e/literal.txt"), "literal\n").unwrap();
        fs::write(outside.path().join("secret.txt"), "outside the root\n").unwrap();
        Site { outside, root }
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        fs::write(self.root.join(name), contents).unwrap();
    }
}

/// A symbolic link at `link` to `original`, on any system (on Windows, as a
/// file or a directory link by what `original` is; that needs the right to
/// make links, which CI's runners have).
pub fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> std::io::Result<()> {
    #[cfg(unix)]
    return std::os::unix::fs::symlink(original, link);
    #[cfg(windows)]
    return match original.as_ref().is_dir() {
        true => std::os::windows::fs::symlink_dir(original, link),
        false => std::os::windows::fs::symlink_file(original, link),
    };
}
