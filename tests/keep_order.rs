//! The library's pool with `keep_order`: records in input order, and how much it holds back.

mod common;

use common::pool;
use rsparallel::RunOptions;
use rsparallel::rhai::Dynamic;

#[test]
fn keep_order_yields_records_in_input_order_with_a_small_window() {
    let pool = pool(3, 0);
    let script = pool.compile("if item % 7 == 0 { sleep(2); } item").unwrap();
    let options = RunOptions::default().keep_order(true).reorder_window(8);
    let items = (0..500_i64).map(|i| Ok(Dynamic::from(i)));
    let seqs: Vec<u64> = pool
        .run_with(&script, items, options)
        .unwrap()
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs, (0..500).collect::<Vec<_>>());
}

#[test]
fn keep_order_holds_back_records_only_up_to_its_bytes() {
    // Item 0 is slow; every other job makes 512 KB. With 1 MiB of records held back, input is
    // read no further until item 0's record goes out: only a few jobs start before it ends.
    // (40 records of 100 MB each once took 4 GB.)
    let pool = pool(2, 0);
    let script = pool
        .compile(r#"if item == 0 { sleep(1500) } let s = ""; s.pad(512 * 1024, "x"); s"#)
        .unwrap();
    let options = RunOptions::default()
        .keep_order(true)
        .reorder_window_bytes(1 << 20);
    let items = (0..40_i64).map(|i| Ok(Dynamic::from(i)));
    let records: Vec<_> = pool.run_with(&script, items, options).unwrap().collect();
    assert_eq!(records.len(), 40);
    assert!(records.iter().enumerate().all(|(i, r)| r.seq == i as u64));
    let first_end = records[0].end.unwrap();
    let started_before = records[1..]
        .iter()
        .filter(|r| r.start.unwrap() < first_end)
        .count();
    assert!(
        started_before <= 8,
        "{started_before} jobs started while item 0 ran"
    );
}
