//! Stdout and stderr that cannot be written: closed, full, or a reader that goes away. Lost
//! messages never change the exit status; lost output is an error unless the reader left.

mod common;

use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{bin, wait_at_most};

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
fn a_closed_stdout_ends_the_run_quietly() {
    // The reader takes one line and closes the pipe: the run stops at once, says nothing and
    // exits 0, long before its ten million items could be written.
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let mut child = StdCommand::new(bin)
        .args(["run", "-e", "item", "--range", "0..10000000", "-k"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert_eq!(first, "0\n");
    drop(stdout);
    let closed = Instant::now();
    let output = wait_at_most(child, Duration::from_secs(30), "after stdout closed");
    assert!(closed.elapsed() < Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.is_empty(), "stderr: {stderr}");
}

#[test]
fn a_write_error_exits_2_with_a_message() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        return; // Not on this system.
    };
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let output = StdCommand::new(bin)
        .args(["run", "-e", "item", "--range", "0..100000"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot write output"), "{stderr}");
}
