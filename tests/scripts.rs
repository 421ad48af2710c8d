//! Every example script in `scripts/` says what it does and runs through the binary (the
//! conventions are in `scripts/README.md`).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The arguments a script is tested with when its header names none.
const DEFAULT_ARGS: &str = "run {script} --range 1..=100";

fn example_scripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rhai"))
        .collect();
    scripts.sort();
    scripts
}

/// The script's opening `//!` lines, without the marker.
fn header(source: &str) -> Vec<&str> {
    source
        .lines()
        .map_while(|line| line.strip_prefix("//!"))
        .map(str::trim)
        .collect()
}

/// The command-line arguments to test `script` with: its `//! test:` line, or the default.
fn test_args(script: &Path, header: &[&str]) -> Vec<String> {
    let spec = header
        .iter()
        .find_map(|line| line.strip_prefix("test:"))
        .unwrap_or(DEFAULT_ARGS);
    let path = script.to_str().unwrap();
    spec.split_whitespace()
        .map(|arg| arg.replace("{script}", path))
        .collect()
}

#[test]
fn every_script_opens_with_a_line_saying_what_it_does() {
    let scripts = example_scripts();
    assert!(!scripts.is_empty());
    for script in scripts {
        let source = std::fs::read_to_string(&script).unwrap();
        let first = header(&source).first().copied().unwrap_or_default();
        assert!(
            first.len() > 10 && !first.starts_with("test:"),
            "{} must open with a `//!` line saying what it does",
            script.display()
        );
    }
}

#[test]
fn every_script_runs_and_writes_output() {
    for script in example_scripts() {
        let source = std::fs::read_to_string(&script).unwrap();
        let args = test_args(&script, &header(&source));
        let output = Command::cargo_bin("rsparallel")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "rsparallel {}: {}\n{stderr}",
            args.join(" "),
            output.status
        );
        assert!(
            !output.stdout.is_empty(),
            "rsparallel {} wrote nothing",
            args.join(" ")
        );
    }
}

#[test]
fn a_test_line_replaces_the_default_arguments() {
    let script = Path::new("scripts/x.rhai");
    assert_eq!(
        test_args(script, &["Says what it does.", "test: exec {script}"]),
        ["exec", "scripts/x.rhai"]
    );
    assert_eq!(
        test_args(script, &["Says what it does."]),
        ["run", "scripts/x.rhai", "--range", "1..=100"]
    );
}
