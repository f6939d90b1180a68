//! Field values as lists of tokens (RFC 9110 §5.6): the small helpers every
//! part that reads a field uses, so that no one compares a field value as a
//! substring.

use crate::protocol::words::Phrase;

/// The items of a comma-separated field value (RFC 9110 §5.6.1), with optional
/// whitespace trimmed and empty items skipped, as recipients must accept.
pub fn list_items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|item| !item.is_empty())
}

/// `value` without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
pub fn trim_ows(value: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &value[start..end]
}

/// `tchar` (RFC 9110 §5.6.2): the characters of a token.
pub fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Why [`parse_decimal`] refused its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalError {
    /// Empty, or something other than a digit: a sign, a space, a letter.
    NotDigits,
    /// Digits only, but more than a u64 holds.
    TooLarge,
}

/// `1*DIGIT` as a number, the one way this server reads a decimal from a
/// client (Content-Length, chunk sizes aside, range positions, ports):
/// `str::parse` would also take a leading `+`.
pub fn parse_decimal(digits: &[u8]) -> Result<u64, DecimalError> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(DecimalError::NotDigits);
    }
    digits
        .iter()
        .try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or(DecimalError::TooLarge)
}

/// A size as prose quotes it: `8 KiB`, `1 MiB`, `100 bytes`.
pub fn size_in_words(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b >= KIB * KIB && b % (KIB * KIB) == 0 => format!("{} MiB", b / (KIB * KIB)),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

/// Prose that quotes a limit, in both languages, formatted from its
/// constant the first time it is needed and kept: an explanation can then
/// stay a [`Phrase`] and still never disagree with the limit it names.
pub fn quoting_limit(
    text: &'static std::sync::OnceLock<(String, String)>,
    format: impl FnOnce() -> (String, String),
) -> Phrase {
    let (en, zh) = text.get_or_init(format);
    Phrase { en, zh }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_table() {
        let cases: &[(&str, Result<u64, DecimalError>)] = &[
            ("", Err(DecimalError::NotDigits)),
            ("+1", Err(DecimalError::NotDigits)),
            ("-1", Err(DecimalError::NotDigits)),
            (" 1", Err(DecimalError::NotDigits)),
            ("1 ", Err(DecimalError::NotDigits)),
            ("0x10", Err(DecimalError::NotDigits)),
            ("1_000", Err(DecimalError::NotDigits)),
            ("١", Err(DecimalError::NotDigits)),
            ("18446744073709551616", Err(DecimalError::TooLarge)),
            ("99999999999999999999999", Err(DecimalError::TooLarge)),
            ("0", Ok(0)),
            ("007", Ok(7)),
            ("18446744073709551615", Ok(u64::MAX)),
        ];
        for (digits, expected) in cases {
            assert_eq!(parse_decimal(digits.as_bytes()), *expected, "{digits:?}");
        }
    }

    #[test]
    fn tchar_table() {
        for byte in 0u8..=255 {
            let expected =
                byte.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(char::from(byte));
            assert_eq!(is_tchar(byte), expected, "{byte:#x}");
        }
        for separator in b"\"(),/:;<=>?@[\\]{} \t" {
            assert!(!is_tchar(*separator), "{separator}");
        }
    }

    #[test]
    fn sizes_in_words_table() {
        let cases = [
            (0, "0 bytes"),
            (100, "100 bytes"),
            (1024, "1 KiB"),
            (1536, "1536 bytes"),
            (8 * 1024, "8 KiB"),
            (1024 * 1024, "1 MiB"),
            (16 << 20, "16 MiB"),
        ];
        for (bytes, words) in cases {
            assert_eq!(size_in_words(bytes), words, "{bytes}");
        }
    }
}
