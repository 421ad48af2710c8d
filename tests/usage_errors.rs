//! Command lines refused before a run starts, with exit 2 and a message naming the cause: flags
//! that mean nothing together, zero or malformed limits, job variable names, missing or
//! unreadable scripts, an input folder, absurd thread counts.

mod common;

use std::time::Duration;

use common::rsparallel;
use predicates::prelude::*;

#[test]
fn flags_that_mean_nothing_together_are_refused_naming_both() {
    let cases: [(&[&str], [&str; 2]); 6] = [
        (
            &["--range", "0..3", "--format", "jsonl"],
            ["--format", "--range"],
        ),
        (
            &["--range", "0..3", "--format", "lines"],
            ["--format", "--range"],
        ),
        (&["--range", "0..3", "--input", "x"], ["--input", "--range"]),
        (&["--range", "0..3", "--resume"], ["--resume", "--joblog"]),
        (
            &[
                "--range",
                "0..3",
                "--joblog",
                "j",
                "--resume",
                "--resume-failed",
            ],
            ["--resume", "--resume-failed"],
        ),
        (
            &["--range", "0..3", "--retry-on", "failed"],
            ["--retry-on", "--retries"],
        ),
    ];
    for (flags, [a, b]) in cases {
        let out = rsparallel()
            .args(["run", "-e", "item"])
            .args(flags)
            .assert()
            .code(2)
            .stdout("");
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains(a) && stderr.contains(b),
            "{flags:?}: {stderr}"
        );
    }
    rsparallel()
        .args(["run", "-e", "item", "--range", "0..3", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "ITEM arguments and --range cannot be used together",
        ));
}

#[test]
fn zero_timeouts_and_caps_are_refused() {
    for flags in [
        ["--timeout", "0"],
        ["--timeout", "0s"],
        ["--total-timeout", "0ms"],
        ["--max-memory", "0"],
        ["--max-memory", "0B"],
    ] {
        let out = rsparallel()
            .args(["run", "-e", "item", "x"])
            .args(flags)
            .assert()
            .code(2)
            .stdout("");
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains(flags[0]), "{flags:?}: {stderr}");
    }
    rsparallel()
        .args([
            "run",
            "-e",
            "item",
            "x",
            "--max-memory",
            "none",
            "--timeout",
            "1ms",
        ])
        .assert()
        .code(predicate::in_iter([0, 1]));
}

#[test]
fn job_variable_names_cannot_be_injected() {
    for name in ["item", "seq", "attempt"] {
        rsparallel()
            .args(["run", "-e", "attempt", "--var", &format!("{name}=7"), "x"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "'{name}' is set by rsparallel"
            )));
        let built = rsparallel::RunspacePool::builder()
            .threads(1)
            .variable(name, 7_i64)
            .build();
        let err = built
            .err()
            .expect("a pool variable named like a job variable");
        assert!(err.to_string().contains(&format!("'{name}'")), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.json");
    std::fs::write(&vars, r#"{"attempt": 3}"#).unwrap();
    rsparallel()
        .args(["run", "-e", "attempt", "x", "--vars"])
        .arg(&vars)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'attempt' is set by rsparallel"));
}

#[test]
fn a_missing_script_is_named_once() {
    let out = rsparallel()
        .args(["run", "no-such-script.rhai", "x"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("no-such-script.rhai"), "{stderr}");
}

#[test]
fn unreadable_scripts_and_bad_flags_exit_2_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    rsparallel()
        .arg("run")
        .arg(dir.path())
        .arg("1")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(dir.path().display().to_string()));
    rsparallel()
        .args(["run", "-e", "item", "1", "--max-memory", "lots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-memory"));
    rsparallel()
        .args(["run", "-e", "item", "1", "--functions", "no-such-lib.rhai"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-lib.rhai"));
}

#[test]
fn an_input_folder_and_absurd_thread_counts_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let folder = rsparallel()
        .args(["run", "-e", "item", "--input"])
        .arg(dir.path())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(folder.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&folder.stderr).contains("is a folder"));
    let threads = rsparallel()
        .args(["run", "-e", "item", "-j", "100000000", "x"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(threads.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&threads.stderr).contains("more than a pool may have"));
    assert!(threads.stdout.is_empty());
}

#[test]
fn a_permission_flag_with_an_empty_value_grants_nothing_and_is_refused() {
    // `--allow-read=$DIRS` with `DIRS` empty must not read as `--allow-read`, everything.
    for flag in ["read", "write", "net", "run", "env"] {
        for value in ["", ",", " , "] {
            let flag = format!("--allow-{flag}={value}");
            for args in [["run", "-e", "1"], ["exec", "driver.rhai", "x"]] {
                rsparallel()
                    .args([args[0], flag.as_str(), args[1], args[2]])
                    .timeout(Duration::from_secs(30))
                    .assert()
                    .code(2)
                    .stdout("")
                    .stderr(predicate::str::contains("names nothing"));
            }
        }
    }
    // A network entry that no host can match granted nothing, silently; it is refused, by
    // the flag and by a host script's pool option alike.
    for (value, why) in [
        (":", "names no host"),
        ("*", "a wildcard matches no host"),
        ("example.com:http", "the port must be a number"),
        ("https://example.com", "not a URL"),
        ("127.0.0.1,:80", "names no host"),
    ] {
        let flag = format!("--allow-net={value}");
        rsparallel()
            .args(["run", flag.as_str(), "-e", "1", "x"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(why));
        let pool = format!("new_runspace_pool(#{{ allow: #{{ net: {value:?} }} }})");
        common::exec_driver_with(&["--allow-net"], &pool)
            .code(1)
            .stderr(predicate::str::contains(why));
    }
    rsparallel()
        .args([
            "run",
            "--allow-net=127.0.0.1:8080,[::1]:9000,example.com",
            "-e",
            "1",
            "x",
        ])
        .assert()
        .success();
    rsparallel()
        .args([
            "run",
            "--allow-env=HOME",
            "-e",
            "env(\"HOME\").len() > 0",
            "x",
        ])
        .assert()
        .success()
        .stdout("true\n");
}
