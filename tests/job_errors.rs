//! Job errors a program can match: a kind for every way a job fails, the thrown value itself,
//! and the same error fields through the library, the command line's JSON and the host API.

mod common;

use std::time::Duration;

use common::{jsonl_records, one_job, rsparallel};
use rsparallel::rhai::{Dynamic, Map};
use rsparallel::{JobError, JobErrorKind, JobStatus, RunOptions, RunspacePool, UnreadableItem};
use serde_json::json;

/// Counts allocations, so that the memory cap applies in this test binary.
#[global_allocator]
static ALLOCATOR: rsparallel::CountingAllocator = rsparallel::CountingAllocator;

#[test]
fn every_way_a_job_fails_has_its_kind() {
    let pool = RunspacePool::builder()
        .threads(2)
        .timeout(Duration::from_millis(300))
        .max_operations(200_000)
        .max_call_depth(32)
        .max_memory(16 << 20)
        .setup(|engine| {
            engine.register_fn("explode", || -> i64 { panic!("boom") });
        })
        .build()
        .unwrap();
    let script = pool
        .compile(
            r#"
            fn deeper(n) { deeper(n + 1) }
            switch item {
                "throw" => throw #{ code: 7, why: "bad row" },
                "sleep" => sleep(60_000),
                "spin" => { let n = 0; loop { n += 1; } },
                "script" => no_such_function(1),
                "compile" => eval("let = ;"),
                "depth" => deeper(0),
                "memory" => "x".pad(64 * 1024 * 1024, "y"),
                "panic" => explode(),
                _ => item,
            }
            "#,
        )
        .unwrap();
    let cases = [
        ("throw", JobStatus::Failed, JobErrorKind::Thrown),
        ("sleep", JobStatus::TimedOut, JobErrorKind::TimedOut),
        ("spin", JobStatus::Failed, JobErrorKind::OpsBudget),
        ("script", JobStatus::Failed, JobErrorKind::Script),
        ("compile", JobStatus::Failed, JobErrorKind::Compile),
        ("depth", JobStatus::Failed, JobErrorKind::CallDepth),
        ("memory", JobStatus::Failed, JobErrorKind::MemoryCap),
        ("panic", JobStatus::Failed, JobErrorKind::NativePanic),
    ];
    let mut items: Vec<Result<Dynamic, UnreadableItem>> = cases
        .iter()
        .map(|(item, ..)| Ok(Dynamic::from(*item)))
        .collect();
    items.push(Err(UnreadableItem::new(
        Dynamic::from("{not json"),
        JobError::new(JobErrorKind::UnreadableInput, "input line 9: invalid JSON"),
    )));
    let options = RunOptions::default().keep_order(true);
    let records: Vec<_> = pool.run_with(&script, items, options).unwrap().collect();
    assert_eq!(records.len(), cases.len() + 1);
    for (record, (item, status, kind)) in records.iter().zip(cases) {
        let error = record.error.as_deref().expect(item);
        assert_eq!(
            (record.status, error.kind),
            (status, kind),
            "{item}: {error}"
        );
        // Only a throw carries a thrown value.
        assert_eq!(
            error.thrown.is_some(),
            kind == JobErrorKind::Thrown,
            "{item}"
        );
    }
    let unreadable = records.last().unwrap().error.as_deref().unwrap();
    assert_eq!(unreadable.kind, JobErrorKind::UnreadableInput);

    // The thrown value is the script's own, not its text.
    let thrown = records[0].error.as_ref().unwrap().thrown.clone().unwrap();
    let thrown = thrown.cast::<Map>();
    assert_eq!(thrown["code"].as_int().unwrap(), 7);
    assert_eq!(thrown["why"].clone().into_string().unwrap(), "bad row");

    // Cancelled and skipped jobs say so too.
    let records: Vec<_> = pool
        .run_with(
            &script,
            ["throw", "a", "b"].map(|s| Ok(Dynamic::from(s))),
            RunOptions::default()
                .halt("now,fail=1".parse().unwrap())
                .keep_order(true),
        )
        .unwrap()
        .collect();
    assert_eq!(records.len(), 3);
    for record in &records[1..] {
        let kind = record.error.as_ref().map(|e| e.kind);
        match record.status {
            JobStatus::Skipped => assert_eq!(kind, Some(JobErrorKind::Skipped)),
            JobStatus::Cancelled => assert_eq!(kind, Some(JobErrorKind::Cancelled)),
            JobStatus::Completed => assert_eq!(kind, None),
            other => panic!("{other}"),
        }
    }
}

#[test]
fn job_and_compile_errors_are_std_errors() {
    fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    let error = JobError::new(JobErrorKind::Cancelled, "cancelled");
    is_error(&error);
    let pool = RunspacePool::builder().threads(1).build().unwrap();
    match pool.compile("let = ;") {
        Err(rsparallel::Error::Compile(compile)) => is_error(&compile),
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn the_command_lines_records_carry_the_kind_and_the_thrown_value() {
    let records = jsonl_records(
        rsparallel()
            .args(["run", "--output", "jsonl", "--keep-order", "-e"])
            .arg(r#"if item == "a" { throw #{ code: 7 } } else { no_such_function() }"#)
            .args(["a", "b"])
            .assert()
            .code(1),
    );
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["error"]["kind"], "thrown");
    assert_eq!(records[0]["error"]["thrown"], json!({ "code": 7 }));
    assert_eq!(records[1]["error"]["kind"], "script");
    assert!(records[1]["error"].get("thrown").is_none());
}

#[test]
fn the_host_apis_records_have_the_fields_of_the_command_lines() {
    let dir = tempfile::tempdir().unwrap();
    let driver = dir.path().join("driver.rhai");
    std::fs::write(
        &driver,
        r#"
        let pool = new_runspace_pool(#{ threads: 1 });
        new_runspace_job(pool, "print(`p${item}`); if item == 1 { throw #{ code: 7 } } item", [0, 1]);
        for r in receive_runspace_job(pool, #{ wait: true }) {
            print(to_json(r));
        }
        "#,
    )
    .unwrap();
    let output = rsparallel().arg("exec").arg(&driver).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let from_host = common::jsonl(&output.stdout);
    let from_cli = jsonl_records(
        rsparallel()
            .args(["run", "--output", "jsonl", "--keep-order", "-e"])
            .arg("print(`p${item}`); if item == 1 { throw #{ code: 7 } } item")
            .args(["--format", "jsonl", "0", "1"])
            .assert()
            .code(1),
    );
    assert_eq!(from_host.len(), 2);
    assert_eq!(from_cli.len(), 2);
    for (host, cli) in from_host.iter().zip(&from_cli) {
        let mut host_keys: Vec<_> = host.as_object().unwrap().keys().cloned().collect();
        let mut cli_keys: Vec<_> = cli.as_object().unwrap().keys().cloned().collect();
        // The host API names each record's batch too: it has many.
        host_keys.retain(|k| k != "batch");
        host_keys.sort();
        cli_keys.sort();
        assert_eq!(host_keys, cli_keys);
        for field in [
            "seq", "item", "status", "output", "error", "attempts", "streams",
        ] {
            assert_eq!(host[field], cli[field], "{field}");
        }
    }
}

/// Both interpreters, for the tests that hold each to the same outcome.
const BOTH_VMS: [rsparallel::ScriptVm; 2] = [
    rsparallel::ScriptVm::TreeWalker,
    rsparallel::ScriptVm::Grain,
];

/// A one-worker pool on `vm` under a budget of `budget` operations.
fn budgeted(vm: rsparallel::ScriptVm, budget: u64) -> RunspacePool {
    RunspacePool::builder()
        .threads(1)
        .vm(vm)
        .max_operations(budget)
        .build()
        .unwrap()
}

#[test]
fn a_budget_rhai_swallowed_still_fails_its_job() {
    // Rhai's `sort` takes a comparator's error for "equal", and an interpolation writes a
    // value whole when its `to_string` fails: a budget run out there was lost, and with no
    // operation after it the job completed, an unsorted array for its answer. Under every
    // budget, a job either fails on it or gives the right answer.
    let source = "let a = [5, 3, 8, 1, 9, 2, 7]; a.sort(|x, y| x - y); `${a}`";
    for vm in BOTH_VMS {
        let (mut failed, mut completed) = (0, 0);
        for budget in 1..=150 {
            let pool = budgeted(vm, budget);
            let script = pool.compile(source).unwrap();
            let options = RunOptions::default()
                .begin(pool.compile("let b = [4, 6, 5];").unwrap())
                .end(pool.compile("b.sort(|x, y| x - y); b").unwrap());
            let mut run = pool
                .run_with(&script, std::iter::once(Ok(Dynamic::from(0_i64))), options)
                .unwrap();
            let record = run.next().unwrap();
            match record.status {
                JobStatus::Completed => {
                    completed += 1;
                    let output = record.output[0].to_string();
                    assert_eq!(output, "[1, 2, 3, 5, 7, 8, 9]", "{vm:?}, budget {budget}");
                }
                // Its worker's `begin` ran out of budget first.
                JobStatus::Skipped => {}
                _ => {
                    failed += 1;
                    let kind = record.error.as_ref().map(|e| e.kind);
                    assert_eq!(kind, Some(JobErrorKind::OpsBudget), "{vm:?}, {budget}");
                }
            }
            assert!(run.next().is_none());
            match run.aggregate() {
                Some(Ok(values)) => assert_eq!(values[0].to_string(), "[4, 5, 6]"),
                Some(Err(error)) => assert_eq!(error.kind, JobErrorKind::OpsBudget, "{error:?}"),
                None => panic!("{vm:?}, budget {budget}: no aggregate"),
            }
        }
        assert!(failed > 0 && completed > 0, "{vm:?}: {failed} failed");
    }
}

#[test]
fn a_limit_a_comparer_meets_fails_its_job_instead_of_changing_the_answer() {
    // Rhai's sort takes a comparer's failure for "equal", its dedup for "not the same"; a
    // comparer refused memory, or nested too deep, left the array as it was, and the job
    // completed with it.
    let fails = [
        (
            "let a = [5, 3, 8, 1]; a.sort(|x, y| { blob(100000000); x - y }); a",
            JobErrorKind::MemoryCap,
        ),
        (
            "let a = [1, 1, 2]; a.dedup(|x, y| { blob(100000000); x == y }); a",
            JobErrorKind::MemoryCap,
        ),
        (
            "fn f(n) { if n > 0 { f(n - 1) } } let a = [5, 3, 8, 1]; a.sort(|x, y| { f(20); x - y }); a",
            JobErrorKind::CallDepth,
        ),
    ];
    for vm in BOTH_VMS {
        let pool = RunspacePool::builder()
            .threads(1)
            .vm(vm)
            .max_memory(64 << 20)
            .max_call_depth(10)
            .build()
            .unwrap();
        for (source, kind) in fails {
            let record = one_job(&pool, source);
            assert_eq!(
                record.status,
                JobStatus::Failed,
                "{vm:?} {source}: {:?}",
                record.output
            );
            assert_eq!(record.error.unwrap().kind, kind, "{vm:?} {source}");
        }
        // A comparer's own error is still Rhai's "equal".
        let record = one_job(&pool, "let a = [2, 1]; a.sort(|x, y| { throw 1; }); a");
        assert_eq!(record.status, JobStatus::Completed, "{:?}", record.error);
    }
}

#[test]
fn the_budget_counts_the_operations_of_closures_natives_call() {
    // A closure a native calls counted from its caller's count on a copy thrown away when it
    // returned: 10,000 calls of this one, ~100 operations each, stayed within 1,000.
    let source = "let a = []; a.pad(10000, 0); a.map(|x, i| { let s = 0; for k in 0..5 { s += k * i } s }).len()";
    for vm in BOTH_VMS {
        let run = |budget| one_job(&budgeted(vm, budget), source);
        let over = run(1000);
        assert_eq!(over.status, JobStatus::Failed, "{vm:?}: {:?}", over.output);
        assert_eq!(over.error.unwrap().kind, JobErrorKind::OpsBudget);
        let within = run(10_000_000);
        assert_eq!(
            within.status,
            JobStatus::Completed,
            "{vm:?}: {:?}",
            within.error
        );
        assert_eq!(within.output[0].as_int(), Ok(10_000));
    }
}
