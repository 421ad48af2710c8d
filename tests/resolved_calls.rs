//! A worker keeps the calls it has resolved from one job to the next, but only where no job
//! can reach another script's functions (a module's): inside those Rhai
//! resolves against their own environment and caches with the caller's, and a kept cache
//! would carry one job's answers into another's. Each job here gives the answer a fresh
//! evaluation gives; each case gave another one while the cache was kept regardless.

mod common;

use common::assert_each_seq_once;
use rsparallel::rhai::Dynamic;
use rsparallel::{JobRecord, JobStatus, RunspacePool};

/// A one-worker pool importing from a folder with module `h`, whose `foo` calls its own
/// `helper`: every job runs after the one before on the same engine.
fn pool_with_module() -> (RunspacePool, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("h.rhai"),
        r#"fn helper(x) { "module helper" } fn foo(x) { helper(x) }"#,
    )
    .unwrap();
    let pool = RunspacePool::builder()
        .threads(1)
        .module_path(dir.path())
        .build()
        .unwrap();
    (pool, dir)
}

fn run(pool: &RunspacePool, source: &str, items: Vec<Dynamic>) -> Vec<JobRecord> {
    let script = pool.compile(source).unwrap();
    let n = items.len();
    let mut records: Vec<_> = pool.run(&script, items).unwrap().collect();
    assert_each_seq_once(&records, n);
    records.sort_by_key(|r| r.seq);
    records
}

/// Each record's output as text, or its error message.
fn answers(records: &[JobRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| match r.status {
            JobStatus::Completed => r.output.iter().map(|v| v.to_string()).collect(),
            _ => r.error.as_ref().unwrap().message.clone(),
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<Dynamic> {
    items.iter().map(|s| Dynamic::from(s.to_string())).collect()
}

#[test]
fn a_modules_own_functions_stay_its_own() {
    let (pool, _dir) = pool_with_module();
    let script = r#"if item == "x" { import "h" as m; m::foo(1) } else { helper(1) }"#;
    let answers = answers(&run(&pool, script, strings(&["x", "x", "y"])));
    assert_eq!(answers[..2], ["module helper", "module helper"]);
    assert!(
        answers[2].contains("Function not found: helper"),
        "{answers:?}"
    );
}

#[test]
fn a_call_not_found_before_does_not_hide_a_modules_function() {
    let (pool, _dir) = pool_with_module();
    let script = r#"if item == "x" { import "h" as m; m::foo(1) }
        else { let r = ""; try { r = helper(1); } catch { r = "not found"; } r }"#;
    let answers = answers(&run(&pool, script, strings(&["y", "y", "x"])));
    assert_eq!(answers, ["not found", "not found", "module helper"]);
}

#[test]
fn a_script_and_a_module_each_call_their_own_function_of_one_name() {
    let (pool, _dir) = pool_with_module();
    let script = r#"fn helper(x) { "script helper" }
        if item == "x" { import "h" as m; m::foo(1) } else { helper(1) }"#;
    let after_module = answers(&run(&pool, script, strings(&["x", "x", "y"])));
    assert_eq!(
        after_module,
        ["module helper", "module helper", "script helper"]
    );
    let after_script = answers(&run(&pool, script, strings(&["y", "y", "x"])));
    assert_eq!(
        after_script,
        ["script helper", "script helper", "module helper"]
    );
}

#[test]
fn a_module_imported_by_eval_calls_its_own_function() {
    let (pool, _dir) = pool_with_module();
    let script = r#"fn helper(x) { "script helper" }
        if item == "x" { eval("import \"h\" as m; m::foo(1)") } else { helper(1) }"#;
    let answers = answers(&run(&pool, script, strings(&["y", "y", "x"])));
    assert_eq!(answers, ["script helper", "script helper", "module helper"]);
}
