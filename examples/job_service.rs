//! Job-level use, as a long-running service would: requests arrive, each becomes a batch
//! submitted to one shared pool and kept by the service as an owned handle; the service polls
//! for finished batches without blocking, reports status, and stops a batch that is taking
//! too long. A handle handed out (or dropped) leaves nothing behind in the pool.

use std::time::Duration;

use rsparallel::rhai::{Dynamic, Map};
use rsparallel::{Batch, JobStatus, RunOptions, RunspacePool, Wait};

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
    let mut open: Vec<(Batch, &str, bool)> = Vec::new();
    let mut last_status = String::new();
    for request in &requests {
        let items = request.numbers.clone().into_iter().map(Dynamic::from);
        // Returns at once: the pool's driver feeds the items to the workers as they have room.
        let options = RunOptions::default().keep_order(true);
        let batch = pool.submit(&is_prime, items, options)?;
        println!("accepted {} as batch {}", request.name, batch.id());
        open.push((batch, request.name, false));
    }

    // The service's loop: hand out what is finished, and look at the rest.
    while !open.is_empty() {
        open.retain_mut(|(batch, name, stopped)| {
            let summary = batch.status();
            // A batch whose every job is done is handed out whole, in input order.
            if batch.wait(Wait::No) {
                let records = batch.take_finished();
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
            if summary.elapsed > REQUEST_BUDGET && !*stopped {
                println!("{name}: stopping after {:?}", summary.elapsed);
                batch.cancel();
                *stopped = true;
            }
            true
        });
        let status = pool.status();
        let line = format!(
            "pool: {} running, {} chunks queued, {} finished so far",
            status.running,
            status.queued_chunks,
            status.counts.total()
        );
        if line != last_status {
            println!("{line}");
            last_status = line;
        }
        // A real service would do other work here before looking again.
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
