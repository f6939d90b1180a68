//! Field values as lists of tokens (RFC 9110 §5.6): the small helpers every
//! part that reads a field uses, so that no one compares a field value as a
//! substring.

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
