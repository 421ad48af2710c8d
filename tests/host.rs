//! The host API from Rust: an engine with the host functions, evaluating host scripts.

use std::sync::{Arc, Mutex};

use rsparallel::capabilities::{Capability, Permissions};
use rsparallel::host::Host;
use rsparallel::rhai::{Array, Dynamic, Engine, EvalAltResult, Map, Scope};

fn eval<T: Clone + Send + Sync + 'static>(engine: &Engine, script: &str) -> T {
    engine
        .eval::<T>(script)
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

fn eval_err(engine: &Engine, script: &str) -> Box<EvalAltResult> {
    match engine.eval::<Dynamic>(script) {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e,
    }
}

#[test]
fn a_range_of_items_yields_one_record_each_with_the_jsonl_fields() {
    let engine = Host::new().engine();
    let records: Array = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 2, variables: #{ base: 10 } });
        let batch = new_runspace_job(pool, "item * base", range(0, 10000));
        receive_runspace_job(pool, #{ wait: true })
        "#,
    );
    assert_eq!(records.len(), 10_000);
    for (i, record) in records.iter().enumerate() {
        let map = record.read_lock::<Map>().unwrap();
        assert_eq!(map["seq"].as_int().unwrap(), i as i64);
        assert_eq!(map["status"].clone().into_string().unwrap(), "completed");
        let output = map["output"].read_lock::<Array>().unwrap();
        assert_eq!(output[0].as_int().unwrap(), i as i64 * 10);
        for field in [
            "item",
            "error",
            "worker",
            "start",
            "end",
            "duration_ms",
            "batch",
        ] {
            assert!(map.contains_key(field), "no {field} in {map:?}");
        }
        assert!(map["error"].is_unit());
    }
}

#[test]
fn two_batches_with_their_own_timeouts_are_received_separately() {
    let engine = Host::new().engine();
    let summary: String = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 2, timeout: "10s" });
        let quick = new_runspace_job(pool, "if item == 2 { loop {} } item", 0..=4, #{ timeout: 50 });
        let slow = new_runspace_job(pool, "item + 100", [1, 2]);
        let a = receive_runspace_job(pool, #{ wait: true, batch: quick });
        let b = pool.receive_runspace_job(#{ wait: true, batch: slow.id });
        let statuses = a.map(|r| r.status);
        `${statuses} ${b.map(|r| r.output[0])} ${a[2].error.message}`
        "#,
    );
    assert!(
        summary.starts_with(
            r#"["completed", "completed", "timed_out", "completed", "completed"] [101, 102] "#
        ),
        "{summary}"
    );
}

#[test]
fn keep_leaves_records_for_the_next_receive_and_clear_drops_them() {
    let engine = Host::new().engine();
    let counts: Array = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 1 });
        new_runspace_job(pool, "item", [1, 2, 3]);
        let kept = receive_runspace_job(pool, #{ wait: true, keep: true });
        let unreceived = pool.status().unreceived;
        let again = receive_runspace_job(pool, #{ keep: true });
        clear_runspace_jobs(pool);
        let after = receive_runspace_job(pool);
        [kept.len(), unreceived, again.len(), after.len(), pool.jobs().len()]
        "#,
    );
    let counts: Vec<i64> = counts.iter().map(|d| d.as_int().unwrap()).collect();
    assert_eq!(counts, [3, 3, 3, 0, 0]);
}

#[test]
fn cancel_stops_running_jobs_and_stop_cancels_one_batch() {
    let engine = Host::new().engine();
    let statuses: String = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 1 });
        let stuck = new_runspace_job(pool, "loop {}", [1]);
        // Stopped once running: a batch stopped before it read an item has no record of it.
        while pool.status().running == 0 { sleep(1); }
        let stopped = pool.stop(stuck);
        let records = receive_runspace_job(pool, #{ wait: true });
        new_runspace_job(pool, "loop {}", 0..5);
        clear_runspace_jobs(pool, #{ cancel: true });
        let s = pool.status();
        `${stopped} ${records[0].status} ${s.queued + s.running + s.unreceived} ${pool.stop(99)}`
        "#,
    );
    assert_eq!(statuses, "true cancelled 0 false");
}

#[test]
fn scripts_from_files_and_function_libraries_run() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib.rhai");
    std::fs::write(&lib, "fn triple(x) { x * 3 }").unwrap();
    let script = dir.path().join("job.rhai");
    std::fs::write(&script, "triple(item)").unwrap();
    // Read as the host script's own `read_file` would: through its read grant.
    let refused = Host::new().engine();
    for source in [
        format!(
            "new_runspace_pool(#{{ functions: {:?} }})",
            lib.display().to_string()
        ),
        format!(
            "new_runspace_job(new_runspace_pool(), #{{ file: {:?} }}, [1])",
            script.display().to_string()
        ),
    ] {
        let message = refused.eval::<Dynamic>(&source).unwrap_err().to_string();
        assert!(message.contains("read access to"), "{message}");
        assert!(
            message.contains("is not granted (--allow-read="),
            "{message}"
        );
    }
    let granted = Permissions::none().allow(Capability::Read, Some(dir.path().to_str().unwrap()));
    let engine = Host::new().permissions(granted).engine();
    let mut scope = Scope::new();
    scope.push("lib", lib.display().to_string());
    scope.push("job", script.display().to_string());
    let outputs: Array = engine
        .eval_with_scope(
            &mut scope,
            r#"
            let pool = new_runspace_pool(#{ functions: [lib] });
            let batch = new_runspace_job(pool, #{ file: job }, [1, 2]);
            if batch.script != job { throw "the batch does not name its script file"; }
            receive_runspace_job(pool, #{ wait: true }).map(|r| r.output[0])
            "#,
        )
        .unwrap();
    let outputs: Vec<i64> = outputs.iter().map(|d| d.as_int().unwrap()).collect();
    assert_eq!(outputs, [3, 6]);
}

#[test]
fn bad_options_scripts_and_items_throw_clear_errors() {
    let engine = Host::new().engine();
    let cases = [
        (
            "new_runspace_pool(#{ threads: \"four\" })",
            "option 'threads' must be an integer",
        ),
        (
            "new_runspace_pool(#{ timeout: \"soon\" })",
            "\"soon\" is not a duration",
        ),
        (
            "new_runspace_pool(#{ colour: 1 })",
            "unknown option 'colour'",
        ),
        (
            "let p = new_runspace_pool(); new_runspace_job(p, \"item +\", [1])",
            "new_runspace_job: script:1:",
        ),
        (
            "let p = new_runspace_pool(); new_runspace_job(p, \"item\", \"abc\")",
            "items must be an array or a range",
        ),
        (
            "let p = new_runspace_pool(); p.close(); p.status()",
            "the pool is closed",
        ),
    ];
    for (script, expected) in cases {
        let err = eval_err(&engine, script).to_string();
        assert!(err.contains(expected), "{script}: {err}");
    }
}

#[test]
fn job_output_reaches_the_stream_sink() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let engine = Host::new()
        .on_stream(move |event| sink.lock().unwrap().push(event.line.text.clone()))
        .engine();
    let _: Array = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 2 });
        new_runspace_job(pool, "print(`hello ${item}`)", [1, 2]);
        receive_runspace_job(pool, #{ wait: true })
        "#,
    );
    let mut lines = lines.lock().unwrap().clone();
    lines.sort();
    assert_eq!(lines, ["hello 1", "hello 2"]);
}

#[test]
fn an_interrupt_ends_a_wait_and_loses_no_record() {
    let host = Host::new();
    // The stuck job interrupts the host as it starts, while the host script waits for it.
    let interrupt = host.interrupt();
    let host = host.on_stream(move |event| {
        if event.line.text == "stuck" {
            interrupt.interrupt();
        }
    });
    let engine = host.engine();
    let mut scope = Scope::new();
    let err = engine
        .run_with_scope(
            &mut scope,
            r#"
            let pool = new_runspace_pool(#{ threads: 1 });
            new_runspace_job(pool, "item", [1, 2]);
            let stuck = new_runspace_job(pool, "print(`stuck`); loop {}", [3]);
            receive_runspace_job(pool, #{ wait: true });
            throw "the wait was not interrupted";
            "#,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("interrupted")
            || matches!(*err, EvalAltResult::ErrorTerminated(..)),
        "{err}"
    );
    assert!(host.interrupt().clear());
    let statuses: Array = engine
        .eval_with_scope(
            &mut scope,
            r#"
            pool.stop(stuck);
            receive_runspace_job(pool, #{ wait: true }).map(|r| r.status)
            "#,
        )
        .unwrap();
    let statuses: Vec<String> = statuses
        .into_iter()
        .map(|d| d.into_string().unwrap())
        .collect();
    assert_eq!(statuses, ["completed", "completed", "cancelled"]);
}

#[test]
fn an_interrupt_ends_a_runaway_host_script() {
    let host = Host::new();
    let engine = host.engine();
    host.interrupt().interrupt();
    let err = engine.run("loop {}").unwrap_err();
    assert!(matches!(*err, EvalAltResult::ErrorTerminated(..)), "{err}");
}

#[test]
fn a_submitted_batch_takes_the_run_options_of_the_command_line() {
    let engine = Host::new().engine();
    let summary: String = eval(
        &engine,
        r#"
        let pool = new_runspace_pool(#{ threads: 2 });
        let halted = new_runspace_job(pool, "if item % 3 == 0 { throw `x` } item", 0..1000,
            #{ halt: "now,fail=5", keep_order: true });
        let flaky = new_runspace_job(pool, "if attempt == 1 { throw `flaky` } attempt", 0..10,
            #{ retries: 1, retry_on: ["failed"] });
        let a = receive_runspace_job(pool, #{ batch: halted, wait: true });
        let b = receive_runspace_job(pool, #{ batch: flaky, wait: true });
        let third = new_runspace_job(pool, "item", 0..10, #{ shard: "1/3" });
        let c = receive_runspace_job(pool, #{ batch: third, wait: true }).map(|r| r.seq);
        c.sort();
        let failed = a.filter(|r| r.status == "failed").len();
        let seqs_in_order = true;
        for i in 0..a.len() { if a[i].seq != i { seqs_in_order = false; } }
        `${a.len()} ${failed} ${seqs_in_order} ${b.len()} ${b.all(|r| r.attempts == 2)} ${c}`
        "#,
    );
    assert_eq!(summary, "1000 5 true 10 true [1, 4, 7]");
    let err = engine
        .eval::<Dynamic>(
            r#"new_runspace_job(new_runspace_pool(), "item", [1], #{ retry_on: ["cancelled"] })"#,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("'cancelled' cannot be retried"), "{err}");
    let err = engine
        .eval::<Dynamic>(r#"new_runspace_job(new_runspace_pool(), "item", [1], #{ shard: "3/3" })"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid shard '3/3'"), "{err}");
}
