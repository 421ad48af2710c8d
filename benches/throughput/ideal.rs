//! The ideal runner the pool is measured against: threads evaluating a pre-split share of the
//! items each, with no queue, no records and no output.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rsparallel::rhai::grain::{Compiler, Vm};
use rsparallel::rhai::packages::{Package, StandardPackage};
use rsparallel::rhai::{AST, Dynamic, Engine, INT, Scope};
use rsparallel::{BatchId, JobOutput, JobRecord, JobStatus, JobStreams};

/// An engine built the way a runspace builds one: raw engine, its own standard library, the
/// batteries, the limits, and a progress hook that looks at a deadline every 1024 operations.
pub(crate) fn engine() -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(StandardPackage::new().as_shared_module());
    engine.set_max_call_levels(rsparallel::DEFAULT_MAX_CALL_DEPTH);
    engine.set_max_expr_depths(
        rsparallel::DEFAULT_MAX_EXPR_DEPTH,
        rsparallel::DEFAULT_MAX_EXPR_DEPTH,
    );
    rsparallel::batteries::register(&mut engine);
    let epoch = Instant::now();
    let deadline = Duration::from_secs(3600);
    engine.on_progress(move |ops| {
        if ops & 1023 == 0 && epoch.elapsed() >= deadline {
            return Some("timed_out".into());
        }
        None
    });
    engine
}

/// The ideal: `threads` threads each evaluate their share of `0..items`, nothing else.
pub(crate) fn ideal(ast: &Arc<AST>, threads: usize, items: i64) -> Duration {
    split_evaluation(ast, threads, items, Ideal::default())
}

/// What the ideal's threads do besides evaluating.
#[derive(Clone, Copy, Default)]
pub(crate) struct Ideal {
    /// Each thread compiles its own copy of the script from its source, and evaluates that.
    pub(crate) own_copy: Option<&'static str>,
    /// Each thread also makes every item's record and drops it: a system-clock read
    /// (`Instant::now`) and its wall-clock time, a copy of the item, the output. A worker reads
    /// the CPU's counter instead where it can (`job_timer`), so this row tells what records
    /// timed by the system clock would cost.
    pub(crate) records: bool,
    /// Each thread evaluates on a grain `Vm`, kept for all its items, as a worker does.
    pub(crate) grain: bool,
}

pub(crate) fn split_evaluation(ast: &Arc<AST>, threads: usize, items: i64, how: Ideal) -> Duration {
    let per = items / threads as i64;
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads as i64 {
            let ast = ast.clone();
            let end = if t == threads as i64 - 1 {
                items
            } else {
                (t + 1) * per
            };
            s.spawn(move || {
                let engine = engine();
                let ast = match how.own_copy {
                    Some(source) => Arc::new(engine.compile(source).expect("compiles")),
                    None => ast,
                };
                let program = how
                    .grain
                    .then(|| Compiler::new().compile(&ast).into_shared());
                let mut vm = Vm::new(&engine);
                let epoch = (Instant::now(), SystemTime::now());
                let mut start = epoch.1;
                let mut scope = Scope::new();
                // In a runspace's order: `item`, read by every item, last, where a lookup
                // by name starts.
                scope.push_constant("attempt", 1 as INT);
                scope.push_constant("seq", 0 as INT);
                scope.push_dynamic("item", Dynamic::UNIT);
                let base = scope.len();
                for item in t * per..end {
                    scope.rewind(base);
                    *scope.get_mut("item").expect("item is in the scope") = Dynamic::from(item);
                    if let Some(seq) = scope.get_value_mut::<INT>("seq") {
                        *seq = item;
                    }
                    let value = match &program {
                        Some(program) => vm.eval_with_scope(&mut scope, program),
                        None => engine.eval_ast_with_scope::<Dynamic>(&mut scope, &ast),
                    };
                    let value = value.expect("the ideal's script does not fail");
                    if !how.records {
                        drop(black_box(value));
                        continue;
                    }
                    let end = epoch.1 + Instant::now().saturating_duration_since(epoch.0);
                    let record = JobRecord {
                        seq: item as u64,
                        batch: BatchId::default(),
                        item: Dynamic::from(item),
                        status: JobStatus::Completed,
                        output: JobOutput::from_iter([value]),
                        error: None,
                        worker: Some(t as usize),
                        start: Some(start),
                        end: Some(end),
                        streams: JobStreams::new(),
                        attempts: 1,
                    };
                    start = end;
                    drop(black_box(record));
                }
            });
        }
    });
    start.elapsed()
}
