//! `run_process`: granted by `--allow-run` by name or path, never through a shell; stdin, env
//! and cwd; output captured and exit codes as values; and every call bounded by its job — a
//! timeout or a cancel kills the program's whole group, output past the memory cap fails the
//! job before it is all read. Only programs of a Debian base system are run.
#![cfg(feature = "capabilities")]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;

use assert_cmd::Command;
use common::procs::{eventually, processes, which};
use predicates::prelude::*;
use rsparallel::capabilities::{Capability, Permissions};
use rsparallel::rhai::{Dynamic, Map};
use rsparallel::{JobRecord, JobStatus, RunspacePool};

fn pool(permissions: Permissions, timeout: Option<Duration>) -> RunspacePool {
    let mut builder = RunspacePool::builder().threads(1).permissions(permissions);
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().unwrap()
}

fn run_one(pool: &RunspacePool, source: &str, item: impl Into<Dynamic>) -> JobRecord {
    let script = pool.compile(source).unwrap();
    pool.run(&script, [item.into()]).unwrap().next().unwrap()
}

/// The value a completed job returned.
fn value(record: JobRecord) -> Dynamic {
    assert_eq!(record.status, JobStatus::Completed, "{:?}", record.error);
    record.output.into_vec().remove(0)
}

fn field(record: JobRecord, name: &str) -> Dynamic {
    value(record).cast::<Map>()[name].clone()
}

fn error(record: JobRecord) -> String {
    assert_eq!(record.status, JobStatus::Failed, "{:?}", record.output);
    record.error.unwrap().message
}

fn allow_run(programs: &str) -> Permissions {
    Permissions::none().allow(Capability::Run, Some(programs))
}

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_program_is_granted_by_name_or_path_and_its_args_never_meet_a_shell() {
    let echo = which("echo");
    let echo = echo.to_str().unwrap();
    let by_name = pool(allow_run("echo"), None);
    let literal = r#"run_process("echo", ["$(id)", "a;b", "*", "$HOME"]).stdout"#;
    let stdout = value(run_one(&by_name, literal, 0_i64));
    assert_eq!(stdout.to_string(), "$(id) a;b * $HOME\n");
    // The name grants the file it leads to, and a path grants the name that leads to it.
    let by_path = format!(r#"run_process({echo:?}, ["x"]).stdout"#);
    assert_eq!(value(run_one(&by_name, &by_path, 0_i64)).to_string(), "x\n");
    let granted_path = pool(allow_run(echo), None);
    let by_name_source = r#"run_process("echo", ["y"]).code"#;
    assert_eq!(
        value(run_one(&granted_path, by_name_source, 0_i64)).as_int(),
        Ok(0)
    );

    // Another program, or a file of the same name elsewhere, is refused and the flag named.
    let message = error(run_one(&by_name, r#"run_process("cat", [])"#, 0_i64));
    assert!(
        message.contains(r#"run access to "cat" is not granted (--allow-run=cat)"#),
        "{message}"
    );
    let dir = tempfile::tempdir().unwrap();
    executable(&dir.path().join("echo"), "#!/bin/sh\necho fake\n");
    let options = format!(r#"#{{ cwd: {:?} }}"#, dir.path().to_str().unwrap());
    let elsewhere = format!(r#"run_process("./echo", [], {options})"#);
    let message = error(run_one(&by_name, &elsewhere, 0_i64));
    assert!(message.contains("--allow-run=./echo"), "{message}");
    // The program is looked up in rsparallel's own PATH, not in the one a script passes.
    let path_option = format!(
        r#"run_process("echo", ["real"], #{{ env: #{{ PATH: {:?} }} }}).stdout"#,
        dir.path().to_str().unwrap()
    );
    let path_granted = pool(allow_run("echo").allow(Capability::Env, Some("PATH")), None);
    assert_eq!(
        value(run_one(&path_granted, &path_option, 0_i64)).to_string(),
        "real\n"
    );

    let everything = pool(Permissions::none().allow(Capability::Run, None), None);
    let missing = r#"run_process("rsparallel-surely-no-such-program", [])"#;
    let message = error(run_one(&everything, missing, 0_i64));
    assert!(
        message.contains(r#"run_process: program "rsparallel-surely-no-such-program" not found"#),
        "{message}"
    );
    let message = error(run_one(
        &everything,
        r#"run_process("true", [], #{ stdn: "" })"#,
        0,
    ));
    assert!(message.contains("unknown option stdn"), "{message}");
}

#[test]
fn stdin_env_cwd_and_exit_codes() {
    let pool = pool(allow_run("cat,sh,true,false"), None);
    let cat = r#"run_process("cat", [], #{ stdin: "line " + item }).stdout"#;
    assert_eq!(value(run_one(&pool, cat, 7_i64)).to_string(), "line 7");
    // A megabyte in and out at once: the writer thread keeps the two pipes from deadlocking.
    let round_trip = r#"run_process("cat", [], #{ stdin: blob(1000000, 65) }).stdout.len()"#;
    assert_eq!(
        value(run_one(&pool, round_trip, 0_i64)).as_int(),
        Ok(1_000_000)
    );
    // A program that never reads its input still ends the call.
    let unread = r#"run_process("true", [], #{ stdin: blob(10000000) }).code"#;
    assert_eq!(value(run_one(&pool, unread, 0_i64)).as_int(), Ok(0));
    let not_utf8 = r#"run_process("cat", [], #{ stdin: blob(2, 0xff) }).stdout"#;
    assert_eq!(
        value(run_one(&pool, not_utf8, 0_i64)).to_string(),
        "\u{FFFD}\u{FFFD}"
    );

    let env = r#"run_process("sh", ["-c", "echo $RSP_A $RSP_B >&2"], #{ env: #{ RSP_A: "a", RSP_B: 2 } })"#;
    let granted = Permissions::none()
        .allow(Capability::Run, Some("sh"))
        .allow(Capability::Env, Some("RSP_A,RSP_B"));
    let record = run_one(&self::pool(granted, None), env, 0_i64);
    assert_eq!(field(record, "stderr").to_string(), "a 2\n");
    let dir = tempfile::tempdir().unwrap();
    let cwd = format!(
        r#"run_process("sh", ["-c", "pwd"], #{{ cwd: {:?} }}).stdout"#,
        dir.path().to_str().unwrap()
    );
    let expected = format!("{}\n", dir.path().canonicalize().unwrap().display());
    assert_eq!(value(run_one(&pool, &cwd, 0_i64)).to_string(), expected);

    // A non-zero exit is a value; a program killed by a signal has minus its number.
    assert_eq!(
        field(run_one(&pool, r#"run_process("false", [])"#, 0), "code").as_int(),
        Ok(1)
    );
    let exit_3 = r#"run_process("sh", ["-c", "echo out; exit 3"])"#;
    let result = value(run_one(&pool, exit_3, 0_i64)).cast::<Map>();
    assert_eq!(result["code"].as_int(), Ok(3));
    assert_eq!(result["stdout"].to_string(), "out\n");
    let killed = r#"run_process("sh", ["-c", "kill -9 $$"]).code"#;
    assert_eq!(value(run_one(&pool, killed, 0_i64)).as_int(), Ok(-9));
}

#[test]
fn a_timeout_kills_the_whole_group_even_what_ignores_sigterm() {
    let timeout = Duration::from_millis(500);
    let pool = pool(allow_run("sh"), Some(timeout));
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids");
    // The shell ignores SIGTERM and waits on a grandchild; it writes its group and the
    // grandchild's pid for the test to look for.
    let source = r#"run_process("sh", ["-c", "trap '' TERM; sleep 32.5 & echo $$ $! > \"$1\"; wait", "sh", item])"#;
    let start = Instant::now();
    let record = run_one(&pool, source, ids.to_str().unwrap());
    let took = start.elapsed();
    assert_eq!(record.status, JobStatus::TimedOut, "{:?}", record.error);
    assert!(took < timeout + Duration::from_secs(2), "took {took:?}");

    let ids = std::fs::read_to_string(&ids).expect("the shell ran");
    let ids: Vec<u32> = ids
        .split_whitespace()
        .map(|id| id.parse().unwrap())
        .collect();
    let (group, sleep) = (ids[0], ids[1]);
    let gone = eventually(Duration::from_secs(2), || {
        !processes()
            .iter()
            .any(|(pid, pgid, _)| *pgid == group || *pid == sleep)
    });
    assert!(gone, "a process of group {group} outlived its job");
}

#[test]
fn a_cancelled_run_kills_its_running_program() {
    let pool = pool(allow_run("sleep"), None);
    let script = pool.compile(r#"run_process("sleep", ["31.25"])"#).unwrap();
    let ours = |args: &Vec<String>| args.len() == 2 && args[1] == "31.25";
    let mut run = pool.run(&script, [0_i64]).unwrap();
    let canceller = run.canceller();
    let cancelled_at = std::thread::spawn(move || {
        let started = eventually(Duration::from_secs(20), || {
            processes().iter().any(|(_, _, args)| ours(args))
        });
        assert!(started, "the sleep never started");
        canceller.cancel();
        Instant::now()
    });
    let record = run.next().unwrap();
    let cancelled_at = cancelled_at.join().unwrap();
    assert_eq!(record.status, JobStatus::Cancelled, "{:?}", record.error);
    assert!(cancelled_at.elapsed() < Duration::from_secs(3));
    let gone = eventually(Duration::from_secs(2), || {
        !processes().iter().any(|(_, _, args)| ours(args))
    });
    assert!(gone, "the sleep outlived its cancelled job");
}

#[test]
fn output_past_the_memory_cap_fails_the_job_before_it_is_all_read() {
    let start = Instant::now();
    let output = Command::cargo_bin("rsparallel")
        .unwrap()
        .args(["run", "--allow-run=head", "--max-memory", "16MiB", "-e"])
        .arg(r#"run_process("head", ["-c", "100000000", "/dev/zero"]).stdout.len()"#)
        .args(["--range", "0..1", "--output", "jsonl"])
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["status"], "failed");
    assert_eq!(record["error"]["kind"], "memory_cap", "{record}");

    // The peak RSS, read once the failed job's record is out, while a second job sleeps.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rsparallel"))
        .args([
            "run",
            "--allow-run=head",
            "--max-memory",
            "16MiB",
            "-j",
            "2",
            "-e",
        ])
        .arg(
            r#"if item == 0 { run_process("head", ["-c", "100000000", "/dev/zero"]) }
               else { sleep(3000) }"#,
        )
        .args(["--range", "0..2", "--output", "jsonl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kib = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if line.unwrap().starts_with(r#"{"seq":0,"#) {
            let status = std::fs::read_to_string(&status).unwrap();
            let hwm = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
            peak_kib = hwm
                .split_whitespace()
                .nth(1)
                .map(|kib| kib.parse::<u64>().unwrap());
        }
    }
    child.wait().unwrap();
    let peak_kib = peak_kib.expect("a record for the first job");
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
}

#[test]
fn the_command_line_grants_programs_with_allow_run() {
    Command::cargo_bin("rsparallel")
        .unwrap()
        .args(["run", "--allow-run=echo", "-e"])
        .arg(r#"run_process("echo", ["-n", item]).stdout"#)
        .args(["--range", "0..2", "-k"])
        .assert()
        .success()
        .stdout("0\n1\n");
    Command::cargo_bin("rsparallel")
        .unwrap()
        .args(["run", "--allow-run=echo", "-e", r#"run_process("sh", [])"#])
        .args(["--range", "0..1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            r#"run access to "sh" is not granted (--allow-run=sh)"#,
        ));
}

#[test]
fn the_dynamic_loaders_variables_are_refused() {
    // Else a grant to run `true` would be a grant to run any code the script can name.
    let pool = pool(
        Permissions::none().allow(Capability::Run, Some("true")),
        None,
    );
    for name in [
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "DYLD_INSERT_LIBRARIES",
    ] {
        let script = format!(r#"run_process("true", [], #{{ env: #{{ {name}: "/x.so" }} }})"#);
        let record = run_one(&pool, &script, 0_i64);
        assert_eq!(record.status, JobStatus::Failed, "{name}");
        let message = &record.error.unwrap().message;
        assert!(
            message.contains(&format!("env {name} is refused")),
            "{message}"
        );
    }
    // Other variables pass, where `--allow-env` grants them.
    let pool = self::pool(
        Permissions::none()
            .allow(Capability::Run, Some("true"))
            .allow(Capability::Env, Some("LANG")),
        None,
    );
    let record = run_one(
        &pool,
        r#"run_process("true", [], #{ env: #{ LANG: "C" } }).code"#,
        0_i64,
    );
    assert!(record.is_completed(), "{:?}", record.error);
}

#[test]
fn a_program_granted_by_a_relative_path_is_that_file_whatever_the_cwd() {
    let dir = tempfile::tempdir().unwrap();
    for (folder, says) in [("bin", "granted"), ("other/bin", "other")] {
        let bin = dir.path().join(folder);
        std::fs::create_dir_all(&bin).unwrap();
        let tool = bin.join("tool");
        std::fs::write(&tool, format!("#!/bin/sh\necho {says}\n")).unwrap();
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let script = r#"run_process("bin/tool", [], #{ cwd: item }).stdout"#;
    let output = Command::cargo_bin("rsparallel")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "run",
            "-k",
            "--allow-run=bin/tool",
            "-e",
            script,
            ".",
            "other",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "granted\n\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#"run access to "bin/tool" is not granted"#),
        "{stderr}"
    );
}

#[test]
fn a_script_sets_only_the_variables_it_is_granted() {
    // Given any variable the script names, a granted program can be made to run other code:
    // `BASH_ENV` for a program that runs bash, `GCONV_PATH` for iconv.
    let sets = r#"run_process("printenv", ["BASH_ENV"], #{ env: #{ BASH_ENV: "/x" } }).stdout"#;
    let run = || Permissions::none().allow(Capability::Run, Some("printenv"));
    let message = error(run_one(&pool(run(), None), sets, 0_i64));
    assert!(message.contains("--allow-env=BASH_ENV"), "{message}");
    let other = pool(run().allow(Capability::Env, Some("LANG")), None);
    let message = error(run_one(&other, sets, 0_i64));
    assert!(message.contains("--allow-env=BASH_ENV"), "{message}");
    let granted = pool(run().allow(Capability::Env, Some("BASH_ENV")), None);
    assert_eq!(value(run_one(&granted, sets, 0_i64)).to_string(), "/x\n");
    // One known to load code, only where the flag names it, not with `--allow-env` alone.
    let everything = pool(run().allow(Capability::Env, None), None);
    let message = error(run_one(&everything, sets, 0_i64));
    assert!(message.contains("--allow-env=BASH_ENV"), "{message}");
    let lang = r#"run_process("printenv", ["LANG"], #{ env: #{ LANG: "C" } }).stdout"#;
    assert_eq!(value(run_one(&everything, lang, 0_i64)).to_string(), "C\n");
}
