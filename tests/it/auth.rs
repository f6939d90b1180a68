//! `--auth` and `--auth-path` over real sockets, and with curl as a real
//! client: the 401 and its challenge, for every kind of request, telling
//! nothing of the file; the access log's user; a trace, an inspector and a
//! log that never show the password; clear errors for bad flags.

use base64::Engine;

use crate::common::{basic, require_program, run_binary, Binary, Site};

/// A site with a private folder.
fn private_site() -> Site {
    let site = Site::new();
    std::fs::create_dir(site.root.join("private")).unwrap();
    site.write("private/notes.txt", "the private notes\n");
    site
}

#[test]
fn without_the_credentials_every_request_is_a_401_that_tells_nothing_of_the_file() {
    let site = private_site();
    let server = Binary::serving(&site.root, &["--auth", "alice:s3:cret", "--quiet"]);
    let granted = server.ask("GET /hello.txt", &basic("alice:s3:cret"));
    assert_eq!(granted.status, 200);
    let etag = granted.header("etag").unwrap().to_string();
    let cases = [
        ("no Authorization", "GET /hello.txt", String::new()),
        ("HEAD", "HEAD /hello.txt", String::new()),
        ("a wrong password", "GET /hello.txt", basic("alice:s3:creT")),
        ("another user", "GET /hello.txt", basic("bob:s3:cret")),
        (
            "not Base64",
            "GET /hello.txt",
            "Authorization: Basic !!!\r\n".into(),
        ),
        (
            "another scheme",
            "GET /hello.txt",
            "Authorization: Bearer x\r\n".into(),
        ),
        (
            "a conditional request",
            "GET /hello.txt",
            format!("If-None-Match: {etag}\r\n"),
        ),
        ("a range", "GET /hello.txt", "Range: bytes=0-1\r\n".into()),
        ("a listing", "GET /empty-dir/", String::new()),
        ("a missing file", "GET /no-such-file", String::new()),
        (
            "a directory without its slash",
            "GET /private",
            String::new(),
        ),
    ];
    for (name, request, fields) in cases {
        let reply = server.ask(request, &fields);
        assert_eq!(reply.status, 401, "{name}");
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Basic realm=\"glasshttp\", charset=\"UTF-8\""),
            "{name}"
        );
        for leak in [
            "etag",
            "last-modified",
            "content-range",
            "accept-ranges",
            "location",
        ] {
            assert!(
                reply.header(leak).is_none(),
                "{name}: {leak} in {}",
                reply.head
            );
        }
        if request.starts_with("HEAD") {
            assert!(reply.body.is_empty(), "{name}");
        } else {
            assert!(reply.body_text().contains("401 Unauthorized"), "{name}");
            assert!(!reply.body_text().contains("hello"), "{name}");
        }
    }
    // The scheme in any case, UTF-8 credentials, and then everything works.
    let lower = basic("alice:s3:cret").replace("Basic", "bAsIc");
    assert_eq!(server.ask("GET /hello.txt", &lower).status, 200);
    let revalidated = server.ask(
        "GET /hello.txt",
        &format!("{}If-None-Match: {etag}\r\n", basic("alice:s3:cret")),
    );
    assert_eq!(revalidated.status, 304);
    let chinese = Binary::serving(&site.root, &["--auth", "李华:密码", "--quiet"]);
    assert_eq!(
        chinese.ask("GET /hello.txt", &basic("李华:密码")).status,
        200
    );
}

#[test]
fn auth_path_guards_only_its_prefixes_whatever_their_case() {
    let site = private_site();
    let server = Binary::serving(
        &site.root,
        &["--auth", "alice:x", "--auth-path", "/private/", "--quiet"],
    );
    let cases = [
        ("/hello.txt", "", 200),
        ("/private/notes.txt", "", 401),
        ("/PRIVATE/notes.txt", "", 401),
        ("/%70rivate/notes.txt", "", 401),
        ("/private/", "", 401),
        ("/private/notes.txt", "alice:x", 200),
    ];
    for (path, pair, status) in cases {
        let fields = if pair.is_empty() {
            String::new()
        } else {
            basic(pair)
        };
        assert_eq!(
            server.ask(&format!("GET {path}"), &fields).status,
            status,
            "{path}"
        );
    }
}

#[test]
fn the_log_names_the_user_and_no_trace_log_or_inspector_shows_the_password() {
    let site = private_site();
    let server = Binary::serving(
        &site.root,
        &["--auth", "alice:s3:cret", "--trace", "--inspect", "0"],
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode("alice:s3:cret");
    assert_eq!(
        server.ask("GET /hello.txt", &basic("alice:s3:cret")).status,
        200
    );
    assert_eq!(
        server.ask("GET /hello.txt", &basic("alice:wrong")).status,
        401
    );
    // The two connections' lines may come in either order.
    let mut said: Vec<String> = Vec::new();
    while !["[conn 1] closed:", "[conn 2] closed:"]
        .iter()
        .all(|close| said.iter().any(|line| line.starts_with(close)))
    {
        said.push(server.next_stderr_line());
    }
    let text = said.join("\n");
    assert!(
        said.iter()
            .any(|l| l.starts_with("127.0.0.1 - alice [") && l.ends_with("\" 200 13")),
        "{text}"
    );
    assert!(
        said.iter()
            .any(|l| l.starts_with("127.0.0.1 - - [") && l.contains("\" 401 ")),
        "{text}"
    );
    for decided in [
        "decided: Authorization: Basic … -> user alice, password ******** (hidden) matches -> proceed",
        "decided: Basic is Base64, an encoding and not encryption: anyone who sees this request (the capture, Wireshark) decodes the password",
        "decided: GET /hello.txt needs credentials (--auth): Authorization: Basic … -> user alice, password ******** (hidden) does not match -> 401 Unauthorized, WWW-Authenticate: Basic realm=\"glasshttp\", charset=\"UTF-8\"",
        "> Authorization: Basic <20 bytes hidden here; the capture has them>",
    ] {
        assert!(text.contains(decided), "{decided} not in {text}");
    }
    for secret in ["s3:cret", encoded.as_str(), "wrong"] {
        assert!(!text.contains(secret), "{secret} shown: {text}");
    }
    let inspector = crate::inspector::inspector_of(&server);
    let snapshot = crate::inspector::snapshot(inspector).to_string();
    assert!(snapshot.contains("user alice"), "{snapshot}");
    for secret in ["s3:cret", encoded.as_str()] {
        assert!(!snapshot.contains(secret), "{secret} in the inspector");
    }
}

#[test]
fn curl_sends_the_credentials_it_is_given() {
    if !require_program("curl") {
        return;
    }
    let site = private_site();
    let server = Binary::serving(&site.root, &["--auth", "alice:s3:cret", "--quiet"]);
    let url = format!("http://{}/private/notes.txt", server.addr);
    let status = |extra: &[&str]| {
        let output = std::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
            .args(extra)
            .arg(&url)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(status(&[]), "401");
    assert_eq!(status(&["-u", "alice:s3:cret"]), "200");
    assert_eq!(status(&["-u", "alice:nope"]), "401");
}

#[test]
fn bad_auth_flags_are_clear_errors_and_an_exposed_bind_is_warned() {
    let site = Site::new();
    let root = site.root.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--auth", "alice"], "expected USER:PASSWORD, with a colon"),
        (&["--auth", ":pw"], "the user name is empty"),
        (
            &["--auth", "a:b", "--auth-path", "private/"],
            "a path that starts with /",
        ),
        (&["--auth-path", "/private/"], "--auth <USER:PASSWORD>"),
    ];
    for (flags, said) in cases {
        let mut args = vec!["--root", root, "--port", "0"];
        args.extend_from_slice(flags);
        let output = run_binary(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(said), "{flags:?}: {stderr}");
    }
    let exposed = Binary::serving(&site.root, &["--bind", "0.0.0.0", "--auth", "a:b"]);
    assert!(
        exposed
            .banner
            .iter()
            .any(|line| line.contains("anyone on the network can read the credentials")),
        "{:?}",
        exposed.banner
    );
    let local = Binary::serving(&site.root, &["--auth", "a:b"]);
    assert!(
        !local.banner.iter().any(|line| line.contains("Warning")),
        "{:?}",
        local.banner
    );
}
