//! Byte ranges (RFC 9110 §14): a `Range` field evaluated against the length
//! of the file. Only the ranges are decided here; `Content-Range` and the
//! multipart framing that carry them are the protocol's
//! ([`crate::protocol::byte_range`], [`crate::protocol::multipart`]).
//!
//! [`evaluate`] answers with a [`RangeOutcome`] that carries its reason: the
//! ranges to send, "unsatisfiable" (416), or "ignored" (200) with why.
//!
//! Policy, where the RFC leaves a choice:
//! - A syntactically invalid field, or a unit other than `bytes`, is ignored
//!   (RFC 9110 §14.2 lets a server ignore Range).
//! - An empty file ignores Range and is sent whole (200, no content): some
//!   clients send a Range with every request, and a 416 for an empty file
//!   would only confuse them. Go's file server does the same.
//! - More than [`MAX_RANGES`] ranges, or satisfiable ranges whose lengths add
//!   up to more than the file, are ignored and the file is sent once (200), so
//!   one request cannot make the server send a file many times over — the
//!   "Apache killer" (CVE-2011-3192).
//! - Otherwise, parts are sent in request order, unsatisfiable ones dropped,
//!   as RFC 9110 §14.6 asks; nothing is reordered.

use crate::protocol::byte_range::ByteRange;
use crate::protocol::fields::{is_tchar, parse_decimal, trim_ows, DecimalError};
use crate::protocol::words::{phrase, Phrase};

/// Most range-specs accepted in one `Range` field before it is ignored.
pub const MAX_RANGES: usize = 16;

/// Why a `Range` field was ignored and the whole file sent (200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// A range unit other than `bytes`.
    OtherUnit,
    /// Not a valid `ranges-specifier`.
    Invalid,
    /// The file is empty.
    EmptyFile,
    /// More than [`MAX_RANGES`] range-specs.
    TooManyRanges,
    /// The satisfiable ranges add up to more than the file.
    ExceedsFile,
    /// `If-Range` did not match the current validator (RFC 9110 §13.1.5).
    IfRangeMismatch,
}

impl Ignored {
    /// The reason in plain words, in both languages.
    pub fn describe(self) -> Phrase {
        match self {
            Ignored::OtherUnit => phrase("range unit other than bytes", "范围单位不是 bytes"),
            Ignored::Invalid => phrase("invalid Range syntax", "Range 的语法无效"),
            Ignored::EmptyFile => phrase("the file is empty", "文件是空的"),
            Ignored::TooManyRanges => phrase("more than 16 ranges", "范围超过 16 个"),
            Ignored::ExceedsFile => phrase(
                "ranges add up to more than the file",
                "各范围加起来比文件还大",
            ),
            Ignored::IfRangeMismatch => phrase(
                "If-Range does not match the current validator",
                "If-Range 与当前的验证器不匹配",
            ),
        }
    }
}

/// What to do with a `Range` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    /// No `Range` field: send the whole file (200).
    Absent,
    /// Send the whole file (200), for this reason.
    Ignored(Ignored),
    /// Send these ranges (206), in request order; one or more.
    Partial(Vec<ByteRange>),
    /// No range overlaps the file (416).
    Unsatisfiable,
}

/// A range-spec before it meets the file's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeSpec {
    /// `first-last`.
    Closed(u64, u64),
    /// `first-`.
    From(u64),
    /// `-suffix`: the last `suffix` bytes.
    Suffix(u64),
}

/// Evaluates a `Range` field value against a file of `size` bytes.
pub fn evaluate(value: &[u8], size: u64) -> RangeOutcome {
    let specs = match parse_specs(value) {
        Ok(specs) => specs,
        Err(reason) => return RangeOutcome::Ignored(reason),
    };
    if specs.len() > MAX_RANGES {
        return RangeOutcome::Ignored(Ignored::TooManyRanges);
    }
    if size == 0 {
        return RangeOutcome::Ignored(Ignored::EmptyFile);
    }
    let ranges: Vec<ByteRange> = specs
        .into_iter()
        .filter_map(|spec| resolve(spec, size))
        .collect();
    if ranges.is_empty() {
        return RangeOutcome::Unsatisfiable;
    }
    let total = ranges
        .iter()
        .fold(0u64, |sum, range| sum.saturating_add(range.byte_count()));
    if total > size {
        return RangeOutcome::Ignored(Ignored::ExceedsFile);
    }
    RangeOutcome::Partial(ranges)
}

/// `ranges-specifier = range-unit "=" range-set` (RFC 9110 §14.1.1).
fn parse_specs(value: &[u8]) -> Result<Vec<RangeSpec>, Ignored> {
    let value = std::str::from_utf8(trim_ows(value)).map_err(|_| Ignored::Invalid)?;
    let (unit, set) = value.split_once('=').ok_or(Ignored::Invalid)?;
    if !unit.eq_ignore_ascii_case("bytes") {
        let is_token = !unit.is_empty() && unit.bytes().all(is_tchar);
        return Err(if is_token {
            Ignored::OtherUnit
        } else {
            Ignored::Invalid
        });
    }
    let mut specs = Vec::new();
    // Empty list members are allowed (RFC 9110 §5.6.1), as is whitespace
    // around the dash, which Go and nginx accept too.
    for item in set.split(',').map(|item| item.trim_matches([' ', '\t'])) {
        if item.is_empty() {
            continue;
        }
        if specs.len() == MAX_RANGES {
            // Stop parsing early: the field is ignored either way.
            specs.push(RangeSpec::From(0));
            break;
        }
        let (first, last) = item.split_once('-').ok_or(Ignored::Invalid)?;
        let (first, last) = (
            first.trim_end_matches([' ', '\t']),
            last.trim_start_matches([' ', '\t']),
        );
        let spec = match (first.is_empty(), last.is_empty()) {
            (true, true) => return Err(Ignored::Invalid),
            (true, false) => RangeSpec::Suffix(parse_position(last)?),
            (false, true) => RangeSpec::From(parse_position(first)?),
            (false, false) => {
                let (first, last) = (parse_position(first)?, parse_position(last)?);
                // RFC 9110 §14.1.1: last-pos below first-pos makes the spec invalid.
                if last < first {
                    return Err(Ignored::Invalid);
                }
                RangeSpec::Closed(first, last)
            }
        };
        specs.push(spec);
    }
    if specs.is_empty() {
        return Err(Ignored::Invalid);
    }
    Ok(specs)
}

/// `1*DIGIT`; a number too large for 64 bits is still a valid position, and
/// saturates (it lies beyond any file).
fn parse_position(digits: &str) -> Result<u64, Ignored> {
    match parse_decimal(digits.as_bytes()) {
        Ok(position) => Ok(position),
        // A position past any file's end is still a position: it clips.
        Err(DecimalError::TooLarge) => Ok(u64::MAX),
        Err(DecimalError::NotDigits) => Err(Ignored::Invalid),
    }
}

/// Clips a spec to a file of `size` (> 0) bytes; `None` when unsatisfiable
/// (RFC 9110 §14.1.1: a first-pos at or past the end, or a zero suffix).
fn resolve(spec: RangeSpec, size: u64) -> Option<ByteRange> {
    let last = size - 1;
    match spec {
        RangeSpec::Closed(first, _) | RangeSpec::From(first) if first > last => None,
        RangeSpec::Closed(first, end) => Some(ByteRange {
            start: first,
            end: end.min(last),
        }),
        RangeSpec::From(first) => Some(ByteRange {
            start: first,
            end: last,
        }),
        RangeSpec::Suffix(0) => None,
        RangeSpec::Suffix(n) => Some(ByteRange {
            start: size.saturating_sub(n),
            end: last,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    #[test]
    fn range_fields_table() {
        use self::Ignored::*;
        use RangeOutcome::{Ignored, Partial, Unsatisfiable};
        let seventeen = format!("bytes={}", ["0-0"; 17].join(","));
        let sixteen = format!("bytes={}", ["0-0"; 16].join(","));
        let cases: Vec<(&str, u64, RangeOutcome)> = vec![
            // Garbage first.
            ("", 100, Ignored(Invalid)),
            ("bytes", 100, Ignored(Invalid)),
            ("bytes=", 100, Ignored(Invalid)),
            ("bytes=,", 100, Ignored(Invalid)),
            ("bytes=-", 100, Ignored(Invalid)),
            ("bytes=abc", 100, Ignored(Invalid)),
            ("bytes=1-2-3", 100, Ignored(Invalid)),
            ("bytes=+1-2", 100, Ignored(Invalid)),
            ("bytes=0x1-2", 100, Ignored(Invalid)),
            ("bytes=5-1", 100, Ignored(Invalid)),
            ("bytes=0-1,5-1", 100, Ignored(Invalid)),
            ("bytes=--1", 100, Ignored(Invalid)),
            ("bytes 0-1", 100, Ignored(Invalid)),
            ("by tes=0-1", 100, Ignored(Invalid)),
            ("items=0-1", 100, Ignored(OtherUnit)),
            ("none", 100, Ignored(Invalid)),
            // Then valid fields.
            ("bytes=0-0", 100, Partial(vec![r(0, 0)])),
            ("bytes=0-49", 100, Partial(vec![r(0, 49)])),
            ("bytes=50-", 100, Partial(vec![r(50, 99)])),
            ("bytes=-10", 100, Partial(vec![r(90, 99)])),
            ("bytes=0-", 100, Partial(vec![r(0, 99)])),
            ("bytes=90-200", 100, Partial(vec![r(90, 99)])),
            ("bytes=-200", 100, Partial(vec![r(0, 99)])),
            ("bytes=99-99", 100, Partial(vec![r(99, 99)])),
            (
                "bytes=0-99999999999999999999999",
                100,
                Partial(vec![r(0, 99)]),
            ),
            (
                "bytes=0-9,20-29,-5",
                100,
                Partial(vec![r(0, 9), r(20, 29), r(95, 99)]),
            ),
            ("bytes=20-29,0-9", 100, Partial(vec![r(20, 29), r(0, 9)])),
            ("BYTES=0-1", 100, Partial(vec![r(0, 1)])),
            // Unsatisfiable specs are dropped; none left is a 416.
            ("bytes=100-", 100, Unsatisfiable),
            ("bytes=100-200", 100, Unsatisfiable),
            ("bytes=-0", 100, Unsatisfiable),
            ("bytes=99999999999999999999999-", 100, Unsatisfiable),
            ("bytes=100-,-0", 100, Unsatisfiable),
            ("bytes=0-1,100-", 100, Partial(vec![r(0, 1)])),
            // Policy: empty files, too many ranges, overlapping abuse.
            ("bytes=0-", 0, Ignored(EmptyFile)),
            ("bytes=-5", 0, Ignored(EmptyFile)),
            (&seventeen, 100, Ignored(TooManyRanges)),
            (&sixteen, 100, Partial(vec![r(0, 0); 16])),
            ("bytes=0-,0-", 100, Ignored(ExceedsFile)),
            ("bytes=0-60,40-99", 100, Ignored(ExceedsFile)),
            ("bytes=0-49,50-99", 100, Partial(vec![r(0, 49), r(50, 99)])),
            // And the lax forms peers accept.
            ("bytes= 0-1 , ,2-3,", 100, Partial(vec![r(0, 1), r(2, 3)])),
            ("bytes=0 - 1", 100, Partial(vec![r(0, 1)])),
            (" bytes=1-2 ", 100, Partial(vec![r(1, 2)])),
        ];
        for (value, size, expected) in cases {
            assert_eq!(
                evaluate(value.as_bytes(), size),
                expected,
                "{value:?} on {size} bytes"
            );
        }
    }
}
