//! Permissions, as Deno's flags grant them: nothing by default, a refused call failing only its
//! job and naming the flag that would allow it, grants in the library, the CLI, `exec` and the
//! host API's pool option (never beyond what the host script has). The files, network and
//! process functions have tests of their own.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use rsparallel::RunspacePool;
use rsparallel::capabilities::{Capability, Permissions};

fn rsparallel() -> Command {
    Command::cargo_bin("rsparallel").unwrap()
}

#[test]
fn nothing_is_granted_by_default_and_a_refusal_names_its_flag() {
    rsparallel()
        .args(["run", "-e", r#"env("HOME")"#, "--range", "0..2"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            r#"environment access to "HOME" is not granted (--allow-env=HOME)"#,
        ));
    rsparallel()
        .args([
            "run",
            "--allow-env=HOME,USER",
            "-e",
            r#"env("HOME") != ()"#,
            "--range",
            "0..2",
        ])
        .assert()
        .success()
        .stdout("true\ntrue\n");
    // A variable not granted stays refused beside one that is.
    rsparallel()
        .args([
            "run",
            "--allow-env=USER",
            "-e",
            r#"env("HOME")"#,
            "--range",
            "0..1",
        ])
        .assert()
        .code(1);
    rsparallel()
        .args([
            "run",
            "-A",
            "-e",
            r#"env("RSPARALLEL_SURELY_UNSET")"#,
            "--range",
            "0..1",
        ])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn the_library_grants_through_the_pool_builder() {
    let refused = RunspacePool::builder().threads(1).build().unwrap();
    let script = refused.compile(r#"env("PATH")"#).unwrap();
    let record = refused.run(&script, [0_i64]).unwrap().next().unwrap();
    let error = record.error.unwrap();
    assert!(
        error.message.contains("--allow-env=PATH"),
        "{}",
        error.message
    );

    let granted = RunspacePool::builder()
        .threads(1)
        .permissions(Permissions::none().allow(Capability::Env, Some("PATH")))
        .build()
        .unwrap();
    let script = granted.compile(r#"env("PATH")"#).unwrap();
    let record = granted.run(&script, [0_i64]).unwrap().next().unwrap();
    assert!(record.is_completed(), "{:?}", record.error);
    assert_eq!(record.output[0].to_string(), std::env::var("PATH").unwrap());
}

#[test]
fn a_driver_grants_its_pools_no_more_than_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let driver = dir.path().join("driver.rhai");
    std::fs::write(
        &driver,
        r#"
        let home = env("HOME");
        let pool = new_runspace_pool(#{ threads: 1, allow: #{ env: "HOME" } });
        let r = receive_runspace_job(new_runspace_job(pool, `env("HOME")`, [1]), #{ wait: true });
        if r[0].output[0] != home { throw `the job saw ${r[0]}`; }
        print("granted");
        new_runspace_pool(#{ allow: #{ run: true } });
        "#,
    )
    .unwrap();
    rsparallel()
        .args(["exec", "--allow-env=HOME"])
        .arg(&driver)
        .assert()
        .code(1)
        .stdout("granted\n")
        .stderr(predicate::str::contains(
            "run access to all is not granted to this script",
        ));
    // Without the flag, the driver itself cannot read the variable.
    rsparallel()
        .arg("exec")
        .arg(&driver)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--allow-env=HOME"));
}

#[test]
fn threads_can_be_a_multiple_of_the_cpus() {
    let cpus = num_cpus::get();
    let out = rsparallel()
        .args([
            "run",
            "-j",
            "2x",
            "-e",
            "sleep(100); item",
            "--output",
            "jsonl",
        ])
        .args(["--range", &format!("0..{}", 8 * cpus)])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let workers: std::collections::HashSet<&str> = std::str::from_utf8(&out)
        .unwrap()
        .lines()
        .filter_map(|l| l.split("\"worker\":").nth(1))
        .filter_map(|w| w.split(',').next())
        .collect();
    // Every worker sleeps in its jobs, so each of them takes some.
    assert_eq!(workers.len(), 2 * cpus, "{workers:?}");
    rsparallel()
        .args(["run", "-j", "0x", "-e", "item", "--range", "0..1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a multiple of the CPUs like 8x"));
}

#[test]
fn ctrl_c_ends_a_drivers_own_long_call() {
    // A host script has no job clock; its interrupt ends a program it waits for all the same.
    let dir = tempfile::tempdir().unwrap();
    let driver = dir.path().join("driver.rhai");
    std::fs::write(
        &driver,
        r#"print("started"); run_process("sleep", ["30"]);"#,
    )
    .unwrap();
    let args = [
        "exec".as_ref(),
        "--allow-run=sleep".as_ref(),
        driver.as_os_str(),
    ];
    let (output, took) = common::interrupt_once_started(&args);
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    assert_eq!(output.status.code(), Some(130));
}
