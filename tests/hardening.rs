//! Hostile scripts, bad input, faults and signals: a clear message, one record per item, and
//! the run goes on or ends cleanly.

mod common;

use std::io::Write;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{jsonl, jsonl_records, rsparallel};
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
fn scripts_cannot_reach_files_processes_or_the_environment() {
    // Each attempt fails its one job, and for the reason given: a refused import, not some
    // other failure that would hide a sandbox letting it through.
    let plain = "must be a plain relative name (no '..', no absolute path)";
    let attempts = [
        (r#"import "/etc/passwd" as p;"#, plain),
        (r#"import "../../etc/passwd" as p;"#, plain),
        (
            r#"read_file("/etc/passwd")"#,
            "Function not found: read_file",
        ),
        (r#"open("/etc/passwd")"#, "Function not found: open"),
        (r#"File::open("/etc/passwd")"#, "Module not found: File"),
        (r#"fs::read("/etc/passwd")"#, "Module not found: fs"),
        (r#"system("cat /etc/passwd")"#, "Function not found: system"),
        (r#"exec("cat /etc/passwd")"#, "Function not found: exec"),
        (r#"env("HOME")"#, "Function not found: env"),
        (r#"getenv("HOME")"#, "Function not found: getenv"),
        (r#"eval("import \"/etc/passwd\" as p;")"#, plain),
    ];
    for (attempt, why) in attempts {
        let output = rsparallel()
            .args(["run", "-e", attempt, "--output", "jsonl", "1"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(!stdout.contains("root:"), "{attempt} read a file: {stdout}");
        assert_eq!(output.status.code(), Some(1), "{attempt}: {stdout}");
        let records = jsonl(&output.stdout);
        assert_eq!(records.len(), 1, "{attempt}: {stdout}");
        assert_eq!(records[0]["status"], "failed", "{attempt}: {stdout}");
        let message = records[0]["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{attempt}: {message}");
    }
}

/// Runs the script file `script` over one item and returns its record.
fn run_script_file(script: &std::path::Path, extra: &[&std::ffi::OsStr]) -> serde_json::Value {
    let output = rsparallel()
        .arg("run")
        .arg(script)
        .args(extra)
        .args(["--output", "jsonl", "1"])
        .output()
        .unwrap();
    let records = jsonl(&output.stdout);
    assert_eq!(records.len(), 1, "{}: {records:?}", script.display());
    let expected = if records[0]["status"] == "completed" {
        0
    } else {
        1
    };
    assert_eq!(output.status.code(), Some(expected), "{records:?}");
    records.into_iter().next().unwrap()
}

#[test]
fn the_import_sandbox_loads_the_module_folders_and_refuses_every_way_out() {
    // mods/ holds the script and its modules; outside/ holds a module a script must not reach,
    // and mods/ has a symbolic link to it.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let mods = base.join("mods");
    let outside = base.join("outside");
    let extra = base.join("extra");
    for folder in [&mods, &outside, &extra] {
        std::fs::create_dir(folder).unwrap();
    }
    std::fs::write(mods.join("helper.rhai"), "fn f() { \"helper\" }").unwrap();
    std::fs::create_dir(mods.join("sub")).unwrap();
    std::fs::write(mods.join("sub").join("deep.rhai"), "fn f() { \"deep\" }").unwrap();
    std::fs::create_dir(mods.join("folder.rhai")).unwrap();
    std::fs::write(outside.join("secret.rhai"), "fn f() { \"secret\" }").unwrap();
    std::fs::write(extra.join("lib.rhai"), "fn f() { \"lib\" }").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.rhai"), mods.join("link.rhai")).unwrap();
    std::os::unix::fs::symlink(&outside, mods.join("linked")).unwrap();

    let script = |name: &str, import: &str| {
        let path = mods.join(format!("{name}.rhai"));
        std::fs::write(&path, format!("import \"{import}\" as m; m::f()")).unwrap();
        path
    };
    let none: &[&std::ffi::OsStr] = &[];

    // Allowed: a module beside the script, one in a subfolder, one in a --module-path.
    for (import, value) in [("helper", "helper"), ("sub/deep", "deep")] {
        let record = run_script_file(&script("allowed", import), none);
        assert_eq!(record["status"], "completed", "{import}: {record}");
        assert_eq!(record["output"], serde_json::json!([value]), "{import}");
    }
    let with_path = [std::ffi::OsStr::new("--module-path"), extra.as_os_str()];
    let record = run_script_file(&script("from_path", "lib"), &with_path);
    assert_eq!(record["output"], serde_json::json!(["lib"]), "{record}");
    // Without --module-path, that folder is not searched.
    let record = run_script_file(&script("from_path", "lib"), none);
    assert_eq!(record["status"], "failed");
    assert_eq!(
        record["error"]["message"],
        "module 'lib' not found in the module folders"
    );

    // Refused by name: an absolute path or `..`, even one that leads back into the folder.
    let outside_secret = outside.join("secret").display().to_string();
    let inside_helper = mods.join("helper").display().to_string();
    for import in [
        "../outside/secret",
        "../mods/helper",
        "sub/../helper",
        "./helper",
        outside_secret.as_str(),
        inside_helper.as_str(),
    ] {
        let record = run_script_file(&script("refused", import), &with_path);
        assert_eq!(record["status"], "failed", "{import}: {record}");
        assert_eq!(
            record["error"]["message"],
            format!("module '{import}' must be a plain relative name (no '..', no absolute path)"),
            "{import}"
        );
        assert_eq!(record["error"]["line"], 1, "{import}");
    }

    // Refused where it leads: a symbolic link out of the folder, to a file or a folder; and a
    // folder is not a module.
    for import in ["link", "linked/secret", "folder"] {
        let record = run_script_file(&script("refused", import), &with_path);
        assert_eq!(record["status"], "failed", "{import}: {record}");
        assert_eq!(
            record["error"]["message"],
            format!("module '{import}' not found in the module folders"),
            "{import}"
        );
    }
}

#[test]
fn modules_load_from_the_script_folder_and_module_paths_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("helpers.rhai"), "fn double(x) { x * 2 }").unwrap();
    let script = dir.path().join("main.rhai");
    std::fs::write(
        &script,
        "import \"helpers\" as h; h::double(item.parse_int())",
    )
    .unwrap();
    rsparallel()
        .arg("run")
        .arg(&script)
        .arg("21")
        .assert()
        .success()
        .stdout("42\n");
    // With -e there is no script folder: only --module-path.
    let expr = "import \"helpers\" as h; h::double(2)";
    rsparallel()
        .args(["run", "-e", expr, "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("module-path"));
    rsparallel()
        .args(["run", "-e", expr, "1", "--module-path"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("4\n");
}

#[test]
fn bad_input_lines_fail_with_their_line_number_and_the_rest_is_processed() {
    let records = jsonl_records(
        rsparallel()
            .args(["run", "-e", "item.len()", "--output", "jsonl", "-k"])
            .write_stdin(&b"ok\n\xff\xfebad\nlast-without-newline"[..])
            .assert()
            .code(1),
    );
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["output"], serde_json::json!([2]));
    assert!(
        records[1]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("input line 2: invalid UTF-8")
    );
    assert_eq!(records[2]["output"], serde_json::json!([20]));

    let csv = "a,b\n1,2\n3\n4,5\n";
    let records = jsonl_records(
        rsparallel()
            .args([
                "run", "-e", "item.a", "--format", "csv", "--output", "jsonl", "-k",
            ])
            .write_stdin(csv)
            .assert()
            .code(1),
    );
    assert_eq!(records.len(), 3);
    assert_eq!(
        records[1]["error"]["message"],
        "input line 3: expected 2 CSV fields, found 1"
    );
    assert_eq!(records[2]["output"], serde_json::json!(["4"]));
}

#[test]
fn an_empty_input_runs_nothing_and_succeeds() {
    for format in ["lines", "jsonl", "csv"] {
        rsparallel()
            .args(["run", "-e", "item", "--format", format])
            .write_stdin("")
            .assert()
            .success()
            .stdout("");
    }
}

#[test]
fn a_fifty_megabyte_line_is_an_item_and_the_size_limit_holds() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.txt");
    let mut f = std::fs::File::create(&file).unwrap();
    f.write_all(b"small\n").unwrap();
    f.write_all(&vec![b'x'; 50_000_000]).unwrap();
    f.write_all(b"\nafter\n").unwrap();
    drop(f);
    rsparallel()
        .args(["run", "-e", "item.len()", "-k", "--input"])
        .arg(&file)
        .assert()
        .success()
        .stdout("5\n50000000\n5\n");
    rsparallel()
        .args([
            "run",
            "-e",
            "item.len()",
            "-k",
            "--max-item-size",
            "1MiB",
            "--input",
        ])
        .arg(&file)
        .assert()
        .code(1)
        .stdout("5\n5\n")
        .stderr(predicate::str::contains("seq 1 (item \"xxxx"))
        .stderr(predicate::str::contains(
            "input line 2: item longer than the limit of 1 MiB",
        ));
}

#[test]
fn the_default_item_size_limit_is_64_mib() {
    // A line of exactly 64 MiB is an item; a line a little longer is refused, naming the limit.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for len in [64 << 20, (64 << 20) + 1024] {
        f.write_all(&vec![b'x'; len]).unwrap();
        f.write_all(b"\n").unwrap();
    }
    f.write_all(b"after\n").unwrap();
    drop(f);
    rsparallel()
        .args(["run", "-e", "item.len()", "-k", "--input"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(format!("{}\n5\n", 64 << 20))
        .stderr(predicate::str::contains(
            "input line 2: item longer than the limit of 64 MiB",
        ));
}

#[test]
fn the_default_memory_cap_is_1_gib() {
    let records = jsonl_records(
        rsparallel()
            .args(["run", "-e", "let s = \"x\"; loop { s += s; }", "1"])
            .args(["--output", "jsonl"])
            .assert()
            .code(1),
    );
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], "failed");
    assert_eq!(
        records[0]["error"]["message"],
        "exceeded the memory cap of 1 GiB (max-memory)"
    );
    // Just under the cap is allowed, just over is refused before it is allocated.
    rsparallel()
        .args(["run", "-e", "blob(1000 * 1024 * 1024).len()", "1"])
        .assert()
        .success()
        .stdout("1048576000\n");
    rsparallel()
        .args(["run", "-e", "blob(1024 * 1024 * 1024 + 1).len()", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "blob: a length of 1073741825 needs more memory than the job may have",
        ));
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
fn a_closed_stdout_ends_the_run_quietly() {
    // The reader takes one line and closes the pipe: the run stops at once, says nothing and
    // exits 0, long before its ten million items could be written.
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let mut child = StdCommand::new(bin)
        .args(["run", "-e", "item", "--range", "0..10000000", "-k"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert_eq!(first, "0\n");
    drop(stdout);
    let closed = Instant::now();
    let output = wait_at_most(child, Duration::from_secs(30), "after stdout closed");
    assert!(closed.elapsed() < Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.is_empty(), "stderr: {stderr}");
}

/// Waits for `child` to exit, killing it and failing the test after `limit`.
fn wait_at_most(
    mut child: std::process::Child,
    limit: Duration,
    what: &str,
) -> std::process::Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("still running {what}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_write_error_exits_2_with_a_message() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        return; // Not on this system.
    };
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let output = StdCommand::new(bin)
        .args(["run", "-e", "item", "--range", "0..100000"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot write output"), "{stderr}");
}

#[test]
fn values_with_no_json_form_fail_their_job_in_jsonl() {
    let records = jsonl_records(
        rsparallel()
            .args([
                "run",
                "-e",
                "if item == \"f\" { Fn(\"x\") } else { item }",
                "-k",
                "--output",
                "jsonl",
                "f",
                "g",
            ])
            .assert()
            .code(1),
    );
    assert_eq!(records[0]["status"], "failed");
    let message = records[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("cannot be written"), "{message}");
    assert_eq!(records[1]["status"], "completed");
}

#[test]
fn durations_too_long_for_the_clock_mean_no_limit() {
    // Once, `--timeout` killed every worker (the run waited for ever), `--total-timeout`
    // panicked, `sleep(1e300)` failed its job with a panic message, and an infinite sleep
    // returned at once.
    for flag in ["--timeout", "--total-timeout"] {
        rsparallel()
            .args(["run", "-e", "item", "a", "b", "-k", flag, "500000000000y"])
            .timeout(Duration::from_secs(20))
            .assert()
            .success()
            .stdout("a\nb\n");
    }
    let records = jsonl_records(
        rsparallel()
            .args([
                "run",
                "-e",
                "sleep(if item == \"a\" { 1e300 } else { 1e308 * 10.0 })",
            ])
            .args(["a", "b", "--timeout", "100ms", "--output", "jsonl"])
            .assert()
            .code(1),
    );
    assert_eq!(records.len(), 2);
    for record in &records {
        assert_eq!(record["status"], "timed_out", "{records:?}");
    }
}

fn interrupt_run(signal: &str) {
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let mut child = StdCommand::new(bin)
        .args([
            "run", "-e", "loop {}", "--range", "0..50", "-j", "2", "--output", "jsonl",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let sent = Instant::now();
    StdCommand::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let output = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "still running after {signal}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(output.status.code(), Some(130), "{signal}");
    let records = jsonl(&output.stdout);
    // At least the job each worker was running.
    assert!(records.len() >= 2, "{records:?}");
    let mut seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    seqs.sort();
    assert_eq!(
        seqs,
        (0..records.len() as u64).collect::<Vec<_>>(),
        "each item read has one record"
    );
    assert!(records.iter().all(|r| r["status"] == "cancelled"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cancelled"), "{stderr}");
}

#[test]
fn sigint_cancels_running_jobs_records_them_and_exits_130() {
    interrupt_run("-INT");
}

#[test]
fn sigterm_does_the_same() {
    interrupt_run("-TERM");
}

#[test]
fn a_second_sigint_exits_at_once() {
    // Output to a pipe nobody reads: after the first SIGINT the run cannot flush its output
    // and waits; the second exits at once, 130.
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let child = StdCommand::new(bin)
        .args(["run", "-e", "item", "--range", "0..100000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let mut child = child;
    let kill = || {
        StdCommand::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
    };
    // Until the pipe is full.
    std::thread::sleep(Duration::from_millis(500));
    kill();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first SIGINT waits for the output to be flushed"
    );
    kill();
    let sent = Instant::now();
    let output = wait_at_most(child, Duration::from_secs(10), "after a second SIGINT");
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(output.status.code(), Some(130));
}

#[test]
fn sigint_ends_a_run_waiting_on_silent_stdin() {
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let mut child = StdCommand::new(bin)
        .args(["run", "-e", "item", "--output", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"first\n").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let sent = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "still waiting on stdin"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(output.status.code(), Some(130));
    let records = jsonl(&output.stdout);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], "completed");
}
