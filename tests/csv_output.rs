//! CSV and TSV output (`--output csv|tsv`, `--columns`) and `to_csv`: quoting by the `csv` crate,
//! a round trip that gives back its input, and a row that does not fit its columns failing its
//! job instead of breaking the output.

mod common;

use common::rsparallel;
use predicates::prelude::*;

#[test]
fn csv_in_and_csv_out_give_back_the_input_quotes_commas_and_newlines_included() {
    let input = "name,note\n\"a, b\",\"say \"\"hi\"\"\"\nplain,\"two\nlines\"\n";
    rsparallel()
        .args([
            "run",
            "-k",
            "--format",
            "csv",
            "--output",
            "csv",
            "--columns",
            "name,note",
        ])
        .args(["-e", "item"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout(input);
}

#[test]
fn maps_go_under_their_keys_arrays_and_scalars_are_rows() {
    // Without --columns, the first map's keys (sorted, as Rhai keeps them).
    rsparallel()
        .args([
            "run",
            "-k",
            "--output",
            "csv",
            "-e",
            "#{ b: item, a: `x,${item}` }",
            "1",
            "2",
        ])
        .assert()
        .success()
        .stdout("a,b\n\"x,1\",1\n\"x,2\",2\n");
    rsparallel()
        .args([
            "run",
            "-k",
            "--output",
            "tsv",
            "-e",
            r#"[item, "a\tb"]"#,
            "x",
        ])
        .assert()
        .success()
        .stdout("x\t\"a\tb\"\n");
    rsparallel()
        .args([
            "run",
            "-k",
            "--output",
            "csv",
            "-e",
            "item",
            "plain",
            "with,comma",
        ])
        .assert()
        .success()
        .stdout("plain\n\"with,comma\"\n");
}

#[test]
fn a_row_that_does_not_fit_the_columns_fails_its_job_naming_the_key() {
    let script = r#"if item == "1" { #{ x: 1, y: 2 } } else if item == "2" { #{ x: 1 } } else { #{ x: 1, y: 2, z: 3 } }"#;
    rsparallel()
        .args([
            "run",
            "-k",
            "--output",
            "csv",
            "--columns",
            "x,y",
            "-e",
            script,
            "1",
            "2",
            "3",
        ])
        .assert()
        .code(1)
        .stdout("x,y\n1,2\n")
        .stderr(
            predicate::str::contains(r#"the row has no "y" column"#).and(predicate::str::contains(
                r#"the row's key "z" is not a column (x,y)"#,
            )),
        );
    // An array of the wrong length, too.
    rsparallel()
        .args([
            "run",
            "--output",
            "csv",
            "--columns",
            "a,b",
            "-e",
            "[1, 2, 3]",
            "x",
        ])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "the row has 3 fields, not the 2 columns (a,b)",
        ));
}

#[test]
fn to_csv_builds_one_quoted_row() {
    rsparallel()
        .args([
            "run",
            "-e",
            r#"to_csv(["a, b", 1, `q"`]) + "|" + to_csv(#{ b: 2, a: "x" })"#,
            "z",
        ])
        .assert()
        .success()
        .stdout("\"a, b\",1,\"q\"\"\"|x,2\n");
}
