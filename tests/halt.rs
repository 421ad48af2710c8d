//! `--halt` over jobs far faster than a chunk: the policy is judged as each job ends, so a run
//! stops at the failure that reaches it, not thousands of jobs later. Each run is repeated, as
//! the workers race; no assertion depends on time.

mod common;

use std::collections::HashMap;

use common::{assert_each_seq_once, count_by_status, jsonl, pool, rsparallel};
use rsparallel::rhai::Dynamic;
use rsparallel::{HaltPolicy, JobError, JobErrorKind, JobStatus, RunOptions, UnreadableItem};
use serde_json::Value;

const EVERY_THIRD_FAILS: &str = "if item % 3 == 0 { throw \"x\" } item";

/// Runs the binary over `0..n`, checks it exits 1 with exactly one record per item, and gives
/// the records, their counts per status and the stop reason from stderr.
fn halted_run(script: &str, n: u64, args: &[&str]) -> (Vec<Value>, HashMap<String, u64>, String) {
    let range = format!("0..{n}");
    let output = rsparallel()
        .args(["run", "-e", script, "--range", &range, "--output", "jsonl"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let records = jsonl(&output.stdout);
    let mut seen = vec![0_u32; n as usize];
    for r in &records {
        seen[r["seq"].as_u64().unwrap() as usize] += 1;
    }
    assert_eq!(records.len() as u64, n);
    assert!(seen.iter().all(|&s| s == 1), "one record per item");
    let mut counts = HashMap::new();
    for r in &records {
        *counts
            .entry(r["status"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let reason = stderr
        .lines()
        .find_map(|l| l.strip_prefix("rsparallel: stopped early: "))
        .unwrap_or_else(|| panic!("a stop reason: {stderr}"))
        .to_string();
    (records, counts, reason)
}

fn count(counts: &HashMap<String, u64>, status: &str) -> u64 {
    counts.get(status).copied().unwrap_or(0)
}

/// Every record of a job the halt kept from starting says why.
fn assert_skips_say_why(records: &[Value], reason: &str) {
    let skipped: Vec<&Value> = records
        .iter()
        .filter(|r| r["status"] == "skipped")
        .collect();
    assert!(!skipped.is_empty());
    for r in skipped {
        assert_eq!(r["error"]["message"], reason, "{r}");
    }
}

#[test]
fn now_stops_at_exactly_the_nth_failure_of_fast_jobs() {
    for _ in 0..5 {
        let (records, counts, reason) = halted_run(
            EVERY_THIRD_FAILS,
            1000,
            &["-j", "2", "--halt", "now,fail=5"],
        );
        assert_eq!(
            reason,
            "the run halted after 5 failed jobs (halt now,fail=5)"
        );
        // Failures counted after the fifth come from a job that was running then: `now`
        // cancels it.
        assert_eq!(count(&counts, "failed"), 5, "{counts:?}");
        assert!(count(&counts, "cancelled") <= 1, "{counts:?}");
        // Jobs run in chunks of consecutive items, one in three failing: five failures leave
        // room for a few dozen completed jobs, not hundreds.
        assert!(count(&counts, "completed") < 100, "{counts:?}");
        assert_eq!(
            count(&counts, "completed") + count(&counts, "cancelled") + count(&counts, "skipped"),
            995
        );
        assert_skips_say_why(&records, &reason);
    }
}

#[test]
fn now_with_one_worker_starts_nothing_after_the_failure() {
    // Item 2 fails first: items 0 and 1 completed before it, and nothing starts after it.
    for policy in ["now,fail=1", "soon,fail=1"] {
        let (records, counts, reason) = halted_run(
            "if item % 3 == 2 { throw \"x\" } item",
            1000,
            &["-j", "1", "--halt", policy],
        );
        assert_eq!(count(&counts, "completed"), 2, "{policy}: {counts:?}");
        assert_eq!(count(&counts, "failed"), 1, "{policy}: {counts:?}");
        assert_eq!(count(&counts, "skipped"), 997, "{policy}: {counts:?}");
        let failed = records.iter().find(|r| r["status"] == "failed").unwrap();
        assert_eq!(failed["seq"], 2);
        assert_skips_say_why(&records, &reason);
    }
}

#[test]
fn soon_with_a_percentage_stops_once_ten_have_finished() {
    for now in [false, true] {
        for _ in 0..3 {
            let policy = if now { "now,fail=20%" } else { "soon,fail=20%" };
            let (records, counts, reason) =
                halted_run(EVERY_THIRD_FAILS, 1000, &["-j", "2", "--halt", policy]);
            // "the run halted after F failed jobs of D finished (halt …)"
            let words: Vec<&str> = reason.split(' ').collect();
            let failed: u64 = words[4].parse().unwrap();
            let finished: u64 = words[8].parse().unwrap();
            assert_eq!(
                reason,
                format!(
                    "the run halted after {failed} failed jobs of {finished} finished (halt {policy})"
                )
            );
            assert!(finished >= 10, "{reason}");
            assert!(failed * 100 >= 20 * finished, "{reason}");
            // The share is judged as each job ends: the first that reaches it halts the run.
            assert!(
                (failed - 1) * 100 < 20 * (finished - 1) || finished == 10,
                "{reason}"
            );
            let ran = count(&counts, "completed") + count(&counts, "failed");
            if now {
                // A failure after the halt was a running job's, and `now` cancelled it.
                assert_eq!(count(&counts, "failed"), failed, "{policy}: {counts:?}");
            } else {
                // `soon` lets the job running on the other worker finish.
                assert!(
                    (failed..=failed + 1).contains(&count(&counts, "failed")),
                    "{policy}: {counts:?}"
                );
                assert!((finished..=finished + 1).contains(&ran), "{counts:?}");
            }
            assert!(
                count(&counts, "skipped") >= 1000 - finished - 2,
                "{counts:?}"
            );
            assert_skips_say_why(&records, &reason);
        }
    }
}

#[test]
fn soon_lets_the_running_job_finish_and_now_cancels_it() {
    // Item 0 is running a long job on one worker when item 1 fails on the other (chunks hold
    // one job until a job has been timed, so each worker takes one of them).
    let script = "if item == 0 { sleep(3000); item } else if item == 1 { sleep(200); throw \"x\" } else { item }";
    for (policy, first) in [("soon,fail=1", "completed"), ("now,fail=1", "cancelled")] {
        let (records, counts, reason) = halted_run(script, 10, &["-j", "2", "--halt", policy]);
        assert_eq!(
            reason,
            format!("the run halted after 1 failed jobs (halt {policy})")
        );
        let status = |seq: u64| {
            records
                .iter()
                .find(|r| r["seq"] == seq)
                .map(|r| r["status"].clone())
                .unwrap()
        };
        assert_eq!(status(0), first, "{policy}: {records:?}");
        assert_eq!(status(1), "failed", "{policy}");
        assert_eq!(count(&counts, "skipped"), 8, "{policy}: {counts:?}");
        if first == "completed" {
            let zero = records.iter().find(|r| r["seq"] == 0).unwrap();
            assert_eq!(zero["output"], serde_json::json!([0]));
        }
        assert_skips_say_why(&records, &reason);
    }
}

#[test]
fn a_try_that_is_retried_is_not_a_failure_and_a_halt_skips_its_retry() {
    for policy in ["now,fail=5", "soon,fail=5"] {
        for _ in 0..3 {
            let (records, counts, reason) = halted_run(
                EVERY_THIRD_FAILS,
                1000,
                &["-j", "2", "--retries", "2", "--halt", policy],
            );
            assert_eq!(
                reason,
                format!("the run halted after 5 failed jobs (halt {policy})")
            );
            let failed: Vec<&Value> = records.iter().filter(|r| r["status"] == "failed").collect();
            if policy.starts_with("now") {
                assert_eq!(failed.len(), 5, "{counts:?}");
            } else {
                assert!((5..=6).contains(&failed.len()), "{counts:?}");
            }
            // Only a job whose tries ran out failed.
            assert!(failed.iter().all(|r| r["attempts"] == 3), "{failed:?}");
            // A job waiting for its retry when the run halted was skipped, saying how its
            // last try ended.
            for r in records.iter().filter(|r| r["status"] == "skipped") {
                let message = r["error"]["message"].as_str().unwrap();
                if r["attempts"] == 0 {
                    assert_eq!(message, reason);
                } else {
                    let attempts = r["attempts"].as_u64().unwrap();
                    assert_eq!(
                        message,
                        format!("{reason}; its retry did not start (try {attempts} failed: x)")
                    );
                    assert!(r["output"].as_array().is_none_or(Vec::is_empty), "{r}");
                }
            }
        }
    }
}

#[test]
fn the_library_halts_a_fast_run_at_its_policy() {
    let pool = pool(2, 0);
    let script = pool.compile(EVERY_THIRD_FAILS).unwrap();
    for _ in 0..5 {
        let options = RunOptions::default().halt("now,fail=5".parse::<HaltPolicy>().unwrap());
        let items = (0..1000_i64).map(|i| Ok(Dynamic::from(i)));
        let mut run = pool.run_with(&script, items, options).unwrap();
        let records: Vec<_> = run.by_ref().collect();
        assert_eq!(
            run.stop_reason(),
            Some("the run halted after 5 failed jobs (halt now,fail=5)")
        );
        assert_each_seq_once(&records, 1000);
        let counts = count_by_status(&records);
        assert_eq!(counts.get(&JobStatus::Failed), Some(&5), "{counts:?}");
        assert_eq!(run.counts().get(JobStatus::Failed), 5);
        assert!(counts.get(&JobStatus::Skipped).copied().unwrap_or(0) > 800);
    }
}

#[test]
fn unreadable_items_count_towards_the_halt() {
    // Three items that cannot be read reach `fail=3` before any job runs.
    let pool = pool(2, 0);
    let script = pool.compile("item").unwrap();
    let bad = |i: i64| {
        Err(UnreadableItem::new(
            Dynamic::from(format!("bad {i}")),
            JobError::new(JobErrorKind::UnreadableInput, "unreadable"),
        ))
    };
    let items = (0..1003_i64).map(|i| if i < 3 { bad(i) } else { Ok(Dynamic::from(i)) });
    let options = RunOptions::default().halt("soon,fail=3".parse::<HaltPolicy>().unwrap());
    let mut run = pool.run_with(&script, items, options).unwrap();
    let records: Vec<_> = run.by_ref().collect();
    assert_each_seq_once(&records, 1003);
    let counts = count_by_status(&records);
    assert_eq!(counts.get(&JobStatus::Failed), Some(&3), "{counts:?}");
    assert_eq!(counts.get(&JobStatus::Skipped), Some(&1000), "{counts:?}");
    assert_eq!(
        run.stop_reason(),
        Some("the run halted after 3 failed jobs (halt soon,fail=3)")
    );
}

#[test]
fn a_share_reached_by_failures_after_the_first_ten_jobs_halts() {
    // Twenty jobs complete, then every one fails: the share is 20 % at the 5th failure
    // (5 of 25), and one worker starts nothing after it.
    let (records, counts, reason) = halted_run(
        "if item >= 20 { throw \"x\" } item",
        40,
        &["-j1", "--halt", "soon,fail=20%"],
    );
    assert_eq!(count(&counts, "completed"), 20, "{counts:?}");
    assert_eq!(count(&counts, "failed"), 5, "{counts:?}");
    assert_eq!(count(&counts, "skipped"), 15, "{counts:?}");
    assert!(reason.contains("fail=20%"), "{reason}");
    assert_skips_say_why(&records, &reason);
}

#[test]
fn a_failure_after_the_halting_one_under_now_is_cancelled() {
    // Two jobs meet (each waits for the other, for at most 10 s), then both fail at once: the
    // first failure judged halts the run; under `now`, the second, running when it halted, is
    // cancelled like every job running then.
    let met = std::sync::Arc::new((std::sync::Mutex::new(0_u32), std::sync::Condvar::new()));
    let pool = rsparallel::RunspacePool::builder()
        .threads(2)
        .setup(move |engine| {
            let met = met.clone();
            engine.register_fn("meet", move || {
                let (count, arrived) = &*met;
                let mut count = count.lock().unwrap();
                *count += 1;
                arrived.notify_all();
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while *count % 2 == 1 && std::time::Instant::now() < deadline {
                    count = arrived
                        .wait_timeout(count, std::time::Duration::from_millis(50))
                        .unwrap()
                        .0;
                }
            });
        })
        .build()
        .unwrap();
    let script = pool.compile("meet(); throw \"x\"").unwrap();
    let options = RunOptions::default().halt("now,fail=1".parse::<HaltPolicy>().unwrap());
    let items = (0..2_i64).map(|i| Ok(Dynamic::from(i)));
    let records: Vec<_> = pool.run_with(&script, items, options).unwrap().collect();
    assert_each_seq_once(&records, 2);
    let counts = count_by_status(&records);
    assert_eq!(counts.get(&JobStatus::Failed), Some(&1), "{counts:?}");
    assert_eq!(counts.get(&JobStatus::Cancelled), Some(&1), "{counts:?}");
}
