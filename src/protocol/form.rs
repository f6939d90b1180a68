//! `multipart/form-data` (RFC 7578, framed as RFC 2046 §5.1.1 says), read
//! as it streams in: only enough bytes to recognise a delimiter split
//! across two reads are kept, so a body of any size is read in bounded
//! memory, transport padding included (counted; only its first
//! [`MAX_KEPT_PADDING`] bytes kept). What it keeps of each part is its
//! field name and its file name, each cut to a length a person reads, and
//! its size: the sink reports the parts and discards their bytes. A
//! [`PartSink`] is handed each part's content as it streams (`--upload`
//! stores it).

use crate::protocol::fields::trim_ows;
use crate::protocol::words::{phrase, Phrase};

/// The longest boundary (RFC 2046 §5.1.1).
pub const MAX_BOUNDARY_BYTES: usize = 70;
/// The most bytes of one part's header section kept while reading it.
pub const MAX_PART_HEAD_BYTES: usize = 8 * 1024;
/// The most parts described; more are counted, not described.
pub const MAX_PARTS: usize = 1000;
/// The most characters of a field or file name kept, for the report a
/// person reads: a longer one is cut there and ends in `…`, so that what
/// an upload costs to describe does not grow with its names.
pub const MAX_NAME_CHARS: usize = 200;

/// Transport padding kept after a delimiter, in case what follows shows it
/// was content: past this, a part's content cannot be given exactly, and
/// [`PartSink::content_lost`] says so.
pub const MAX_KEPT_PADDING: usize = 256;

/// Where a part's content goes as it streams in.
pub trait PartSink {
    /// A part begins (its head read); its content follows.
    fn part_begins(&mut self, part: &Part);
    /// The next bytes of the current part's content.
    fn content(&mut self, bytes: &[u8]);
    /// Bytes of the current part's content could not be given (a line of it
    /// that began like the boundary, followed by more padding than kept).
    fn content_lost(&mut self) {}
}

/// No sink: the parts are counted, their bytes dropped.
impl PartSink for () {
    fn part_begins(&mut self, _part: &Part) {}
    fn content(&mut self, _bytes: &[u8]) {}
}

/// One part as the sink describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `name` of its `Content-Disposition`, if any.
    pub name: Option<String>,
    /// `filename` of its `Content-Disposition`, for a file.
    pub filename: Option<String>,
    /// Bytes of its content.
    pub size: u64,
}

/// The boundary of a `multipart/form-data` media type, if `content_type`
/// is one and names a valid boundary.
pub fn boundary(content_type: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(content_type).ok()?;
    let mut items = text.split(';');
    let media = items.next()?.trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let value = items.find_map(|item| {
        let (name, value) = item.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim())
    })?;
    let value = value
        .strip_prefix('"')
        .and_then(|quoted| quoted.strip_suffix('"'))
        .unwrap_or(value);
    // bcharsnospace and the space, 1 to 70, not ending in a space.
    let valid = (1..=MAX_BOUNDARY_BYTES).contains(&value.len())
        && !value.ends_with(' ')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b));
    valid.then(|| value.as_bytes().to_vec())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the first delimiter.
    Preamble,
    /// Just past a delimiter: `--` closes, CRLF opens a part.
    AfterDelimiter,
    /// In a part's header section.
    Head,
    /// In a part's content.
    Content,
    /// Past the close delimiter.
    Epilogue,
}

/// Reads a multipart body fed in pieces of any size.
/// Why a body could not be read as multipart, in both languages.
pub const PART_HEAD_TOO_LARGE: Phrase =
    phrase("a part's header section too large", "某个部分的头部太大");
pub const NO_CLOSING_BOUNDARY: Phrase = phrase(
    "the body ended before the closing boundary",
    "请求体在结束分隔符之前就结束了",
);

#[derive(Debug)]
pub struct FormReader {
    /// `CRLF "--" boundary`: what ends every part's content.
    delimiter: Vec<u8>,
    stage: Stage,
    /// Bytes held back from the last piece: a delimiter or a head may go on.
    carry: Vec<u8>,
    parts: Vec<Part>,
    /// Parts past [`MAX_PARTS`], counted.
    more_parts: u64,
    failed: Option<Phrase>,
    /// Where the last delimiter was found: if what follows it makes it no
    /// delimiter, reading goes on there.
    before_delimiter: Stage,
    /// Transport padding (spaces and tabs) read past the last delimiter,
    /// counted, and kept up to [`MAX_KEPT_PADDING`]: should what follows
    /// show it was no delimiter, these bytes were content.
    padding: u64,
    kept_padding: Vec<u8>,
}

impl FormReader {
    /// A reader of a body whose boundary is `boundary`.
    pub fn new(boundary: &[u8]) -> FormReader {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary);
        FormReader {
            delimiter,
            stage: Stage::Preamble,
            // The first delimiter may open the body, with no CRLF before it.
            carry: b"\r\n".to_vec(),
            parts: Vec::new(),
            more_parts: 0,
            failed: None,
            before_delimiter: Stage::Preamble,
            padding: 0,
            kept_padding: Vec::new(),
        }
    }

    /// Reads the next piece of the body.
    pub fn feed(&mut self, piece: &[u8]) {
        self.feed_to(piece, &mut ());
    }

    /// Reads the next piece of the body, handing each part's content to
    /// `sink`.
    pub fn feed_to(&mut self, piece: &[u8], sink: &mut dyn PartSink) {
        if self.failed.is_some() || self.stage == Stage::Epilogue {
            return;
        }
        let mut input = std::mem::take(&mut self.carry);
        input.extend_from_slice(piece);
        let mut at = 0;
        while at < input.len() {
            let step = match self.stage {
                Stage::Preamble | Stage::Content => self.find_delimiter(&input, at, sink),
                Stage::AfterDelimiter => self.after_delimiter(&input, at, sink),
                Stage::Head => self.head(&input, at, sink),
                Stage::Epilogue => Step::Done,
            };
            match step {
                Step::To(next) => at = next,
                Step::Keep(from) => {
                    self.carry = input[from..].to_vec();
                    return;
                }
                Step::Done => return,
            }
        }
    }

    /// The parts read, whether the close delimiter was seen, and why the
    /// body could not be read, if it could not.
    pub fn finish(self) -> FormReport {
        let failed = self.failed.or(match self.stage {
            Stage::Epilogue => None,
            _ => Some(NO_CLOSING_BOUNDARY),
        });
        FormReport {
            parts: self.parts,
            more_parts: self.more_parts,
            failed,
        }
    }

    /// Bytes held between two pieces: at most [`MAX_PART_HEAD_BYTES`]
    /// (a part's head read so far), however the body is cut and however
    /// much padding it holds.
    pub fn held_bytes(&self) -> usize {
        self.carry.len()
    }

    fn find_delimiter(&mut self, input: &[u8], at: usize, sink: &mut dyn PartSink) -> Step {
        self.before_delimiter = self.stage;
        let length = self.delimiter.len();
        let found = input[at..]
            .windows(length)
            .position(|window| window == &self.delimiter[..]);
        match found {
            Some(offset) => {
                self.add_content(&input[at..at + offset], sink);
                self.stage = Stage::AfterDelimiter;
                Step::To(at + offset + length)
            }
            None => {
                // Keep what could be the start of a delimiter.
                let keep = (length - 1).min(input.len() - at);
                let from = input.len() - keep;
                self.add_content(&input[at..from], sink);
                Step::Keep(from)
            }
        }
    }

    fn add_content(&mut self, bytes: &[u8], sink: &mut dyn PartSink) {
        if self.stage == Stage::Content {
            if let Some(part) = self.parts.last_mut().filter(|_| self.more_parts == 0) {
                part.size += bytes.len() as u64;
            }
            sink.content(bytes);
        }
    }

    /// Just past a delimiter: padding, then `--` (the close) or CRLF (a
    /// part). The padding is consumed as it arrives, so however much of it
    /// a client sends, only the two bytes that decide are ever held.
    fn after_delimiter(&mut self, input: &[u8], at: usize, sink: &mut dyn PartSink) -> Step {
        let rest = &input[at..];
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        self.padding += padding as u64;
        let room = MAX_KEPT_PADDING - self.kept_padding.len();
        self.kept_padding
            .extend_from_slice(&rest[..padding.min(room)]);
        let at = at + padding;
        let rest = &input[at..];
        if rest.len() < 2 {
            return Step::Keep(at);
        }
        match &rest[..2] {
            b"--" => {
                self.stage = Stage::Epilogue;
                Step::Done
            }
            // The CRLF stays: it ends the (maybe empty) first header line.
            b"\r\n" => {
                self.stage = Stage::Head;
                self.padding = 0;
                self.kept_padding.clear();
                Step::To(at)
            }
            // A delimiter is followed only by padding and CRLF, or `--`
            // (RFC 2046 §5.1.1): this was a line of content that began
            // like one. Reading goes on after the padding, which cannot
            // begin a delimiter (that starts with CR).
            _ => {
                self.stage = self.before_delimiter;
                let delimiter = std::mem::take(&mut self.delimiter);
                self.add_content(&delimiter, sink);
                self.delimiter = delimiter;
                let padding = std::mem::take(&mut self.kept_padding);
                self.add_content(&padding, sink);
                let lost = self.padding - padding.len() as u64;
                if lost > 0 && self.stage == Stage::Content {
                    if let Some(part) = self.parts.last_mut().filter(|_| self.more_parts == 0) {
                        part.size += lost;
                    }
                    sink.content_lost();
                }
                self.kept_padding = padding;
                self.kept_padding.clear();
                self.padding = 0;
                Step::To(at)
            }
        }
    }

    fn head(&mut self, input: &[u8], at: usize, sink: &mut dyn PartSink) -> Step {
        let rest = &input[at..];
        let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
            if rest.len() > MAX_PART_HEAD_BYTES {
                return self.fail(PART_HEAD_TOO_LARGE);
            }
            return Step::Keep(at);
        };
        let part = describe_part(&rest[..end]);
        sink.part_begins(&part);
        if self.parts.len() < MAX_PARTS {
            self.parts.push(part);
        } else {
            self.more_parts += 1;
        }
        self.stage = Stage::Content;
        // The content begins after the blank line; the CRLF before the
        // next delimiter belongs to the delimiter.
        Step::To(at + end + 4)
    }

    fn fail(&mut self, why: Phrase) -> Step {
        self.failed = Some(why);
        Step::Done
    }
}

/// What a multipart body held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormReport {
    pub parts: Vec<Part>,
    /// Parts past [`MAX_PARTS`], counted, not described.
    pub more_parts: u64,
    /// Why the body could not be read as multipart, if it could not.
    pub failed: Option<Phrase>,
}

enum Step {
    To(usize),
    Keep(usize),
    Done,
}

/// The field name and file name from a part's header section (RFC 7578
/// §4.2: `Content-Disposition: form-data; name="…"; filename="…"`).
fn describe_part(head: &[u8]) -> Part {
    let mut part = Part {
        name: None,
        filename: None,
        size: 0,
    };
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if !line[..colon].eq_ignore_ascii_case(b"content-disposition") {
            continue;
        }
        let value = String::from_utf8_lossy(trim_ows(&line[colon + 1..])).into_owned();
        for (name, value) in parameters(&value) {
            match name.to_ascii_lowercase().as_str() {
                "name" => part.name = Some(shortened(value)),
                "filename" => part.filename = Some(shortened(value)),
                _ => {}
            }
        }
    }
    part
}

/// `name` cut to [`MAX_NAME_CHARS`] characters and `…` when longer.
fn shortened(mut name: String) -> String {
    if let Some((cut, _)) = name.char_indices().nth(MAX_NAME_CHARS) {
        name.truncate(cut);
        name.push('…');
    }
    name
}

/// `; name=value` parameters, the value a token or a quoted string with
/// its backslash escapes undone.
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = value.split_once(';').map_or("", |(_, rest)| rest);
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        let Some(equals) = rest.find('=') else {
            return found;
        };
        let name = rest[..equals].trim().to_string();
        rest = rest[equals + 1..].trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((index, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = index + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            rest = &quoted[end.min(quoted.len())..];
            value
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let value = rest[..end].trim().to_string();
            rest = &rest[end..];
            value
        };
        found.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each part's content as a sink is handed it.
    #[derive(Default)]
    struct Contents {
        parts: Vec<Vec<u8>>,
        lost: bool,
    }

    impl PartSink for Contents {
        fn part_begins(&mut self, _part: &Part) {
            self.parts.push(Vec::new());
        }
        fn content(&mut self, bytes: &[u8]) {
            self.parts.last_mut().unwrap().extend_from_slice(bytes);
        }
        fn content_lost(&mut self) {
            self.lost = true;
        }
    }

    /// A sink gets each part's content exactly, lines that begin like the
    /// boundary (with padding after them) included, however the body is
    /// cut; padding past what is kept is said to be lost.
    #[test]
    fn a_sink_gets_each_parts_content_exactly_however_the_body_is_cut() {
        let file = b"x\r\n--XyZ \t y\r\n--XyZnot\r\n--X\r\n".to_vec();
        let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.bin\"\r\n\r\n"
            .to_vec();
        body.extend_from_slice(&file);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        for cut in 0..body.len() {
            let mut reader = FormReader::new(b"XyZ");
            let mut contents = Contents::default();
            reader.feed_to(&body[..cut], &mut contents);
            reader.feed_to(&body[cut..], &mut contents);
            assert_eq!(
                contents.parts,
                [b"one".to_vec(), file.clone()],
                "cut at {cut}"
            );
            assert!(!contents.lost);
            assert_eq!(reader.finish().failed, None);
        }
        let mut long =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--XyZ".to_vec();
        long.extend(std::iter::repeat_n(b' ', MAX_KEPT_PADDING + 1));
        long.extend_from_slice(b"y\r\n--XyZ--");
        let mut reader = FormReader::new(b"XyZ");
        let mut contents = Contents::default();
        reader.feed_to(&long, &mut contents);
        assert!(contents.lost, "more padding than kept");
    }

    const BODY: &[u8] = b"--XyZ\r\n\
Content-Disposition: form-data; name=\"note\"\r\n\r\n\
hello\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n\
Content-Type: text/plain\r\n\r\n\
line one\r\n--XyZnot a boundary\r\n--Xy\r\n\
--XyZ--\r\n\
epilogue";

    fn read_in(pieces: usize, body: &[u8]) -> FormReport {
        let mut reader = FormReader::new(b"XyZ");
        let size = body.len().div_ceil(pieces).max(1);
        for piece in body.chunks(size) {
            reader.feed(piece);
        }
        reader.finish()
    }

    #[test]
    fn parts_are_read_whatever_the_pieces() {
        let content = b"line one\r\n--XyZnot a boundary\r\n--Xy".len() as u64;
        let expected = FormReport {
            parts: vec![
                Part {
                    name: Some("note".into()),
                    filename: None,
                    size: 5,
                },
                Part {
                    name: Some("file".into()),
                    filename: Some("a \"b\".txt".into()),
                    size: content,
                },
            ],
            more_parts: 0,
            failed: None,
        };
        // Whole, byte by byte, and every split in between: a delimiter or a
        // head cut across two reads must be found all the same.
        for pieces in [1, 2, 3, 7, 50, BODY.len()] {
            assert_eq!(read_in(pieces, BODY), expected, "{pieces} pieces");
        }
    }

    #[test]
    fn broken_bodies_say_why() {
        let cases: [(&[u8], Phrase); 3] = [
            (
                b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
                NO_CLOSING_BOUNDARY,
            ),
            (b"--XyZjunk", NO_CLOSING_BOUNDARY),
            (b"no boundary at all", NO_CLOSING_BOUNDARY),
        ];
        for (body, why) in cases {
            assert_eq!(read_in(1, body).failed, Some(why), "{body:?}");
        }
        let mut huge_head = b"--XyZ\r\n".to_vec();
        huge_head.extend(std::iter::repeat_n(b'a', MAX_PART_HEAD_BYTES + 10));
        assert_eq!(read_in(4, &huge_head).failed, Some(PART_HEAD_TOO_LARGE));
    }

    #[test]
    fn transport_padding_is_consumed_as_it_streams() {
        // RFC 2046 §5.1.1 lets any amount of padding follow a delimiter:
        // it must cost no memory however long it is, and be counted as
        // content when what follows shows the line was no delimiter.
        let mut reader = FormReader::new(b"XyZ");
        reader.feed(b"--XyZ");
        let padding = vec![b' '; 4096];
        for _ in 0..256 {
            reader.feed(&padding);
            assert!(reader.held_bytes() <= 2 * 74, "{}", reader.held_bytes());
        }
        reader.feed(b"\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nok\r\n--XyZ \t--");
        let report = reader.finish();
        assert_eq!(report.failed, None);
        assert_eq!(report.parts.len(), 1);
        assert_eq!(report.parts[0].size, 2);

        // Padding, then something else: the delimiter and its padding were
        // content, whatever the pieces.
        let mut body =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nx\r\n--XyZ".to_vec();
        body.extend_from_slice(&[b'\t'; 1000]);
        body.extend_from_slice(b"y\r\n--XyZ--");
        for pieces in [1, 3, 100, body.len()] {
            let report = read_in(pieces, &body);
            assert_eq!(report.failed, None, "{pieces} pieces");
            let content = b"x\r\n--XyZ".len() + 1000 + 1;
            assert_eq!(report.parts[0].size, content as u64, "{pieces} pieces");
        }
    }

    #[test]
    fn names_are_kept_to_a_display_length() {
        // Within the head's bound of 8 KiB, as an attacker would send it.
        let (long, file) = ("<".repeat(7000), "f".repeat(300));
        let head = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"{long}\"; filename=\"{file}.txt\"\r\n\r\nx\r\n--XyZ--"
        );
        let report = read_in(5, head.as_bytes());
        let part = &report.parts[0];
        for kept in [part.name.as_deref(), part.filename.as_deref()] {
            let kept = kept.unwrap();
            assert_eq!(kept.chars().count(), MAX_NAME_CHARS + 1, "{kept}");
            assert!(kept.ends_with('…'), "{kept}");
        }
        // A short name, and one of exactly the limit in many-byte letters,
        // are kept whole.
        let cjk = "名".repeat(MAX_NAME_CHARS);
        let head = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"{cjk}\"\r\n\r\n\r\n--XyZ--"
        );
        let part = &read_in(1, head.as_bytes()).parts[0];
        assert_eq!(part.name.as_deref(), Some("a"));
        assert_eq!(part.filename.as_deref(), Some(cjk.as_str()));
    }

    #[test]
    fn boundaries_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("text/plain; boundary=a", None),
            ("multipart/form-data", None),
            ("multipart/form-data; boundary=", None),
            ("multipart/form-data; boundary=\"a b \"", None),
            ("multipart/form-data; boundary=a<b", None),
            (
                "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
                Some("----WebKitFormBoundary7MA4YWxkTrZu0gW"),
            ),
            (
                "Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b\"",
                Some("a b"),
            ),
        ];
        for (value, expected) in cases {
            let got = boundary(value.as_bytes()).map(|b| String::from_utf8(b).unwrap());
            assert_eq!(got.as_deref(), *expected, "{value}");
        }
        assert!(
            boundary(format!("multipart/form-data; boundary={}", "a".repeat(71)).as_bytes())
                .is_none()
        );
    }
}
