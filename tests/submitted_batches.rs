//! Batches submitted to a pool (`RunspacePool::submit`): owned handles whose jobs run while
//! their owner does something else; cancelling one reads no more of its input, and every item
//! it read has one record; dropping one leaves nothing behind.

mod common;

use std::time::{Duration, Instant};

use common::assert_each_seq_once;
use rsparallel::rhai::Dynamic;
use rsparallel::{JobStatus, RunOptions, RunspacePool, Wait};

#[test]
fn cancelling_a_batch_over_a_million_million_items_returns_at_once_with_a_record_per_item_read() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool.compile("item * 2").unwrap();
    for endless in [false, true] {
        let batch = if endless {
            pool.submit(&script, 0_i64.., RunOptions::default())
        } else {
            pool.submit(&script, 0..1_000_000_000_000_i64, RunOptions::default())
        }
        .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let cancelled = Instant::now();
        batch.cancel();
        assert!(
            batch.wait(Wait::For(Duration::from_secs(30))),
            "a cancelled batch went on"
        );
        assert!(cancelled.elapsed() < Duration::from_secs(30));
        let read = batch.status().items;
        let records = batch.take_finished();
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
fn a_batch_runs_while_nobody_reads_it_and_is_read_on_another_thread() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool.compile("item * item").unwrap();
    let batch = pool
        .submit(
            &script,
            1..=1000_i64,
            RunOptions::default().keep_order(true),
        )
        .unwrap();
    // Nobody reads it: it finishes all the same.
    assert!(batch.wait(Wait::Yes));
    assert_eq!(batch.status().counts.get(JobStatus::Completed), 1000);
    // Owned and Send: read where it is needed.
    let outputs = std::thread::spawn(move || {
        batch
            .map(|r| r.output[0].as_int().unwrap())
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    assert_eq!(outputs.len(), 1000);
    assert_eq!(outputs[999], 1_000_000);
}

#[test]
fn a_submitted_batch_takes_the_options_of_a_run() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool
        .compile("if item % 3 == 0 { throw \"x\" } item")
        .unwrap();
    let options = RunOptions::default()
        .halt("now,fail=5".parse().unwrap())
        .keep_order(true);
    let batch = pool.submit(&script, 0..1000_i64, options).unwrap();
    let records: Vec<_> = batch.collect();
    assert_each_seq_once(&records, 1000);
    let failed = records
        .iter()
        .filter(|r| r.status == JobStatus::Failed)
        .count();
    assert_eq!(failed, 5);
    // Retries: a job that fails on its first try runs again.
    let flaky = pool
        .compile("if attempt == 1 { throw \"flaky\" } attempt")
        .unwrap();
    let batch = pool
        .submit(&flaky, 0..10_i64, RunOptions::default().retries(1))
        .unwrap();
    let records: Vec<_> = batch.collect();
    assert_eq!(records.len(), 10);
    assert!(
        records
            .iter()
            .all(|r| r.status == JobStatus::Completed && r.attempts == 2)
    );
}

/// Threads of this process, from /proc.
fn threads_now() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn many_batches_share_one_driver_and_dropped_ones_stop_their_jobs() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool.compile("item + 1").unwrap();
    let before = threads_now();
    let batches: Vec<_> = (0..300_i64)
        .map(|i| {
            pool.submit(&script, i * 10..i * 10 + 10, RunOptions::default())
                .unwrap()
        })
        .collect();
    // 300 batches in flight, one driver thread (and the pool's own).
    assert!(
        threads_now() <= before + 1,
        "{} threads for 300 submissions",
        threads_now() - before
    );
    let records: usize = batches.into_iter().map(|b| b.count()).sum();
    assert_eq!(records, 3000);

    // 10,000 more, half read, half dropped unread.
    for round in 0..10_000_i64 {
        let batch = pool
            .submit(&script, [round], RunOptions::default())
            .unwrap();
        if round % 2 == 0 {
            assert_eq!(batch.count(), 1);
        }
    }
    // A batch let go of stops its jobs: endless work, dropped, frees the workers.
    let endless = pool.compile("loop {}").unwrap();
    drop(
        pool.submit(&endless, 0..1_000_000_i64, RunOptions::default())
            .unwrap(),
    );
    let after = pool
        .submit(&script, [1_i64], RunOptions::default())
        .unwrap();
    assert!(after.wait(Wait::For(Duration::from_secs(60))));
    assert_eq!(after.take_finished()[0].status, JobStatus::Completed);
}

#[test]
fn the_pools_status_sees_streaming_runs_and_batches_alike() {
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
    let batch = pool
        .submit(&script, 0..10_i64, RunOptions::default())
        .unwrap();
    assert!(batch.wait(Wait::Yes));
    assert_eq!(pool.status().counts.get(JobStatus::Completed), 50);
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

#[test]
fn the_host_api_keeps_a_running_batch_on_clear_and_forgets_received_ones() {
    let engine = rsparallel::host::Host::new().engine();
    let counts: rsparallel::rhai::Array = engine
        .eval(
            r#"
            let pool = new_runspace_pool(#{ threads: 1 });
            let done = new_runspace_job(pool, "item", [1, 2]);
            let got = receive_runspace_job(pool, #{ batch: done, wait: true });
            let after_receive = pool.jobs().len();
            let running = new_runspace_job(pool, "if item == 1 { loop {} } item", [0, 1]);
            while pool.status().completed < 3 { sleep(1); }
            clear_runspace_jobs(pool);
            let kept = pool.jobs().len();
            pool.stop(running);
            let records = receive_runspace_job(pool, #{ batch: running, wait: true });
            [got.len(), after_receive, kept, records.len(), pool.jobs().len()]
            "#,
        )
        .unwrap();
    let counts: Vec<i64> = counts.iter().map(|d| d.as_int().unwrap()).collect();
    // Received whole: forgotten; running at the clear: kept, with its finished record.
    assert_eq!(counts, [2, 0, 1, 2, 0]);
}

#[test]
fn a_value_of_dynamic_items_is_accepted_as_is() {
    let pool = RunspacePool::builder().threads(1).build().unwrap();
    let script = pool.compile("type_of(item)").unwrap();
    let items = vec![Dynamic::from("a"), Dynamic::from(1_i64), Dynamic::UNIT];
    let batch = pool
        .submit(&script, items, RunOptions::default().keep_order(true))
        .unwrap();
    let types: Vec<String> = batch.map(|r| r.output[0].to_string()).collect();
    assert_eq!(types, ["string", "i64", "()"]);
}

#[test]
fn a_pool_refuses_more_batches_in_flight_than_it_takes() {
    let pool = RunspacePool::builder()
        .threads(1)
        .max_batches(2)
        .build()
        .unwrap();
    let endless = pool.compile("loop {}").unwrap();
    let first = pool
        .submit(&endless, [1_i64], RunOptions::default())
        .unwrap();
    let _second = pool
        .submit(&endless, [2_i64], RunOptions::default())
        .unwrap();
    match pool.submit(&endless, [3_i64], RunOptions::default()) {
        Err(rsparallel::Error::Busy(2)) => {}
        other => panic!("{:?}", other.err()),
    }
    // Once one finishes, there is room again.
    first.cancel();
    assert!(first.wait(Wait::For(Duration::from_secs(30))));
    let started = Instant::now();
    let third = loop {
        match pool.submit(&endless, [3_i64], RunOptions::default()) {
            Ok(batch) => break batch,
            Err(rsparallel::Error::Busy(_)) => {
                assert!(started.elapsed() < Duration::from_secs(30));
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(other) => panic!("{other}"),
        }
    };
    third.cancel();
}

#[test]
fn a_batch_over_a_channel_runs_items_as_they_come_and_ends_when_the_senders_go() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool.compile("item * 2").unwrap();
    let (tx, rx) = rsparallel::crossbeam_channel::unbounded();
    let mut batch = pool
        .submit_receiver(&script, rx, RunOptions::default().keep_order(true))
        .unwrap();
    let sender = std::thread::spawn(move || {
        for i in 0..500_i64 {
            tx.send(Ok(Dynamic::from(i))).unwrap();
            if i % 100 == 0 {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    });
    // Records come while the channel is still open.
    let first = batch.next().unwrap();
    assert_eq!(first.output[0].as_int().unwrap(), 0);
    sender.join().unwrap();
    let rest: Vec<i64> = batch.map(|r| r.output[0].as_int().unwrap()).collect();
    assert_eq!(rest, (1..500).map(|i| i * 2).collect::<Vec<_>>());

    // Cancelled while its senders are still there: it ends all the same.
    let (tx, rx) = rsparallel::crossbeam_channel::unbounded();
    tx.send(Ok(Dynamic::from(1_i64))).unwrap();
    let batch = pool
        .submit_receiver(&script, rx, RunOptions::default())
        .unwrap();
    while batch.status().counts.total() == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    batch.cancel();
    assert!(batch.wait(Wait::For(Duration::from_secs(60))));
    drop(tx);
}
