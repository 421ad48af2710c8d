//! Native functions and the job's clock: a blocking function ends with its job's timeout or
//! cancel through `JobSignal`, and a loop of slow calls stops at the deadline.

use std::time::Duration;

use rsparallel::rhai::{Dynamic, EvalAltResult};
use rsparallel::{JobSignal, JobStatus, RunOptions, RunspacePool, Wait};

/// A host function that blocks until its job's signal ends it, telling the test when it
/// has started so that the test cancels a job that is really running.
fn register_blocking(
    engine: &mut rsparallel::rhai::Engine,
    started: crossbeam_channel::Sender<()>,
) {
    engine.register_fn("block", move || -> Result<i64, Box<EvalAltResult>> {
        let signal = JobSignal::current().expect("a job's signal in a worker");
        let _ = started.send(());
        signal.sleep(Duration::from_secs(3600))?;
        Ok(0)
    });
}

#[test]
fn a_blocking_native_function_ends_with_its_jobs_timeout() {
    let (started, _) = crossbeam_channel::unbounded();
    let pool = RunspacePool::builder()
        .threads(1)
        .timeout(Duration::from_millis(50))
        .setup(move |engine| register_blocking(engine, started.clone()))
        .build()
        .unwrap();
    let script = pool.compile("block()").unwrap();
    let record = pool.run(&script, [0_i64]).unwrap().next().unwrap();
    assert_eq!(record.status, JobStatus::TimedOut, "{:?}", record.error);
    assert!(record.error.unwrap().message.contains("timed out"));
}

#[test]
fn a_blocking_native_function_ends_when_its_batch_is_stopped() {
    let (started_tx, started) = crossbeam_channel::unbounded();
    let pool = RunspacePool::builder()
        .threads(1)
        .setup(move |engine| register_blocking(engine, started_tx.clone()))
        .build()
        .unwrap();
    let script = pool.compile("block()").unwrap();
    let batch = pool
        .submit(&script, [Dynamic::UNIT], RunOptions::default())
        .unwrap();
    started.recv().unwrap();
    batch.cancel();
    assert!(batch.wait(Wait::Yes));
    let records = batch.take_finished();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, JobStatus::Cancelled);
    assert!(records[0].worker.is_some(), "the job had started");
}

#[test]
fn job_signal_is_absent_outside_a_pools_worker_and_reports_the_time_left_inside() {
    assert!(JobSignal::current().is_none());
    let pool = RunspacePool::builder()
        .threads(1)
        .timeout(Duration::from_secs(60))
        .setup(|engine| {
            engine.register_fn("has_time_left", || {
                let signal = JobSignal::current().unwrap();
                !signal.should_stop()
                    && signal.check().is_ok()
                    && signal
                        .remaining()
                        .is_some_and(|left| left <= Duration::from_secs(60))
            });
        })
        .build()
        .unwrap();
    let script = pool.compile("has_time_left()").unwrap();
    let record = pool.run(&script, [0_i64]).unwrap().next().unwrap();
    assert_eq!(record.output[0].as_bool(), Ok(true));
}

#[test]
fn a_native_function_sees_its_jobs_time_left_and_whether_to_stop() {
    let (seen_tx, seen) = crossbeam_channel::unbounded::<(bool, bool, bool)>();
    let pool = RunspacePool::builder()
        .threads(1)
        .timeout(Duration::from_millis(200))
        .setup(move |engine| {
            let seen_tx = seen_tx.clone();
            // Polls, as a host function waiting on something of its own would.
            engine.register_fn("poll", move || -> Result<(), Box<EvalAltResult>> {
                let signal = JobSignal::current().expect("a job's signal in a worker");
                let at_start = signal.should_stop();
                let left = signal.remaining().expect("the job has a timeout");
                signal.check()?;
                while !signal.should_stop() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let _ = seen_tx.send((at_start, left <= Duration::from_millis(200), true));
                signal.check()
            });
        })
        .build()
        .unwrap();
    assert!(
        JobSignal::current().is_none(),
        "no job on the test's thread"
    );
    let script = pool.compile("poll(); 1").unwrap();
    let record = pool.run(&script, [0_i64]).unwrap().next().unwrap();
    // The function returned once the deadline passed, with the error that times the job out.
    assert_eq!(record.status, JobStatus::TimedOut, "{:?}", record.error);
    let (at_start, left_ok, at_end) = seen.try_recv().expect("poll ran to its end");
    assert!(!at_start, "a job must not stop as it starts");
    assert!(left_ok);
    assert!(at_end);
}

#[test]
fn a_job_of_slow_native_calls_that_never_look_at_the_clock_stops_at_its_deadline() {
    // Each call takes 2 ms and looks at nothing: only the pool's timer, raising the job's
    // alarm at the deadline, stops the loop at its next operation. Looking at the clock only
    // every 1,024 operations would let it run hundreds of calls past its deadline.
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = calls.clone();
    let pool = RunspacePool::builder()
        .threads(1)
        .timeout(Duration::from_millis(100))
        .setup(move |engine| {
            let counted = counted.clone();
            engine.register_fn("slow", move || {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            });
        })
        .build()
        .unwrap();
    let script = pool.compile("loop { slow(); }").unwrap();
    let record = pool.run(&script, [0_i64]).unwrap().next().unwrap();
    assert_eq!(record.status, JobStatus::TimedOut);
    let calls = calls.load(std::sync::atomic::Ordering::SeqCst);
    // At most about 50 calls fit in the timeout (fewer on a loaded machine, where a 2 ms sleep
    // takes longer); a stop that waited for the 1,024th operation would make hundreds more.
    assert!(
        calls < 150,
        "{calls} calls of 2 ms in a job with a 100 ms timeout"
    );
}
