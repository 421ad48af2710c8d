//! Scripts nested too deep (recursion, `eval`, expressions, switches, chains of closures): a
//! compile error or a failed job with a clear message, never an overflowed stack that aborts
//! the process, nor a compile that takes exponential time.

mod common;

use std::time::Duration;

use common::{assert_all_failed, rsparallel, run_hostile, sorted_lines};
use predicates::prelude::*;

#[test]
fn unbounded_recursion_fails_the_job_not_the_process() {
    rsparallel()
        .args([
            "run",
            "-e",
            "fn f(x) { f(x + 1) } if item == \"deep\" { f(0) } else { item }",
        ])
        .args(["deep", "fine", "-k"])
        .assert()
        .code(1)
        .stdout("fine\n")
        .stderr(predicate::str::contains(
            "exceeded the call depth limit of 128 (max-call-depth)",
        ));
    rsparallel()
        .args([
            "run",
            "-e",
            "fn f(x) { 1 + (2 * (3 + f(x + 1))) } f(0)",
            "1",
        ])
        .args(["--max-call-depth", "1000"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("call depth limit of 1000"));
}

#[test]
fn deep_expression_nesting_is_a_compile_error() {
    let deep = format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000));
    rsparallel()
        .args(["run", "-e", &deep, "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-e:1:"));
}

#[test]
fn recursing_through_eval_fails_its_job_and_the_run_goes_on() {
    let script = r#"if item == "b" { let s = "eval(s)"; eval(s) } else { item }"#;
    let (code, records) = run_hostile(script, &["a", "b", "c"], &[]);
    assert_eq!(code, 1);
    let failed: Vec<_> = records.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["item"], "b");
    let message = failed[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("nested too deep"), "{message}");
    let completed = records.iter().filter(|r| r["status"] == "completed");
    assert_eq!(completed.count(), 2);
}

#[test]
fn a_host_script_recursing_through_eval_fails_instead_of_aborting() {
    let dir = tempfile::tempdir().unwrap();
    let driver = dir.path().join("driver.rhai");
    std::fs::write(&driver, "let s = \"eval(s)\"; eval(s)\n").unwrap();
    let output = rsparallel()
        .arg("exec")
        .arg(&driver)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    // 1: the script threw; an overflowed stack would abort the process (134).
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("driver.rhai:1:"), "{stderr}");
    // Named for what it is, in one line, not as "terminated" under thousands of calls.
    assert!(stderr.contains("nested too deep"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_chain_of_closures_in_an_output_fails_its_job_instead_of_aborting() {
    // Each closure captures the one before. Output, the chain reached the thread that writes
    // records, which freed it recursively and overflowed its stack.
    let chain = "let f = || 0; for i in 0..20000 { let g = f; f = || g.call() + 1; }";
    for output in ["f", "[f]", "emit(#{f: f}); 1"] {
        let script = format!("{chain} {output}");
        let (code, records) = run_hostile(&script, &["x", "y"], &[]);
        assert_eq!(code, 1, "{output}");
        assert_all_failed(&records, 2, "cannot be written");
    }
    // Left in the job's variables, a chain ten times as deep is freed when the job ends
    // without recursing through it on the worker's stack.
    let deep = "let f = || 0; for i in 0..200000 { let g = f; f = || g.call() + 1; } 1";
    let (code, records) = run_hostile(deep, &["x"], &[]);
    assert_eq!(code, 0);
    assert_eq!(records[0]["output"], serde_json::json!([1]));
}

#[test]
fn deeply_nested_switches_compile_in_linear_time() {
    // Rhai's optimizer doubles its time with each nested default case: 26 levels, 760 bytes,
    // took 48 s to compile. Such a script is compiled without it; the answers are the same.
    let mut script = String::from("item");
    for _ in 0..26 {
        script = format!("switch item {{ 0 => 0, _ => {script} }}");
    }
    let output = rsparallel()
        .args(["run", "--format", "jsonl", "-e", &script, "0", "5"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        sorted_lines(&String::from_utf8_lossy(&output.stdout)),
        ["0", "5"]
    );
}

#[test]
fn a_chain_dropped_by_rhai_itself_fails_at_most_its_job() {
    // A chain of function pointers, each curried with the one before, or of closures, each
    // capturing the one before: a million levels a second. Rhai frees what a job lets go of
    // recursively, on the worker's stack: by assigning the variable, as the job's block or
    // function ends, or as the job is stopped with the chain in a temporary. The worker's
    // stack has room below for the deepest value the memory cap allows.
    let curried = "let f = Fn(\"x\"); for i in 0..300000 { f = Fn(\"x\").curry(take(f)); }";
    let closures = "let f = || 0; for i in 0..300000 { let g = f; f = || g; }";
    // On grain (`RSPARALLEL_VM=grain`) the curried chain grows in quadratic time (13 s for
    // 10,000 levels, in a release build): it is tested on the tree walker.
    let on_tree = ["--max-memory", "48MiB", "--vm", "tree"];
    let either = ["--max-memory", "48MiB"];
    for (chain, cap) in [(curried, &on_tree[..]), (closures, &either[..])] {
        for ending in ["f = 0; 1", "{ 1 }"] {
            let script = format!("{chain} {ending}");
            let (code, records) = run_hostile(&script, &["x", "y"], cap);
            assert_eq!(code, 0, "{script}: {records:?}");
            assert_eq!(records[0]["output"], serde_json::json!([1]), "{script}");
        }
        // In a function, and in a block stopped at the memory cap mid-expression.
        let in_function = format!("fn build() {{ {chain} 1 }} build()");
        let (code, records) = run_hostile(&in_function, &["x"], cap);
        assert_eq!(code, 0, "{in_function}: {records:?}");
        let unbounded = chain.replace("0..300000", "0..100000000");
        let (code, records) = run_hostile(&format!("{{ {unbounded} }} 1"), &["x", "y"], cap);
        assert_eq!(code, 1);
        assert_all_failed(&records, 2, "memory cap of 48 MiB");
    }
}

#[test]
fn a_chain_left_in_the_jobs_variables_is_freed_without_a_cap() {
    // Without a memory cap the worker's stack has no room set aside for deep values; what the
    // job leaves in its variables is still freed without recursing through it.
    let script = "let f = Fn(\"x\"); for i in 0..300000 { f = Fn(\"x\").curry(take(f)); } 1";
    let (code, records) = run_hostile(script, &["x"], &["--max-memory", "none", "--vm", "tree"]);
    assert_eq!(code, 0, "{records:?}");
    assert_eq!(records[0]["output"], serde_json::json!([1]));
}
