//! The per-job memory cap holds for every shape of memory bomb, and the other jobs complete.
//! This file is its own process, so its peak memory is its own.

mod common;

use common::{count_by_status, peak_rss_bytes};
use rsparallel::{CountingAllocator, JobStatus, RunspacePool, ScriptVm};

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
fn an_absurd_size_fails_its_job_instead_of_exhausting_memory() {
    // Functions that allocate a size the script chose, in one call: ours and Rhai's own.
    let cases = [
        (r#"pad_left("x", 9223372036854775807)"#, "pad_left"),
        (r#"pad_right("x", 100_000_000_000, 'é')"#, "pad_right"),
        ("blob(100_000_000_000)", "blob"),
        ("blob(100_000_000, 1)", "blob"),
        ("let a = []; a.pad(100_000_000, 0); a", "pad"),
        ("let a = []; a.pad(100_000, blob(1000)); a", "pad"),
        (r#"let s = "x"; s.pad(1_000_000_000_000, "y"); s"#, "pad"),
    ];
    let mut script = String::from("switch item {\n");
    for (i, (case, _)) in cases.iter().enumerate() {
        script.push_str(&format!("{i} => {{ {case} }},\n"));
    }
    script.push_str("_ => pad_left(\"x\", 3, '0'),\n}");
    for vm in [ScriptVm::TreeWalker, ScriptVm::Grain] {
        let pool = RunspacePool::builder()
            .threads(1)
            .max_memory(CAP)
            .vm(vm)
            .build()
            .unwrap();
        let script = pool.compile(&script).unwrap();
        let mut records: Vec<_> = pool
            .run(&script, 0..cases.len() as i64 + 1)
            .unwrap()
            .collect();
        records.sort_by_key(|r| r.seq);
        // Once, the first and the blobs aborted the process on an allocation that could not be
        // made, and the others filled memory in one native call, before the cap was next
        // looked at.
        for (r, (case, function)) in records.iter().zip(cases) {
            assert_eq!(r.status, JobStatus::Failed, "{vm}: {case}: {r:?}");
            let message = &r.error.as_ref().unwrap().message;
            assert!(message.starts_with(function), "{vm}: {case}: {message}");
            assert!(message.contains("needs more memory than the job may have"));
        }
        let last = records.last().unwrap();
        assert_eq!(last.output[0].clone().into_string().unwrap(), "00x");
    }
}

#[test]
fn the_counting_allocator_counts_this_threads_net_allocation() {
    assert!(rsparallel::is_counting());
    let before = rsparallel::thread_net_allocated();
    let block = std::hint::black_box(vec![1_u8; 1 << 20]);
    let during = rsparallel::thread_net_allocated();
    assert!(during - before >= 1 << 20, "{before} then {during}");
    drop(block);
    let after = rsparallel::thread_net_allocated();
    assert!(after < during - (1 << 19), "{during} then {after}");
}
