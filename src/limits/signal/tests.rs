use std::rc::Rc;
use std::time::Instant;

use super::*;

#[test]
fn what_a_stopped_native_held_is_dropped_after_the_job_on_a_worker_and_now_elsewhere() {
    std::thread::spawn(|| {
        let value = Rc::new(());
        let stop = || Err::<(), _>(terminated(Stop::TimedOut));
        let _ = drop_after_stop(Rc::clone(&value), stop());
        assert_eq!(Rc::strong_count(&value), 1, "no worker: dropped now");

        install(Arc::new(JobClock::new(Instant::now())));
        let _ = drop_after_stop(Rc::clone(&value), Ok(()));
        let _ = drop_after_stop(Rc::clone(&value), Err::<(), _>("other".into()));
        assert_eq!(
            Rc::strong_count(&value),
            1,
            "not the job's stop: dropped now"
        );
        let _ = drop_after_stop(Rc::clone(&value), stop());
        assert_eq!(
            Rc::strong_count(&value),
            2,
            "stopped on a worker: kept until the job's end"
        );
        drop_left_behind();
        assert_eq!(Rc::strong_count(&value), 1);
    })
    .join()
    .unwrap();
}

#[test]
fn a_stepped_copy_counts_a_value_as_the_values_it_holds() {
    std::thread::spawn(|| {
        let clock = Arc::new(JobClock::new(Instant::now()));
        install(clock.clone());
        // A deadline already passed: the first look at the clock stops the copy.
        clock.start_job(0, Some(std::time::Duration::from_nanos(1)));
        let held: Array = (0..2000).map(Dynamic::from).collect();
        let values = vec![Dynamic::from_array(held); 10];
        let copied = collect_stepped(values.into_iter());
        assert!(copied.is_err(), "ten values of 2,000 copied without a look");
        let small = vec![Dynamic::from(1_i64); 10];
        assert_eq!(
            collect_stepped(small.into_iter()).map(|a| a.len()).ok(),
            Some(10)
        );
        clock.end_job();
        drop_left_behind();
    })
    .join()
    .unwrap();
}
