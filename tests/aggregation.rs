//! Aggregation with per-worker state (`RunOptions::begin`, `end`, `reduce`): each worker keeps
//! what `begin` declared across its jobs, `end` makes its partial result, `reduce` folds them.

mod common;

use rsparallel::rhai::{Dynamic, Map};
use rsparallel::{JobStatus, RunOptions, RunspacePool, Wait};

fn pool(threads: usize) -> RunspacePool {
    RunspacePool::builder().threads(threads).build().unwrap()
}

fn sum_options(pool: &RunspacePool) -> RunOptions {
    RunOptions::default()
        .begin(pool.compile("let total = 0; let jobs = 0;").unwrap())
        .end(pool.compile("#{ total: total, jobs: jobs }").unwrap())
        .reduce(
            pool.compile("#{ total: a.total + b.total, jobs: a.jobs + b.jobs }")
                .unwrap(),
        )
}

fn field(value: &Dynamic, key: &str) -> i64 {
    value.clone().cast::<Map>()[key].as_int().unwrap()
}

#[test]
fn a_run_reduces_every_workers_state_into_one_value() {
    let pool = pool(3);
    let script = pool.compile("total += item; jobs += 1;").unwrap();
    let mut run = pool
        .run_with(
            &script,
            (1..=20_000_i64).map(|i| Ok(i.into())),
            sum_options(&pool),
        )
        .unwrap();
    let records: Vec<_> = run.by_ref().collect();
    assert_eq!(records.len(), 20_000);
    assert!(
        records
            .iter()
            .all(|r| r.status == JobStatus::Completed && r.output.is_empty())
    );
    let values = run.aggregate().expect("an aggregate").expect("no failure");
    assert_eq!(values.len(), 1);
    assert_eq!(field(&values[0], "total"), 200_010_000);
    assert_eq!(field(&values[0], "jobs"), 20_000);
}

#[test]
fn without_reduce_each_worker_that_ran_jobs_gives_its_partial() {
    let pool = pool(2);
    let script = pool.compile("jobs += 1;").unwrap();
    let options = RunOptions::default()
        .begin(pool.compile("let jobs = 0;").unwrap())
        .end(pool.compile("jobs").unwrap());
    let mut run = pool
        .run_with(&script, (0..5_000_i64).map(|i| Ok(i.into())), options)
        .unwrap();
    assert_eq!(run.by_ref().count(), 5_000);
    let partials = run.aggregate().unwrap().unwrap();
    assert!(!partials.is_empty() && partials.len() <= 2, "{partials:?}");
    let sum: i64 = partials.iter().map(|p| p.as_int().unwrap()).sum();
    assert_eq!(sum, 5_000);
}

#[test]
fn over_no_items_the_result_is_what_begin_and_end_make() {
    let pool = pool(2);
    let script = pool.compile("total += item;").unwrap();
    let mut run = pool
        .run_with(&script, std::iter::empty(), sum_options(&pool))
        .unwrap();
    assert_eq!(run.by_ref().count(), 0);
    let values = run.aggregate().unwrap().unwrap();
    assert_eq!(field(&values[0], "total"), 0);
}

#[test]
fn without_begin_nothing_a_job_declares_reaches_the_next() {
    let pool = pool(1);
    // Each job declares `seen` if it does not exist: with state leaking, later jobs would
    // find it and count up.
    let script = pool
        .compile("let seen = if is_def_var(\"seen\") { seen + 1 } else { 0 }; seen")
        .unwrap();
    let outputs: Vec<i64> = pool
        .run(&script, 0..100_i64)
        .unwrap()
        .map(|r| r.output[0].as_int().unwrap())
        .collect();
    assert_eq!(outputs, vec![0; 100]);
    // With `begin`, only what it declared persists: still not a job's own `let`.
    let options = RunOptions::default().begin(pool.compile("let kept = 0;").unwrap());
    let script = pool
        .compile("kept += 1; let seen = if is_def_var(\"seen\") { 1 } else { 0 }; [kept, seen]")
        .unwrap();
    let outputs: Vec<String> = pool
        .run_with(&script, (0..3_i64).map(|i| Ok(i.into())), options)
        .unwrap()
        .map(|r| r.output[0].to_string())
        .collect();
    assert_eq!(outputs, vec!["[1, 0]", "[2, 0]", "[3, 0]"]);
}

#[test]
fn a_failing_begin_or_end_fails_the_aggregate_naming_the_script() {
    let pool = pool(2);
    let script = pool.compile("item").unwrap();
    let options = RunOptions::default()
        .begin(pool.compile("let n = 0; throw \"no state\";").unwrap())
        .end(pool.compile("n").unwrap());
    let mut run = pool
        .run_with(&script, (0..10_i64).map(|i| Ok(i.into())), options)
        .unwrap();
    assert_eq!(run.by_ref().count(), 10);
    let error = run.aggregate().unwrap().unwrap_err();
    assert!(
        error.message.starts_with("begin on worker ") && error.message.ends_with(": no state"),
        "{error}"
    );

    let options = RunOptions::default()
        .timeout(std::time::Duration::from_millis(100))
        .end(pool.compile("loop {}").unwrap());
    let mut run = pool
        .run_with(&script, (0..10_i64).map(|i| Ok(i.into())), options)
        .unwrap();
    assert_eq!(run.by_ref().count(), 10);
    let error = run.aggregate().unwrap().unwrap_err();
    assert_eq!(error.kind, rsparallel::JobErrorKind::TimedOut);
    assert!(
        error.message.starts_with("end on worker ") && error.message.contains(": timed out"),
        "{error}"
    );
}

#[test]
fn reduce_needs_end() {
    let pool = pool(1);
    let script = pool.compile("item").unwrap();
    let options = RunOptions::default().reduce(pool.compile("a + b").unwrap());
    let err = pool
        .run_with(&script, std::iter::empty(), options)
        .err()
        .unwrap();
    assert!(err.to_string().contains("reduce needs end"), "{err}");
}

#[test]
fn submitted_batches_aggregate_side_by_side_on_one_pool() {
    let pool = pool(2);
    let script = pool.compile("total += item; jobs += 1;").unwrap();
    let batches: Vec<_> = (1..=3_i64)
        .map(|k| {
            let items: Vec<i64> = (0..3_000).map(|i| i * k).collect();
            pool.submit(&script, items, sum_options(&pool)).unwrap()
        })
        .collect();
    for (k, batch) in (1..=3_i64).zip(&batches) {
        assert!(batch.wait(Wait::Yes));
        let values = batch.aggregate().unwrap().unwrap();
        assert_eq!(field(&values[0], "total"), k * 2_999 * 3_000 / 2);
        assert_eq!(field(&values[0], "jobs"), 3_000);
    }
}

#[test]
fn a_native_panic_in_a_job_keeps_the_workers_state() {
    let pool = common::pool_with_a_panicking_native();
    let script = pool
        .compile("total += item; jobs += 1; if item == 5 { boom() }")
        .unwrap();
    let mut run = pool
        .run_with(
            &script,
            (1..=10_i64).map(|i| Ok(i.into())),
            sum_options(&pool),
        )
        .unwrap();
    let failed = run
        .by_ref()
        .filter(|r| r.status == JobStatus::Failed)
        .count();
    assert_eq!(failed, 1);
    let values = run.aggregate().unwrap().unwrap();
    assert_eq!(field(&values[0], "total"), 55);
    assert_eq!(field(&values[0], "jobs"), 10);
}

#[test]
fn begin_keeps_every_variable_it_declares_beside_pool_and_batch_variables() {
    let pool = RunspacePool::builder()
        .threads(2)
        .variable("v", 1_i64)
        .variable("w", 2_i64)
        .build()
        .unwrap();
    let options = RunOptions::default()
        .variable("x", 10_i64)
        .begin(
            pool.compile("let a = v; let b = w; let c = x; let n = 0;")
                .unwrap(),
        )
        .end(pool.compile("[a, b, c, n]").unwrap())
        .reduce(pool.compile("[a[0], a[1], a[2], a[3] + b[3]]").unwrap());
    // Long enough that each worker takes several chunks: the state leaves the scope and comes
    // back between them.
    let script = pool.compile("n += v + w + x - 12;").unwrap();
    let mut run = pool
        .run_with(&script, (0..5_000_i64).map(|i| Ok(i.into())), options)
        .unwrap();
    assert!(run.by_ref().all(|r| r.status == JobStatus::Completed));
    let values = run.aggregate().unwrap().unwrap();
    assert_eq!(values[0].to_string(), "[1, 2, 10, 5000]");
}
