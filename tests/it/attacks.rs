//! What an outsider tried against `--auth`, the upload sink, `--header`,
//! `--watch`, listings and start-up, each as a regression test named after
//! what it guards: a guarded page reached through the SPA fallback or the
//! 404 page, `--auth-path` spellings that guarded nothing, a guarded file's
//! size in a public listing, credentials in the trace and the report,
//! multipart padding and names that cost more than the upload, split or
//! repeated `--header` values, the reload script in the wrong place, reload
//! slots held by viewers gone, and a made-up SYN in the capture.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::common::{self, basic, read_until, Binary, Client, Site};

#[test]
fn a_spa_page_under_a_guarded_prefix_asks_for_credentials_through_the_fallback() {
    let site = Site::new();
    std::fs::create_dir(site.root.join("admin")).unwrap();
    site.write("admin/app.html", "<h1>the admin app</h1>\n");
    let server = Binary::serving(
        &site.root,
        &[
            "--quiet",
            "--auth",
            "carol:pw",
            "--auth-path",
            "/admin",
            "--spa=admin/app.html",
        ],
    );
    let html = "Accept: text/html\r\n";
    let direct = server.ask("GET /admin/app.html", html);
    assert_eq!(direct.status, 401);
    for method in ["GET", "HEAD"] {
        let route = server.ask(&format!("{method} /dashboard"), html);
        assert_eq!(route.status, 401, "{method} /dashboard");
        assert!(!route.body_text().contains("admin app"), "{method}");
        assert!(route.header("www-authenticate").is_some(), "{method}");
    }
    let granted = server.ask("GET /dashboard", &format!("{html}{}", basic("carol:pw")));
    assert_eq!(granted.status, 200);
    assert_eq!(granted.body_text(), "<h1>the admin app</h1>\n");
    // Public pages and assets are as before.
    assert_eq!(server.ask("GET /hello.txt", "").status, 200);
    assert_eq!(server.ask("GET /app.js", html).status, 404);
}

#[test]
fn auth_path_is_read_as_a_request_target_is() {
    let site = Site::new();
    for folder in ["my docs", "私人", "private"] {
        std::fs::create_dir(site.root.join(folder)).unwrap();
        std::fs::write(site.root.join(folder).join("s.txt"), "guarded\n").unwrap();
    }
    let cases = [
        ("/my%20docs", "/my%20docs/s.txt"),
        ("/my docs/", "/my%20docs/s.txt"),
        ("/%E7%A7%81%E4%BA%BA/", "/%E7%A7%81%E4%BA%BA/s.txt"),
        ("/私人", "/%e7%a7%81%e4%ba%ba/s.txt"),
        ("/%70rivate", "/private/s.txt"),
        ("/./private", "/private/s.txt"),
        ("/x/../private", "/PRIVATE/s.txt"),
    ];
    for (prefix, target) in cases {
        let server = Binary::serving(
            &site.root,
            &["--quiet", "--auth", "a:b", "--auth-path", prefix],
        );
        let refused = server.ask(&format!("GET {target}"), "");
        assert_eq!(refused.status, 401, "--auth-path {prefix:?}, GET {target}");
        // The folder's own spelling, for a file system that tells case.
        let file = target.replace("PRIVATE", "private");
        let granted = server.ask(&format!("GET {file}"), &basic("a:b"));
        assert_eq!(granted.status, 200, "--auth-path {prefix:?}, GET {target}");
        assert_eq!(server.ask("GET /hello.txt", "").status, 200, "{prefix}");
    }
}

/// Runs the binary with `args` on a free port and returns its exit code
/// and stderr; one that starts serving instead of exiting is stopped, and
/// the test fails.
fn start_up_refusal(args: &[&str]) -> (Option<i32>, String) {
    let mut child = common::binary_command()
        .args(["--port", "0"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = String::new();
    // A server that starts prints its banner and keeps stdout open; one
    // that refuses exits, which ends it.
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut out, &mut line).unwrap_or(0) > 0 {
        if line.starts_with("Press Ctrl-C") {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} started serving: {stdout}{line}");
        }
        stdout.push_str(&line);
        line.clear();
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

#[test]
fn an_auth_path_that_can_name_nothing_is_refused_at_start_up() {
    let cases = [
        ("/../private", "climbs above the root"),
        ("/a/../../b", "climbs above the root"),
        ("/%zz", "percent"),
        ("/a%00b", "NUL"),
        ("/.git", "dotfile"),
        ("/docs?x=1", "query"),
        ("private", "starts with /"),
    ];
    for (prefix, why) in cases {
        let flag = format!("--auth-path={prefix}");
        let (code, stderr) = start_up_refusal(&["--auth", "a:b", &flag]);
        assert_eq!(code, Some(2), "{prefix}: {stderr}");
        assert!(
            stderr.contains("--auth-path") && stderr.contains(why),
            "{prefix}: {stderr}"
        );
    }
}

#[test]
fn an_upload_report_stays_small_however_long_its_names() {
    // A thousand parts, each named with 7,000 `<` (each `&lt;` on the
    // page): the report describes them in names cut to a length a person
    // reads, not in 28 MB.
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--quiet", "--sink", "/upload"]);
    let name = "<".repeat(7000);
    let mut body = Vec::new();
    for _ in 0..1000 {
        body.extend_from_slice(
            format!("--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\nx\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(b"--B--\r\n");
    let mut client = Client::connect(server.addr);
    client.send(
        format!(
            "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=B\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    client.send(&body);
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 200);
    let page = reply.body_text();
    assert_eq!(page.matches("<li>").count(), 1000);
    assert!(page.len() < 2 << 20, "a report of {} bytes", page.len());
    assert!(page.contains(&format!("{}…", "&lt;".repeat(200))));
}

#[test]
fn a_public_listing_names_a_guarded_file_without_its_size_or_time() {
    let site = Site::new();
    std::fs::create_dir(site.root.join("public")).unwrap();
    site.write("public/plan.txt", "p".repeat(54_321));
    site.write("public/small.txt", "s".repeat(10));
    site.write("public/large.txt", "l".repeat(200_000));
    std::fs::create_dir(site.root.join("public/vault")).unwrap();
    let server = Binary::serving(
        &site.root,
        &[
            "--quiet",
            "--auth",
            "a:b",
            "--auth-path",
            "/public/plan.txt",
            "--auth-path",
            "/public/vault",
        ],
    );
    let listing = server.ask("GET /public/", "").body_text();
    let row = |name: &str| {
        listing
            .lines()
            .find(|line| line.contains(&format!(">{name}<")))
            .unwrap_or_else(|| panic!("no row for {name}: {listing}"))
            .to_string()
    };
    let plan = row("plan.txt");
    assert!(
        !plan.contains("54321") && !plan.contains("54,321"),
        "{plan}"
    );
    assert!(
        !plan.contains("53.0 KiB") && !plan.contains("KiB"),
        "{plan}"
    );
    let year = row("small.txt");
    // The public file's time shows; the guarded one's does not.
    let shown_time = |line: &str| line.contains("20") && line.contains(':');
    assert!(shown_time(&year), "{year}");
    assert!(!shown_time(&plan), "{plan}");
    let vault = row("vault/");
    assert!(!shown_time(&vault), "{vault}");
    // Sorted by size, the guarded file sits where a size of nothing would,
    // not where its own size would put it.
    let by_size = server
        .ask("GET /public/?sort=size&order=desc", "")
        .body_text();
    let at = |name: &str| by_size.find(&format!(">{name}<")).unwrap();
    assert!(at("small.txt") < at("plan.txt"), "{by_size}");
    // With the credentials, the file itself is served.
    assert_eq!(
        server.ask("GET /public/plan.txt", &basic("a:b")).status,
        200
    );
}

#[test]
fn with_the_whole_site_guarded_a_404_asks_for_credentials_first() {
    let site = Site::new();
    site.write("404.html", "<h1>the site's own 404</h1>\n");
    let server = Binary::serving(&site.root, &["--quiet", "--auth", "a:b"]);
    for path in ["/.hidden", "/no-such-file", "/a/../../x", "/CON"] {
        let refused = server.ask(&format!("GET {path}"), "");
        assert_eq!(refused.status, 401, "{path}");
        assert!(!refused.body_text().contains("own 404"), "{path}");
    }
    let granted = server.ask("GET /.hidden", &basic("a:b"));
    assert_eq!(granted.status, 404);
    assert!(granted.body_text().contains("own 404"));
}

#[test]
fn the_404_page_under_a_guarded_prefix_is_not_shown_for_a_public_404() {
    let site = Site::new();
    site.write("404.html", "<h1>the site's own 404</h1>\n");
    let server = Binary::serving(
        &site.root,
        &["--quiet", "--auth", "a:b", "--auth-path", "/404.html"],
    );
    let public = server.ask("GET /no-such-file", "");
    assert_eq!(public.status, 404);
    assert!(!public.body_text().contains("own 404"));
    let granted = server.ask("GET /no-such-file", &basic("a:b"));
    assert!(granted.body_text().contains("own 404"));
}

#[test]
fn the_reload_stream_is_guarded_when_the_whole_site_is() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--quiet", "--auth", "a:b", "--watch"]);
    let refused = server.ask("GET /.glasshttp/reload", "");
    assert_eq!(refused.status, 401);
    let mut client = Client::connect(server.addr);
    client.send(
        format!(
            "GET /.glasshttp/reload HTTP/1.1\r\nHost: t\r\n{}\r\n",
            basic("a:b")
        )
        .as_bytes(),
    );
    let head = read_until(&mut client, "\r\n\r\n", common::SOCKET_TIMEOUT);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
}

/// Serves with `--trace --report` and `fields` on one request, stops, and
/// returns the trace and the report.
fn trace_and_report(fields: &str) -> (String, String) {
    let site = Site::new();
    let report = site.outside.path().join("report.html");
    let mut server = Binary::serving(
        &site.root,
        &[
            "--quiet",
            "--trace",
            "--auth",
            "alice:a-long-password-19",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let reply = server.ask("GET /hello.txt", fields);
    assert!(matches!(reply.status, 200 | 401), "{}", reply.status);
    server.stop();
    let trace = server.rest_of_stderr().join("\n");
    (trace, std::fs::read_to_string(report).unwrap())
}

#[test]
fn neither_the_trace_nor_the_report_tells_the_passwords_length() {
    let (good, good_report) = trace_and_report(&basic("alice:a-long-password-19"));
    let (wrong, wrong_report) = trace_and_report(&basic("alice:x"));
    for (what, text) in [
        ("trace", &good),
        ("report", &good_report),
        ("trace", &wrong),
        ("report", &wrong_report),
    ] {
        assert!(!text.contains("19 characters"), "{what}: {text}");
        assert!(!text.contains("1 characters"), "{what}: {text}");
        assert!(!text.contains("19 个字符"), "{what}");
        assert!(!text.contains(&"*".repeat(19)), "{what}: {text}");
    }
    let verdict = |trace: &str| {
        trace
            .lines()
            .find(|l| l.contains("Authorization: Basic … ->"))
            .unwrap_or_else(|| panic!("no verdict line: {trace}"))
            .replace("does not match", "matches")
            .replace("needs credentials (--auth): ", "")
    };
    // The same words for a one-character password and a nineteen.
    let strip = |line: String| line.split("-> ").nth(1).unwrap_or_default().to_string();
    assert_eq!(strip(verdict(&good)), strip(verdict(&wrong)));
}

#[test]
fn a_malformed_authorization_value_is_never_shown() {
    let cases = [
        "Authorization: Basic=dXNlcjpwYXNz\r\n",
        "Authorization: dXNlcjpwYXNz\r\n",
        "Authorization: dXNlcjpwYXNz extra\r\n",
        "Proxy-Authorization: Basic=dXNlcjpwYXNz\r\n",
    ];
    for field in cases {
        let (trace, report) = trace_and_report(field);
        for (what, text) in [("trace", &trace), ("report", &report)] {
            assert!(!text.contains("dXNlcjpwYXNz"), "{field:?} {what}: {text}");
            assert!(text.contains("bytes hidden"), "{field:?} {what}");
        }
    }
}

#[test]
fn a_refused_header_value_is_shown_escaped() {
    let cases = [
        ("X-A: a\r\nb", "a\\r\\nb"),
        ("X-A: a\x1b[31mred", "\\x1b[31mred"),
    ];
    for (value, escaped) in cases {
        let (code, stderr) = start_up_refusal(&["--header", value]);
        assert_eq!(code, Some(2), "{value:?}");
        assert!(stderr.contains(escaped), "{value:?}: {stderr:?}");
        assert!(
            !stderr.contains('\r') && !stderr.contains('\x1b'),
            "{value:?}: {stderr:?}"
        );
        let lines_about = stderr.lines().filter(|l| l.contains("--header")).count();
        assert_eq!(lines_about, 1, "{stderr:?}");
    }
}

#[test]
fn a_field_that_must_not_repeat_is_refused_when_given_twice() {
    let refused = [
        ["Server: one", "Server: two"],
        ["Cache-Control: no-cache", "cache-control: max-age=5"],
        ["X-Frame-Options: DENY", "X-Frame-Options: SAMEORIGIN"],
        ["Referrer-Policy: no-referrer", "Referrer-Policy: origin"],
    ];
    for [first, second] in refused {
        let (code, stderr) = start_up_refusal(&["--header", first, "--header", second]);
        assert_eq!(code, Some(2), "{first} + {second}: {stderr}");
        assert!(stderr.contains("twice"), "{stderr}");
    }
    // A list field may come twice, as two lines.
    let site = Site::new();
    let server = Binary::serving(
        &site.root,
        &[
            "--quiet",
            "--header",
            "Link: </style.css>; rel=preload",
            "--header",
            "Link: </data.json>; rel=preload",
        ],
    );
    let reply = server.ask("GET /hello.txt", "");
    let links = reply
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("link"))
        .count();
    assert_eq!(links, 2);
}

const SCRIPT: &str = "<script>/* glasshttp --watch */";

#[test]
fn the_reload_script_goes_where_a_parser_ends_the_body() {
    let site = Site::new();
    let pages = [
        (
            "comment.html",
            "<body><p>x</p></body><!-- </body> -->",
            "<p>x</p>{S}</body><!-- </body> -->",
        ),
        (
            "string.html",
            "<p>y</p><script>var s = \"</body>\";</script>",
            "<script>var s = \"</body>\";</script>{S}",
        ),
        (
            "attribute.html",
            "<body><a title='</body>'>z</a></body></html>",
            "<a title='</body>'>z</a>{S}</body></html>",
        ),
    ];
    for (name, page, _) in pages {
        site.write(name, page);
    }
    let server = Binary::serving(&site.root, &["--quiet", "--watch"]);
    for (name, _, expected) in pages {
        let body = server.ask(&format!("GET /{name}"), "").body_text();
        let script_at = body.find(SCRIPT).expect("the script");
        let end = body[script_at..].find("</script>").unwrap() + script_at + 9;
        let shown = format!("{}{{S}}{}", &body[..script_at], &body[end..]);
        assert!(shown.ends_with(expected), "{name}: {body}");
    }
}

#[test]
fn a_reload_stream_whose_viewer_has_gone_frees_its_slot() {
    let site = Site::new();
    let server = Binary::serving(&site.root, &["--quiet", "--watch"]);
    let open = || {
        let mut client = Client::connect(server.addr);
        client.send(b"GET /.glasshttp/reload HTTP/1.1\r\nHost: t\r\n\r\n");
        let head = read_until(&mut client, "\r\n\r\n", common::SOCKET_TIMEOUT);
        (client, head)
    };
    let mut held = Vec::new();
    for _ in 0..16 {
        let (client, head) = open();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        held.push(client);
    }
    let (_, full) = open();
    assert!(full.starts_with("HTTP/1.1 503"), "{full}");
    // Every viewer goes: their slots come back well before a heartbeat
    // (15 s) could find out by writing.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let (client, head) = open();
        if head.starts_with("HTTP/1.1 200") {
            drop(client);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slots were not freed: {head}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_large_tree_warning_of_watch_prints_once() {
    let site = Site::new();
    site.write("page.html", "<body>v1</body>");
    let many = site.root.join("many");
    std::fs::create_dir(&many).unwrap();
    for n in 0..20_100 {
        std::fs::write(many.join(format!("f{n}")), "").unwrap();
    }
    let mut server = Binary::serving(&site.root, &["--watch"]);
    let mut stream = Client::connect(server.addr);
    stream.send(b"GET /.glasshttp/reload HTTP/1.1\r\nHost: t\r\n\r\n");
    read_until(&mut stream, "\r\n\r\n", common::SOCKET_TIMEOUT);
    // A change the walks see (the root's own entries come first): two
    // walks at least have run once its event arrives.
    site.write("page.html", "<body>v2</body>");
    let event = read_until(&mut stream, "event: reload", Duration::from_secs(20));
    assert!(event.contains("event: reload"), "{event}");
    drop(stream);
    server.stop();
    let warnings = server
        .rest_of_stderr()
        .into_iter()
        .filter(|line| line.contains("more than 20000 entries"))
        .count();
    assert_eq!(warnings, 1);
}

#[test]
fn a_client_that_connects_the_instant_the_port_listens_has_its_real_syn_captured() {
    if !common::unix_only("a FIFO") || !common::kernel_tells_tcp() {
        return;
    }
    if !common::require_program("tshark") {
        return;
    }
    // The capture is a FIFO: opening it waits for a reader, so the server
    // is held between listening and the capture's start for as long as
    // the test likes, and the client connects inside that window.
    let site = Site::new();
    let fifo = site.outside.path().join("capture.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut command = common::binary_command();
    command
        .args(["--root", site.root.to_str().unwrap(), "--quiet"])
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--capture", fifo.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut server = command.spawn().unwrap();
    let deadline = Instant::now() + common::SOCKET_TIMEOUT;
    let stream = loop {
        match std::net::TcpStream::connect(addr) {
            Ok(stream) => break stream,
            Err(error) => assert!(Instant::now() < deadline, "never listened: {error}"),
        }
        std::thread::yield_now();
    };
    // Now let the server open its capture, and read it as it is written.
    let capture = site.outside.path().join("capture.pcapng");
    let mut reader = std::fs::File::open(&fifo).unwrap();
    let copier = {
        let capture = capture.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).unwrap();
            std::fs::write(capture, bytes).unwrap();
        })
    };
    let mut client = Client::over(stream);
    client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(client.read_reply(false).status, 200);
    drop(client);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    assert!(server.wait().unwrap().success());
    copier.join().unwrap();
    let fields = std::process::Command::new("tshark")
        .args(["-r", capture.to_str().unwrap()])
        .args(["-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0"])
        .args(["-T", "fields", "-e", "tcp.options.mss_val"])
        .output()
        .unwrap();
    let mss = String::from_utf8_lossy(&fields.stdout);
    let mss: Vec<&str> = mss.lines().collect();
    assert!(!mss.is_empty(), "no SYN in the capture");
    assert!(
        mss.iter().all(|value| !value.is_empty()),
        "a SYN was made up (no MSS): {mss:?}"
    );
}
