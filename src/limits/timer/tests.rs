use super::*;

/// How far a counter time may be from the system clock read around it: the rate's error over
/// the millisecond between readings, and each reading's tick, are a few microseconds at most.
const TOLERANCE_NANOS: u64 = 20_000;

fn epoch() -> (Instant, SystemTime) {
    (Instant::now(), SystemTime::now())
}

/// On x86_64 the counter is used whether or not this machine's kernel keeps time with it.
fn timer(epoch: (Instant, SystemTime)) -> JobTimer {
    JobTimer::with_counter(epoch, true)
}

/// Times `jobs` short jobs, each end checked against system-clock readings taken just before
/// and after it.
fn check_short_jobs(timer: &mut JobTimer, epoch: Instant, jobs: u64) {
    let mut start = timer.now();
    for i in 0..jobs {
        std::hint::black_box((0..i % 50).sum::<u64>());
        let before = epoch.elapsed().as_nanos() as u64;
        let end = timer.job_end();
        let after = epoch.elapsed().as_nanos() as u64;
        assert!(end.nanos >= start.nanos, "time went back at job {i}");
        assert!(
            end.nanos + TOLERANCE_NANOS >= before && end.nanos <= after + TOLERANCE_NANOS,
            "job {i}: {} not within {before}..{after}",
            end.nanos
        );
        assert_eq!(end.wall, timer.epoch.1 + Duration::from_nanos(end.nanos));
        start = end;
    }
}

#[test]
fn counter_times_agree_with_the_system_clock() {
    let epoch = epoch();
    let mut timer = timer(epoch);
    check_short_jobs(&mut timer, epoch.0, 20_000);
    // Past the time the rate takes to measure, and over many clock re-readings.
    std::thread::sleep(Duration::from_millis(5));
    check_short_jobs(&mut timer, epoch.0, 200_000);
    // Where the kernel keeps time by the counter (elsewhere a clock read may be too slow for
    // two counter reads around it to be close), the counter was measured, and times jobs.
    if counter_is_trusted() {
        timer.now();
        let counter = timer.counter.as_ref().expect("a timer with a counter");
        assert!(counter.rate > 0.0, "the rate was measured: {counter:?}");
        assert!(
            counter.nanos_now().is_some(),
            "the counter times the next job"
        );
    }
}

#[test]
fn without_the_counter_every_job_reads_the_system_clock() {
    let epoch = epoch();
    let mut timer = JobTimer::with_counter(epoch, false);
    check_short_jobs(&mut timer, epoch.0, 20_000);
}

#[test]
fn a_long_job_is_timed_by_the_system_clock() {
    let epoch = epoch();
    let mut timer = timer(epoch);
    std::thread::sleep(Duration::from_millis(3));
    check_short_jobs(&mut timer, epoch.0, 20_000);
    let start = timer.now();
    std::thread::sleep(Duration::from_millis(3));
    let end = timer.job_end();
    let took = between(start, end);
    assert!(took >= Duration::from_millis(3), "{took:?}");
    assert!(took < Duration::from_millis(500), "{took:?}");
}

#[test]
fn times_handed_out_never_go_back() {
    let mut timer = timer(epoch());
    let first = timer.now();
    // A system-clock reading earlier than a time already handed out (a counter time slightly
    // ahead) does not move a worker's next chunk back over its last job.
    timer.latest = first.nanos + 1_000_000;
    assert_eq!(timer.now().nanos, first.nanos + 1_000_000);
    assert_eq!(timer.job_end().nanos, first.nanos + 1_000_000);
}

/// A counter with a measured rate of 0.5 ns a tick, last read at tick 1,000,000,000 and 10 ms.
fn measured() -> Counter {
    let mut counter = Counter::default();
    counter.note(0, 980_000_000, 980_000_100);
    counter.note(10_000_000, 1_000_000_000, 1_000_000_100);
    assert!((counter.rate - 0.5).abs() < 1e-6, "{counter:?}");
    counter
}

#[test]
fn an_interrupted_reading_is_not_kept() {
    let mut counter = measured();
    // 100 ms between the two counter reads: the clock was read somewhere in there.
    counter.note(20_000_000, 1_020_000_000, 1_220_000_000);
    assert_eq!(
        (counter.last_nanos, counter.last_ticks),
        (10_000_000, 1_000_000_050)
    );
    // Counter reads going backwards (another core's counter): the same.
    counter.note(20_000_000, 1_020_000_000, 1_010_000_000);
    assert_eq!(counter.last_nanos, 10_000_000);
    assert!(counter.rate > 0.0);
}

#[test]
fn a_reading_far_from_the_prediction_measures_the_rate_again() {
    let mut counter = measured();
    // 1 ms later by the counter (2,000,000 ticks), but 5 ms later by the system clock.
    counter.note(15_000_000, 1_002_000_000, 1_002_000_100);
    assert_eq!(counter.rate, 0.0);
    assert_eq!(
        counter.recheck_ticks, 0,
        "the counter is not used until measured again"
    );
    assert_eq!(counter.origin, Some((15_000_000, 1_002_000_050)));
    // Within the rate's error of the prediction: kept. 1 ms on: 20 µs and 1/300 of 1 ms allowed.
    for off in [15_000, 23_000] {
        let mut counter = measured();
        counter.note(11_000_000 + off, 1_002_000_000, 1_002_000_100);
        assert!(counter.rate > 0.0, "{off} ns off after 1 ms");
        assert_eq!(counter.last_nanos, 11_000_000 + off);
    }
    let mut counter = measured();
    counter.note(11_000_000 + 24_000, 1_002_000_000, 1_002_000_100);
    assert_eq!(counter.rate, 0.0, "24 µs off after 1 ms");
    // After an idle second, 0.2 % off (2 ms) is within the rate's error; 0.4 % is not.
    let mut counter = measured();
    counter.note(1_012_000_000, 3_000_000_000, 3_000_000_100);
    assert!(counter.rate > 0.0, "0.2 % off after a second");
    let mut counter = measured();
    counter.note(1_014_000_000, 3_000_000_000, 3_000_000_100);
    assert_eq!(counter.rate, 0.0, "0.4 % off after a second");
}

#[test]
fn an_implausible_rate_is_not_used() {
    let mut counter = Counter::default();
    counter.note(0, 1_000, 1_100);
    // 10 ms in 1,000 ticks: 10 µs a tick.
    counter.note(10_000_000, 2_000, 2_100);
    assert_eq!(counter.rate, 0.0);
    assert_eq!(counter.origin, Some((10_000_000, 2_050)));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn a_counter_read_behind_the_last_reading_falls_back_to_the_clock() {
    let mut counter = Counter {
        last_nanos: 10,
        last_ticks: u64::MAX,
        rate: 0.5,
        scaled_rate: (0.5 * SCALE) as u64,
        recheck_ticks: 2_000_000,
        ..Counter::default()
    };
    assert_eq!(counter.nanos_now(), None);
    counter.last_ticks = ticks();
    let nanos = counter
        .nanos_now()
        .expect("a tick count within the recheck");
    assert!((10..10 + 1_000_000).contains(&nanos), "{nanos}");
    counter.recheck_ticks = 0;
    assert_eq!(
        counter.nanos_now(),
        None,
        "no rate yet, or past the recheck"
    );
}
