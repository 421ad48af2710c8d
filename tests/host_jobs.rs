//! The host API's session, as a PowerShell job user reaches for it: the job list of every pool
//! (`get_runspace_jobs`, like `Get-Job`), waiting without receiving (`wait_runspace_job`), stopping
//! and removing one batch, and receiving one batch's records or its outputs alone.

use std::sync::{Arc, Mutex};

use rsparallel::host::{Host, WaitProgress};
use rsparallel::rhai::{Array, Dynamic, Engine, Map};

fn eval<T: Clone + Send + Sync + 'static>(engine: &Engine, script: &str) -> T {
    engine
        .eval::<T>(script)
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

#[test]
fn the_job_list_names_every_batch_of_every_pool_with_its_state_and_progress() {
    let engine = Host::new().engine();
    let jobs: Array = eval(
        &engine,
        r#"
        let a = new_runspace_pool(#{ threads: 1 });
        let b = new_runspace_pool(#{ threads: 1 });
        let small = new_runspace_job(a, "item * 2", [1, 2, 3], #{ name: "small" });
        let stuck = new_runspace_job(b, "loop {}", 0..4, #{ timeout: "60s" });
        let failing = new_runspace_job(a, "if item == 2 { throw `no` } item", 0..4);
        wait_runspace_job([small, failing]);
        stop_runspace_job(stuck);
        wait_runspace_job(stuck);
        get_runspace_jobs()
        "#,
    );
    let jobs: Vec<Map> = jobs.into_iter().map(|j| j.cast::<Map>()).collect();
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    let field = |job: &Map, key: &str| job[key].to_string();
    // Pools in the order they were made, batches in the order they were submitted.
    assert_eq!(field(&jobs[0], "name"), "small");
    assert_eq!(field(&jobs[0], "state"), "completed");
    assert_eq!(field(&jobs[0], "done"), "3");
    assert_eq!(field(&jobs[0], "total"), "3");
    assert_eq!(field(&jobs[0], "percent"), "100.0");
    assert_eq!(field(&jobs[0], "unreceived"), "3");
    assert_eq!(field(&jobs[1], "name"), "if item == 2 { throw `no` } item");
    assert_eq!(field(&jobs[1], "state"), "failed");
    assert_eq!(field(&jobs[1], "failures"), "1");
    assert_eq!(field(&jobs[2], "name"), "loop {}");
    assert_eq!(field(&jobs[2], "state"), "stopped");
    assert_ne!(field(&jobs[0], "pool"), field(&jobs[2], "pool"));
}

#[test]
fn a_wait_for_any_returns_the_first_batch_to_finish_and_takes_no_record() {
    let seen: Arc<Mutex<Vec<WaitProgress>>> = Arc::default();
    let log = seen.clone();
    let engine = Host::new()
        .on_wait(move |p| log.lock().unwrap().push(p.clone()))
        .engine();
    let summary: String = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 2 });
        let quick = new_runspace_job(pool, "item", [1]);
        let slow = new_runspace_job(pool, "sleep(60000); item", [2], #{ name: "slow" });
        let first = wait_runspace_job([slow, quick], #{ any: true });
        let timed = wait_runspace_job(slow, #{ timeout: "50ms" });
        let records = receive_runspace_job(quick);
        remove_runspace_job(slow);
        `${first.len()} ${first[0].id == quick.id} ${timed.len()} ${records.len()} ${get_runspace_jobs().len()}`
        "#,
    );
    // The quick one finished first; the slow one had not after 50 ms; the quick one's record
    // was still there to receive; removing the slow one left nothing in the list.
    assert_eq!(summary, "1 true 0 1 0");
    let seen = seen.lock().unwrap();
    assert!(seen.iter().any(|p| p.over), "{seen:?}");
    assert!(seen.iter().all(|p| p.total.is_some()), "{seen:?}");
}

#[test]
fn a_batch_is_received_alone_kept_or_as_its_outputs() {
    let engine = Host::new().engine();
    let summary: String = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 2 });
        let a = new_runspace_job(pool, "[item, item * 10]", [1, 2], #{ keep_order: true });
        let b = new_runspace_job(pool, "emit(item); emit(-item)", [5], #{ keep_order: true });
        wait_runspace_job([a, b]);
        let kept = receive_runspace_job(a, #{ keep: true });
        let outputs = receive_runspace_job(a, #{ outputs: true });
        let again = receive_runspace_job(a);
        let b_outputs = receive_runspace_job(b, #{ outputs: true });
        `${kept.len()} ${outputs} ${again.len()} ${b_outputs}`
        "#,
    );
    assert_eq!(summary, "2 [[1, 10], [2, 20]] 0 [5, -5]");
}

#[test]
fn a_pool_dropped_from_every_variable_leaves_the_job_list() {
    let engine = Host::new().engine();
    let counts: Array = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 1 });
        new_runspace_job(pool, "loop {}", [1]);
        let before = get_runspace_jobs().len();
        pool = ();
        [before, get_runspace_jobs().len()]
        "#,
    );
    let counts: Vec<i64> = counts.iter().map(|d| d.as_int().unwrap()).collect();
    assert_eq!(counts, [1, 0]);
}

#[test]
fn a_batch_of_another_pool_cannot_be_removed_through_this_one() {
    let engine = Host::new().engine();
    let err = engine
        .eval::<Dynamic>(
            r#"
            let a = new_runspace_pool(#{ threads: 1 });
            let b = new_runspace_pool(#{ threads: 1 });
            a.remove(new_runspace_job(b, "item", [1]))
            "#,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("belongs to another pool"), "{err}");
}

#[test]
fn an_input_that_does_not_complete_gives_back_the_records_it_received() {
    let host = Host::new();
    let engine = host.engine();
    let mut scope = rsparallel::rhai::Scope::new();
    engine
        .run_with_scope(
            &mut scope,
            r#"
            let pool = new_runspace_pool(#{ threads: 2 });
            let batch = new_runspace_job(pool, "item", 0..1000);
            wait_runspace_job(batch);
            "#,
        )
        .unwrap();
    // An input that receives every record, then fails before anything holds them.
    host.begin_input();
    let failed = engine.run_with_scope(
        &mut scope,
        "receive_runspace_job(pool).filter(|r| r.output[0] > 500).len(); throw `lost`",
    );
    assert!(failed.is_err());
    assert_eq!(host.end_input(false), 1000);
    // A completed input keeps what it took.
    host.begin_input();
    let count: i64 = engine
        .eval_with_scope(&mut scope, "receive_runspace_job(pool).len()")
        .unwrap();
    assert_eq!(host.end_input(true), 0);
    assert_eq!(count, 1000);
    let left: i64 = engine
        .eval_with_scope(&mut scope, "receive_runspace_job(pool).len()")
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn functions_the_session_defines_serve_job_scripts_submitted_after_them() {
    let host = Host::new();
    let engine = host.engine();
    host.define_functions("fn triple(x) { x * 3 }");
    host.define_functions("fn label(x) { `n` + x }");
    // A later definition of the same name and arity replaces the earlier one.
    host.define_functions("fn triple(x) { x * 30 }");
    let outputs: Array = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 2 });
        let batch = new_runspace_job(pool, "label(triple(item))", [1, 2], #{ keep_order: true });
        receive_runspace_job(batch, #{ wait: true, outputs: true })
        "#,
    );
    let outputs: Vec<String> = outputs.iter().map(|d| d.to_string()).collect();
    assert_eq!(outputs, ["n30", "n60"]);
}

#[test]
fn records_are_handed_to_a_function_as_they_finish() {
    let engine = Host::new().engine();
    let summary: String = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 2 });
        let batch = new_runspace_job(pool, "sleep(item); item", [1, 5, 10, 20, 40]);
        let seen = [];
        let handed = receive_runspace_job(batch, #{ each: |r| seen.push(r.output[0]) });
        let outputs = [];
        let other = new_runspace_job(pool, "[item, -item]", [3]);
        receive_runspace_job(pool, #{ batch: other, outputs: true, each: |o| outputs.push(o) });
        seen.sort();
        `${handed} ${seen} ${outputs} ${get_runspace_jobs().len()}`
        "#,
    );
    assert_eq!(summary, "5 [1, 5, 10, 20, 40] [[3, -3]] 0");
}
