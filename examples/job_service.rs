//! Job-level use, as a long-running service would: requests arrive, each becomes a batch
//! submitted to one shared pool; the service polls for finished records without blocking,
//! reports status, stops a batch that is taking too long, and clears what it has handed out.

use std::time::Duration;

use rsparallel::rhai::{Dynamic, Map};
use rsparallel::{BatchId, JobStatus, RunspacePool, Wait};

/// How long the service lets one request's batch run.
const REQUEST_BUDGET: Duration = Duration::from_millis(500);

/// A request: a name and the numbers to check.
struct Request {
    name: &'static str,
    numbers: Vec<i64>,
}

fn main() -> Result<(), rsparallel::Error> {
    let pool = RunspacePool::builder()
        .threads(2)
        .timeout(Duration::from_secs(5))
        .build()?;
    let is_prime = pool.compile_named(
        "is_prime.rhai",
        r#"
        if item == 0 { loop { sleep(10); } } // a pathological request: never answers
        let n = item;
        let prime = n > 1;
        for d in 2..n { if d * d > n { break; } if n % d == 0 { prime = false; break; } }
        #{ n: n, prime: prime }
        "#,
    )?;

    let requests = [
        Request {
            name: "small",
            numbers: (1..=50).collect(),
        },
        Request {
            name: "large",
            numbers: (1_000_000..1_000_100).collect(),
        },
        Request {
            name: "stuck",
            numbers: vec![0],
        },
    ];
    let mut open: Vec<(BatchId, &str)> = Vec::new();
    let mut stopped: Vec<BatchId> = Vec::new();
    let mut last_status = String::new();
    for request in &requests {
        let items = request.numbers.clone().into_iter().map(Dynamic::from);
        // Returns at once: the items are fed to the workers from the batch's own thread.
        let batch = pool.submit(&is_prime, items)?;
        println!("accepted {} as batch {batch}", request.name);
        open.push((batch, request.name));
    }

    // The service's loop: hand out what is finished, and look at the rest.
    while !open.is_empty() {
        let summaries = pool.batches();
        open.retain(|&(batch, name)| {
            let Some(summary) = summaries.iter().find(|s| s.id == batch) else {
                return false;
            };
            // A batch whose every job is done is handed out whole, sorted by seq.
            if summary.finished {
                let records = pool.receive(batch, Wait::No);
                let primes = records
                    .iter()
                    .filter(|r| r.status == JobStatus::Completed)
                    .filter(|r| r.output[0].clone().cast::<Map>()["prime"].as_bool() == Ok(true))
                    .count();
                println!(
                    "{name}: {} jobs ({}), {primes} primes",
                    records.len(),
                    summary.counts
                );
                return false;
            }
            // The service's own policy: a request past its time budget is stopped; its jobs
            // end as `cancelled` records, handed out like any others.
            if summary.elapsed > REQUEST_BUDGET && !stopped.contains(&batch) {
                println!("{name}: stopping after {:?}", summary.elapsed);
                pool.stop(batch);
                stopped.push(batch);
            }
            true
        });
        let status = pool.status();
        let line = format!(
            "pool: {} running, {} queued, {} finished so far",
            status.running,
            status.queued,
            status.counts.total()
        );
        if line != last_status {
            println!("{line}");
            last_status = line;
        }
        // A real service would do other work here before looking again.
        std::thread::sleep(Duration::from_millis(50));
    }
    pool.clear(false);
    assert!(pool.batches().is_empty());
    Ok(())
}
