//! Items as the binary reads them: lines, JSONL, CSV and ITEM arguments, from stdin, a file or
//! a FIFO; byte order marks, line endings, bad lines that fail only their job, empty input,
//! `--head` and NUL-ended items. The item size limit has `item_size.rs`.

mod common;

use std::process::Command as StdCommand;
use std::time::Duration;

use common::{jsonl, jsonl_records, rsparallel};
use predicates::prelude::*;

#[test]
fn a_byte_order_mark_opens_an_input_or_a_script_harmlessly() {
    rsparallel()
        .args(["run", "-e", "item * 10", "-k", "--format", "jsonl"])
        .write_stdin(&b"\xef\xbb\xbf1\r\n2\n"[..])
        .assert()
        .success()
        .stdout("10\n20\n");
    rsparallel()
        .args(["run", "-e", "item.a + item.b", "--format", "csv"])
        .write_stdin(&b"\xef\xbb\xbfa,b\nx,y\n"[..])
        .assert()
        .success()
        .stdout("xy\n");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bom.rhai");
    std::fs::write(&script, b"\xef\xbb\xbfitem + double(2)\n").unwrap();
    let lib = dir.path().join("lib.rhai");
    std::fs::write(&lib, b"\xef\xbb\xbffn double(x) { x * 2 }\n").unwrap();
    let module = dir.path().join("m.rhai");
    std::fs::write(&module, b"\xef\xbb\xbffn f() { \"m\" }\n").unwrap();
    rsparallel()
        .args(["run"])
        .arg(&script)
        .args(["--functions"])
        .arg(&lib)
        .args(["a"])
        .assert()
        .success()
        .stdout("a4\n");
    let importer = dir.path().join("imports.rhai");
    std::fs::write(&importer, "import \"m\" as m; item + m::f()").unwrap();
    rsparallel()
        .args(["run"])
        .arg(&importer)
        .args(["a"])
        .assert()
        .success()
        .stdout("am\n");
}

#[test]
fn arguments_follow_the_format() {
    rsparallel()
        .args([
            "run", "-e", "item * 2", "-k", "--format", "jsonl", "1", "2", "3",
        ])
        .assert()
        .success()
        .stdout("2\n4\n6\n");
    rsparallel()
        .args([
            "run",
            "-e",
            "type_of(item)",
            "-k",
            "--format",
            "jsonl",
            "1.5",
            "\"s\"",
            "[1]",
            "{\"a\":1}",
        ])
        .assert()
        .success()
        .stdout("f64\nstring\narray\nmap\n");
    // By default arguments are strings, as lines are.
    rsparallel()
        .args(["run", "-e", "type_of(item)", "1"])
        .assert()
        .success()
        .stdout("string\n");
    // An argument that is not JSON fails its own job; the others run.
    let records = jsonl_records(
        rsparallel()
            .args([
                "run", "-e", "item", "-k", "--format", "jsonl", "--output", "jsonl", "1", "oops",
                "3",
            ])
            .assert()
            .code(1),
    );
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["output"], serde_json::json!([1]));
    assert_eq!(records[1]["status"], "failed");
    assert_eq!(records[1]["item"], "oops");
    let error = records[1]["error"]["message"].as_str().unwrap();
    assert!(error.starts_with("argument 2: invalid JSON"), "{error}");
    assert_eq!(records[2]["output"], serde_json::json!([3]));
    rsparallel()
        .args(["run", "-e", "item", "--format", "csv", "a"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "--format csv cannot be used with ITEM arguments",
        ));
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
    // A byte order mark alone is an empty input too: it once made one empty item.
    for input in ["", "\u{feff}"] {
        for format in ["lines", "jsonl", "csv", "nul"] {
            rsparallel()
                .args(["run", "-e", "item", "--format", format])
                .write_stdin(input)
                .assert()
                .success()
                .stdout("");
        }
    }
}

#[test]
fn a_wide_csv_header_is_checked_in_one_pass() {
    // 200,000 columns: pairwise, forty billion comparisons; by name, one pass.
    let header: Vec<String> = (0..200_000).map(|i| format!("c{i}")).collect();
    let row = vec!["1"; 200_000].join(",");
    let input = format!("{}\n{row}\n", header.join(","));
    rsparallel()
        .args(["run", "-e", "item.c199999 + item.c0", "--format", "csv"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("11\n");
    let mut repeated = header.clone();
    repeated.push("c7".into());
    rsparallel()
        .args(["run", "-e", "item", "--format", "csv"])
        .write_stdin(format!("{}\n", repeated.join(",")))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "column 'c7' appears twice (columns 8 and 200001)",
        ));
}

#[test]
fn a_fifo_input_is_read_once_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("items");
    let made = StdCommand::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let lines: String = (1..=50_000).map(|i| format!("{i}\n")).collect();
        std::fs::write(writer_path, lines).unwrap();
    });
    let output = rsparallel()
        .args(["run", "-e", "item", "--input"])
        .arg(&fifo)
        .args(["--progress"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let mut lines: Vec<u64> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    lines.sort();
    assert_eq!(lines, (1..=50_000).collect::<Vec<u64>>());
}

#[test]
fn head_reads_only_the_first_items_of_any_input() {
    // A range of 10^12: only three items are ever read.
    let records = jsonl_records(
        rsparallel()
            .args([
                "run",
                "-e",
                "item",
                "--range",
                "0..1000000000000",
                "--head",
                "3",
            ])
            .args(["--output", "jsonl"])
            .assert()
            .success(),
    );
    let mut seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    seqs.sort();
    assert_eq!(seqs, [0, 1, 2]);
    // Stdin, arguments and a file alike.
    rsparallel()
        .args(["run", "-k", "-e", "item", "--head", "2"])
        .write_stdin("a\nb\nc\n")
        .assert()
        .success()
        .stdout("a\nb\n");
    rsparallel()
        .args(["run", "-k", "-e", "item", "--head", "1", "x", "y"])
        .assert()
        .success()
        .stdout("x\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.txt");
    std::fs::write(&file, "1\n2\n3\n").unwrap();
    rsparallel()
        .args(["run", "-k", "-e", "item", "--head", "2", "--input"])
        .arg(&file)
        .assert()
        .success()
        .stdout("1\n2\n");
}

#[test]
fn head_does_not_wait_for_the_end_of_a_line_over_the_size_limit() {
    // An endless line: its record (too long) is all `--head 1` needs. The rest of the line
    // was once read past before the record was made, for ever.
    for format in ["lines", "jsonl", "nul"] {
        let mut child = StdCommand::new(env!("CARGO_BIN_EXE_rsparallel"))
            .args([
                "run",
                "-e",
                "item",
                "--head",
                "1",
                "--max-item-size",
                "1KiB",
            ])
            .args(["--output", "jsonl", "--format", format])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // Writes until rsparallel exits and the pipe breaks.
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let block = vec![b'y'; 64 * 1024];
            while stdin.write_all(&block).is_ok() {}
        });
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("{format}: still reading after a minute");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert_eq!(output.status.code(), Some(1), "{format}");
        let records = jsonl(&output.stdout);
        assert_eq!(records.len(), 1, "{format}");
        let message = records[0]["error"]["message"].as_str().unwrap();
        assert!(message.contains("input "), "{format}: {message}");
    }
}

#[test]
fn nul_ended_items_keep_spaces_newlines_and_carriage_returns() {
    let input = b"with space.txt\0new\nline.txt\0ends in cr\r\0last";
    for flag in [&["-0"][..], &["--format", "nul"][..]] {
        let records = jsonl_records(
            rsparallel()
                .args(["run", "-k", "-e", "item", "--output", "jsonl"])
                .args(flag)
                .write_stdin(&input[..])
                .assert()
                .success(),
        );
        let items: Vec<&str> = records
            .iter()
            .map(|r| r["item"].as_str().unwrap())
            .collect();
        assert_eq!(
            items,
            ["with space.txt", "new\nline.txt", "ends in cr\r", "last"],
            "{flag:?}"
        );
    }
    rsparallel()
        .args(["run", "-0", "--format", "jsonl", "-e", "item"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}
