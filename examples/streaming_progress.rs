//! Consuming records as they stream out of a run, with a live progress count, a summary per
//! status, and the jobs' `print` lines forwarded as they are written.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rsparallel::{JobStatus, RunspacePool};

const ITEMS: i64 = 20_000;

fn main() -> Result<(), rsparallel::Error> {
    let printed = Arc::new(AtomicU64::new(0));
    let counter = printed.clone();
    let pool = RunspacePool::builder()
        .threads(2)
        // Called from the worker's thread while the job runs, before its record exists.
        .on_stream(move |event| {
            counter.fetch_add(1, Ordering::Relaxed);
            eprintln!("  job {} says: {}", event.seq, event.line.text);
        })
        .build()?;
    // Every 5,000th item prints; every 7,777th fails.
    let script = pool.compile(
        r#"
        if item % 5_000 == 0 { print(`reached ${item}`); }
        if item % 7_777 == 0 { throw `unlucky ${item}`; }
        item * item
        "#,
    )?;
    let mut run = pool.run(&script, 1..=ITEMS)?;
    let mut sum_of_squares: i64 = 0;
    let mut done = 0;
    while let Some(record) = run.next() {
        done += 1;
        if record.status == JobStatus::Completed {
            sum_of_squares += record.output[0].as_int().expect("an integer");
        }
        if done % 5_000 == 0 {
            // Counts so far: the run keeps them as records are yielded.
            println!("{done}/{ITEMS} done ({})", run.counts());
        }
    }
    println!("finished: {}", run.counts());
    println!("sum of completed squares: {sum_of_squares}");
    println!("lines printed by jobs: {}", printed.load(Ordering::Relaxed));
    Ok(())
}
