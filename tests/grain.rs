//! Pools that run job scripts on Rhai's grain bytecode VM: the same outcomes as the tree
//! walker, with each worker's `Vm` reused across jobs.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    assert_a_throw_fails_only_its_job, assert_each_seq_once, assert_no_state_leaks, jsonl_records,
    records_of_a_cancelled_run, rsparallel, run_range,
};
use rsparallel::rhai::Dynamic;
use rsparallel::{JobRecord, JobStatus, RunOptions, RunspacePool, RunspacePoolBuilder, ScriptVm};

fn grain(threads: usize) -> RunspacePoolBuilder {
    RunspacePool::builder().threads(threads).vm(ScriptVm::Grain)
}

/// The records of `source` over `0..n`, in input order.
fn in_order(pool: &RunspacePool, source: &str, n: i64) -> Vec<JobRecord> {
    let script = pool.compile(source).expect("script compiles");
    let items = (0..n).map(|i| Ok(Dynamic::from(i)));
    let options = RunOptions::default().keep_order(true);
    pool.run_with(&script, items, options).unwrap().collect()
}

/// What a record says, as text: status, outputs, error with its position.
fn outcome(r: &JobRecord) -> String {
    let output: Vec<String> = r.output.iter().map(|v| format!("{v:?}")).collect();
    format!("{:?} {output:?} {:?}", r.status, r.error)
}

#[test]
fn scripts_give_the_same_records_as_on_the_tree_walker() {
    let scripts = [
        "item * 2 + 1",
        "let s = 0; for i in 0..500 { s += i; } s + item",
        "switch item % 3 { 0 => `zero ${item}`, 1 => item.to_string().len(), _ => () }",
        "fn double(x) { x * 2 } [1, 2, item].map(double)",
        "let a = [3, item, 1]; a.sort(|x, y| y - x); a",
        "[1, 2, 3, 4].filter(|x| x > item % 4)",
        "let k = item; let f = |x| x + k; k += 1; f.call(1)",
        "fn get() { this.x * seq } let o = #{x: item}; o.get()",
        "emit(item); emit(`e${item}`); let m = #{a: item}; m.a += 1; m",
        "if item % 4 == 1 {\n  throw `odd ${item}`;\n}\nitem",
        "let a = [1];\nlet b = a[item];\nb",
        "fn f(x) {\n  x / (x % 2)\n}\nf(item)",
        "fn lib_call() { triple(item) } triple(seq)",
        "[1, 2, item].map(triple)",
        "[item].map(|x| triple(x) + item)",
        "fn g(x) { x + 100 } [item].map(apply_g)",
        "is_def_fn(\"triple\", 1) && is_def_fn(\"apply_g\", 1)",
        "fn k() { global::K } let v = if item > 0 { k() } else { 0 }; const K = item; v",
        "let v = if item > 0 { global::K } else { 0 }; const K = triple(item); v",
    ];
    let build = |vm| {
        RunspacePool::builder()
            .threads(2)
            .vm(vm)
            .functions_source("lib.rhai", "fn triple(x) { x * 3 }\nfn apply_g(x) { g(x) }")
            .build()
            .unwrap()
    };
    let (tree, on_grain) = (build(ScriptVm::TreeWalker), build(ScriptVm::Grain));
    for source in scripts {
        let expected: Vec<String> = in_order(&tree, source, 40).iter().map(outcome).collect();
        let got: Vec<String> = in_order(&on_grain, source, 40)
            .iter()
            .map(outcome)
            .collect();
        assert_eq!(got, expected, "{source}");
    }
    // A script compiled by another pool carries that pool's library, which the engines of a
    // pool without one do not have.
    let foreign = tree.compile("[1, 2].map(triple)").unwrap();
    let bare = grain(1).build().unwrap();
    let records: Vec<_> = bare.run(&foreign, 0..3_i64).unwrap().collect();
    for r in records {
        assert_eq!(r.status, JobStatus::Completed, "{r:?}");
    }
}

#[test]
fn a_throw_fails_only_its_job_with_message_and_position() {
    assert_a_throw_fails_only_its_job(&grain(2).build().unwrap());
}

#[test]
fn a_runaway_loop_times_out_and_the_worker_takes_the_next_item() {
    let pool = grain(1).timeout(Duration::from_millis(50)).build().unwrap();
    let records = in_order(&pool, "if item == 0 { loop {} } item", 3);
    assert_eq!(records[0].status, JobStatus::TimedOut);
    assert!(records[0].duration() >= Duration::from_millis(50));
    let error = records[0].error.as_ref().unwrap();
    assert_eq!(error.message, "timed out after 50ms");
    // The VM stops on the loop's jump back, which has no position; the record names the loop.
    assert_eq!((error.line, error.column), (Some(1), Some(21)));
    for next in &records[1..] {
        assert_eq!(next.status, JobStatus::Completed, "{next:?}");
        assert_eq!(next.worker, records[0].worker);
    }
}

#[test]
fn a_sleeping_job_times_out_on_time() {
    let pool = grain(2).timeout(Duration::from_millis(50)).build().unwrap();
    let records = run_range(&pool, "sleep(10_000); 1", 2);
    assert_eq!(records.len(), 2);
    for r in records {
        assert_eq!(r.status, JobStatus::TimedOut);
        assert!(r.duration() < Duration::from_secs(2), "{:?}", r.duration());
    }
}

#[test]
fn a_cancelled_run_records_every_item_and_the_pool_goes_on() {
    let pool = grain(2).build().unwrap();
    records_of_a_cancelled_run(&pool);
    let records = run_range(&pool, "item", 10);
    assert_eq!(records.len(), 10);
    assert!(records.iter().all(|r| r.status == JobStatus::Completed));
}

#[test]
fn the_operation_budget_counts_each_job_on_its_own() {
    // A `Vm` counts operations across the jobs it runs; the budget must not.
    let pool = grain(1)
        .max_operations(10_000)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let records = run_range(&pool, "let s = 0; for i in 0..100 { s += i; } s", 200);
    assert_eq!(records.len(), 200);
    assert!(records.iter().all(|r| r.status == JobStatus::Completed));
    let records = in_order(&pool, "if item == 0 { loop {} } item", 2);
    assert_eq!(records[0].status, JobStatus::Failed);
    let message = &records[0].error.as_ref().unwrap().message;
    assert_eq!(message, "exceeded the budget of 10000 operations (max-ops)");
    assert_eq!(records[1].status, JobStatus::Completed);
}

#[test]
fn unbounded_recursion_fails_at_the_call_depth_limit() {
    let pool = grain(1).max_call_depth(50).build().unwrap();
    let records = in_order(
        &pool,
        "fn f(x) { f(x + 1) } if item == 0 { f(0) } else { item }",
        2,
    );
    assert_eq!(records[0].status, JobStatus::Failed);
    let message = &records[0].error.as_ref().unwrap().message;
    assert!(
        message.starts_with("exceeded the call depth limit of 50"),
        "{message}"
    );
    assert_eq!(records[1].status, JobStatus::Completed);
}

/// After a native panic the worker rebuilds its runspace; its next jobs must run on the new
/// engine, whose `emit` and `print` reach their records.
fn a_native_panic_fails_its_job_and_the_worker_goes_on(vm: ScriptVm) {
    let pool = RunspacePool::builder()
        .threads(1)
        .vm(vm)
        .setup(|engine| {
            engine.register_fn("halve", |x: i64| {
                assert!(x != 7, "seven is odd");
                x / 2
            });
        })
        .build()
        .unwrap();
    let records = in_order(&pool, "print(`p${item}`); emit(item); halve(item)", 20);
    assert_each_seq_once(&records, 20);
    for r in &records {
        if r.seq == 7 {
            assert_eq!(r.status, JobStatus::Failed);
            let message = &r.error.as_ref().unwrap().message;
            assert!(message.contains("seven is odd"), "{message}");
            continue;
        }
        assert_eq!(r.status, JobStatus::Completed, "{r:?}");
        assert_eq!(r.output.len(), 2, "{r:?}");
        assert_eq!(r.streams[0].text, format!("p{}", r.seq));
    }
}

#[test]
fn a_native_panic_rebuilds_the_vm_with_the_runspace() {
    a_native_panic_fails_its_job_and_the_worker_goes_on(ScriptVm::Grain);
}

#[test]
fn a_native_panic_rebuilds_the_tree_walker_with_the_runspace() {
    a_native_panic_fails_its_job_and_the_worker_goes_on(ScriptVm::TreeWalker);
}

#[test]
fn no_state_leaks_between_jobs() {
    let pool = grain(2).variable("base", 10_i64).build().unwrap();
    assert_no_state_leaks(&pool);
}

#[test]
fn constants_functions_read_do_not_outlive_their_job() {
    let pool = grain(1).build().unwrap();
    let records = in_order(&pool, "const K = item * 10; fn f() { global::K } f()", 3);
    let outputs: Vec<i64> = records
        .iter()
        .map(|r| r.output[0].as_int().unwrap())
        .collect();
    assert_eq!(outputs, [0, 10, 20]);
    // The same worker, whose `Vm` has run `const K` three times, has no `K` any more.
    for r in in_order(&pool, "fn f() { global::K } f()", 2) {
        assert_eq!(r.status, JobStatus::Failed, "{r:?}");
    }
}

#[test]
fn a_scripts_functions_are_not_seen_by_the_next_script_on_the_worker() {
    let pairs = [
        ("fn helper(x) { x + 1 } [1].map(helper)", "helper(5)"),
        ("fn len(x) { 99 } len([1, 2])", "len([1, 2])"),
        (
            "fn abs(x) { 42 } [-1].map(|x| abs(x))",
            "[-1].map(|x| abs(x))",
        ),
        (
            "fn abs(x) { 42 } call(Fn(\"abs\"), -1)",
            "call(Fn(\"abs\"), -1)",
        ),
    ];
    let (tree, on_grain) = (
        RunspacePool::builder()
            .threads(1)
            .vm(ScriptVm::TreeWalker)
            .build()
            .unwrap(),
        grain(1).build().unwrap(),
    );
    for (first, second) in pairs {
        for source in [first, second] {
            let expected: Vec<String> = in_order(&tree, source, 2).iter().map(outcome).collect();
            let got: Vec<String> = in_order(&on_grain, source, 2).iter().map(outcome).collect();
            assert_eq!(got, expected, "{source} (after {first})");
        }
    }
}

#[test]
fn imports_work_and_do_not_outlive_their_job() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("helpers.rhai"), "fn double(x) { x * 2 }").unwrap();
    let pool = grain(1).module_path(dir.path()).build().unwrap();
    let records = run_range(&pool, "import \"helpers\" as h; h::double(item)", 300);
    assert_eq!(records.len(), 300);
    for r in &records {
        assert_eq!(r.status, JobStatus::Completed, "{:?}", r.error);
        assert_eq!(r.output[0].as_int().unwrap(), r.seq as i64 * 2);
    }
    // The same worker, which imported `h` 300 times, has none of them any more.
    let records = run_range(&pool, "h::double(item)", 2);
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r.status, JobStatus::Failed, "{r:?}");
        assert_eq!(
            r.error.as_ref().unwrap().message,
            "Module not found: h",
            "{r:?}"
        );
    }
}

#[test]
fn streams_reach_the_sink_and_the_record() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let pool = grain(1)
        .on_stream(move |event| sink.lock().unwrap().push(event.line.text.clone()))
        .build()
        .unwrap();
    let records = in_order(
        &pool,
        "print(`p${item}`); warn(`w${item}`); debug(item); item",
        2,
    );
    let texts: Vec<&str> = records[1].streams.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["p1", "w1", "1"]);
    assert_eq!(lines.lock().unwrap().len(), 6);
}

#[test]
fn the_cli_runs_on_grain_with_positions_in_failed_records() {
    let records = jsonl_records(
        rsparallel()
            .args([
                "run", "--vm", "grain", "-k", "--output", "jsonl", "--range", "0..3",
            ])
            .args([
                "-e",
                "let s = 0;\nfor i in 0..10 { s += i; }\nif item == 1 { throw \"one\" }\ns + item",
            ])
            .assert()
            .code(1),
    );
    assert_eq!(records[0]["output"][0], 45);
    assert_eq!(records[1]["error"]["message"], "one");
    assert_eq!(records[1]["error"]["line"], 3);
    assert_eq!(records[2]["output"][0], 47);
    rsparallel()
        .args(["run", "--vm", "bytecode", "-e", "1", "x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown vm 'bytecode'"));
}

#[test]
fn the_cli_memory_cap_holds_on_grain() {
    let records = jsonl_records(
        rsparallel()
            .args([
                "run",
                "--vm",
                "grain",
                "--max-memory",
                "16MiB",
                "-k",
                "--output",
                "jsonl",
            ])
            .args([
                "--range",
                "0..2",
                "-e",
                "if item == 0 { let s = \"x\"; loop { s += s; } } item",
            ])
            .assert()
            .code(1),
    );
    let message = records[0]["error"]["message"].as_str().unwrap();
    assert_eq!(message, "exceeded the memory cap of 16 MiB (max-memory)");
    assert_eq!(records[1]["status"], "completed");
}

#[test]
fn host_scripts_choose_grain_with_the_vm_option() {
    let engine = rsparallel::host::Host::new().engine();
    let total: i64 = engine
        .eval(
            r#"
            let pool = new_runspace_pool(#{ threads: 2, vm: "grain" });
            new_runspace_job(pool, "let s = 0; for i in 0..item { s += i; } s", range(0, 100));
            let records = receive_runspace_job(pool, #{ wait: true });
            let total = 0;
            for r in records { total += r.output[0]; }
            total
            "#,
        )
        .unwrap();
    assert_eq!(total, (0..100_i64).map(|n| n * (n - 1) / 2).sum::<i64>());
    let err = engine
        .eval::<Dynamic>(r#"new_runspace_pool(#{ vm: "fast" })"#)
        .unwrap_err();
    assert!(err.to_string().contains("unknown vm 'fast'"), "{err}");
}

#[test]
fn a_job_that_ends_past_its_deadline_is_timed_out_on_both_machines() {
    // After a sleep to just before the deadline, copies Rhai makes in one go (no operation
    // looks at the clock while they run) take the job past it; grain looks at its operation
    // count only on loops' jumps back, so nothing after them did, and the job was `completed`.
    let script = "let t0 = now_ms(); let a = []; a.pad(2000000, 1); \
                  let w = 995 - (now_ms() - t0); if w > 0 { sleep(w) } \
                  let b = a; let c = a; let d = a; 1";
    for vm in [ScriptVm::TreeWalker, ScriptVm::Grain] {
        let pool = RunspacePool::builder()
            .threads(1)
            .vm(vm)
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let records = in_order(&pool, script, 2);
        for record in &records {
            assert_eq!(
                record.status,
                JobStatus::TimedOut,
                "{vm:?}: {}",
                outcome(record)
            );
        }
    }
}
