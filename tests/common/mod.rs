//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod files;
pub mod http;
pub mod procs;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rsparallel::{JobRecord, JobStatus, RunspacePool, Script};
use serde_json::Value;

/// A pool of `threads` workers with the given timeout in milliseconds (0: none).
pub fn pool(threads: usize, timeout_ms: u64) -> RunspacePool {
    let mut builder = RunspacePool::builder().threads(threads);
    if timeout_ms > 0 {
        builder = builder.timeout(std::time::Duration::from_millis(timeout_ms));
    }
    builder.build().expect("pool builds")
}

/// Runs `source` over the integers `0..n` and collects the records.
pub fn run_range(pool: &RunspacePool, source: &str, n: i64) -> Vec<JobRecord> {
    let script: Script = pool.compile(source).expect("script compiles");
    pool.run(&script, 0..n).expect("run starts").collect()
}

/// The record of `source` run once, over the item 0.
pub fn one_job(pool: &RunspacePool, source: &str) -> JobRecord {
    run_range(pool, source, 1).remove(0)
}

/// Counts records per status.
pub fn count_by_status(records: &[JobRecord]) -> HashMap<JobStatus, usize> {
    let mut counts = HashMap::new();
    for r in records {
        *counts.entry(r.status).or_default() += 1;
    }
    counts
}

/// Asserts every seq in `0..n` appears exactly once.
pub fn assert_each_seq_once(records: &[JobRecord], n: usize) {
    let mut seen = vec![0_u32; n];
    for r in records {
        seen[r.seq as usize] += 1;
    }
    let wrong: Vec<usize> = (0..n).filter(|&i| seen[i] != 1).collect();
    assert!(
        wrong.is_empty(),
        "seqs not seen exactly once: {:?}",
        &wrong[..wrong.len().min(10)]
    );
    assert_eq!(records.len(), n);
}

/// Runs jobs that try to leave state for the next job (a `let`, a write to `item`, to an
/// injected variable, to `seq`) on a pool with `base` = 10, and asserts none of it reaches
/// another job.
pub fn assert_no_state_leaks(pool: &RunspacePool) {
    let script = "if is_def_var(\"x\") { throw \"x leaked\" } \
                  let x = item; \
                  item = 0; \
                  x + base";
    let records = run_range(pool, script, 5_000);
    assert_eq!(records.len(), 5_000);
    for r in &records {
        assert_eq!(r.status, JobStatus::Completed, "{:?}", r.error);
        assert_eq!(r.output[0].as_int().unwrap(), r.seq as i64 + 10);
    }
    // Injected variables and `seq` are constants: a job cannot change what the next one sees.
    let records = run_range(pool, "base += 1; base", 3);
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.status == JobStatus::Failed));
    let records = run_range(pool, "seq = 5; seq", 3);
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.status == JobStatus::Failed));
    let records = run_range(pool, "base", 3);
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.output[0].as_int().unwrap() == 10));
    // A closure that captures the job variables makes them shared on its worker; the next
    // script, with no closure of its own, still gets its own values (once, this killed the
    // worker, and the run waited for ever for the records of its chunk).
    let records = run_range(pool, "let f = || item + seq + attempt; f.call()", 50);
    assert_eq!(records.len(), 50);
    assert!(records.iter().all(|r| r.status == JobStatus::Completed));
    let records = run_range(pool, "item + seq + attempt", 50);
    assert_eq!(records.len(), 50);
    for r in records {
        assert_eq!(
            r.output[0].as_int(),
            Ok(2 * r.seq as i64 + 1),
            "{:?}",
            r.error
        );
    }
}

/// Runs a script that throws on item 3 of six: that job alone fails, with the thrown message
/// and the position of the `throw`.
pub fn assert_a_throw_fails_only_its_job(pool: &RunspacePool) {
    let records = run_range(pool, "if item == 3 {\n  throw `bad ${item}`;\n}\nitem", 6);
    assert_eq!(records.len(), 6);
    let failed: Vec<_> = records
        .iter()
        .filter(|r| r.status == JobStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    let error = failed[0].error.as_ref().unwrap();
    assert_eq!(error.message, "bad 3");
    assert_eq!((error.line, error.column), (Some(2), Some(3)));
    assert_eq!(count_by_status(&records)[&JobStatus::Completed], 5);
}

/// Runs `loop {}` over `0..50` and cancels the run after 100 ms: the records it yields.
pub fn records_of_a_cancelled_run(pool: &RunspacePool) -> Vec<JobRecord> {
    let script = pool.compile("loop {}").unwrap();
    let mut run = pool.run(&script, 0..50_i64).unwrap();
    let canceller = run.canceller();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        canceller.cancel();
    });
    let records: Vec<_> = run.by_ref().collect();
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| r.status == JobStatus::Cancelled));
    records
}

/// Sorts the lines of a text.
pub fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// The `rsparallel` binary, ready for arguments. A run that has not ended after five minutes
/// is killed and fails its test, rather than hanging it (a test may set another timeout).
pub fn rsparallel() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("rsparallel").unwrap();
    command.timeout(std::time::Duration::from_secs(300));
    command
}

/// The records a finished `--output jsonl` run wrote.
pub fn jsonl_records(assert: assert_cmd::assert::Assert) -> Vec<serde_json::Value> {
    jsonl(&assert.get_output().stdout)
}

/// The records of `--output jsonl` output.
pub fn jsonl(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The `rsparallel` binary's path, for a `std::process::Command`.
pub fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("rsparallel")
}

/// Waits for `child` to exit, killing it and failing the test after `limit`.
pub fn wait_at_most(
    mut child: std::process::Child,
    limit: Duration,
    what: &str,
) -> std::process::Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("still running {what}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// Runs `rsparallel run -e SCRIPT` over `items` with `--output jsonl` and `extra` flags, and
/// returns its exit code and records, after checking there is exactly one record per item.
pub fn run_hostile(script: &str, items: &[&str], extra: &[&str]) -> (i32, Vec<Value>) {
    let mut cmd = rsparallel();
    cmd.args(["run", "-e", script, "--output", "jsonl", "-j", "2"])
        .args(extra)
        .args(items)
        .timeout(Duration::from_secs(120));
    let output = cmd.output().unwrap();
    let code = output.status.code().expect("the process ended by a signal");
    let records = jsonl(&output.stdout);
    let mut seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    seqs.sort();
    assert_eq!(
        seqs,
        (0..items.len() as u64).collect::<Vec<_>>(),
        "{script}: one record per item; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (code, records)
}

/// Asserts every record failed with a message containing `cause`.
pub fn assert_all_failed(records: &[Value], count: usize, cause: &str) {
    assert_eq!(records.len(), count);
    for record in records {
        assert_eq!(record["status"], "failed", "{record}");
        let message = record["error"]["message"].as_str().unwrap();
        assert!(message.contains(cause), "{message} lacks {cause}");
    }
}

/// Runs `rsparallel ARGS` until its first stdout line is `started`, sends it SIGINT, and gives
/// back its output and how long it took to end after the signal.
pub fn interrupt_once_started(args: &[&std::ffi::OsStr]) -> (std::process::Output, Duration) {
    let mut child = std::process::Command::new(bin())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "started");
    let sent = Instant::now();
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (output, sent.elapsed())
}

/// This process's peak resident memory so far, in bytes (Linux's `VmHWM`).
pub fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// A pool of one worker whose scripts can call `boom()`, a native function that panics.
pub fn pool_with_a_panicking_native() -> RunspacePool {
    RunspacePool::builder()
        .threads(1)
        .setup(|engine| {
            engine.register_fn("boom", || -> i64 { panic!("boom") });
        })
        .build()
        .unwrap()
}

/// Runs `source` as a host script under `rsparallel exec`, from a file of its own.
pub fn exec_driver(source: &str) -> assert_cmd::assert::Assert {
    exec_driver_with(&[], source)
}

/// [`exec_driver`] with `flags` before the script (permissions, `--timeout`).
pub fn exec_driver_with(flags: &[&str], source: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("driver.rhai");
    std::fs::write(&path, source).unwrap();
    rsparallel().arg("exec").args(flags).arg(&path).assert()
}
