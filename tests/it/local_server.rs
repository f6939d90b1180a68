//! What people expect of a local static server besides files: the site's
//! own 404 page, and `--open` starting a browser at the served URL.

use std::fs;
use std::time::{Duration, Instant};

use crate::common::{unix_only, Binary, Client, Site, TestServer};

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
