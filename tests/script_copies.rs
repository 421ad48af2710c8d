//! Each worker runs its own copy of a script, compiled again from its text with the worker's
//! own engine; where that engine cannot compile it, the worker runs the script as it was
//! compiled.

mod common;

use common::{assert_each_seq_once, pool};
use rsparallel::rhai::Dynamic;
use rsparallel::{JobStatus, RunspacePool};

#[test]
fn a_script_runs_on_a_pool_whose_engines_cannot_compile_it_again() {
    // Each worker compiles its own copy of a script with its own engine. A pool whose setup
    // hook adds an operator compiles a script that uses it; a pool without the operator cannot,
    // runs the script as it was compiled, and each job fails, naming the missing function.
    let with = RunspacePool::builder()
        .threads(2)
        .setup(|engine| {
            engine.register_custom_operator("plus", 160).unwrap();
            engine.register_fn("plus", |a: i64, b: i64| a + b);
        })
        .build()
        .unwrap();
    let script = with.compile("item plus 1").unwrap();
    let records: Vec<_> = with.run(&script, 0..50_i64).unwrap().collect();
    assert_each_seq_once(&records, 50);
    for r in &records {
        assert_eq!(r.output[0].as_int(), Ok(r.seq as i64 + 1), "{r:?}");
    }
    let without = pool(2, 0);
    let records: Vec<_> = without.run(&script, 0..50_i64).unwrap().collect();
    assert_each_seq_once(&records, 50);
    for r in &records {
        assert_eq!(r.status, JobStatus::Failed);
        assert!(r.error.as_ref().unwrap().message.contains("plus"), "{r:?}");
    }
}

#[test]
fn a_host_parser_that_panics_on_a_worker_costs_only_the_copy() {
    // A custom syntax whose parser refuses to run on a worker thread: the pool compiles the
    // script on the caller's thread, and each worker, unable to compile its copy, runs the
    // script as compiled. The worker lives on; every job completes.
    let pool = RunspacePool::builder()
        .threads(2)
        .setup(|engine| {
            engine.register_custom_syntax_with_state_raw(
                "twice",
                |symbols, _look_ahead, _state| {
                    let name = std::thread::current().name().map(str::to_string);
                    if name.is_some_and(|n| n.starts_with("rsparallel-worker")) {
                        panic!("this parser does not run on workers");
                    }
                    Ok((symbols.len() == 1).then(|| "$expr$".into()))
                },
                false,
                |context, inputs, _state| {
                    let value = context.eval_expression_tree(&inputs[0])?;
                    Ok(Dynamic::from(value.as_int().unwrap_or(0) * 2))
                },
            );
        })
        .build()
        .unwrap();
    let script = pool.compile("twice item + 1").unwrap();
    let records: Vec<_> = pool.run(&script, 0..100_i64).unwrap().collect();
    assert_each_seq_once(&records, 100);
    for r in &records {
        assert_eq!(r.status, JobStatus::Completed, "{r:?}");
        assert_eq!(r.output[0].as_int(), Ok(2 * (r.seq as i64 + 1)), "{r:?}");
    }
}

#[test]
fn at_full_optimization_job_functions_run_in_every_job_not_when_compiling() {
    // `Full` calls native functions on constant arguments while compiling: `emit(7)` and
    // `warn("w")` once ran then, outside any job (or, stubbed, were folded away), and a
    // worker compiling `sleep(1e300)` slept for ever.
    let pool = RunspacePool::builder()
        .threads(2)
        .timeout(std::time::Duration::from_millis(100))
        .setup(|engine| {
            engine.set_optimization_level(rsparallel::rhai::OptimizationLevel::Full);
        })
        .build()
        .unwrap();
    let script = pool
        .compile(r#"warn("w"); emit(7); sleep(0.001); item"#)
        .unwrap();
    let records: Vec<_> = pool.run(&script, 0..10_i64).unwrap().collect();
    assert_each_seq_once(&records, 10);
    for r in &records {
        assert_eq!(r.status, JobStatus::Completed, "{r:?}");
        let output: Vec<i64> = r.output.iter().map(|v| v.as_int().unwrap()).collect();
        assert_eq!(output, [7, r.seq as i64], "{r:?}");
        assert_eq!(r.streams.len(), 1, "{r:?}");
        assert_eq!(r.streams[0].text, "w");
    }
    let script = pool.compile("sleep(1e300); item").unwrap();
    let records: Vec<_> = pool.run(&script, 0..2_i64).unwrap().collect();
    for r in &records {
        assert_eq!(r.status, JobStatus::TimedOut, "{r:?}");
    }
}

#[test]
fn a_worker_resolves_calls_again_for_each_script_it_runs() {
    // A worker keeps the calls it has resolved from one job to the next, for one script at a
    // time: two scripts whose `f` differs, run in turn on one worker, each call their own.
    let pool = RunspacePool::builder().threads(1).build().unwrap();
    let plus = pool.compile("fn f(x) { x + 1 } f(item)").unwrap();
    let times = pool.compile("fn f(x) { x * 100 } f(item)").unwrap();
    let native = pool.compile("abs(item)").unwrap();
    let own = pool.compile("fn abs(x) { -1 } abs(item)").unwrap();
    for _ in 0..2 {
        for (script, expected) in [
            (&plus, [-4, 1, 4]),
            (&times, [-500, 0, 300]),
            (&native, [5, 0, 3]),
            (&own, [-1, -1, -1]),
        ] {
            let records: Vec<_> = pool.run(script, [-5_i64, 0, 3]).unwrap().collect();
            let outputs: Vec<i64> = records
                .iter()
                .map(|r| r.output[0].as_int().unwrap())
                .collect();
            assert_eq!(outputs, expected, "{records:?}");
        }
    }
}

#[test]
fn calls_resolved_before_a_native_panic_are_not_kept_past_it() {
    // `emit` is bound to its runspace: after a native panic the worker rebuilds its engine,
    // and its jobs must call the new engine's `emit`, not the one resolved before the panic.
    let pool = common::pool_with_a_panicking_native();
    let script = pool
        .compile("if item == 3 { boom() } emit(item * 10); item")
        .unwrap();
    let records: Vec<_> = pool.run(&script, 0..8_i64).unwrap().collect();
    assert_each_seq_once(&records, 8);
    for r in &records {
        if r.seq == 3 {
            assert_eq!(r.status, JobStatus::Failed, "{r:?}");
            continue;
        }
        let outputs: Vec<i64> = r.output.iter().map(|v| v.as_int().unwrap()).collect();
        assert_eq!(outputs, [r.seq as i64 * 10, r.seq as i64], "{r:?}");
    }
}
