//! The job log (`--joblog`) and runs resumed from it: its header and lines, `--resume` after a
//! kill, `--resume-failed`, and how a timed-out job counts for each.

mod common;

use std::collections::BTreeSet;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{rsparallel, sorted_lines};

#[test]
fn the_job_log_has_a_header_and_one_line_per_job() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    rsparallel()
        .args([
            "run",
            "-e",
            "if item == 2 { throw \"no\" } item",
            "--range",
            "0..5",
            "--joblog",
        ])
        .arg(&log)
        .assert()
        .code(1);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "seq\tworker\tstart\truntime\tstatus\tattempts\titem"
    );
    assert_eq!(lines.len(), 6);
    let mut seqs = BTreeSet::new();
    for line in &lines[1..] {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 7, "{line}");
        let seq: u64 = fields[0].parse().unwrap();
        seqs.insert(seq);
        let _worker: usize = fields[1].parse().unwrap();
        let start: f64 = fields[2].parse().unwrap();
        assert!(start > 1.7e9, "epoch seconds: {start}");
        let _runtime: f64 = fields[3].parse().unwrap();
        let expected = if seq == 2 { "failed" } else { "completed" };
        assert_eq!(fields[4], expected);
        assert_eq!(fields[5], "1");
        assert_eq!(fields[6], seq.to_string());
    }
    assert_eq!(seqs, (0..5).collect());
}

#[test]
fn a_run_killed_midway_resumes_and_covers_every_item_once_but_the_one_being_logged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    let out1 = dir.path().join("out1.txt");
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let args = [
        "run",
        "-e",
        "sleep(4); item",
        "--range",
        "0..400",
        "-j",
        "2",
        "--joblog",
    ];
    let mut child = StdCommand::new(&bin)
        .args(args)
        .arg(&log)
        .stdout(std::fs::File::create(&out1).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let it get partway, then kill it without a chance to clean up.
    let started = Instant::now();
    loop {
        let logged = std::fs::read_to_string(&log)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if logged > 50 || started.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let logged_first: BTreeSet<u64> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter_map(|l| l.split('\t').next()?.parse().ok())
        .collect();
    let first = std::fs::read_to_string(&out1).unwrap();
    let first_count = first.lines().count();
    assert!(
        first_count > 0 && first_count < 400,
        "killed midway: {first_count}"
    );

    let second = rsparallel()
        .args(args)
        .arg(&log)
        .arg("--resume")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let second = String::from_utf8(second).unwrap();
    // Every item at least once; twice only the one (if any) whose output the kill let out
    // without its log line.
    let mut times = vec![0_u32; 400];
    for line in first.lines().chain(second.lines()) {
        times[line.parse::<usize>().unwrap()] += 1;
    }
    let missing: Vec<usize> = (0..400).filter(|&i| times[i] == 0).collect();
    assert!(missing.is_empty(), "items never output: {missing:?}");
    let twice: Vec<u64> = (0..400).filter(|&i| times[i as usize] > 1).collect();
    assert!(twice.len() <= 1, "items output more than once: {twice:?}");
    for item in &twice {
        assert_eq!(times[*item as usize], 2);
        assert!(
            !logged_first.contains(item),
            "{item} was logged, yet ran again"
        );
    }
    assert_eq!(
        first.lines().count() + second.lines().count(),
        400 + twice.len()
    );
}

#[test]
fn resume_failed_runs_the_failures_again() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    let script = "if item % 3 == 0 && !first { throw \"no\" } item";
    rsparallel()
        .args([
            "run",
            "-e",
            script,
            "--range",
            "0..9",
            "--var",
            "first=false",
            "--joblog",
        ])
        .arg(&log)
        .assert()
        .code(1);
    let rerun = rsparallel()
        .args([
            "run",
            "-e",
            script,
            "--range",
            "0..9",
            "--var",
            "first=true",
            "--joblog",
        ])
        .arg(&log)
        .arg("--resume-failed")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        sorted_lines(&String::from_utf8(rerun).unwrap()),
        ["0", "3", "6"]
    );
    // Nothing is left to do.
    rsparallel()
        .args(["run", "-e", script, "--range", "0..9", "--joblog"])
        .arg(&log)
        .arg("--resume-failed")
        .assert()
        .success()
        .stdout("");
}

#[test]
fn a_timed_out_job_counts_as_run_for_resume_and_runs_again_with_resume_failed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    let script = "if item == 1 && first { loop {} } item";
    let run = |first: &str, flag: Option<&str>, code: i32| {
        let assert = rsparallel()
            .args(["run", "-e", script, "--range", "0..3", "--timeout", "100ms"])
            .args(["--var", &format!("first={first}"), "--joblog"])
            .arg(&log)
            .args(flag)
            .assert()
            .code(code);
        sorted_lines(&String::from_utf8_lossy(&assert.get_output().stdout))
    };
    assert_eq!(run("true", None, 1), ["0", "2"]);
    let log_text = std::fs::read_to_string(&log).unwrap();
    let timed_out: Vec<&str> = log_text
        .lines()
        .filter(|l| l.split('\t').nth(4) == Some("timed_out"))
        .collect();
    assert_eq!(timed_out.len(), 1, "{log_text}");
    // --resume: the timed-out item was run; nothing is left to do.
    assert_eq!(run("false", Some("--resume"), 0), Vec::<String>::new());
    // --resume-failed: it runs again, alone.
    assert_eq!(run("false", Some("--resume-failed"), 0), ["1"]);
    assert_eq!(
        run("false", Some("--resume-failed"), 0),
        Vec::<String>::new()
    );
}
