//! The multipart reader of `--sink`, fed an arbitrary body in arbitrary
//! pieces: whatever the cut, it reads the same parts as when fed whole,
//! holds at most one part head between pieces, and keeps names short.
#![no_main]

use glasshttp::protocol::form::{FormReader, MAX_NAME_CHARS, MAX_PART_HEAD_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the boundary's length (1 to 8 of the bytes that
    // follow, made boundary characters); the next ones, the piece sizes.
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let boundary_len = usize::from(choice % 8) + 1;
    if rest.len() < boundary_len + 4 {
        return;
    }
    let (boundary, rest) = rest.split_at(boundary_len);
    let boundary: Vec<u8> = boundary.iter().map(|b| b'a' + b % 26).collect();
    let (cuts, body) = rest.split_at(4);

    let mut whole = FormReader::new(&boundary);
    whole.feed(body);
    let whole = whole.finish();

    let mut pieces = FormReader::new(&boundary);
    let mut at = 0;
    let mut cut = cuts.iter().cycle();
    while at < body.len() {
        let size = usize::from(*cut.next().unwrap()).max(1);
        let end = (at + size).min(body.len());
        pieces.feed(&body[at..end]);
        assert!(
            pieces.held_bytes() <= MAX_PART_HEAD_BYTES,
            "{}",
            pieces.held_bytes()
        );
        at = end;
    }
    let pieces = pieces.finish();
    assert_eq!(whole, pieces, "the pieces changed what was read");
    for part in &whole.parts {
        for name in [&part.name, &part.filename].into_iter().flatten() {
            assert!(name.chars().count() <= MAX_NAME_CHARS + 1, "{name}");
        }
        assert!(part.size <= body.len() as u64);
    }
});
