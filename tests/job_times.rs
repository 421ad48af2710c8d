//! Job times: a worker reads the system clock once per chunk and the CPU's counter for each
//! job between; every record's start and end must still be right, for short jobs and long ones.

mod common;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use common::{pool, run_range};
use rsparallel::{JobRecord, JobStatus};

/// Room for the wall clock being stepped while the test runs.
const SLACK: Duration = Duration::from_millis(50);

fn times(record: &JobRecord) -> (SystemTime, SystemTime) {
    let start = record.start.expect("a job that ran has a start");
    let end = record.end.expect("a job that ran has an end");
    (start, end)
}

#[test]
fn short_jobs_are_timed_within_the_run_and_never_overlap_on_a_worker() {
    let pool = pool(2, 0);
    let before = SystemTime::now();
    let records = run_range(&pool, "item * 2 + 1", 200_000);
    let elapsed = before.elapsed().unwrap_or_default();
    let after = before + elapsed;
    let mut by_worker: HashMap<usize, Vec<(SystemTime, SystemTime)>> = HashMap::new();
    let mut busy = Duration::ZERO;
    for r in &records {
        assert_eq!(r.status, JobStatus::Completed);
        let (start, end) = times(r);
        assert!(start <= end, "job {} ends before it starts", r.seq);
        assert!(
            start + SLACK >= before && end <= after + SLACK,
            "job {} ran outside the run: {start:?}..{end:?}, run {before:?}..{after:?}",
            r.seq
        );
        busy += r.duration();
        by_worker
            .entry(r.worker.expect("a job that ran has a worker"))
            .or_default()
            .push((start, end));
    }
    for (worker, mut jobs) in by_worker {
        jobs.sort();
        for pair in jobs.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "worker {worker}: a job starts before the one before it ended: {pair:?}"
            );
        }
    }
    assert!(
        busy <= 2 * elapsed + SLACK,
        "two workers were busy {busy:?} in {elapsed:?}"
    );
}

#[test]
fn a_long_job_among_short_ones_is_timed_on_its_own() {
    // One worker: the jobs run in input order, the long one in a chunk of short ones.
    let pool = pool(1, 0);
    let records = run_range(&pool, "if item == 5000 { sleep(100) } item", 10_000);
    let by_seq: HashMap<u64, &JobRecord> = records.iter().map(|r| (r.seq, r)).collect();
    let long = by_seq[&5000].duration();
    assert!(
        long >= Duration::from_millis(100) && long < Duration::from_secs(10),
        "the sleeping job took {long:?}"
    );
    for seq in [4999, 5001] {
        let short = by_seq[&seq].duration();
        assert!(
            short < Duration::from_millis(100),
            "job {seq}, beside the long one, took {short:?}"
        );
    }
    let (_, long_end) = times(by_seq[&5000]);
    let (next_start, _) = times(by_seq[&5001]);
    assert!(long_end <= next_start);
}
