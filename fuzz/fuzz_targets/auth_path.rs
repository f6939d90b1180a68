//! Request targets and `--auth-path` values, read by the same code: any
//! path that is accepted is normalised (no dot segments, no dotfiles, no
//! separators in a name), reads back the same from its URL form, and a
//! prefix guards itself and what lies beneath it, in any case.
#![no_main]

use glasshttp::files::guard::Guard;
use glasshttp::files::target::parse_target;
use glasshttp::protocol::auth::Credentials;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = parse_target(text) {
        for segment in path.segments() {
            assert!(!segment.is_empty() && !segment.starts_with(b"."));
            assert!(!segment.contains(&b'/') && !segment.contains(&0) && !segment.contains(&b'\\'));
        }
        let url = path.to_url_path();
        assert!(!url.starts_with("//"), "{url}");
        let again = parse_target(&url).expect("a path's own URL is a target");
        assert!(again.same_segments(&path), "{text:?} -> {url}");
    }
    let Ok(prefix) = Guard::parse_prefix(text) else {
        return;
    };
    let guard = Guard::new(Credentials::parse("a:b").unwrap(), &[prefix.clone()]);
    let url = prefix.to_url_path();
    let itself = parse_target(&url).expect("a prefix's URL is a target");
    assert!(guard.covers(&itself), "{text:?} does not cover {url}");
    let beneath = parse_target(&format!("{}/child.txt", url.trim_end_matches('/'))).unwrap();
    assert!(
        guard.covers(&beneath),
        "{text:?} does not cover what lies beneath"
    );
    let upper = parse_target(&url.to_uppercase());
    if let Ok(upper) = upper {
        if upper.segments().count() == itself.segments().count() && url.is_ascii() {
            assert!(guard.covers(&upper), "{text:?}: case");
        }
    }
});
