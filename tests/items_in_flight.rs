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
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
        out
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
    writer.join().unwrap();
    let out = reader.join().unwrap();
    assert_eq!(out.lines().count(), ITEMS);
    assert!(out.lines().all(|l| l == ITEM.to_string()));
    assert!(peak_kib < 128 << 10, "peak memory {} MB", peak_kib >> 10);
}
