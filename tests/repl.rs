//! The REPL driven in a pseudo-terminal, as its users drive it.

use std::process::Command;

use rexpect::session::PtySession;

const PROMPT: &str = "rsparallel> ";

/// A REPL in a pseudo-terminal, with a history file of its own.
struct Repl {
    session: PtySession,
    _home: tempfile::TempDir,
}

impl Repl {
    fn start() -> Repl {
        let home = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_rsparallel"));
        command
            .arg("repl")
            .env("TERM", "xterm")
            .env("RSPARALLEL_HISTORY", home.path().join("history"));
        // Generous: a slow machine must not fail the test, and a hang still ends it.
        let session = rexpect::session::spawn_command(command, Some(60_000)).unwrap();
        let mut repl = Repl {
            session,
            _home: home,
        };
        repl.session.exp_string(PROMPT).unwrap();
        repl
    }

    /// Enters a line and waits for the next prompt. The line editor redraws the prompt when a
    /// line wraps, so lines stay shorter than the terminal's 80 columns; and nothing is typed
    /// before the prompt is back, since the editor drops what it read past a line's end.
    fn enter(&mut self, line: &str) {
        assert!(PROMPT.len() + line.len() < 80, "line too long: {line}");
        self.session.send_line(line).unwrap();
        self.session.exp_string(PROMPT).unwrap();
    }

    /// Enters a line, waits until `expected` is shown, then for the next prompt.
    fn expect(&mut self, line: &str, expected: &str) {
        assert!(PROMPT.len() + line.len() < 80, "line too long: {line}");
        self.session.send_line(line).unwrap();
        if let Err(err) = self.session.exp_string(expected) {
            panic!("after {line:?}, expected {expected:?}: {err}");
        }
        self.session.exp_string(PROMPT).unwrap();
    }

    fn exit(mut self) {
        self.session.send_line("exit").unwrap();
        self.session.exp_eof().unwrap();
    }
}

#[test]
fn a_pool_runs_ten_thousand_items_and_a_timed_out_job_is_recorded() {
    let mut repl = Repl::start();
    repl.expect(
        r#"let pool = new_runspace_pool(#{threads: 2, timeout: "100ms"}); pool"#,
        "RunspacePool(threads: 2, timeout: 100ms)",
    );
    repl.enter(r#"let script = "if item == 4321 { loop {} } item * 2";"#);
    repl.expect(
        "let batch = new_runspace_job(pool, script, 0..10000); batch",
        "RunspaceJob(batch: 0",
    );
    repl.enter("let records = receive_runspace_job(pool, #{wait: true});");
    repl.expect("`received ${records.len()}`", r#""received 10000""#);
    repl.expect(
        r#"records.filter(|r| r.status == "completed").len()"#,
        "9999",
    );
    repl.expect(
        "records[4321]",
        r#"#{seq: 4321, batch: 0, item: 4321, status: "timed_out", output: [], error: #{"#,
    );
    repl.expect("records[9999].output", "[19998]");
    repl.enter("clear_runspace_jobs(pool);");
    repl.expect(
        "`left ${pool.status().unreceived} ${pool.jobs().len()}`",
        r#""left 0 0""#,
    );
    repl.exit();
}

#[test]
fn ctrl_c_stops_a_wait_and_the_pool_stays_usable() {
    let mut repl = Repl::start();
    repl.enter("let p = new_runspace_pool(#{threads: 2});");
    repl.enter("let w = #{wait: true};");
    // The text is assembled so that the echo of this line cannot match it.
    repl.enter(r#"let job = "print(`job ` + `started`); loop {}";"#);
    // The job announces itself once the line is being evaluated: only then is Ctrl-C a signal
    // rather than a key the line editor reads.
    repl.session
        .send_line("let s = new_runspace_job(p, job, [1]); receive_runspace_job(p, w)")
        .unwrap();
    repl.session.exp_string("job started").unwrap();
    repl.session.send_control('c').unwrap();
    repl.session
        .exp_string("interrupted while waiting")
        .unwrap();
    repl.session.exp_string(PROMPT).unwrap();
    repl.expect("p.stop(s)", "true");
    repl.expect("receive_runspace_job(p, w)[0].status", r#""cancelled""#);
    repl.enter(r#"new_runspace_job(p, "item + 1", [41]);"#);
    repl.expect("receive_runspace_job(p, w)[0].output", "[42]");
    repl.exit();
}

#[test]
fn ctrl_c_on_the_prompt_clears_the_line() {
    let mut repl = Repl::start();
    repl.session.send("let broken = ").unwrap();
    repl.session.send_control('c').unwrap();
    repl.session.exp_string(PROMPT).unwrap();
    repl.expect("40 + 2", "42");
    repl.exit();
}

#[test]
fn an_unfinished_expression_continues_on_the_next_line() {
    let mut repl = Repl::start();
    repl.session.send_line("let numbers = [10,").unwrap();
    repl.enter("20, 30];");
    repl.expect("`sum ${numbers.reduce(|a, b| a + b, 0)}`", r#""sum 60""#);
    repl.exit();
}

#[test]
fn errors_point_at_their_column_and_the_session_goes_on() {
    let mut repl = Repl::start();
    repl.session.send_line("let y = 1 + missing;").unwrap();
    repl.session
        .exp_string("error: Variable not found: missing")
        .unwrap();
    repl.session.exp_string("  let y = 1 + missing;").unwrap();
    repl.session.exp_string("\n              ^").unwrap();
    repl.session.exp_string(PROMPT).unwrap();
    repl.expect("`still ${1 + 1}`", r#""still 2""#);
    repl.exit();
}

#[test]
fn help_lists_the_host_api_and_ctrl_d_leaves() {
    let mut repl = Repl::start();
    repl.session.send_line("help").unwrap();
    for f in rsparallel::host::HOST_FUNCTIONS {
        repl.session
            .exp_string(&format!("{}{}", f.name, f.params))
            .unwrap();
    }
    repl.session.exp_string("help NAME").unwrap();
    repl.session.exp_string(PROMPT).unwrap();
    // One function in full, with its example.
    repl.expect("help sha256", r#"e.g. sha256("abc")"#);
    repl.session.send_control('d').unwrap();
    repl.session.exp_eof().unwrap();
}

#[test]
fn tab_completes_host_functions_and_variables() {
    let mut repl = Repl::start();
    repl.enter("let my_numbers = [1, 2, 3];");
    // One candidate each: Tab completes it in place, and the value shows it was the right one.
    repl.session.send("`count ${my_n").unwrap();
    repl.session.send("\t").unwrap();
    repl.expect(".len()}`", r#""count 3""#);
    repl.session.send("new_runspace_po").unwrap();
    repl.session.send("\t").unwrap();
    repl.expect("().threads > 0", "true");
    repl.exit();
}

#[test]
fn ctrl_c_stops_a_runaway_input_and_keeps_the_session() {
    let mut repl = Repl::start();
    repl.enter("let kept = 7;");
    repl.session
        .send_line(r#"print("host " + "looping"); loop { kept += 0; }"#)
        .unwrap();
    repl.session.exp_string("host looping").unwrap();
    repl.session.send_control('c').unwrap();
    repl.session.exp_string("interrupted").unwrap();
    repl.session.exp_string(PROMPT).unwrap();
    repl.expect("`kept ${kept}`", r#""kept 7""#);
    repl.exit();
}

#[test]
fn a_batch_counts_with_per_worker_state_and_its_result_is_read() {
    let mut repl = Repl::start();
    repl.enter("let pool = new_runspace_pool(#{ threads: 2 });");
    repl.enter(r#"let agg = #{ begin: "let c = #{};", end: "c" };"#);
    repl.enter(r#"agg.reduce = "a.tally(b); a";"#);
    repl.enter(r#"let b = new_runspace_job(pool, "c.tally(item % 3)", 0..3000, agg);"#);
    repl.enter("wait_runspace_job(b);");
    repl.expect("get_runspace_job_result(b)", "#{0: 1000, 1: 1000, 2: 1000}");
    repl.exit();
}
