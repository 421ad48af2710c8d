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
        let records = pool.receive(batch, Wait::For(Duration::from_secs(60)));
        assert!(
            stopped.elapsed() < Duration::from_secs(30),
            "a stopped batch went on reading its input"
        );
        let summary = pool.batches();
        let read = summary
            .iter()
            .find(|b| b.id == batch)
            .map_or(0, |b| b.items);
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
