//! docs/LAB.md cannot rot: every `$ command` in it is run here, against the
//! real binary, and must succeed and print the status codes pasted below it.

use crate::common;

use std::path::Path;
use std::process::Command;

use crate::common::{require_program, www, Binary};

/// A command of the walkthrough and the output pasted under it.
struct Step {
    command: String,
    pasted: String,
}

/// The `$ ` lines of the ```console blocks, each with the lines after it.
fn steps(markdown: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_console = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_console = line == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        match line.strip_prefix("$ ") {
            Some(command) => steps.push(Step {
                command: command.to_string(),
                pasted: String::new(),
            }),
            None => {
                let step = steps.last_mut().expect("output before any command");
                step.pasted.push_str(line);
                step.pasted.push('\n');
            }
        }
    }
    steps
}

/// The status codes of every `HTTP/1.1 NNN` in `text`, in order.
fn statuses(text: &str) -> Vec<&str> {
    text.match_indices("HTTP/1.1 ")
        .filter_map(|(at, marker)| text.get(at + marker.len()..at + marker.len() + 3))
        .filter(|code| code.bytes().all(|b| b.is_ascii_digit()))
        .collect()
}

fn start(args: &str, dir: &Path) -> Binary {
    let args: Vec<&str> = args.split_whitespace().collect();
    let mut command = common::binary_command();
    command.current_dir(dir);
    Binary::serving_under(command, &www(), &args, &[])
}

#[test]
fn statuses_are_found_in_order() {
    let text = "< HTTP/1.1 200 OK\n* x\n< HTTP/1.1 304 Not Modified\nGET / HTTP/1.1 \n";
    assert_eq!(statuses(text), ["200", "304"]);
    assert!(statuses("GET / HTTP/1.1\r\n").is_empty());
}

#[test]
fn every_command_of_the_lab_walkthrough_runs_and_prints_the_pasted_statuses() {
    let Some(printed) = run_walkthrough("docs/LAB.md", "en") else {
        return;
    };
    // The lines in Chinese show `--lang zh`: the Chinese run checks them.
    let quoted = quoted_trace(
        &guide("docs/LAB.md"),
        "## The walkthrough from the command line",
    );
    let english: Vec<String> = quoted.into_iter().filter(|line| !has_cjk(line)).collect();
    assert_each_quote_was_printed(&english, &printed);
}

#[test]
fn every_command_of_the_chinese_walkthrough_runs_and_prints_the_pasted_statuses() {
    let english = steps(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/LAB.md"))
            .unwrap(),
    );
    let chinese = steps(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/LAB.zh-CN.md"))
            .unwrap(),
    );
    let commands = |steps: &[Step]| {
        steps
            .iter()
            .map(|step| step.command.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        commands(&chinese),
        commands(&english),
        "the same steps in both guides"
    );
    // The Chinese guide quotes what a Chinese system prints (`--lang zh`,
    // the default there), and so do the English guide's lines in Chinese.
    let Some(printed) = run_walkthrough("docs/LAB.zh-CN.md", "zh") else {
        return;
    };
    let mut quoted = quoted_trace(&guide("docs/LAB.zh-CN.md"), "## 命令行分步指南");
    let english_guide = quoted_trace(
        &guide("docs/LAB.md"),
        "## The walkthrough from the command line",
    );
    quoted.extend(english_guide.into_iter().filter(|line| has_cjk(line)));
    assert_each_quote_was_printed(&quoted, &printed);
}

fn guide(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path)
}

fn has_cjk(line: &str) -> bool {
    line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The trace lines (`[conn ...`) that the ```text blocks of `markdown`
/// quote after the heading `from`. A system that tells nothing of the
/// handshake (Windows) prints another handshake line: those are left out
/// there.
fn quoted_trace(markdown: &str, from: &str) -> Vec<String> {
    let start = markdown.find(from).expect(from);
    let mut quoted = Vec::new();
    let mut in_text = false;
    for line in markdown[start..].lines() {
        if line.starts_with("```") {
            in_text = line == "```text";
        } else if in_text && line.starts_with("[conn ") {
            let handshake = line.contains("three-way handshake") || line.contains("三次握手");
            if !handshake || common::kernel_tells_tcp() {
                quoted.push(line.to_string());
            }
        }
    }
    quoted
}

/// A trace line with what differs from run to run masked: every word that
/// holds a digit (ports, times, sizes, versions, ranges, and ETags, whose
/// parts a file's age decides) and the names of days and months.
fn trace_shape(line: &str) -> String {
    const NAMES: [&str; 19] = [
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut shape = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, shape: &mut String| {
        if word.bytes().any(|b| b.is_ascii_digit()) {
            shape.push('#');
        } else if NAMES.contains(&word.as_str()) {
            shape.push('@');
        } else {
            shape.push_str(word);
        }
        word.clear();
    };
    for c in line.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            word.push(c);
        } else {
            flush(&mut word, &mut shape);
            shape.push(c);
        }
    }
    flush(&mut word, &mut shape);
    shape
}

#[test]
fn trace_shapes_mask_what_differs_between_runs() {
    let cases = [
        (
            "[conn 2] opened: client 127.0.0.1:55040 -> server 127.0.0.1:8080",
            "[conn #] opened: client #.#.#.#:# -> server #.#.#.#:#",
        ),
        (
            "[conn 2 #1] decided: GET / -> the file /index.html, 3002 bytes, ETag \"bba-18eae544bc1c445a\"",
            "[conn # ##] decided: GET / -> the file /index.html, # bytes, ETag \"#\"",
        ),
        (
            "[conn 2 #1]   < Date: Tue, 24 Nov 2026 09:21:34 GMT\\r\\n",
            "[conn # ##]   < Date: @, # @ # #:#:# GMT\\r\\n",
        ),
    ];
    for (line, shape) in cases {
        assert_eq!(trace_shape(line), shape, "{line}");
    }
}

/// Each quoted trace line is one the trace printed, but for what differs
/// from run to run.
fn assert_each_quote_was_printed(quoted: &[String], printed: &[String]) {
    assert!(quoted.len() >= 10, "the guide lost its trace: {quoted:#?}");
    let printed: std::collections::HashSet<String> =
        printed.iter().map(|line| trace_shape(line)).collect();
    let unprinted: Vec<&String> = quoted
        .iter()
        .filter(|line| !printed.contains(&trace_shape(line)))
        .collect();
    assert!(
        unprinted.is_empty(),
        "quoted but never printed: {unprinted:#?}\nprinted: {printed:#?}"
    );
}

/// Runs every `$ command` of the guide at `path` against the real binary,
/// its trace in `lang`, and returns what the servers wrote to stderr; or
/// nothing when a client it needs is missing.
fn run_walkthrough(path: &str, lang: &str) -> Option<Vec<String>> {
    if !["curl", "nc", "tshark"].into_iter().all(require_program) {
        return None;
    }
    let markdown =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path);
    let steps = steps(&markdown);
    assert!(steps.len() >= 10, "the walkthrough lost its commands");
    let dir = tempfile::tempdir().unwrap();
    let mut server: Option<Binary> = None;
    let mut stderr = Vec::new();
    for step in &steps {
        if let Some(args) = step.command.strip_prefix("cargo run --release -- ") {
            if let Some(mut old) = server.take() {
                old.stop();
                stderr.extend(old.rest_of_stderr());
            }
            let started = start(&format!("{args} --lang {lang}"), dir.path());
            let pasted_banner: Vec<&str> = step.pasted.lines().collect();
            assert_eq!(
                started.banner.len(),
                pasted_banner.len(),
                "{}",
                step.command
            );
            assert!(started.banner[1].starts_with(" * Running on http://127.0.0.1:"));
            server = Some(started);
            continue;
        }
        let addr = server
            .as_ref()
            .expect("a command before the server starts")
            .addr;
        let command = step
            .command
            .replace("127.0.0.1:8080", &addr.to_string())
            .replace("127.0.0.1 8080", &format!("127.0.0.1 {}", addr.port()))
            // The test's port is random: decode it as the HTTP that 8080 is
            // (see `capture::tshark`).
            .replace(
                "tshark -r",
                &format!("tshark -d tcp.port=={},http -r", addr.port()),
            );
        let output = Command::new("bash")
            .args(["-c", &command])
            .current_dir(dir.path())
            .output()
            .expect("run bash");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // A response cut into segments shows its status line on the first
        // segment too; only the reassembled message counts. (Linux's capture
        // cuts at the loopback MSS and has none; where the system tells no
        // MSS, segments are 1460 bytes.)
        let printed: String = printed
            .lines()
            .filter(|line| !line.contains("[TCP segment of a reassembled PDU]"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(output.status.success(), "{command}\n{printed}");
        assert_eq!(
            statuses(&printed),
            statuses(&step.pasted),
            "{command}\nprinted:\n{printed}"
        );
    }
    if let Some(mut last) = server {
        last.stop();
        stderr.extend(last.rest_of_stderr());
    }
    Some(stderr)
}

/// What an Edge request adds to a head: the codings and languages it asks for.
const EDGE: &str =
    "Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: zh-CN,zh;q=0.9,en;q=0.8\r\n";

/// The Windows part of both guides (steps W2 to W9): what it says the server
/// sends, asked the way Edge asks, with the flags the guide gives.
#[test]
fn what_the_windows_part_says_the_server_sends_holds_with_the_same_flags() {
    use crate::common::Client;
    let guides: Vec<String> = ["docs/LAB.md", "docs/LAB.zh-CN.md"]
        .iter()
        .map(|path| {
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
        })
        .collect();
    let root = www();
    let size = |name: &str| std::fs::metadata(root.join(name)).unwrap().len();
    // The figures both guides quote are the files' own.
    let page = size("index.html");
    let audio = size("introduction.mp3");
    let long = size("long.html");
    for guide in &guides {
        for quoted in [
            ".\\glasshttp.exe --trace --no-compress".to_string(),
            format!("Content-Length: {page}"),
            format!("bytes 0-{}/{audio}", audio - 1),
            format!("Range: bytes=0-{}", audio - 1),
            format!("{long} "),
            ".\\glasshttp.exe --root www\\second --bind 127.0.0.2 --port 8081".to_string(),
            "curl.exe -s -D - -o NUL".to_string(),
        ] {
            assert!(guide.contains(&quoted), "{quoted} not in a guide");
        }
        assert!(
            !guide.contains("```powershell\ncurl "),
            "bare curl in PowerShell"
        );
    }
    // W9.3: a long page, linked from the home page.
    assert!(long >= 4608, "long.html is {long} bytes");
    let index = std::fs::read_to_string(root.join("index.html")).unwrap();
    assert!(index.contains("href=\"/long.html\"") && index.contains("href=\"/embedded.html\""));

    // W2: the flags of the guide (the idle timeout shortened, for W7).
    let server = Binary::serving(&root, &["--trace", "--no-compress", "--idle-timeout", "1"]);
    let mut edge = Client::connect(server.addr);
    let mut get = |path: &str, fields: &str| {
        edge.send(
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n{EDGE}{fields}\r\n").as_bytes(),
        );
        edge.read_reply(false)
    };
    // W4: a clean first load.
    let first = get("/", "");
    assert_eq!(
        (first.status, first.header("content-encoding")),
        (200, None)
    );
    assert_eq!(
        first.header("content-length"),
        Some(page.to_string().as_str())
    );
    assert_eq!(get("/logo.png", "").status, 200);
    let ranged = get("/introduction.mp3", "Range: bytes=0-\r\n");
    assert_eq!(ranged.status, 206);
    let whole = format!("bytes 0-{}/{audio}", audio - 1);
    assert_eq!(ranged.header("content-range"), Some(whole.as_str()));
    assert_eq!(get("/favicon.ico", "").status, 404);
    // W5: F5 sends both validators; the audio asks for the bytes it holds.
    let validators = |reply: &crate::common::Reply| {
        format!(
            "If-None-Match: {}\r\nIf-Modified-Since: {}\r\n",
            reply.header("etag").unwrap(),
            reply.header("last-modified").unwrap()
        )
    };
    assert_eq!(get("/", &validators(&first)).status, 304);
    let held = format!("Range: bytes=0-{}\r\n{}", audio - 1, validators(&ranged));
    let revalidated = get("/introduction.mp3", &held);
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.body.is_empty() && revalidated.header("content-range").is_none());
    // Ctrl+F5: no validators, and no-cache.
    let hard = get("/", "Cache-Control: no-cache\r\nPragma: no-cache\r\n");
    assert_eq!(hard.status, 200);
    assert_eq!(
        get("/long.html", "").header("content-length"),
        Some(long.to_string().as_str())
    );
    // W7: a spare connection, never used.
    let _spare = Client::connect(server.addr);
    let trace = server.stderr_until("no request arrived within the idle timeout");
    for said in [
        format!("decided: Range bytes=0- -> 206 Partial Content, {whole}"),
        "decided: GET /favicon.ico: no such file under the root -> 404 Not Found".to_string(),
        "was sent too, and not evaluated: RFC 9110 §13.2.2 looks at it only when If-None-Match is absent".to_string(),
        "closed: by the server: no request arrived within the idle timeout (browsers open spare connections ahead of need) (0 requests on this connection)".to_string(),
    ] {
        assert!(trace.iter().any(|line| line.contains(&said)), "{said}: {trace:#?}");
    }

    // W9.4: the second server on 127.0.0.2, serving its own folder.
    let embedded = std::fs::read_to_string(root.join("embedded.html")).unwrap();
    assert!(embedded.contains("src=\"http://127.0.0.2:8081/logo.png\""));
    let second_root = root.join("second");
    let second = Binary::serving(&second_root, &["--bind", "127.0.0.2"]);
    assert_eq!(second.addr.ip().to_string(), "127.0.0.2");
    let mut client = Client::connect(second.addr);
    client.send(b"GET /logo.png HTTP/1.1\r\nHost: 127.0.0.2:8081\r\n\r\n");
    let image = client.read_reply(false);
    assert_eq!(
        (image.status, image.header("content-type")),
        (200, Some("image/png"))
    );
}

/// Step W9.5 of both guides: what the server says to the authentication
/// step's commands, with the guide's flags.
#[test]
fn the_authentication_step_of_both_guides_holds() {
    use crate::common::Client;
    let command =
        ".\\glasshttp.exe --no-compress --trace --auth alice:s3cret --auth-path /private/";
    for guide in ["docs/LAB.md", "docs/LAB.zh-CN.md"] {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(guide)).unwrap();
        for quoted in [
            command,
            "Authorization: Basic YWxpY2U6czNjcmV0",
            "<16 bytes hidden here; the capture has them>",
            "curl.exe -s -D - -o NUL -u alice:s3cret",
        ] {
            assert!(text.contains(quoted), "{guide} lacks {quoted}");
        }
    }
    let site = crate::common::Site::new();
    std::fs::create_dir(site.root.join("private")).unwrap();
    std::fs::write(site.root.join("private/index.html"), "<p>private</p>\n").unwrap();
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let server = Binary::serving(&site.root, &args);
    let mut client = Client::connect(server.addr);
    client.send(b"GET /private/ HTTP/1.1\r\nHost: t\r\n\r\n");
    let refused = client.read_reply(false);
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("www-authenticate"),
        Some("Basic realm=\"glasshttp\", charset=\"UTF-8\"")
    );
    client.send(
        b"GET /private/ HTTP/1.1\r\nHost: t\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\n\r\n",
    );
    assert_eq!(client.read_reply(false).status, 200);
    drop(client);
    let said = server.stderr_until("[conn 1] closed:").join("\n");
    assert!(
        said.contains("> Authorization: Basic <16 bytes hidden here; the capture has them>"),
        "{said}"
    );
    assert!(said.contains("127.0.0.1 - alice ["), "{said}");
}

/// Step W9.6 of both guides: the upload sink, with the guide's flags.
#[test]
fn the_upload_step_of_both_guides_holds() {
    use crate::common::Client;
    let command = ".\\glasshttp.exe --sink /upload --trace";
    for guide in ["docs/LAB.md", "docs/LAB.zh-CN.md"] {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(guide)).unwrap();
        for quoted in [
            command,
            "http://127.0.0.1:8080/upload",
            "field \"file\", file \"alice.txt\", 152138 bytes",
            "curl.exe -F \"file=@alice.txt\"",
        ] {
            assert!(text.contains(quoted), "{guide} lacks {quoted}");
        }
    }
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let server = Binary::serving(&www(), &args);
    let content = "x".repeat(152_138);
    let body = format!(
        "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"alice.txt\"\r\n\r\n{content}\r\n--b--\r\n"
    );
    let mut client = Client::connect(server.addr);
    client.send(format!(
        "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ).as_bytes());
    let reply = client.read_reply(false);
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body_text()
            .contains("field &quot;file&quot;, file &quot;alice.txt&quot;, 152138 bytes"),
        "{}",
        reply.body_text()
    );
}

/// Step W10 of both guides: HTTP and HTTPS side by side, with the guide's
/// flags: both in the banner, the CA the guide names, curl trusting it,
/// plain HTTP at the HTTPS port told to use https://, the key log written,
/// and the capture decrypted by tshark with no setting.
#[test]
fn the_https_step_of_both_guides_holds() {
    if !["curl", "tshark"].into_iter().all(require_program) {
        return;
    }
    let command = ".\\glasshttp.exe --tls --tls-port 8443 --tls-max 1.2 --keylog keys.log \
                   --capture lab-https.pcapng --trace";
    for guide in ["docs/LAB.md", "docs/LAB.zh-CN.md"] {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(guide)).unwrap();
        for quoted in [
            command,
            "certutil -user -addstore Root \"$env:APPDATA\\glasshttp\\glasshttp-ca.pem\"",
            "curl.exe -s -D - -o NUL --cacert \"$env:APPDATA\\glasshttp\\glasshttp-ca.pem\" https://localhost:8443/",
            "(Pre)-Master-Secret log filename",
        ] {
            assert!(text.contains(quoted), "{guide} lacks {quoted}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = command
        .split_whitespace()
        .skip(1)
        .map(|arg| if arg == "8443" { "0" } else { arg })
        .collect();
    let mut binary = common::binary_command();
    binary.current_dir(dir.path());
    let ca_dir = dir.path().join("glasshttp");
    let env = [
        ("GLASSHTTP_CA_DIR", ca_dir.to_str().unwrap()),
        ("SSLKEYLOGFILE", ""),
    ];
    let mut server = Binary::serving_under(binary, &www(), &args, &env);
    let banner = server.banner.join("\n");
    let ca = ca_dir.join("glasshttp-ca.pem");
    // The folder as given, then the file (after a backslash on Windows).
    assert!(banner.contains(ca_dir.to_str().unwrap()), "{banner}");
    assert!(banner.contains("glasshttp-ca.pem"), "{banner}");
    let https = format!("https://localhost:{}/", server.https_addr().port());
    let page = Command::new("curl")
        .args(["-s", "-D", "-", "-o", "/dev/null", "--cacert"])
        .arg(&ca)
        .arg(&https)
        .output()
        .unwrap();
    assert_eq!(statuses(&String::from_utf8_lossy(&page.stdout)), ["200"]);
    let plain = format!("http://127.0.0.1:{}/", server.https_addr().port());
    let refused = Command::new("curl").args(["-s", &plain]).output().unwrap();
    let refused = String::from_utf8_lossy(&refused.stdout);
    assert!(refused.contains("https://"), "{refused}");
    let trace = server.stderr_until("ServerHello").join("\n");
    assert!(
        trace.contains("--tls-max TLS 1.2 caps the server"),
        "{trace}"
    );
    server.stop();
    let keys = std::fs::read_to_string(dir.path().join("keys.log")).unwrap();
    assert!(keys.starts_with("CLIENT_RANDOM "), "{keys}");
    let decrypted = Command::new("tshark")
        .args([
            "-r",
            "lab-https.pcapng",
            "-Y",
            "http.request",
            "-T",
            "fields",
        ])
        .args(["-e", "http.request.uri"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let requests = String::from_utf8_lossy(&decrypted.stdout);
    assert!(requests.lines().any(|uri| uri == "/"), "{requests}");
}

/// Step W11 of both guides: chunked transfer coding, in an answer (the
/// reload stream) and in a request (an upload to the sink), with the
/// guide's commands.
#[test]
fn the_chunked_step_of_both_guides_holds() {
    use crate::common::Client;
    for guide in ["docs/LAB.md", "docs/LAB.zh-CN.md"] {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(guide)).unwrap();
        for quoted in [
            ".\\glasshttp.exe --watch --trace",
            "curl.exe -s -N -D - --max-time 20 http://127.0.0.1:8080/.glasshttp/reload",
            "curl.exe -s -H \"Transfer-Encoding: chunked\" -F \"file=@alice.txt\" http://127.0.0.1:8080/upload",
        ] {
            assert!(text.contains(quoted), "{guide} lacks {quoted}");
        }
    }
    let site = crate::common::Site::new();
    let watching = Binary::serving(&site.root, &["--watch"]);
    let mut stream = Client::connect(watching.addr);
    stream.send(b"GET /.glasshttp/reload HTTP/1.1\r\nHost: t\r\n\r\n");
    let head =
        crate::common::read_until(&mut stream, "\r\n\r\n", std::time::Duration::from_secs(10));
    assert!(
        head.contains("Transfer-Encoding: chunked") && !head.contains("Content-Length"),
        "{head}"
    );
    let sink = Binary::serving(&site.root, &["--sink", "/upload"]);
    let mut client = Client::connect(sink.addr);
    let body = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"alice.txt\"\r\n\r\nhello\r\n--b--\r\n";
    client.send(
        format!(
            "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\
             Content-Type: multipart/form-data; boundary=b\r\n\r\n{:X}\r\n{body}\r\n0\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    let answer = client.read_reply(false);
    assert_eq!(answer.status, 200);
    assert!(
        answer.body_text().contains(&body.len().to_string()),
        "{}",
        answer.body_text()
    );
}

/// The Windows part of the Chinese guide quotes the trace a Chinese system
/// prints (`--lang zh`, the default there), and each quoted line is one the
/// trace prints for the same requests.
#[test]
fn the_chinese_windows_part_quotes_the_chinese_trace() {
    use crate::common::Client;
    let guide =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/LAB.zh-CN.md"))
            .unwrap();
    let start = guide.find("## 在 Windows 11 上").unwrap();
    let end = guide.find("## 命令行分步指南").unwrap();
    let windows_part = &guide[start..end];
    for english in ["decided:", "] closed:", "no such file under the root"] {
        assert!(
            !windows_part.contains(english),
            "English trace quoted: {english}"
        );
    }
    let audio = std::fs::metadata(www().join("introduction.mp3"))
        .unwrap()
        .len();
    let quotes = [
        format!("决策：范围请求 Range bytes=0- -> 206 Partial Content，bytes 0-{}/{audio}", audio - 1),
        "根目录下没有这个文件 -> 404 Not Found".to_string(),
        "If-None-Match 与当前的 ETag 匹配 -> 304 Not Modified，没有响应体".to_string(),
        "但它没有被评估：按照 RFC 9110 §13.2.2，只有在没有 If-None-Match 时才看它".to_string(),
        "连接关闭：由服务器关闭：空闲超时内没有收到任何请求（浏览器会预先打开备用连接）（这个连接上共 0 个请求）"
            .to_string(),
    ];
    let server = Binary::serving(
        &www(),
        &[
            "--trace",
            "--no-compress",
            "--idle-timeout",
            "1",
            "--lang",
            "zh",
        ],
    );
    let mut edge = Client::connect(server.addr);
    let mut get = |path: &str, fields: &str| {
        edge.send(
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n{EDGE}{fields}\r\n").as_bytes(),
        );
        edge.read_reply(false)
    };
    let page = get("/", "");
    get("/introduction.mp3", "Range: bytes=0-\r\n");
    get("/favicon.ico", "");
    let validators = format!(
        "If-None-Match: {}\r\nIf-Modified-Since: {}\r\n",
        page.header("etag").unwrap(),
        page.header("last-modified").unwrap()
    );
    assert_eq!(get("/", &validators).status, 304);
    let _spare = Client::connect(server.addr);
    let trace = server.stderr_until("空闲超时内没有收到任何请求");
    for quote in &quotes {
        assert!(
            windows_part.contains(quote.as_str()),
            "the guide lacks {quote}"
        );
        assert!(
            trace.iter().any(|line| line.contains(quote.as_str())),
            "{quote}: {trace:#?}"
        );
    }
}
