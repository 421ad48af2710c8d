//! The command line at its edges: stderr that cannot be written, closed stdout, byte order
//! marks, arguments and formats, flags that mean nothing together, the summary's wording.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{jsonl_records, rsparallel};
use predicates::prelude::*;

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("rsparallel")
}

/// Runs `script` under `sh -c`, with `$B` the binary: for redirections a test cannot make
/// with `Command` (a closed descriptor).
fn sh(script: &str) -> std::process::Output {
    StdCommand::new("sh")
        .arg("-c")
        .arg(script)
        .env("B", bin())
        .output()
        .unwrap()
}

/// Runs the binary with `args` and stderr to /dev/full.
fn with_full_stderr(args: &[&str]) -> std::process::Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    StdCommand::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .stderr(full)
        .output()
        .unwrap()
}

#[test]
fn a_full_stderr_loses_messages_not_the_exit_status() {
    // Jobs that fail write a line each, and a summary: none can be written.
    let out = with_full_stderr(&[
        "run",
        "-e",
        "if item == \"b\" { throw \"no\" } item",
        "-k",
        "a",
        "b",
        "c",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nc\n");
    let out = with_full_stderr(&["run", "-e", "print(item); item", "-k", "a", "b"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nb\n");
    // An error before the run, with nowhere to say it: still exit 2.
    let out = with_full_stderr(&["run", "no-such-script.rhai", "x"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = with_full_stderr(&["run", "-e", "item", "--progress", "--range", "0..100"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 100);
}

#[test]
fn a_closed_stderr_loses_messages_not_the_exit_status() {
    let out = sh("exec \"$B\" run -e 'if item == \"b\" { throw \"no\" } item' -k a b c 2>&-");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nc\n");
    let out = sh("exec \"$B\" run -e 'print(item); item' -k a b 2>&-");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nb\n");
}

/// A pipe as stderr, full before the run starts, and never read: every write to it blocks.
fn full_pipe() -> (std::io::PipeReader, std::io::PipeWriter) {
    let (reader, mut writer) = std::io::pipe().unwrap();
    // A pipe holds 64 KiB on Linux: this fills it without blocking.
    writer.write_all(&vec![b'.'; 64 * 1024]).unwrap();
    (reader, writer)
}

#[test]
fn ctrl_c_ends_a_run_whose_stderr_nobody_reads() {
    for bar in ["--no-progress", "--progress"] {
        let (_unread, stderr) = full_pipe();
        let mut child = StdCommand::new(bin())
            .args([
                "run",
                "-e",
                "print(item); item",
                "--range",
                "0..1000000",
                "-j",
                "1",
                bar,
            ])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        // The first output line: the run is under way, and its Ctrl-C handler installed.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert_eq!(first, "0\n", "{bar}");
        StdCommand::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        // Drain stdout so that only stderr can hold the run up.
        let drain = std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let sent = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if sent.elapsed() > Duration::from_secs(30) {
                child.kill().unwrap();
                panic!("{bar}: still running 30 s after Ctrl-C, stderr blocked");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(130), "{bar}");
        drain.join().unwrap().unwrap();
    }
}

#[test]
fn a_closed_stdout_is_an_error_and_a_closed_pipe_is_not() {
    let out = sh("exec \"$B\" run -e item a b >&-");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stdout is closed"), "{stderr}");
    let out = sh("exec \"$B\" run -e item a b >/dev/null");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(out.stderr, b"");
    // A reader that goes away: the run ends quietly, exit 0, as the README says.
    let out = StdCommand::new("bash")
        .arg("-c")
        .arg("\"$B\" run -e item --range 0..10000000 | head -n 1; echo \"status=${PIPESTATUS[0]}\"")
        .env("B", bin())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[1], "status=0", "{stdout}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_byte_order_mark_opens_an_input_or_a_script_harmlessly() {
    rsparallel()
        .args(["run", "-e", "item * 10", "-k", "--format", "jsonl"])
        .write_stdin(&b"\xef\xbb\xbf1\r\n2\n"[..])
        .assert()
        .success()
        .stdout("10\n20\n");
    rsparallel()
        .args(["run", "-e", "item.a + item.b", "--format", "csv"])
        .write_stdin(&b"\xef\xbb\xbfa,b\nx,y\n"[..])
        .assert()
        .success()
        .stdout("xy\n");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bom.rhai");
    std::fs::write(&script, b"\xef\xbb\xbfitem + double(2)\n").unwrap();
    let lib = dir.path().join("lib.rhai");
    std::fs::write(&lib, b"\xef\xbb\xbffn double(x) { x * 2 }\n").unwrap();
    let module = dir.path().join("m.rhai");
    std::fs::write(&module, b"\xef\xbb\xbffn f() { \"m\" }\n").unwrap();
    rsparallel()
        .args(["run"])
        .arg(&script)
        .args(["--functions"])
        .arg(&lib)
        .args(["a"])
        .assert()
        .success()
        .stdout("a4\n");
    let importer = dir.path().join("imports.rhai");
    std::fs::write(&importer, "import \"m\" as m; item + m::f()").unwrap();
    rsparallel()
        .args(["run"])
        .arg(&importer)
        .args(["a"])
        .assert()
        .success()
        .stdout("am\n");
}

#[test]
fn max_item_size_counts_a_lines_content_whatever_ends_it() {
    for input in ["1234\n12345\nok\n", "1234\r\n12345\r\nok\r\n"] {
        let records = jsonl_records(
            rsparallel()
                .args([
                    "run",
                    "-e",
                    "item",
                    "-k",
                    "--max-item-size",
                    "4",
                    "--output",
                    "jsonl",
                ])
                .write_stdin(input)
                .assert()
                .code(1),
        );
        let statuses: Vec<&str> = records
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["completed", "failed", "completed"], "{input:?}");
        let error = records[1]["error"]["message"].as_str().unwrap();
        assert!(
            error.contains("input line 2: item longer than the limit"),
            "{error}"
        );
    }
}

#[test]
fn a_wide_csv_header_is_checked_in_one_pass() {
    // 200,000 columns: pairwise, forty billion comparisons; by name, one pass.
    let header: Vec<String> = (0..200_000).map(|i| format!("c{i}")).collect();
    let row = vec!["1"; 200_000].join(",");
    let input = format!("{}\n{row}\n", header.join(","));
    rsparallel()
        .args(["run", "-e", "item.c199999 + item.c0", "--format", "csv"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("11\n");
    let mut repeated = header.clone();
    repeated.push("c7".into());
    rsparallel()
        .args(["run", "-e", "item", "--format", "csv"])
        .write_stdin(format!("{}\n", repeated.join(",")))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "column 'c7' appears twice (columns 8 and 200001)",
        ));
}

#[test]
fn job_variable_names_cannot_be_injected() {
    for name in ["item", "seq", "attempt"] {
        rsparallel()
            .args(["run", "-e", "attempt", "--var", &format!("{name}=7"), "x"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "'{name}' is set by rsparallel"
            )));
        let built = rsparallel::RunspacePool::builder()
            .threads(1)
            .variable(name, 7_i64)
            .build();
        let err = built
            .err()
            .expect("a pool variable named like a job variable");
        assert!(err.to_string().contains(&format!("'{name}'")), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.json");
    std::fs::write(&vars, r#"{"attempt": 3}"#).unwrap();
    rsparallel()
        .args(["run", "-e", "attempt", "x", "--vars"])
        .arg(&vars)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'attempt' is set by rsparallel"));
}

#[test]
fn arguments_follow_the_format() {
    rsparallel()
        .args([
            "run", "-e", "item * 2", "-k", "--format", "jsonl", "1", "2", "3",
        ])
        .assert()
        .success()
        .stdout("2\n4\n6\n");
    rsparallel()
        .args([
            "run",
            "-e",
            "type_of(item)",
            "-k",
            "--format",
            "jsonl",
            "1.5",
            "\"s\"",
            "[1]",
            "{\"a\":1}",
        ])
        .assert()
        .success()
        .stdout("f64\nstring\narray\nmap\n");
    // By default arguments are strings, as lines are.
    rsparallel()
        .args(["run", "-e", "type_of(item)", "1"])
        .assert()
        .success()
        .stdout("string\n");
    // An argument that is not JSON fails its own job; the others run.
    let records = jsonl_records(
        rsparallel()
            .args([
                "run", "-e", "item", "-k", "--format", "jsonl", "--output", "jsonl", "1", "oops",
                "3",
            ])
            .assert()
            .code(1),
    );
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["output"], serde_json::json!([1]));
    assert_eq!(records[1]["status"], "failed");
    assert_eq!(records[1]["item"], "oops");
    let error = records[1]["error"]["message"].as_str().unwrap();
    assert!(error.starts_with("argument 2: invalid JSON"), "{error}");
    assert_eq!(records[2]["output"], serde_json::json!([3]));
    rsparallel()
        .args(["run", "-e", "item", "--format", "csv", "a"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "--format csv cannot be used with ITEM arguments",
        ));
}

#[test]
fn a_string_used_as_a_number_says_so() {
    let out = rsparallel()
        .args(["run", "-e", "item * 2", "1", "2"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let hinted = stderr
        .lines()
        .filter(|l| l.contains("hint: the item is a string"))
        .count();
    assert_eq!(hinted, 2, "{stderr}");
    assert!(
        stderr.contains("--format jsonl") && stderr.contains("parse_int(item)"),
        "{stderr}"
    );
    // A function that does not exist for any item: no hint.
    let out = rsparallel()
        .args(["run", "-e", "item.no_such_method()", "a"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("Function not found"), "{stderr}");
    assert!(!stderr.contains("hint"), "{stderr}");
}

#[test]
fn flags_that_mean_nothing_together_are_refused_naming_both() {
    let cases: [(&[&str], [&str; 2]); 6] = [
        (
            &["--range", "0..3", "--format", "jsonl"],
            ["--format", "--range"],
        ),
        (
            &["--range", "0..3", "--format", "lines"],
            ["--format", "--range"],
        ),
        (&["--range", "0..3", "--input", "x"], ["--input", "--range"]),
        (&["--range", "0..3", "--resume"], ["--resume", "--joblog"]),
        (
            &[
                "--range",
                "0..3",
                "--joblog",
                "j",
                "--resume",
                "--resume-failed",
            ],
            ["--resume", "--resume-failed"],
        ),
        (
            &["--range", "0..3", "--retry-on", "failed"],
            ["--retry-on", "--retries"],
        ),
    ];
    for (flags, [a, b]) in cases {
        let out = rsparallel()
            .args(["run", "-e", "item"])
            .args(flags)
            .assert()
            .code(2)
            .stdout("");
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains(a) && stderr.contains(b),
            "{flags:?}: {stderr}"
        );
    }
    rsparallel()
        .args(["run", "-e", "item", "--range", "0..3", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "ITEM arguments and --range cannot be used together",
        ));
}

#[test]
fn zero_timeouts_and_caps_are_refused() {
    for flags in [
        ["--timeout", "0"],
        ["--timeout", "0s"],
        ["--total-timeout", "0ms"],
        ["--max-memory", "0"],
        ["--max-memory", "0B"],
    ] {
        let out = rsparallel()
            .args(["run", "-e", "item", "x"])
            .args(flags)
            .assert()
            .code(2)
            .stdout("");
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains(flags[0]), "{flags:?}: {stderr}");
    }
    rsparallel()
        .args([
            "run",
            "-e",
            "item",
            "x",
            "--max-memory",
            "none",
            "--timeout",
            "1ms",
        ])
        .assert()
        .code(predicate::in_iter([0, 1]));
}

#[test]
fn a_missing_script_is_named_once() {
    let out = rsparallel()
        .args(["run", "no-such-script.rhai", "x"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("no-such-script.rhai"), "{stderr}");
}

#[test]
fn tag_shows_a_string_item_as_its_text() {
    rsparallel()
        .args([
            "run",
            "-e",
            "print(`p${item}`); item",
            "-k",
            "--tag",
            "a",
            "b c",
        ])
        .assert()
        .success()
        .stdout("0\ta\ta\n1\tb c\tb c\n")
        .stderr(predicate::str::contains("0\ta\tpa\n"));
    rsparallel()
        .args([
            "run",
            "-e",
            "1",
            "-k",
            "--tag",
            "--format",
            "jsonl",
            "[1,2]",
            "\"t\\tu\"",
        ])
        .assert()
        .success()
        .stdout("0\t[1,2]\t1\n1\tt\\tu\t1\n");
}

#[test]
fn the_summary_counts_in_the_singular_and_names_statuses_as_records_do() {
    let out = rsparallel()
        .args(["run", "-e", "loop {}", "--timeout", "10ms", "x"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let summary: Vec<&str> = stderr.lines().filter(|l| l.contains("(of ")).collect();
    assert_eq!(summary, ["rsparallel: 1 timed_out (of 1 job)"], "{stderr}");
    // Every job completed: nothing to say.
    rsparallel()
        .args(["run", "-e", "item", "x", "y"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn the_timeline_counts_one_job_on_one_worker_in_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("run.svg");
    rsparallel()
        .args(["run", "-e", "item", "-j", "1", "x", "--timeline"])
        .arg(&svg)
        .assert()
        .success();
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.contains("rsparallel run: 1 job on 1 worker, "),
        "{picture}"
    );
}

#[test]
fn ctrl_c_clears_the_bar() {
    let mut child = StdCommand::new(bin())
        .args([
            "run",
            "-e",
            "loop {}",
            "--range",
            "0..10",
            "-j",
            "1",
            "--progress",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0_u8; 4096];
    // The bar's first frame: the run is under way, and its Ctrl-C handler installed.
    while !String::from_utf8_lossy(&seen).contains("ETA") {
        let n = std::io::Read::read(&mut stderr, &mut buf).unwrap();
        assert!(n > 0, "no bar drawn");
        seen.extend_from_slice(&buf[..n]);
    }
    StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    std::io::Read::read_to_end(&mut stderr, &mut seen).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let text = String::from_utf8_lossy(&seen);
    let last_frame = text.rfind("ETA").unwrap();
    assert!(
        text[last_frame..].contains("\r\x1b[2K"),
        "the last frame stays: {:?}",
        &text[last_frame..]
    );
    // The summary comes after the bar is gone, once.
    assert_eq!(text.matches(" cancelled (of ").count(), 1, "{text:?}");
    assert!(
        text.rfind(" cancelled (of ").unwrap() > last_frame,
        "{text:?}"
    );
}
