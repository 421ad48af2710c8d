//! Conversions that make more than they are given stop at the job's memory cap: JSON parsed
//! into values (several times the memory of its text), and a program's output that is not
//! UTF-8 made text (three bytes for each invalid one). Something within the cap must not be
//! built whole into something past it before the cap is looked at. This file is its own
//! process, so its peak memory is its own.

mod common;

use common::peak_rss_bytes;
use rsparallel::capabilities::{Capability, Permissions};
use rsparallel::{CountingAllocator, JobErrorKind, JobStatus, RunspacePool};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const CAP: u64 = 16 << 20;

#[test]
fn a_text_within_the_cap_whose_values_are_not_fails_at_the_cap() {
    // 7 MB of small objects: about 80 MB as values.
    let text = format!(
        "[{}]",
        (0..400_000)
            .map(|i| format!(r#"{{"n":{i},"s":"x"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(text.len() < 8 << 20);
    let before = peak_rss_bytes();
    let pool = RunspacePool::builder()
        .threads(1)
        .max_memory(CAP)
        .build()
        .unwrap();
    let script = pool.compile("parse_json(item).len()").unwrap();
    let record = pool.run(&script, [text]).unwrap().next().unwrap();
    assert_eq!(record.status, JobStatus::Failed);
    let error = record.error.unwrap();
    assert_eq!(error.kind, JobErrorKind::MemoryCap, "{error}");
    assert!(error.message.starts_with("parse_json: "), "{error}");
    let grew = peak_rss_bytes().saturating_sub(before);
    assert!(grew < 3 * CAP, "peak memory grew by {} MB", grew >> 20);

    // Within the cap, the same text parses.
    let small = r#"[{"n":1,"s":"x"},{"n":2,"s":"y"}]"#;
    let record = pool.run(&script, [small]).unwrap().next().unwrap();
    assert_eq!(record.output[0].as_int(), Ok(2));
}

#[test]
fn output_within_the_cap_that_is_not_utf8_fails_when_its_text_would_pass_it() {
    let pool = RunspacePool::builder()
        .threads(1)
        .max_memory(CAP)
        .permissions(Permissions::none().allow(Capability::Run, Some("sh")))
        .build()
        .unwrap();
    // 6 MB of 0xFF: within the cap as bytes, 18 MB as text.
    let script = pool
        .compile(
            r#"run_process("sh", ["-c", "head -c " + item + " /dev/zero | tr '\\0' '\\377'"]).stdout.len()"#,
        )
        .unwrap();
    let record = pool.run(&script, ["6000000"]).unwrap().next().unwrap();
    assert_eq!(record.status, JobStatus::Failed);
    let error = record.error.unwrap();
    assert_eq!(error.kind, JobErrorKind::MemoryCap, "{error}");
    assert!(error.message.starts_with("run_process: "), "{error}");
    // A little of it is text, each byte U+FFFD.
    let record = pool.run(&script, ["1000"]).unwrap().next().unwrap();
    assert_eq!(record.output[0].as_int(), Ok(1000), "{:?}", record.error);
}
