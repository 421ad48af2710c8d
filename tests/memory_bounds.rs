//! Memory through the binary: the default 1 GiB cap per job, values and natives that would
//! multiply past a cap, and the process's own footprint, flat whatever the input's size and
//! whatever cycles the jobs leave.

mod common;

use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{assert_all_failed, jsonl_records, rsparallel, run_hostile};
use predicates::prelude::*;

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
fn values_sharing_one_string_cannot_expand_past_the_memory_cap() {
    // 100,000 references to one 1 MB string: 1 MB held, 100 GB to write.
    let build = r#"let s = "x"; s.pad(1000000, "x"); let a = []; a.pad(100000, s);"#;
    let forms = [
        "a",
        "emit(a); 1",
        "to_json(a).len()",
        "to_json(#{a: a}).len()",
        "a.to_string().len()",
        "`${a}`.len()",
        r#"("" + a).len()"#,
        "#{a: a}.to_string().len()",
    ];
    for form in forms {
        let script = format!("{build} {form}");
        let (code, records) = run_hostile(&script, &["x"], &["--max-memory", "256MiB"]);
        assert_eq!(code, 1, "{form}");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["status"], "failed", "{form}: {}", records[0]);
        let message = records[0]["error"]["message"].as_str().unwrap();
        assert!(message.contains("max-memory"), "{form}: {message}");
    }
}

/// Runs `rsparallel run -e SCRIPT --output jsonl` over one item with `flags` on `vm`, in an
/// address space of 4 GB (a regression that writes terabytes then fails to allocate instead
/// of taking the machine's memory), and gives back the one record's error kind; a process
/// ended by a signal fails the test.
fn error_kind_under_4_gb(script: &str, vm: &str, flags: &[&str]) -> String {
    let output = StdCommand::new("sh")
        .args(["-c", r#"ulimit -v 4000000 && exec "$0" "$@""#])
        .arg(common::bin())
        .args(["run", "-e", script, "--output", "jsonl", "1"])
        .args(flags)
        .env("RSPARALLEL_VM", vm)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{vm} {flags:?}: {stderr}");
    let records = common::jsonl(&output.stdout);
    assert_eq!(records.len(), 1, "{vm} {flags:?}: {stderr}");
    assert_eq!(records[0]["status"], "failed", "{vm} {flags:?}");
    records[0]["error"]["kind"].as_str().unwrap().to_string()
}

#[test]
fn a_job_stopped_where_rhai_calls_to_string_fails_instead_of_writing_its_value() {
    // 800,000 references to one 1 MB string: 13 MB held, 800 GB as text. Rhai's interpolation
    // and `+` call `to_string` through a path that counts an operation first, and took a stop
    // answered there for a failed call, their cue to write the value whole: the process died
    // asking for memory, at the cap the interpolation's copy passes (16 MiB), and at the
    // budget that runs out at that operation (22 on the tree walker, 2 on grain).
    let build = r#"let s = "x"; s.pad(1000000, "x"); let a = []; a.pad(800000, s);"#;
    let forms = [
        "`${a}`.len()",
        r#"("" + a).len()"#,
        "fn f(a) { `${a}` } f(a).len()",
        "eval(\"`${a}`\").len()",
    ];
    for vm in ["tree", "grain"] {
        for form in forms {
            let script = format!("{build} {form}");
            let kind = error_kind_under_4_gb(&script, vm, &["--max-memory", "16MiB"]);
            assert_eq!(kind, "memory_cap", "{vm}: {form}");
        }
        let script = format!("{build} {}", forms[0]);
        for budget in 1..=24 {
            let flags = ["--max-memory", "256MiB", "--max-ops", &budget.to_string()];
            let kind = error_kind_under_4_gb(&script, vm, &flags);
            assert!(
                ["ops_budget", "memory_cap"].contains(&kind.as_str()),
                "{kind}"
            );
        }
    }
}

#[test]
fn errors_and_stream_lines_quote_a_value_sharing_one_string_only_in_part() {
    // 100,000 references to one 1 MB string: 100 GB of text, which an error message or a
    // stream line once wrote whole (the process aborted).
    let build = r#"let s = "x"; s.pad(1000000, "x"); let a = []; a.pad(100000, s);"#;
    let (code, records) = run_hostile(&format!("{build} throw a;"), &["x"], &[]);
    assert_eq!(code, 1);
    let error = &records[0]["error"];
    assert_eq!(error["kind"], "thrown", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("[\"xxx") && message.ends_with('…'),
        "{message:.40}"
    );
    assert!(message.len() <= 64 * 1024 + 3, "{}", message.len());
    // The value itself is dropped from the record, as an output that large would be.
    assert!(error.get("thrown").is_none(), "{error:.200}");

    // `print` too, whose text Rhai writes for it; `()` last, so that no operation follows
    // (on grain, operations are counted on loops' jumps back).
    for form in [
        "warn(a)",
        "verbose(a)",
        "error(a)",
        "print(a)",
        "debug(a)",
        "print(a); ()",
    ] {
        let script = format!("{build} {form}; 1");
        let (code, records) = run_hostile(&script, &["x"], &["--max-memory", "256MiB"]);
        assert_eq!(code, 1, "{form}");
        assert_all_failed(&records, 1, "max-memory");
    }
}

#[test]
fn natives_that_multiply_their_input_stop_at_the_memory_cap() {
    let build = r#"let s = "x"; s.pad(2000000, "ab"); "#;
    for call in [
        r#"s.split("").len()"#,
        "s.to_chars().len()",
        r#"s.split("a").len()"#,
        r#"find_all(s, "a").len()"#,
        r#"split_regex(s, "b").len()"#,
    ] {
        let script = format!("{build}{call}");
        let (code, records) = run_hostile(&script, &["x"], &["--max-memory", "16MiB"]);
        assert_eq!(code, 1, "{call}");
        assert_all_failed(&records, 1, "memory cap of 16 MiB");
    }
}

/// Runs `rsparallel run -e item --input FILE` over `lines` lines, with `flags`, and returns
/// the process's peak resident memory in KiB.
fn peak_rss_kib(lines: u64, flags: &[&str]) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("items.txt");
    let text: String = (1..=lines).map(|i| format!("{i}\n")).collect();
    std::fs::write(&input, text).unwrap();
    let input = input.to_str().unwrap();
    let mut args = vec!["run", "-e", "item", "-j", "2", "--input", input];
    args.extend(flags);
    peak_rss_of_run(&args)
}

/// Runs `rsparallel ARGS` and returns its peak resident memory in KiB, read from `/proc`
/// while it runs.
fn peak_rss_of_run(args: &[&str]) -> u64 {
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let mut child = StdCommand::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        // `VmHWM` only grows: the last reading before the exit is the peak, near enough.
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the run hangs"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(child.wait().unwrap().success(), "{args:?}");
    assert!(peak > 0, "no reading of the run's memory");
    peak
}

#[test]
fn closures_that_capture_each_other_do_not_leak_across_jobs() {
    // Each job makes a cycle (a map holding a closure that captures the map) holding 100 KB:
    // 3,000 jobs leaked 300 MB before the cycles were broken after each job.
    let script = r#"let a = #{}; let f = || a.len(); a.f = f; let s = "x"; s.pad(100000, "y"); a.s = s; a.len()"#;
    let peak = peak_rss_of_run(&["run", "-e", script, "--range", "0..3000", "-j", "2"]);
    assert!(
        peak < 100 * 1024,
        "{peak} KiB after 3,000 jobs of 100 KB cycles"
    );
    // What a job returns out of such a cycle keeps its value.
    let output = rsparallel()
        .args([
            "run",
            "-e",
            "let a = #{n: 7}; let f = || a.n; a.f = f; emit(a.n); [f.call(), a.n]",
            "x",
        ])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "7\n[7,7]\n");
    // Breaking the cycles touches only what the jobs defined: an injected variable a closure
    // captured keeps its value for the worker's later jobs.
    let script = "let f = || base; let a = #{f: f}; a.g = || a.len(); let b = [a]; base";
    let output = rsparallel()
        .args([
            "run", "-j", "1", "--var", "base=10", "-e", script, "1", "2", "3",
        ])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "10\n10\n10\n");
}

#[test]
fn memory_does_not_follow_the_inputs_size() {
    // 100 times the lines, with and without the progress bar (which counts a file's lines):
    // the peak stays within 1.5 times the small run's. (`bench/flat_memory.sh` does the same
    // with 10 million lines on a release build.)
    for flags in [&["--no-progress"][..], &["--progress"][..]] {
        let small = peak_rss_kib(10_000, flags);
        let large = peak_rss_kib(1_000_000, flags);
        assert!(
            large * 2 <= small * 3,
            "{flags:?}: {large} KiB for 1,000,000 lines against {small} KiB for 10,000"
        );
    }
}
