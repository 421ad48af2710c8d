//! How a worker times its jobs: the system clock once per chunk, the CPU's time-stamp counter
//! between.
//!
//! A trivial job takes a few hundred nanoseconds, and its record needs its end time. Reading the
//! system clock for it (`Instant::now`, ~29 ns on the development machine, behind a fence) and
//! turning that into wall-clock time cost a fifth of the library pool's throughput on
//! `item * 2 + 1`. Where the kernel itself keeps time with the time-stamp counter (its clock
//! source is `tsc`), a worker reads the system clock at the start of each chunk and after any
//! stretch of over a millisecond, and the counter (~11 ns, no fence) for each job between:
//! the job's end is the last system-clock reading plus the ticks since, at the rate measured
//! over the worker's life so far. Elsewhere, and until a rate is known, every job reads the
//! system clock.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// How long the counter alone may time a worker before the system clock is read again: a rate
/// off by one part in ten thousand then misplaces a time by at most 100 ns.
const RECHECK_AFTER: Duration = Duration::from_millis(1);

/// How long after its first reading a worker waits before trusting the rate it measures: the
/// two clock reads behind each reading may be some tens of nanoseconds apart.
const MEASURE_RATE_OVER: Duration = Duration::from_micros(200);

/// 2^32, the fixed-point scale of `Counter::scaled_rate`.
const SCALE: f64 = 4_294_967_296.0;

/// A moment, read once, as nanoseconds after the pool's epoch (deadlines, durations) and as
/// wall-clock time (records): a job's end is the next job's start, so each serves twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) nanos: u64,
    pub(crate) wall: SystemTime,
}

/// Nanoseconds from `earlier` to `later`, as a `Duration`.
pub(crate) fn between(earlier: Stamp, later: Stamp) -> Duration {
    Duration::from_nanos(later.nanos.saturating_sub(earlier.nanos))
}

/// One worker's job timer.
pub(crate) struct JobTimer {
    epoch: (Instant, SystemTime),
    counter: Option<Counter>,
}

/// The counter's state: the worker's first and last system-clock readings, each with the
/// counter read beside it, and the rate between them.
struct Counter {
    first: Option<(u64, u64)>,
    last_nanos: u64,
    last_ticks: u64,
    /// Nanoseconds per tick, times 2^32 (integer arithmetic: a float conversion on every job
    /// cost a measurable share of a trivial one); 0 until measured.
    scaled_rate: u64,
    /// Ticks in `RECHECK_AFTER`, at that rate: fewer ticks times `scaled_rate` fit in 64 bits.
    recheck_ticks: u64,
}

impl JobTimer {
    /// A timer counting from the pool's `epoch`, on the counter where it can be trusted.
    pub(crate) fn new(epoch: (Instant, SystemTime)) -> Self {
        Self::with_counter(epoch, counter_is_trusted())
    }

    pub(crate) fn with_counter(epoch: (Instant, SystemTime), use_counter: bool) -> Self {
        let counter = use_counter.then_some(Counter {
            first: None,
            last_nanos: 0,
            last_ticks: 0,
            scaled_rate: 0,
            recheck_ticks: 0,
        });
        JobTimer { epoch, counter }
    }

    fn stamp(&self, nanos: u64) -> Stamp {
        Stamp {
            nanos,
            wall: self.epoch.1 + Duration::from_nanos(nanos),
        }
    }

    /// Reads the system clock (and the counter beside it, to time the jobs that follow).
    pub(crate) fn now(&mut self) -> Stamp {
        let nanos = u64::try_from(self.epoch.0.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if let Some(counter) = &mut self.counter {
            counter.note(nanos, ticks());
        }
        self.stamp(nanos)
    }

    /// The end of a job that started at `start`, which was read by this timer.
    #[inline]
    pub(crate) fn job_end(&mut self, start: Stamp) -> Stamp {
        let from_counter = self.counter.as_ref().and_then(Counter::nanos_now);
        let end = match from_counter {
            Some(nanos) => self.stamp(nanos),
            None => self.now(),
        };
        if end.nanos < start.nanos { start } else { end }
    }
}

impl Counter {
    fn note(&mut self, nanos: u64, ticks: u64) {
        let (first_nanos, first_ticks) = *self.first.get_or_insert((nanos, ticks));
        let elapsed = nanos.saturating_sub(first_nanos);
        if elapsed >= MEASURE_RATE_OVER.as_nanos() as u64 && ticks > first_ticks {
            let rate = elapsed as f64 / (ticks - first_ticks) as f64;
            // A counter that runs at an implausible rate is not timing anything: keep reading
            // the system clock.
            (self.scaled_rate, self.recheck_ticks) = if (0.01..100.0).contains(&rate) {
                let recheck = RECHECK_AFTER.as_nanos() as f64 / rate;
                ((rate * SCALE) as u64, recheck as u64)
            } else {
                (0, 0)
            };
        }
        self.last_nanos = nanos;
        self.last_ticks = ticks;
    }

    /// The time now from the counter, unless the rate is not known yet or the last system-clock
    /// reading is too old (or the counter reads earlier than it: another core's, behind).
    #[inline]
    fn nanos_now(&self) -> Option<u64> {
        let ticks = ticks().checked_sub(self.last_ticks)?;
        // With no rate yet, `recheck_ticks` is 0.
        if ticks >= self.recheck_ticks {
            return None;
        }
        // At most a millisecond's worth of nanoseconds, times 2^32: well within 64 bits.
        Some(self.last_nanos + ((ticks * self.scaled_rate) >> 32))
    }
}

/// Whether the kernel keeps time with the time-stamp counter: then it judged the counter
/// constant-rate and in step across cores, and so can a worker.
fn counter_is_trusted() -> bool {
    static TRUSTED: OnceLock<bool> = OnceLock::new();
    *TRUSTED.get_or_init(|| {
        cfg!(target_arch = "x86_64")
            && std::fs::read_to_string(
                "/sys/devices/system/clocksource/clocksource0/current_clocksource",
            )
            .is_ok_and(|source| source.trim() == "tsc")
    })
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn ticks() -> u64 {
    // SAFETY: `rdtsc` has no preconditions on x86_64; it only reads the counter.
    #[allow(unsafe_code)]
    unsafe {
        std::arch::x86_64::_rdtsc()
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn ticks() -> u64 {
    // Never trusted there (`counter_is_trusted`): a timer without a counter does not call this.
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch() -> (Instant, SystemTime) {
        (Instant::now(), SystemTime::now())
    }

    /// Times many short jobs, each end checked against system-clock readings taken just before
    /// and after it.
    fn check_short_jobs(timer: &mut JobTimer, epoch: Instant) {
        let mut start = timer.now();
        for i in 0..20_000_u64 {
            std::hint::black_box((0..i % 50).sum::<u64>());
            let before = epoch.elapsed().as_nanos() as u64;
            let end = timer.job_end(start);
            let after = epoch.elapsed().as_nanos() as u64;
            assert!(end.nanos >= start.nanos, "time went back at job {i}");
            // Counter times may be off by a small fraction of the 1 ms between system-clock
            // readings; allow 50 µs for a preempted thread.
            assert!(
                end.nanos + 50_000 >= before && end.nanos <= after + 50_000,
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
        let mut timer = JobTimer::with_counter(epoch, counter_is_trusted());
        check_short_jobs(&mut timer, epoch.0);
        // Past the time the rate takes to measure, and over many clock re-readings.
        std::thread::sleep(Duration::from_millis(5));
        check_short_jobs(&mut timer, epoch.0);
    }

    #[test]
    fn without_the_counter_every_job_reads_the_system_clock() {
        let epoch = epoch();
        let mut timer = JobTimer::with_counter(epoch, false);
        check_short_jobs(&mut timer, epoch.0);
    }

    #[test]
    fn a_long_job_is_timed_by_the_system_clock() {
        let epoch = epoch();
        let mut timer = JobTimer::with_counter(epoch, counter_is_trusted());
        let start = timer.now();
        std::thread::sleep(Duration::from_millis(3));
        let end = timer.job_end(start);
        let took = between(start, end);
        assert!(took >= Duration::from_millis(3), "{took:?}");
        assert!(took < Duration::from_millis(500), "{took:?}");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn a_counter_read_behind_the_last_reading_falls_back_to_the_clock() {
        let mut counter = Counter {
            first: Some((0, 0)),
            last_nanos: 10,
            last_ticks: u64::MAX,
            scaled_rate: (0.5 * SCALE) as u64,
            recheck_ticks: 2_000_000,
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
}
