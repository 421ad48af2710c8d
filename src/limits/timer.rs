//! How a worker times its jobs: the system clock once per chunk, the CPU's time-stamp counter
//! between.
//!
//! A trivial job takes a few hundred nanoseconds, and its record needs its end time. Reading the
//! system clock for it (`Instant::now`, ~29 ns on the development machine, behind a fence) and
//! turning that into wall-clock time cost a sixth of the library pool's throughput on
//! `item * 2 + 1`. Where the kernel itself keeps time with the time-stamp counter (its clock
//! source is `tsc`), a worker reads the system clock at the start of each chunk and whenever
//! the counter says a millisecond has passed since, and the counter (no system call, no fence)
//! for each job between: the job's end is the last system-clock reading plus the ticks since,
//! at the rate measured over the worker's life. Elsewhere, and until a rate is known, every job
//! reads the system clock.
//!
//! Each system-clock reading is taken between two counter reads, and kept only if they are
//! close: a thread interrupted in between would pair the clock with the wrong tick. A reading
//! far from what the counter predicted (a rate misjudged, a counter that jumped) starts the
//! rate's measurement again. Whatever the counter does, its times are never more than a
//! millisecond by the counter from a system-clock reading, which bounds their error. Times a
//! timer hands out never go back, so a worker's jobs never overlap.

use std::ops::RangeInclusive;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// How long by the counter the counter alone may time a worker before the system clock is read
/// again: a rate off by a part in a thousand then misplaces a time by at most a microsecond.
const RECHECK_AFTER: Duration = Duration::from_millis(1);

/// How long after the first reading the rate is first measured: with each reading's tick known
/// to a few microseconds, over 2 ms the rate is within a fraction of a percent.
const MEASURE_RATE_OVER: Duration = Duration::from_millis(2);

/// The most ticks between the two counter reads around a system-clock read, for the reading to
/// be kept (a clock read takes ~100 ticks; this is a few microseconds at any likely rate).
const PAIR_TICKS_MAX: u64 = 10_000;

/// Nanoseconds per tick that a time-stamp counter can have: 0.5 to 10 GHz.
const PLAUSIBLE_RATES: RangeInclusive<f64> = 0.1..=2.0;

/// How far a system-clock reading may be from the counter's prediction, beyond a part in 300
/// of the time since the last reading, before the rate is measured again.
const DRIFT_LIMIT: Duration = Duration::from_micros(20);

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
    /// The latest time handed out: none later is earlier.
    latest: u64,
}

/// The counter's state: where the rate is measured from, the last system-clock reading with its
/// tick, and the rate.
#[derive(Debug, Default)]
struct Counter {
    origin: Option<(u64, u64)>,
    last_nanos: u64,
    last_ticks: u64,
    /// Nanoseconds per tick; 0 until measured.
    rate: f64,
    /// The same, times 2^32: integer arithmetic on every job (a float conversion there cost a
    /// measurable share of a trivial job).
    scaled_rate: u64,
    /// Ticks in `RECHECK_AFTER` at that rate, 0 until measured: fewer ticks times `scaled_rate`
    /// fit in 64 bits.
    recheck_ticks: u64,
}

impl JobTimer {
    /// A timer counting from the pool's `epoch`, on the counter where it can be trusted.
    pub(crate) fn new(epoch: (Instant, SystemTime)) -> Self {
        Self::with_counter(epoch, counter_is_trusted())
    }

    pub(crate) fn with_counter(epoch: (Instant, SystemTime), use_counter: bool) -> Self {
        let counter = (use_counter && cfg!(target_arch = "x86_64")).then(Counter::default);
        JobTimer {
            epoch,
            counter,
            latest: 0,
        }
    }

    /// Hands out `nanos`, or the latest time handed out if that is later.
    fn stamp(&mut self, nanos: u64) -> Stamp {
        self.latest = self.latest.max(nanos);
        Stamp {
            nanos: self.latest,
            wall: self.epoch.1 + Duration::from_nanos(self.latest),
        }
    }

    /// Reads the system clock (and the counter around it, to time the jobs that follow).
    pub(crate) fn now(&mut self) -> Stamp {
        let nanos = match &mut self.counter {
            Some(counter) => {
                let before = ticks();
                let nanos = nanos_since(self.epoch.0);
                counter.note(nanos, before, ticks());
                nanos
            }
            None => nanos_since(self.epoch.0),
        };
        self.stamp(nanos)
    }

    /// The end of the job that started at the time this timer last handed out.
    #[inline]
    pub(crate) fn job_end(&mut self) -> Stamp {
        match self.counter.as_ref().and_then(Counter::nanos_now) {
            Some(nanos) => self.stamp(nanos),
            None => self.now(),
        }
    }
}

impl Counter {
    /// Takes a system-clock reading of `nanos`, read after the counter read `before` and before
    /// it read `after`.
    fn note(&mut self, nanos: u64, before: u64, after: u64) {
        // Interrupted, or moved to a core whose counter is behind: the reading's tick is not
        // known. The last good reading stays, and soon makes way for the next.
        let Some(spread) = after.checked_sub(before).filter(|&s| s <= PAIR_TICKS_MAX) else {
            return;
        };
        let ticks = before + spread / 2;
        if self.rate > 0.0 && self.drifted(nanos, ticks) {
            *self = Counter::default();
        }
        let (origin_nanos, origin_ticks) = *self.origin.get_or_insert((nanos, ticks));
        let elapsed = nanos.saturating_sub(origin_nanos);
        if elapsed >= MEASURE_RATE_OVER.as_nanos() as u64 && ticks > origin_ticks {
            let rate = elapsed as f64 / (ticks - origin_ticks) as f64;
            if PLAUSIBLE_RATES.contains(&rate) {
                self.rate = rate;
                self.scaled_rate = (rate * SCALE) as u64;
                self.recheck_ticks = (RECHECK_AFTER.as_nanos() as f64 / rate) as u64;
            } else {
                // Not a counter that keeps time: measure again from here.
                *self = Counter::default();
                self.origin = Some((nanos, ticks));
            }
        }
        self.last_nanos = nanos;
        self.last_ticks = ticks;
    }

    /// Whether a reading of `nanos` at `ticks` is further from the counter's prediction than
    /// the rate's error allows.
    fn drifted(&self, nanos: u64, ticks: u64) -> bool {
        let Some(since) = ticks.checked_sub(self.last_ticks) else {
            return true;
        };
        let predicted = self.last_nanos as f64 + since as f64 * self.rate;
        let allowed = DRIFT_LIMIT.as_nanos() as f64 + since as f64 * self.rate / 300.0;
        (nanos as f64 - predicted).abs() > allowed
    }

    /// The time now from the counter, unless the rate is not known yet, the last system-clock
    /// reading is too old, or the counter reads earlier than it (another core's, behind).
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

/// Nanoseconds from `epoch` to now, by the system clock.
fn nanos_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Whether the kernel keeps time with the time-stamp counter: then it judged the counter
/// constant-rate and in step across cores, and so can a worker. It is asked once: should the
/// kernel stop trusting the counter later, workers go on using it, each time for at most a
/// millisecond by the counter between system-clock readings, and measure its rate again
/// whenever a reading is further from its prediction than the rate's error allows.
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
    // A timer has no counter there (`with_counter`), and never calls this.
    0
}

#[cfg(test)]
mod tests;
