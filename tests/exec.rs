//! `rsparallel exec`: driver scripts run with the host API, and their exit statuses.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn rsparallel() -> Command {
    Command::cargo_bin("rsparallel").unwrap()
}

/// Writes `source` to a script file in a fresh directory.
fn script(source: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("driver.rhai");
    std::fs::write(&path, source).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn the_lifecycle_driver_checks_itself_and_exits_0() {
    rsparallel()
        .args(["exec", "scripts/lifecycle.rhai", "3000"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "lifecycle: 3000 completed, item 3 of the strict batch timed out",
        ));
}

#[test]
fn the_stop_and_cancel_driver_checks_itself_and_exits_0() {
    rsparallel()
        .args(["exec", "scripts/stop-and-cancel.rhai"])
        .assert()
        .success()
        .stdout(predicate::str::contains("stop-and-cancel: "));
}

#[test]
fn every_driver_script_opens_with_a_doc_line() {
    for name in ["scripts/lifecycle.rhai", "scripts/stop-and-cancel.rhai"] {
        let text = std::fs::read_to_string(name).unwrap();
        assert!(text.starts_with("//! "), "{name}");
    }
}

#[test]
fn arguments_reach_the_script_as_args() {
    let (_dir, path) = script(r#"print(args.len()); print(args[0]); print(args[1]);"#);
    rsparallel()
        .args(["exec", &path, "one", "--two"])
        .assert()
        .success()
        .stdout("2\none\n--two\n");
}

#[test]
fn a_script_that_throws_exits_1_with_file_line_and_column() {
    let (_dir, path) = script("let x = 1;\nlet pool = new_runspace_pool();\n  throw `bad ${x}`;\n");
    rsparallel()
        .args(["exec", &path])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!("{path}:3:3: bad 1")));
}

#[test]
fn a_host_api_error_exits_1_naming_the_call() {
    let (_dir, path) = script("let pool = new_runspace_pool(#{ threads: -2 });");
    rsparallel()
        .args(["exec", &path])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{path}:1:12: new_runspace_pool: option 'threads' must not be negative"
        )));
}

#[test]
fn a_script_that_does_not_compile_exits_2_before_running() {
    let (_dir, path) = script("print(\"started\");\nlet x = ;\n");
    rsparallel()
        .args(["exec", &path])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(format!("{path}:2:9: ")));
}

#[test]
fn a_missing_script_exits_2() {
    rsparallel()
        .args(["exec", "no/such/driver.rhai"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read no/such/driver.rhai"));
}

#[test]
fn pools_left_open_shut_down_when_the_script_ends() {
    // A runaway job in a pool the script never closes must not keep the process alive.
    let (_dir, path) =
        script(r#"let pool = new_runspace_pool(); new_runspace_job(pool, "loop {}", [1]);"#);
    rsparallel().args(["exec", &path]).assert().success();
}

#[test]
fn without_a_command_or_a_terminal_it_prints_help() {
    rsparallel()
        .write_stdin("")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("repl").and(predicate::str::contains("exec")));
}

#[test]
fn pools_of_host_scripts_cap_each_jobs_memory() {
    let (_dir, path) = script(
        r#"
        let pool = new_runspace_pool(#{ threads: 2, max_memory: "16MiB" });
        new_runspace_job(pool, "if item == 0 { let s = \"x\"; loop { s += s; } } item", 0..4);
        let records = receive_runspace_job(pool, #{ wait: true });
        let bomb = records[0];
        if bomb.status != "failed" { throw `bomb: ${bomb.status}` }
        if !bomb.error.message.contains("memory cap of 16 MiB") { throw bomb.error.message }
        if records.filter(|r| r.status == "completed").len() != 3 { throw "others failed" }
        print("capped");
        "#,
    );
    rsparallel()
        .args(["exec", &path])
        .assert()
        .success()
        .stdout(predicate::str::contains("capped"));
}

#[test]
fn the_environment_chooses_the_vm_of_pools_that_do_not() {
    let (_dir, path) = script(
        "print(new_runspace_pool(#{ threads: 1 }).status().vm);\n\
         print(new_runspace_pool(#{ threads: 1, vm: \"grain\" }).status().vm);",
    );
    rsparallel()
        .args(["exec", &path])
        .env_remove("RSPARALLEL_VM")
        .assert()
        .success()
        .stdout("tree\ngrain\n");
    rsparallel()
        .args(["exec", &path])
        .env("RSPARALLEL_VM", "auto")
        .assert()
        .success()
        .stdout("auto\ngrain\n");
    // A name it does not know is an error, naming the variable, not a silent default.
    rsparallel()
        .args(["run", "--range", "0..1", "-e", "item"])
        .env("RSPARALLEL_VM", "fast")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "RSPARALLEL_VM: unknown vm 'fast' (known: auto, tree, grain)",
        ));
    // `--vm` wins over it.
    rsparallel()
        .args(["run", "--vm", "tree", "--range", "0..1", "-e", "item"])
        .env("RSPARALLEL_VM", "fast")
        .assert()
        .success()
        .stdout("0\n");
}

#[test]
fn a_wait_too_long_for_the_clock_waits_for_the_jobs() {
    // Once, this panicked: the deadline overflowed the clock.
    let (_dir, path) = script(
        r#"
        let pool = new_runspace_pool(#{ threads: 1, timeout: "500000000000y" });
        new_runspace_job(pool, "item * 2", [1, 2]);
        let records = receive_runspace_job(pool, #{ wait: "500000000000y" });
        print(records.map(|r| r.output[0]));
        "#,
    );
    rsparallel()
        .args(["exec", &path])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success()
        .stdout("[2, 4]\n");
}

#[test]
fn a_driver_sets_its_exit_status_with_exit() {
    let (_dir, path) = script(
        r#"
        let pool = new_runspace_pool(#{ threads: 1 });
        let records = receive_runspace_job(pool, #{ batch: new_runspace_job(pool, "item", [1]), wait: true });
        try { exit(records.len() + 6); } catch { print("caught"); }
        print("not reached");
        "#,
    );
    rsparallel()
        .args(["exec", &path])
        .assert()
        .code(7)
        .stdout(predicate::str::contains("reached").not());
    let (_dir, path) = script(r#"exit("no input files")"#);
    rsparallel()
        .args(["exec", &path])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no input files"));
    let (_dir, path) = script("exit()");
    rsparallel().args(["exec", &path]).assert().success();
}

#[test]
fn an_interrupted_driver_says_its_jobs_were_cancelled_and_exits_130() {
    let (_dir, path) = script(
        r#"
        let pool = new_runspace_pool(#{ threads: 1 });
        let batch = new_runspace_job(pool, "loop {}", [1]);
        print("started");
        receive_runspace_job(pool, #{ wait: true });
        "#,
    );
    let (output, _) = common::interrupt_once_started(&["exec".as_ref(), path.as_ref()]);
    assert_eq!(output.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("interrupted; its pools have shut down"),
        "{stderr}"
    );
    assert!(!stderr.contains("go on"), "{stderr}");
}
