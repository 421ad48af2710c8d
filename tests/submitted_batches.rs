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
    assert_eq!(
        a.receive(on_a, Wait::Yes).len() as u64,
        a.batches()[0].items
    );
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
