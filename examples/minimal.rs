//! The smallest embedding: a pool, a script compiled once, a run over a few items.

use rsparallel::{JobStatus, RunspacePool};

fn main() -> Result<(), rsparallel::Error> {
    let pool = RunspacePool::builder().threads(2).build()?;
    let script = pool.compile(r#"`${item}: ${item.len()} letters`"#)?;
    for record in pool.run(&script, ["alpha", "beta", "gamma"])? {
        // Records arrive as jobs finish; a failed job is a record too, never an `Err`.
        match record.status {
            JobStatus::Completed => println!("{}", record.output[0]),
            _ => println!("item {} {}: {:?}", record.seq, record.status, record.error),
        }
    }
    Ok(())
}
