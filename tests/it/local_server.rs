//! What people expect of a local static server besides files: the site's
//! own 404 page, and `--open` starting a browser at the served URL.

use std::fs;
use std::time::{Duration, Instant};

use crate::common::{read_until, unix_only, Binary, Client, Site, TestServer};

#[test]
fn the_sites_404_html_is_the_body_of_every_404() {
    let site = Site::new();
    let server = TestServer::start(&site.root);
    let built_in = server.get("GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(built_in.status, 404);
    assert!(built_in.body_text().contains("404 Not Found"));

    site.write("404.html", "<h1>lost in this site</h1>\n");
    let mut client = server.connect();
    for target in ["/missing", "/docs/nothing.css", "/.secret", "/a/../../x"] {
        client.send(format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let reply = client.read_reply(false);
        assert_eq!(reply.status, 404, "{target}");
        assert_eq!(
            reply.body_text(),
            "<h1>lost in this site</h1>\n",
            "{target}"
        );
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        client.send(format!("HEAD {target} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let head = client.read_reply(true);
        assert_eq!(head.status, 404);
        assert_eq!(
            head.header("content-length"),
            reply.header("content-length"),
            "HEAD {target} matches GET"
        );
    }
    // Other statuses keep their own pages; an edit shows on the next 404.
    client.send(b"GET %zz HTTP/1.1\r\nHost: t\r\n\r\n");
    assert!(client
        .read_reply(false)
        .body_text()
        .contains("400 Bad Request"));
    site.write("404.html", "<h1>edited</h1>\n");
    client.send(b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).body_text(), "<h1>edited</h1>\n");
    // The page itself is an ordinary file.
    let page = server.get("GET /404.html HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        (page.status, page.body_text().as_str()),
        (200, "<h1>edited</h1>\n")
    );
}

/// A `$BROWSER` that warns on stderr and stdout, as real browsers' launchers
/// do, reads its stdin, then writes the URL it was given to `record`: it
/// dies before recording if any of the three is a closed pipe.
fn recording_browser(site: &Site) -> (std::path::PathBuf, std::path::PathBuf) {
    let script = site.outside.path().join("browser.sh");
    let record = site.outside.path().join("opened.txt");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\nset -e\necho 'browser: a warning' >&2\necho 'browser: starting'\n\
             cat > /dev/null\nprintf '%s' \"$1\" > '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    }
    (script, record)
}

#[test]
fn open_starts_the_browser_at_the_served_url_or_says_why_not() {
    if !unix_only("a shell script as $BROWSER") {
        return;
    }
    let site = Site::new();
    let (script, record) = recording_browser(&site);
    let args = ["--open", "--quiet"];
    let server = Binary::serving_under(
        crate::common::binary_command(),
        &site.root,
        &args,
        &[("BROWSER", script.to_str().unwrap())],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !record.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let opened = fs::read_to_string(&record).expect("the browser was started");
    assert_eq!(opened, format!("http://{}/", server.addr));
    drop(server);

    let server = Binary::serving_under(
        crate::common::binary_command(),
        &site.root,
        &args,
        &[("BROWSER", "/no/such/browser")],
    );
    let line = server.next_stderr_line();
    assert!(
        line.starts_with("glasshttp: could not start a browser (")
            && line.ends_with(&format!("open http://{}/ yourself", server.addr)),
        "{line}"
    );
    let mut client = Client::connect(server.addr);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200, "serving goes on");
}

#[test]
fn the_folder_is_a_positional_argument_and_the_current_directory_by_default() {
    let site = Site::new();
    site.write("hello.txt", "hello from the site\n");
    let root = site.root.to_str().unwrap();
    // `glasshttp DIR`, as python -m http.server DIR and the other peers.
    let mut server = Binary::start_command(
        crate::common::binary_command(),
        &[root, "--port", "0", "--quiet"],
        &[],
    );
    assert!(
        server.banner[0].ends_with("(given on the command line)"),
        "{:?}",
        server.banner
    );
    let reply = server.get("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.body_text(), "hello from the site\n");
    server.stop();

    // Neither: started in a folder without www/, it serves that folder.
    let mut command = crate::common::binary_command();
    command.current_dir(&site.root);
    let mut server = Binary::start_command(command, &["--port", "0", "--quiet"], &[]);
    assert!(
        server.banner[0].ends_with("(the current directory, which has no www folder)"),
        "{:?}",
        server.banner
    );
    let reply = server.get("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    server.stop();

    // With a www/ beside where it starts, that one (the checkout's lab).
    fs::create_dir(site.root.join("www")).unwrap();
    site.write("www/index.html", "<p>the lab</p>\n");
    let mut command = crate::common::binary_command();
    command.current_dir(&site.root);
    let mut server = Binary::start_command(command, &["--port", "0", "--quiet"], &[]);
    assert!(server.banner[0].ends_with("(./www, found in the current directory)"));
    let reply = server.get("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.body_text(), "<p>the lab</p>\n");
    server.stop();

    // Both ways at once is a mistake, said plainly.
    let output = crate::common::run_binary(&[root, "--root", root]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

/// Every value of the field `name` in `reply`'s head.
fn values_of(reply: &crate::common::Reply, name: &str) -> Vec<String> {
    reply
        .fields_without_date()
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn header_adds_a_field_to_every_response_and_the_trace_marks_it() {
    let mut server = Binary::serving(
        &crate::common::www(),
        &[
            "--quiet",
            "--trace",
            "--header",
            "X-Frame-Options: DENY",
            "--header",
            "Cache-Control:max-age=60",
        ],
    );
    let mut client = Client::connect(server.addr);
    client.send(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n");
    let page = client.read_reply(false);
    let etag = page.header("etag").unwrap().to_string();
    let heads = [
        format!("GET /index.html HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n"),
        "GET /logo.png HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\n\r\n".to_string(),
        "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n".to_string(),
        "DELETE / HTTP/1.1\r\nHost: t\r\n\r\n".to_string(),
    ];
    let mut statuses = vec![page.status];
    let mut replies = vec![page];
    for head in &heads {
        client.send(head.as_bytes());
        let reply = client.read_reply(false);
        statuses.push(reply.status);
        replies.push(reply);
    }
    assert_eq!(statuses, [200, 304, 206, 404, 405]);
    for reply in &replies {
        assert_eq!(
            values_of(reply, "x-frame-options"),
            ["DENY"],
            "{}",
            reply.head
        );
        // The operator's Cache-Control takes the place of the default one.
        assert_eq!(
            values_of(reply, "cache-control"),
            ["max-age=60"],
            "{}",
            reply.head
        );
    }
    drop(client);
    let trace = server.stderr_until("] closed:");
    let marked: Vec<&String> = trace
        .iter()
        .filter(|line| line.ends_with("[added by --header]"))
        .collect();
    assert_eq!(marked.len(), 2 * replies.len(), "{trace:#?}");
    assert!(
        marked[0].contains("< X-Frame-Options: DENY\\r\\n"),
        "{marked:?}"
    );
    server.stop();

    for (bad, said) in [
        ("Content-Length: 5", "RFC 9112 §6"),
        ("Connection: close", "RFC 9110 §7.6.1"),
        ("ETag: \"x\"", "for each response"),
        ("X-A: a\rb", "control character"),
        ("Bad Name: x", "not a field name"),
    ] {
        let output = crate::common::run_binary(&["--port", "0", "--header", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{bad}: {stderr}");
    }
}

#[test]
fn cors_answers_other_origins_and_their_preflights_only_when_asked() {
    let www = crate::common::www();
    let preflight = "OPTIONS /logo.png HTTP/1.1\r\nHost: t\r\nOrigin: http://app.test\r\n\
                     Access-Control-Request-Method: GET\r\n\
                     Access-Control-Request-Headers: Range, X-Lab\r\n\r\n";
    let simple = "GET /index.html HTTP/1.1\r\nHost: t\r\nOrigin: http://app.test\r\n\r\n";
    let cors_fields = |reply: &crate::common::Reply| -> Vec<(String, String)> {
        reply
            .fields_without_date()
            .into_iter()
            .filter(|(name, _)| name.starts_with("access-control-"))
            .collect()
    };

    // Without --cors: no CORS field, ever; OPTIONS as before.
    let mut plain = Binary::serving(&www, &["--quiet"]);
    let reply = plain.get(simple);
    assert_eq!((reply.status, cors_fields(&reply)), (200, vec![]));
    let reply = plain.get(preflight);
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert!(cors_fields(&reply).is_empty(), "{}", reply.head);
    plain.stop();

    // Bare --cors: any origin.
    let mut any = Binary::serving(&www, &["--quiet", "--trace", "--cors"]);
    assert!(
        any.banner.iter().any(|l| l.contains("any origin")),
        "{:?}",
        any.banner
    );
    let reply = any.get(preflight);
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("GET, HEAD, OPTIONS")
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("range, x-lab")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("600"));
    let reply = any.get(simple);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert!(!values_of(&reply, "vary").join(",").contains("Origin"));
    // Two connections have been served: the preflight's trace is written
    // after its answer, so the second's may come first.
    let trace = any.stderr_until("decided: CORS preflight");
    assert!(
        trace.iter().any(|l| l.contains(
            "decided: CORS preflight (OPTIONS with Origin and Access-Control-Request-Method): \
             origin http://app.test is allowed, method GET is one of GET, HEAD, OPTIONS, \
             headers range, x-lab allowed -> 204 No Content"
        )),
        "{trace:#?}"
    );
    // A field name that is not one is not echoed.
    let bad = preflight.replace("Range, X-Lab", "a b");
    let reply = any.get(&bad);
    assert_eq!(reply.header("access-control-allow-headers"), None);
    any.stop();

    // --cors=ORIGIN: that origin only, and every answer varies on Origin.
    let mut list = Binary::serving(&www, &["--quiet", "--cors=http://app.test"]);
    let reply = list.get(simple);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://app.test")
    );
    let vary = values_of(&reply, "vary").join(", ");
    assert!(
        vary.contains("Accept-Encoding") && vary.contains("Origin"),
        "{vary}"
    );
    let etag = reply.header("etag").unwrap().to_string();
    let revalidated =
        list.get(&simple.replace("\r\n\r\n", &format!("\r\nIf-None-Match: {etag}\r\n\r\n")));
    assert_eq!(revalidated.status, 304);
    assert_eq!(
        revalidated.header("access-control-allow-origin"),
        Some("http://app.test")
    );
    let stranger = list.get(&simple.replace("app.test", "evil.test"));
    assert_eq!(stranger.status, 200);
    assert_eq!(stranger.header("access-control-allow-origin"), None);
    assert!(values_of(&stranger, "vary").join(",").contains("Origin"));
    list.stop();

    let output = crate::common::run_binary(&["--port", "0", "--cors=http://app.test/"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not an origin"));
}

#[test]
fn spa_serves_the_page_for_client_routes_and_404_for_assets() {
    let site = Site::new();
    site.write("index.html", "<p>the app</p>\n");
    site.write("app.js", "console.log(1)\n");
    site.write("404.html", "<p>no such asset</p>\n");
    let mut server = Binary::serving(&site.root, &["--quiet", "--trace", "--spa"]);
    let html = "Accept: text/html,application/xhtml+xml;q=0.9\r\n";
    let route = server.get(&format!(
        "GET /settings/profile HTTP/1.1\r\nHost: t\r\n{html}\r\n"
    ));
    assert_eq!(route.status, 200);
    assert_eq!(route.body_text(), "<p>the app</p>\n");
    // The page's own validators: a revalidation gets 304.
    let etag = route.header("etag").unwrap().to_string();
    let again = server.get(&format!(
        "GET /settings/profile HTTP/1.1\r\nHost: t\r\n{html}If-None-Match: {etag}\r\n\r\n"
    ));
    assert_eq!(again.status, 304);
    let head = server.get(&format!("HEAD /x HTTP/1.1\r\nHost: t\r\n{html}\r\n"));
    assert_eq!(head.status, 200);
    for (target, accept) in [
        ("/missing.js", html),
        ("/logo.png", html),
        ("/settings/profile", "Accept: */*\r\n"),
        ("/settings/profile", ""),
    ] {
        let reply = server.get(&format!("GET {target} HTTP/1.1\r\nHost: t\r\n{accept}\r\n"));
        assert_eq!(reply.status, 404, "{target} {accept:?}");
        assert_eq!(
            reply.body_text(),
            "<p>no such asset</p>\n",
            "404.html still applies"
        );
    }
    let present = server.get("GET /app.js HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(present.body_text(), "console.log(1)\n");
    let trace = server.wait_for_stderr("--spa: a client-side route");
    assert!(
        trace.contains(
            "no such file /settings/profile, --spa: a client-side route -> the page instead"
        ),
        "{trace}"
    );
    server.stop();

    let output =
        crate::common::run_binary(&[site.root.to_str().unwrap(), "--port", "0", "--spa=app.html"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--spa app.html: no such file"));
}

/// A site whose page was written an hour ago (so that it is cached and
/// compressed like any settled file).
fn watched_site() -> Site {
    let site = Site::new();
    let page = site.root.join("page.html");
    fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>v1</p></body></html>\n",
    )
    .unwrap();
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&page)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    site
}

#[test]
fn watch_injects_its_script_into_whole_html_pages_only() {
    let site = watched_site();
    let script = "<script>/* glasshttp --watch */";
    let mut plain = Binary::serving(&site.root, &["--quiet"]);
    let mut watching = Binary::serving(&site.root, &["--quiet", "--trace", "--watch"]);
    assert!(watching.banner.iter().any(|l| l.contains("(--watch)")));
    let get = |addr, extra: &str| {
        crate::common::request_once(
            addr,
            &format!("GET /page.html HTTP/1.1\r\nHost: t\r\n{extra}\r\n"),
        )
    };
    let as_is = get(plain.addr, "");
    assert!(!as_is.body_text().contains(script));
    let page = get(watching.addr, "");
    let body = page.body_text();
    assert!(
        body.ends_with(&format!("<p>v1</p>{}</body></html>\n", watched_script())),
        "{body}"
    );
    assert_eq!(
        page.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    let (tag, file_tag) = (page.header("etag").unwrap(), as_is.header("etag").unwrap());
    assert_ne!(tag, file_tag, "a representation of its own");
    assert!(!tag.starts_with("W/"), "strong: {tag}");
    // Revalidation against its own tag.
    let again = get(watching.addr, &format!("If-None-Match: {tag}\r\n"));
    assert_eq!(again.status, 304);
    // Asked compressed: the page as it is, with the script, never a coded
    // form of the file.
    let gzip = get(watching.addr, "Accept-Encoding: gzip, br\r\n");
    assert_eq!(gzip.header("content-encoding"), None);
    assert_eq!(gzip.body_text(), body);
    // A range is of the file as it is: no script, the file's tag.
    let range = get(watching.addr, "Range: bytes=0-4\r\n");
    assert_eq!(range.status, 206);
    assert_eq!(range.body_text(), "<!DOC");
    assert_eq!(range.header("etag"), Some(file_tag));
    // Not HTML: as it is.
    let text = watching.get("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(text.body_text(), "hello, world\n");
    // A listing is an HTML page too.
    let listing = watching.get("GET /empty-dir/ HTTP/1.1\r\nHost: t\r\n\r\n");
    assert!(listing.body_text().contains(script));
    // Without --watch the path is a dotfile like any other: 404.
    let none = plain.get("GET /.glasshttp/reload HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(none.status, 404);
    let trace = watching.wait_for_stderr("--watch: the page with the reload script");
    assert!(trace.contains("an ETag ending -watch"), "{trace}");
    plain.stop();
    watching.stop();
}

/// The script as the server writes it.
fn watched_script() -> &'static str {
    "<script>/* glasshttp --watch */window.glasshttpReload=new EventSource('/.glasshttp/reload');\
     window.glasshttpReload.addEventListener('reload',function(){location.reload();});</script>"
}

#[test]
fn watch_streams_one_reload_per_change_and_limits_its_listeners() {
    let site = watched_site();
    let mut server = Binary::serving(&site.root, &["--quiet", "--trace", "--watch"]);
    let mut listener = Client::connect(server.addr);
    listener.send(b"GET /.glasshttp/reload HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = read_until(&mut listener, "\r\n\r\n", Duration::from_secs(5));
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: text/event-stream\r\n"),
        "{head}"
    );
    assert!(head.contains("Transfer-Encoding: chunked\r\n"), "{head}");
    // HTTP/1.0 cannot read chunks: the stream is ended by the close.
    let mut old = Client::connect(server.addr);
    old.send(b"GET /.glasshttp/reload HTTP/1.0\r\n\r\n");
    let old_head = read_until(&mut old, "\r\n\r\n", Duration::from_secs(5));
    assert!(!old_head.contains("Transfer-Encoding"), "{old_head}");
    assert!(!old_head.contains("Content-Length"), "{old_head}");
    // An editor's save: a few writes in a row; one reload. (The watcher's
    // first walk is done before the banner, so no wait is needed first.)
    for version in ["v2", "v3", "v4"] {
        site.write("page.html", format!("<p>{version}</p>\n"));
        std::thread::sleep(Duration::from_millis(30));
    }
    let events = read_until(
        &mut listener,
        "event: reload\ndata: 1\n\n",
        Duration::from_secs(5),
    );
    assert!(events.contains("event: reload\ndata: 1\n\n"), "{events:?}");
    let more = read_until(&mut listener, "event: reload", Duration::from_secs(1));
    assert!(
        !more.contains("event: reload"),
        "one reload per burst: {more:?}"
    );
    let old_events = read_until(
        &mut old,
        "event: reload\ndata: 1\n\n",
        Duration::from_secs(2),
    );
    assert!(
        old_events.contains("event: reload\ndata: 1\n\n"),
        "{old_events:?}"
    );
    // Sixteen listeners at once, the 17th refused.
    let mut held = Vec::new();
    for _ in 0..14 {
        let mut client = Client::connect(server.addr);
        client.send(b"GET /.glasshttp/reload HTTP/1.1\r\nHost: t\r\n\r\n");
        assert!(
            read_until(&mut client, "\r\n\r\n", Duration::from_secs(5)).starts_with("HTTP/1.1 200")
        );
        held.push(client);
    }
    let refused = server.get("GET /.glasshttp/reload HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(refused.status, 503);
    let trace = server.wait_for_stderr("live-reload events (--watch)");
    assert!(trace.contains("-> 200 OK, text/event-stream"), "{trace}");
    drop(held);
    server.stop();
}

/// The habits people bring from python -m http.server, miniserve and serve,
/// tried as a new user would: short flags, a flag with an optional value
/// before the folder, `--bind localhost`, a port given as the folder.
#[test]
fn the_command_line_habits_of_the_peers_work() {
    let site = Site::new();
    site.write("index.html", "<p>home</p>\n");
    let root = site.root.to_str().unwrap();
    let shown = crate::common::shown_path(&site.root);
    for flag in ["--spa", "--cors"] {
        let mut server = Binary::start_command(
            crate::common::binary_command(),
            &[flag, root, "-p", "0", "-q"],
            &[],
        );
        assert!(
            server.banner[0].contains(&format!("serving {shown} (given")),
            "{flag}: {:?}",
            server.banner
        );
        let reply = server.get("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(reply.body_text(), "<p>home</p>\n", "{flag}");
        server.stop();
    }

    let mut server = Binary::start_command(
        crate::common::binary_command(),
        &[root, "-b", "localhost", "-p", "0"],
        &[],
    );
    let banner = server.banner.join("\n");
    assert!(
        banner.contains(" * Running on http://127.0.0.1:"),
        "{banner}"
    );
    assert!(banner.contains(" * Running on http://[::1]:"), "{banner}");
    server.stop();

    let empty = tempfile::tempdir().unwrap();
    let start_in_empty = |args: &[&str]| {
        let output = crate::common::binary_command()
            .args(args)
            .current_dir(empty.path())
            .env("LC_ALL", "C")
            .output()
            .expect("run glasshttp");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let said = start_in_empty(&["8000"]);
    assert!(
        said.contains(
            "no folder 8000 to serve; to serve on port 8000, pass --port 8000 (or -p 8000)"
        ),
        "{said}"
    );
    let missing = empty.path().join("nonexistent");
    let said = start_in_empty(&[missing.to_str().unwrap()]);
    assert!(said.contains("there is no folder"), "{said}");
    let file = empty.path().join("page.html");
    fs::write(&file, "x").unwrap();
    let said = start_in_empty(&[file.to_str().unwrap()]);
    assert!(said.contains("is a file, not a folder"), "{said}");
    for said in [
        start_in_empty(&["8000"]),
        start_in_empty(&["--root", "8000"]),
    ] {
        assert!(!said.contains("pass --root"), "{said}");
    }
}

/// Clean URLs, on by default: `/about` is `about.html` when nothing is
/// named `about`; a folder or file of that name wins; the page keeps its
/// own validators and credentials; the trace names the rewrite.
#[test]
fn clean_urls_serve_the_html_page_and_what_exists_wins() {
    let site = Site::new();
    site.write("about.html", "<p>about</p>\n");
    site.write("docs.html", "<p>docs page</p>\n"); // beside the folder docs/
    site.write("notes", "a file with no extension\n");
    site.write("notes.html", "<p>notes page</p>\n");
    fs::create_dir(site.root.join("blog")).unwrap();
    site.write("blog/first-post.html", "<p>first</p>\n");
    site.write("secret.html", "<p>secret</p>\n");
    let mut server = Binary::serving(
        &site.root,
        &[
            "--quiet",
            "--trace",
            "--auth",
            "u:pw",
            "--auth-path",
            "/secret.html",
        ],
    );
    let about = server.ask("GET /about", "");
    assert_eq!(about.status, 200);
    assert_eq!(about.body_text(), "<p>about</p>\n");
    assert_eq!(
        about.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let direct = server.ask("GET /about.html", "");
    assert_eq!(about.header("etag"), direct.header("etag"));
    let trace = server.wait_for_stderr("a clean URL");
    assert!(
        trace.ends_with(
            "decided: no file or folder /about: a clean URL -> the page /about.html instead (--no-clean-urls turns this off)"
        ),
        "{trace}"
    );
    let etag = format!("If-None-Match: {}\r\n", about.header("etag").unwrap());
    assert_eq!(server.ask("GET /about", &etag).status, 304);
    let head = server.ask("HEAD /about", "");
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(
        server.ask("GET /blog/first-post", "").body_text(),
        "<p>first</p>\n"
    );
    let folder = server.ask("GET /docs", "");
    assert_eq!(folder.status, 301, "the folder wins");
    assert_eq!(folder.header("location"), Some("/docs/"));
    assert_eq!(
        server.ask("GET /notes", "").body_text(),
        "a file with no extension\n",
        "the file wins"
    );
    assert_eq!(server.ask("GET /missing", "").status, 404);
    assert_eq!(server.ask("DELETE /about", "").status, 405);
    assert_eq!(
        server.ask("GET /secret", "").status,
        401,
        "the page's credentials"
    );
    let with = crate::common::basic("u:pw");
    assert_eq!(
        server.ask("GET /secret", &with).body_text(),
        "<p>secret</p>\n"
    );
    server.stop();

    let off = Binary::serving(&site.root, &["--quiet", "--no-clean-urls"]);
    assert_eq!(off.ask("GET /about", "").status, 404);
}

/// `--hidden` lists and serves dotfiles (`.well-known/`), never `.git` or
/// `.glasshttp`; without it, no dotfile is listed or served.
#[test]
fn hidden_serves_dotfiles_but_never_the_repository() {
    let site = Site::new();
    fs::create_dir(site.root.join(".well-known")).unwrap();
    site.write(".well-known/security.txt", "Contact: mailto:a@b.test\n");
    fs::create_dir(site.root.join(".git")).unwrap();
    site.write(".git/config", "[core]\n");
    fs::create_dir(site.root.join("listed")).unwrap();
    site.write("listed/.env", "KEY=1\n");
    site.write("listed/a.txt", "a\n");
    fs::create_dir(site.root.join("listed/.git")).unwrap();
    let default = Binary::serving(&site.root, &["--quiet"]);
    assert_eq!(default.ask("GET /.well-known/security.txt", "").status, 404);
    let listing = default.ask("GET /listed/", "").body_text();
    assert!(
        listing.contains("a.txt") && !listing.contains(".env"),
        "{listing}"
    );

    let hidden = Binary::serving(&site.root, &["--quiet", "--hidden"]);
    let reply = hidden.ask("GET /.well-known/security.txt", "");
    assert_eq!(reply.body_text(), "Contact: mailto:a@b.test\n");
    assert_eq!(hidden.ask("GET /listed/.env", "").body_text(), "KEY=1\n");
    let listing = hidden.ask("GET /listed/", "").body_text();
    assert!(
        listing.contains("a.txt") && listing.contains(".env"),
        "{listing}"
    );
    assert!(!listing.contains(".git"), "{listing}");
    for never in [
        "/.git/config",
        "/.GIT/config",
        "/.git/",
        "/.glasshttp/reload",
    ] {
        assert_eq!(
            hidden.ask(&format!("GET {never}"), "").status,
            404,
            "{never}"
        );
    }
}

/// `--index` names a directory's index pages, the first found served; a
/// directory with none of them is listed, and the trace names them.
#[test]
fn index_names_the_pages_of_a_directory_in_order() {
    let site = Site::new();
    for dir in ["both", "other", "plain"] {
        fs::create_dir(site.root.join(dir)).unwrap();
    }
    site.write("both/index.htm", "htm\n");
    site.write("both/default.html", "default\n");
    site.write("other/default.html", "default\n");
    site.write("plain/index.html", "html\n");
    let server = Binary::serving(
        &site.root,
        &[
            "--quiet",
            "--trace",
            "--index",
            "index.htm",
            "--index",
            "default.html",
        ],
    );
    assert_eq!(server.ask("GET /both/", "").body_text(), "htm\n");
    assert_eq!(server.ask("GET /other/", "").body_text(), "default\n");
    let listed = server.ask("GET /plain/", "");
    assert!(
        listed.body_text().contains("index.html"),
        "listed, not served"
    );
    let trace = server.wait_for_stderr("a directory without");
    assert!(
        trace.contains("GET /plain/ -> a directory without index.htm or default.html: its listing"),
        "{trace}"
    );
    let default = Binary::serving(&site.root, &["--quiet"]);
    assert_eq!(default.ask("GET /plain/", "").body_text(), "html\n");

    for (name, said) in [
        ("docs/index.html", "is a path"),
        (".htaccess", "dotfile"),
        ("", "a file name"),
    ] {
        let output = crate::common::run_binary(&["--port", "0", "--index", name]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{name}: {stderr}");
    }
}

/// The modules of a QR code drawn in half blocks (`█` light above and
/// below, `▀` light above, `▄` light below), read back by a decoder: what
/// a phone's camera would see on a terminal with light text on dark.
fn decode_half_blocks(lines: &[&str]) -> Option<String> {
    let rows: Vec<Vec<bool>> = lines
        .iter()
        .flat_map(|line| {
            let cells: Vec<char> = line.chars().collect();
            let upper = cells.iter().map(|c| matches!(c, '█' | '▀')).collect();
            let lower = cells.iter().map(|c| matches!(c, '█' | '▄')).collect();
            [upper, lower]
        })
        .collect();
    decode_light(&rows)
}

/// Decodes a grid of modules, `true` where light, each drawn 4 pixels wide.
pub fn decode_light(rows: &[Vec<bool>]) -> Option<String> {
    const SCALE: usize = 4;
    let height = rows.len() * SCALE;
    let width = rows.iter().map(Vec::len).max()? * SCALE;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let light = rows[y / SCALE].get(x / SCALE).copied().unwrap_or(true);
        if light {
            255
        } else {
            0
        }
    });
    let grids = image.detect_grids();
    let (_, text) = grids.first()?.decode().ok()?;
    Some(text)
}

/// `--qr`: the banner draws the address a phone would use (the first one
/// not on loopback, else loopback), and a decoder reads that address back;
/// every listing shows the code of its own address.
#[test]
fn qr_draws_the_address_a_phone_would_use_and_a_decoder_reads_it() {
    let site = Site::new();
    fs::create_dir(site.root.join("photos")).unwrap();
    for (bind, loopback) in [("127.0.0.1", true), ("0.0.0.0", false)] {
        let server = Binary::serving(&site.root, &["--quiet", "--qr", "--bind", bind]);
        let at = server
            .banner
            .iter()
            .position(|line| line.starts_with(" * Scan to open "))
            .unwrap_or_else(|| panic!("{:?}", server.banner));
        let url = server.banner[at]
            .strip_prefix(" * Scan to open ")
            .and_then(|rest| rest.strip_suffix(" on a phone (--qr):"))
            .unwrap()
            .to_string();
        let drawn: Vec<&str> = server.banner[at + 1..]
            .iter()
            .take_while(|line| line.starts_with("   "))
            .map(|line| &line[3..])
            .collect();
        assert!(
            drawn.iter().all(|line| !line.contains('\x1b')),
            "no colours"
        );
        assert_eq!(decode_half_blocks(&drawn).as_deref(), Some(url.as_str()));
        assert!(
            server
                .banner
                .iter()
                .any(|line| line == &format!(" * Running on {url}")),
            "{:?}",
            server.banner
        );
        let on_loopback = url.starts_with("http://127.") || url.starts_with("http://[::1]");
        let machine_has_other = server
            .banner
            .iter()
            .filter(|l| l.starts_with(" * Running on http://"))
            .count()
            > 1;
        let warned = server
            .banner
            .iter()
            .any(|line| line.contains("only with --bind 0.0.0.0"));
        assert_eq!(warned, on_loopback, "{:?}", server.banner);
        if loopback {
            assert!(on_loopback, "{url}");
        } else if machine_has_other {
            assert!(!on_loopback, "a phone cannot reach {url}");
        }
        let listing = server.ask("GET /photos/", "").body_text();
        let expected = format!("{}photos/", url);
        assert!(
            listing.contains(&format!("<figcaption>{expected}</figcaption>")),
            "{listing}"
        );
        assert_eq!(decode_svg(&listing).as_deref(), Some(expected.as_str()));
    }
    let plain = Binary::serving(&site.root, &["--quiet"]);
    assert!(!plain.banner.iter().any(|line| line.contains("Scan")));
    assert!(!plain.ask("GET /photos/", "").body_text().contains("<svg"));
}

/// The code in a page's SVG (`M{x} {y}h1v1h-1z` per dark module), decoded.
fn decode_svg(page: &str) -> Option<String> {
    let svg = &page[page.find("<svg")?..];
    let size: usize = svg
        .split("viewBox=\"0 0 ")
        .nth(1)?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    let mut rows = vec![vec![true; size]; size];
    let path = svg.split(" d=\"").nth(1)?.split('"').next()?;
    for module in path.split('z').filter(|m| !m.is_empty()) {
        let (x, rest) = module.strip_prefix('M')?.split_once(' ')?;
        let y = rest.strip_suffix("h1v1h-1")?;
        rows[y.parse::<usize>().ok()?][x.parse::<usize>().ok()?] = false;
    }
    decode_light(&rows)
}
