//! CSV input options through the binary: `--format tsv`, `--delimiter`, `--no-header` (rows as
//! arrays), `--csv-types`; round trips that give back their input byte for byte; the flags
//! refused with formats that are not CSV; and `--resume` reading the input as the run does.

mod common;

use std::time::Duration;

use common::{jsonl_records, rsparallel};
use predicates::prelude::*;
use serde_json::json;

/// The outputs of `-e item` over `input` read with `flags`, in input order.
fn items(flags: &[&str], input: &str) -> Vec<serde_json::Value> {
    jsonl_records(
        rsparallel()
            .args(["run", "-e", "item", "-k", "--output", "jsonl"])
            .args(flags)
            .write_stdin(input)
            .assert()
            .success(),
    )
    .into_iter()
    .map(|record| record["output"][0].clone())
    .collect()
}

#[test]
fn tsv_rows_are_maps_by_the_header_with_quotes_as_in_csv() {
    assert_eq!(
        items(
            &["--format", "tsv"],
            "name\tnote\nada\ta, b\n\"tab\there\"\t\"say \"\"hi\"\"\"\n"
        ),
        [
            json!({"name": "ada", "note": "a, b"}),
            json!({"name": "tab\there", "note": "say \"hi\""}),
        ]
    );
}

#[test]
fn a_delimiter_is_any_ascii_character_or_a_tab() {
    assert_eq!(
        items(
            &["--format", "csv", "--delimiter", ";"],
            "a;b\n1,5;\"x;y\"\n"
        ),
        [json!({"a": "1,5", "b": "x;y"})]
    );
    for tab in ["tab", "\\t", "\t"] {
        assert_eq!(
            items(&["--format", "csv", "--delimiter", tab], "a\tb\n1\t2\n"),
            [json!({"a": "1", "b": "2"})],
            "{tab:?}"
        );
    }
    // A TSV with another delimiter is that delimiter's.
    assert_eq!(
        items(&["--format", "tsv", "--delimiter", "|"], "a|b\n1|2\n"),
        [json!({"a": "1", "b": "2"})]
    );
    for bad in [";;", "", "é", "\""] {
        rsparallel()
            .args(["run", "-e", "item", "--format", "csv", "--delimiter", bad])
            .write_stdin("a\n1\n")
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("invalid delimiter"));
    }
}

#[test]
fn without_a_header_every_row_is_an_array_of_its_fields_of_any_length() {
    assert_eq!(
        items(
            &["--format", "csv", "--no-header"],
            "name,n\nada,1,extra\n\nbob\n\"c,d\",\n"
        ),
        [
            json!(["name", "n"]),
            json!(["ada", "1", "extra"]),
            json!(["bob"]),
            json!(["c,d", ""]),
        ]
    );
    // Names a header would refuse are data.
    assert_eq!(
        items(&["--format", "tsv", "--no-header"], "a\ta\n"),
        [json!(["a", "a"])]
    );
    rsparallel()
        .args(["run", "-k", "--format", "csv", "--no-header"])
        .args(["-e", "item[0] + item.len()"])
        .write_stdin("x,1\ny,2,3\n")
        .assert()
        .success()
        .stdout("x2\ny3\n");
}

#[test]
fn csv_types_makes_numbers_and_booleans_and_leaves_the_rest_strings() {
    let input = "int,neg,float,exp,yes,no,zip,empty,word,caps,nan\n\
                 42,-12,3.5,-1e3,true,false,007,,ada,True,nan\n";
    assert_eq!(
        items(&["--format", "csv", "--csv-types"], input),
        [json!({
            "int": 42, "neg": -12, "float": 3.5, "exp": -1000.0, "yes": true, "no": false,
            "zip": "007", "empty": "", "word": "ada", "caps": "True", "nan": "nan",
        })]
    );
    rsparallel()
        .args(["run", "-k", "--format", "csv", "--no-header", "--csv-types"])
        .args(["-e", "item.map(|v| type_of(v))"])
        .write_stdin("1,2.5,true,007,,x\n")
        .assert()
        .success()
        .stdout("[\"i64\",\"f64\",\"bool\",\"string\",\"string\",\"string\"]\n");
    // Without the flag every field stays a string.
    assert_eq!(
        items(&["--format", "csv"], "n,b\n42,true\n"),
        [json!({"n": "42", "b": "true"})]
    );
}

#[test]
fn csv_in_and_csv_out_give_back_the_input_byte_for_byte() {
    // Columns in header order (an item map keeps its keys sorted).
    let input = "name,note,qty\n\
                 \"a, b\",\"say \"\"hi\"\"\",3\n\
                 plain,\"two\nlines\",\n\
                 \"\"\"quoted\"\"\",\"x,\"\"y\"\"\nz\",007\n";
    rsparallel()
        .args([
            "run", "-e", "item", "-k", "--format", "csv", "--output", "csv",
        ])
        .args(["--columns", "name,note,qty"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout(input);
    // With --csv-types too: 007 and the empty field stay as they were, and -0.0 keeps its
    // sign (Rhai writes it `0.0`).
    let input = format!("{input}neg,zero,-0.0\n");
    rsparallel()
        .args(["run", "-e", "item", "-k", "--format", "csv", "--csv-types"])
        .args(["--output", "csv", "--columns", "name,note,qty"])
        .write_stdin(input.clone())
        .assert()
        .success()
        .stdout(input);
}

#[test]
fn tsv_in_and_tsv_out_give_back_the_input_byte_for_byte() {
    let input = "name\tnote\n\
                 \"a\tb\"\t\"say \"\"hi\"\"\"\n\
                 with, comma\t\"two\nlines\"\n";
    rsparallel()
        .args([
            "run", "-e", "item", "-k", "--format", "tsv", "--output", "tsv",
        ])
        .args(["--columns", "name,note"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout(input);
    // Rows without a header are arrays, written back as they came, whatever their length.
    let ragged = "a\tb\tc\n\"x\ty\"\n\t\n";
    rsparallel()
        .args(["run", "-e", "item", "-k", "--format", "tsv", "--no-header"])
        .args(["--output", "tsv"])
        .write_stdin(ragged)
        .assert()
        .success()
        .stdout(ragged);
}

#[test]
fn csv_flags_are_refused_with_formats_that_are_not_csv() {
    let cases: [&[&str]; 5] = [
        &["--delimiter", ";"],
        &["--format", "lines", "--delimiter", ";"],
        &["--format", "jsonl", "--no-header"],
        &["-0", "--csv-types"],
        &["--range", "0..3", "--delimiter", "tab"],
    ];
    for flags in cases {
        let flag = flags
            .iter()
            .find(|f| ["--delimiter", "--no-header", "--csv-types"].contains(f))
            .unwrap();
        rsparallel()
            .args(["run", "-e", "item"])
            .args(flags)
            .write_stdin("a;b\n")
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "{flag} is for CSV input: use it with --format csv or --format tsv"
            )));
    }
    rsparallel()
        .args(["run", "-e", "item", "--format", "tsv", "--no-header", "a"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "--format tsv cannot be used with ITEM arguments",
        ));
}

#[test]
fn resume_reads_the_input_again_with_the_same_csv_options() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.csv");
    let log = dir.path().join("jobs.tsv");
    let run = |rows: &str, resume: bool| {
        std::fs::write(&input, rows).unwrap();
        let mut cmd = rsparallel();
        cmd.args(["run", "-e", "item[0] * 10", "-k", "--format", "csv"])
            .args(["--delimiter", ";", "--no-header", "--csv-types", "--input"])
            .arg(&input)
            .arg("--joblog")
            .arg(&log);
        if resume {
            cmd.arg("--resume");
        }
        let out = cmd.timeout(Duration::from_secs(30)).assert().success();
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    };
    assert_eq!(run("1;a\n2;b\n", false), "10\n20\n");
    // Read with commas and a header, the logged rows would not be the input's: refused.
    assert_eq!(run("1;a\n2;b\n3;c\n", true), "30\n");
}
