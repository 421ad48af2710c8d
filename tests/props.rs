//! Property tests: whatever mix of outcomes, thread count and ordering, every item gets
//! exactly one record with the status it deserved; the item readers never panic.

mod common;

use std::time::Duration;

use proptest::prelude::*;
use rsparallel::input::{InputFormat, read_items};
use rsparallel::rhai::Dynamic;
use rsparallel::{JobStatus, RunOptions, RunspacePool};

/// What an item asks its job to do, by `item % 5`.
fn deserved(kind: i64) -> JobStatus {
    match kind {
        0 => JobStatus::Completed,
        1 => JobStatus::Failed,   // throws
        2 => JobStatus::TimedOut, // sleeps past the timeout
        3 => JobStatus::Failed,   // runs past the operation budget
        _ => JobStatus::Failed,   // a native function panics
    }
}

const SCRIPT: &str = r#"
    switch item % 5 {
        0 => item,
        1 => throw `no ${item}`,
        2 => { sleep(10_000); item }
        3 => { let i = 0; loop { i += 1; } }
        _ => explode(item),
    }
"#;

fn pool(threads: usize) -> RunspacePool {
    RunspacePool::builder()
        .threads(threads)
        // Far longer than any job but the sleeping one takes (microseconds; 2,000 operations),
        // so that only that one times out however loaded the machine; the sleeping one sleeps
        // far past it.
        .timeout(Duration::from_millis(250))
        .max_operations(2_000)
        .setup(|engine| {
            engine.register_fn("explode", |x: i64| -> i64 { panic!("boom {x}") });
        })
        .build()
        .unwrap()
}

proptest! {
    // No regressions file: a failing case is printed, not written into the source tree.
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_item_gets_one_record_with_the_status_it_deserved(
        kinds in proptest::collection::vec(0_i64..5, 0..40),
        threads in 1_usize..5,
        keep_order in any::<bool>(),
        window in 1_usize..16,
    ) {
        let pool = pool(threads);
        let script = pool.compile(SCRIPT).unwrap();
        // Item i has kind kinds[i]: i * 5 + kind keeps `item % 5 == kind`.
        let items: Vec<i64> = kinds.iter().enumerate().map(|(i, k)| i as i64 * 5 + k).collect();
        let options = RunOptions::default().keep_order(keep_order).reorder_window(window);
        let input = items.iter().map(|i| Ok(Dynamic::from(*i)));
        let records: Vec<_> = pool.run_with(&script, input, options).unwrap().collect();

        prop_assert_eq!(records.len(), items.len());
        let mut seen = vec![false; items.len()];
        for (position, record) in records.iter().enumerate() {
            let seq = record.seq as usize;
            prop_assert!(!seen[seq], "seq {} twice", seq);
            seen[seq] = true;
            if keep_order {
                prop_assert_eq!(seq, position);
            }
            prop_assert_eq!(record.status, deserved(kinds[seq]), "seq {}: {:?}", seq, record.error);
        }
    }

    #[test]
    fn readers_never_panic_and_account_for_every_line(
        bytes in proptest::collection::vec(any::<u8>(), 0..2_000),
        format in prop_oneof![Just(InputFormat::Lines), Just(InputFormat::Jsonl), Just(InputFormat::Csv)],
        limit in 1_usize..200,
    ) {
        let results: Vec<_> = read_items(&bytes[..], format, limit).collect();
        if format == InputFormat::Lines {
            let lines = bytes.split(|b| *b == b'\n').count() - usize::from(bytes.ends_with(b"\n") || bytes.is_empty());
            prop_assert_eq!(results.len(), lines);
        }
        for result in results {
            if let Err(bad) = result {
                prop_assert!(bad.error.message.starts_with("input line "), "{}", bad.error.message);
            }
        }
    }
}
