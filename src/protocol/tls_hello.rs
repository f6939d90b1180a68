//! The TLS ClientHello as a learner reads it in Wireshark (RFC 8446 §4.1.2,
//! RFC 5246 §7.4.1.2): which versions the client offers, how many cipher
//! suites, the name it asks for (SNI, RFC 6066 §3), the application
//! protocols (ALPN, RFC 7301) and the groups it sent key shares for. Read
//! from the bytes as they arrived, before the TLS library takes them, for
//! the explanation only: the handshake itself is the library's.
//!
//! Pure: no I/O; a malformed or partial hello is `None`, never a panic.

/// What a ClientHello offers, as the trace explains it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// The client's random: the key log's lines name the session by it.
    pub random: [u8; 32],
    /// The versions offered: `supported_versions` (TLS 1.3 clients), else
    /// the hello's own version field.
    pub versions: Vec<u16>,
    /// The cipher suites offered, GREASE values left out (RFC 8701).
    pub cipher_suites: Vec<u16>,
    /// The host name asked for (SNI), when there is one.
    pub server_name: Option<String>,
    /// The application protocols offered (ALPN), in the client's order.
    pub alpn: Vec<String>,
    /// The groups the client sent a key share for (TLS 1.3).
    pub key_share_groups: Vec<u16>,
}

/// Record type of a handshake record (RFC 8446 §5.1).
const HANDSHAKE: u8 = 22;
/// Handshake type of a ClientHello.
const CLIENT_HELLO: u8 = 1;
/// The extensions read (RFC 8446 §4.2).
const SERVER_NAME: u16 = 0;
const ALPN: u16 = 16;
const SUPPORTED_VERSIONS: u16 = 43;
const KEY_SHARE: u16 = 51;
/// The most handshake bytes gathered for one hello: it fits in one record
/// (16 KiB) in practice, and a bound keeps a hostile one cheap.
const MAX_HELLO_BYTES: usize = 64 * 1024;

/// Whether `bytes`, the first a client sent, start a TLS handshake record
/// (`16 03`): what a browser sends to an `https://` address.
pub fn looks_like_tls(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == HANDSHAKE && bytes[1] == 3
}

/// Whether a hello has arrived whole in `records` (the bytes from the
/// first one on): `Some` once it has, parsed, or `None` while it is partial
/// or when it is not a well-formed ClientHello.
pub fn parse_client_hello(records: &[u8]) -> Option<ClientHello> {
    let handshake = gather_handshake(records)?;
    let (&kind, rest) = handshake.split_first()?;
    if kind != CLIENT_HELLO {
        return None;
    }
    let len = read_u24(rest)?;
    let mut body = Reader(rest.get(3..3 + len)?);
    let legacy_version = body.u16()?;
    let random: [u8; 32] = body.take(32)?.try_into().ok()?;
    body.vector8()?; // legacy_session_id
    let mut suites = Reader(body.vector16()?);
    let mut cipher_suites = Vec::new();
    while let Some(suite) = suites.u16() {
        if !is_grease(suite) {
            cipher_suites.push(suite);
        }
    }
    body.vector8()?; // legacy_compression_methods
    let mut hello = ClientHello {
        random,
        versions: vec![legacy_version],
        cipher_suites,
        ..ClientHello::default()
    };
    if let Some(extensions) = body.vector16() {
        read_extensions(Reader(extensions), &mut hello)?;
    }
    Some(hello)
}

/// The first handshake message's bytes, joined from the handshake records
/// it spans, once they are all there.
fn gather_handshake(mut records: &[u8]) -> Option<Vec<u8>> {
    let mut handshake = Vec::new();
    while handshake.len() < MAX_HELLO_BYTES {
        let header = records.get(..5)?;
        if header[0] != HANDSHAKE || header[1] != 3 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        handshake.extend_from_slice(records.get(5..5 + len)?);
        records = &records[5 + len..];
        if let Some(message_len) = handshake.get(1..4).and_then(read_u24) {
            if handshake.len() >= 4 + message_len {
                return Some(handshake);
            }
        }
    }
    None
}

fn read_extensions(mut extensions: Reader<'_>, hello: &mut ClientHello) -> Option<()> {
    while !extensions.0.is_empty() {
        let kind = extensions.u16()?;
        let mut data = Reader(extensions.vector16()?);
        match kind {
            SERVER_NAME => {
                let mut names = Reader(data.vector16()?);
                while !names.0.is_empty() {
                    let name_type = names.u8()?;
                    let name = names.vector16()?;
                    if name_type == 0 {
                        hello.server_name = Some(String::from_utf8_lossy(name).into_owned());
                    }
                }
            }
            ALPN => {
                let mut protocols = Reader(data.vector16()?);
                while !protocols.0.is_empty() {
                    let protocol = protocols.vector8()?;
                    hello
                        .alpn
                        .push(String::from_utf8_lossy(protocol).into_owned());
                }
            }
            SUPPORTED_VERSIONS => {
                let mut versions = Reader(data.vector8()?);
                hello.versions.clear();
                while let Some(version) = versions.u16() {
                    if !is_grease(version) {
                        hello.versions.push(version);
                    }
                }
            }
            KEY_SHARE => {
                let mut shares = Reader(data.vector16()?);
                while !shares.0.is_empty() {
                    let group = shares.u16()?;
                    shares.vector16()?;
                    if !is_grease(group) {
                        hello.key_share_groups.push(group);
                    }
                }
            }
            _ => {}
        }
    }
    Some(())
}

/// GREASE values (RFC 8701): `0x?A?A`, sent so that servers keep ignoring
/// what they do not know; never chosen, so never explained.
fn is_grease(value: u16) -> bool {
    value & 0x0f0f == 0x0a0a && value >> 8 == value & 0xff
}

fn read_u24(bytes: &[u8]) -> Option<usize> {
    let b = bytes.get(..3)?;
    Some(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
}

/// A cursor over TLS's length-prefixed vectors.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, &self.0[n..]);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }

    fn vector8(&mut self) -> Option<&'a [u8]> {
        let len = self.u8()?;
        self.take(usize::from(len))
    }

    fn vector16(&mut self) -> Option<&'a [u8]> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }
}

/// The highest TLS version offered (`--tls-max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMax {
    /// TLS 1.2 only: the handshake of the textbooks' traces, the
    /// Certificate, ServerHelloDone and ClientKeyExchange in clear.
    Tls12,
    /// TLS 1.3, and 1.2 for clients without it.
    #[default]
    Tls13,
}

impl TlsMax {
    /// `1.2` or `1.3`, as `--tls-max` takes it.
    pub fn parse(text: &str) -> Result<TlsMax, String> {
        match text {
            "1.2" => Ok(TlsMax::Tls12),
            "1.3" => Ok(TlsMax::Tls13),
            _ => Err("1.2 or 1.3".to_string()),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsMax::Tls12 => "TLS 1.2",
            TlsMax::Tls13 => "TLS 1.3",
        }
    }
}

/// A protocol version's name: `TLS 1.3`, or its number when unknown.
pub fn version_name(version: u16) -> String {
    match version {
        0x0304 => "TLS 1.3".into(),
        0x0303 => "TLS 1.2".into(),
        0x0302 => "TLS 1.1".into(),
        0x0301 => "TLS 1.0".into(),
        0x0300 => "SSL 3.0".into(),
        other => format!("0x{other:04x}"),
    }
}

/// A named group's name (IANA's TLS Supported Groups registry), or its number.
pub fn group_name(group: u16) -> String {
    match group {
        0x0017 => "secp256r1".into(),
        0x0018 => "secp384r1".into(),
        0x0019 => "secp521r1".into(),
        0x001d => "x25519".into(),
        0x001e => "x448".into(),
        0x0100 => "ffdhe2048".into(),
        0x11eb => "SecP256r1MLKEM768".into(),
        0x11ec => "X25519MLKEM768".into(),
        other => format!("0x{other:04x}"),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A ClientHello record as a client builds it: `versions` in
    /// supported_versions (none: the extension is left out), the suites,
    /// an SNI name, ALPN protocols and key shares for `groups`.
    pub fn hello_record(
        versions: &[u16],
        suites: &[u16],
        name: Option<&str>,
        alpn: &[&str],
        groups: &[u16],
    ) -> Vec<u8> {
        fn vec16(bytes: &[u8]) -> Vec<u8> {
            let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
            out.extend_from_slice(bytes);
            out
        }
        fn extension(kind: u16, data: &[u8]) -> Vec<u8> {
            let mut out = kind.to_be_bytes().to_vec();
            out.extend(vec16(data));
            out
        }
        let mut extensions = Vec::new();
        if let Some(name) = name {
            let mut entry = vec![0u8];
            entry.extend(vec16(name.as_bytes()));
            extensions.extend(extension(SERVER_NAME, &vec16(&entry)));
        }
        if !alpn.is_empty() {
            let mut list = Vec::new();
            for protocol in alpn {
                list.push(protocol.len() as u8);
                list.extend_from_slice(protocol.as_bytes());
            }
            extensions.extend(extension(ALPN, &vec16(&list)));
        }
        if !versions.is_empty() {
            let mut list = vec![(versions.len() * 2) as u8];
            for v in versions {
                list.extend_from_slice(&v.to_be_bytes());
            }
            extensions.extend(extension(SUPPORTED_VERSIONS, &list));
        }
        if !groups.is_empty() {
            let mut shares = Vec::new();
            for group in groups {
                shares.extend_from_slice(&group.to_be_bytes());
                shares.extend(vec16(&[7u8; 32]));
            }
            extensions.extend(extension(KEY_SHARE, &vec16(&shares)));
        }
        let mut body = vec![3, 3];
        body.extend_from_slice(&[0x42; 32]);
        body.push(0); // no session id
        let suite_bytes: Vec<u8> = suites.iter().flat_map(|s| s.to_be_bytes()).collect();
        body.extend(vec16(&suite_bytes));
        body.extend_from_slice(&[1, 0]); // null compression
        body.extend(vec16(&extensions));
        let mut handshake = vec![CLIENT_HELLO];
        handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        handshake.extend(body);
        let mut record = vec![HANDSHAKE, 3, 1];
        record.extend(vec16(&handshake));
        record
    }

    #[test]
    fn a_hello_is_read_as_a_learner_reads_it() {
        // supported_versions, suites, SNI, ALPN, key shares -> what is read
        type Case<'a> = (
            &'a [u16],
            &'a [u16],
            Option<&'a str>,
            &'a [&'a str],
            &'a [u16],
        );
        let cases: [Case; 4] = [
            (
                &[0x0a0a, 0x0304, 0x0303],
                &[0x2a2a, 0x1301, 0x1302, 0xc02b],
                Some("localhost"),
                &["h2", "http/1.1"],
                &[0x1a1a, 0x11ec, 0x001d],
            ),
            // A TLS 1.2 client: no supported_versions, no key shares.
            (&[], &[0xc02f, 0xc030], None, &[], &[]),
            (
                &[0x0304],
                &[0x1301],
                Some("127.0.0.1"),
                &["http/1.1"],
                &[0x0017],
            ),
            (&[0x0303], &[0x009c], Some("例子.test"), &[], &[]),
        ];
        for (versions, suites, name, alpn, groups) in cases {
            let record = hello_record(versions, suites, name, alpn, groups);
            let hello = parse_client_hello(&record).expect("a whole hello");
            let offered: Vec<u16> = if versions.is_empty() {
                vec![0x0303]
            } else {
                versions
                    .iter()
                    .copied()
                    .filter(|&v| !is_grease(v))
                    .collect()
            };
            assert_eq!(hello.versions, offered, "{versions:x?}");
            let suites: Vec<u16> = suites.iter().copied().filter(|&s| !is_grease(s)).collect();
            assert_eq!(hello.cipher_suites, suites);
            assert_eq!(hello.server_name.as_deref(), name);
            assert_eq!(hello.alpn, alpn);
            let groups: Vec<u16> = groups.iter().copied().filter(|&g| !is_grease(g)).collect();
            assert_eq!(hello.key_share_groups, groups);
            assert_eq!(hello.random, [0x42; 32]);
            // Every cut short of the end is "not yet", never a panic.
            for cut in 0..record.len() {
                assert_eq!(parse_client_hello(&record[..cut]), None, "cut at {cut}");
            }
        }
    }

    #[test]
    fn a_hello_split_across_records_is_joined() {
        let record = hello_record(&[0x0304], &[0x1301], Some("a.test"), &[], &[0x001d]);
        let handshake = &record[5..];
        let (first, second) = handshake.split_at(10);
        let mut split = Vec::new();
        for part in [first, second] {
            split.extend_from_slice(&[HANDSHAKE, 3, 3]);
            split.extend_from_slice(&(part.len() as u16).to_be_bytes());
            split.extend_from_slice(part);
        }
        let hello = parse_client_hello(&split).unwrap();
        assert_eq!(hello.server_name.as_deref(), Some("a.test"));
    }

    #[test]
    fn what_is_not_a_hello_is_none() {
        let cases: [&[u8]; 5] = [
            b"GET / HTTP/1.1\r\n\r\n",
            &[22, 3, 1, 0, 4, 2, 0, 0, 0], // a ServerHello
            &[23, 3, 3, 0, 1, 0],          // application data
            &[22, 3, 1, 0, 4, 1, 0, 0, 9], // a hello longer than its record says
            &[22, 3, 1, 0, 4, 1, 0, 0, 0], // an empty hello
        ];
        for bytes in cases {
            assert_eq!(parse_client_hello(bytes), None, "{bytes:?}");
        }
        assert!(looks_like_tls(&[22, 3, 1]));
        assert!(!looks_like_tls(b"GET /"));
        assert!(!looks_like_tls(&[22]));
    }

    #[test]
    fn names_table() {
        let cases = [
            (0x0304, "TLS 1.3"),
            (0x0303, "TLS 1.2"),
            (0x0301, "TLS 1.0"),
            (0x7f1c, "0x7f1c"),
        ];
        for (version, name) in cases {
            assert_eq!(version_name(version), name);
        }
        assert_eq!(group_name(0x001d), "x25519");
        assert_eq!(group_name(0x11ec), "X25519MLKEM768");
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && !is_grease(0x0a1a));
    }
}
