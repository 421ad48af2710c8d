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
fn named_columns_head_the_output_even_when_no_row_is_written() {
    // A header-only input, and an input whose every job writes nothing: the table is empty,
    // with its header, in both CSV and TSV.
    for (output, input, header) in [
        ("csv", "name,note\n", "name,note\n"),
        ("tsv", "name,note\n", "name\tnote\n"),
        ("csv", "name,note\nx,y\n", "name,note\n"),
    ] {
        rsparallel()
            .args(["run", "--format", "csv", "--output", output])
            .args([
                "--columns",
                "name,note",
                "-e",
                "if item.name == `x` { () } else { item }",
            ])
            .write_stdin(input)
            .assert()
            .success()
            .stdout(header);
    }
    // Without named columns, an empty output stays empty.
    rsparallel()
        .args(["run", "--format", "csv", "--output", "csv", "-e", "item"])
        .write_stdin("name,note\n")
        .assert()
        .success()
        .stdout("");
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
    // An array of the wrong length, too; the named columns still head the empty table.
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
        .stdout("a,b\n")
        .stderr(predicate::str::contains(
            "the row has 3 fields, not the 2 columns (a,b)",
        ));
}

#[test]
fn every_row_has_the_shape_of_the_first() {
    // A first row that is not a map: no header, rows of any length (as CSV read with
    // --no-header gives them), and a map after it fails its record, whatever record it is in.
    rsparallel()
        .args(["run", "-j1", "-k", "--output", "csv", "-e"])
        .args([r#"if seq == 0 { "total" } else if seq == 1 { [1, 2] } else { #{ a: 1 } }"#])
        .args(["a", "b", "c"])
        .assert()
        .code(1)
        .stdout("total\n1,2\n")
        .stderr(predicate::str::contains("2 completed, 1 failed"));
    // One record's rows are all out or none: a scalar and then a map fail it, and the shape
    // is still open for the next record.
    rsparallel()
        .args(["run", "-j1", "-k", "--output", "csv"])
        .args([
            "-e",
            r#"if seq == 0 { emit("hdr") } #{ name: item, qty: 1 }"#,
            "a",
            "b",
        ])
        .assert()
        .code(1)
        .stdout("name,qty\nb,1\n")
        .stderr(predicate::str::contains(
            "a map cannot be a row here: the output's first row was not a map",
        ));
}

#[test]
fn columns_are_refused_where_they_mean_nothing_or_name_a_column_twice() {
    for (output, columns, message) in [
        ("csv", "a,b,a", r#"the column "a" is named twice"#),
        ("csv", "a,", "column 2 has no name"),
        ("jsonl", "a,b", "--columns is for CSV output"),
    ] {
        rsparallel()
            .args(["run", "-e", "#{ a: 1, b: 2 }", "1", "--output", output])
            .args(["--columns", columns])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(message));
    }
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

#[test]
fn a_row_of_no_fields_fails_its_job_instead_of_reading_back_as_an_empty_field() {
    // `[]`, `#{}` and `to_csv([])` were written `""`, as one empty field is.
    for script in ["[]", "#{}", "to_csv([])"] {
        rsparallel()
            .args(["run", "--output", "csv", "-e", script, "x"])
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicate::str::contains(
                "a row of no fields has no CSV form",
            ));
    }
    rsparallel()
        .args(["run", "--output", "csv", "-e", r#"[""]"#, "x"])
        .assert()
        .success()
        .stdout("\"\"\n");
}
