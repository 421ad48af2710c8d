//! A job's stop leaves the engine by unwinding, so no frame of the engine's can go on with
//! whole-value work after it: Rhai writes a value whole, with no look at the clock or the cap,
//! when the operation before an interpolation's `to_string` fails. These run the binary under
//! `ulimit -v`: without the mechanism the process aborts, and takes no more than that.

mod common;

use std::process::Command;

use common::{bin, jsonl};

/// An array of 2.5 million references to one string of 1 MB: 40 MB of memory, 2.5 TB as text.
const AMPLIFIED: &str = r#"let s = ""; s.pad(1000000, "x"); let a = []; a.pad(2500000, s);"#;

/// Runs `rsparallel run -e SCRIPT ITEMS... --output jsonl ARGS...` with its address space
/// capped at 4 GB; the exit code (`None`: ended by a signal) and the records.
fn run_capped(
    script: &str,
    items: &[&str],
    args: &[&str],
) -> (Option<i32>, Vec<serde_json::Value>) {
    let output = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 4000000 && exec "$0" "$@""#)
        .arg(bin())
        .args(["run", "-j", "1", "-e", script, "--output", "jsonl"])
        .args(args)
        .args(items)
        .output()
        .unwrap();
    (output.status.code(), jsonl(&output.stdout))
}

#[test]
fn a_memory_stop_before_an_interpolation_fails_only_its_job() {
    let script = format!("if item == \"big\" {{ {AMPLIFIED} `${{a}}` }} else {{ item }}");
    let (code, records) = run_capped(&script, &["big", "after"], &["--max-memory", "64MiB"]);
    assert_eq!(code, Some(1), "{records:?}");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["status"], "failed");
    assert_eq!(records[0]["error"]["kind"], "memory_cap");
    assert_eq!(records[1]["output"][0], "after");
}

#[test]
fn an_operations_budget_that_ends_before_a_to_string_fails_only_its_job() {
    // One of these budgets runs out at the operation just before `to_string`, whichever it is.
    let script = format!("{AMPLIFIED} `${{a}}`");
    for max_ops in 1..40 {
        let ops = max_ops.to_string();
        let (code, records) = run_capped(&script, &["x"], &["--max-ops", &ops]);
        assert_eq!(code, Some(1), "--max-ops {max_ops}: {records:?}");
        assert_eq!(records[0]["status"], "failed", "--max-ops {max_ops}");
        let kind = &records[0]["error"]["kind"];
        assert!(
            kind == "ops_budget" || kind == "memory_cap",
            "--max-ops {max_ops}: {kind}"
        );
    }
}

#[test]
fn a_stop_inside_a_sorts_comparer_is_the_jobs_stop() {
    let script = "let a = []; a.pad(1000, 1); a.sort(|x, y| { loop {} }); a";
    let (code, records) = run_capped(script, &["x"], &["--timeout", "100ms"]);
    assert_eq!(code, Some(1));
    assert_eq!(records[0]["status"], "timed_out", "{records:?}");
}
