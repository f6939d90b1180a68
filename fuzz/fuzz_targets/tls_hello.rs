//! TLS ClientHellos as the trace reads them, from arbitrary bytes: never a
//! panic, nothing read that the bytes do not hold, and records after a
//! whole hello change nothing.
#![no_main]

use glasshttp::protocol::tls_hello::parse_client_hello;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(hello) = parse_client_hello(data) else {
        return;
    };
    // Whatever was read came from the bytes: counts are bounded by them.
    assert!(hello.cipher_suites.len() * 2 <= data.len());
    assert!(hello.versions.len() * 2 <= data.len());
    assert!(hello.key_share_groups.len() * 4 <= data.len());
    if let Some(name) = &hello.server_name {
        assert!(name.len() <= data.len() * 3);
    }
    // Bytes after a whole hello change nothing.
    let mut longer = data.to_vec();
    longer.extend_from_slice(b"\x17\x03\x03\x00\x01x");
    assert_eq!(parse_client_hello(&longer), Some(hello));
});
