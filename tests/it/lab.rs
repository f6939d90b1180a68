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
    let root = www();
    let mut all: Vec<&str> = args.split_whitespace().collect();
    all.extend(["--root", root.to_str().unwrap(), "--port", "0"]);
    let mut command = common::binary_command();
    command.current_dir(dir);
    Binary::start_command(command, &all, &[])
}

#[test]
fn statuses_are_found_in_order() {
    let text = "< HTTP/1.1 200 OK\n* x\n< HTTP/1.1 304 Not Modified\nGET / HTTP/1.1 \n";
    assert_eq!(statuses(text), ["200", "304"]);
    assert!(statuses("GET / HTTP/1.1\r\n").is_empty());
}

#[test]
fn every_command_of_the_lab_walkthrough_runs_and_prints_the_pasted_statuses() {
    run_walkthrough("docs/LAB.md");
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
    run_walkthrough("docs/LAB.zh-CN.md");
}

/// Runs every `$ command` of the guide at `path` against the real binary.
fn run_walkthrough(path: &str) {
    if !["curl", "nc", "tshark"].into_iter().all(require_program) {
        return;
    }
    let markdown =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path);
    let steps = steps(&markdown);
    assert!(steps.len() >= 10, "the walkthrough lost its commands");
    let dir = tempfile::tempdir().unwrap();
    let mut server: Option<Binary> = None;
    for step in &steps {
        if let Some(args) = step.command.strip_prefix("cargo run --release -- ") {
            if let Some(mut old) = server.take() {
                old.stop();
            }
            let started = start(args, dir.path());
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
            .replace("127.0.0.1 8080", &format!("127.0.0.1 {}", addr.port()));
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
        assert!(output.status.success(), "{command}\n{printed}");
        assert_eq!(
            statuses(&printed),
            statuses(&step.pasted),
            "{command}\nprinted:\n{printed}"
        );
    }
}
