//! Processes that leave their program's group (`setsid`, as a daemon does) are still the
//! job's: killed when it times out, and when they hold the program's output open after it
//! exited. They are found by the `RSPARALLEL_JOB_TOKEN` variable every program gets.

mod common;

use std::time::{Duration, Instant};

use common::procs::{eventually, processes};
use rsparallel::capabilities::{Capability, Permissions};
use rsparallel::{JobStatus, RunspacePool};

fn pool(timeout: Duration) -> RunspacePool {
    let permissions = Permissions::none().allow(Capability::Run, Some("sh"));
    RunspacePool::builder()
        .threads(1)
        .timeout(timeout)
        .permissions(permissions)
        .build()
        .unwrap()
}

/// Runs `shell` (its `$1` a file to write pids to) as a job, and the pids it wrote.
fn run(pool: &RunspacePool, shell: &str) -> (JobStatus, Duration, Vec<u32>) {
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids");
    let script = pool
        .compile(&format!(
            r#"run_process("sh", ["-c", {shell:?}, "sh", item])"#
        ))
        .unwrap();
    let start = Instant::now();
    let record = pool
        .run(&script, [ids.to_str().unwrap()])
        .unwrap()
        .next()
        .unwrap();
    let took = start.elapsed();
    let ids = std::fs::read_to_string(&ids).expect("the shell ran");
    let ids = ids
        .split_whitespace()
        .map(|id| id.parse().unwrap())
        .collect();
    (record.status, took, ids)
}

fn gone(pid: u32) -> bool {
    eventually(Duration::from_secs(3), || {
        !processes().iter().any(|(p, _, _)| *p == pid)
    })
}

#[test]
fn a_process_that_left_the_group_dies_with_its_timed_out_job() {
    let pool = pool(Duration::from_millis(400));
    // A session of its own (so a group of its own), with its output sent elsewhere: only the
    // variable it inherited says whose it is.
    let shell = r#"setsid sleep 34.25 < /dev/null > /dev/null 2>&1 & echo $! > "$1"; sleep 30"#;
    let (status, took, ids) = run(&pool, shell);
    assert_eq!(status, JobStatus::TimedOut);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        gone(ids[0]),
        "the setsid process {} outlived its job",
        ids[0]
    );
}

#[test]
fn a_process_that_left_the_group_and_holds_the_output_is_killed_after_the_program_exits() {
    let pool = pool(Duration::from_secs(20));
    let shell = r#"setsid sleep 34.5 & echo $! > "$1"; echo started"#;
    let (status, took, ids) = run(&pool, shell);
    assert_eq!(status, JobStatus::Completed);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        gone(ids[0]),
        "the setsid process {} outlived its job",
        ids[0]
    );
}

#[test]
fn the_token_variable_cannot_be_set_by_a_script() {
    let pool = pool(Duration::from_secs(5));
    let script = pool
        .compile(r#"run_process("sh", ["-c", "true"], #{ env: #{ RSPARALLEL_JOB_TOKEN: "x" } })"#)
        .unwrap();
    let record = pool.run(&script, [0_i64]).unwrap().next().unwrap();
    assert_eq!(record.status, JobStatus::Failed);
    assert!(
        record
            .error
            .unwrap()
            .message
            .contains("RSPARALLEL_JOB_TOKEN is refused")
    );
}
