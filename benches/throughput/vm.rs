//! The `vm` and `opt` cases: the tree walker against the grain bytecode VM, and Rhai's
//! optimization levels, each inside the pool (`RunspacePool::run`, records consumed).

use rsparallel::rhai::OptimizationLevel;
use rsparallel::{RunspacePool, ScriptVm};

use super::{CPU, Options, TRIVIAL, alternate, pooled, row, scaled};

/// The two workloads: the one-line script, and the loop of ~20,000 operations.
fn workloads(o: &Options) -> [(&'static str, &'static str, i64); 2] {
    [
        ("trivial", TRIVIAL, scaled(1_000_000, o.scale)),
        ("cpu-bound", CPU, scaled(10_000, o.scale)),
    ]
}

/// A 2-thread pool on `vm`, compiling scripts at `level` (the setup hook also runs on the
/// engine the pool compiles with).
fn pool(vm: ScriptVm, level: OptimizationLevel) -> RunspacePool {
    RunspacePool::builder()
        .threads(2)
        .vm(vm)
        .setup(move |engine| {
            engine.set_optimization_level(level);
        })
        .build()
        .expect("the pool builds")
}

/// Tree walker against grain, at the default optimization level.
pub(crate) fn vm(o: &Options) {
    let (tree, grain) = (
        pool(ScriptVm::TreeWalker, OptimizationLevel::Simple),
        pool(ScriptVm::Grain, OptimizationLevel::Simple),
    );
    for (label, source, items) in workloads(o) {
        let r = alternate(
            o.reps,
            items,
            &mut [&mut || pooled(&tree, source, items).0, &mut || {
                pooled(&grain, source, items).0
            }],
        );
        println!(
            "\n== vm, {label}: `{source}`, {items} items, 2 threads, median of {}",
            o.reps
        );
        row("tree walker", r[0], None);
        row("grain", r[1], Some(("tree walker", r[0])));
    }
}

/// Optimization levels None, Simple (the default) and Full, on both VMs.
pub(crate) fn opt(o: &Options) {
    let levels = [
        ("None", OptimizationLevel::None),
        ("Simple", OptimizationLevel::Simple),
        ("Full", OptimizationLevel::Full),
    ];
    for vm in [ScriptVm::TreeWalker, ScriptVm::Grain] {
        let pools = levels.map(|(_, level)| pool(vm, level));
        for (label, source, items) in workloads(o) {
            let [none, simple, full] = &pools;
            let r = alternate(
                o.reps,
                items,
                &mut [
                    &mut || pooled(none, source, items).0,
                    &mut || pooled(simple, source, items).0,
                    &mut || pooled(full, source, items).0,
                ],
            );
            println!(
                "\n== optimization levels, {vm} vm, {label}, {items} items, 2 threads, median of {}",
                o.reps
            );
            row("Simple (the default)", r[1], None);
            row("None", r[0], Some(("Simple", r[1])));
            row("Full", r[2], Some(("Simple", r[1])));
        }
    }
}
