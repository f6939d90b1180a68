//! HTTPS: TLS 1.2 and 1.3 under the same HTTP, by rustls, with graviola's
//! cryptography (pure Rust: no C compiler needed on any system).
//!
//! The TLS library owns the records, the handshake and the keys; this
//! module moves bytes between it and the socket, and reports what the
//! observers explain: every byte exactly as it went on the wire (so the
//! capture holds TLS records, and the key log's secrets before the first
//! encrypted one), the ClientHello as the client sent it, the version and
//! suite agreed, the certificate chain, how long the handshake took, and
//! who sent `close_notify`. The HTTP above is the same code as over TCP.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::crypto::CryptoProvider;
use rustls::{HandshakeKind, KeyLog, ServerConfig, ServerConnection};

use crate::observe::seam::reborrow;
use crate::observe::seam::{Agreed, Secured};
use crate::observe::{ConnectionObserver, Tap};
use crate::protocol::tls_hello::{self, ClientHello, TlsMax};
use crate::server::certificate::Identity;
use crate::sys::{self, ignoring_poison};

/// The most received bytes kept to read the ClientHello from.
const MAX_HELLO_BYTES: usize = 64 * 1024;
/// Bytes asked of the socket per read: one whole TLS record and its header.
const RECORD_BYTES: usize = 16 * 1024 + 256;

/// Whether the TLS library's cryptography runs on this processor: graviola
/// needs AVX2, ADX and BMI2 on x86-64 (any 64-bit ARM will do), and would
/// stop the program on one without them. Asked before `--tls` is accepted.
pub fn provider_runs_here() -> bool {
    graviola::util::is_cpu_supported()
}

/// What every TLS connection of the server shares.
pub struct TlsSettings {
    config: Arc<ServerConfig>,
    secrets: Arc<Secrets>,
    /// The chain sent, one line per certificate: its subject, and who
    /// issued it.
    chain: Arc<[String]>,
    /// The highest version offered to clients.
    max: TlsMax,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("chain", &self.chain)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl TlsSettings {
    /// The configuration for `identity`: TLS 1.2 up to `max`, ALPN
    /// `http/1.1` only, the session secrets written to `keylog` (appended,
    /// owner-only) and kept for the capture when `capturing`.
    pub fn new(
        identity: Identity,
        max: TlsMax,
        keylog: Option<&Path>,
        capturing: bool,
    ) -> Result<TlsSettings, String> {
        let chain = identity
            .chain
            .iter()
            .map(|der| describe_certificate(der))
            .collect();
        let versions: &[&rustls::SupportedProtocolVersion] = match max {
            TlsMax::Tls12 => &[&rustls::version::TLS12],
            TlsMax::Tls13 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        };
        let provider: Arc<CryptoProvider> = Arc::new(rustls_graviola::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .map_err(|error| format!("TLS: {error}"))?
            .with_no_client_auth()
            .with_single_cert(identity.chain, identity.key)
            .map_err(|error| match error {
                rustls::Error::InconsistentKeys(_) => {
                    "the key does not belong to the certificate (--tls-key is for another --tls-cert)"
                        .to_string()
                }
                other => format!("the certificate or key cannot be used: {other}"),
            })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let file = match keylog {
            Some(path) => Some(Mutex::new(sys::open_private(path, true).map_err(
                |error| format!("cannot write the key log {}: {error}", path.display()),
            )?)),
            None => None,
        };
        let secrets = Arc::new(Secrets {
            file,
            capturing,
            pending: Mutex::new(HashMap::new()),
        });
        if secrets.file.is_some() || capturing {
            config.key_log = secrets.clone();
        }
        Ok(TlsSettings {
            config: Arc::new(config),
            secrets,
            chain,
            max,
        })
    }
}

/// Why the TLS library refused a handshake, as the lab asks it: what did
/// not match, and the alert sent (RFC 8446 §6.2) or received.
fn why_refused(error: &rustls::Error, max: TlsMax) -> String {
    use rustls::{AlertDescription, Error, PeerIncompatible};
    match error {
        Error::PeerIncompatible(
            PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::Tls12NotOfferedOrEnabled
            | PeerIncompatible::SupportedVersionsExtensionRequired,
        ) => format!(
            "no TLS version in common: the server allows TLS 1.2 up to {} (--tls-max); \
             alert protocol_version sent",
            max.name()
        ),
        Error::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon) => {
            "no cipher suite in common; alert handshake_failure sent".to_string()
        }
        Error::PeerIncompatible(PeerIncompatible::NoKxGroupsInCommon) => {
            "no key exchange group in common; alert handshake_failure sent".to_string()
        }
        Error::PeerIncompatible(other) => {
            format!("the client's hello cannot be answered ({other:?}); alert sent")
        }
        Error::AlertReceived(
            alert @ (AlertDescription::UnknownCA
            | AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown),
        ) => format!(
            "the client sent the alert {alert:?}: it does not trust the certificate (trust \
             the local CA the banner names, or tell the client to skip the check)"
        ),
        Error::AlertReceived(alert) => format!("the client sent the alert {alert:?}"),
        other => format!("{other}; alert sent"),
    }
}

/// `CN=localhost ← issued by CN=glasshttp local CA (…)`, from the
/// certificate's own fields.
fn describe_certificate(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => format!("{} ← {}", cert.subject(), cert.issuer()),
        Err(_) => "(a certificate that cannot be read)".to_string(),
    }
}

/// The session secrets, in the NSS key log format: written to `--keylog`
/// as they are made, and, for the capture, kept by client random until
/// the connection takes them (then the capture writes them before the
/// connection's first encrypted record).
struct Secrets {
    file: Option<Mutex<File>>,
    capturing: bool,
    pending: Mutex<HashMap<[u8; 32], Vec<u8>>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets")
    }
}

impl KeyLog for Secrets {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        if let Some(file) = &self.file {
            // One write per line, appended: lines of two connections never mix.
            let _ = ignoring_poison(file.lock()).write_all(line.as_bytes());
        }
        if self.capturing {
            if let Ok(random) = <[u8; 32]>::try_from(client_random) {
                ignoring_poison(self.pending.lock())
                    .entry(random)
                    .or_default()
                    .extend_from_slice(line.as_bytes());
            }
        }
    }
}

impl Secrets {
    /// The lines logged for the session of `random` since last asked.
    fn take(&self, random: &[u8; 32]) -> Option<Vec<u8>> {
        ignoring_poison(self.pending.lock()).remove(random)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a handshake did not finish.
#[derive(Debug)]
pub enum HandshakeEnd {
    /// The client closed, or the socket failed, before it finished.
    Gone,
    /// It did not finish within the head timeout.
    TimedOut,
    /// The TLS library refused it, and sent the alert this names.
    Refused(String),
}

impl HandshakeEnd {
    /// Why, in the trace's words.
    fn why(&self) -> String {
        match self {
            HandshakeEnd::Gone => "the client closed before the handshake ended (a browser \
                that does not trust the certificate often does)"
                .to_string(),
            HandshakeEnd::TimedOut => "no whole handshake within --head-timeout".to_string(),
            HandshakeEnd::Refused(why) => why.clone(),
        }
    }
}

/// One connection's TLS session over its socket.
pub struct Session {
    conn: ServerConnection,
    secrets: Arc<Secrets>,
    /// The client's random, once its hello is read: the key log's name for
    /// this session.
    random: Option<[u8; 32]>,
    /// Received bytes not yet handed to the TLS library, and room for more.
    raw: Vec<u8>,
    /// Encrypted bytes to send.
    out: Vec<u8>,
    write_timeout: Duration,
    /// Whether the client's close_notify was seen, and the server's sent.
    client_notified: bool,
    server_notified: bool,
}

/// Secrets the capture never took (the session ended before its next
/// read) are let go with it, so the shared table keeps none for long.
impl Drop for Session {
    fn drop(&mut self) {
        if let Some(random) = &self.random {
            self.secrets.take(random);
        }
    }
}

impl Session {
    /// Runs the handshake on `stream`, within `deadline`, telling the
    /// observer what each side offered and agreed (or why it failed).
    pub fn accept(
        stream: &TcpStream,
        settings: &TlsSettings,
        deadline: Instant,
        write_timeout: Duration,
        observer: &mut ConnectionObserver<'_>,
    ) -> Result<Session, HandshakeEnd> {
        let started = Instant::now();
        let conn = ServerConnection::new(Arc::clone(&settings.config)).map_err(|error| {
            HandshakeEnd::Refused(format!("cannot start a TLS session: {error}"))
        })?;
        let mut session = Session {
            conn,
            secrets: Arc::clone(&settings.secrets),
            random: None,
            raw: vec![0; RECORD_BYTES],
            out: Vec::new(),
            write_timeout,
            client_notified: false,
            server_notified: false,
        };
        let mut hello = None;
        let result = session
            .handshake(stream, settings.max, deadline, observer, &mut hello)
            // The last flight (the server's Finished, session tickets).
            .and_then(|()| {
                let flushed = session.flush(stream, observer.tap());
                flushed.map_err(|_| HandshakeEnd::Gone)
            });
        let outcome = match &result {
            Ok(()) => Ok(session.agreed(settings)),
            Err(end) => {
                // The alert, if one is waiting (the library queued it).
                let _ = session.flush(stream, observer.tap());
                Err(end.why())
            }
        };
        observer.secured(&Secured {
            hello,
            outcome,
            took: started.elapsed(),
        });
        result.map(|()| session)
    }

    /// Reads and answers handshake messages until the handshake is done,
    /// noting the ClientHello in `hello` as soon as it is whole.
    fn handshake(
        &mut self,
        stream: &TcpStream,
        max: TlsMax,
        deadline: Instant,
        observer: &mut ConnectionObserver<'_>,
        hello: &mut Option<ClientHello>,
    ) -> Result<(), HandshakeEnd> {
        let mut first_bytes = Vec::new();
        while self.conn.is_handshaking() {
            self.flush(stream, observer.tap())
                .map_err(|_| HandshakeEnd::Gone)?;
            let left = deadline
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())
                .ok_or(HandshakeEnd::TimedOut)?;
            stream
                .set_read_timeout(Some(left))
                .map_err(|_| HandshakeEnd::Gone)?;
            let n = match sys::read_retrying(stream, &mut self.raw) {
                Ok(0) => return Err(HandshakeEnd::Gone),
                Ok(n) => n,
                Err(error) if sys::is_timeout(&error) => return Err(HandshakeEnd::TimedOut),
                Err(_) => return Err(HandshakeEnd::Gone),
            };
            if hello.is_none() && first_bytes.len() < MAX_HELLO_BYTES {
                first_bytes.extend_from_slice(&self.raw[..n]);
                *hello = tls_hello::parse_client_hello(&first_bytes);
                self.random = hello.as_ref().map(|hello| hello.random);
            }
            self.take_in(n, observer).map_err(|error| {
                let refused = error
                    .get_ref()
                    .and_then(|e| e.downcast_ref::<rustls::Error>());
                HandshakeEnd::Refused(match refused {
                    Some(refused) => why_refused(refused, max),
                    None => error.to_string(),
                })
            })?;
        }
        Ok(())
    }

    fn agreed(&self, settings: &TlsSettings) -> Agreed {
        let conn = &self.conn;
        Agreed {
            version: conn.protocol_version().map_or(0, u16::from),
            max_version: match settings.max {
                TlsMax::Tls12 => 0x0303,
                TlsMax::Tls13 => 0x0304,
            },
            suite: conn
                .negotiated_cipher_suite()
                .map_or_else(String::new, |suite| format!("{:?}", suite.suite())),
            group: conn
                .negotiated_key_exchange_group()
                .map(|group| tls_hello::group_name(u16::from(group.name()))),
            alpn: conn
                .alpn_protocol()
                .map(|protocol| String::from_utf8_lossy(protocol).into_owned()),
            resumed: conn.handshake_kind() == Some(HandshakeKind::Resumed),
            retried: conn.handshake_kind() == Some(HandshakeKind::FullWithHelloRetryRequest),
            chain: Arc::clone(&settings.chain),
        }
    }

    /// Hands `raw[..n]`, just read, to the TLS library; then the secrets
    /// it made (to the capture, before the bytes they decrypt), then the
    /// bytes themselves to the observers.
    fn take_in(&mut self, n: usize, observer: &mut ConnectionObserver<'_>) -> io::Result<()> {
        let mut offered = &self.raw[..n];
        let mut result = Ok(());
        while !offered.is_empty() {
            if let Err(error) = self.conn.read_tls(&mut offered) {
                result = Err(error);
                break;
            }
            match self.conn.process_new_packets() {
                Ok(state) => {
                    if state.peer_has_closed() && !self.client_notified {
                        self.client_notified = true;
                        observer.close_notify(true);
                    }
                }
                Err(error) => {
                    result = Err(io::Error::new(io::ErrorKind::InvalidData, error));
                    break;
                }
            }
        }
        if let Some(random) = &self.random {
            if let Some(lines) = self.secrets.take(random) {
                observer.secrets(&lines);
            }
        }
        if observer.wants_bytes() {
            observer.received(&self.raw[..n]);
        }
        result
    }

    /// Reads decrypted bytes into `buffer`, reading the socket (with the
    /// read timeout set on it) as often as it takes; 0 at the client's
    /// close (with or without its close_notify).
    pub fn read(
        &mut self,
        stream: &TcpStream,
        buffer: &mut [u8],
        observer: &mut ConnectionObserver<'_>,
    ) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buffer) {
                Ok(n) => return Ok(n),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(error) => return Err(error),
            }
            let n = sys::read_retrying(stream, &mut self.raw)?;
            if n == 0 {
                if observer.wants_bytes() {
                    observer.client_closed();
                }
                return Ok(0);
            }
            let taken = self.take_in(n, observer);
            // A reply the records asked for (a key update), or the alert
            // for what could not be read.
            self.flush(stream, observer.tap())?;
            taken?;
        }
    }

    /// Whether decrypted bytes wait in the library, not yet read.
    pub fn has_unread(&mut self) -> bool {
        self.conn
            .process_new_packets()
            .is_ok_and(|state| state.plaintext_bytes_to_read() > 0)
    }

    /// Encrypts and sends `parts`, every record handed to `tap` first.
    pub fn send(
        &mut self,
        stream: &TcpStream,
        parts: &[&[u8]],
        mut tap: Option<&mut dyn Tap>,
        progress: &mut sys::WriteProgress,
    ) -> io::Result<()> {
        for part in parts {
            let mut rest = *part;
            while !rest.is_empty() {
                let n = self.conn.writer().write(rest)?;
                rest = &rest[n..];
                if n == 0 {
                    // The library's outgoing buffer is full: send it.
                    self.flush_with(stream, reborrow(&mut tap), progress)?;
                }
            }
        }
        self.flush_with(stream, tap, progress)
    }

    /// Sends the server's close_notify: the HTTPS way to say "no more".
    pub fn notify_close(&mut self, stream: &TcpStream, observer: &mut ConnectionObserver<'_>) {
        if self.server_notified {
            return;
        }
        self.server_notified = true;
        self.conn.send_close_notify();
        if self.flush(stream, observer.tap()).is_ok() {
            observer.close_notify(false);
        }
    }

    fn flush(&mut self, stream: &TcpStream, tap: Option<&mut dyn Tap>) -> io::Result<()> {
        let mut progress = sys::WriteProgress::new(self.write_timeout);
        self.flush_with(stream, tap, &mut progress)
    }

    fn flush_with(
        &mut self,
        stream: &TcpStream,
        mut tap: Option<&mut dyn Tap>,
        progress: &mut sys::WriteProgress,
    ) -> io::Result<()> {
        while self.conn.wants_write() {
            self.out.clear();
            self.conn.write_tls(&mut self.out)?;
            if let Some(tap) = reborrow(&mut tap) {
                tap.sent(&self.out);
            }
            let mut rest: &[u8] = &self.out;
            while !rest.is_empty() {
                let written = (&mut &*stream).write(rest);
                if let Some(n) = progress.judge(written)? {
                    rest = &rest[n..];
                }
            }
        }
        Ok(())
    }
}
