//! The path every received byte takes: request heads (pipelined, one after
//! another), body framing, chunked decoding, and target resolution.
#![no_main]

use glasshttp::files::target::parse_target;
use glasshttp::protocol::body::{framing, Framing, MAX_BODY_BYTES};
use glasshttp::protocol::chunked::ChunkedDecoder;
use glasshttp::protocol::request::parse_head;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    // At most a few pipelined requests per input keeps each run short.
    for _ in 0..8 {
        let Ok(Some((request, head_len))) = parse_head(rest) else {
            return;
        };
        assert!(head_len > 0 && head_len <= rest.len());
        assert_eq!(request.raw(), &rest[..head_len]);
        rest = &rest[head_len..];

        if let Ok(path) = parse_target(request.target()) {
            for segment in path.segments() {
                assert!(!segment.is_empty());
                assert!(
                    !segment.starts_with(b"."),
                    "dot segment or dotfile survived"
                );
                assert!(
                    !segment.contains(&b'/') && !segment.contains(&0) && !segment.contains(&b'\\')
                );
            }
            assert!(!path.to_url_path().starts_with("//"));
        }

        match framing(&request) {
            Err(_) | Ok(Framing::None) => {}
            Ok(Framing::Length(n)) => {
                let n = (n as usize).min(rest.len());
                rest = &rest[n..];
            }
            Ok(Framing::Chunked) => {
                // Whole and split in two must agree: framing cannot depend
                // on how the bytes arrived.
                let mut whole = ChunkedDecoder::with_limit(MAX_BODY_BYTES);
                let whole_result = whole.consume(rest);
                let cut = rest.len() / 2;
                let mut split = ChunkedDecoder::with_limit(MAX_BODY_BYTES);
                let split_result = split.consume(&rest[..cut]).and_then(|first| {
                    if split.is_done() {
                        Ok(first)
                    } else {
                        split.consume(&rest[cut..]).map(|second| first + second)
                    }
                });
                assert_eq!(whole_result, split_result);
                assert_eq!(whole.is_done(), split.is_done());
                match whole_result {
                    Ok(used) if whole.is_done() => rest = &rest[used..],
                    _ => return,
                }
            }
        }
    }
});
