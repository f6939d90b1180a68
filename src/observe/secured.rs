//! The TLS handshake in words, in both languages, in the order its
//! messages went: what the ClientHello offered, what the ServerHello chose
//! and why, the certificate chain sent, how long it took, and, at the
//! close, who sent `close_notify`. The trace prints these lines; they come
//! from the [`Secured`] value every observer reads.

use std::time::Duration;

use crate::observe::seam::{Agreed, Secured};
use crate::protocol::tls_hello::{group_name, version_name, ClientHello};
use crate::protocol::words::Said;

/// The handshake, one line per step.
pub fn explain_handshake(secured: &Secured) -> Vec<Said> {
    let mut lines = Vec::new();
    if let Some(hello) = &secured.hello {
        lines.push(explain_hello(hello));
    }
    match &secured.outcome {
        Ok(agreed) => {
            lines.push(explain_choice(secured.hello.as_ref(), agreed));
            lines.push(explain_chain(agreed));
            lines.push(explain_done(agreed, secured.took));
        }
        Err(why) => lines.push(Said::new(
            format!("TLS handshake failed after {}: {why}", millis(secured.took)),
            format!("TLS 握手失败（{}）：{why}", millis(secured.took)),
        )),
    }
    lines
}

/// Who sent `close_notify`: the TLS way to say "no more", before the FIN.
pub fn explain_close_notify(by_client: bool) -> Said {
    match by_client {
        true => Said::new(
            "TLS close_notify received from the client: it will send nothing more",
            "收到客户端的 TLS close_notify：它不会再发送数据",
        ),
        false => Said::new(
            "TLS close_notify sent by the server: the encrypted stream ends here, then the FIN",
            "服务器发送 TLS close_notify：加密数据流到此结束，随后是 FIN",
        ),
    }
}

/// One handshake message as the inspector's ladder draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    pub by_client: bool,
    pub name: &'static str,
    /// Sent under the handshake's keys: Wireshark shows it only decrypted.
    pub encrypted: bool,
}

/// The messages of `secured`, in the order they went (RFC 8446 §2 for TLS
/// 1.3, RFC 5246 §7.3 with ECDHE for 1.2): what the agreed version and a
/// full or resumed handshake send. A failed handshake is its ClientHello,
/// when it came, and the server's alert, when one was sent.
pub fn messages(secured: &Secured) -> Vec<Message> {
    let m = |by_client, name, encrypted| Message {
        by_client,
        name,
        encrypted,
    };
    let agreed = match &secured.outcome {
        Ok(agreed) => agreed,
        Err(_) => {
            let mut sent = Vec::new();
            if secured.hello.is_some() {
                sent.push(m(true, "ClientHello", false));
            }
            sent.push(m(false, "Alert", false));
            return sent;
        }
    };
    let mut sent = vec![m(true, "ClientHello", false)];
    if agreed.retried {
        sent.extend([
            m(false, "HelloRetryRequest", false),
            m(true, "ClientHello", false),
        ]);
    }
    sent.push(m(false, "ServerHello", false));
    match (agreed.version >= 0x0304, agreed.resumed) {
        (true, false) => sent.extend([
            m(false, "EncryptedExtensions", true),
            m(false, "Certificate", true),
            m(false, "CertificateVerify", true),
            m(false, "Finished", true),
            m(true, "Finished", true),
            m(false, "NewSessionTicket", true),
        ]),
        (true, true) => sent.extend([
            m(false, "EncryptedExtensions", true),
            m(false, "Finished", true),
            m(true, "Finished", true),
        ]),
        (false, false) => sent.extend([
            m(false, "Certificate", false),
            m(false, "ServerKeyExchange", false),
            m(false, "ServerHelloDone", false),
            m(true, "ClientKeyExchange", false),
            m(true, "ChangeCipherSpec", false),
            m(true, "Finished", true),
            m(false, "ChangeCipherSpec", false),
            m(false, "Finished", true),
        ]),
        (false, true) => sent.extend([
            m(false, "ChangeCipherSpec", false),
            m(false, "Finished", true),
            m(true, "ChangeCipherSpec", false),
            m(true, "Finished", true),
        ]),
    }
    sent
}

fn explain_hello(hello: &ClientHello) -> Said {
    let versions = list(hello.versions.iter().map(|&v| version_name(v)));
    let suites = hello.cipher_suites.len();
    let sni = hello.server_name.as_deref().unwrap_or("-");
    let alpn = list(hello.alpn.iter().cloned());
    let shares = list(hello.key_share_groups.iter().map(|&g| group_name(g)));
    Said::new(
        format!(
            "ClientHello: offers {versions}; {suites} cipher suites; SNI {sni}; ALPN {alpn}; \
             key shares for {shares}"
        ),
        format!(
            "ClientHello：提供版本 {versions}；{suites} 个密码套件；SNI {sni}；ALPN {alpn}；\
             为 {shares} 发送了密钥共享"
        ),
    )
}

fn explain_choice(hello: Option<&ClientHello>, agreed: &Agreed) -> Said {
    let version = version_name(agreed.version);
    let offered_higher = hello.is_some_and(|hello| {
        hello
            .versions
            .iter()
            .any(|&v| v > agreed.max_version && v <= 0x0304)
    });
    let (why_en, why_zh) = if offered_higher {
        (
            format!(
                "the client offered more, but --tls-max {} caps the server",
                version_name(agreed.max_version)
            ),
            format!(
                "客户端支持更高版本，但 --tls-max {} 限制了服务器",
                version_name(agreed.max_version)
            ),
        )
    } else {
        (
            "the highest version both sides speak".to_string(),
            "双方都支持的最高版本".to_string(),
        )
    };
    let group = agreed.group.as_deref().unwrap_or("-");
    Said::new(
        format!(
            "ServerHello: {version} ({why_en}) and {}, the first suite in the client's list \
             that the server also has; key exchange {group}",
            agreed.suite
        ),
        format!(
            "ServerHello：{version}（{why_zh}），密码套件 {}：客户端列表中服务器也支持的第一个；\
             密钥交换 {group}",
            agreed.suite
        ),
    )
}

fn explain_chain(agreed: &Agreed) -> Said {
    if agreed.resumed {
        return Said::new(
            "Certificate: none sent: the session was resumed, and the client knows the server",
            "Certificate：未发送：会话被恢复，客户端已经认识这个服务器",
        );
    }
    let (clear_en, clear_zh) = if agreed.version >= 0x0304 {
        (
            "encrypted, as everything after the ServerHello in TLS 1.3",
            "已加密（TLS 1.3 中 ServerHello 之后的一切都加密）",
        )
    } else {
        ("in clear, as in TLS 1.2", "明文（TLS 1.2 中证书不加密）")
    };
    let chain = agreed.chain.join("; ");
    Said::new(
        format!(
            "Certificate: {} sent ({clear_en}): {chain}",
            agreed.chain.len()
        ),
        format!(
            "Certificate：发送了 {} 个证书（{clear_zh}）：{chain}",
            agreed.chain.len()
        ),
    )
}

fn explain_done(agreed: &Agreed, took: Duration) -> Said {
    let took = millis(took);
    let alpn = agreed.alpn.as_deref().unwrap_or("-");
    let (kind_en, kind_zh) = match (agreed.resumed, agreed.retried) {
        (true, _) => ("resumed", "会话恢复"),
        (false, true) => (
            "full, with a HelloRetryRequest for another key share",
            "完整握手，并用 HelloRetryRequest 要了另一个密钥共享",
        ),
        (false, false) => ("full", "完整握手"),
    };
    Said::new(
        format!(
            "TLS handshake done in {took} ({kind_en}); ALPN {alpn}: HTTP/1.1 follows, encrypted"
        ),
        format!("TLS 握手完成，用时 {took}（{kind_zh}）；ALPN {alpn}：接下来是加密的 HTTP/1.1"),
    )
}

fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(", ")
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::words::assert_both;

    fn agreed(version: u16, max_version: u16, resumed: bool) -> Agreed {
        Agreed {
            version,
            max_version,
            suite: "TLS13_AES_128_GCM_SHA256".to_string(),
            group: Some("x25519".to_string()),
            alpn: Some("http/1.1".to_string()),
            resumed,
            retried: false,
            chain: vec!["CN=localhost ← CN=glasshttp local CA".to_string()].into(),
        }
    }

    #[test]
    fn every_step_of_a_handshake_is_told_in_both_languages() {
        let hello = ClientHello {
            versions: vec![0x0304, 0x0303],
            cipher_suites: vec![0x1301, 0x1302],
            server_name: Some("localhost".into()),
            alpn: vec!["h2".into(), "http/1.1".into()],
            key_share_groups: vec![0x001d],
            ..ClientHello::default()
        };
        // agreed version, cap, resumed -> a word the lines must hold
        let cases = [
            (0x0304, 0x0304, false, "highest version both sides speak"),
            (0x0303, 0x0303, false, "--tls-max TLS 1.2 caps the server"),
            (0x0303, 0x0303, false, "in clear"),
            (0x0304, 0x0304, false, "encrypted"),
            (0x0304, 0x0304, true, "resumed"),
        ];
        for (version, max, resumed, words) in cases {
            let secured = Secured {
                hello: Some(hello.clone()),
                outcome: Ok(agreed(version, max, resumed)),
                took: Duration::from_micros(1500),
            };
            let lines = explain_handshake(&secured);
            assert_eq!(lines.len(), 4);
            let all: String = lines.iter().map(|said| said.en.clone() + "\n").collect();
            assert!(all.contains(words), "{words}: {all}");
            assert!(
                all.contains("SNI localhost") && all.contains("1.500 ms"),
                "{all}"
            );
            for said in &lines {
                assert_both(&said.en, &said.zh, &said.en);
            }
        }
        let failed = Secured {
            hello: None,
            outcome: Err("received fatal alert: UnknownCA".to_string()),
            took: Duration::ZERO,
        };
        let lines = explain_handshake(&failed);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].en.contains("UnknownCA"));
        for by_client in [true, false] {
            let said = explain_close_notify(by_client);
            assert_both(&said.en, &said.zh, &said.en);
        }
    }

    #[test]
    fn the_ladder_draws_the_messages_each_version_sends() {
        let names = |version, resumed| {
            let secured = Secured {
                hello: None,
                outcome: Ok(agreed(version, 0x0304, resumed)),
                took: Duration::ZERO,
            };
            messages(&secured)
                .iter()
                .map(|m| {
                    let side = if m.by_client { "C" } else { "S" };
                    let lock = if m.encrypted { "*" } else { "" };
                    format!("{side}:{}{lock}", m.name)
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        // The textbook's TLS 1.2 trace: the Certificate and ServerHelloDone
        // in clear, the first encrypted message the client's Finished.
        assert_eq!(
            names(0x0303, false),
            "C:ClientHello S:ServerHello S:Certificate S:ServerKeyExchange S:ServerHelloDone \
             C:ClientKeyExchange C:ChangeCipherSpec C:Finished* S:ChangeCipherSpec S:Finished*"
        );
        // TLS 1.3: everything after the ServerHello encrypted.
        assert_eq!(
            names(0x0304, false),
            "C:ClientHello S:ServerHello S:EncryptedExtensions* S:Certificate* \
             S:CertificateVerify* S:Finished* C:Finished* S:NewSessionTicket*"
        );
        assert!(!names(0x0304, true).contains("Certificate"));
        let failed = Secured {
            hello: Some(ClientHello::default()),
            outcome: Err("no TLS version in common".into()),
            took: Duration::ZERO,
        };
        let sent: Vec<&str> = messages(&failed).iter().map(|m| m.name).collect();
        assert_eq!(sent, ["ClientHello", "Alert"]);
    }
}
