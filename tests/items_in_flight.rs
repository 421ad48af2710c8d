//! Items read ahead of the workers are bounded in bytes, not only in number: memory must not
//! follow the input, however big its items. This file is its own process, so its peak memory
//! is its own.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::{bin, peak_rss_bytes};
use rsparallel::{JobStatus, RunspacePool};

const ITEM: usize = 2 << 20;
const ITEMS: usize = 300;

#[test]
fn fast_jobs_over_big_items_hold_few_of_them_at_once() {
    // Chunks are sized to the jobs' time: `item.len()` is so fast that, by count alone, a
    // chunk took 1,024 items, here 600 MB of them.
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool.compile("item.len()").unwrap();
    let before = peak_rss_bytes();
    let items = (0..ITEMS).map(|i| "x".repeat(ITEM - i % 2));
    let mut count = 0;
    for record in pool.run(&script, items).unwrap() {
        assert_eq!(record.status, JobStatus::Completed);
        count += 1;
    }
    assert_eq!(count, ITEMS);
    let grew = peak_rss_bytes().saturating_sub(before);
    assert!(grew < 64 << 20, "peak memory grew by {} MB", grew >> 20);
}

#[test]
fn a_pipe_is_read_ahead_of_busy_workers_only_so_far() {
    // Both workers sleep on their first job; by count alone, stdin was read ahead 4,096 items
    // meanwhile: all 600 MB of it.
    let mut child = std::process::Command::new(bin())
        .args([
            "run",
            "-j",
            "2",
            "-e",
            "if seq < 2 { sleep(1500) } item.len()",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let line = format!("{}\n", "x".repeat(ITEM));
        for _ in 0..ITEMS {
            if stdin.write_all(line.as_bytes()).is_err() {
                break;
            }
        }
    });
    let (lines, peak_kib) = wait_watching_peak(&mut child, str::to_string);
    writer.join().unwrap();
    assert_eq!(lines.len(), ITEMS);
    assert!(lines.iter().all(|l| *l == ITEM.to_string()));
    assert!(peak_kib < 128 << 10, "peak memory {} MB", peak_kib >> 10);
}

#[test]
fn a_halted_run_skips_the_rest_of_its_input_a_chunk_at_a_time() {
    // The first job fails and halts the run: the other 299 items of 1 MB become `skipped`
    // records. They were all made before the first was handed back: 300 MB at once.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.txt");
    // Written a line at a time: this process's own peak is another test's measure.
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    let line = format!("{}\n", "x".repeat(1 << 20));
    for _ in 0..ITEMS {
        file.write_all(line.as_bytes()).unwrap();
    }
    file.into_inner().unwrap().sync_all().unwrap();
    for order in [None, Some("-k")] {
        let mut child = std::process::Command::new(bin())
            .args([
                "run",
                "-j",
                "2",
                "--halt",
                "now,fail=1",
                "--output",
                "jsonl",
            ])
            .args([
                "-e",
                "if seq == 0 { throw \"first\" } item.len()",
                "--input",
            ])
            .arg(&input)
            .args(order)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Each record holds its 1 MB item: only its seq and status are kept.
        let (records, peak_kib) = wait_watching_peak(&mut child, |line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            format!("{} {}", record["seq"], record["status"].as_str().unwrap())
        });
        let mut seqs: Vec<u64> = records
            .iter()
            .map(|r| r.split(' ').next().unwrap().parse().unwrap())
            .collect();
        if order.is_none() {
            seqs.sort_unstable();
        }
        assert_eq!(seqs, (0..ITEMS as u64).collect::<Vec<_>>(), "{order:?}");
        let skipped = records.iter().filter(|r| r.ends_with(" skipped")).count();
        assert!(skipped > ITEMS / 2, "{order:?}: {skipped} skipped");
        assert!(
            peak_kib < 100 << 10,
            "{order:?}: peak memory {} MB",
            peak_kib >> 10
        );
    }
}

/// Waits for `child` to exit, keeping what `keep` makes of each line of its stdout, and
/// samples its peak memory meanwhile.
fn wait_watching_peak(
    child: &mut std::process::Child,
    keep: fn(&str) -> String,
) -> (Vec<String>, u64) {
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let reader = std::thread::spawn(move || {
        let lines = std::io::BufRead::lines(stdout);
        lines.map(|line| keep(&line.unwrap())).collect()
    });
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0_u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            peak_kib = peak_kib.max(kib);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (reader.join().unwrap(), peak_kib)
}
