//! HTTP Basic authentication (RFC 7617, on RFC 9110 §11): the credentials a
//! server is given, and the `Authorization` field read against them by
//! hand. Basic is an encoding, not a cipher: anyone who sees the request
//! reads the password, which is what the lab shows.

use crate::protocol::words::{phrase, Phrase};
use base64::Engine;

/// The realm named in every challenge.
pub const REALM: &str = "glasshttp";

/// The `WWW-Authenticate` value of a 401 (RFC 7617 §2, §2.1: the charset
/// tells the browser to send UTF-8).
pub fn challenge() -> String {
    format!("Basic realm=\"{REALM}\", charset=\"UTF-8\"")
}

/// The user and password a server accepts (`--auth USER:PASSWORD`).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    user: String,
    /// `user:password`, compared whole.
    pair: Vec<u8>,
}

impl std::fmt::Debug for Credentials {
    /// The user only: a password is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Reads `USER:PASSWORD`: split at the first colon (a user-id cannot
    /// hold one, RFC 7617 §2); the user must not be empty, the password may.
    pub fn parse(text: &str) -> Result<Credentials, &'static str> {
        let Some((user, _)) = text.split_once(':') else {
            return Err("expected USER:PASSWORD, with a colon");
        };
        if user.is_empty() {
            return Err("the user name is empty");
        }
        if text.chars().any(char::is_control) {
            return Err("a control character in USER:PASSWORD");
        }
        Ok(Credentials {
            user: user.to_string(),
            pair: text.as_bytes().to_vec(),
        })
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }
}

/// What the `Authorization` field of a request said, against the
/// credentials: the one value the response, the access log and the trace
/// all read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The user and password match. Nothing of the password is kept, not
    /// even its length: whatever shows a verdict shows nothing of it.
    Granted { user: String },
    /// No `Authorization` field.
    Missing,
    /// A scheme other than Basic.
    OtherScheme,
    /// Basic, but not readable credentials: why.
    Malformed(Phrase),
    /// Readable credentials that do not match.
    Refused { user: String },
}

impl Verdict {
    /// Whether the request may go on.
    pub fn is_granted(&self) -> bool {
        matches!(self, Verdict::Granted { .. })
    }
}

/// Why Basic credentials could not be read, in both languages.
pub const NO_CREDENTIALS: Phrase = phrase("Basic without credentials", "Basic 后面没有凭据");
pub const NOT_TOKEN68: Phrase = phrase(
    "credentials that are not a token68",
    "凭据不是 token68 格式",
);
pub const NOT_BASE64: Phrase = phrase("credentials that are not Base64", "凭据不是合法的 Base64");
pub const NOT_UTF8: Phrase = phrase("credentials that are not UTF-8", "凭据解码后不是 UTF-8");
pub const NO_COLON: Phrase = phrase("credentials without a colon", "凭据中没有冒号");
pub const TWO_FIELDS: Phrase = phrase(
    "more than one Authorization field",
    "Authorization 字段不止一个",
);

/// Reads the request's `Authorization` values (RFC 9110 §11.6.2: one
/// field; more than one is malformed) against `credentials`.
pub fn verify<'a>(
    mut values: impl Iterator<Item = &'a [u8]>,
    credentials: &Credentials,
) -> Verdict {
    let value = match (values.next(), values.next()) {
        (None, _) => return Verdict::Missing,
        (Some(value), None) => value,
        (Some(_), Some(_)) => return Verdict::Malformed(TWO_FIELDS),
    };
    let (user, password) = match read_basic(value) {
        Ok(pair) => pair,
        Err(Unreadable::OtherScheme) => return Verdict::OtherScheme,
        Err(Unreadable::Malformed(why)) => return Verdict::Malformed(why),
    };
    let given = format!("{user}:{password}");
    let user = user.to_string();
    if same_bytes(given.as_bytes(), &credentials.pair) {
        Verdict::Granted { user }
    } else {
        Verdict::Refused { user }
    }
}

enum Unreadable {
    OtherScheme,
    Malformed(Phrase),
}

/// `credentials = auth-scheme [ 1*SP token68 ]` with the scheme `Basic`
/// (case-insensitive, RFC 9110 §11.1), the token68 strict Base64 of
/// `user-id ":" password` in UTF-8; split at the first colon.
fn read_basic(value: &[u8]) -> Result<(String, String), Unreadable> {
    let value = crate::protocol::fields::trim_ows(value);
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(space) => (&value[..space], &value[space..]),
        None => (value, &value[value.len()..]),
    };
    if !scheme.eq_ignore_ascii_case(b"Basic") {
        return Err(Unreadable::OtherScheme);
    }
    let token = rest.trim_ascii_start();
    if token.is_empty() {
        return Err(Unreadable::Malformed(NO_CREDENTIALS));
    }
    let is_token68 = token
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b));
    if !is_token68 {
        return Err(Unreadable::Malformed(NOT_TOKEN68));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| Unreadable::Malformed(NOT_BASE64))?;
    let text = String::from_utf8(decoded).map_err(|_| Unreadable::Malformed(NOT_UTF8))?;
    let Some((user, password)) = text.split_once(':') else {
        return Err(Unreadable::Malformed(NO_COLON));
    };
    if text.chars().any(char::is_control) {
        return Err(Unreadable::Malformed(phrase(
            "a control character in the credentials",
            "凭据中有控制字符",
        )));
    }
    Ok((user.to_string(), password.to_string()))
}

/// Whether `given` equals `expected`, in a time that depends on the two
/// lengths only, never on where the bytes first differ: every byte of
/// `expected` is compared, and the differences gathered, not branched on.
fn same_bytes(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = u8::from(given.len() != expected.len());
    for (index, &byte) in expected.iter().enumerate() {
        let other = given.get(index).copied().unwrap_or(!byte);
        difference |= std::hint::black_box(byte ^ other);
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(pair: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    #[test]
    fn credential_flags_table() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("alice", Err("expected USER:PASSWORD, with a colon")),
            (":secret", Err("the user name is empty")),
            (
                "alice:se\ncret",
                Err("a control character in USER:PASSWORD"),
            ),
            ("alice:", Ok("alice")),
            ("alice:s3:cret", Ok("alice")),
            ("李华:密码", Ok("李华")),
        ];
        for (text, expected) in cases {
            let parsed = Credentials::parse(text);
            assert_eq!(
                parsed.as_ref().map(|c| c.user()),
                expected.as_ref().map(|u| *u),
                "{text:?}"
            );
        }
        let debug = format!("{:?}", Credentials::parse("alice:secret").unwrap());
        assert!(
            debug.contains("alice") && !debug.contains("secret"),
            "{debug}"
        );
    }

    #[test]
    fn authorization_table() {
        let alice = Credentials::parse("alice:s3:cret").unwrap();
        let granted = || Verdict::Granted {
            user: "alice".into(),
        };
        let right = basic("alice:s3:cret");
        let cases: Vec<(&str, Vec<String>, Verdict)> = vec![
            // Refused first.
            ("absent", vec![], Verdict::Missing),
            (
                "another scheme",
                vec!["Bearer abc".into()],
                Verdict::OtherScheme,
            ),
            (
                "Basic alone",
                vec!["Basic".into()],
                Verdict::Malformed(NO_CREDENTIALS),
            ),
            (
                "not Base64",
                vec!["Basic !!!!".into()],
                Verdict::Malformed(NOT_TOKEN68),
            ),
            (
                "bad padding",
                vec!["Basic YWxpY2U6cw".into()],
                Verdict::Malformed(NOT_BASE64),
            ),
            (
                "not UTF-8",
                vec![format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode([0xff, b':', b'x'])
                )],
                Verdict::Malformed(NOT_UTF8),
            ),
            (
                "no colon",
                vec![basic("alice")],
                Verdict::Malformed(NO_COLON),
            ),
            (
                "two fields",
                vec![right.clone(), right.clone()],
                Verdict::Malformed(TWO_FIELDS),
            ),
            (
                "wrong password",
                vec![basic("alice:s3:creT")],
                Verdict::Refused {
                    user: "alice".into(),
                },
            ),
            (
                "password cut short",
                vec![basic("alice:s3")],
                Verdict::Refused {
                    user: "alice".into(),
                },
            ),
            (
                "other user",
                vec![basic("bob:s3:cret")],
                Verdict::Refused { user: "bob".into() },
            ),
            // Then accepted: the scheme in any case, spaces around.
            ("right", vec![right.clone()], granted()),
            (
                "lower-case scheme",
                vec![right.replace("Basic", "basic")],
                granted(),
            ),
            (
                "extra spaces",
                vec![format!("  {}  ", right.replace(' ', "   "))],
                granted(),
            ),
        ];
        for (name, values, expected) in cases {
            let verdict = verify(values.iter().map(|v| v.as_bytes()), &alice);
            assert_eq!(verdict, expected, "{name}");
        }
        let chinese = Credentials::parse("李华:密码").unwrap();
        assert_eq!(
            verify([basic("李华:密码").as_bytes()].into_iter(), &chinese),
            Verdict::Granted {
                user: "李华".into()
            }
        );
    }

    #[test]
    fn comparison_table() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"", b"", true),
            (b"a", b"a", true),
            (b"alice:x", b"alice:x", true),
            (b"alice:y", b"alice:x", false),
            (b"alice:", b"alice:x", false),
            (b"alice:xx", b"alice:x", false),
            (b"", b"x", false),
            (b"\xff", b"\x00", false),
        ];
        for (given, expected, same) in cases {
            assert_eq!(same_bytes(given, expected), *same, "{given:?} {expected:?}");
        }
    }
}
