//! Directory listings over real sockets: what is listed and how, that every
//! link leads where it says, validators, HEAD, `--no-listing`, the trace.

use std::fs;

use crate::common::{is_windows_build, unix_only, Binary, BothWays, Client, Site, TestServer};

/// The `href` values of a page's entries, in order (not the column
/// headers' sort links).
fn links(page: &str) -> Vec<String> {
    page.split("<a href=\"")
        .skip(1)
        .filter(|rest| !rest.starts_with('?'))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// The names a page shows as link text, in order (not the column
/// headers').
pub fn shown(page: &str) -> Vec<String> {
    page.split("<a href=\"")
        .skip(1)
        .filter(|rest| !rest.starts_with('?'))
        .filter_map(|rest| rest.split_once("\">")?.1.split("</a>").next())
        .map(|text| {
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

/// A site whose `files/` has no index: plain and awkward names, a
/// directory, a dotfile, and where the system allows, a FIFO, a name with
/// HTML and URL metacharacters, and links that stay inside or lead out.
pub fn listed_site() -> (Site, Vec<&'static str>) {
    let site = Site::new();
    let files = site.root.join("files");
    fs::create_dir_all(files.join("sub dir")).unwrap();
    fs::write(files.join("sub dir/inner.txt"), "inner\n").unwrap();
    fs::write(files.join("b.txt"), "bee\n").unwrap();
    fs::write(files.join("A.txt"), "ay\n").unwrap();
    fs::write(files.join("100% done.txt"), "percent\n").unwrap();
    fs::write(files.join(".hidden"), "never listed\n").unwrap();
    fs::write(files.join("con.txt"), "a Windows device name\n").unwrap();
    let mut expected = vec!["sub dir/", "100% done.txt", "A.txt", "b.txt"];
    if !is_windows_build() {
        fs::write(files.join("<b>&\"x y#?.txt"), "hostile\n").unwrap();
        expected.insert(2, "<b>&\"x y#?.txt");
    }
    // Links and FIFOs are what a Unix server meets; Wine shows a link as
    // its target, so the Windows build gets neither.
    #[cfg(unix)]
    if !is_windows_build() {
        std::os::unix::fs::symlink("b.txt", files.join("link-inside.txt")).unwrap();
        std::os::unix::fs::symlink(site.outside.path().join("secret.txt"), files.join("out"))
            .unwrap();
        let fifo = files.join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        expected.push("link-inside.txt");
    }
    (site, expected)
}

#[test]
fn a_directory_without_index_lists_what_can_be_served_and_every_link_works() {
    let (site, expected) = listed_site();
    let server = TestServer::start(&site.root);
    let mut asked = BothWays::new(&server);
    let reply = asked.get("GET /files/ HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = reply.body_text();
    let mut names = shown(&page);
    assert_eq!(
        names.remove(0),
        "../",
        "the parent link comes first: {page}"
    );
    assert_eq!(names, expected, "directories first, then by name: {page}");
    assert!(page.contains("<title>Index of /files/</title>"), "{page}");
    assert!(
        page.contains("<td class=\"size\">4</td>"),
        "b.txt's size: {page}"
    );
    // Every link, followed as a browser resolves it, reaches what it names.
    for (href, name) in links(&page).iter().zip(shown(&page)) {
        let target = format!("/files/{href}");
        let reply = asked.get(&format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(reply.status, 200, "{name} at {target}");
        if name == "../" {
            assert_eq!(reply.body_text(), "<h1>home</h1>\n");
        } else if name.ends_with('/') {
            assert!(reply.body_text().contains("inner.txt"), "{name}");
        } else if name == "link-inside.txt" {
            assert_eq!(reply.body_text(), "bee\n");
        } else {
            let on_disk = fs::read(site.root.join("files").join(&name)).unwrap();
            assert_eq!(reply.body, on_disk, "{name} at {target}");
        }
    }
    // The root of the site has no parent link; the site's root has an index,
    // so list a root without one.
    let bare = tempfile::tempdir().unwrap();
    fs::write(bare.path().join("only.txt"), "x").unwrap();
    let bare_server = TestServer::start(bare.path());
    let page = bare_server
        .get("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .body_text();
    assert_eq!(shown(&page), vec!["only.txt"], "{page}");
}

#[test]
fn a_listing_has_a_weak_etag_head_matches_get_and_no_listing_gives_404() {
    let (site, _) = listed_site();
    let server = TestServer::start(&site.root);
    let mut client = server.connect();
    client.send(b"GET /files/ HTTP/1.1\r\nHost: t\r\n\r\n");
    let got = client.read_reply(false);
    let etag = got.header("etag").unwrap().to_string();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(got.header("last-modified"), None);
    assert_eq!(got.header("accept-ranges"), None, "a listing has no ranges");
    client.send(b"HEAD /files/ HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = client.read_reply(true);
    assert_eq!(head.fields_without_date(), got.fields_without_date());
    assert!(head.body.is_empty());
    client.send(
        format!("GET /files/ HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n").as_bytes(),
    );
    let revalidated = client.read_reply(false);
    assert_eq!(revalidated.status, 304);
    assert_eq!(revalidated.header("etag"), Some(etag.as_str()));
    client.send(b"GET /files/ HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200, "Range is ignored");
    // A new file changes the page, and so the tag.
    fs::write(site.root.join("files/new.txt"), "new\n").unwrap();
    client.send(
        format!("GET /files/ HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n").as_bytes(),
    );
    let changed = client.read_reply(false);
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    assert!(changed.body_text().contains("new.txt"));

    let off = TestServer::start_config(glasshttp::Config {
        listings: false,
        ..TestServer::config(&site.root)
    });
    assert_eq!(
        off.get("GET /files/ HTTP/1.1\r\nHost: t\r\n\r\n").status,
        404
    );
    assert_eq!(
        off.get("GET /files/b.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .status,
        200
    );
}

#[test]
fn the_trace_explains_a_listing() {
    if !unix_only("the listed site's names") {
        return;
    }
    let (site, expected) = listed_site();
    let server = Binary::serving(&site.root, &["--trace", "--quiet"]);
    let mut client = Client::connect(server.addr);
    client.send(b"HEAD /files/ HTTP/1.1\r\nHost: t\r\n\r\n");
    let etag = client.read_reply(true).header("etag").unwrap().to_string();
    drop(client);
    let trace = server.stderr_until("] closed:").join("\n");
    let decided = format!(
        "HEAD /files/ -> a directory without index.html: its listing, {} entries, sorted by name, ascending, directories first, weak ETag {etag}",
        expected.len()
    );
    assert!(trace.contains(&decided), "{trace}");
    assert!(
        trace.contains("HEAD -> the same head as GET, no body"),
        "{trace}"
    );
}

#[test]
fn bidi_and_invisible_controls_in_names_are_shown_visibly_and_linked_by_their_bytes() {
    let site = Site::new();
    // A directory whose own name reverses, holding names that hide their
    // real ending: each shown with the control written out.
    let folder = site.root.join("r\u{202E}txt.exe");
    fs::create_dir(&folder).unwrap();
    let names = [
        (
            "invoice\u{202E}gpj.exe",
            "invoice\\u{202E}gpj.exe",
            "invoice%E2%80%AEgpj.exe",
        ),
        (
            "a\u{2066}b\u{2069}.txt",
            "a\\u{2066}b\\u{2069}.txt",
            "a%E2%81%A6b%E2%81%A9.txt",
        ),
        (
            "zero\u{200B}width.txt",
            "zero\\u{200B}width.txt",
            "zero%E2%80%8Bwidth.txt",
        ),
    ];
    for (name, ..) in names {
        fs::write(folder.join(name), "hidden ending\n").unwrap();
    }
    let server = TestServer::start(&site.root);
    let reply = server.get("GET /r%E2%80%AEtxt.exe/ HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    let page = reply.body_text();
    for control in ['\u{202E}', '\u{2066}', '\u{2069}', '\u{200B}'] {
        assert!(!page.contains(control), "{control:?} raw in {page}");
    }
    assert!(
        page.contains("<title>Index of /r\\u{202E}txt.exe/</title>"),
        "{page}"
    );
    let (shown_names, hrefs) = (shown(&page), links(&page));
    for (_, shown_as, linked_as) in names {
        assert!(
            shown_names.iter().any(|s| s == shown_as),
            "{shown_as}: {shown_names:?}"
        );
        assert!(
            hrefs.iter().any(|h| h == linked_as),
            "{linked_as}: {hrefs:?}"
        );
        let reply = server.get(&format!(
            "GET /r%E2%80%AEtxt.exe/{linked_as} HTTP/1.1\r\nHost: t\r\n\r\n"
        ));
        assert_eq!(reply.status, 200, "{linked_as} leads to the file");
    }
}

#[test]
fn listings_sort_by_the_query_or_sort_and_the_etag_follows_the_order() {
    let site = Site::new();
    let dir = site.root.join("d");
    fs::create_dir_all(dir.join("sub")).unwrap();
    let epoch = std::time::UNIX_EPOCH;
    for (name, size, secs) in [("b.txt", 30, 300), ("a.txt", 10, 100), ("c.txt", 20, 200)] {
        let path = dir.join(name);
        fs::write(&path, "x".repeat(size)).unwrap();
        let file = fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(epoch + std::time::Duration::from_secs(1_700_000_000 + secs))
            .unwrap();
    }
    let mut server = Binary::serving(&site.root, &["--quiet", "--sort", "time"]);
    let page = |query: &str| {
        let mut client = Client::connect(server.addr);
        client.send(format!("GET /d/{query} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let reply = client.read_reply(false);
        (
            shown(&reply.body_text()),
            reply.header("etag").unwrap().to_string(),
            reply.body_text(),
        )
    };
    // --sort time: newest first, by default.
    let (names, default_tag, body) = page("");
    assert_eq!(names, ["../", "sub/", "b.txt", "c.txt", "a.txt"]);
    assert!(
        body.contains("<a href=\"?sort=time&amp;order=asc\">Modified (UTC)</a> \u{25bc}"),
        "{body}"
    );
    assert!(
        body.contains("<a href=\"?sort=size&amp;order=desc\">Size</a>"),
        "{body}"
    );
    let (names, size_tag, _) = page("?sort=size&order=desc");
    assert_eq!(names, ["../", "sub/", "b.txt", "c.txt", "a.txt"]);
    assert_ne!(size_tag, default_tag, "the tag covers the order");
    let (names, _, _) = page("?sort=size&order=asc");
    assert_eq!(names, ["../", "sub/", "a.txt", "c.txt", "b.txt"]);
    let (names, _, _) = page("?sort=name");
    assert_eq!(names, ["../", "sub/", "a.txt", "b.txt", "c.txt"]);
    // Unknown values fall back to the default; the same order, the same tag.
    let (names, tag, _) = page("?sort=colour&order=up");
    assert_eq!(names, ["../", "sub/", "b.txt", "c.txt", "a.txt"]);
    assert_eq!(tag, default_tag);
    server.stop();
    let output = crate::common::run_binary(&["--port", "0", "--sort", "colour"]);
    assert_eq!(output.status.code(), Some(2));
}
