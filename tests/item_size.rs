//! The item size limit (`--max-item-size`): what it counts, the default, and items whose values
//! would take many times their text, refused before they are read whole.

mod common;

use std::io::Write;

use common::{jsonl_records, rsparallel};
use predicates::prelude::*;

#[test]
fn max_item_size_counts_a_lines_content_whatever_ends_it() {
    for input in ["1234\n12345\nok\n", "1234\r\n12345\r\nok\r\n"] {
        let records = jsonl_records(
            rsparallel()
                .args([
                    "run",
                    "-e",
                    "item",
                    "-k",
                    "--max-item-size",
                    "4",
                    "--output",
                    "jsonl",
                ])
                .write_stdin(input)
                .assert()
                .code(1),
        );
        let statuses: Vec<&str> = records
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["completed", "failed", "completed"], "{input:?}");
        let error = records[1]["error"]["message"].as_str().unwrap();
        assert!(
            error.contains("input line 2: item longer than the limit"),
            "{error}"
        );
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
fn an_item_whose_values_would_take_16_times_the_size_limit_is_not_read() {
    // 20,000 empty arrays are 60 KB of text and ~1.3 MB of values; with a 64 KiB limit on the
    // text, the values may take 1 MiB. (A 60 MB line of them took 2.3 GB.)
    let arrays = format!("[{}]", vec!["[]"; 20_000].join(","));
    let cells = ",".repeat(60_000);
    for (format, input, read) in [
        ("jsonl", format!("[1]\n{arrays}\n[2]\n"), "1\n1\n"),
        ("csv", format!("a\n1\n{cells}\n2\n"), "1\n1\n1\n"),
    ] {
        let mut args = vec!["run", "-e", "item.len()", "-k", "--format", format];
        if format == "csv" {
            args.push("--no-header");
        }
        rsparallel()
            .args(&args)
            .args(["--max-item-size", "64KiB"])
            .write_stdin(input)
            .assert()
            .code(1)
            .stdout(read)
            .stderr(predicate::str::contains(
                "its values would take more than 1 MiB of memory (16 times max-item-size, 1 MiB at least)",
            ));
    }
    // Under the limit, the same line is read.
    rsparallel()
        .args(["run", "-e", "item.len()", "--format", "jsonl"])
        .write_stdin(format!("{arrays}\n"))
        .assert()
        .success()
        .stdout("20000\n");
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
