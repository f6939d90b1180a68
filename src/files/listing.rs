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
//!
//! The order is the query's (`?sort=name|size|time&order=asc|desc`, what the
//! column headers link to, no script needed), else `--sort`'s, else by name;
//! an unknown value is the default. Directories come first whatever the
//! order, ties are broken by name, and the entity-tag, a hash of the page,
//! differs with the order.

use std::io;
use std::path::Path;
use std::time::SystemTime;

use crate::files::conditional::{EntityTag, Validators};
use crate::files::root::Root;
use crate::files::sort::{Sort, SortKey, SortOrder};
use crate::files::target::{self, RequestPath};
use crate::protocol::civil::UtcTime;
use crate::protocol::visible::{html_escape, visible};
use crate::sys::{self, fnv1a_bytes, EntryKind};

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
    /// The order shown.
    pub sort: Sort,
    pub validators: Validators,
}

/// One row: the name shown, the link, and what the columns say.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    name: String,
    href: String,
    is_directory: bool,
    /// Bytes, for a file (a directory shows `-`).
    size: u64,
    modified: Option<SystemTime>,
    /// Named, but its size and time are not shown, nor sorted by: what the
    /// site's layers ask to withhold (a guarded entry in a public folder).
    withheld: bool,
}

impl Row {
    fn new(segment: &[u8], is_directory: bool, size: u64, modified: Option<SystemTime>) -> Row {
        // Only unreserved bytes kept: a name may then hold `#`, `?`, `%`,
        // `:` or a space and still link to itself as a relative reference.
        let mut href = String::with_capacity(segment.len());
        target::percent_encode_into(&mut href, segment, b"");
        // Shown by the one rule for names a person reads: controls and
        // invisible reordering characters written out.
        let mut name = visible(segment);
        if is_directory {
            href.push('/');
            name.push('/');
        }
        Row {
            name,
            href,
            is_directory,
            size,
            modified,
            withheld: false,
        }
    }

    /// The row of a withheld entry: its name only, sorted as if it had no
    /// size and no time, so that neither the page nor its order tells them.
    fn withheld(self) -> Row {
        Row {
            size: 0,
            modified: None,
            withheld: true,
            ..self
        }
    }
}

/// Sorts `rows`: directories first, then by `sort`'s key in its order,
/// ties by name (ignoring case, then exactly) whatever the order.
fn sort_rows(rows: &mut [Row], sort: Sort) {
    rows.sort_by_cached_key(|row| (row.name.to_lowercase(), row.name.clone()));
    rows.sort_by(|a, b| {
        let by_key = match sort.key {
            SortKey::Name => std::cmp::Ordering::Equal,
            SortKey::Size => a.size.cmp(&b.size),
            SortKey::Time => a.modified.cmp(&b.modified),
        };
        let by_key = match sort.order {
            SortOrder::Asc => by_key,
            SortOrder::Desc => by_key.reverse(),
        };
        b.is_directory.cmp(&a.is_directory).then(by_key)
    });
    if sort.key == SortKey::Name && sort.order == SortOrder::Desc {
        // Within each group, the names the other way round.
        let directories = rows.iter().filter(|row| row.is_directory).count();
        rows[..directories].reverse();
        rows[directories..].reverse();
    }
}

/// What the layers around the core ask of a listing.
#[derive(Clone, Copy, Default)]
pub struct ListingAsks<'a> {
    /// The paths named without their size or time (`--auth`'s guarded
    /// entries in a public folder).
    pub withheld: Option<&'a dyn Fn(&RequestPath) -> bool>,
    /// HTML put under the table (`--upload`'s form).
    pub form: Option<&'a str>,
    /// `--qr`: the URL a phone would use; the listing shows the code of
    /// its own address there.
    pub phone_url: Option<&'a str>,
}

/// What the layers put under a listing's table: `--upload`'s form, and
/// `--qr`'s code of the listing's address on a phone, with that address.
fn under_table(asks: ListingAsks<'_>, request_path: &RequestPath) -> String {
    let mut under = asks.form.unwrap_or_default().to_string();
    if let Some(base) = asks.phone_url {
        let path = request_path.to_url_path();
        let address = format!("{}{path}", base.trim_end_matches('/'));
        if let Some(code) = crate::files::qr::svg(&address) {
            under.push_str(&format!(
                "<figure id=\"qr\">{code}<figcaption>{}</figcaption></figure>\n",
                html_escape(&address)
            ));
        }
    }
    under
}

/// Lists the directory `relative` beneath `root`, which `request_path`
/// (ending in `/`) names, in the order its query asks for, else `--sort`'s.
pub fn list(
    root: &Root,
    request_path: &RequestPath,
    relative: &Path,
    asks: ListingAsks<'_>,
) -> io::Result<Listing> {
    let withheld = asks.withheld;
    let read = root.read_directory(relative, MAX_LISTED, &|name| root.shows(name))?;
    let is_withheld =
        |segment: &[u8]| withheld.is_some_and(|withheld| withheld(&request_path.child(segment)));
    let mut rows: Vec<Row> = read
        .entries
        .iter()
        .filter_map(|entry| {
            let segment = sys::name_to_segment(&entry.name)?;
            let row = match entry.kind {
                EntryKind::File { size, modified } => Row::new(segment, false, size, modified),
                EntryKind::Directory { modified } => Row::new(segment, true, 0, modified),
                EntryKind::Link | EntryKind::Other => return None,
            };
            Some(match is_withheld(segment) {
                true => row.withheld(),
                false => row,
            })
        })
        .collect();
    let sort = Sort::from_query(request_path.query.as_deref(), root.sort());
    sort_rows(&mut rows, sort);
    let mut page = render(&shown_path(request_path), &rows, read.truncated, sort);
    let end = page.len() - b"</body></html>\n".len();
    page.splice(end..end, under_table(asks, request_path).into_bytes());
    let tag = EntityTag::weak(format!(
        "{:016x}-{:x}",
        fnv1a_bytes(page.iter().copied()),
        page.len()
    ));
    let validators = Validators::new(&tag, None);
    Ok(Listing {
        entries: rows.len(),
        truncated: read.truncated,
        sort,
        page,
        validators,
    })
}

/// The directory's path as a person reads it: decoded, ending in `/`.
fn shown_path(request_path: &RequestPath) -> String {
    let mut shown = String::from("/");
    for segment in request_path.segments() {
        shown.push_str(&visible(segment));
        shown.push('/');
    }
    shown
}

/// The page for the directory `path` (decoded, ending in `/`).
fn render(path: &str, rows: &[Row], truncated: bool, sort: Sort) -> Vec<u8> {
    let title = html_escape(path);
    let mut page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>Index of {title}</title>\n<style>\
         body{{font-family:system-ui,sans-serif;margin:2em}}\
         table{{border-collapse:collapse}}\
         td,th{{padding:.2em 1.2em .2em 0;text-align:left}}\
         td.size{{text-align:right;font-variant-numeric:tabular-nums}}\
         </style></head>\n<body><h1>Index of {title}</h1>\n<table>\n<tr>"
    );
    for (key, label) in [
        (SortKey::Name, "Name"),
        (SortKey::Size, "Size"),
        (SortKey::Time, "Modified (UTC)"),
    ] {
        let arrow = match (sort.key == key, sort.order) {
            (true, SortOrder::Asc) => " \u{25b2}",
            (true, SortOrder::Desc) => " \u{25bc}",
            (false, _) => "",
        };
        page.push_str(&format!(
            "<th><a href=\"{}\">{label}</a>{arrow}</th>",
            sort.link(key)
        ));
    }
    page.push_str("</tr>\n");
    if path != "/" {
        page.push_str("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
    }
    for row in rows {
        let size = if row.is_directory || row.withheld {
            "-".to_string()
        } else {
            row.size.to_string()
        };
        let modified = match row.withheld {
            true => "needs credentials".to_string(),
            false => row.modified.map_or_else(String::new, utc_minute),
        };
        page.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td class=\"size\">{size}</td><td>{modified}</td></tr>\n",
            row.href,
            html_escape(&row.name),
        ));
    }
    page.push_str("</table>\n");
    // The folder as one .zip (files/archive.rs): every file listed here
    // and in the folders beneath, as a browser saves it.
    page.push_str(&format!(
        "<p><a id=\"zip\" href=\"?{}\" download>Download this folder as .zip</a></p>\n",
        crate::files::archive::QUERY
    ));
    if truncated {
        page.push_str(&format!(
            "<p>Only the first {MAX_LISTED} entries are listed.</p>\n"
        ));
    }
    page.push_str("</body></html>\n");
    page.into_bytes()
}

/// `2026-12-01 23:40`.
fn utc_minute(time: SystemTime) -> String {
    let t = UtcTime::of(time);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn row(name: &[u8], is_directory: bool) -> Row {
        let modified = Some(UNIX_EPOCH + Duration::from_secs(1_796_168_439));
        Row::new(name, is_directory, 5, modified)
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
            let page =
                String::from_utf8(render("/d/", &[row(name, false)], false, Sort::default()))
                    .unwrap();
            let expected = format!("<a href=\"{href}\">{shown}</a>");
            assert!(page.contains(&expected), "{name:?}: {page}");
        }
    }

    #[test]
    fn parent_link_everywhere_but_the_root_and_truncation_said() {
        let at_root = String::from_utf8(render("/", &[], false, Sort::default())).unwrap();
        assert!(!at_root.contains("href=\"../\""));
        let below = String::from_utf8(render("/a b/", &[], true, Sort::default())).unwrap();
        assert!(below.contains("<a href=\"../\">../</a>"));
        assert!(below.contains("<title>Index of /a b/</title>"));
        assert!(below.contains("Only the first 10000 entries"));
        let directory =
            String::from_utf8(render("/", &[row(b"sub", true)], false, Sort::default())).unwrap();
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

    #[test]
    fn sorting_with_ties_and_equal_sizes_table() {
        let at = |secs: u64| Some(UNIX_EPOCH + Duration::from_secs(secs));
        let rows = vec![
            Row::new(b"b.txt", false, 10, at(300)),
            Row::new(b"A.txt", false, 10, at(100)),
            Row::new(b"c.txt", false, 5, at(300)),
            Row::new(b"a.txt", false, 20, at(200)),
            Row::new(b"zdir", true, 0, at(50)),
            Row::new(b"Adir", true, 0, at(400)),
        ];
        let sort = |key, order| Sort { key, order };
        let cases: [(Sort, [&str; 6]); 6] = [
            (
                sort(SortKey::Name, SortOrder::Asc),
                ["Adir/", "zdir/", "A.txt", "a.txt", "b.txt", "c.txt"],
            ),
            (
                sort(SortKey::Name, SortOrder::Desc),
                ["zdir/", "Adir/", "c.txt", "b.txt", "a.txt", "A.txt"],
            ),
            // Equal sizes keep name order, whichever way the sizes go.
            (
                sort(SortKey::Size, SortOrder::Asc),
                ["Adir/", "zdir/", "c.txt", "A.txt", "b.txt", "a.txt"],
            ),
            (
                sort(SortKey::Size, SortOrder::Desc),
                ["Adir/", "zdir/", "a.txt", "A.txt", "b.txt", "c.txt"],
            ),
            (
                sort(SortKey::Time, SortOrder::Asc),
                ["zdir/", "Adir/", "A.txt", "a.txt", "b.txt", "c.txt"],
            ),
            (
                sort(SortKey::Time, SortOrder::Desc),
                ["Adir/", "zdir/", "b.txt", "c.txt", "a.txt", "A.txt"],
            ),
        ];
        for (order, expected) in cases {
            let mut sorted = rows.clone();
            sort_rows(&mut sorted, order);
            let names: Vec<&str> = sorted.iter().map(|row| row.name.as_str()).collect();
            assert_eq!(names, expected, "{order:?}");
        }
    }
}
