//! The per-job memory cap holds for every shape of memory bomb, and the other jobs complete.
//! This file is its own process, so its peak memory is its own.

mod common;

use common::count_by_status;
use rsparallel::{CountingAllocator, JobStatus, RunspacePool};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const CAP: u64 = 16 << 20;

/// A pool whose jobs may each allocate `CAP`.
fn capped_pool(threads: usize) -> RunspacePool {
    RunspacePool::builder()
        .threads(threads)
        .max_memory(CAP)
        .build()
        .unwrap()
}

fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn each_memory_bomb_fails_naming_the_cap_and_peak_memory_stays_near_it() {
    let threads = 2;
    let pool = capped_pool(threads);
    let script = pool
        .compile(
            r#"
            switch item {
                0 => { let s = "x"; loop { s += s; } }
                1 => { let a = []; loop { a.push(item); } }
                2 => { let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; } }
                _ => { let a = []; for i in 0..100 { a.push(i) } a.len() }
            }
            "#,
        )
        .unwrap();
    let baseline = peak_rss_bytes();
    let records: Vec<_> = pool.run(&script, 0..20_i64).unwrap().collect();
    let peak = peak_rss_bytes();

    for bomb in records.iter().filter(|r| r.seq < 3) {
        assert_eq!(bomb.status, JobStatus::Failed, "{bomb:?}");
        let message = &bomb.error.as_ref().unwrap().message;
        assert_eq!(message, "exceeded the memory cap of 16 MiB (max-memory)");
    }
    assert_eq!(count_by_status(&records)[&JobStatus::Completed], 17);
    // Each bomb is stopped within one growth step of the cap (a container doubling), and two
    // workers may each hold one.
    let bound = baseline + threads as u64 * 3 * CAP;
    assert!(
        peak <= bound,
        "peak {} MiB over the bound {} MiB",
        peak >> 20,
        bound >> 20
    );
}

#[test]
fn a_cap_needs_the_counting_allocator_only_where_it_is_missing() {
    assert!(rsparallel::is_counting());
    let pool = RunspacePool::builder().threads(1).max_memory(CAP).build();
    assert!(pool.is_ok());
}

#[test]
fn an_absurd_pad_width_fails_its_job_instead_of_exhausting_memory() {
    let pool = capped_pool(1);
    let script = pool
        .compile(
            r#"
            switch item {
                0 => pad_left("x", 9223372036854775807),
                1 => pad_right("x", 100_000_000_000, 'é'),
                _ => pad_left("x", 3, '0'),
            }
            "#,
        )
        .unwrap();
    let mut records: Vec<_> = pool.run(&script, 0..3_i64).unwrap().collect();
    records.sort_by_key(|r| r.seq);
    // Once, the first aborted the process on an allocation it could not make, and the second
    // filled memory in one native call, before the cap was next looked at.
    for (r, function) in records[..2].iter().zip(["pad_left", "pad_right"]) {
        assert_eq!(r.status, JobStatus::Failed, "{r:?}");
        let message = &r.error.as_ref().unwrap().message;
        assert!(message.starts_with(function), "{message}");
        assert!(message.contains("needs more memory than the job may have"));
    }
    assert_eq!(records[2].output[0].clone().into_string().unwrap(), "00x");
}
