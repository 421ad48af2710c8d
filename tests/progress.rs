//! The progress bar, seen in a pseudo-terminal as a person would see it: on stderr, with
//! done/total and counts, while stdout stays clean.

use std::process::Command;

#[test]
fn the_progress_bar_draws_on_the_terminal_and_stdout_stays_clean() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let script = "if item == 3 { throw \"bad\" } sleep(4); item";
    let line = format!(
        "'{}' run -e '{script}' --range 0..400 -j 2 > '{}'",
        env!("CARGO_BIN_EXE_rsparallel"),
        out.display()
    );
    let mut command = Command::new("sh");
    command.arg("-c").arg(line).env("TERM", "xterm");
    let mut session = rexpect::session::spawn_command(command, Some(60_000)).unwrap();
    let screen = session.exp_eof().unwrap();
    // The bar shows done/total and the live failure count; the failure's line and the
    // summary are printed on the terminal too.
    assert!(screen.contains("/400"), "{screen}");
    assert!(screen.contains("failed 1"), "{screen}");
    assert!(screen.contains("seq 3 (item 3) failed: bad"), "{screen}");
    assert!(screen.contains("399 completed, 1 failed"), "{screen}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut values: Vec<u64> = text
        .lines()
        .map(|l| {
            l.parse()
                .unwrap_or_else(|_| panic!("stdout has only output: {l:?}"))
        })
        .collect();
    values.sort();
    assert_eq!(values.len(), 399);
    assert!(!text.contains('\u{1b}'), "no terminal codes on stdout");
}

#[test]
fn no_progress_keeps_the_bar_off_a_terminal() {
    let script = "if item == 3 { throw \"bad\" } sleep(4); item";
    let line = format!(
        "'{}' run -e '{script}' --range 0..400 -j 2 --no-progress > /dev/null",
        env!("CARGO_BIN_EXE_rsparallel"),
    );
    let mut command = Command::new("sh");
    command.arg("-c").arg(line).env("TERM", "xterm");
    let mut session = rexpect::session::spawn_command(command, Some(60_000)).unwrap();
    let screen = session.exp_eof().unwrap();
    // The failure's line and the summary, and nothing of a bar.
    assert!(screen.contains("seq 3 (item 3) failed: bad"), "{screen}");
    assert!(screen.contains("399 completed, 1 failed"), "{screen}");
    assert!(!screen.contains("/400"), "{screen}");
    assert!(!screen.contains("/s"), "{screen}");
    assert!(!screen.contains('\u{1b}'), "{screen}");
    assert_eq!(screen.trim().lines().count(), 2, "{screen}");
}

#[test]
fn no_bar_when_stderr_is_not_a_terminal_unless_asked() {
    let bin = env!("CARGO_BIN_EXE_rsparallel");
    let quiet = Command::new(bin)
        .args(["run", "-e", "item", "--range", "0..50"])
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty());
    let asked = Command::new(bin)
        .args([
            "run",
            "-e",
            "sleep(5); item",
            "--range",
            "0..50",
            "--progress",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&asked.stderr).contains("/50"));
}
