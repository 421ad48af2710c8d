//! The REPL as a session that keeps the user's work, driven in a pseudo-terminal: lines typed
//! ahead all run, a rebound pool shuts down, Ctrl-C never ends the session, `exit(status)`
//! leaves with that status, and a back-tick string may span lines.

use std::process::Command;
use std::time::{Duration, Instant};

use rexpect::session::PtySession;

const PROMPT: &str = "rsparallel> ";

fn start(home: &tempfile::TempDir) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rsparallel"));
    command
        .arg("repl")
        .env("TERM", "xterm")
        .env("RSPARALLEL_HISTORY", home.path().join("history"));
    let mut session = rexpect::session::spawn_command(command, Some(60_000)).unwrap();
    session.exp_string(PROMPT).unwrap();
    session
}

/// Waits for the REPL to end and checks its exit status.
fn assert_exited(repl: &PtySession, code: i32) {
    let status = repl.process().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, c) if c == code),
        "{status:?}"
    );
}

/// The threads of the REPL process started with `home`, found in /proc by its environment.
fn threads(home: &tempfile::TempDir) -> usize {
    let mark = format!(
        "RSPARALLEL_HISTORY={}",
        home.path().join("history").display()
    );
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ.split(|b| *b == 0).any(|var| var == mark.as_bytes()) {
            return std::fs::read_dir(entry.path().join("task"))
                .unwrap()
                .count();
        }
    }
    panic!("no process with {mark}")
}

#[test]
fn lines_typed_during_a_blocking_call_all_run_in_order() {
    let home = tempfile::tempdir().unwrap();
    let mut repl = start(&home);
    // Three lines typed while the first one sleeps, each before the prompt is back.
    repl.send_line("sleep(1500); `slept`.to_upper()").unwrap();
    repl.exp_string("\"SLEPT\"").ok();
    for n in 1..=3 {
        repl.send_line(&format!("print(`typed ahead ` + {n} * 111)"))
            .unwrap();
    }
    for n in 1..=3 {
        repl.exp_string(&format!("typed ahead {}", n * 111))
            .unwrap();
    }
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("exit").unwrap();
    repl.exp_eof().unwrap();
    let history = std::fs::read_to_string(home.path().join("history")).unwrap();
    assert!(
        history.contains("print(`typed ahead ` + 3 * 111)"),
        "{history}"
    );
}

#[test]
fn a_pool_rebound_with_let_shuts_down_and_its_threads_end() {
    let home = tempfile::tempdir().unwrap();
    let mut repl = start(&home);
    repl.send_line("let pool = new_runspace_pool(#{ threads: 8 });")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(r#"new_runspace_job(pool, "loop {}", 0..8);"#)
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    let with_two = threads(&home);
    repl.send_line("let pool = new_runspace_pool(#{ threads: 1 });")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    // The first pool's eight workers (each in a runaway job) end; nothing else refers to it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while threads(&home) + 8 > with_two + 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        threads(&home) + 8 <= with_two + 1,
        "{} threads with two pools, {} after rebinding",
        with_two,
        threads(&home)
    );
    repl.send_line("exit").unwrap();
    repl.exp_eof().unwrap();
}

#[test]
fn ctrl_c_twice_during_a_receive_keeps_the_session() {
    let home = tempfile::tempdir().unwrap();
    let mut repl = start(&home);
    repl.send_line("let p = new_runspace_pool(#{threads: 2});")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(r#"let job = "print(`job ` + `started`); sleep(60000)";"#)
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("let b = new_runspace_job(p, job, [1]); receive_runspace_job(p, #{wait: true})")
        .unwrap();
    repl.exp_string("job started").unwrap();
    for _ in 0..3 {
        repl.send_control('c').unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }
    repl.exp_string("interrupted while waiting").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("p.stop(b); receive_runspace_job(p, #{wait: true})[0].status")
        .unwrap();
    repl.exp_string("\"cancelled\"").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("exit(7)").unwrap();
    repl.exp_eof().unwrap();
    assert_exited(&repl, 7);
}

#[test]
fn a_back_tick_string_continues_on_the_next_line() {
    let home = tempfile::tempdir().unwrap();
    let mut repl = start(&home);
    repl.send_line("let s = `first").unwrap();
    repl.send_line("second`; s.len()").unwrap();
    repl.exp_string("12").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(r#"exit("bye")"#).unwrap();
    repl.exp_string("bye").unwrap();
    repl.exp_eof().unwrap();
    assert_exited(&repl, 1);
}

#[test]
fn ctrl_c_while_received_records_are_used_gives_them_back_and_prompt_functions_serve_jobs() {
    let home = tempfile::tempdir().unwrap();
    let mut repl = start(&home);
    // A function defined at the prompt, called by a job script submitted afterwards.
    repl.send_line("fn triple(x) { x * 3 }").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("let p = new_runspace_pool(#{threads: 2});")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(r#"let b = new_runspace_job(p, "triple(item)", 0..50);"#)
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("wait_runspace_job(b).len()").unwrap();
    repl.exp_string("1\r\n").unwrap();
    repl.exp_string(PROMPT).unwrap();
    // Every record taken, then Ctrl-C while a slow filter goes over them.
    let text = "`filter` + `ing`";
    repl.send_line(&format!(
        "receive_runspace_job(b).filter(|r| {{ print({text}); sleep(50); true }}).len()"
    ))
    .unwrap();
    repl.exp_string("filtering").unwrap();
    repl.send_control('c').unwrap();
    repl.exp_string("50 records this input received are back in their batches")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("receive_runspace_job(b, #{outputs: true}).reduce(|s, x| s + x, 0)")
        .unwrap();
    // 3 * (0 + 1 + ... + 49)
    repl.exp_string("3675").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("exit").unwrap();
    repl.exp_eof().unwrap();
}

/// The resident memory of the REPL process started with `home`, in KiB.
fn rss_kib(home: &tempfile::TempDir) -> u64 {
    let mark = format!(
        "RSPARALLEL_HISTORY={}",
        home.path().join("history").display()
    );
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ.split(|b| *b == 0).any(|var| var == mark.as_bytes()) {
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap();
            let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
            return line.split_whitespace().nth(1).unwrap().parse().unwrap();
        }
    }
    panic!("no process with {mark}")
}

#[test]
fn a_whole_job_session_at_the_prompt() {
    let home = tempfile::tempdir().unwrap();
    let mut repl = start(&home);
    let enter = |repl: &mut PtySession, line: &str, expect: &str| {
        repl.send_line(line).unwrap();
        if let Err(err) = repl.exp_string(expect) {
            panic!("after {line:?}, expected {expect:?}: {err}");
        }
        repl.exp_string(PROMPT).unwrap();
    };
    // A pool far beyond the machine is a clear error, and the session goes on.
    enter(
        &mut repl,
        "new_runspace_pool(#{threads: 100000})",
        "more than a pool may have (4096)",
    );
    enter(
        &mut repl,
        "let pool = new_runspace_pool(#{threads: 2});",
        "",
    );
    enter(
        &mut repl,
        r#"let strict = new_runspace_pool(#{threads: 1, timeout: "100ms"});"#,
        "",
    );
    enter(&mut repl, "let n = 1_000_000_000_000;", "");
    enter(
        &mut repl,
        r#"let big = new_runspace_job(pool, "item", range(0, n), #{name: "big"});"#,
        "",
    );
    enter(
        &mut repl,
        r#"let stuck = new_runspace_job(strict, "loop {}", [1, 2]);"#,
        "",
    );
    enter(
        &mut repl,
        r#"let small = new_runspace_job(pool, "item * 2", 0..10);"#,
        "",
    );
    enter(
        &mut repl,
        "get_runspace_jobs().map(|j| j.name)",
        r#"["big", "item * 2", "loop {}"]"#,
    );
    enter(
        &mut repl,
        "wait_runspace_job([stuck, small], #{any: true}).len() > 0",
        "true",
    );
    enter(&mut repl, "stop_runspace_job(big)", "true");
    enter(&mut repl, "wait_runspace_job(big).len()", "1");
    enter(&mut repl, "remove_runspace_job(big)", "true");
    let rss = rss_kib(&home);
    assert!(
        rss < 50 * 1024,
        "{rss} KiB after stopping a batch over 10^12 items"
    );
    // The records have the fields of `rsparallel run --output jsonl`.
    enter(
        &mut repl,
        "let r = receive_runspace_job(small, #{wait: true});",
        "",
    );
    enter(
        &mut repl,
        "r.map(|r| r.output[0]).reduce(|s, x| s + x, 0)",
        "90",
    );
    enter(
        &mut repl,
        r#"let k = ["seq", "item", "status", "output", "error", "worker"];"#,
        "",
    );
    enter(
        &mut repl,
        r#"k += ["start", "end", "duration_ms", "attempts", "streams"];"#,
        "",
    );
    enter(&mut repl, "k.all(|key| r[0].contains(key))", "true");
    enter(
        &mut repl,
        "receive_runspace_job(stuck, #{wait: true}).map(|r| r.status)",
        r#"["timed_out", "timed_out"]"#,
    );
    // Rebinding a pool shuts the old one down, and its batch leaves the list.
    enter(
        &mut repl,
        r#"new_runspace_job(strict, "loop {}", [3], #{name: "left", timeout: "1h"});"#,
        "",
    );
    enter(
        &mut repl,
        "let strict = new_runspace_pool(#{threads: 1});",
        "",
    );
    enter(&mut repl, "get_runspace_jobs().len()", "0");
    // A multi-line function.
    repl.send_line("fn add(a, b) {").unwrap();
    repl.send_line("  a + b").unwrap();
    repl.send_line("}").unwrap();
    repl.exp_string(PROMPT).unwrap();
    enter(&mut repl, "add(40, 2)", "42");
    enter(&mut repl, "help get_runspace_jobs", "Get-Job");
    repl.send_line("exit").unwrap();
    repl.exp_eof().unwrap();
}
