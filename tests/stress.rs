//! A load test sized for CI: many items, a mix of failures and timeouts, exact accounting.

mod common;

use std::time::Duration;

use common::{assert_each_seq_once, count_by_status};
use rsparallel::{JobStatus, RunspacePool};

#[test]
fn two_hundred_thousand_items_with_failures_and_timeouts_are_all_accounted_for() {
    let n = 200_000;
    let pool = RunspacePool::builder()
        .threads(4)
        // Every operation now looks at the deadline, so a tiny job whose worker the machine
        // leaves unscheduled past its timeout (four workers on a shared two-core machine) does
        // time out: the timeout is wide enough that only the sleeping jobs can reach it.
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let script = pool
        .compile(
            "if item % 20 == 0 { throw `bad ${item}` } \
             if item % 1000 == 1 { sleep(60_000) } \
             item * 2",
        )
        .unwrap();
    let records: Vec<_> = pool.run(&script, 0..n).unwrap().collect();
    assert_each_seq_once(&records, n as usize);
    let counts = count_by_status(&records);
    assert_eq!(counts[&JobStatus::Failed], 10_000);
    assert_eq!(counts[&JobStatus::TimedOut], 200);
    assert_eq!(counts[&JobStatus::Completed], 189_800);
    for r in records.iter().filter(|r| r.status == JobStatus::Completed) {
        assert_eq!(r.output[0].as_int().unwrap(), r.seq as i64 * 2);
    }
}
