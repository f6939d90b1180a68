//! The certificate HTTPS is served with: one made for the user, or the
//! user's own files.
//!
//! Made for the user (`--tls`): a local certificate authority (ECDSA
//! P-256, named for glasshttp and the machine) is made once and kept in the
//! user's data folder, its key readable by the owner only; at each start a
//! leaf for `localhost`, the loopback addresses and every address served is
//! made and signed by it. Trusting that one CA certificate once makes every
//! later leaf trusted, the way `mkcert` and Caddy's local CA work; until
//! then the browser warns, which is the lab's question of how a client
//! checks a certificate.
//!
//! The certificates are built by rcgen and signed with graviola's ECDSA
//! (the same cryptography rustls uses here): nothing of X.509 or of the
//! signature is written by hand.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use graviola::hashing::{Hash, Sha256};
use graviola::signing::ecdsa::{SigningKey as EcdsaKey, P256};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyUsagePurpose, PublicKeyData, SerialNumber, SignatureAlgorithm,
    SigningKey, PKCS_ECDSA_P256_SHA256,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::protocol::civil::UtcTime;
use crate::sys;

/// The CA certificate's file name in the data folder: the file to trust.
pub const CA_CERT_FILE: &str = "glasshttp-ca.pem";
/// The CA key's file name: readable by its owner only.
pub const CA_KEY_FILE: &str = "glasshttp-ca-key.pem";
/// How long the local CA is valid.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 86_400);
/// How long a leaf made at start is valid: well inside the 398 days
/// browsers accept, and a new one is made at every start anyway.
const LEAF_VALIDITY: Duration = Duration::from_secs(30 * 86_400);
/// How far back validity starts, so a clock a little behind still accepts it.
const BACKDATE: Duration = Duration::from_secs(86_400);

/// A certificate chain and its key, ready for the TLS configuration.
#[derive(Debug)]
pub struct Identity {
    /// The leaf first, then its issuers (the local CA's certificate).
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The local CA's certificate file, when the leaf was made here.
    pub ca_file: Option<PathBuf>,
    /// Whether the local CA was made at this start (else it was found).
    pub ca_made_now: bool,
}

/// Why no certificate could be had: one line, naming the file.
#[derive(Debug)]
pub struct CertificateError(pub String);

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn failed(path: &Path, why: impl fmt::Display) -> CertificateError {
    CertificateError(format!("{}: {why}", path.display()))
}

/// The user's own certificate chain and key, from PEM files.
pub fn from_files(cert: &Path, key: &Path) -> Result<Identity, CertificateError> {
    let pem = read(cert)?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| failed(cert, format!("not a PEM certificate file ({error})")))?;
    if chain.is_empty() {
        return Err(failed(
            cert,
            "no certificate in it (a PEM file has -----BEGIN CERTIFICATE-----)",
        ));
    }
    for (n, der) in chain.iter().enumerate() {
        if let Err(error) = x509_parser::parse_x509_certificate(der) {
            return Err(failed(
                cert,
                format!("certificate {} cannot be read ({error})", n + 1),
            ));
        }
    }
    let key_pem = read(key)?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| {
        failed(
            key,
            format!("no private key in it (PEM: PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY; {error})"),
        )
    })?;
    Ok(Identity {
        chain,
        key: key_der,
        ca_file: None,
        ca_made_now: false,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, CertificateError> {
    std::fs::read(path).map_err(|error| failed(path, error))
}

/// A leaf for `localhost`, the loopback addresses and `addresses`, signed
/// by the local CA in `dir` (made there first if it is not there yet).
pub fn made_here(dir: &Path, addresses: &[IpAddr]) -> Result<Identity, CertificateError> {
    let ca_cert = dir.join(CA_CERT_FILE);
    let ca_key = dir.join(CA_KEY_FILE);
    let ca_made_now = !ca_key.exists();
    let (issuer_pem, issuer_key) = if ca_made_now {
        make_ca(dir, &ca_cert, &ca_key)?
    } else {
        load_ca(&ca_cert, &ca_key)?
    };
    let ca_der = CertificateDer::from_pem_slice(issuer_pem.as_bytes())
        .map_err(|error| failed(&ca_cert, error))?;
    let issuer = Issuer::new(ca_params(&ca_der, &issuer_key, &ca_cert)?, &issuer_key);
    let leaf_key = P256Key::generate().map_err(|why| failed(dir, why))?;
    let mut names = vec!["localhost".to_string()];
    let loopback: [IpAddr; 2] = [[127, 0, 0, 1].into(), std::net::Ipv6Addr::LOCALHOST.into()];
    for ip in loopback.iter().chain(addresses) {
        if !ip.is_unspecified() && !names.contains(&ip.to_string()) {
            names.push(ip.to_string());
        }
    }
    let mut params =
        CertificateParams::new(names).map_err(|error| failed(dir, format!("{error}")))?;
    params.distinguished_name = name("localhost");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    stamp(&mut params, &leaf_key, LEAF_VALIDITY).map_err(|why| failed(dir, why))?;
    let leaf = params
        .signed_by(&leaf_key, &issuer)
        .map_err(|error| failed(dir, format!("cannot sign the leaf: {error}")))?;
    Ok(Identity {
        chain: vec![leaf.der().clone(), ca_der],
        key: leaf_key.pkcs8().map_err(|why| failed(dir, why))?,
        ca_file: Some(ca_cert),
        ca_made_now,
    })
}

/// The local CA as an issuer: its name read from its certificate (so a
/// CA made on a machine since renamed still signs under its own name),
/// and its key identifier, made the way [`stamp`] made it.
fn ca_params(
    der: &CertificateDer<'_>,
    key: &P256Key,
    path: &Path,
) -> Result<CertificateParams, CertificateError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|error| {
        failed(
            path,
            format!("cannot be read ({error}); delete the folder to make a new CA"),
        )
    })?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|name| name.as_str().ok())
        .ok_or_else(|| {
            failed(
                path,
                "has no common name; delete the folder to make a new CA",
            )
        })?;
    let mut params = ca_template(common_name);
    stamp(&mut params, key, CA_VALIDITY).map_err(|why| failed(path, why))?;
    Ok(params)
}

/// What every local CA is: named for glasshttp and the machine, allowed
/// to sign leaves (and nothing below them).
fn ca_template(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// Makes the local CA: its key written first, owner-only and never over an
/// existing one, then its certificate.
fn make_ca(
    dir: &Path,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(String, P256Key), CertificateError> {
    sys::create_private_dir(dir).map_err(|error| failed(dir, error))?;
    let key = P256Key::generate().map_err(|why| failed(dir, why))?;
    let mut params = ca_template(&format!("glasshttp local CA ({})", sys::machine_name()));
    stamp(&mut params, &key, CA_VALIDITY).map_err(|why| failed(dir, why))?;
    let cert = params
        .self_signed(&key)
        .map_err(|error| failed(dir, format!("cannot make the CA: {error}")))?;
    let pkcs8 = key.pkcs8().map_err(|why| failed(dir, why))?;
    let key_pem = pem_of("PRIVATE KEY", pkcs8.secret_der());
    write_new(key_path, key_pem.as_bytes())?;
    let cert_pem = cert.pem();
    std::fs::write(cert_path, &cert_pem).map_err(|error| failed(cert_path, error))?;
    Ok((cert_pem, key))
}

fn load_ca(cert_path: &Path, key_path: &Path) -> Result<(String, P256Key), CertificateError> {
    let key_pem = read(key_path)?;
    let key = match PrivateKeyDer::from_pem_slice(&key_pem) {
        Ok(PrivateKeyDer::Pkcs8(der)) => P256Key::from_pkcs8(der.secret_pkcs8_der()),
        _ => Err("not the PKCS#8 key glasshttp writes".to_string()),
    }
    .map_err(|why| {
        failed(
            key_path,
            format!("{why}; delete the folder to make a new CA"),
        )
    })?;
    let cert =
        String::from_utf8(read(cert_path)?).map_err(|_| failed(cert_path, "not a PEM file"))?;
    Ok((cert, key))
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), CertificateError> {
    use std::io::Write;
    sys::open_private(path, false)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|error| failed(path, error))
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "glasshttp");
    name.push(DnType::CommonName, common_name);
    name
}

/// Sets what rcgen would make with a crypto backend of its own: a random
/// serial number (RFC 5280 §4.1.2.2: positive, at most 20 octets), the key
/// identifier (RFC 7093 method 1: SHA-256 of the key, cut to 160 bits),
/// and the validity, from a day ago.
fn stamp(params: &mut CertificateParams, key: &P256Key, validity: Duration) -> Result<(), String> {
    let mut serial = [0u8; 16];
    graviola::random::fill(&mut serial).map_err(|error| format!("no randomness: {error:?}"))?;
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let digest = Sha256::hash(&key.subject_public_key_info());
    params.key_identifier_method = KeyIdMethod::PreSpecified(digest.as_ref()[..20].to_vec());
    let now = SystemTime::now();
    let (year, month, day) = ymd(now - BACKDATE);
    params.not_before = rcgen::date_time_ymd(year, month, day);
    let (year, month, day) = ymd(now + validity);
    params.not_after = rcgen::date_time_ymd(year, month, day);
    Ok(())
}

fn ymd(at: SystemTime) -> (i32, u8, u8) {
    let utc = UtcTime::of(at);
    (utc.year as i32, utc.month as u8, utc.day as u8)
}

fn pem_of(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// An ECDSA P-256 key as rcgen signs with it.
struct P256Key {
    key: EcdsaKey<P256>,
    /// The public point, uncompressed (what an SPKI's bit string holds).
    public: Vec<u8>,
}

impl P256Key {
    fn generate() -> Result<P256Key, String> {
        let key = EcdsaKey::<P256>::generate().map_err(|error| format!("{error:?}"))?;
        P256Key::from_key(key)
    }

    fn from_pkcs8(der: &[u8]) -> Result<P256Key, String> {
        let key = EcdsaKey::<P256>::from_pkcs8_der(der)
            .map_err(|error| format!("not an ECDSA P-256 key ({error:?})"))?;
        P256Key::from_key(key)
    }

    fn from_key(key: EcdsaKey<P256>) -> Result<P256Key, String> {
        let mut buffer = [0u8; 128];
        let spki = key
            .to_spki_der(&mut buffer)
            .map_err(|error| format!("{error:?}"))?;
        // The point is the SPKI's last 65 bytes (04 || x || y).
        let public = spki[spki.len() - 65..].to_vec();
        Ok(P256Key { key, public })
    }

    fn pkcs8(&self) -> Result<PrivateKeyDer<'static>, String> {
        let mut buffer = [0u8; 256];
        let der = self
            .key
            .to_pkcs8_der(&mut buffer)
            .map_err(|error| format!("{error:?}"))?;
        Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec())))
    }
}

impl PublicKeyData for P256Key {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for P256Key {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let mut signature = [0u8; 80];
        let der = self
            .key
            .sign_asn1::<Sha256>(&[message], &mut signature)
            .map_err(|_| rcgen::Error::RemoteKeyError)?;
        Ok(der.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("glasshttp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_local_ca_is_made_once_and_signs_every_leaf() {
        let dir = temp_dir("ca");
        let first = made_here(&dir, &["192.0.2.7".parse().unwrap()]).unwrap();
        assert!(first.ca_made_now);
        let second = made_here(&dir, &[]).unwrap();
        assert!(!second.ca_made_now, "the CA is found, not made again");
        // The same CA certificate; a new leaf.
        assert_eq!(first.chain[1], second.chain[1]);
        assert_ne!(first.chain[0], second.chain[0]);
        let (_, leaf) = x509_parser::parse_x509_certificate(&first.chain[0]).unwrap();
        let (_, ca) = x509_parser::parse_x509_certificate(&first.chain[1]).unwrap();
        assert_eq!(leaf.issuer(), ca.subject());
        assert!(ca.is_ca());
        let sans = &leaf
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names;
        let mut shown: Vec<String> = sans
            .iter()
            .map(|name| match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => dns.to_string(),
                x509_parser::extensions::GeneralName::IPAddress(ip) => match ip.len() {
                    4 => IpAddr::from(<[u8; 4]>::try_from(*ip).unwrap()).to_string(),
                    _ => IpAddr::from(<[u8; 16]>::try_from(*ip).unwrap()).to_string(),
                },
                other => format!("{other:?}"),
            })
            .collect();
        shown.sort();
        assert_eq!(shown, ["127.0.0.1", "192.0.2.7", "::1", "localhost"]);
        // The key is the owner's alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(CA_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
