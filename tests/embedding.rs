//! The library as an embedding application uses it, from outside the crate: native functions
//! and custom types, blocking functions that honour the job's signal, streams, ordering,
//! job-level use, records, and shutdown.

use std::sync::{Arc, Mutex};

use rsparallel::output::{OutputFormat, RecordWriter};
use rsparallel::rhai::Dynamic;
use rsparallel::{JobStatus, RunOptions, RunspacePool, StreamKind, Wait};

#[derive(Clone, Debug, PartialEq)]
struct Point {
    x: i64,
    y: i64,
}

#[test]
fn scripts_call_native_functions_and_use_a_custom_type_both_ways() {
    let pool = RunspacePool::builder()
        .threads(2)
        .setup(|engine| {
            engine
                .register_type_with_name::<Point>("Point")
                .register_fn("point", |x: i64, y: i64| Point { x, y })
                .register_get("x", |p: &mut Point| p.x)
                .register_get("y", |p: &mut Point| p.y)
                .register_fn("manhattan", |p: &mut Point| p.x.abs() + p.y.abs());
        })
        .build()
        .unwrap();
    // Items are the host's type; the script builds and returns the same type.
    let script = pool
        .compile("emit(item.manhattan()); point(item.y, item.x)")
        .unwrap();
    let items = [Point { x: 1, y: -2 }, Point { x: 3, y: 4 }].map(Dynamic::from);
    let mut records: Vec<_> = pool.run(&script, items).unwrap().collect();
    records.sort_by_key(|r| r.seq);
    assert_eq!(records[0].output[0].as_int().unwrap(), 3);
    assert_eq!(
        records[0].output[1].clone().cast::<Point>(),
        Point { x: -2, y: 1 }
    );
    assert_eq!(records[1].output[0].as_int().unwrap(), 7);
    assert_eq!(
        records[1].item.clone().cast::<Point>(),
        Point { x: 3, y: 4 }
    );
}

#[test]
fn stream_lines_reach_on_stream_live_and_stay_in_the_record() {
    let live = Arc::new(Mutex::new(Vec::new()));
    let sink = live.clone();
    let pool = RunspacePool::builder()
        .threads(2)
        .on_stream(move |event| {
            let line = (event.seq, event.line.kind, event.line.text.clone());
            sink.lock().unwrap().push(line);
        })
        .build()
        .unwrap();
    let script = pool
        .compile(r#"print(`p${item}`); debug(item); item"#)
        .unwrap();
    let records: Vec<_> = pool.run(&script, 0..10_i64).unwrap().collect();
    for record in &records {
        let texts: Vec<_> = record.streams.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, [format!("p{}", record.seq), record.seq.to_string()]);
        assert_eq!(record.streams[0].kind, StreamKind::Print);
        assert_eq!(record.streams[1].kind, StreamKind::Debug);
    }
    let mut live = live.lock().unwrap().clone();
    live.sort_by_key(|(seq, kind, _)| (*seq, *kind == StreamKind::Debug));
    let expected: Vec<_> = (0..10_u64)
        .flat_map(|i| {
            [
                (i, StreamKind::Print, format!("p{i}")),
                (i, StreamKind::Debug, i.to_string()),
            ]
        })
        .collect();
    assert_eq!(live, expected);
}

#[test]
fn keep_order_yields_records_in_input_order_when_jobs_finish_out_of_order() {
    let pool = RunspacePool::builder().threads(4).build().unwrap();
    // Even items sleep, so odd ones overtake them.
    let script = pool.compile("if item % 2 == 0 { sleep(5) } item").unwrap();
    let items = (0..200_i64).map(|i| Ok(Dynamic::from(i)));
    let options = RunOptions::default().keep_order(true).reorder_window(16);
    let outputs: Vec<i64> = pool
        .run_with(&script, items, options)
        .unwrap()
        .map(|r| r.output[0].as_int().unwrap())
        .collect();
    assert_eq!(outputs, (0..200).collect::<Vec<_>>());
}

#[test]
fn submitted_batches_give_every_record_once_in_order_and_status_counts_them() {
    let pool = RunspacePool::builder().threads(2).build().unwrap();
    let script = pool
        .compile(r#"if item % 10 == 0 { throw "tens fail" } item + 1"#)
        .unwrap();
    let in_order = RunOptions::default().keep_order(true);
    let first = pool.submit(&script, 0..100_i64, in_order.clone()).unwrap();
    let second = pool.submit(&script, 0..5_i64, in_order).unwrap();
    assert_ne!(first.id(), second.id());

    let first_id = first.id();
    let records: Vec<_> = first.collect();
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (0..100).collect::<Vec<_>>());
    assert!(records.iter().all(|r| r.batch == first_id));
    let failed = records
        .iter()
        .filter(|r| r.status == JobStatus::Failed)
        .count();
    assert_eq!(failed, 10);
    assert_eq!(records[0].error.as_ref().unwrap().message, "tens fail");

    assert!(second.wait(Wait::Yes));
    assert_eq!(second.peek_finished().len(), 5);
    assert_eq!(second.take_finished().len(), 5);
    // Taken records are gone from the batch.
    assert!(second.take_finished().is_empty());
    assert_eq!(second.status().unreceived, 0);
    let status = pool.status();
    assert_eq!(status.counts.total(), 105);
    assert_eq!(status.counts.get(JobStatus::Failed), 11);
}

#[test]
fn dropping_the_pool_cancels_a_running_loop_and_joins_its_workers() {
    let (lines_tx, lines) = crossbeam_channel::unbounded();
    let pool = RunspacePool::builder()
        .threads(2)
        .on_stream(move |event| {
            let _ = lines_tx.send(event.line.text.clone());
        })
        .build()
        .unwrap();
    let script = pool.compile(r#"print("looping"); loop {}"#).unwrap();
    let batch = pool
        .submit(
            &script,
            [Dynamic::UNIT, Dynamic::UNIT],
            RunOptions::default(),
        )
        .unwrap();
    assert_eq!(lines.recv().unwrap(), "looping");
    assert_eq!(lines.recv().unwrap(), "looping");
    drop(pool);
    // The stream sink lived in the workers' engines: once they are gone, so is its sender.
    assert!(lines.recv().is_err());
    // The batch ended with its pool.
    assert!(batch.wait(Wait::Yes));
}

#[test]
fn a_run_over_a_channel_streams_records_and_its_canceller_stops_it_losing_nothing() {
    let (started_tx, started) = crossbeam_channel::unbounded();
    let pool = RunspacePool::builder()
        .threads(2)
        .on_stream(move |event| {
            let _ = started_tx.send(event.seq);
        })
        .build()
        .unwrap();
    let script = pool
        .compile(r#"if item == 0 { return item; } print("started"); loop { sleep(10); }"#)
        .unwrap();
    let (items, inbox) = crossbeam_channel::unbounded();
    let mut run = pool
        .run_receiver(&script, inbox, RunOptions::default())
        .unwrap();
    items.send(Ok(Dynamic::from(0_i64))).unwrap();
    // The first record comes back while the channel is open and silent.
    let first = run.next().unwrap();
    assert_eq!(first.status, JobStatus::Completed);

    for i in 1..=3_i64 {
        items.send(Ok(Dynamic::from(i))).unwrap();
    }
    // Cancel from another thread once one of them is running. (They may share a worker: a
    // pool hands out items in chunks.)
    let canceller = run.canceller();
    let stopper = std::thread::spawn(move || {
        started.recv().unwrap();
        canceller.cancel();
    });
    // The sender is still open: the cancel alone ends the run.
    let mut rest: Vec<_> = run.by_ref().collect();
    stopper.join().unwrap();
    rest.sort_by_key(|r| r.seq);
    // Items still in the channel were never read; every item read has its record.
    let read = 3 - items.len() as u64;
    assert!(read >= 1);
    let seqs: Vec<u64> = rest.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=read).collect::<Vec<_>>());
    assert!(
        rest.iter().all(|r| r.status == JobStatus::Cancelled),
        "{rest:?}"
    );
    assert_eq!(run.counts().get(JobStatus::Cancelled), read);
    drop(items);
}

#[test]
fn a_value_nested_a_million_levels_deep_fails_its_record_and_is_dropped_safely() {
    let pool = RunspacePool::builder()
        .threads(1)
        .setup(|engine| {
            engine.register_fn("nest", |levels: i64| {
                let mut value = Dynamic::UNIT;
                for _ in 0..levels {
                    value = Dynamic::from_array(vec![value]);
                }
                value
            });
        })
        .build()
        .unwrap();
    let script = pool
        .compile("if item == 0 { nest(1_000_000) } else { nest(item) }")
        .unwrap();
    for format in [OutputFormat::Text, OutputFormat::Jsonl] {
        let mut writer = RecordWriter::new(Vec::new(), format);
        for mut record in pool.run(&script, [0_i64, 1_000]).unwrap() {
            writer.write(&mut record).unwrap();
            let shallow = record.item.as_int() == Ok(1_000);
            assert_eq!(record.status == JobStatus::Completed, shallow);
            if !shallow {
                // Once, writing it overflowed the writing thread's stack, and so did dropping it.
                let error = record.error.as_ref().unwrap();
                assert!(
                    error.message.contains("nested more than 1000 levels deep"),
                    "{error:?}"
                );
            }
        }
    }
    let script = pool.compile("to_json(nest(2_000))").unwrap();
    let record = pool.run(&script, [0_i64]).unwrap().next().unwrap();
    let error = record.error.unwrap();
    assert!(
        error.message.starts_with("to_json: the value is nested"),
        "{error:?}"
    );
}

#[test]
fn a_run_is_consumed_on_another_thread_and_reports_when_it_waits() {
    let pool = RunspacePool::builder().threads(1).build().unwrap();
    let script = pool.compile("sleep(20); item * 2").unwrap();
    std::thread::scope(|scope| {
        let mut run = pool.run(&script, 0..3_i64).unwrap();
        run.on_idle(|| {});
        // A run is Send: the thread that started it need not be the one that reads it.
        let reader = scope.spawn(move || {
            let (mut records, mut idle) = (Vec::new(), 0);
            while let Some(event) = run.next_event() {
                match event {
                    rsparallel::RunEvent::Record(record) => records.push(record),
                    rsparallel::RunEvent::Idle => idle += 1,
                    _ => {}
                }
            }
            (records, idle)
        });
        let (records, idle) = reader.join().unwrap();
        assert_eq!(records.len(), 3);
        // After each of the first two records, the run waited 20 ms for the next.
        assert!(idle >= 2, "{idle} idle events");
    });
}
