//! `rsparallel functions`: the functions a job script can call besides Rhai's own, as a user
//! reads them, and that each one listed is there to call.

mod common;

use common::rsparallel;
use predicates::prelude::*;

fn listing(args: &[&str]) -> String {
    let output = rsparallel().arg("functions").args(args).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The lines that list a function: indented, a name, then its parameters.
fn function_lines(listing: &str) -> impl Iterator<Item = &str> {
    listing.lines().filter(|l| {
        l.strip_prefix("  ")
            .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_lowercase()) && l.contains('('))
    })
}

/// The names of the functions listed.
fn names(listing: &str) -> Vec<&str> {
    function_lines(listing)
        .map(|l| l.trim_start().split('(').next().unwrap())
        .collect()
}

#[test]
fn every_family_is_listed_with_signatures_and_rhais_docs() {
    let all = listing(&[]);
    for heading in ["job: ", "regex: ", "json: ", "hash: ", "time: ", "text: "] {
        assert!(
            all.lines().any(|l| l.starts_with(heading)),
            "{heading}\n{all}"
        );
    }
    for signature in [
        "sha256(text | blob) -> string",
        "is_match(text, pattern) -> bool",
        "emit(value)",
    ] {
        assert!(all.contains(signature), "{signature}\n{all}");
    }
    assert!(all.contains("https://rhai.rs/book/ref/"), "{all}");
    // One function a line, the summaries lined up after the longest signature.
    let columns: Vec<usize> = function_lines(&all)
        .map(|l| {
            let gap = l[2..].find("  ").unwrap() + 2;
            l.len() - l[gap..].trim_start().len()
        })
        .collect();
    assert!(columns.len() > 30, "{all}");
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{all}");
}

#[test]
fn family_prints_one_family() {
    let regex = listing(&["--family", "regex"]);
    assert!(names(&regex).contains(&"replace_regex"), "{regex}");
    assert!(!regex.contains("sha256"), "{regex}");
    assert!(!regex.contains("emit("), "{regex}");
    assert!(listing(&["--family", "hashes"]).contains("md5("));
}

#[test]
fn an_unknown_family_is_refused_naming_the_families() {
    rsparallel()
        .args(["functions", "--family", "nosuch"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("no family \"nosuch\"").and(predicate::str::contains(
                "job, regex, json, hash, encoding, time, text",
            )),
        );
}

#[test]
fn every_function_of_a_job_is_there_in_a_job() {
    let job = listing(&["--family", "job"]);
    let names = names(&job);
    assert!(names.len() >= 5, "{job}");
    for name in names {
        let output = rsparallel()
            .args(["run", "-e", &format!("{name}(1); item"), "x"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("not found"), "{name}: {stderr}");
        // The job ran on to its final value (`emit(1)` writes a line before it).
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.ends_with("x\n"), "{name}: {stdout}");
    }
}
