//! The `rsparallel run` command, as a user drives it.

mod common;

use assert_cmd::Command;
use common::{rsparallel, sorted_lines};
use predicates::prelude::*;

fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

#[test]
fn runs_a_bundled_script_over_a_range() {
    let out = stdout_of(rsparallel().args(["run", "scripts/square.rhai", "--range", "1..=1000"]));
    let mut values: Vec<i64> = out.lines().map(|l| l.parse().unwrap()).collect();
    values.sort();
    assert_eq!(values, (1..=1000_i64).map(|i| i * i).collect::<Vec<_>>());
}

#[test]
fn keep_order_writes_output_in_input_order_and_otherwise_the_same_set() {
    let script = "if item % 3 == 0 { sleep(1) } item";
    let ordered =
        stdout_of(rsparallel().args(["run", "-e", script, "--range", "0..300", "-k", "-j", "3"]));
    let expected: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    assert_eq!(ordered.lines().collect::<Vec<_>>(), expected);
    let unordered =
        stdout_of(rsparallel().args(["run", "-e", script, "--range", "0..300", "-j", "3"]));
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(sorted_lines(&unordered), expected_sorted);
}

#[test]
fn items_come_from_arguments_files_and_stdin() {
    rsparallel()
        .args(["run", "-e", "item.to_upper()", "-k", "a", "b"])
        .assert()
        .success()
        .stdout("A\nB\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.txt");
    std::fs::write(&file, "x\ny\nz").unwrap();
    rsparallel()
        .args(["run", "-e", "item + item", "-k", "--input"])
        .arg(&file)
        .assert()
        .success()
        .stdout("xx\nyy\nzz\n");
    rsparallel()
        .args(["run", "-e", "item * 10", "-k", "--format", "jsonl"])
        .write_stdin("1\n2\n3\n")
        .assert()
        .success()
        .stdout("10\n20\n30\n");
    rsparallel()
        .args([
            "run",
            "-e",
            "item.name + \"=\" + item.n",
            "-k",
            "--format",
            "csv",
        ])
        .write_stdin("name,n\nada,1\nbob,2\n")
        .assert()
        .success()
        .stdout("ada=1\nbob=2\n");
}

#[test]
fn a_compile_error_exits_2_with_file_line_and_column_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bad.rhai");
    std::fs::write(&script, "print(\"ran\");\nlet x = (1 + ;\n").unwrap();
    rsparallel()
        .arg("run")
        .arg(&script)
        .args(["--range", "0..10"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(format!("{}:2:", script.display())))
        .stderr(predicate::str::contains("ran").not());
}

#[test]
fn a_malformed_json_line_fails_with_its_line_number_while_others_complete() {
    let out = rsparallel()
        .args([
            "run", "-e", "item + 1", "--format", "jsonl", "--output", "jsonl", "-k",
        ])
        .write_stdin("1\n{oops\n3\n")
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let records: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["status"], "completed");
    assert_eq!(records[0]["output"], serde_json::json!([2]));
    assert_eq!(records[1]["status"], "failed");
    assert_eq!(records[1]["item"], "{oops");
    let message = records[1]["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("input line 2: invalid JSON"),
        "{message}"
    );
    assert_eq!(records[2]["output"], serde_json::json!([4]));
}

#[test]
fn jsonl_records_have_exactly_the_documented_fields() {
    let out = stdout_of(rsparallel().args(["run", "-e", "item", "--output", "jsonl", "7"]));
    let record: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let mut keys: Vec<&str> = record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "attempts",
            "duration_ms",
            "end",
            "error",
            "item",
            "output",
            "seq",
            "start",
            "status",
            "streams",
            "worker"
        ]
    );
    assert_eq!(record["status"], "completed");
    assert!(record["start"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn exit_codes_say_what_happened() {
    rsparallel()
        .args(["run", "-e", "item", "1"])
        .assert()
        .code(0);
    rsparallel()
        .args([
            "run",
            "-e",
            "if item == \"2\" { throw \"no\" } item",
            "1",
            "2",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("seq 1 (item \"2\") failed: no"))
        .stderr(predicate::str::contains("1 completed, 1 failed"));
    rsparallel()
        .args(["run", "-e", "loop {}", "--timeout", "50ms", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("timed_out"));
    rsparallel()
        .args(["run", "-e", "1 +", "1"])
        .assert()
        .code(2);
    rsparallel()
        .args(["run", "--no-such-flag"])
        .assert()
        .code(2);
    rsparallel()
        .args(["run", "missing.rhai", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.rhai"));
}

#[test]
fn variables_and_function_libraries_reach_every_job() {
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.json");
    std::fs::write(&vars, r#"{"base": 100, "names": ["a", "b"]}"#).unwrap();
    let lib = dir.path().join("lib.rhai");
    std::fs::write(&lib, "fn label(x) { `#${x}` }").unwrap();
    rsparallel()
        .args([
            "run",
            "-e",
            "label(item + base + bump) + names[0] + word",
            "-k",
        ])
        .args(["--var", "bump=1", "--var", "word=hi", "--vars"])
        .arg(&vars)
        .arg("--functions")
        .arg(&lib)
        .args(["--format", "jsonl"])
        .write_stdin("1\n2\n")
        .assert()
        .success()
        .stdout("#102ahi\n#103ahi\n");
    std::fs::write(&vars, "[1, 2]").unwrap();
    rsparallel()
        .args(["run", "-e", "item", "1", "--vars"])
        .arg(&vars)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must hold a JSON object"));
}

#[test]
fn max_ops_fails_a_job_with_a_clear_message() {
    rsparallel()
        .args([
            "run",
            "-e",
            "let i = 0; while i < 100000 { i += 1 } i",
            "--max-ops",
            "1000",
            "1",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("budget of 1000 operations"));
}

#[test]
fn print_goes_to_stderr_and_output_to_stdout() {
    rsparallel()
        .args(["run", "-e", "print(`hello ${item}`); item", "x"])
        .assert()
        .success()
        .stdout("x\n")
        .stderr(predicate::str::contains("hello x"));
}

#[test]
fn records_are_written_as_they_come_even_while_the_input_is_silent() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command as StdCommand, Stdio};
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let mut child = StdCommand::new(bin)
        .args(["run", "-e", "item.to_upper()"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(b"first\n").unwrap();
    stdin.flush().unwrap();
    // The output arrives while stdin stays open: nothing waits for more input or a full buffer.
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "FIRST\n");
    stdin.write_all(b"second\n").unwrap();
    drop(stdin);
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "SECOND\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_csv_header_naming_a_column_twice_is_refused_not_half_read() {
    // Each row would have kept one value of the two, and dropped the other without a word.
    rsparallel()
        .args(["run", "--format", "csv", "-e", "item"])
        .write_stdin("a,b,a\n1,2,3\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "input line 1: bad CSV header: column 'a' appears twice (columns 1 and 3)",
        ));
}

#[test]
fn a_csv_quote_that_never_closes_is_refused_at_the_row_limit_not_read_whole() {
    // Once, the rest of the input was read into the one row before its length was looked at:
    // an endless input grew in memory until the process was killed.
    let bin = assert_cmd::cargo::cargo_bin("rsparallel");
    let pipeline = format!(
        "(printf 'a,b\\n1,2\\n\"'; yes x) | timeout 60 {} run --format csv \
         --max-item-size 1MiB -e item.a",
        bin.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &pipeline])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("input line 3: row longer than the limit of 1 MiB (max-item-size)"),
        "{stderr}"
    );
}
