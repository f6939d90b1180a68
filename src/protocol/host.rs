//! The `Host` field's value (RFC 9112 §3.2; RFC 3986 §3.2.2, §3.2.3):
//! `uri-host [ ":" port ]`, where the host is a registered name, an IPv4
//! address or a bracketed IP literal. A request with any other value gets
//! 400, so that nothing downstream (a log, a redirect) can be fed a path,
//! credentials or a second host through it.

use std::net::{IpAddr, SocketAddr};

use crate::protocol::fields::{parse_decimal, DecimalError};
use crate::protocol::words::{phrase, Phrase};

/// Whether a `Host` value names a server listening at `local` by one of its
/// own names, the defence against DNS rebinding (a page on another site
/// pointing its own name at 127.0.0.1): `localhost`, a loopback address, or
/// `local`'s own address, with `local`'s port (80 when none is written).
/// Any other name, even one that resolves here, is someone else's.
pub fn is_own_authority(value: &[u8], local: SocketAddr) -> bool {
    let Ok((host, port)) = split_port(value) else {
        return false;
    };
    let port_matches = match port {
        None => local.port() == 80,
        Some(digits) => parse_decimal(digits) == Ok(u64::from(local.port())),
    };
    port_matches && is_own_host(host, local.ip())
}

/// Whether an `Origin` value (RFC 6454 §7) is `http://` and one of the
/// names [`is_own_authority`] accepts: the page that asks was served by
/// that very server. `null` and every other origin are not.
pub fn is_own_origin(value: &[u8], local: SocketAddr) -> bool {
    value
        .strip_prefix(b"http://")
        .is_some_and(|authority| is_own_authority(authority, local))
}

fn is_own_host(host: &[u8], local: IpAddr) -> bool {
    if host.eq_ignore_ascii_case(b"localhost") {
        return true;
    }
    let literal = host
        .strip_prefix(b"[")
        .and_then(|inner| inner.strip_suffix(b"]"))
        .unwrap_or(host);
    let Some(ip) = std::str::from_utf8(literal)
        .ok()
        .and_then(|text| text.parse::<IpAddr>().ok())
    else {
        return false;
    };
    // An IPv6 literal must come bracketed, and an IPv4 one bare.
    let bracketed = literal.len() != host.len();
    bracketed == ip.is_ipv6() && (ip.is_loopback() || ip == local)
}

/// Checks a `Host` value; the error says what is wrong with it. `may_be_empty`
/// is for HTTP/1.0, which has no http URI whose host must not be empty
/// (RFC 9110 §4.2.1).
pub fn check_host(value: &[u8], may_be_empty: bool) -> Result<(), Phrase> {
    if value.is_empty() {
        return if may_be_empty {
            Ok(())
        } else {
            Err(phrase("empty Host", "Host 为空"))
        };
    }
    let (host, port) = split_port(value)?;
    if host.starts_with(b"[") {
        check_ip_literal(host)?;
    } else {
        check_reg_name(host)?;
    }
    match port {
        Some(port) => check_port(port),
        None => Ok(()),
    }
}

/// The host and the port after its `:`, if any.
fn split_port(value: &[u8]) -> Result<(&[u8], Option<&[u8]>), Phrase> {
    if value.starts_with(b"[") {
        let close = value
            .iter()
            .position(|&b| b == b']')
            .ok_or(phrase("unclosed [ in Host", "Host 中的 [ 没有闭合"))?;
        let (host, rest) = value.split_at(close + 1);
        return match rest {
            [] => Ok((host, None)),
            [b':', port @ ..] => Ok((host, Some(port))),
            _ => Err(phrase(
                "bytes after the IP literal in Host",
                "Host 中 IP 字面量之后还有多余的字节",
            )),
        };
    }
    Ok(match value.iter().position(|&b| b == b':') {
        Some(colon) => (&value[..colon], Some(&value[colon + 1..])),
        None => (value, None),
    })
}

/// `reg-name = *( unreserved / pct-encoded / sub-delims )`, which covers
/// IPv4 addresses too. A comma, though a sub-delim, is refused: a Host with
/// one is a list, never a name.
fn check_reg_name(host: &[u8]) -> Result<(), Phrase> {
    if host.is_empty() {
        return Err(phrase(
            "empty host before the port",
            "Host 中端口前的主机名为空",
        ));
    }
    let mut bytes = host.iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'%' => {
                let pair = [bytes.next(), bytes.next()];
                if !pair.iter().all(|b| b.is_some_and(u8::is_ascii_hexdigit)) {
                    return Err(phrase(
                        "bad percent-encoding in Host",
                        "Host 中的百分号编码有误",
                    ));
                }
            }
            b',' => return Err(phrase("a list in Host", "Host 是一个列表（含逗号）")),
            b if is_unreserved(b) || b"!$&'()*+;=".contains(&b) => {}
            b'@' => return Err(phrase("userinfo in Host", "Host 中含有用户信息（@）")),
            b'/' | b'?' | b'#' => {
                return Err(phrase("a path or query in Host", "Host 中含有路径或查询"))
            }
            _ => {
                return Err(phrase(
                    "a byte not allowed in a host name",
                    "主机名中有不允许的字节",
                ))
            }
        }
    }
    Ok(())
}

/// `IP-literal = "[" ( IPv6address / IPvFuture ) "]"`: checked for its
/// characters, which is what keeps anything else out of it.
fn check_ip_literal(host: &[u8]) -> Result<(), Phrase> {
    let inner = &host[1..host.len() - 1];
    let valid = match inner {
        [b'v' | b'V', rest @ ..] => match rest.iter().position(|&b| b == b'.') {
            Some(dot) if dot > 0 => {
                rest[..dot].iter().all(u8::is_ascii_hexdigit)
                    && rest.len() > dot + 1
                    && rest[dot + 1..]
                        .iter()
                        .all(|&b| is_unreserved(b) || b"!$&'()*+,;=:".contains(&b))
            }
            _ => false,
        },
        _ => {
            inner.contains(&b':')
                && inner
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
    };
    if valid {
        Ok(())
    } else {
        Err(phrase(
            "invalid IP literal in Host",
            "Host 中的 IP 字面量无效",
        ))
    }
}

/// `port = *DIGIT`, within a port's range.
fn check_port(port: &[u8]) -> Result<(), Phrase> {
    if port.is_empty() {
        return Ok(());
    }
    match parse_decimal(port) {
        Ok(n) if n <= u64::from(u16::MAX) => Ok(()),
        Ok(_) | Err(DecimalError::TooLarge) => Err(phrase(
            "a port over 65535 in Host",
            "Host 中的端口超过 65535",
        )),
        Err(DecimalError::NotDigits) => Err(phrase(
            "a port that is not a number in Host",
            "Host 中的端口不是数字",
        )),
    }
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_authority_and_origin_table() {
        let v4: SocketAddr = "127.0.0.1:8081".parse().unwrap();
        let lan: SocketAddr = "192.168.1.5:8081".parse().unwrap();
        let on_80: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let cases: &[(&str, SocketAddr, bool)] = &[
            // Someone else's names first, the shapes DNS rebinding takes.
            ("attacker.example:8081", v4, false),
            ("attacker.example", v4, false),
            ("localhost.:8081", v4, false),
            ("localhost.attacker.example:8081", v4, false),
            ("127.0.0.1.nip.io:8081", v4, false),
            ("localhost:8080", v4, false),
            ("localhost", v4, false),
            ("localhost:+8081", v4, false),
            ("localhost:08081x", v4, false),
            ("[127.0.0.1]:8081", v4, false),
            ("::1", v4, false),
            ("192.168.1.5:8081", v4, false),
            ("10.0.0.1:8081", lan, false),
            ("", v4, false),
            ("[::1", v4, false),
            // Then its own.
            ("localhost:8081", v4, true),
            ("LocalHost:8081", v4, true),
            ("127.0.0.1:8081", v4, true),
            ("127.0.0.2:8081", v4, true),
            ("[::1]:8081", v4, true),
            ("localhost:08081", v4, true),
            ("192.168.1.5:8081", lan, true),
            ("localhost", on_80, true),
            ("127.0.0.1", on_80, true),
        ];
        for (value, local, own) in cases {
            assert_eq!(
                is_own_authority(value.as_bytes(), *local),
                *own,
                "{value:?} at {local}"
            );
            let origin = format!("http://{value}");
            assert_eq!(is_own_origin(origin.as_bytes(), *local), *own, "{origin:?}");
        }
        for origin in [
            "null",
            "https://localhost:8081",
            "http://localhost:8081/",
            "localhost:8081",
        ] {
            assert!(!is_own_origin(origin.as_bytes(), v4), "{origin}");
        }
    }

    #[test]
    fn host_values_table() {
        let cases: &[(&str, bool, Result<(), &str>)] = &[
            // Refused first.
            ("", false, Err("empty Host")),
            ("a@b", false, Err("userinfo in Host")),
            ("a/b", false, Err("a path or query in Host")),
            ("a?b", false, Err("a path or query in Host")),
            ("a b", false, Err("a byte not allowed in a host name")),
            ("\"a\"", false, Err("a byte not allowed in a host name")),
            ("a,b", false, Err("a list in Host")),
            ("[::1", false, Err("unclosed [ in Host")),
            ("[::1]x", false, Err("bytes after the IP literal in Host")),
            ("[zz]", false, Err("invalid IP literal in Host")),
            ("[]", false, Err("invalid IP literal in Host")),
            ("[v.x]", false, Err("invalid IP literal in Host")),
            ("a:65536", false, Err("a port over 65535 in Host")),
            ("a:99999999999", false, Err("a port over 65535 in Host")),
            ("a:8o", false, Err("a port that is not a number in Host")),
            ("a:-1", false, Err("a port that is not a number in Host")),
            (":80", false, Err("empty host before the port")),
            ("a%zz", false, Err("bad percent-encoding in Host")),
            ("a%4", false, Err("bad percent-encoding in Host")),
            ("a:1:2", false, Err("a port that is not a number in Host")),
            // Then accepted.
            ("", true, Ok(())),
            ("example.com", false, Ok(())),
            ("EXAMPLE.com:8080", false, Ok(())),
            ("127.0.0.1:0", false, Ok(())),
            ("a:65535", false, Ok(())),
            ("a:", false, Ok(())),
            ("[::1]", false, Ok(())),
            ("[::ffff:127.0.0.1]:80", false, Ok(())),
            ("[v1.fe:x]", false, Ok(())),
            ("a-b_c~d.e!$&'()*+;=", false, Ok(())),
            ("ex%41mple", false, Ok(())),
        ];
        for (value, may_be_empty, expected) in cases {
            let checked = check_host(value.as_bytes(), *may_be_empty);
            if let Err(why) = checked {
                crate::protocol::words::assert_both(why.en, why.zh, value);
            }
            assert_eq!(checked.map_err(|why| why.en), *expected, "{value:?}");
        }
    }
}
