//! Choosing the interpreter (tree walker or grain bytecode VM) and the optimization level a
//! pool compiles with, and timing a run; small enough to profile under callgrind.
//!
//! ```text
//! cargo run --release --example vm_choice -- grain simple cpu 10000
//! valgrind --tool=callgrind target/release/examples/vm_choice tree simple trivial 100000
//! ```

use std::time::Instant;

use rsparallel::rhai::OptimizationLevel;
use rsparallel::{JobStatus, RunspacePool, ScriptVm};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or(default.to_string());
    let vm: ScriptVm = arg(0, "grain").parse()?;
    let level = match arg(1, "simple").as_str() {
        "none" => OptimizationLevel::None,
        "simple" => OptimizationLevel::Simple,
        "full" => OptimizationLevel::Full,
        other => return Err(format!("unknown optimization level '{other}'").into()),
    };
    let source = match arg(2, "trivial").as_str() {
        "trivial" => "item * 2 + 1",
        "cpu" => "let s = 0; for i in 0..5000 { s += i; } s",
        other => return Err(format!("unknown workload '{other}' (trivial, cpu)").into()),
    };
    let items: i64 = arg(3, "100000").parse()?;

    let pool = RunspacePool::builder()
        .threads(2)
        .vm(vm)
        // The setup hook runs on the engine scripts are compiled with, too: the optimization
        // level set here is the one `compile` uses.
        .setup(move |engine| {
            engine.set_optimization_level(level);
        })
        .build()?;
    let script = pool.compile(source)?;
    let start = Instant::now();
    let mut completed = 0_u64;
    for record in pool.run(&script, 0..items)? {
        completed += u64::from(record.status == JobStatus::Completed);
    }
    let elapsed = start.elapsed();
    println!(
        "{vm} {level:?} `{source}`: {completed}/{items} completed in {elapsed:.2?} ({:.0} items/s)",
        items as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
