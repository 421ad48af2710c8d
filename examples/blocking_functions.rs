//! A native function that blocks — here, a simulated slow lookup — honouring the job's
//! timeout and cancel through `JobSignal`, so a stuck call never holds a worker past its job.

use std::time::Duration;

use rsparallel::rhai::{Dynamic, EvalAltResult};
use rsparallel::{JobSignal, JobStatus, RunOptions, RunspacePool};

/// Pretends to ask a remote service, which takes `ms` milliseconds to answer. It waits in
/// small steps on the job's signal: when the job's timeout passes or it is cancelled, the
/// wait ends and the error it returns ends the job with the right status.
fn remote_price(sku: &str, ms: i64) -> Result<i64, Box<EvalAltResult>> {
    let signal = JobSignal::current().expect("called from a pool's job");
    if let Some(left) = signal.remaining() {
        println!("  {sku}: asking, {left:?} left before the job's timeout");
    }
    signal.sleep(Duration::from_millis(ms as u64))?;
    Ok(sku.len() as i64 * 100)
}

fn main() -> Result<(), rsparallel::Error> {
    let pool = RunspacePool::builder()
        .threads(2)
        .timeout(Duration::from_millis(300))
        .setup(|engine| {
            engine.register_fn("remote_price", remote_price);
        })
        .build()?;
    let script = pool.compile("remote_price(item.sku, item.ms)")?;
    let items = [("apple", 10), ("pear", 20), ("durian", 60_000)].map(|(sku, ms)| {
        let map: rsparallel::rhai::Map = [
            ("sku".into(), sku.into()),
            ("ms".into(), Dynamic::from(ms as i64)),
        ]
        .into_iter()
        .collect();
        Ok(Dynamic::from(map))
    });
    let options = RunOptions::default().keep_order(true);
    for record in pool.run_with(&script, items, options)? {
        match record.status {
            JobStatus::Completed => println!("{}: {} cents", record.seq, record.output[0]),
            status => println!("{}: {status}: {}", record.seq, record.error.unwrap()),
        }
    }
    Ok(())
}
