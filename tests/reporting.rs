//! What a run tells its user: the summary's wording, hints, `--tag`, streams forwarded and kept
//! in the record, JSONL records of values with no JSON form, and the `--timeline` picture.

mod common;

use common::{jsonl, jsonl_records, rsparallel};
use predicates::prelude::*;

#[test]
fn the_summary_counts_in_the_singular_and_names_statuses_as_records_do() {
    let out = rsparallel()
        .args(["run", "-e", "loop {}", "--timeout", "10ms", "x"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let summary: Vec<&str> = stderr.lines().filter(|l| l.contains("(of ")).collect();
    assert_eq!(summary, ["rsparallel: 1 timed_out (of 1 job)"], "{stderr}");
    // Every job completed: nothing to say.
    rsparallel()
        .args(["run", "-e", "item", "x", "y"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn a_string_used_as_a_number_says_so() {
    let out = rsparallel()
        .args(["run", "-e", "item * 2", "1", "2"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let hinted = stderr
        .lines()
        .filter(|l| l.contains("hint: the item is a string"))
        .count();
    assert_eq!(hinted, 2, "{stderr}");
    assert!(
        stderr.contains("--format jsonl") && stderr.contains("parse_int(item)"),
        "{stderr}"
    );
    // A function that does not exist for any item: no hint.
    let out = rsparallel()
        .args(["run", "-e", "item.no_such_method()", "a"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("Function not found"), "{stderr}");
    assert!(!stderr.contains("hint"), "{stderr}");
    // Numbers in a call the item is not in, and an item that is no number: no hint either.
    for (script, item) in [(r#"pad_left(7, 3, "0")"#, "x"), ("item * 2", "x")] {
        let out = rsparallel()
            .args(["run", "-e", script, item])
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(!stderr.contains("hint"), "{script}: {stderr}");
    }
    // A CSV row's fields are strings too: --csv-types is the way.
    let out = rsparallel()
        .args(["run", "--format", "csv", "-e", "item.qty * 2"])
        .write_stdin("name,qty\nbolt,3\n")
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("hint: the item's fields are strings; --csv-types"),
        "{stderr}"
    );
}

#[test]
fn tag_shows_a_string_item_as_its_text() {
    rsparallel()
        .args([
            "run",
            "-e",
            "print(`p${item}`); item",
            "-k",
            "--tag",
            "a",
            "b c",
        ])
        .assert()
        .success()
        .stdout("0\ta\ta\n1\tb c\tb c\n")
        .stderr(predicate::str::contains("0\ta\tpa\n"));
    rsparallel()
        .args([
            "run",
            "-e",
            "1",
            "-k",
            "--tag",
            "--format",
            "jsonl",
            "[1,2]",
            "\"t\\tu\"",
        ])
        .assert()
        .success()
        .stdout("0\t[1,2]\t1\n1\tt\\tu\t1\n");
}

#[test]
fn streams_are_forwarded_tagged_and_kept_in_the_record() {
    let script = "print(\"p\"); warn(\"w\"); verbose(\"v\"); error(\"e\"); debug(\"d\"); item";
    let out = rsparallel()
        .args(["run", "-e", script, "x", "--output", "jsonl"])
        .assert()
        .success()
        .stderr(predicate::str::contains("[seq 0] warn: w"))
        .stderr(predicate::str::contains("[seq 0] error: e"))
        .stderr(predicate::str::contains("verbose").not())
        .stderr(predicate::str::contains("1 job reported errors"))
        .get_output()
        .stdout
        .clone();
    let streams = &jsonl(&out)[0]["streams"];
    let kinds: Vec<&str> = streams
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stream"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["print", "warn", "verbose", "error", "debug"]);
    rsparallel()
        .args(["run", "-e", script, "x", "--verbose", "--tag"])
        .assert()
        .success()
        .stdout("0\tx\tx\n")
        .stderr(predicate::str::contains("0\tx\tverbose: v"))
        .stderr(predicate::str::contains("0\tx\tp"));
}

#[test]
fn values_with_no_json_form_fail_their_job_in_jsonl() {
    let records = jsonl_records(
        rsparallel()
            .args([
                "run",
                "-e",
                "if item == \"f\" { Fn(\"x\") } else { item }",
                "-k",
                "--output",
                "jsonl",
                "f",
                "g",
            ])
            .assert()
            .code(1),
    );
    assert_eq!(records[0]["status"], "failed");
    let message = records[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("cannot be written"), "{message}");
    assert_eq!(records[1]["status"], "completed");
}

#[test]
fn the_timeline_is_valid_svg_with_a_lane_per_worker() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("run.svg");
    rsparallel()
        .args([
            "run",
            "-e",
            "if item == 5 { throw \"x\" } sleep(item % 3); item",
        ])
        .args(["--range", "0..200", "-j", "3", "--timeline"])
        .arg(&svg)
        .assert()
        .code(1);
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let lanes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane"))
        .count();
    assert_eq!(lanes, 3);
    assert!(
        text.contains("<title>seq 5 item 5: failed"),
        "hover text names the job"
    );
}

#[test]
fn the_timeline_counts_one_job_on_one_worker_in_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("run.svg");
    rsparallel()
        .args(["run", "-e", "item", "-j", "1", "x", "--timeline"])
        .arg(&svg)
        .assert()
        .success();
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.contains("rsparallel run: 1 job on 1 worker, "),
        "{picture}"
    );
}

#[test]
fn quiet_silences_stderr_but_not_the_exit_status() {
    rsparallel()
        .args([
            "run",
            "-q",
            "-e",
            r#"print("chatter"); if item == "2" { throw "bad" } item"#,
        ])
        .args(["1", "2"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("1"))
        .stderr("");
    // Without it, the same run says all of that.
    rsparallel()
        .args([
            "run",
            "-e",
            r#"print("chatter"); if item == "2" { throw "bad" } item"#,
        ])
        .args(["1", "2"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("chatter").and(predicate::str::contains("bad")));
}
