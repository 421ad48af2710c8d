//! A batch's halt policy, as GNU parallel's `--halt` writes it: when and after how many
//! failures a batch stops early.

use std::fmt;
use std::str::FromStr;

/// When a run stops early because of failures, as GNU parallel's `--halt`:
/// `now,fail=N`, `soon,fail=N`, `now,fail=P%`, `soon,fail=P%` (and `fail=N`, meaning `soon`).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct HaltPolicy {
    /// `true` (`now`): running jobs are cancelled. `false` (`soon`): they finish.
    pub now: bool,
    /// How many failures it takes.
    pub threshold: HaltThreshold,
}

/// The failure count a [`HaltPolicy`] stops at. Failed and timed-out jobs count, after their
/// retries.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum HaltThreshold {
    /// This many failed jobs.
    Count(u64),
    /// This percentage of finished jobs failed, once at least
    /// [`HaltPolicy::MIN_JOBS_FOR_PERCENT`] jobs have finished.
    Percent(f64),
}

impl HaltPolicy {
    /// A percentage is judged only once this many jobs have finished, so that the first
    /// failure alone (100% of one job) does not halt a run.
    pub const MIN_JOBS_FOR_PERCENT: u64 = 10;

    /// Whether `failed` failures out of `finished` jobs reach the threshold.
    pub fn is_reached(&self, failed: u64, finished: u64) -> bool {
        match self.threshold {
            HaltThreshold::Count(n) => failed >= n,
            HaltThreshold::Percent(p) => {
                finished >= Self::MIN_JOBS_FOR_PERCENT
                    && failed > 0
                    && failed as f64 * 100.0 >= p * finished as f64
            }
        }
    }
}

impl fmt::Display for HaltPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = if self.now { "now" } else { "soon" };
        match self.threshold {
            HaltThreshold::Count(n) => write!(f, "{when},fail={n}"),
            HaltThreshold::Percent(p) => write!(f, "{when},fail={p}%"),
        }
    }
}

impl FromStr for HaltPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("invalid halt policy '{s}': expected now|soon,fail=N or fail=P%");
        let (now, rule) = match s.split_once(',') {
            Some(("now", rule)) => (true, rule),
            Some(("soon", rule)) => (false, rule),
            Some(_) => return Err(bad()),
            None => (false, s),
        };
        let value = rule.strip_prefix("fail=").ok_or_else(bad)?;
        let threshold = match value.strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.parse().map_err(|_| bad())?;
                if !(p > 0.0 && p <= 100.0) {
                    return Err(bad());
                }
                HaltThreshold::Percent(p)
            }
            None => {
                let n: u64 = value.parse().map_err(|_| bad())?;
                if n == 0 {
                    return Err(bad());
                }
                HaltThreshold::Count(n)
            }
        };
        Ok(HaltPolicy { now, threshold })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halt_policies_parse_as_gnu_parallel_writes_them() {
        let p: HaltPolicy = "now,fail=3".parse().unwrap();
        assert_eq!(
            p,
            HaltPolicy {
                now: true,
                threshold: HaltThreshold::Count(3)
            }
        );
        let p: HaltPolicy = "soon,fail=10%".parse().unwrap();
        assert_eq!(
            p,
            HaltPolicy {
                now: false,
                threshold: HaltThreshold::Percent(10.0)
            }
        );
        assert!(!"fail=1".parse::<HaltPolicy>().unwrap().now);
        for bad in [
            "later,fail=1",
            "now,fail=0",
            "now,done=1",
            "fail=120%",
            "now",
        ] {
            assert!(bad.parse::<HaltPolicy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn percentages_wait_for_enough_jobs() {
        let p: HaltPolicy = "now,fail=50%".parse().unwrap();
        assert!(!p.is_reached(1, 1));
        assert!(p.is_reached(5, 10));
        assert!(!p.is_reached(4, 10));
    }
}
