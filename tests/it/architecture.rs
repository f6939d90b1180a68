//! The layering rule of `src/lib.rs`, checked from the source: which part
//! may use which, no import cycles between modules, and no function longer
//! than 60 lines outside tests. Read from the `use` lines and `crate::` /
//! `super::` paths, so a new arrow against the rule fails here first.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Longest function allowed outside tests, in lines, braces included.
const MAX_FUNCTION_LINES: usize = 60;

/// Which part may use which (the table in `src/lib.rs`).
const ALLOWED: &[(&str, &[&str])] = &[
    ("server", &["protocol", "files", "observe", "sys"]),
    ("observe", &["protocol", "files", "sys"]),
    ("files", &["protocol", "sys"]),
    ("protocol", &[]),
    ("sys", &[]),
];

/// A module of the crate, by its path below `src/` (`["files", "serve"]`).
type Module = Vec<String>;

struct Source {
    module: Module,
    path: PathBuf,
    /// The text without its test module and without comments or literals.
    code: String,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).unwrap().with_extension("");
            let mut module: Module = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|last| last == "mod") {
                module.pop();
            }
            if module == ["lib"] || module == ["main"] {
                return None;
            }
            let text = fs::read_to_string(&path).unwrap();
            Some(Source {
                module,
                path,
                code: strip(without_tests(&text)),
            })
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The text before the `#[cfg(test)] mod tests` block, which closes a file.
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(start) => &text[..start],
        None => text,
    }
}

/// Comments removed, and string and character literals emptied, so that
/// neither a brace nor a path inside them counts. Lines are kept.
fn strip(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if let Some(len) = raw_string_len(rest) {
            out.extend(rest[..len].chars().filter(|&c| c == '\n'));
            out.push_str("\"\"");
            i += len;
        } else if bytes[i] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                if bytes[j] == b'\n' {
                    out.push('\n');
                }
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = j + 1;
        } else if let Some(len) = char_literal_len(rest) {
            out.push_str("' '");
            i += len;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of a raw string literal (`r"…"`, `r#"…"#`) at the start.
fn raw_string_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix('r')?;
    let hashes = body.len() - body.trim_start_matches('#').len();
    let body = body[hashes..].strip_prefix('"')?;
    let closing = format!("\"{}", "#".repeat(hashes));
    let end = body.find(&closing)?;
    Some(1 + hashes + 1 + end + closing.len())
}

/// The length of a character literal (`'{'`, `'\n'`) at the start; a
/// lifetime is not one.
fn char_literal_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix('\'')?;
    let mut chars = body.char_indices();
    let (_, first) = chars.next()?;
    if first == '\\' {
        // An escape runs to the next quote: `'\n'`, `'\u{7b}'`.
        let closing = 1 + body[1..].find('\'')?;
        return Some(closing + 2);
    }
    let closing = first.len_utf8();
    body[closing..].starts_with('\'').then_some(closing + 2)
}

/// The modules `source` refers to by `crate::` or `super::` paths.
fn references(source: &Source, modules: &BTreeSet<Module>) -> BTreeSet<Module> {
    let mut found = BTreeSet::new();
    let code = &source.code;
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent(&source.module))] {
        let mut from = 0;
        while let Some(at) = code[from..].find(prefix) {
            let start = from + at;
            from = start + prefix.len();
            let before = code[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            for path in expand(&code[from..]) {
                let mut full = base.clone();
                full.extend(path);
                if let Some(module) = longest_module(&full, modules) {
                    if module != source.module && !module.is_empty() {
                        found.insert(module);
                    }
                }
            }
        }
    }
    found
}

/// The module paths a path starting here names: `a::b::C` is one,
/// `a::{b, c::D}` is two.
fn expand(text: &str) -> Vec<Vec<String>> {
    let mut path = Vec::new();
    let mut rest = text;
    loop {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            break;
        }
        rest = &rest[ident.len()..];
        path.push(ident);
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => return vec![path],
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            return group[..end]
                .split(',')
                .map(|item| {
                    let mut full = path.clone();
                    let item = item.trim();
                    if item != "self" {
                        full.extend(item.split("::").map(|s| s.trim().to_string()));
                    }
                    full
                })
                .collect();
        }
    }
    vec![path]
}

fn parent(module: &Module) -> Module {
    module[..module.len().saturating_sub(1)].to_vec()
}

fn longest_module(path: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|candidate| modules.contains(candidate))
}

fn graph() -> (Vec<Source>, BTreeMap<Module, BTreeSet<Module>>) {
    let sources = sources();
    let modules: BTreeSet<Module> = sources.iter().map(|s| s.module.clone()).collect();
    let edges = sources
        .iter()
        .map(|source| (source.module.clone(), references(source, &modules)))
        .collect();
    (sources, edges)
}

#[test]
fn parts_use_only_the_parts_the_crate_map_allows() {
    let (_, edges) = graph();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (from, targets) in &edges {
        let part = from[0].as_str();
        let may = allowed
            .get(part)
            .unwrap_or_else(|| panic!("part {part} is not in the crate map"));
        for to in targets {
            if to[0] != part && !may.contains(&to[0].as_str()) {
                wrong.push(format!("{} -> {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "arrows against src/lib.rs: {wrong:#?}");
    // The check must see the arrows that exist, or it proves nothing.
    let server = edges.get(&vec!["server".to_string(), "connection".to_string()]);
    assert!(
        server.is_some_and(|targets| targets.iter().any(|t| t[0] == "files")),
        "the reader missed server::connection -> files: {edges:#?}"
    );
}

/// The core of serving: what answers "which bytes, and what do the
/// preconditions and the range say", knowing no flag.
const CORE: &[&str] = &[
    "serve",
    "conditional",
    "range",
    "target",
    "root",
    "cache",
    "listing",
    "negotiate",
    "decision",
];
/// The features, each a layer around the core (`files/site.rs`).
const FEATURES: &[&str] = &["site", "guard", "upload", "watch"];

#[test]
fn the_core_uses_no_feature_module() {
    let (_, edges) = graph();
    let in_files = |module: &Module, names: &[&str]| {
        module.len() == 2 && module[0] == "files" && names.contains(&module[1].as_str())
    };
    let mut wrong = Vec::new();
    let mut core_edges = 0;
    for (from, targets) in &edges {
        if !in_files(from, CORE) {
            continue;
        }
        for to in targets {
            core_edges += 1;
            if in_files(to, FEATURES) {
                wrong.push(format!("{} -> {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the core reaches into a feature: {wrong:#?}"
    );
    assert!(
        core_edges > 10,
        "the reader saw only {core_edges} arrows from the core"
    );
    // And the site does use the core: the check sees real arrows.
    let site = edges.get(&vec!["files".to_string(), "site".to_string()]);
    assert!(
        site.is_some_and(|targets| targets.iter().any(|t| in_files(t, &["serve"]))),
        "the reader missed files::site -> files::serve: {edges:#?}"
    );
}

/// A cycle in `edges`, as the modules along it, if there is one.
fn find_cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<String>> {
    // Depth-first; a module met again on the current path closes a cycle.
    fn visit(
        module: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        path: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle: Vec<String> = path[at..].iter().map(|m| m.join("::")).collect();
            cycle.push(module.join("::"));
            return Some(cycle);
        }
        if !done.insert(module.clone()) {
            return None;
        }
        path.push(module.clone());
        for next in edges.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|module| visit(module, edges, &mut Vec::new(), &mut done))
}

#[test]
fn modules_import_each_other_in_no_cycle() {
    let (_, edges) = graph();
    if let Some(cycle) = find_cycle(&edges) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn no_function_outside_tests_is_longer_than_60_lines() {
    let (mut sources, _) = graph();
    // main.rs is outside the map of parts, but under the same rule.
    let main = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs");
    sources.push(Source {
        module: vec!["main".to_string()],
        code: strip(without_tests(&fs::read_to_string(&main).unwrap())),
        path: main,
    });
    let mut long = Vec::new();
    let mut functions = 0;
    for source in &sources {
        for (name, line, length) in functions_in(&source.code) {
            functions += 1;
            if length > MAX_FUNCTION_LINES {
                long.push(format!(
                    "{}:{line} {name}: {length} lines",
                    source.path.display()
                ));
            }
        }
    }
    assert!(functions > 100, "found only {functions} functions");
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines: {long:#?}"
    );
}

/// Each function's name, first line and length in lines, found by its
/// `fn` keyword and the braces of its body.
fn functions_in(code: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(at) = line.find("fn ") else { continue };
        let before = line[..at].trim();
        let is_item = before.split_whitespace().all(|word| {
            matches!(
                word,
                "pub" | "pub(crate)" | "pub(super)" | "const" | "unsafe"
            )
        });
        if !is_item {
            continue;
        }
        let name: String = line[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if let Some(end) = body_end(&lines, index) {
            found.push((name, index + 1, end - index + 1));
        }
    }
    found
}

/// The line where the body that opens at or after `start` closes; `None`
/// for a declaration without a body (a trait method ending in `;`).
fn body_end(lines: &[&str], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut opened = false;
    for (index, line) in lines.iter().enumerate().skip(start) {
        for c in line.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => {
                    depth = depth.saturating_sub(1);
                    if opened && depth == 0 {
                        return Some(index);
                    }
                }
                ';' if !opened => return None,
                _ => {}
            }
        }
    }
    None
}

#[test]
fn the_source_reader_sees_through_comments_literals_and_groups() {
    let cases: &[(&str, &str)] = &[
        ("a // crate::x\nb", "a \nb"),
        ("f(\"{ crate::x\")", "f(\"\")"),
        ("r#\"}\"# x", "\"\" x"),
        ("'{' 'a: x", "' ' 'a: x"),
        ("'\\n'", "' '"),
    ];
    for (text, expected) in cases {
        assert_eq!(strip(text), *expected, "{text:?}");
    }
    let paths = expand("files::{self, root::Root, Decision};");
    assert_eq!(
        paths,
        vec![
            vec!["files".to_string()],
            vec!["files".into(), "root".into(), "Root".into()],
            vec!["files".into(), "Decision".into()],
        ]
    );
    let module = |name: &str| vec![name.to_string()];
    let edges: BTreeMap<Module, BTreeSet<Module>> = [
        (module("a"), BTreeSet::from([module("b")])),
        (module("b"), BTreeSet::from([module("c")])),
        (module("c"), BTreeSet::from([module("a")])),
    ]
    .into();
    assert_eq!(find_cycle(&edges).unwrap(), ["a", "b", "c", "a"]);
    let mut acyclic = edges.clone();
    acyclic.remove(&module("c"));
    assert_eq!(find_cycle(&acyclic), None);
    let code = "fn short() {\n    x\n}\nfn long() {\n{\n}\n}\n";
    assert_eq!(
        functions_in(code),
        vec![("short".to_string(), 1, 3), ("long".to_string(), 4, 4)]
    );
}

/// Every module is on both maps: a row of its parent's module table (the
/// `//!` doc of `mod.rs` or `lib.rs`, naming it `` `name` `` or
/// `` [`name`] ``), and `docs/ARCHITECTURE.md` (as `name.rs`, or `part/`
/// for a part).
#[test]
fn every_module_is_named_in_its_parents_table_and_in_the_architecture() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let architecture =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md"))
            .unwrap();
    let mut missing = Vec::new();
    let mut parts = vec![(src.join("lib.rs"), String::new())];
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let part = path.file_name().unwrap().to_string_lossy().into_owned();
            parts.push((path.join("mod.rs"), part));
        }
    }
    for (parent, part) in &parts {
        let text = fs::read_to_string(parent).unwrap();
        let table: String = text
            .lines()
            .filter(|line| line.starts_with("//! |"))
            .collect::<Vec<_>>()
            .join("\n");
        for line in text.lines() {
            let declared = line
                .trim_start_matches("pub ")
                .strip_prefix("mod ")
                .and_then(|rest| rest.strip_suffix(';'));
            let Some(module) = declared else { continue };
            let in_table = table.contains(&format!("| `{module}`"))
                || table.contains(&format!("| [`{module}`]"));
            let on_map = match part.as_str() {
                "" => architecture.contains(&format!("`{module}/`")),
                _ => architecture.contains(&format!("{module}.rs")),
            };
            let place = format!("{part}/{module}");
            if !in_table {
                missing.push(format!("{place}: not in {}'s table", parent.display()));
            }
            if !on_map {
                missing.push(format!("{place}: not in docs/ARCHITECTURE.md"));
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}
