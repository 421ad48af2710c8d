//! Running scripts the application did not write, under per-job limits: a timeout, an
//! operation budget, a call depth and a memory cap. Each runaway ends as a record; the
//! workers, and the well-behaved scripts, go on.

use std::time::Duration;

use rsparallel::rhai::Dynamic;
use rsparallel::{JobStatus, RunspacePool};

// A per-job memory cap counts each thread's allocations, so the program installs the counting
// allocator; it forwards every allocation to the system allocator.
#[global_allocator]
static ALLOCATOR: rsparallel::CountingAllocator = rsparallel::CountingAllocator;

/// Scripts as users might submit them, each run over the same three items.
const USER_SCRIPTS: [(&str, &str); 5] = [
    ("well_behaved", "item * 2"),
    ("sleeper", "sleep(60_000); item"),
    ("spinner", "let n = 0; loop { n += 1; }"),
    ("recursive", "fn down(n) { down(n + 1) } down(item)"),
    ("memory_bomb", r#"let s = "x"; loop { s += s; }"#),
];

fn main() -> Result<(), rsparallel::Error> {
    let pool = RunspacePool::builder()
        .threads(2)
        .timeout(Duration::from_millis(300))
        // Small enough to end a busy loop long before its timeout, even in a debug build.
        .max_operations(50_000)
        .max_call_depth(64)
        .max_memory(64 * 1024 * 1024)
        .build()?;
    for (name, source) in USER_SCRIPTS {
        let script = pool.compile_named(name, source)?;
        let items = [1_i64, 2, 3].map(Dynamic::from);
        let mut run = pool.run(&script, items)?;
        let mut first_error = None;
        for record in run.by_ref() {
            if record.status != JobStatus::Completed && first_error.is_none() {
                first_error = record.error;
            }
        }
        let why = first_error
            .map(|e| format!(": {}", e.message))
            .unwrap_or_default();
        println!("{name:>12}  {}{why}", run.counts());
    }
    Ok(())
}
