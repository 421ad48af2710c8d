//! The `async` feature: a submitted batch read as a stream, under tokio, with no thread
//! waiting per batch.
#![cfg(feature = "async")]

use std::future::poll_fn;
use std::pin::Pin;

use futures_core::Stream;
use rsparallel::{JobStatus, RunOptions, RunspacePool};

/// The next record of `batch`, awaited.
async fn next(batch: &mut rsparallel::Batch) -> Option<rsparallel::JobRecord> {
    poll_fn(|cx| Pin::new(&mut *batch).poll_next(cx)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_awaited_as_streams_side_by_side() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool.compile("sleep(item % 3); item * 2").unwrap();
    let mut tasks = Vec::new();
    for batch_number in 0..8_i64 {
        let mut batch = pool
            .submit(
                &script,
                batch_number * 100..batch_number * 100 + 100,
                RunOptions::default(),
            )
            .unwrap();
        tasks.push(tokio::spawn(async move {
            let mut sum = 0;
            let mut count = 0;
            while let Some(record) = next(&mut batch).await {
                assert_eq!(record.status, JobStatus::Completed);
                sum += record.output[0].as_int().unwrap();
                count += 1;
            }
            (count, sum)
        }));
    }
    for (batch_number, task) in tasks.into_iter().enumerate() {
        let (count, sum) = task.await.unwrap();
        let first = batch_number as i64 * 100;
        assert_eq!(count, 100);
        assert_eq!(sum, (first..first + 100).map(|i| i * 2).sum::<i64>());
    }
}
