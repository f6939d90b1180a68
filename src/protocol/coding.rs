//! Content codings and the `Accept-Encoding` field (RFC 9110 §8.4, §12.5.3).
//!
//! [`negotiate`] picks, from the codings a resource is available in, the
//! one the client prefers: the highest weight wins, a tie goes to the
//! smaller coding (br, then gzip, then identity). `*` stands for every
//! coding the field does not name; `identity` is acceptable unless the
//! field refuses it (`identity;q=0`, or `*;q=0` without naming identity).
//! When nothing acceptable is available, or the field is absent, the answer
//! is identity: every client can read it, and RFC 9110 §12.5.3 lets a
//! server send it rather than fail.

use crate::protocol::fields::list_items;

/// A content coding this server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    Br,
    Gzip,
}

impl Coding {
    /// Every coding, the most compact first (the order ties are broken in).
    pub const ALL: [Coding; 2] = [Coding::Br, Coding::Gzip];

    /// The token in `Content-Encoding` and `Accept-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The suffix of a file precompressed in this coding (`style.css.br`).
    pub fn file_suffix(self) -> &'static str {
        match self {
            Coding::Br => ".br",
            Coding::Gzip => ".gz",
        }
    }

    /// Whether `token` names this coding (`x-gzip` is gzip, §8.4.1.3).
    fn is_named_by(self, token: &str) -> bool {
        token.eq_ignore_ascii_case(self.token())
            || (self == Coding::Gzip && token.eq_ignore_ascii_case("x-gzip"))
    }
}

/// Weights in thousandths, as qvalues are written (RFC 9110 §12.4.2).
type Weight = u16;

/// The weight the field gives a coding: the item that names it, else the
/// `*` item; `None` when neither is there.
fn weight_of(items: &[(String, Weight)], named: impl Fn(&str) -> bool) -> Option<Weight> {
    items
        .iter()
        .find(|(token, _)| named(token))
        .or_else(|| items.iter().find(|(token, _)| token == "*"))
        .map(|(_, weight)| *weight)
}

/// A qvalue: `0`, `0.` and up to three digits, `1`, or `1.` and up to three
/// zeros. Anything else is not a weight.
fn parse_qvalue(text: &str) -> Option<Weight> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: Weight = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The field's items as (coding token, weight); an item whose parameters
/// are not a valid weight is dropped, as if it were not there.
fn parse_items<'a>(values: impl Iterator<Item = &'a [u8]>) -> Vec<(String, Weight)> {
    let mut items = Vec::new();
    for value in values {
        for item in list_items(value) {
            let Ok(item) = std::str::from_utf8(item) else {
                continue;
            };
            let mut parts = item.split(';').map(str::trim);
            let token = parts.next().unwrap_or("").to_ascii_lowercase();
            if token.is_empty() {
                continue;
            }
            let mut weight = Some(1000);
            for parameter in parts {
                if let Some((name, value)) = parameter.split_once('=') {
                    if name.trim().eq_ignore_ascii_case("q") {
                        weight = parse_qvalue(value.trim());
                    }
                }
            }
            if let Some(weight) = weight {
                items.push((token, weight));
            }
        }
    }
    items
}

/// The coding to send, out of `available`, for the `Accept-Encoding`
/// field values `values` (none when the field is absent); `None` is
/// identity.
pub fn negotiate<'a>(
    values: impl Iterator<Item = &'a [u8]>,
    available: &[Coding],
) -> Option<Coding> {
    let mut values = values.peekable();
    values.peek()?;
    let items = parse_items(values);
    let identity = weight_of(&items, |token| token == "identity").unwrap_or(1);
    let mut best: Option<(Weight, Coding)> = None;
    for coding in Coding::ALL.into_iter().filter(|c| available.contains(c)) {
        let weight = weight_of(&items, |token| coding.is_named_by(token)).unwrap_or(0);
        if weight > 0 && best.is_none_or(|(top, _)| weight > top) {
            best = Some((weight, coding));
        }
    }
    // Identity keeps a tie-breaking weight of 1 when unnamed: any coding
    // the client names beats it, and it beats nothing.
    match best {
        Some((weight, coding)) if weight >= identity => Some(coding),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Coding::{Br, Gzip};

    #[test]
    fn negotiation_table() {
        let both = [Br, Gzip];
        /// Field values (`None` = field absent), available, chosen.
        type Case<'a> = (Option<&'a [&'a str]>, &'a [Coding], Option<Coding>);
        let cases: &[Case] = &[
            (None, &both, None),
            (Some(&[""]), &both, None),
            (Some(&["gzip, deflate, br"]), &both, Some(Br)),
            (Some(&["gzip, deflate, br"]), &[Gzip], Some(Gzip)),
            (Some(&["gzip, deflate, br"]), &[], None),
            (Some(&["gzip;q=1.0, br;q=0.5"]), &both, Some(Gzip)),
            (Some(&["br;q=0"]), &both, None),
            (Some(&["br;q=0, *"]), &both, Some(Gzip)),
            (Some(&["*"]), &both, Some(Br)),
            (Some(&["*;q=0"]), &both, None),
            (Some(&["identity"]), &both, None),
            (Some(&["identity;q=0"]), &both, None),
            (Some(&["identity;q=0, gzip;q=0.1"]), &both, Some(Gzip)),
            (Some(&["identity;q=1, gzip;q=0.5"]), &both, None),
            (Some(&["x-gzip"]), &both, Some(Gzip)),
            (Some(&["GZIP"]), &both, Some(Gzip)),
            (Some(&["compress, deflate, zstd"]), &both, None),
            (Some(&["br;q=2"]), &both, None),
            (Some(&["br;q=0.0001"]), &both, None),
            (Some(&["br;q=0.001"]), &both, Some(Br)),
            (Some(&["br;q=1.000"]), &both, Some(Br)),
            (Some(&["gzip", "br"]), &both, Some(Br)),
            (Some(&["gzip ; q=0.8 , br ; q=0.9"]), &both, Some(Br)),
        ];
        for (values, available, expected) in cases {
            let values: Vec<&[u8]> = values
                .map(|v| v.iter().map(|s| s.as_bytes()).collect())
                .unwrap_or_default();
            assert_eq!(
                negotiate(values.iter().copied(), available),
                *expected,
                "{values:?} {available:?}"
            );
        }
    }

    #[test]
    fn qvalue_table() {
        let cases = [
            ("1", Some(1000)),
            ("1.", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0", Some(0)),
            ("0.5", Some(500)),
            ("0.25", Some(250)),
            ("0.125", Some(125)),
            ("0.1234", None),
            ("2", None),
            ("-1", None),
            ("", None),
            ("0.x", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_qvalue(text), expected, "{text:?}");
        }
    }
}
