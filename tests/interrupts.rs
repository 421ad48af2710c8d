//! Ctrl-C and SIGTERM through the binary: running jobs are cancelled and recorded, the run
//! exits 130 soon after, whatever holds it up (a busy worker, silent stdin, a stderr nobody
//! reads, output nobody reads), and the progress bar is cleared before the summary.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{bin, jsonl, wait_at_most};

fn interrupt_run(signal: &str) {
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let mut child = StdCommand::new(bin)
        .args([
            "run", "-e", "loop {}", "--range", "0..50", "-j", "2", "--output", "jsonl",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let sent = Instant::now();
    StdCommand::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let output = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "still running after {signal}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(output.status.code(), Some(130), "{signal}");
    let records = jsonl(&output.stdout);
    // At least the job each worker was running.
    assert!(records.len() >= 2, "{records:?}");
    let mut seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    seqs.sort();
    assert_eq!(
        seqs,
        (0..records.len() as u64).collect::<Vec<_>>(),
        "each item read has one record"
    );
    assert!(records.iter().all(|r| r["status"] == "cancelled"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cancelled"), "{stderr}");
}

#[test]
fn sigint_cancels_running_jobs_records_them_and_exits_130() {
    interrupt_run("-INT");
}

#[test]
fn sigterm_does_the_same() {
    interrupt_run("-TERM");
}

#[test]
fn a_second_sigint_exits_at_once() {
    // Output to a pipe nobody reads: after the first SIGINT the run cannot flush its output
    // and waits; the second exits at once, 130.
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let child = StdCommand::new(bin)
        .args(["run", "-e", "item", "--range", "0..100000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let mut child = child;
    let kill = || {
        StdCommand::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
    };
    // Until the pipe is full.
    std::thread::sleep(Duration::from_millis(500));
    kill();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first SIGINT waits for the output to be flushed"
    );
    kill();
    let sent = Instant::now();
    let output = wait_at_most(child, Duration::from_secs(10), "after a second SIGINT");
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(output.status.code(), Some(130));
}

#[test]
fn sigint_ends_a_run_waiting_on_silent_stdin() {
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let mut child = StdCommand::new(bin)
        .args(["run", "-e", "item", "--output", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"first\n").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let sent = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "still waiting on stdin"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(output.status.code(), Some(130));
    let records = jsonl(&output.stdout);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], "completed");
}

#[test]
fn ctrl_c_ends_a_run_whose_workers_are_all_in_heavy_natives() {
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let script = r#"let s = "x"; s.pad(20000000, "y"); loop { sha256(s); }"#;
    let mut child = StdCommand::new(bin)
        .args([
            "run", "-e", script, "--range", "0..4", "-j", "2", "--output", "jsonl",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let sent = Instant::now();
    StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        if sent.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("still running 30 s after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = sent.elapsed();
    assert_eq!(output.status.code(), Some(130));
    assert!(took < Duration::from_secs(1), "Ctrl-C took {took:?}");
    let records = jsonl(&output.stdout);
    assert_eq!(records.len(), 4, "every item read has its record");
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
fn ctrl_c_clears_the_bar() {
    let mut child = StdCommand::new(bin())
        .args([
            "run",
            "-e",
            "print(`started ${item}`); loop {}",
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
    // The bar's first frame, and the first job running.
    while !String::from_utf8_lossy(&seen).contains("started 0") {
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
