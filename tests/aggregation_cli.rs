//! `--begin`, `--end` and `--reduce` on the command line, and the host API's `begin`, `end`,
//! `reduce` and `get_runspace_job_result` under `exec`: counting lines by a field, as
//! `awk '{c[$9]++}'` does, in one process with per-worker state.

mod common;

use common::rsparallel;
use predicates::prelude::*;

const COUNT: [&str; 6] = [
    "--begin",
    "let counts = #{};",
    "--end",
    "counts",
    "--reduce",
    "a.tally(b); a",
];

/// Log lines whose ninth field is a status: 200 three times in four, 404 the rest.
fn log(lines: usize) -> String {
    (0..lines)
        .map(|i| {
            let status = if i % 4 == 3 { 404 } else { 200 };
            format!("10.0.0.{} - - [06/Dec/2026:{:02}:00:00 +0000] \"GET /{i} HTTP/1.1\" {status} 512\n", i % 250, i % 24)
        })
        .collect()
}

#[test]
fn lines_are_counted_by_a_field_into_one_map() {
    rsparallel()
        .args(["run", "-j", "2"])
        .args(COUNT)
        .args([
            "-e",
            "let s = item.split()[8]; counts[s] = (counts[s] ?? 0) + 1;",
        ])
        .write_stdin(log(10_000))
        .assert()
        .success()
        .stdout("{\"200\":7500,\"404\":2500}\n");
}

#[test]
fn the_aggregate_follows_the_records_in_each_output_format() {
    let run = |output: &str| {
        rsparallel()
            .args([
                "run", "-k", "-j", "2", "--range", "1..=4", "--output", output,
            ])
            .args(["--begin", "let n = 0;", "--end", "#{ n: n }", "--reduce"])
            .args(["#{ n: a.n + b.n }", "-e", "n += item; item"])
            .assert()
            .success()
    };
    run("text").stdout("1\n2\n3\n4\n{\"n\":10}\n");
    let jsonl = String::from_utf8(run("jsonl").get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = jsonl.lines().collect();
    assert_eq!(lines.len(), 5, "{jsonl}");
    assert_eq!(lines[4], "{\"aggregate\":{\"n\":10}}");
    rsparallel()
        .args(["run", "-j", "2", "--range", "1..=4", "--output", "csv"])
        .args(["--begin", "let n = 0;", "--end", "#{ n: n }", "--reduce"])
        .args(["#{ n: a.n + b.n }", "-e", "n += item;"])
        .assert()
        .success()
        .stdout("n\n10\n");
}

#[test]
fn without_reduce_each_worker_writes_its_partial() {
    let out = rsparallel()
        .args(["run", "-j", "2", "--range", "0..1000"])
        .args(["--begin", "let n = 0;", "--end", "n", "-e", "n += 1;"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let sum: i64 = text.lines().map(|l| l.parse::<i64>().unwrap()).sum();
    assert_eq!(sum, 1000, "{text}");
}

#[test]
fn a_failed_aggregate_says_which_script_and_worker_and_sets_the_exit_status() {
    rsparallel()
        .args(["run", "-j", "1", "--range", "0..10", "--end", "missing_variable"])
        .args(["-e", "item;"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rsparallel: the aggregate failed: end on worker 0: Variable not found: missing_variable",
        ));
    rsparallel()
        .args(["run", "--range", "0..10", "--reduce", "a + b", "-e", "item"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--end"));
    rsparallel()
        .args([
            "run", "--range", "0..10", "--begin", "let n = ", "-e", "item",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--begin:1:"));
}

#[test]
fn a_runaway_end_times_out_as_a_job_does() {
    rsparallel()
        .args(["run", "--timeout", "100ms", "--range", "0..10"])
        .args(["--end", "loop {}", "-e", "item;"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("end on worker").and(predicate::str::contains("timed out")),
        );
}

#[test]
fn begin_may_name_a_script_file() {
    let dir = tempfile::tempdir().unwrap();
    let begin = dir.path().join("begin.rhai");
    std::fs::write(&begin, "let total = 100;").unwrap();
    rsparallel()
        .args(["run", "-j", "1", "--range", "1..=3", "--begin"])
        .arg(&begin)
        .args([
            "--end",
            "total",
            "--reduce",
            "a + b",
            "-e",
            "total += item;",
        ])
        .assert()
        .success()
        .stdout("106\n");
}

#[test]
fn host_scripts_aggregate_batches_and_read_the_result() {
    common::exec_driver(
        r#"
let pool = new_runspace_pool(#{ threads: 2 });
let count = #{ begin: "let n = 0;", end: "n", reduce: "a + b" };
let b = new_runspace_job(pool, "n += item;", 1..=1000, count);
let partials = new_runspace_job(pool, "n += 1;", 1..=1000, #{ begin: "let n = 0;", end: "n" });
wait_runspace_job([b, partials]);
let total = 0;
for p in get_runspace_job_result(partials) { total += p; }
let failed = new_runspace_job(pool, "item", 1..=10, #{ end: "nope" });
wait_runspace_job(failed);
let message = "";
try { get_runspace_job_result(failed); } catch (e) { message = e; }
// A batch with no begin, end or reduce has no aggregate: an error, not a () that reads as
// "still running".
let plain = new_runspace_job(pool, "item", 1..=3);
wait_runspace_job(plain);
let none = "";
try { get_runspace_job_result(plain); } catch (e) { none = e; }
print(`${none}`);
// Received whole, it is forgotten: still an error, not ().
receive_runspace_job(plain);
let forgotten = "";
try { get_runspace_job_result(plain); } catch (e) { forgotten = e; }
print(`${forgotten}`);
print(`${get_runspace_job_result(b)} ${total} ${message}`);
"#,
    )
    .success()
    .stdout(
        predicate::str::contains("has no aggregate: it was submitted without begin, end or reduce")
            .and(predicate::str::contains(
                "has no aggregate: it is forgotten",
            ))
            .and(predicate::str::contains(
                "500500 1000 get_runspace_job_result: the aggregate failed: end on worker",
            )),
    );
}

#[test]
fn ctrl_c_in_a_runaway_end_stops_the_run_without_an_aggregate() {
    // The one job prints `started` and ends; `end` never does, until Ctrl-C.
    let args: Vec<&std::ffi::OsStr> = [
        "run",
        "-j",
        "1",
        "--range",
        "0..1",
        "--begin",
        "let n = 0;",
        "-e",
        "n += 1; \"started\"",
        "--end",
        "loop {}",
    ]
    .iter()
    .map(std::ffi::OsStr::new)
    .collect();
    let (output, took) = common::interrupt_once_started(&args);
    assert_eq!(output.status.code(), Some(130));
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("aggregate"), "{stderr}");
}

#[test]
fn a_failing_begin_halts_the_run_naming_it_instead_of_failing_every_job_for_want_of_state() {
    let out = rsparallel()
        .args(["run", "-j", "2", "--range", "0..1000", "--begin"])
        .args([
            "let n = 0; throw \"no state\";",
            "-e",
            "n += 1;",
            "--end",
            "n",
        ])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("stopped early: the aggregation's begin on worker"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the aggregate failed: begin on worker"),
        "{stderr}"
    );
    assert!(!stderr.contains("Variable not found"), "{stderr}");
}

#[test]
fn the_total_timeout_bounds_end_and_reduce_too() {
    let out = rsparallel()
        .args([
            "run",
            "-j",
            "2",
            "--range",
            "0..2000",
            "--total-timeout",
            "300ms",
        ])
        .args(["--begin", "let n = 0;", "-e", "sleep(1); n += 1;"])
        .args(["--end", "loop {}", "--reduce", "a + b"])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("the aggregate failed: end and reduce did not run: the total timeout"),
        "{stderr}"
    );
    // The jobs done before the deadline, a runaway `end` is cancelled at it, saying why.
    let out = rsparallel()
        .args([
            "run",
            "-j",
            "2",
            "--range",
            "0..20",
            "--total-timeout",
            "300ms",
        ])
        .args(["--begin", "let n = 0;", "-e", "n += 1;", "--end", "loop {}"])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("cancelled (the total timeout of 300ms passed"),
        "{stderr}"
    );
}

#[test]
fn an_aggregate_too_big_to_write_fails_at_the_memory_cap() {
    // One string of 1 MB shared 100 times: small in memory, 100 MB to write.
    rsparallel()
        .args(["run", "-j", "1", "--max-memory", "16MiB", "--range", "0..1"])
        .args([
            "--begin",
            "let s = \"x\"; s.pad(1000000, \"x\");",
            "-e",
            "();",
        ])
        .args(["--end", "let a = []; a.pad(100, s); a"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "the aggregate failed: the aggregate would take more than the memory cap of 16 MiB",
        ));
}

#[test]
fn an_aggregate_with_no_form_in_the_output_format_fails_the_aggregate_not_the_output() {
    for output in ["text", "jsonl", "csv"] {
        rsparallel()
            .args(["run", "-j", "2", "--range", "0..100", "--output", output])
            .args(["-e", "();", "--end", "Fn(\"x\")", "--reduce", "a"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "the aggregate failed: output cannot be written",
            ));
    }
}

#[test]
fn a_host_keeps_the_result_after_receiving_and_a_stopped_batch_never_cancels_the_next_begin() {
    common::exec_driver(
        r#"
let pool = new_runspace_pool(#{ threads: 2 });
let count = #{ begin: "let n = 0;", end: "n", reduce: "a + b" };
let slow = new_runspace_job(pool, "sleep(20); n += 1;", 1..=1000, count);
sleep(200);
stop_runspace_job(slow);
sleep(100);
let b = new_runspace_job(pool, "n += 1;", 1..=40, count);
let records = receive_runspace_job(b, #{ wait: true });
if records.len() != 40 { throw `${records.len()} records` }
print(`${get_runspace_job_result(b)} ${get_runspace_job_result(slow)}`);
// The stopped batch has no result to wait for: received whole, it is forgotten.
wait_runspace_job(slow);
receive_runspace_job(slow);
let listed = get_runspace_jobs().filter(|j| j.batch == slow.id);
if listed.len() != 0 { throw `the stopped batch is still listed: ${listed}` }
"#,
    )
    .success()
    .stdout("40 \n");
}

#[test]
fn quiet_still_says_why_the_aggregate_failed() {
    // -q silences what is about jobs; the run's one result failing is about the run.
    for (begin, reduce, message) in [
        ("throw \"bad begin\"", "a + b", ": bad begin"),
        ("let s = 0;", "throw \"boom\"", "reduce: boom"),
    ] {
        rsparallel()
            .args([
                "run",
                "-q",
                "-j2",
                "--begin",
                begin,
                "-e",
                "s += 1; sleep(0.001);",
            ])
            .args(["--end", "s", "--reduce", reduce, "--range", "0..2000"])
            .assert()
            .code(1)
            .stdout("")
            .stderr(
                predicate::str::contains("rsparallel: the aggregate failed: ")
                    .and(predicate::str::contains(message))
                    .and(predicate::str::contains("completed").not()),
            );
    }
}
