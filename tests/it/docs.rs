//! The README and `docs/` point only at what exists: every relative link
//! names a file of the repository, and every `#anchor` a heading of the
//! file it names (as GitHub makes anchors of headings).

use std::path::{Path, PathBuf};

/// The Markdown files to check: the README and everything in `docs/`.
fn markdown_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files
}

/// The targets of `[text](target)` links and `![alt](target)` images,
/// outside code blocks.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    targets
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped,
/// spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c.to_lowercase().next().unwrap_or(c)),
            _ => None,
        })
        .collect()
}

fn anchors(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            found.push(slug(line.trim_start_matches('#')));
        }
    }
    found
}

#[test]
fn slugs_are_githubs() {
    let cases = [
        (
            "The lab, and seeing every byte",
            "the-lab-and-seeing-every-byte",
        ),
        (
            "W5. Reloads: F5 gives 304s, Ctrl+F5 gives 200s",
            "w5-reloads-f5-gives-304s-ctrlf5-gives-200s",
        ),
        (
            "在 Windows 11 上，用 Edge 和 Wireshark",
            "在-windows-11-上用-edge-和-wireshark",
        ),
        ("2. The page: `200 OK`", "2-the-page-200-ok"),
    ];
    for (heading, expected) in cases {
        assert_eq!(slug(heading), expected, "{heading}");
    }
}

#[test]
fn every_link_in_the_readme_and_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        for target in link_targets(&text) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let named = if path.is_empty() {
                file.clone()
            } else {
                dir.join(path)
            };
            if !named.exists() {
                broken.push(format!("{}: {target} (no such file)", file.display()));
                continue;
            }
            if let Some(anchor) = anchor {
                let text = std::fs::read_to_string(&named).unwrap_or_default();
                if !anchors(&text).iter().any(|a| a == anchor) {
                    broken.push(format!("{}: {target} (no such heading)", file.display()));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found: the parser lost them"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_a_front_door() {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let size = std::fs::metadata(readme).unwrap().len();
    assert!(
        size <= 16 * 1024,
        "README.md is {size} bytes; the reference belongs in docs/"
    );
}
