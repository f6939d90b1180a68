//! A directory without an index file, shown as an HTML listing, as Python's
//! `http.server` and darkhttpd show one (`--no-listing` gives a 404 instead).
//!
//! What is listed is what could be served: dotfiles and every name the
//! path rules refuse ([`target::refuse_segment`]) are left out before
//! anything else is read, links are listed only when a lookup finds them
//! beneath the root, and FIFOs, sockets and devices never. Directories
//! come first, each name ending in `/`. Names are HTML-escaped where shown
//! and percent-encoded where linked, so any byte a name may hold reads and
//! links as itself.
//!
//! A listing has a weak entity-tag (RFC 9110 §8.8.1), a hash of the page:
//! it changes whenever a name, a size or a time shown changes, and it is
//! weak because the page is generated, not stored. There is no
//! `Last-Modified`: a directory's time does not change when a file in it
//! is rewritten.
//!
//! At most [`MAX_LISTED`] entries are read and shown, in whatever order the
//! file system gives them, then sorted; a larger directory says so. That
//! bounds the time and the memory one request can cost.

use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use crate::files::conditional::Validators;
use crate::files::root::Root;
use crate::files::target::{self, RequestPath};
use crate::sys::{self, fnv1a, EntryKind};

/// Most entries one listing reads and shows.
pub const MAX_LISTED: usize = 10_000;

/// A rendered listing and what the decision records of it.
#[derive(Debug)]
pub struct Listing {
    pub page: Vec<u8>,
    /// Entries shown.
    pub entries: usize,
    /// Whether more entries than [`MAX_LISTED`] were there.
    pub truncated: bool,
    pub validators: Validators,
}

/// One row: the name shown, the link, and what the columns say.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    name: String,
    href: String,
    is_directory: bool,
    size: Option<u64>,
    modified: Option<SystemTime>,
}

/// Lists the directory `relative` beneath `root`, which `request_path`
/// (ending in `/`) names.
pub fn list(root: &Root, request_path: &RequestPath, relative: &Path) -> io::Result<Listing> {
    let keep = |name: &OsStr| {
        sys::name_to_segment(name).is_some_and(|segment| target::refuse_segment(segment).is_none())
    };
    let read = root.read_directory(relative, MAX_LISTED, &keep)?;
    let mut rows: Vec<Row> = read
        .entries
        .iter()
        .filter_map(|entry| {
            let segment = sys::name_to_segment(&entry.name)?;
            let (is_directory, size, modified) = match entry.kind {
                EntryKind::File { size, modified } => (false, Some(size), modified),
                EntryKind::Directory { modified } => (true, None, modified),
                EntryKind::Link | EntryKind::Other => return None,
            };
            let mut href = percent_encode(segment);
            let mut name = String::from_utf8_lossy(segment).into_owned();
            if is_directory {
                href.push('/');
                name.push('/');
            }
            Some(Row {
                name,
                href,
                is_directory,
                size,
                modified,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        (!a.is_directory, a.name.to_lowercase(), &a.name).cmp(&(
            !b.is_directory,
            b.name.to_lowercase(),
            &b.name,
        ))
    });
    let page = render(&request_path.to_url_path(), &rows, read.truncated);
    let words: Vec<u64> = page
        .chunks(8)
        .map(|chunk| {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(word)
        })
        .collect();
    let validators = Validators {
        etag: format!("W/\"{:016x}-{:x}\"", fnv1a(&words), page.len()),
        last_modified: None,
    };
    Ok(Listing {
        entries: rows.len(),
        truncated: read.truncated,
        page,
        validators,
    })
}

/// The page for `url_path` (the directory's path, ending in `/`).
fn render(url_path: &str, rows: &[Row], truncated: bool) -> Vec<u8> {
    let title = html_escape(&percent_decode_lossy(url_path));
    let mut page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>Index of {title}</title>\n<style>\
         body{{font-family:system-ui,sans-serif;margin:2em}}\
         table{{border-collapse:collapse}}\
         td,th{{padding:.2em 1.2em .2em 0;text-align:left}}\
         td.size{{text-align:right;font-variant-numeric:tabular-nums}}\
         </style></head>\n<body><h1>Index of {title}</h1>\n<table>\n\
         <tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr>\n"
    );
    if url_path != "/" {
        page.push_str("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
    }
    for row in rows {
        let size = row
            .size
            .map_or_else(|| "-".to_string(), |size| size.to_string());
        let modified = row.modified.map_or_else(String::new, utc_minute);
        page.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td class=\"size\">{size}</td><td>{modified}</td></tr>\n",
            row.href,
            html_escape(&row.name),
        ));
    }
    page.push_str("</table>\n");
    if truncated {
        page.push_str(&format!(
            "<p>Only the first {MAX_LISTED} entries are listed.</p>\n"
        ));
    }
    page.push_str("</body></html>\n");
    page.into_bytes()
}

/// Every byte but the unreserved ones as `%XX` (RFC 3986 §2.3): a name may
/// then hold `#`, `?`, `%`, `:` or a space and still link to itself as a
/// relative reference.
fn percent_encode(segment: &[u8]) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for &byte in segment {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A URL path with its `%XX` escapes decoded, for the page's title.
fn percent_decode_lossy(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Text made safe inside an element or a quoted attribute.
fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// `2026-12-01 23:40`, from the HTTP date's fields.
fn utc_minute(time: SystemTime) -> String {
    // "Tue, 01 Dec 2026 23:40:39 GMT"
    let date = httpdate::fmt_http_date(time);
    let parts: Vec<&str> = date.split(' ').collect();
    let [_, day, month, year, clock, _] = parts[..] else {
        return date;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month).map_or(0, |i| i + 1);
    format!("{year}-{month:02}-{day} {}", &clock[..5])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn row(name: &[u8], is_directory: bool) -> Row {
        let mut href = percent_encode(name);
        let mut shown = String::from_utf8_lossy(name).into_owned();
        if is_directory {
            href.push('/');
            shown.push('/');
        }
        Row {
            name: shown,
            href,
            is_directory,
            size: (!is_directory).then_some(5),
            modified: Some(UNIX_EPOCH + Duration::from_secs(1_796_168_439)),
        }
    }

    #[test]
    fn names_are_escaped_where_shown_and_encoded_where_linked() {
        let cases: [(&[u8], &str, &str); 5] = [
            (
                b"<b>&\"x y#?.txt",
                "%3Cb%3E%26%22x%20y%23%3F.txt",
                "&lt;b&gt;&amp;&quot;x y#?.txt",
            ),
            (b"a:b", "a%3Ab", "a:b"),
            (b"100%.txt", "100%25.txt", "100%.txt"),
            ("caf\u{e9}.txt".as_bytes(), "caf%C3%A9.txt", "caf\u{e9}.txt"),
            (b"it's", "it%27s", "it&#39;s"),
        ];
        for (name, href, shown) in cases {
            let page = String::from_utf8(render("/d/", &[row(name, false)], false)).unwrap();
            let expected = format!("<a href=\"{href}\">{shown}</a>");
            assert!(page.contains(&expected), "{name:?}: {page}");
        }
    }

    #[test]
    fn parent_link_everywhere_but_the_root_and_truncation_said() {
        let at_root = String::from_utf8(render("/", &[], false)).unwrap();
        assert!(!at_root.contains("href=\"../\""));
        let below = String::from_utf8(render("/a%20b/", &[], true)).unwrap();
        assert!(below.contains("<a href=\"../\">../</a>"));
        assert!(below.contains("<title>Index of /a b/</title>"));
        assert!(below.contains("Only the first 10000 entries"));
        let directory = String::from_utf8(render("/", &[row(b"sub", true)], false)).unwrap();
        assert!(directory.contains("<a href=\"sub/\">sub/</a></td><td class=\"size\">-</td>"));
    }

    #[test]
    fn times_are_shown_to_the_minute_in_utc() {
        let cases = [
            (0, "1970-01-01 00:00"),
            (1_796_168_439, "2026-12-01 23:40"),
            (951_782_400, "2000-02-29 00:00"),
        ];
        for (secs, shown) in cases {
            assert_eq!(utc_minute(UNIX_EPOCH + Duration::from_secs(secs)), shown);
        }
    }
}
