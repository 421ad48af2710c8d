use super::*;

#[test]
fn operations_count_from_each_job_start() {
    let clock = JobClock::new(Instant::now());
    clock.start_job(0, None);
    assert_eq!(clock.ops_run(1), 1);
    assert_eq!(clock.ops_run(500), 500);
    // A `Vm` that ran 500 operations already: its next job counts from its own start.
    clock.start_job(1_000, None);
    assert_eq!(clock.ops_run(501), 1);
    assert_eq!(clock.ops_run(600), 100);
}

#[test]
fn a_deadline_found_by_reading_the_time_is_seen_by_every_operation_after() {
    // No ticker: only a native's own look at the time finds the deadline.
    let clock = JobClock::new(Instant::now());
    clock.start_job(0, Some(Duration::from_nanos(1)));
    assert_eq!(clock.check_and_settle(), Some(Stop::TimedOut));
    assert!((1..2048).all(|ops| clock.on_progress(ops).is_some()));
}
