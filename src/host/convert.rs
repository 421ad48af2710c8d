//! Rust values of the pool API as Rhai values, and Rhai items as a lazy iterator.

use std::ops::{Range, RangeInclusive};
use std::time::SystemTime;

use rhai::{Array, Dynamic, INT, Map};

use crate::host::options::int;
use crate::host::pool_handle::Submitted;
use crate::{BatchStatus, JobRecord, JobStatus, PoolStatus, StatusCounts};

/// A record as a map with the fields of the CLI's jsonl records (`seq`, `item`, `status`,
/// `output`, `error` with its `kind`, `worker`, `start`, `end`, `duration_ms`, `attempts`,
/// `streams`), plus `batch`.
pub(crate) fn record_to_map(record: JobRecord) -> Dynamic {
    let mut map = Map::new();
    map.insert("seq".into(), int(record.seq).into());
    map.insert("batch".into(), int(record.batch.number()).into());
    map.insert("status".into(), record.status.as_str().into());
    let duration_ms = record.duration().as_secs_f64() * 1000.0;
    map.insert("duration_ms".into(), duration_ms.into());
    map.insert("item".into(), record.item);
    map.insert("output".into(), Array::from(record.output).into());
    let error = match record.error {
        None => Dynamic::UNIT,
        Some(error) => {
            let mut e = Map::new();
            e.insert("kind".into(), error.kind.as_str().into());
            e.insert("message".into(), error.message.into());
            if let Some(thrown) = error.thrown {
                e.insert("thrown".into(), thrown);
            }
            let position = |n: Option<usize>| n.map_or(Dynamic::UNIT, |n| int(n as u64).into());
            e.insert("line".into(), position(error.line));
            e.insert("column".into(), position(error.column));
            e.into()
        }
    };
    map.insert("error".into(), error);
    let worker = record
        .worker
        .map_or(Dynamic::UNIT, |w| int(w as u64).into());
    map.insert("worker".into(), worker);
    map.insert("start".into(), time(record.start));
    map.insert("end".into(), time(record.end));
    map.insert("attempts".into(), INT::from(record.attempts).into());
    let streams: Array = record
        .streams
        .iter()
        .map(|line| {
            let mut l = Map::new();
            l.insert("stream".into(), line.kind.as_str().into());
            l.insert("text".into(), line.text.clone().into());
            Dynamic::from(l)
        })
        .collect();
    map.insert("streams".into(), streams.into());
    map.into()
}

fn time(t: Option<SystemTime>) -> Dynamic {
    t.map_or(Dynamic::UNIT, |t| {
        humantime::format_rfc3339_micros(t).to_string().into()
    })
}

/// Adds one key per status (`completed`, `failed`, `timed_out`, `cancelled`, `skipped`).
fn insert_counts(map: &mut Map, counts: &StatusCounts) {
    for status in JobStatus::ALL {
        map.insert(status.as_str().into(), int(counts.get(status)).into());
    }
}

/// `pool.status()`: counts per status of every job the pool ran, queued and running jobs,
/// records not yet received, throughput, threads, and the pool's interpreter setting.
pub(crate) fn status_to_map(status: &PoolStatus, batches: &[BatchStatus], rate: f64) -> Dynamic {
    let mut map = Map::new();
    map.insert("threads".into(), int(status.threads as u64).into());
    map.insert("vm".into(), status.vm.name().into());
    let outstanding: u64 = batches.iter().map(|b| b.items - b.counts.total()).sum();
    let queued = outstanding.saturating_sub(status.running);
    map.insert("queued".into(), int(queued).into());
    map.insert("running".into(), int(status.running).into());
    insert_counts(&mut map, &status.counts);
    let unreceived: usize = batches.iter().map(|b| b.unreceived).sum();
    map.insert("unreceived".into(), int(unreceived as u64).into());
    map.insert("items_per_sec".into(), rate.into());
    map.into()
}

/// One batch of a pool as `pool.jobs()` and `get_runspace_jobs()` list it: its name, pool and
/// number; its state (`running`, `completed`, `failed` when some job failed or timed out,
/// `stopped` when cancelled); how far it is (`done` of `total`, as `percent`, when its input's
/// size was known); its failures, and its records not yet received.
pub(crate) fn job_to_map(pool: u64, job: &Submitted, status: &BatchStatus) -> Dynamic {
    let counts = &status.counts;
    let failures = counts.get(JobStatus::Failed) + counts.get(JobStatus::TimedOut);
    let stopped = counts.get(JobStatus::Cancelled) + counts.get(JobStatus::Skipped);
    let state = match (status.finished, stopped > 0 || status.stopped, failures > 0) {
        (false, ..) => "running",
        (true, true, _) => "stopped",
        (true, false, true) => "failed",
        (true, false, false) => "completed",
    };
    let done = counts.total();
    let mut map = Map::new();
    map.insert("name".into(), job.name.clone().into());
    map.insert("pool".into(), int(pool).into());
    map.insert("batch".into(), int(status.id.number()).into());
    map.insert("state".into(), state.into());
    map.insert("done".into(), int(done).into());
    let total = job.total.map_or(Dynamic::UNIT, |t| int(t).into());
    map.insert("total".into(), total);
    let percent = job
        .total
        .filter(|t| *t > 0)
        .map_or(Dynamic::UNIT, |t| (done as f64 * 100.0 / t as f64).into());
    map.insert("percent".into(), percent);
    map.insert("failures".into(), int(failures).into());
    map.insert("unreceived".into(), int(status.unreceived as u64).into());
    map.insert("script".into(), status.script.clone().into());
    map.insert("items".into(), int(status.items).into());
    insert_counts(&mut map, counts);
    map.insert("finished".into(), status.finished.into());
    let elapsed_ms = status.elapsed.as_secs_f64() * 1000.0;
    map.insert("elapsed_ms".into(), elapsed_ms.into());
    map.into()
}

/// A batch's items: an array, or an integer range (`0..10`, `0..=9`, `range(0, 10)`), read
/// lazily so that a range of millions never exists in memory as an array.
pub(crate) fn items(value: Dynamic) -> Result<Box<dyn Iterator<Item = Dynamic> + Send>, String> {
    if value.is_array() {
        let array = value.into_array().expect("checked to be an array");
        return Ok(Box::new(array.into_iter()));
    }
    if value.is::<Range<INT>>() {
        let range = value.cast::<Range<INT>>();
        return Ok(Box::new(range.map(Dynamic::from_int)));
    }
    if value.is::<RangeInclusive<INT>>() {
        let range = value.cast::<RangeInclusive<INT>>();
        return Ok(Box::new(range.map(Dynamic::from_int)));
    }
    Err(format!(
        "new_runspace_job: items must be an array or a range (0..10, 0..=9, range(0, 10)), not {}",
        value.type_name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(value: Dynamic) -> Vec<INT> {
        items(value).unwrap().map(|d| d.as_int().unwrap()).collect()
    }

    #[test]
    fn ranges_and_arrays_become_items() {
        assert_eq!(ints(Dynamic::from(0..3_i64)), [0, 1, 2]);
        assert_eq!(ints(Dynamic::from(1..=3_i64)), [1, 2, 3]);
        let array: Array = vec![5_i64.into(), 6_i64.into()];
        assert_eq!(ints(array.into()), [5, 6]);
    }

    #[test]
    fn other_values_are_refused_by_type() {
        let err = items(Dynamic::from("abc")).err().unwrap();
        assert!(err.contains("not string"), "{err}");
    }
}
