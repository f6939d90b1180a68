//! `--auth`: any `Authorization` value read against the credentials, and
//! any head shown by the trace. Credentials given are granted exactly when
//! they are the right ones, and nothing of a value but a known scheme is
//! ever shown.
#![no_main]

use base64::Engine;
use glasshttp::observe::explain::hide_credentials;
use glasshttp::protocol::auth::{verify, Credentials, Verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let credentials = Credentials::parse("alice:s3:cret").unwrap();
    // Any value at all: no panic, and only the right pair is granted.
    let verdict = verify(std::iter::once(data), &credentials);
    if verdict.is_granted() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("alice:s3:cret");
        let value = String::from_utf8_lossy(data);
        assert!(
            value.trim().to_ascii_lowercase().starts_with("basic")
                && value.contains(encoded.trim_end_matches('=')),
            "{value:?} granted"
        );
    }

    // As credentials of their own: a pair given back is granted to its
    // user, and the same user with another password is refused.
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(own) = Credentials::parse(text) {
            let encoded = base64::engine::general_purpose::STANDARD.encode(text);
            let value = format!("Basic {encoded}");
            let granted = verify(std::iter::once(value.as_bytes()), &own);
            assert_eq!(
                granted,
                Verdict::Granted {
                    user: own.user().to_string()
                }
            );
            let other = base64::engine::general_purpose::STANDARD.encode(format!("{text}x"));
            let other = format!("Basic {other}");
            assert!(!verify(std::iter::once(other.as_bytes()), &own).is_granted());
        }
    }

    // Shown in a head: the value is replaced by a note of its length, and
    // at most a known scheme before it.
    if data.contains(&b'\n') || data.contains(&b'\r') {
        return;
    }
    let mut head = b"GET / HTTP/1.1\r\nAuthorization: ".to_vec();
    head.extend_from_slice(data);
    head.extend_from_slice(b"\r\n\r\n");
    let shown = hide_credentials(&head);
    let line = shown.split(|&b| b == b'\n').nth(1).unwrap();
    let note = b"bytes hidden here; the capture has them>";
    assert!(
        line.windows(note.len()).any(|w| w == note),
        "{:?}",
        String::from_utf8_lossy(line)
    );
    let shown_value = &line[b"Authorization: ".len()..];
    let before_note = &shown_value[..shown_value.iter().position(|&b| b == b'<').unwrap()];
    assert!(
        before_note.is_empty() || before_note.ends_with(b" "),
        "{:?}",
        String::from_utf8_lossy(line)
    );
    assert!(before_note.len() <= "SCRAM-SHA-256 ".len());
});
