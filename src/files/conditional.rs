//! Conditional requests (RFC 9110 §8.8, §13): validators, entity-tag
//! comparison, and the evaluation of preconditions in the RFC's order.
//!
//! # Validators
//! `Last-Modified` is the file's modification time in whole seconds, the
//! resolution of an HTTP-date. The `ETag` is strong (RFC 9110 §8.8.1: it
//! changes whenever the content does) and made of the file's size, its
//! modification time in nanoseconds and its identity, in hex
//! (`"2c-18eae544bc1c445a-9b2f0c1d3e4a5f60"`): any write changes the
//! modification time; the size is there because some file systems keep
//! coarse times; the identity ([`FileIdentity::tag`]: device, inode and
//! change time on Unix; volume, file index and creation time on Windows)
//! because a different file of the same size can keep the old time (`cp
//! -p`, `tar`, `rsync -t`) but not the old inode or file index. The tag is cheap (one `fstat`) and
//! needs no read of the content; its limit is that two different writes of
//! the same length within one tick of the file system's clock, in place,
//! would share a tag.
//!
//! # Evaluation
//! Each conditional field has its own small check with a three-valued answer
//! ([`Condition`]: absent, true or false), and [`evaluate`] applies them in
//! the order of RFC 9110 §13.2.2. `If-Range` is evaluated separately, by
//! [`if_range_matches`], when a Range is about to be served.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::protocol::coding::Coding;
use crate::protocol::fields::trim_ows;
use crate::protocol::words::{phrase, Phrase};
use crate::protocol::{Method, Request};
use crate::sys::FileStamp;

/// An entity-tag (RFC 9110 §8.8.3): an opaque quoted string, maybe weak.
/// Parsed from a request, it borrows the request's bytes; a file's own tag
/// owns its characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag<'a> {
    /// `W/` was present.
    pub weak: bool,
    /// The characters between the quotes.
    pub opaque: Cow<'a, str>,
}

impl EntityTag<'static> {
    /// A strong tag of these characters (`"…"`): the same bytes whenever it
    /// matches.
    pub fn strong(opaque: String) -> EntityTag<'static> {
        EntityTag {
            weak: false,
            opaque: Cow::Owned(opaque),
        }
    }

    /// A weak tag (`W/"…"`): the same meaning, not necessarily the same bytes.
    pub fn weak(opaque: String) -> EntityTag<'static> {
        EntityTag {
            weak: true,
            opaque: Cow::Owned(opaque),
        }
    }
}

impl fmt::Display for EntityTag<'_> {
    /// The tag as the ETag field writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let weak = if self.weak { "W/" } else { "" };
        write!(f, "{weak}\"{}\"", self.opaque)
    }
}

impl EntityTag<'_> {
    /// The tag as the ETag field writes it, in one allocation of the right
    /// size (`to_string` grows its buffer three times, for every response).
    pub fn to_field(&self) -> String {
        let mut field = String::with_capacity(self.opaque.len() + 4);
        if self.weak {
            field.push_str("W/");
        }
        field.push('"');
        field.push_str(&self.opaque);
        field.push('"');
        field
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong, same characters.
    pub fn strong_eq(&self, other: &EntityTag<'_>) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// Weak comparison: same characters, either may be weak.
    pub fn weak_eq(&self, other: &EntityTag<'_>) -> bool {
        self.opaque == other.opaque
    }
}

/// Parses one entity-tag at the start of `input`; returns it and the rest.
pub fn parse_entity_tag(input: &str) -> Option<(EntityTag<'_>, &str)> {
    let (weak, rest) = match input.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let opaque = &rest[..end];
    // etagc = %x21 / %x23-7E / obs-text: no space, no control, no quote.
    if opaque.bytes().any(|b| b <= 0x20 || b == 0x7f) {
        return None;
    }
    let opaque = Cow::Borrowed(opaque);
    Some((EntityTag { weak, opaque }, &rest[end + 1..]))
}

/// The two ways of comparing entity-tags (RFC 9110 §8.8.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Strong,
    Weak,
}

impl Comparison {
    /// Whether `a` and `b` match under this comparison.
    pub fn matches(self, a: &EntityTag<'_>, b: &EntityTag<'_>) -> bool {
        match self {
            Comparison::Strong => a.strong_eq(b),
            Comparison::Weak => a.weak_eq(b),
        }
    }
}

/// How a list of entity-tags (`If-Match`, `If-None-Match`) relates to the
/// current tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListMatch {
    /// The list is `*`.
    Any,
    /// Some tag in the list matched.
    Matched,
    /// No tag matched.
    NoMatch,
    /// The list could not be parsed.
    Malformed,
}

/// Walks the list in every field line named by `values` without collecting
/// it (RFC 9110 §5.3: several lines are one comma-separated list).
fn match_list(values: &[&[u8]], current: &EntityTag<'_>, comparison: Comparison) -> ListMatch {
    let mut matched = false;
    let mut seen_any = false;
    let mut seen_tag = false;
    for value in values {
        let Ok(mut rest) = std::str::from_utf8(trim_ows(value)) else {
            return ListMatch::Malformed;
        };
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix('*') {
                seen_any = true;
                rest = after;
            } else {
                let Some((tag, after)) = parse_entity_tag(rest) else {
                    return ListMatch::Malformed;
                };
                seen_tag = true;
                matched |= comparison.matches(&tag, current);
                rest = after;
            }
            // Between members only whitespace and a comma may stand.
            let after_ws = rest.trim_start_matches([' ', '\t']);
            if !after_ws.is_empty() && !after_ws.starts_with(',') {
                return ListMatch::Malformed;
            }
            rest = after_ws;
        }
    }
    match (seen_any, seen_tag) {
        (true, false) => ListMatch::Any,
        (true, true) => ListMatch::Malformed,
        _ if matched => ListMatch::Matched,
        (false, true) => ListMatch::NoMatch,
        // A present but empty field names no tag at all.
        (false, false) => ListMatch::Malformed,
    }
}

/// The validators of the current representation (a file), with the two
/// fields that write them made once: a cached file's answers all share
/// them, so no answer formats its `ETag` or `Last-Modified` again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The entity-tag as the `ETag` field writes it (`"…"` or `W/"…"`).
    etag_field: Arc<str>,
    /// The modification time truncated to whole seconds, if the file system has one.
    pub last_modified: Option<SystemTime>,
    /// The `Last-Modified` field value of that time.
    last_modified_field: Option<Arc<str>>,
}

impl Validators {
    /// The validators of a representation tagged `etag`, last changed at
    /// `last_modified` (whole seconds).
    pub fn new(etag: &EntityTag<'_>, last_modified: Option<SystemTime>) -> Validators {
        Validators {
            etag_field: etag.to_field().into(),
            last_modified,
            last_modified_field: last_modified.map(|time| httpdate::fmt_http_date(time).into()),
        }
    }

    /// The entity-tag, read back from its field (which only [`Self::new`]
    /// writes, from a tag).
    pub fn etag(&self) -> EntityTag<'_> {
        let weak = self.etag_field.starts_with("W/");
        let quoted = self.etag_field.trim_start_matches("W/");
        let opaque = Cow::Borrowed(quoted.trim_matches('"'));
        EntityTag { weak, opaque }
    }

    /// The `ETag` field value, shared.
    pub fn etag_field(&self) -> Arc<str> {
        Arc::clone(&self.etag_field)
    }

    /// The `Last-Modified` field value, shared.
    pub fn last_modified_field(&self) -> Option<Arc<str>> {
        self.last_modified_field.clone()
    }

    /// The validators of this file version compressed in `coding`: the same
    /// time, and a strong tag of its own (`"…-br"`), so that no cache mixes
    /// the coded bytes with the file's (RFC 9110 §8.8.3).
    pub fn for_coding(&self, coding: Coding) -> Validators {
        let tag = EntityTag::strong(format!("{}-{}", self.etag().opaque, coding.token()));
        Validators {
            etag_field: tag.to_field().into(),
            ..self.clone()
        }
    }

    /// The validators of the file version `stamp` (see the module doc).
    pub fn of(stamp: &FileStamp) -> Validators {
        let modified = stamp
            .modified
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        let tag = EntityTag::strong(format!(
            "{:x}-{:x}-{:x}",
            stamp.size,
            modified.map_or(0, |d| d.as_nanos()),
            stamp.identity.tag()
        ));
        let last_modified = modified.map(|d| UNIX_EPOCH + Duration::from_secs(d.as_secs()));
        Validators::new(&tag, last_modified)
    }
}

/// The conditional fields of a request, as received.
#[derive(Debug, Clone, Default)]
pub struct Conditions<'a> {
    /// Every `If-Match` line; empty when absent.
    pub if_match: Vec<&'a [u8]>,
    /// Every `If-None-Match` line; empty when absent.
    pub if_none_match: Vec<&'a [u8]>,
    /// Every `If-Modified-Since` line; more than one makes it invalid.
    pub if_modified_since: Vec<&'a [u8]>,
    /// Every `If-Unmodified-Since` line; more than one makes it invalid.
    pub if_unmodified_since: Vec<&'a [u8]>,
    /// Every `If-Range` line; more than one makes it invalid.
    pub if_range: Vec<&'a [u8]>,
}

impl<'a> Conditions<'a> {
    /// Collects the conditional fields of `request`.
    pub fn from_request(request: &'a Request) -> Conditions<'a> {
        Conditions {
            if_match: request.field_values("if-match").collect(),
            if_none_match: request.field_values("if-none-match").collect(),
            if_modified_since: request.field_values("if-modified-since").collect(),
            if_unmodified_since: request.field_values("if-unmodified-since").collect(),
            if_range: request.field_values("if-range").collect(),
        }
    }
}

/// The answer of one conditional field (as Go's `condResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// The field is absent, or must be ignored.
    Absent,
    True,
    False,
}

/// Which precondition decided, for the response, the log and the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `If-Match` named no current tag (strong comparison), or was malformed.
    IfMatchFailed,
    /// The file changed after the `If-Unmodified-Since` date.
    ModifiedSince,
    /// `If-None-Match` matched the current tag (weak comparison), or was `*`.
    IfNoneMatchMatched,
    /// The file has not changed since the `If-Modified-Since` date.
    NotModifiedSince,
}

/// The four precondition fields, in the order RFC 9110 §13.2.2 evaluates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    IfMatch,
    IfUnmodifiedSince,
    IfNoneMatch,
    IfModifiedSince,
}

impl Field {
    const ALL: [Field; 4] = [
        Field::IfMatch,
        Field::IfUnmodifiedSince,
        Field::IfNoneMatch,
        Field::IfModifiedSince,
    ];

    /// The field name as written.
    pub fn name(self) -> &'static str {
        match self {
            Field::IfMatch => "If-Match",
            Field::IfUnmodifiedSince => "If-Unmodified-Since",
            Field::IfNoneMatch => "If-None-Match",
            Field::IfModifiedSince => "If-Modified-Since",
        }
    }
}

/// The precondition fields [`evaluate`] looked at: present, and reached in
/// the RFC's order (`If-Unmodified-Since` is skipped when `If-Match` is
/// present, `If-Modified-Since` when `If-None-Match` is, or for a method
/// other than GET and HEAD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evaluated {
    bits: u8,
}

impl Evaluated {
    fn with(self, field: Field) -> Evaluated {
        Evaluated {
            bits: self.bits | 1 << field as u8,
        }
    }

    /// Whether no field was looked at (none was sent).
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The fields looked at, in the RFC's order.
    pub fn fields(self) -> impl Iterator<Item = Field> {
        Field::ALL
            .into_iter()
            .filter(move |field| self.bits & 1 << *field as u8 != 0)
    }
}

impl Reason {
    /// The field that decided.
    pub fn field(self) -> Field {
        match self {
            Reason::IfMatchFailed => Field::IfMatch,
            Reason::ModifiedSince => Field::IfUnmodifiedSince,
            Reason::IfNoneMatchMatched => Field::IfNoneMatch,
            Reason::NotModifiedSince => Field::IfModifiedSince,
        }
    }

    /// The reason in plain words, in both languages.
    pub fn describe(self) -> Phrase {
        match self {
            Reason::IfMatchFailed => phrase(
                "If-Match does not match the current ETag",
                "If-Match 与当前的 ETag 不匹配",
            ),
            Reason::ModifiedSince => phrase(
                "the file was modified after If-Unmodified-Since",
                "文件在 If-Unmodified-Since 给出的时间之后被修改过",
            ),
            Reason::IfNoneMatchMatched => phrase(
                "If-None-Match matches the current ETag",
                "If-None-Match 与当前的 ETag 匹配",
            ),
            Reason::NotModifiedSince => phrase(
                "the file is not modified since If-Modified-Since",
                "文件自 If-Modified-Since 给出的时间以来没有修改",
            ),
        }
    }
}

/// The outcome of the preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No precondition stopped the request; these fields were looked at.
    Proceed(Evaluated),
    /// Answer 304 Not Modified.
    NotModified(Reason),
    /// Answer 412 Precondition Failed.
    Failed(Reason),
}

/// Evaluates the preconditions in the order of RFC 9110 §13.2.2. Call only
/// for an existing file: RFC 9110 §13.2.1 has every other response (404…)
/// take precedence. `now` rejects dates in the future.
pub fn evaluate(
    method: Method,
    conditions: &Conditions<'_>,
    validators: &Validators,
    now: SystemTime,
) -> Precondition {
    let mut evaluated = Evaluated::default();
    // Step 1 and 2: If-Match, or else If-Unmodified-Since.
    if !conditions.if_match.is_empty() {
        evaluated = evaluated.with(Field::IfMatch);
        if check_if_match(conditions, validators) == Condition::False {
            return Precondition::Failed(Reason::IfMatchFailed);
        }
    } else if !conditions.if_unmodified_since.is_empty() {
        evaluated = evaluated.with(Field::IfUnmodifiedSince);
        if check_if_unmodified_since(conditions, validators) == Condition::False {
            return Precondition::Failed(Reason::ModifiedSince);
        }
    }
    // Step 3 and 4: If-None-Match, or else If-Modified-Since (GET, HEAD).
    let is_get_or_head = matches!(method, Method::Get | Method::Head);
    if !conditions.if_none_match.is_empty() {
        evaluated = evaluated.with(Field::IfNoneMatch);
        if check_if_none_match(conditions, validators) == Condition::False {
            return if is_get_or_head {
                Precondition::NotModified(Reason::IfNoneMatchMatched)
            } else {
                Precondition::Failed(Reason::IfNoneMatchMatched)
            };
        }
    } else if is_get_or_head && !conditions.if_modified_since.is_empty() {
        evaluated = evaluated.with(Field::IfModifiedSince);
        if check_if_modified_since(conditions, validators, now) == Condition::False {
            return Precondition::NotModified(Reason::NotModifiedSince);
        }
    }
    Precondition::Proceed(evaluated)
}

/// RFC 9110 §13.1.1: true when the list is `*` or names the current tag by
/// strong comparison. A malformed list is false, as it cannot name the tag.
pub fn check_if_match(conditions: &Conditions<'_>, validators: &Validators) -> Condition {
    if conditions.if_match.is_empty() {
        return Condition::Absent;
    }
    match match_list(&conditions.if_match, &validators.etag(), Comparison::Strong) {
        ListMatch::Any | ListMatch::Matched => Condition::True,
        ListMatch::NoMatch | ListMatch::Malformed => Condition::False,
    }
}

/// RFC 9110 §13.1.2: false when the list is `*` or names the current tag by
/// weak comparison. A malformed list names nothing, so it is true.
pub fn check_if_none_match(conditions: &Conditions<'_>, validators: &Validators) -> Condition {
    if conditions.if_none_match.is_empty() {
        return Condition::Absent;
    }
    match match_list(
        &conditions.if_none_match,
        &validators.etag(),
        Comparison::Weak,
    ) {
        ListMatch::Any | ListMatch::Matched => Condition::False,
        ListMatch::NoMatch | ListMatch::Malformed => Condition::True,
    }
}

/// RFC 9110 §13.1.4: true when the file was not modified after the date.
/// Ignored when the date is invalid, repeated, or the file has no time.
pub fn check_if_unmodified_since(
    conditions: &Conditions<'_>,
    validators: &Validators,
) -> Condition {
    let (Some(date), Some(modified)) = (
        single_date(&conditions.if_unmodified_since),
        validators.last_modified,
    ) else {
        return Condition::Absent;
    };
    if modified <= date {
        Condition::True
    } else {
        Condition::False
    }
}

/// RFC 9110 §13.1.3: false when the file was not modified after the date.
/// Ignored when the date is invalid, repeated, in the future (the client's
/// clock cannot have seen it), or the file has no time.
pub fn check_if_modified_since(
    conditions: &Conditions<'_>,
    validators: &Validators,
    now: SystemTime,
) -> Condition {
    let (Some(date), Some(modified)) = (
        single_date(&conditions.if_modified_since),
        validators.last_modified,
    ) else {
        return Condition::Absent;
    };
    if date > now {
        return Condition::Absent;
    }
    if modified <= date {
        Condition::False
    } else {
        Condition::True
    }
}

/// RFC 9110 §13.1.5: whether a Range may be served. True when `If-Range` is
/// absent, names the current tag by strong comparison (a weak tag never
/// matches), or is an HTTP-date exactly equal to `Last-Modified`. Anything
/// else, malformed or repeated included, means "send the whole file".
pub fn if_range_matches(conditions: &Conditions<'_>, validators: &Validators) -> bool {
    let value = match conditions.if_range.as_slice() {
        [] => return true,
        [value] => trim_ows(value),
        _ => return false,
    };
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    if value.starts_with('"') || value.starts_with("W/") {
        return match parse_entity_tag(value) {
            Some((tag, "")) => tag.strong_eq(&validators.etag()),
            _ => false,
        };
    }
    match (httpdate::parse_http_date(value), validators.last_modified) {
        (Ok(date), Some(modified)) => date == modified,
        _ => false,
    }
}

/// The one valid HTTP-date in `values`, if there is exactly one.
fn single_date(values: &[&[u8]]) -> Option<SystemTime> {
    let [value] = values else {
        return None;
    };
    let text = std::str::from_utf8(trim_ows(value)).ok()?;
    httpdate::parse_http_date(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"5-abc\"";

    fn validators() -> Validators {
        let modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        Validators::new(&parse_entity_tag(TAG).unwrap().0, Some(modified))
    }

    /// The file's Last-Modified, one second before and after, and "now".
    const MODIFIED: &str = "Tue, 14 Nov 2023 22:13:20 GMT";
    const BEFORE: &str = "Tue, 14 Nov 2023 22:13:19 GMT";
    const AFTER: &str = "Tue, 14 Nov 2023 22:13:21 GMT";
    const FUTURE: &str = "Fri, 01 Jan 2100 00:00:00 GMT";

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn entity_tag_comparison_follows_rfc_9110_8_8_3_2() {
        // The RFC's own table: (a, b, strong, weak).
        let cases = [
            ("W/\"1\"", "W/\"1\"", false, true),
            ("W/\"1\"", "W/\"2\"", false, false),
            ("W/\"1\"", "\"1\"", false, true),
            ("\"1\"", "\"1\"", true, true),
        ];
        for (a, b, strong, weak) in cases {
            let (a_tag, _) = parse_entity_tag(a).unwrap();
            let (b_tag, _) = parse_entity_tag(b).unwrap();
            assert_eq!(a_tag.strong_eq(&b_tag), strong, "{a} {b} strong");
            assert_eq!(a_tag.weak_eq(&b_tag), weak, "{a} {b} weak");
        }
    }

    #[test]
    fn entity_tags_parse() {
        // (input, Some((weak, opaque, rest)) or None)
        type Parsed<'a> = Option<(bool, &'a str, &'a str)>;
        let cases: [(&str, Parsed); 9] = [
            ("", None),
            ("abc", None),
            ("\"unterminated", None),
            ("w/\"lower-w\"", None),
            ("\"sp ace\"", None),
            ("\"\"", Some((false, "", ""))),
            ("\"a,b\", \"c\"", Some((false, "a,b", ", \"c\""))),
            ("W/\"weak\"", Some((true, "weak", ""))),
            ("\"x\"rest", Some((false, "x", "rest"))),
        ];
        for (input, expected) in cases {
            let got = parse_entity_tag(input).map(|(tag, rest)| (tag.weak, tag.opaque, rest));
            let expected = expected.map(|(weak, opaque, rest)| (weak, Cow::Borrowed(opaque), rest));
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn tag_lists_match_table() {
        let current = EntityTag::strong("5-abc".into());
        let cases: &[(&[&str], ListMatch, ListMatch)] = &[
            // Garbage first: (lines, strong result, weak result).
            (&[""], ListMatch::Malformed, ListMatch::Malformed),
            (&["5-abc"], ListMatch::Malformed, ListMatch::Malformed),
            (&["\"5-abc"], ListMatch::Malformed, ListMatch::Malformed),
            (
                &["\"a\" \"5-abc\""],
                ListMatch::Malformed,
                ListMatch::Malformed,
            ),
            (
                &["*, \"5-abc\""],
                ListMatch::Malformed,
                ListMatch::Malformed,
            ),
            (&["\"a\";"], ListMatch::Malformed, ListMatch::Malformed),
            // Then valid lists.
            (&["*"], ListMatch::Any, ListMatch::Any),
            (&["\"5-abc\""], ListMatch::Matched, ListMatch::Matched),
            (&["W/\"5-abc\""], ListMatch::NoMatch, ListMatch::Matched),
            (&["\"other\""], ListMatch::NoMatch, ListMatch::NoMatch),
            (
                &["\"a\", \"5-abc\""],
                ListMatch::Matched,
                ListMatch::Matched,
            ),
            (
                &["\"a\"", "\"5-abc\""],
                ListMatch::Matched,
                ListMatch::Matched,
            ),
            (&["\"a,5-abc\""], ListMatch::NoMatch, ListMatch::NoMatch),
            // And the lax forms: empty members and odd whitespace.
            (&[" , \"5-abc\" ,,"], ListMatch::Matched, ListMatch::Matched),
            (&["\"a\"\t,\t\"b\""], ListMatch::NoMatch, ListMatch::NoMatch),
        ];
        for (lines, strong, weak) in cases {
            let values: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
            assert_eq!(
                match_list(&values, &current, Comparison::Strong),
                *strong,
                "strong {lines:?}"
            );
            assert_eq!(
                match_list(&values, &current, Comparison::Weak),
                *weak,
                "weak {lines:?}"
            );
        }
    }

    /// A request's conditional fields, one line each, by name.
    fn conditions<'a>(fields: &[(&str, &'a str)]) -> Conditions<'a> {
        let mut c = Conditions::default();
        for (name, value) in fields {
            let list = match *name {
                "If-Match" => &mut c.if_match,
                "If-None-Match" => &mut c.if_none_match,
                "If-Modified-Since" => &mut c.if_modified_since,
                "If-Unmodified-Since" => &mut c.if_unmodified_since,
                "If-Range" => &mut c.if_range,
                other => panic!("not a conditional field: {other}"),
            };
            list.push(value.as_bytes());
        }
        c
    }

    /// `Proceed`'s record of the fields [`evaluate`] looked at.
    fn looked(fields: &[Field]) -> Evaluated {
        fields
            .iter()
            .fold(Evaluated::default(), |evaluated, field| {
                evaluated.with(*field)
            })
    }

    #[test]
    fn preconditions_are_evaluated_in_rfc_order() {
        use Precondition::*;
        use Reason::*;
        type Fields<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(&str, Method, Fields, Precondition)] = &[
            ("nothing sent", Method::Get, &[], Proceed(looked(&[]))),
            // Step 1: If-Match.
            (
                "If-Match current",
                Method::Get,
                &[("If-Match", TAG)],
                Proceed(looked(&[Field::IfMatch])),
            ),
            (
                "If-Match star",
                Method::Get,
                &[("If-Match", "*")],
                Proceed(looked(&[Field::IfMatch])),
            ),
            (
                "If-Match other",
                Method::Get,
                &[("If-Match", "\"x\"")],
                Failed(IfMatchFailed),
            ),
            (
                "If-Match weak never matches",
                Method::Get,
                &[("If-Match", "W/\"5-abc\"")],
                Failed(IfMatchFailed),
            ),
            (
                "If-Match malformed",
                Method::Get,
                &[("If-Match", "5-abc")],
                Failed(IfMatchFailed),
            ),
            // Step 2: If-Unmodified-Since, only without If-Match.
            (
                "IUS at Last-Modified",
                Method::Get,
                &[("If-Unmodified-Since", MODIFIED)],
                Proceed(looked(&[Field::IfUnmodifiedSince])),
            ),
            (
                "IUS after",
                Method::Get,
                &[("If-Unmodified-Since", AFTER)],
                Proceed(looked(&[Field::IfUnmodifiedSince])),
            ),
            (
                "IUS before",
                Method::Get,
                &[("If-Unmodified-Since", BEFORE)],
                Failed(ModifiedSince),
            ),
            (
                "IUS invalid is ignored",
                Method::Get,
                &[("If-Unmodified-Since", "yesterday")],
                Proceed(looked(&[Field::IfUnmodifiedSince])),
            ),
            (
                "If-Match true overrides IUS",
                Method::Get,
                &[("If-Match", TAG), ("If-Unmodified-Since", BEFORE)],
                Proceed(looked(&[Field::IfMatch])),
            ),
            (
                "If-Match false wins over IUS",
                Method::Get,
                &[("If-Match", "\"x\""), ("If-Unmodified-Since", AFTER)],
                Failed(IfMatchFailed),
            ),
            // Step 3: If-None-Match.
            (
                "INM current",
                Method::Get,
                &[("If-None-Match", TAG)],
                NotModified(IfNoneMatchMatched),
            ),
            (
                "INM weak form matches",
                Method::Get,
                &[("If-None-Match", "W/\"5-abc\"")],
                NotModified(IfNoneMatchMatched),
            ),
            (
                "INM in a list",
                Method::Head,
                &[("If-None-Match", "\"x\", \"5-abc\"")],
                NotModified(IfNoneMatchMatched),
            ),
            (
                "INM star",
                Method::Get,
                &[("If-None-Match", "*")],
                NotModified(IfNoneMatchMatched),
            ),
            (
                "INM other",
                Method::Get,
                &[("If-None-Match", "\"x\"")],
                Proceed(looked(&[Field::IfNoneMatch])),
            ),
            (
                "INM malformed",
                Method::Get,
                &[("If-None-Match", "garbage")],
                Proceed(looked(&[Field::IfNoneMatch])),
            ),
            (
                "INM on other methods is 412",
                Method::Post,
                &[("If-None-Match", TAG)],
                Failed(IfNoneMatchMatched),
            ),
            (
                "If-Match passes, then INM",
                Method::Get,
                &[("If-Match", TAG), ("If-None-Match", TAG)],
                NotModified(IfNoneMatchMatched),
            ),
            (
                "IUS fails before INM",
                Method::Get,
                &[("If-Unmodified-Since", BEFORE), ("If-None-Match", TAG)],
                Failed(ModifiedSince),
            ),
            // Step 4: If-Modified-Since, only without If-None-Match.
            (
                "IMS at Last-Modified",
                Method::Get,
                &[("If-Modified-Since", MODIFIED)],
                NotModified(NotModifiedSince),
            ),
            (
                "IMS after",
                Method::Head,
                &[("If-Modified-Since", AFTER)],
                NotModified(NotModifiedSince),
            ),
            (
                "IMS before",
                Method::Get,
                &[("If-Modified-Since", BEFORE)],
                Proceed(looked(&[Field::IfModifiedSince])),
            ),
            (
                "IMS in the future is ignored",
                Method::Get,
                &[("If-Modified-Since", FUTURE)],
                Proceed(looked(&[Field::IfModifiedSince])),
            ),
            (
                "IMS invalid is ignored",
                Method::Get,
                &[("If-Modified-Since", "not a date")],
                Proceed(looked(&[Field::IfModifiedSince])),
            ),
            (
                "IMS repeated is ignored",
                Method::Get,
                &[("If-Modified-Since", AFTER), ("If-Modified-Since", AFTER)],
                Proceed(looked(&[Field::IfModifiedSince])),
            ),
            (
                "IMS RFC 850 form",
                Method::Get,
                &[("If-Modified-Since", "Tuesday, 14-Nov-23 22:13:20 GMT")],
                NotModified(NotModifiedSince),
            ),
            (
                "IMS asctime form",
                Method::Get,
                &[("If-Modified-Since", "Tue Nov 14 22:13:20 2023")],
                NotModified(NotModifiedSince),
            ),
            (
                "IMS only for GET and HEAD",
                Method::Post,
                &[("If-Modified-Since", AFTER)],
                Proceed(looked(&[])),
            ),
            (
                "INM no match overrides IMS",
                Method::Get,
                &[("If-None-Match", "\"x\""), ("If-Modified-Since", AFTER)],
                Proceed(looked(&[Field::IfNoneMatch])),
            ),
            (
                "INM match with stale IMS",
                Method::Get,
                &[("If-None-Match", TAG), ("If-Modified-Since", BEFORE)],
                NotModified(IfNoneMatchMatched),
            ),
        ];
        for (name, method, fields, expected) in cases {
            let got = evaluate(*method, &conditions(fields), &validators(), now());
            assert_eq!(got, *expected, "{name}: {fields:?}");
        }
    }

    #[test]
    fn if_range_table() {
        let cases: &[(&str, &[&str], bool)] = &[
            ("absent", &[], true),
            ("current tag", &[TAG], true),
            ("weak tag never matches", &["W/\"5-abc\""], false),
            ("stale tag", &["\"5-old\""], false),
            ("exact date", &[MODIFIED], true),
            ("later date", &[AFTER], false),
            ("earlier date", &[BEFORE], false),
            ("garbage", &["yes please"], false),
            ("tag with trailing junk", &["\"5-abc\"x"], false),
            ("a list is not allowed", &["\"5-abc\", \"x\""], false),
            ("repeated", &[TAG, TAG], false),
        ];
        for (name, values, expected) in cases {
            let c = Conditions {
                if_range: values.iter().map(|v| v.as_bytes()).collect(),
                ..Conditions::default()
            };
            assert_eq!(if_range_matches(&c, &validators()), *expected, "{name}");
        }
    }

    #[test]
    fn validators_change_with_size_and_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "one").unwrap();
        let validators = |path: &std::path::Path| {
            let file = std::fs::File::open(path).unwrap();
            let stamp = FileStamp::of(&file, &file.metadata().unwrap());
            (Validators::of(&stamp), stamp.identity.tag())
        };
        let (first, _) = validators(&path);
        std::fs::write(&path, "three").unwrap();
        let (second, _) = validators(&path);
        assert_ne!(first.etag(), second.etag());
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(UNIX_EPOCH + Duration::new(1_000, 5))
            .unwrap();
        let (third, identity) = validators(&path);
        assert_eq!(
            third.etag().to_string(),
            format!("\"5-{:x}-{identity:x}\"", 1_000_000_000_005u64)
        );
        assert_eq!(
            third.last_modified,
            Some(UNIX_EPOCH + Duration::from_secs(1_000))
        );
    }
}
