//! The library's pool: runs, timeouts, isolation between jobs, outputs and streams.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    assert_a_throw_fails_only_its_job, assert_each_seq_once, assert_no_state_leaks,
    count_by_status, pool, records_of_a_cancelled_run, run_range,
};
use rsparallel::rhai::Dynamic;
use rsparallel::{
    JobError, JobErrorKind, JobStatus, RunOptions, RunspacePool, ScriptVm, UnreadableItem,
};

#[test]
fn ten_thousand_items_through_four_workers_each_once_with_the_right_output() {
    let pool = pool(4, 0);
    let records = run_range(&pool, "item * 2 + 1", 10_000);
    assert_each_seq_once(&records, 10_000);
    for r in &records {
        assert_eq!(r.status, JobStatus::Completed);
        assert_eq!(r.item.as_int().unwrap(), r.seq as i64);
        assert_eq!(r.output.len(), 1);
        assert_eq!(r.output[0].as_int().unwrap(), r.seq as i64 * 2 + 1);
    }
    let workers: std::collections::HashSet<_> = records.iter().map(|r| r.worker).collect();
    assert!(workers.len() > 1, "work spread over workers: {workers:?}");
}

#[test]
fn every_hundredth_loop_times_out_and_its_worker_goes_on() {
    let pool = pool(4, 100);
    let records = run_range(&pool, "if item % 100 == 0 { loop {} } item", 2_000);
    assert_each_seq_once(&records, 2_000);
    let counts = count_by_status(&records);
    assert_eq!(counts.get(&JobStatus::TimedOut), Some(&20));
    assert_eq!(counts.get(&JobStatus::Completed), Some(&1_980));
    for timed_out in records.iter().filter(|r| r.status == JobStatus::TimedOut) {
        assert_eq!(timed_out.seq % 100, 0);
        let ran_for = timed_out.duration();
        assert!(
            ran_for >= Duration::from_millis(100),
            "stopped early: {ran_for:?}"
        );
        let error = timed_out.error.as_ref().unwrap();
        assert!(error.message.contains("timed out"), "{error:?}");
    }
    // A worker that timed out takes its next job with the same runspace, and completes it.
    let mut proven = 0;
    for timed_out in records.iter().filter(|r| r.status == JobStatus::TimedOut) {
        let next = records
            .iter()
            .filter(|r| r.worker == timed_out.worker && r.start >= timed_out.end)
            .min_by_key(|r| r.start);
        if let Some(next) = next {
            // Its next job ran: it completed, or was itself a looping item that timed out.
            let expected = if next.seq % 100 == 0 {
                JobStatus::TimedOut
            } else {
                JobStatus::Completed
            };
            assert_eq!(next.status, expected, "{next:?}");
            proven += usize::from(next.status == JobStatus::Completed);
        }
    }
    assert!(
        proven >= 10,
        "only {proven} of 20 timed-out workers completed a later job"
    );
}

#[test]
fn one_worker_times_out_then_completes_the_next_job() {
    // Jobs 1 and 2 take microseconds: far inside the timeout, whatever the load.
    let pool = pool(1, 500);
    let script = pool.compile("if item == 0 { loop {} } item").unwrap();
    let options = RunOptions::default().keep_order(true);
    let items = (0..3_i64).map(|i| Ok(Dynamic::from(i)));
    let records: Vec<_> = pool.run_with(&script, items, options).unwrap().collect();
    assert_eq!(records[0].status, JobStatus::TimedOut);
    assert_eq!(records[1].status, JobStatus::Completed);
    assert_eq!(records[0].worker, records[1].worker);
}

#[test]
fn the_timeout_counts_from_the_start_of_the_job_not_its_queueing() {
    // One worker, ten jobs of 300 ms each with a 2 s timeout: the last one is queued for 2.7 s,
    // past the timeout, yet none times out. Each job is far inside the timeout, so no load
    // on the machine makes one of them time out on its own.
    let pool = pool(1, 2_000);
    let records = run_range(&pool, "sleep(300); item", 10);
    assert_eq!(records.len(), 10);
    assert!(
        records.iter().all(|r| r.status == JobStatus::Completed),
        "{records:?}"
    );
}

#[test]
fn a_sleeping_job_times_out_on_time() {
    let pool = pool(2, 50);
    let records = run_range(&pool, "sleep(10_000); 1", 2);
    for r in &records {
        assert_eq!(r.status, JobStatus::TimedOut);
        assert!(r.duration() < Duration::from_secs(2), "{:?}", r.duration());
    }
}

#[test]
fn no_state_leaks_between_jobs() {
    // The tree walker here; tests/grain.rs runs the same on grain.
    let pool = RunspacePool::builder()
        .threads(2)
        .vm(ScriptVm::TreeWalker)
        .variable("base", 10_i64)
        .build()
        .unwrap();
    assert_no_state_leaks(&pool);
}

#[test]
fn output_is_emitted_values_then_the_final_value_and_streams_are_kept() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let pool = RunspacePool::builder()
        .threads(1)
        .on_stream(move |event| {
            sink.lock()
                .unwrap()
                .push((event.seq, event.item.to_string(), event.line.text.clone()));
        })
        .build()
        .unwrap();
    let script = pool
        .compile(r#"emit("a"); print(`p${item}`); emit(item); if item == 1 { () } else { "z" }"#)
        .unwrap();
    let records: Vec<_> = pool.run(&script, [0_i64, 1]).unwrap().collect();
    let first = records.iter().find(|r| r.seq == 0).unwrap();
    let outputs: Vec<String> = first.output.iter().map(|v| v.to_string()).collect();
    assert_eq!(outputs, ["a", "0", "z"]);
    assert_eq!(first.streams[0].text, "p0");
    let second = records.iter().find(|r| r.seq == 1).unwrap();
    assert_eq!(second.output.len(), 2, "a unit final value outputs nothing");
    let mut seen = lines.lock().unwrap().clone();
    seen.sort();
    let line = |seq: u64| (seq, seq.to_string(), format!("p{seq}"));
    assert_eq!(seen, [line(0), line(1)], "each line names its job and item");
    // The item lent to the stream lines came back to the record.
    assert_eq!(first.item.as_int(), Ok(0));
    assert_eq!(second.item.as_int(), Ok(1));
}

#[test]
fn a_throw_fails_only_its_job_with_message_and_position() {
    // The tree walker here; tests/grain.rs runs the same on grain.
    let pool = RunspacePool::builder()
        .threads(2)
        .vm(ScriptVm::TreeWalker)
        .build()
        .unwrap();
    assert_a_throw_fails_only_its_job(&pool);
}

#[test]
fn the_operation_budget_fails_a_job_with_a_clear_message() {
    let pool = RunspacePool::builder()
        .threads(1)
        .max_operations(10_000)
        .build()
        .unwrap();
    let records = run_range(&pool, "if item == 0 { loop {} } item", 2);
    let over = records.iter().find(|r| r.seq == 0).unwrap();
    assert_eq!(over.status, JobStatus::Failed);
    assert!(
        over.error
            .as_ref()
            .unwrap()
            .message
            .contains("10000 operations")
    );
    assert_eq!(
        records.iter().find(|r| r.seq == 1).unwrap().status,
        JobStatus::Completed
    );
}

#[test]
fn compile_errors_carry_line_and_column() {
    let pool = pool(1, 0);
    let err = pool
        .compile_named("job.rhai", "let x = 1;\nlet y = x +* 2;")
        .unwrap_err();
    assert!(err.is_compile());
    let compile = err.as_compile().unwrap();
    assert_eq!((compile.line, compile.column), (2, 12));
    assert!(err.to_string().starts_with("job.rhai:2:12: "), "{err}");
}

#[test]
fn function_libraries_are_visible_to_every_job() {
    let pool = RunspacePool::builder()
        .threads(2)
        .functions_source("lib.rhai", "fn triple(x) { x * 3 }")
        .build()
        .unwrap();
    let records = run_range(&pool, "triple(item)", 100);
    assert_eq!(records.len(), 100);
    assert!(
        records
            .iter()
            .all(|r| r.output[0].as_int().unwrap() == r.seq as i64 * 3)
    );
    let bad = RunspacePool::builder()
        .functions_source("broken.rhai", "fn oops( {")
        .build();
    assert!(bad.err().unwrap().to_string().starts_with("broken.rhai:1:"));
}

#[test]
fn native_functions_from_the_setup_hook_and_their_panics() {
    let pool = RunspacePool::builder()
        .threads(2)
        .setup(|engine| {
            engine.register_fn("halve", |x: i64| {
                if x == 7 {
                    panic!("seven is odd");
                }
                x / 2
            });
        })
        .build()
        .unwrap();
    let records = run_range(&pool, "halve(item)", 100);
    assert_each_seq_once(&records, 100);
    let failed: Vec<_> = records
        .iter()
        .filter(|r| r.status == JobStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("seven is odd")
    );
    assert_eq!(count_by_status(&records)[&JobStatus::Completed], 99);
}

#[test]
fn emit_outputs_what_a_value_holds_when_it_is_called() {
    // Variables a closure captured are shared; arrays and maps are copied value by value.
    let pool = pool(1, 0);
    let records = run_range(
        &pool,
        "let x = [1]; let f = || x; emit(x); x.push(2); emit(x); \
         let m = #{a: 1}; let g = || m; emit(m); m.b = 2; emit(m); \
         const C = [9]; emit(C); emit(3); ()",
        1,
    );
    let outputs: Vec<String> = records[0].output.iter().map(|v| format!("{v:?}")).collect();
    assert_eq!(
        outputs,
        [
            "[1]",
            "[1, 2]",
            "#{\"a\": 1}",
            "#{\"a\": 1, \"b\": 2}",
            "[9]",
            "3"
        ]
    );
}

#[test]
fn unreadable_items_become_failed_records_in_their_place() {
    let pool = pool(2, 0);
    let script = pool.compile("item").unwrap();
    let items = vec![
        Ok(Dynamic::from(1_i64)),
        Err(UnreadableItem::new(
            Dynamic::from("{oops"),
            JobError::new(JobErrorKind::UnreadableInput, "input line 2: invalid JSON"),
        )),
        Ok(Dynamic::from(3_i64)),
    ];
    let options = RunOptions::default().keep_order(true);
    let records: Vec<_> = pool.run_with(&script, items, options).unwrap().collect();
    let statuses: Vec<_> = records.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            JobStatus::Completed,
            JobStatus::Failed,
            JobStatus::Completed
        ]
    );
    assert_eq!(records[1].worker, None);
}

#[test]
fn a_cancelled_run_still_yields_a_record_for_every_item() {
    // The tree walker here; tests/grain.rs runs the same on grain.
    let pool = RunspacePool::builder()
        .threads(2)
        .vm(ScriptVm::TreeWalker)
        .build()
        .unwrap();
    let records = records_of_a_cancelled_run(&pool);
    // Items never read are not records; every item read has one.
    let seqs: std::collections::HashSet<_> = records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs.len(), records.len());
    assert_eq!(
        seqs.iter().max().map(|m| *m as usize + 1),
        Some(records.len())
    );
    // The pool is still good for another run.
    let records = run_range(&pool, "item", 10);
    assert_eq!(records.len(), 10);
    assert!(records.iter().all(|r| r.status == JobStatus::Completed));
}

#[test]
fn a_run_dropped_early_frees_the_pool() {
    let pool = pool(2, 0);
    let script = pool.compile("loop {}").unwrap();
    let run = pool.run(&script, 0..1_000_000_i64).unwrap();
    drop(run);
    let records = run_range(&pool, "item + 1", 100);
    assert_eq!(records.len(), 100);
    assert!(records.iter().all(|r| r.status == JobStatus::Completed));
}

#[test]
fn dropping_a_pool_with_runaway_jobs_shuts_it_down() {
    let pool = pool(2, 0);
    let script = pool.compile("loop {}").unwrap();
    let batch = pool
        .submit(
            &script,
            (0..10_i64).map(Dynamic::from),
            RunOptions::default(),
        )
        .unwrap();
    while pool.status().running < 2 {
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(pool);
    // The batch outlived its pool: it ended with it.
    assert!(batch.wait(rsparallel::Wait::Yes));
}

#[test]
fn a_memory_cap_without_the_counting_allocator_is_refused() {
    // This test binary keeps the system allocator.
    let err = RunspacePool::builder()
        .max_memory(1 << 20)
        .build()
        .err()
        .unwrap();
    assert!(err.is_invalid_option());
    assert!(err.to_string().contains("CountingAllocator"), "{err}");
}

#[test]
fn a_pool_runs_on_the_interpreter_its_builder_chose_whatever_the_environment_says() {
    // CI runs this suite a second time with RSPARALLEL_VM=grain: a pool embedded in an
    // application must not change under it (the variable is the command line's).
    let pool = RunspacePool::builder().threads(1).build().unwrap();
    assert_eq!(pool.vm(), ScriptVm::TreeWalker);
    let grain = RunspacePool::builder()
        .threads(1)
        .vm(ScriptVm::Grain)
        .build()
        .unwrap();
    assert_eq!(grain.vm(), ScriptVm::Grain);
}

#[test]
fn a_pool_of_a_thousand_workers_starts_and_runs_every_item() {
    // Far more workers than cores, as I/O-bound work wants: they share one standard library.
    let pool = RunspacePool::builder().threads(1000).build().unwrap();
    let script = pool.compile("sleep(10); item + 1").unwrap();
    let mut outputs: Vec<i64> = pool
        .run(&script, 0..3000_i64)
        .unwrap()
        .map(|r| r.output[0].as_int().unwrap())
        .collect();
    outputs.sort();
    assert_eq!(outputs, (1..=3000).collect::<Vec<_>>());
}
