//! `--retries` and `--retry-on`: which outcomes are retried, `attempt` in the script, and the
//! attempts counted in the record.

mod common;

use common::{jsonl, jsonl_records, rsparallel};

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
