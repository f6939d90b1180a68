//! The lab in a real browser: Debian's headless Chromium, driven through
//! playwright-core (tests/browser/lab.mjs), loads the page, reloads it, and
//! asks for a missing path. The 200 / 206 / 304 / 404 sequence is checked
//! from both sides: the browser's own network records and the access log.
//! tests/browser/listing.mjs clicks every link of a directory listing.
//!
//! Needs `chromium`, `node` and `npm ci` in tests/browser (`.ci/run` does
//! all three). Without them the test says it was skipped, except under
//! `CI=true`, where it must run.

use crate::common;

use std::path::Path;
use std::process::Command;

use crate::common::{www, Binary, Site};
use crate::listing::listed_site;

/// The report at `report_file`, read offline by inspector.mjs in a
/// Chinese browser, its screenshot saved as `shot`: what it printed.
fn read_report(report_file: &Path, shot: &str) -> String {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(shot);
    let profile = tempfile::tempdir().unwrap();
    run_driver(
        &driver_dir.join("inspector.mjs"),
        &[
            "report".as_ref(),
            report_file.as_os_str(),
            profile.path().as_os_str(),
            shot.as_os_str(),
        ],
    )
}

/// One response the browser saw: phase, status on the wire, Range sent, path.
#[derive(Debug, PartialEq)]
struct Seen {
    phase: String,
    status: String,
    range: String,
    path: String,
}

fn browser_tools_present(driver_dir: &Path) -> bool {
    let missing: Vec<&str> = [
        ("chromium", common::has_program("chromium")),
        ("node", common::has_program("node")),
        (
            "tests/browser/node_modules (npm ci)",
            driver_dir.join("node_modules/playwright-core").exists(),
        ),
    ]
    .into_iter()
    .filter(|(_, present)| !present)
    .map(|(name, _)| name)
    .collect();
    if missing.is_empty() {
        return true;
    }
    if common::every_tool_required() {
        panic!("the browser test must run under CI; missing: {missing:?}");
    }
    common::say_skipped(&format!(
        "the browser test needs {missing:?} (apt-get install chromium nodejs; cd tests/browser && npm ci)"
    ));
    false
}

/// Runs the driver `script` with `args` under node, for two minutes at
/// most; what it printed, once it has succeeded.
fn run_driver(script: &Path, args: &[&std::ffi::OsStr]) -> String {
    run_driver_with(script, args, &[])
}

/// As [`run_driver`], with `env` set for the driver (and its Chromium).
fn run_driver_with(script: &Path, args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> String {
    let output = Command::new("timeout")
        .arg("120")
        .arg("node")
        .arg(script)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run node");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    printed
}

#[test]
fn chromium_loads_the_page_logo_and_audio_revalidates_on_reload_and_shows_a_404() {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) {
        return;
    }
    let server = Binary::serving(&www(), &[]);
    let base = format!("http://{}", server.addr);
    walk_the_lab(&server, &base, "lab-page.png", &[]);
}

#[test]
fn chromium_loads_the_lab_over_https_trusting_the_local_ca() {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) || !common::require_program("openssl") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().to_str().unwrap();
    let env = [("GLASSHTTP_CA_DIR", dir)];
    let server = Binary::serving_under(common::binary_command(), &www(), &["--tls"], &env);
    let ca = home.path().join("glasshttp-ca.pem");
    // What `--ignore-certificate-errors-spki-list` takes: the CA key's
    // SHA-256, in base64, as trusting the CA would.
    let spki = Command::new("sh")
        .arg("-c")
        .arg(
            "openssl x509 -pubkey -noout -in \"$1\" | openssl pkey -pubin -outform der \
             | openssl dgst -sha256 -binary | openssl base64",
        )
        .arg("sh")
        .arg(&ca)
        .output()
        .unwrap();
    let spki = String::from_utf8(spki.stdout).unwrap();
    let base = format!("https://localhost:{}", server.https_addr().port());
    walk_the_lab(
        &server,
        &base,
        "lab-page-https.png",
        &[("CHROMIUM_SPKI", spki.trim())],
    );
}

/// The lab in Chromium at `base`: the page, logo and audio (206), the
/// reload's 304s and a 404, from the browser's records and the access log.
fn walk_the_lab(server: &Binary, base: &str, screenshot: &str, env: &[(&str, &str)]) {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let profile = tempfile::tempdir().unwrap();
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(screenshot);
    let _ = std::fs::remove_file(&screenshot);
    let printed = run_driver_with(
        &driver_dir.join("lab.mjs"),
        &[
            base.as_ref(),
            profile.path().as_os_str(),
            screenshot.as_os_str(),
        ],
        env,
    );

    let mut seen = Vec::new();
    let mut checks = std::collections::HashMap::new();
    for line in printed.lines() {
        let words: Vec<&str> = line.splitn(5, ' ').collect();
        match words.as_slice() {
            ["response", phase, status, range, path] => seen.push(Seen {
                phase: phase.to_string(),
                status: status.to_string(),
                range: range.to_string(),
                path: path.to_string(),
            }),
            ["check", name, rest @ ..] => {
                checks.insert(name.to_string(), rest.join(" "));
            }
            _ => panic!("unexpected line from the driver: {line}"),
        }
    }
    let status_of = |phase: &str, path: &str| -> Vec<&str> {
        seen.iter()
            .filter(|s| s.phase == phase && s.path == path)
            .map(|s| s.status.as_str())
            .collect()
    };

    // 1. The page as a person sees it.
    let text = &checks["text"];
    for shown in [
        "示例理工大学 · Example University of Technology",
        "计算机科学与技术 · Computer Science and Technology",
        "2026000123",
        "李华 · Li Hua",
    ] {
        assert!(text.contains(shown), "{shown} not shown: {text}");
    }
    assert_eq!(checks["logo-width"], "192", "the logo was not decoded");
    // Chromium asks for br: the page it just showed came compressed.
    assert_eq!(checks["page-encoding"], "\"br\"", "{checks:?}");
    let duration: f64 = checks["audio-duration"].parse().unwrap();
    assert!(
        duration > 8.0 && duration < 9.0,
        "audio duration {duration}"
    );
    assert!(
        std::fs::metadata(&screenshot).is_ok_and(|m| m.len() > 10_000),
        "no screenshot at {}",
        screenshot.display()
    );

    // 2. The browser's records: page and logo 200, the audio by Range, 206.
    assert_eq!(status_of("load", "/"), ["200"], "{seen:#?}");
    assert_eq!(status_of("load", "/logo.png"), ["200"], "{seen:#?}");
    let audio: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.phase == "load" && s.path == "/introduction.mp3")
        .collect();
    assert!(!audio.is_empty(), "{seen:#?}");
    assert!(
        audio
            .iter()
            .all(|s| s.status == "206" && s.range.starts_with("bytes=")),
        "{audio:#?}"
    );

    // 3. Reload in the same profile: page and logo revalidated, 304.
    assert_eq!(status_of("reload", "/"), ["304"], "{seen:#?}");
    assert_eq!(status_of("reload", "/logo.png"), ["304"], "{seen:#?}");
    assert_eq!(checks["reload-logo-width"], "192");
    // The audio too: the bytes it holds, by Range, with its validators, so
    // the preconditions answer first (RFC 9110 §13.2.2), as the guides say.
    let audio: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.phase == "reload" && s.path == "/introduction.mp3")
        .collect();
    assert!(
        !audio.is_empty()
            && audio
                .iter()
                .all(|s| s.status == "304" && s.range.starts_with("bytes=0-")),
        "{seen:#?}"
    );

    // 4. A missing path: 404, and its page shown.
    assert_eq!(status_of("missing", "/no-such-page.html"), ["404"]);
    assert_eq!(checks["missing-status"], "404");
    assert!(checks["missing-text"].contains("404 Not Found"));

    // The same sequence from the server's side, in its access log.
    let log = server.stderr_until("\"GET /no-such-page.html HTTP/1.1\" 404");
    let statuses = |request: &str| -> Vec<String> {
        log.iter()
            .filter(|line| line.contains(&format!("\"GET {request} HTTP/1.1\"")))
            .filter_map(|line| line.rsplit('"').next())
            .filter_map(|rest| rest.split_whitespace().next().map(str::to_string))
            .collect()
    };
    let page = statuses("/");
    assert_eq!(page, ["200", "304"], "{log:#?}");
    assert_eq!(statuses("/logo.png"), ["200", "304"], "{log:#?}");
    let audio = statuses("/introduction.mp3");
    assert_eq!(audio.first().map(String::as_str), Some("206"), "{log:#?}");
    assert_eq!(statuses("/no-such-page.html"), ["404"], "{log:#?}");
}

#[test]
fn chromium_follows_every_link_of_a_listing_to_what_it_names() {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) {
        return;
    }
    let (site, expected) = listed_site();
    let server = Binary::serving(&site.root, &[]);
    let profile = tempfile::tempdir().unwrap();
    let listing = format!("http://{}/files/", server.addr);
    let printed = run_driver(
        &driver_dir.join("listing.mjs"),
        &[listing.as_ref(), profile.path().as_os_str()],
    );
    let mut shown = Vec::new();
    for line in printed.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let ["followed", text, path, status, body] = fields[..] else {
            panic!("unexpected line from the driver: {line}");
        };
        let text = text.to_string();
        assert_eq!(status, "200", "{line}");
        let want = match text.as_str() {
            "../" => "/".to_string(),
            name => format!("/files/{name}"),
        };
        assert_eq!(path, want, "the link {text:?} leads where it says");
        if !text.ends_with('/') {
            let on_disk = std::fs::read_to_string(site.root.join("files").join(&text)).unwrap();
            assert!(on_disk.starts_with(body), "{text}: {body:?}");
        }
        shown.push(text);
    }
    assert_eq!(shown.remove(0), "../");
    assert_eq!(shown, expected);
}

/// The driver's `check NAME VALUE` lines, VALUE as JSON.
fn checks_of(printed: &str) -> std::collections::HashMap<String, serde_json::Value> {
    printed
        .lines()
        .map(|line| {
            let rest = line.strip_prefix("check ").expect(line);
            let (name, value) = rest.split_once(' ').expect(line);
            (name.to_string(), serde_json::from_str(value).expect(line))
        })
        .collect()
}

#[test]
fn chromium_watches_the_lab_live_in_the_inspector_and_reads_the_report_offline() {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) {
        return;
    }
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let report = tempfile::tempdir().unwrap();
    let report_file = report.path().join("report.html");
    let mut server = Binary::serving(
        &www(),
        &[
            "--inspect",
            "0",
            "--report",
            report_file.to_str().unwrap(),
            "--quiet",
        ],
    );
    let inspector = server
        .banner
        .iter()
        .find_map(|line| line.strip_prefix(" * Inspector on "))
        .expect("the inspector's URL")
        .to_string();
    let site = format!("http://{}", server.addr);
    let profile = tempfile::tempdir().unwrap();
    let live_shot = shots.join("inspector.png");
    let printed = run_driver(
        &driver_dir.join("inspector.mjs"),
        &[
            "live".as_ref(),
            inspector.as_ref(),
            site.as_ref(),
            profile.path().as_os_str(),
            live_shot.as_os_str(),
        ],
    );
    let live = checks_of(&printed);
    let list = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(live["empty-at-first"], 0);
    // The diagram grew with each step of the lab, live.
    let after_load = list(&live["after-load"]);
    for status in ["200", "206"] {
        assert!(after_load.contains(&status.to_string()), "{after_load:?}");
    }
    assert!(
        list(&live["after-reload"]).contains(&"304".to_string()),
        "{live:#?}"
    );
    let after_404 = list(&live["after-404"]);
    assert!(after_404.contains(&"404".to_string()), "{after_404:?}");
    let decisions = list(&live["decisions"]).join("\n");
    for said in [
        "GET / -> the file /index.html",
        "If-None-Match",
        "-> 304 Not Modified, no body",
        "Range bytes=0- -> 206 Partial Content",
        "GET /no-such-page.html: no such file under the root -> 404 Not Found",
    ] {
        assert!(decisions.contains(said), "{said} not in {decisions}");
    }
    let details = live["details"].as_str().unwrap();
    assert!(
        details.contains("GET / HTTP/1.1\\r\\n") && details.contains("HTTP/1.1 200 OK\\r\\n"),
        "{details}"
    );
    assert_eq!(live["title-zh"], "glasshttp 检查器");
    // No label outside its drawing or over another, in either language.
    for key in ["layout", "layout-zh"] {
        assert_eq!(live[key], serde_json::json!([]), "{key}");
    }
    // The switch changes the decisions too, not only the labels.
    let decisions_zh = list(&live["decisions-zh"]).join("\n");
    for said in ["文件 /index.html", "根目录下没有这个文件 -> 404 Not Found"] {
        assert!(decisions_zh.contains(said), "{said} not in {decisions_zh}");
    }
    assert!(!decisions_zh.contains("no such file"), "{decisions_zh}");
    check_handshakes(&live["segments"], &live["notes"], "seen by the kernel");
    server.stop();

    let report_shot = shots.join("report.png");
    let printed = run_driver(
        &driver_dir.join("inspector.mjs"),
        &[
            "report".as_ref(),
            report_file.as_os_str(),
            tempfile::tempdir().unwrap().path().as_os_str(),
            report_shot.as_os_str(),
        ],
    );
    let offline = checks_of(&printed);
    assert_eq!(
        offline["mode"], "报告",
        "a Chinese browser gets Chinese labels"
    );
    assert_eq!(offline["title"], "glasshttp 检查器");
    let reported = list(&offline["statuses"]);
    for status in ["200", "206", "304", "404"] {
        assert!(reported.contains(&status.to_string()), "{reported:?}");
    }
    assert!(
        reported.len() >= after_404.len(),
        "{reported:?} against {after_404:?}"
    );
    assert!(offline["connections"].as_u64() >= live["connections"].as_u64());
    // A Chinese browser reads every decision in Chinese, field names and
    // statuses as they are.
    let decisions = list(&offline["decisions"]).join("\n");
    for said in [
        "GET / -> 文件 /index.html",
        "If-None-Match 与当前的 ETag 匹配 -> 304 Not Modified，没有响应体",
        "范围请求 Range bytes=0- -> 206 Partial Content",
        "GET /no-such-page.html：根目录下没有这个文件 -> 404 Not Found",
        "持久连接",
    ] {
        assert!(decisions.contains(said), "{said} not in {decisions}");
    }
    assert!(!decisions.contains("the file /"), "{decisions}");
    check_handshakes(&offline["segments"], &offline["notes"], "由内核处理");
    assert_eq!(
        offline["layout"],
        serde_json::json!([]),
        "the report's labels"
    );
    // The first screen: the command, when, the totals and each status.
    let summary = offline["summary"].as_str().unwrap();
    for said in [
        "--report",
        "启动时间",
        " UTC",
        "状态码",
        "200 × ",
        "404 × ",
        "从服务器启动的那一刻算起",
    ] {
        assert!(summary.contains(said), "{said} not in {summary}");
    }
    // Filtered, only the connections that hold a match stay.
    let shown = |key: &str| offline[key].as_u64().unwrap();
    assert!(shown("filtered-404") >= 1, "{offline:#?}");
    assert_eq!(shown("filtered-nothing"), 0);
    assert_eq!(offline["filtered-none"], offline["connections"]);
    // Every connection is closed by the time of the report: each ends with
    // its FINs in the order they came, and who waits in TIME_WAIT.
    let segments = offline["segments"].as_array().unwrap();
    let fins: Vec<&serde_json::Value> = segments.iter().filter(|s| s["kind"] == "fin").collect();
    let connections = offline["connections"].as_u64().unwrap() as usize;
    assert!(fins.len() >= connections, "{fins:?}");
    assert!(
        fins.iter()
            .all(|fin| fin["seen"] == "server" && fin["dashed"] == false),
        "a FIN is an event the server sees: {fins:?}"
    );
    let notes = list(&offline["notes"]).join("\n");
    assert!(notes.contains("TIME_WAIT"), "{notes}");
    assert!(notes.contains("四次挥手"), "{notes}");
    let closed = list(&offline["closed"]).join("\n");
    assert!(
        closed.contains("由"),
        "the close reason in Chinese: {closed}"
    );
    for shot in [&live_shot, &report_shot] {
        assert!(
            std::fs::metadata(shot).is_ok_and(|m| m.len() > 10_000),
            "{}",
            shot.display()
        );
    }
}

#[test]
fn chromium_reads_the_tls_handshake_in_the_report() {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) || !common::require_program("curl") {
        return;
    }
    let site = Site::new();
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().to_str().unwrap();
    let report_file = site.outside.path().join("report.html");
    let flags = [
        "--tls",
        "--tls-max",
        "1.2",
        "--report",
        report_file.to_str().unwrap(),
    ];
    let mut server = Binary::serving_under(
        common::binary_command(),
        &site.root,
        &flags,
        &[("GLASSHTTP_CA_DIR", dir)],
    );
    let url = format!("https://127.0.0.1:{}/hello.txt", server.https_addr().port());
    let reply = Command::new("curl").args(["-sk", &url]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&reply.stdout), "hello, world\n");
    server.stop();
    let printed = read_report(&report_file, "report-tls.png");
    let checks = checks_of(&printed);
    let drawn = checks["tls"].as_array().unwrap();
    let named: Vec<String> = drawn
        .iter()
        .filter(|m| m["kind"] == "tls")
        .map(|m| {
            let by = if m["by"] == "client" { "C" } else { "S" };
            let lock = if m["encrypted"] == true { "*" } else { "" };
            format!("{by}:{}{lock}", m["name"].as_str().unwrap())
        })
        .collect();
    // TLS 1.2 as the Kurose & Ross trace has it, between the TCP handshake
    // and the first request.
    assert_eq!(
        named.join(" "),
        "C:ClientHello S:ServerHello S:Certificate S:ServerKeyExchange S:ServerHelloDone \
         C:ClientKeyExchange C:ChangeCipherSpec C:Finished* S:ChangeCipherSpec S:Finished*"
    );
    let notifies: Vec<&serde_json::Value> = drawn
        .iter()
        .filter(|m| m["kind"] == "close_notify")
        .collect();
    assert!(!notifies.is_empty(), "{drawn:?}");
    let notes = checks["tls-notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("TLS 握手 · TLS 1.2")),
        "{notes:?}"
    );
}

/// The handshake drawn for every connection: SYN, SYN-ACK, ACK, each dashed
/// and marked as the kernel's, with the sequence numbers of the capture and,
/// where the kernel tells them, the SYN's options; `kernel` is the label of
/// such segments in the page's language.
fn check_handshakes(segments: &serde_json::Value, notes: &serde_json::Value, kernel: &str) {
    let segments = segments.as_array().unwrap();
    let of_kind = |kind: &str| -> Vec<&serde_json::Value> {
        segments.iter().filter(|s| s["kind"] == kind).collect()
    };
    let (syns, syn_acks) = (of_kind("syn"), of_kind("syn-ack"));
    assert!(
        !syns.is_empty() && syns.len() == syn_acks.len(),
        "{segments:?}"
    );
    for segment in syns.iter().chain(&syn_acks) {
        assert!(
            segment["seen"] == "kernel" && segment["dashed"] == true,
            "{segment}"
        );
    }
    assert!(syns[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("SYN Seq=0 (ISN "));
    assert!(syn_acks[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("SYN, ACK Seq=0 Ack=1"));
    if crate::common::kernel_tells_tcp() {
        for segment in syns.iter().chain(&syn_acks) {
            let text = segment["text"].as_str().unwrap();
            assert!(
                text.contains("MSS=") && text.contains("SACK_PERM"),
                "{text}"
            );
        }
    }
    let notes: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(notes.iter().any(|note| note.contains(kernel)), "{notes:?}");
}

#[test]
fn chromium_finds_every_connection_in_a_report_of_hostile_requests() {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) {
        return;
    }
    let site = crate::common::Site::new();
    let report_file = site.outside.path().join("report.html");
    let report_flag = [
        "--report",
        report_file.to_str().unwrap(),
        "--trace",
        "--quiet",
    ];
    let mut server = Binary::serving(&site.root, &report_flag);
    let sent = crate::inspector::send_hostile_requests(server.addr);
    server.wait_for_closes(sent);
    server.stop();
    let printed = read_report(&report_file, "hostile-report.png");
    let offline = checks_of(&printed);
    assert_eq!(offline["connections"], sent as u64, "{printed}");
}

#[test]
fn chromium_with_the_credentials_loads_the_page_and_without_them_gets_401() {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) {
        return;
    }
    let server = Binary::serving(&www(), &["--auth", "李华:s3:cret", "--quiet"]);
    let url = format!("http://{}/", server.addr);
    let (with, without) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let printed = run_driver(
        &driver_dir.join("auth.mjs"),
        &[
            url.as_ref(),
            "李华".as_ref(),
            "s3:cret".as_ref(),
            with.path().as_os_str(),
            without.path().as_os_str(),
        ],
    );
    let checks = checks_of(&printed);
    assert_eq!(checks["with-status"], 200, "{printed}");
    assert!(
        checks["with-text"].as_str().unwrap().contains("2026000123"),
        "{printed}"
    );
    assert_eq!(checks["without-status"], 401, "{printed}");
    assert_eq!(
        checks["without-challenge"], "Basic realm=\"glasshttp\", charset=\"UTF-8\"",
        "{printed}"
    );
    // The page never shows without the credentials.
    assert_ne!(checks["without-navigation"], "loaded", "{printed}");
}

#[test]
fn chromium_uploads_a_file_through_the_sinks_form() {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) {
        return;
    }
    let site = crate::common::Site::new();
    let file = site.outside.path().join("150k.txt");
    std::fs::write(&file, "TCP carries this file in segments.\n".repeat(4400)).unwrap();
    let size = std::fs::metadata(&file).unwrap().len();
    let server = Binary::serving(&site.root, &["--sink", "/upload", "--quiet"]);
    let url = format!("http://{}/upload", server.addr);
    let profile = tempfile::tempdir().unwrap();
    let printed = run_driver(
        &driver_dir.join("upload.mjs"),
        &[url.as_ref(), file.as_os_str(), profile.path().as_os_str()],
    );
    let checks = checks_of(&printed);
    assert_eq!(checks["form-title"], "Upload a file", "{printed}");
    assert_eq!(checks["status"], 200, "{printed}");
    assert_eq!(checks["title"], "Upload received", "{printed}");
    let parts = checks["parts"].as_str().unwrap();
    assert_eq!(
        parts,
        format!("field \"file\", file \"150k.txt\", {size} bytes"),
        "{printed}"
    );
    assert!(
        checks["received"].as_str().unwrap().contains(" bytes in "),
        "{printed}"
    );
}

/// Runs `local.mjs` in `mode` at `url` (and `extra`); its checks.
fn drive_local(
    mode: &str,
    url: &str,
    extra: &[&std::ffi::OsStr],
) -> Option<std::collections::HashMap<String, serde_json::Value>> {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) {
        return None;
    }
    let profile = tempfile::tempdir().unwrap();
    let mut args: Vec<&std::ffi::OsStr> =
        vec![mode.as_ref(), url.as_ref(), profile.path().as_os_str()];
    args.extend_from_slice(extra);
    Some(checks_of(&run_driver(&driver_dir.join("local.mjs"), &args)))
}

#[test]
fn chromium_reads_another_origin_with_cors_and_is_kept_from_it_without() {
    // The page's origin: one server. The data: another port, another origin.
    let site = Site::new();
    site.write(
        "cors.html",
        "<!DOCTYPE html><html><body><script>\n\
         const target = new URLSearchParams(location.search).get('target');\n\
         fetch(target, { headers: { 'X-Lab': '1' } })\n\
           .then((r) => r.text()).then((t) => { document.title = 'done:' + t.trim(); })\n\
           .catch((e) => { document.title = 'done:error ' + e.name; });\n\
         </script></body></html>\n",
    );
    let mut page_server = Binary::serving(&site.root, &["--quiet"]);
    let data = Site::new();
    data.write("data.txt", "shared across origins\n");
    let page_origin = format!("http://{}", page_server.addr);
    let allow_page = format!("--cors={page_origin}");
    for (flags, expected) in [
        (vec!["--cors"], "done:shared across origins"),
        (vec![allow_page.as_str()], "done:shared across origins"),
        (vec![], "done:error TypeError"),
        (vec!["--cors=http://elsewhere.test"], "done:error TypeError"),
    ] {
        let mut args = vec!["--quiet", "--trace"];
        args.extend(flags.iter().copied());
        let mut data_server = Binary::serving(&data.root, &args);
        let url = format!(
            "{page_origin}/cors.html?target=http://{}/data.txt",
            data_server.addr
        );
        let Some(checks) = drive_local("cors", &url, &[]) else {
            return;
        };
        assert_eq!(checks["title"], expected, "{flags:?}");
        if flags.is_empty() {
            data_server.stop();
            continue;
        }
        // The custom header made the browser ask first.
        let trace = data_server.wait_for_stderr("CORS preflight");
        assert!(trace.contains("method GET is one of"), "{trace}");
        data_server.stop();
    }
    page_server.stop();
}

#[test]
fn chromium_opens_a_client_side_route_with_spa() {
    let site = Site::new();
    site.write(
        "index.html",
        "<!DOCTYPE html><html><body><p>the app</p></body></html>\n",
    );
    let mut server = Binary::serving(&site.root, &["--quiet", "--spa"]);
    let url = format!("http://{}/settings/profile", server.addr);
    let Some(checks) = drive_local("spa", &url, &[]) else {
        return;
    };
    assert_eq!(checks["status"], 200);
    assert_eq!(checks["text"], "the app");
    assert_eq!(checks["asset"], 404, "a missing asset is not rewritten");
    server.stop();
}

#[test]
fn chromium_sorts_a_listing_by_its_column_headers() {
    let site = Site::new();
    let dir = site.root.join("sizes");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), "s").unwrap();
    std::fs::write(dir.join("b.txt"), "l".repeat(3000)).unwrap();
    std::fs::write(dir.join("c.txt"), "m".repeat(300)).unwrap();
    let mut server = Binary::serving(&site.root, &["--quiet"]);
    let url = format!("http://{}/sizes/", server.addr);
    let Some(checks) = drive_local("sort", &url, &[]) else {
        return;
    };
    let names = |key: &str| -> Vec<String> {
        checks[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("default"), ["../", "a.txt", "b.txt", "c.txt"]);
    assert_eq!(names("size-desc"), ["../", "b.txt", "c.txt", "a.txt"]);
    assert!(checks["url"]
        .as_str()
        .unwrap()
        .ends_with("/sizes/?sort=size&order=desc"));
    assert_eq!(names("name-asc"), ["../", "a.txt", "b.txt", "c.txt"]);
    server.stop();
}

#[test]
fn chromium_reloads_an_open_page_by_itself_when_a_file_changes_with_watch() {
    let site = Site::new();
    let page = site.root.join("page.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>before the change</p></body></html>\n",
    )
    .unwrap();
    let mut server = Binary::serving(&site.root, &["--quiet", "--trace", "--watch"]);
    let url = format!("http://{}/page.html", server.addr);
    let Some(checks) = drive_local("watch", &url, &[page.as_os_str()]) else {
        return;
    };
    assert_eq!(checks["before"], "before the change");
    assert_eq!(checks["after"], "after the change", "reloaded by itself");
    let requests = checks["requests"].as_array().unwrap();
    let gets = requests
        .iter()
        .filter(|r| r.as_str().unwrap().ends_with("/page.html"))
        .count();
    assert_eq!(gets, 2, "{requests:?}");
    server.wait_for_stderr("live-reload events (--watch)");
    server.stop();
}

/// The QR code in a screenshot (a PNG), decoded.
fn decode_png(path: &Path) -> Option<String> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).ok()?));
    let mut reader = decoder.read_info().ok()?;
    let mut pixels = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut pixels).ok()?;
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        pixels[(y * width + x) * channels]
    });
    let grids = image.detect_grids();
    grids.first()?.decode().ok().map(|(_, text)| text)
}

/// `--upload`'s form under a listing, as a student uses it: two files
/// chosen, sent with the progress bar, and the listing reloaded with them;
/// with `--qr`, the listing's code, which Chromium draws and a decoder reads;
/// then the folder saved through the listing's `.zip` link.
#[test]
fn chromium_stores_two_files_through_the_listings_upload_form() {
    let driver_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser_tools_present(&driver_dir) {
        return;
    }
    let site = crate::common::Site::new();
    std::fs::create_dir(site.root.join("in")).unwrap();
    let first = site.outside.path().join("report.pdf");
    let second = site.outside.path().join("照片.png");
    std::fs::write(&first, vec![b'%'; 300_000]).unwrap();
    std::fs::write(&second, [0x89, b'P', b'N', b'G']).unwrap();
    let server = Binary::serving(&site.root, &["--upload=/in", "--quiet", "--qr"]);
    let url = format!("http://{}/in/", server.addr);
    let profile = tempfile::tempdir().unwrap();
    let qr = site.outside.path().join("qr.png");
    let zip = site.outside.path().join("in.zip");
    let printed = run_driver(
        &driver_dir.join("store.mjs"),
        &[
            url.as_ref(),
            first.as_os_str(),
            second.as_os_str(),
            profile.path().as_os_str(),
            qr.as_os_str(),
            zip.as_os_str(),
        ],
    );
    let checks = checks_of(&printed);
    // The listing's QR code, as Chromium draws it, read back by a decoder.
    assert_eq!(checks["qr-caption"], url.as_str(), "{printed}");
    assert_eq!(decode_png(&qr).as_deref(), Some(url.as_str()), "{printed}");
    assert_eq!(checks["progress-hidden"], true, "{printed}");
    assert_eq!(
        checks["names"],
        serde_json::json!(["../", "report.pdf", "照片.png"]),
        "{printed}"
    );
    // The bar ended full: every byte of the body sent (the files and the
    // form's framing around them).
    let progress = checks["progress"].as_str().unwrap_or_default();
    let (sent, total) = progress.split_once('/').unwrap_or_default();
    assert!(
        sent == total && total.parse::<u64>().is_ok_and(|total| total > 300_000),
        "{printed}"
    );
    assert_eq!(checks["form-again"], true, "{printed}");
    assert_eq!(
        std::fs::read(site.root.join("in/report.pdf")).unwrap(),
        std::fs::read(&first).unwrap()
    );
    assert_eq!(
        std::fs::read(site.root.join("in/照片.png")).unwrap().len(),
        4
    );
    // The listing's link saves the folder as one .zip, both files in it.
    assert_eq!(checks["zip-name"], "in.zip", "{printed}");
    if crate::common::require_program("python3") {
        assert_eq!(
            crate::archive::python_reads(&zip),
            "report.pdf 300000\n照片.png 4\n"
        );
    }
}
