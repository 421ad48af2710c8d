//! Batches submitted to a pool and received later (the REPL's and `exec`'s job objects):
//! stopping one reads no more of its input, and every item it read has one record.

mod common;

use std::time::{Duration, Instant};

use common::assert_each_seq_once;
use rsparallel::rhai::Dynamic;
use rsparallel::{JobStatus, RunspacePool, Wait};

#[test]
fn stopping_a_batch_over_a_million_million_items_returns_at_once_with_a_record_per_item_read() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool.compile("item * 2").unwrap();
    for endless in [false, true] {
        let batch = if endless {
            pool.submit(&script, (0_i64..).map(Dynamic::from)).unwrap()
        } else {
            pool.submit(&script, (0..1_000_000_000_000_i64).map(Dynamic::from))
                .unwrap()
        };
        std::thread::sleep(Duration::from_millis(50));
        let stopped = Instant::now();
        assert!(pool.stop(batch));
        // Once the batch has its records, it has read all it will.
        let read = loop {
            let summary = pool.batches();
            let this = summary.iter().find(|b| b.id == batch).unwrap();
            if this.finished {
                break this.items;
            }
            assert!(
                stopped.elapsed() < Duration::from_secs(30),
                "a stopped batch went on reading its input"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let records = pool.receive(batch, Wait::No);
        // One record for each item read, and only for those.
        assert_eq!(records.len() as u64, read, "endless: {endless}");
        assert!(read < 50_000_000, "read {read}");
        assert_each_seq_once(&records, records.len());
        assert!(
            records
                .iter()
                .all(|r| matches!(r.status, JobStatus::Completed | JobStatus::Cancelled))
        );
    }
}

#[test]
fn a_batch_of_one_pool_is_refused_by_another() {
    let a = RunspacePool::builder().threads(1).build().unwrap();
    let b = RunspacePool::builder().threads(1).build().unwrap();
    let on_a = a
        .submit(&a.compile("loop {}").unwrap(), [Dynamic::from(1_i64)])
        .unwrap();
    let on_b = b
        .submit(&b.compile("item").unwrap(), [Dynamic::from(2_i64)])
        .unwrap();
    // Both are their pool's first batch: the same number, not the same batch.
    assert_eq!(on_a.number(), on_b.number());
    assert_ne!(on_a, on_b);
    assert!(!b.stop(on_a), "b stopped a batch of a");
    assert!(b.receive(on_a, Wait::No).is_empty());
    let from_b = b.receive(on_b, Wait::Yes);
    assert_eq!(from_b.len(), 1);
    assert_eq!(from_b[0].status, JobStatus::Completed);
    // a's batch was never touched: it still runs until a stops it.
    assert!(a.batches().iter().any(|s| s.id == on_a && !s.finished));
    assert!(a.stop(on_a));
    let records = a.receive(on_a, Wait::Yes);
    assert!(records.len() <= 1);
    assert!(records.iter().all(|r| r.status == JobStatus::Cancelled));
}

#[test]
fn the_host_api_refuses_a_batch_of_another_pool() {
    let engine = rsparallel::host::Host::new().engine();
    let message = engine
        .eval::<rsparallel::rhai::Dynamic>(
            r#"
            let a = new_runspace_pool(#{ threads: 1 });
            let b = new_runspace_pool(#{ threads: 1 });
            let on_a = new_runspace_job(a, "item", [1]);
            b.stop(on_a)
            "#,
        )
        .unwrap_err()
        .to_string();
    assert!(message.contains("belongs to another pool"), "{message}");
}

/// Threads of this process, from /proc.
fn threads_now() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn many_submissions_share_one_feeder_and_received_batches_are_forgotten() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool.compile("item + 1").unwrap();
    let before = threads_now();
    let mut ids = Vec::new();
    for i in 0..300_i64 {
        ids.push(
            pool.submit(&script, (0..10).map(move |j| Dynamic::from(i * 10 + j)))
                .unwrap(),
        );
    }
    // 300 batches in flight, one feeder thread (and the pool's own).
    assert!(
        threads_now() <= before + 1,
        "{} threads for 300 submissions",
        threads_now() - before
    );
    let mut records = 0;
    for id in &ids {
        let got = pool.receive(*id, Wait::Yes);
        assert_eq!(got.len(), 10);
        records += got.len();
    }
    assert_eq!(records, 3000);
    // Every batch fully received: the pool holds none of them.
    assert!(
        pool.batches().is_empty(),
        "{} batches left",
        pool.batches().len()
    );
    // The counts go on: receiving is not clearing.
    assert_eq!(pool.status().counts.get(JobStatus::Completed), 3000);

    // 10,000 more, received or not, then cleared: nothing left.
    for round in 0..10_000_i64 {
        let id = pool.submit(&script, [Dynamic::from(round)]).unwrap();
        if round % 2 == 0 {
            assert_eq!(pool.receive(id, Wait::Yes).len(), 1);
        }
    }
    let _ = pool.receive(None, Wait::Yes);
    assert!(pool.batches().is_empty());
    pool.clear(false);
    assert_eq!(pool.status().counts.total(), 0);
    assert_eq!(pool.status().unreceived, 0);
}

#[test]
fn clear_keeps_the_records_of_a_batch_still_running() {
    let pool = RunspacePool::builder().threads(1).build().unwrap();
    let done = pool
        .submit(&pool.compile("item").unwrap(), [Dynamic::from(1_i64)])
        .unwrap();
    assert_eq!(pool.receive(done, Wait::Yes).len(), 1);
    // A batch whose first item is done and whose second runs until stopped.
    let script = pool.compile("if item == 1 { loop {} } item").unwrap();
    let running = pool.submit(&script, [0_i64, 1].map(Dynamic::from)).unwrap();
    while pool.status().counts.get(JobStatus::Completed) < 2 {
        std::thread::sleep(Duration::from_millis(5));
    }
    pool.clear(false);
    assert!(pool.stop(running), "clear forgot a running batch");
    let records = pool.receive(running, Wait::Yes);
    // Item 0 finished before the clear; its record is still there to receive.
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0].status, JobStatus::Completed);
    assert_eq!(records[1].status, JobStatus::Cancelled);
}

#[test]
fn the_rate_counts_only_the_time_jobs_ran() {
    let pool = RunspacePool::builder().threads(1).build().unwrap();
    let script = pool.compile("sleep(1); item").unwrap();
    let first = pool
        .submit(&script, (0..50_i64).map(Dynamic::from))
        .unwrap();
    let _ = pool.receive(first, Wait::Yes);
    let rate = pool.status().items_per_sec;
    // An idle second does not lower it.
    std::thread::sleep(Duration::from_secs(1));
    let idle = pool.status().items_per_sec;
    assert!(
        (idle - rate).abs() <= rate * 0.01,
        "{rate}/s, then {idle}/s after idling"
    );
    // Nor does a second batch after the gap.
    let second = pool
        .submit(&script, (0..50_i64).map(Dynamic::from))
        .unwrap();
    let _ = pool.receive(second, Wait::Yes);
    let after = pool.status().items_per_sec;
    assert!(
        after > rate * 0.5,
        "{rate}/s, then {after}/s after an idle gap"
    );
}

#[test]
fn the_pools_status_sees_streaming_runs_too() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool.compile("sleep(20); item").unwrap();
    std::thread::scope(|scope| {
        let run = scope.spawn(|| pool.run(&script, 0..40_i64).unwrap().count());
        // While the run goes, its jobs are running jobs of the pool.
        let started = Instant::now();
        while pool.status().running == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no job seen running"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(run.join().unwrap(), 40);
    });
    let status = pool.status();
    assert_eq!(status.all_jobs.get(JobStatus::Completed), 40);
    // Nothing was submitted: the submitted batches' counts stay empty.
    assert_eq!(status.counts.total(), 0);
}
