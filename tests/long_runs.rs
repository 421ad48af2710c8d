//! Long runs: job log, resume after a kill, retries, halt, total timeout, shards, timeline,
//! streams and tags.

mod common;

use std::collections::BTreeSet;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{jsonl, jsonl_records, rsparallel, sorted_lines};
use predicates::prelude::*;

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

#[test]
fn retries_cover_timed_out_jobs_by_default() {
    let records = jsonl_records(
        rsparallel()
            .args([
                "run",
                "-e",
                "if attempt == 1 { loop {} } `${item}:${attempt}`",
            ])
            .args(["a", "b", "-k", "--timeout", "100ms", "--retries", "1"])
            .args(["--output", "jsonl"])
            .assert()
            .success(),
    );
    assert_eq!(records.len(), 2);
    for (record, item) in records.iter().zip(["a", "b"]) {
        assert_eq!(record["status"], "completed", "{record}");
        assert_eq!(record["attempts"], 2, "{record}");
        assert_eq!(record["output"], serde_json::json!([format!("{item}:2")]));
    }
    // And failed ones.
    let records = jsonl_records(
        rsparallel()
            .args(["run", "-e", "if attempt == 1 { throw \"x\" } attempt", "a"])
            .args(["--retries", "1", "--output", "jsonl"])
            .assert()
            .success(),
    );
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["output"], serde_json::json!([2]));
}

#[test]
fn retries_make_a_flaky_job_complete_and_count_attempts() {
    let out = rsparallel()
        .args([
            "run",
            "-e",
            "if attempt == 1 { throw \"flaky\" } `${item}:${attempt}`",
        ])
        .args([
            "--range",
            "0..20",
            "--retries",
            "2",
            "--output",
            "jsonl",
            "-k",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let records = jsonl(&out);
    assert_eq!(records.len(), 20);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["status"], "completed");
        assert_eq!(r["attempts"], 2);
        assert_eq!(r["output"][0], format!("{i}:2"));
    }
    // Without enough retries the last failure is the record.
    let out = rsparallel()
        .args([
            "run",
            "-e",
            "throw `try ${attempt}`",
            "1",
            "--retries",
            "2",
            "--output",
            "jsonl",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let record = &jsonl(&out)[0];
    assert_eq!(record["attempts"], 3);
    assert_eq!(record["error"]["message"], "try 3");
    // Only the chosen outcomes are retried.
    let out = rsparallel()
        .args([
            "run",
            "-e",
            "throw \"no\"",
            "1",
            "--retries",
            "2",
            "--retry-on",
            "timed_out",
        ])
        .args(["--output", "jsonl"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(jsonl(&out)[0]["attempts"], 1);
}

#[test]
fn halt_stops_early_and_every_item_read_has_a_record() {
    let records = jsonl_records(
        rsparallel()
            .args([
                "run",
                "-e",
                "if item % 2 == 0 { throw \"bad\" } sleep(5); item",
            ])
            .args([
                "--range",
                "0..200",
                "-j",
                "2",
                "--halt",
                "now,fail=3",
                "--output",
                "jsonl",
            ])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("halt now,fail=3")),
    );
    assert_eq!(records.len(), 200, "every item has its record");
    let failed = records.iter().filter(|r| r["status"] == "failed").count();
    let skipped = records.iter().filter(|r| r["status"] == "skipped").count();
    assert!((3..=4).contains(&failed), "{failed}");
    assert!(skipped > 150, "{skipped}");
    let skip = records.iter().find(|r| r["status"] == "skipped").unwrap();
    assert!(
        skip["error"]["message"]
            .as_str()
            .unwrap()
            .contains("halted after")
    );
}

#[test]
fn a_total_timeout_returns_promptly_with_every_item_accounted_for() {
    let started = Instant::now();
    let out = rsparallel()
        .args(["run", "-e", "loop {}", "--range", "0..10", "-j", "2"])
        .args(["--total-timeout", "300ms", "--output", "jsonl"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("total timeout of 300ms passed"))
        .get_output()
        .stdout
        .clone();
    assert!(started.elapsed() < Duration::from_secs(20));
    let records = jsonl(&out);
    let seqs: BTreeSet<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (0..10).collect());
    let cancelled = records
        .iter()
        .filter(|r| r["status"] == "cancelled")
        .count();
    let skipped = records.iter().filter(|r| r["status"] == "skipped").count();
    assert_eq!((cancelled, skipped), (2, 8));
}

/// What a record says: seq, item, status, output and error message.
type Shown = (
    u64,
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
);

#[test]
fn shards_together_equal_one_unsharded_run() {
    // Every seventh item fails, so records of both kinds are compared.
    let script = "if item % 7 == 3 { throw `no ${item}` } item * 3";
    let run = |shard: Option<&str>| {
        let mut command = rsparallel();
        command.args([
            "run", "-e", script, "--range", "0..1000", "--output", "jsonl",
        ]);
        if let Some(shard) = shard {
            command.args(["--shard", shard]);
        }
        let records = jsonl_records(command.assert().code(1));
        let mut content: Vec<Shown> = records
            .iter()
            .map(|r| {
                (
                    r["seq"].as_u64().unwrap(),
                    r["item"].clone(),
                    r["status"].clone(),
                    r["output"].clone(),
                    r["error"]["message"].clone(),
                )
            })
            .collect();
        content.sort_by_key(|c| c.0);
        content
    };
    let whole = run(None);
    // The unsharded run is right on its own terms: one record per item, with its value.
    assert_eq!(whole.len(), 1000);
    for (i, (seq, item, status, output, error)) in whole.iter().enumerate() {
        assert_eq!(*seq, i as u64);
        assert_eq!(*item, serde_json::json!(i));
        if i % 7 == 3 {
            assert_eq!(*status, "failed");
            assert_eq!(*error, format!("no {i}"));
        } else {
            assert_eq!(*status, "completed");
            assert_eq!(*output, serde_json::json!([i * 3]));
        }
    }
    let mut union = Vec::new();
    for (k, len) in [(0, 334), (1, 333), (2, 333)] {
        let shard = run(Some(&format!("{k}/3")));
        assert_eq!(shard.len(), len, "shard {k}/3");
        assert!(shard.iter().all(|c| c.0 % 3 == k), "shard {k}/3");
        union.extend(shard);
    }
    union.sort_by_key(|c| c.0);
    assert_eq!(union, whole);
}

#[test]
fn the_timeline_is_valid_svg_with_a_lane_per_worker() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("run.svg");
    rsparallel()
        .args([
            "run",
            "-e",
            "if item == 5 { throw \"x\" } sleep(item % 3); item",
        ])
        .args(["--range", "0..200", "-j", "3", "--timeline"])
        .arg(&svg)
        .assert()
        .code(1);
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let lanes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane"))
        .count();
    assert_eq!(lanes, 3);
    assert!(
        text.contains("<title>seq 5 item 5: failed"),
        "hover text names the job"
    );
}

#[test]
fn streams_are_forwarded_tagged_and_kept_in_the_record() {
    let script = "print(\"p\"); warn(\"w\"); verbose(\"v\"); error(\"e\"); debug(\"d\"); item";
    let out = rsparallel()
        .args(["run", "-e", script, "x", "--output", "jsonl"])
        .assert()
        .success()
        .stderr(predicate::str::contains("[seq 0] warn: w"))
        .stderr(predicate::str::contains("[seq 0] error: e"))
        .stderr(predicate::str::contains("verbose").not())
        .stderr(predicate::str::contains("1 job reported errors"))
        .get_output()
        .stdout
        .clone();
    let streams = &jsonl(&out)[0]["streams"];
    let kinds: Vec<&str> = streams
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stream"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["print", "warn", "verbose", "error", "debug"]);
    rsparallel()
        .args(["run", "-e", script, "x", "--verbose", "--tag"])
        .assert()
        .success()
        .stdout("0\tx\tx\n")
        .stderr(predicate::str::contains("0\tx\tverbose: v"))
        .stderr(predicate::str::contains("0\tx\tp"));
}
