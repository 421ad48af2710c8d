//! `--resume` against what a killed run or a wrong command line leaves: a torn last log line,
//! a log from another input, a log that is not a file, and a `--timeline` that cannot be
//! written.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{rsparallel, sorted_lines};
use predicates::prelude::*;

/// The seqs of a log's lines, in order, after checking each line has its seven fields.
fn logged_seqs(log: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.ends_with('\n'), "the log ends with a whole line");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("seq\tworker\tstart\truntime\tstatus\tattempts\titem")
    );
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 7, "a line of its own: {line:?}");
            fields[0].parse().unwrap()
        })
        .collect()
}

/// Runs `-e item` over `args` with the log, resuming it when `resume`; returns stdout lines.
fn run_items(log: &Path, items: &[&str], resume: bool) -> Vec<String> {
    let mut cmd = rsparallel();
    cmd.args(["run", "-e", "item"])
        .args(items)
        .arg("--joblog")
        .arg(log);
    if resume {
        cmd.arg("--resume");
    }
    let out = cmd.timeout(Duration::from_secs(30)).assert().success();
    sorted_lines(&String::from_utf8_lossy(&out.get_output().stdout))
}

#[test]
fn a_torn_last_log_line_is_dropped_and_its_item_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    assert_eq!(run_items(&log, &["a", "b", "c"], false), ["a", "b", "c"]);
    // A kill in the middle of the line for seq 3: every field but the newline. Read as a line,
    // it would say item "d" is done; appended to, it would merge with the next line.
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("3\t0\t1800000000.000000\t0.000001\tcompleted\t1\t\"d\"");
    std::fs::write(&log, &text).unwrap();

    assert_eq!(
        run_items(&log, &["a", "b", "c", "d", "e"], true),
        ["d", "e"]
    );
    let mut seqs = logged_seqs(&log);
    assert_eq!(seqs.len(), 5, "{seqs:?}");
    seqs.sort();
    assert_eq!(seqs, [0, 1, 2, 3, 4]);
    // Nothing is left to do.
    assert!(run_items(&log, &["a", "b", "c", "d", "e"], true).is_empty());
    assert_eq!(logged_seqs(&log).len(), 5);
}

#[test]
fn a_log_torn_inside_its_first_line_gets_its_header_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    std::fs::write(&log, "seq\twork").unwrap();
    assert_eq!(run_items(&log, &["a", "b"], true), ["a", "b"]);
    let mut seqs = logged_seqs(&log);
    seqs.sort();
    assert_eq!(seqs, [0, 1]);
}

/// Runs `-e item` resuming `log` over `items` (arguments, or stdin lines when `stdin`), and
/// asserts it is refused with exit 2, nothing on stdout, the log untouched, and a message
/// naming `seq`, the logged item and the input's.
fn assert_refused(log: &Path, items: &[&str], stdin: bool, seq: u64, logged: &str, input: &str) {
    let before = std::fs::read(log).unwrap();
    let mut cmd = rsparallel();
    cmd.args(["run", "-e", "print(`ran ${item}`); item"]);
    if stdin {
        let mut text = items.join("\n");
        text.push('\n');
        cmd.write_stdin(text);
    } else {
        cmd.args(items);
    }
    cmd.arg("--joblog")
        .arg(log)
        .arg("--resume")
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains(format!("at seq {seq} it records item {logged}"))
                .and(predicate::str::contains(format!("the input has {input}")))
                .and(predicate::str::contains("not a log of this input"))
                .and(predicate::str::contains("ran").not()),
        );
    assert_eq!(
        std::fs::read(log).unwrap(),
        before,
        "the log is left as it was"
    );
}

#[test]
fn a_log_of_another_input_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    run_items(&log, &["a", "b", "c", "d"], false);
    // Another input from the first item on.
    assert_refused(&log, &["x", "a", "b", "c", "d"], false, 0, "\"a\"", "\"x\"");
    // The same input but for one item near the end: item "e", new, must not run either.
    assert_refused(&log, &["a", "b", "c", "z", "e"], false, 3, "\"d\"", "\"z\"");
    // The same from stdin, read once: it is read ahead before anything runs.
    assert_refused(&log, &["a", "b", "c", "z", "e"], true, 3, "\"d\"", "\"z\"");
    assert_refused(&log, &["x", "b", "c", "d", "e"], true, 0, "\"a\"", "\"x\"");

    // An input shorter than the log is another input too.
    let before = std::fs::read(&log).unwrap();
    rsparallel()
        .args(["run", "-e", "item", "a", "b", "--joblog"])
        .arg(&log)
        .arg("--resume")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "at seq 2 it records item \"c\", where the input ends after 2 items",
        ));
    assert_eq!(std::fs::read(&log).unwrap(), before);

    // The right input resumes: only the new item runs.
    assert_eq!(run_items(&log, &["a", "b", "c", "d", "e"], true), ["e"]);
}

#[test]
fn a_range_log_is_refused_for_another_range_and_for_its_items_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    rsparallel()
        .args(["run", "-e", "item", "--range", "0..20", "--joblog"])
        .arg(&log)
        .assert()
        .success();
    rsparallel()
        .args(["run", "-e", "item", "--range", "1..21", "--joblog"])
        .arg(&log)
        .arg("--resume")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "at seq 0 it records item 0, where the input has 1;",
        ));
    // The same numbers as lines of text are strings, not the logged integers.
    let lines: String = (0..20).map(|i| format!("{i}\n")).collect();
    rsparallel()
        .args(["run", "-e", "item", "--joblog"])
        .arg(&log)
        .arg("--resume")
        .write_stdin(lines.clone())
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "at seq 0 it records item 0, where the input has \"0\";",
        ));
    // As JSON Lines they are the same items, and nothing is left to run.
    rsparallel()
        .args(["run", "-e", "item", "--format", "jsonl", "--joblog"])
        .arg(&log)
        .arg("--resume")
        .write_stdin(lines)
        .assert()
        .success()
        .stdout("");
}

#[test]
fn stdin_resumes_the_items_the_log_lacks_before_and_after_its_last_seq() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    let lines = |n: u64| -> String { (0..n).map(|i| format!("{i}\n")).collect() };
    rsparallel()
        .args(["run", "-e", "item", "--shard", "0/2", "--joblog"])
        .arg(&log)
        .write_stdin(lines(12))
        .assert()
        .success();
    // As if killed while seq 4 was running and after seq 8 was logged: drop their lines.
    let text = std::fs::read_to_string(&log).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.starts_with("4\t") && !l.starts_with("8\t") && !l.starts_with("10\t"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&log, kept).unwrap();
    let mut before = logged_seqs(&log);
    before.sort();
    assert_eq!(before, [0, 2, 6]);

    let out = rsparallel()
        .args(["run", "-e", "item", "--shard", "0/2", "--joblog"])
        .arg(&log)
        .arg("--resume")
        .write_stdin(lines(14))
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    assert_eq!(
        sorted_lines(&String::from_utf8_lossy(&out.get_output().stdout)),
        ["10", "12", "4", "8"]
    );
    let mut after = logged_seqs(&log);
    after.sort();
    assert_eq!(after, [0, 2, 4, 6, 8, 10, 12]);
}

#[test]
fn a_joblog_that_is_not_a_file_is_refused_at_once() {
    for path in ["/dev/zero", "/dev/null"] {
        rsparallel()
            .args([
                "run", "-e", "item", "--range", "0..3", "--resume", "--joblog", path,
            ])
            .timeout(Duration::from_secs(10))
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "--joblog {path} is not a regular file"
            )));
    }
    // Without --resume, a device is only written to.
    rsparallel()
        .args([
            "run",
            "-e",
            "item",
            "--range",
            "0..3",
            "--joblog",
            "/dev/null",
        ])
        .timeout(Duration::from_secs(10))
        .assert()
        .success();
}

#[test]
fn a_joblog_line_beyond_any_item_is_an_error_not_memory() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    let mut text =
        b"seq\tworker\tstart\truntime\tstatus\tattempts\titem\n0\t0\t0\t0\tcompleted\t1\t\""
            .to_vec();
    text.resize(text.len() + (17 << 20), b'x');
    text.extend_from_slice(b"\"\n");
    std::fs::write(&log, &text).unwrap();
    rsparallel()
        .args([
            "run",
            "-e",
            "item",
            "--range",
            "0..3",
            "--max-item-size",
            "1000",
        ])
        .arg("--joblog")
        .arg(&log)
        .arg("--resume")
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "--joblog {}: line 2 is longer than",
            log.display()
        )));
}

#[test]
fn a_timeline_that_cannot_be_written_is_refused_before_any_job_runs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("jobs.tsv");
    std::fs::write(&log, "an old log\n").unwrap();
    for svg in [dir.path().join("missing/run.svg"), dir.path().to_path_buf()] {
        rsparallel()
            .args(["run", "-e", "print(`ran ${item}`); item", "--range", "0..3"])
            .arg("--timeline")
            .arg(&svg)
            .arg("--joblog")
            .arg(&log)
            .timeout(Duration::from_secs(30))
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                predicate::str::contains(format!("--timeline {}", svg.display()))
                    .and(predicate::str::contains("ran").not()),
            );
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "an old log\n");
    }
    // A timeline that can be written replaces what the file held.
    let svg = dir.path().join("run.svg");
    std::fs::write(&svg, "x".repeat(1 << 20)).unwrap();
    rsparallel()
        .args(["run", "-e", "item", "--range", "0..3", "--timeline"])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..text.len().min(40)]);
    assert!(text.trim_end().ends_with("</svg>"));
}
