//! The host's session: every pool its scripts made that something still refers to, and the
//! functions over all of them that a PowerShell job user reaches for — the job list
//! (`Get-Job`), waiting without receiving (`Wait-Job`), stopping and removing one batch
//! (`Stop-Job`, `Remove-Job`), and receiving from a batch (`Receive-Job`).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};

use crate::host::Host;
use crate::host::batch_handle::BatchHandle;
use crate::host::convert::job_to_map;
use crate::host::functions::{RhaiResult, error, receive};
use crate::host::options::duration;
use crate::host::pool_handle::{PoolHandle, WeakPool};
use crate::{BatchId, Wait};

/// How often a wait looks at the interrupt flag and reports its progress.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// The pools of a host's scripts, as weak references: a pool nothing else refers to shuts
/// down, and leaves the list.
#[derive(Clone, Default)]
pub(crate) struct Session(Arc<Mutex<Vec<WeakPool>>>);

/// How far a wait in a host script has come, for a host to show while it lasts
/// ([`Host::on_wait`](crate::host::Host::on_wait)).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WaitProgress {
    /// Records made so far by the batches waited on.
    pub done: u64,
    /// How many records they will make in all, when every one's input size is known.
    pub total: Option<u64>,
    /// How many of the batches have not finished.
    pub unfinished: usize,
    /// Whether the wait is over (the last call of a wait).
    pub over: bool,
}

impl Session {
    fn lock(&self) -> MutexGuard<'_, Vec<WeakPool>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn add(&self, pool: &PoolHandle) {
        let mut pools = self.lock();
        pools.retain(|p| p.upgrade().is_some());
        pools.push(pool.downgrade());
    }

    /// The pools alive and open, oldest first.
    pub(crate) fn pools(&self) -> Vec<PoolHandle> {
        self.lock()
            .iter()
            .filter_map(WeakPool::upgrade)
            .filter(|p| !p.is_closed())
            .collect()
    }

    /// The pool a batch belongs to.
    fn pool_of(&self, batch: BatchId) -> Option<PoolHandle> {
        self.pools().into_iter().find(|p| batch.is_of(p.number()))
    }
}

pub(crate) fn register(host: &Host, engine: &mut Engine) {
    let session = host.session.clone();
    engine.register_fn("get_runspace_jobs", move || jobs(&session));

    let h = host.clone();
    engine.register_fn("wait_runspace_job", move |batches: Dynamic| {
        wait(&h, &batches, &Map::new())
    });
    let h = host.clone();
    engine.register_fn(
        "wait_runspace_job",
        move |batches: Dynamic, options: Map| wait(&h, &batches, &options),
    );

    let session = host.session.clone();
    engine.register_fn("stop_runspace_job", move |batch: BatchHandle| {
        session.pool_of(batch.id).is_some_and(|p| p.stop(batch.id))
    });
    let session = host.session.clone();
    engine.register_fn("get_runspace_job_result", move |batch: BatchHandle| {
        result(&session, &batch)
    });
    let session = host.session.clone();
    engine.register_fn("remove_runspace_job", move |batch: BatchHandle| {
        session
            .pool_of(batch.id)
            .is_some_and(|p| p.remove(batch.id))
    });
    engine.register_fn(
        "remove",
        |pool: &mut PoolHandle, batch: BatchHandle| -> RhaiResult<bool> {
            if !batch.id.is_of(pool.number()) {
                return Err(error(format!(
                    "remove: batch {} belongs to another pool",
                    batch.id
                )));
            }
            Ok(pool.remove(batch.id))
        },
    );

    let h = host.clone();
    engine.register_fn(
        "receive_runspace_job",
        move |ctx: NativeCallContext, batch: BatchHandle| {
            receive_batch(&ctx, &h, &batch, Map::new())
        },
    );
    let h = host.clone();
    engine.register_fn(
        "receive_runspace_job",
        move |ctx: NativeCallContext, batch: BatchHandle, options: Map| {
            receive_batch(&ctx, &h, &batch, options)
        },
    );
}

/// `get_runspace_jobs()`: every batch of every pool alive, oldest pool first.
fn jobs(session: &Session) -> Array {
    let mut jobs = Array::new();
    for pool in session.pools() {
        for (job, status) in pool.submitted() {
            jobs.push(job_to_map(pool.number(), &job, &status));
        }
    }
    jobs
}

/// `get_runspace_job_result(batch)`: what the batch's `end` and `reduce` made, once it
/// finished: one value with `reduce`, else an array of each worker's; `()` before. The batch
/// is held, its records received or not, until its result is read (or it is cleared). A batch
/// that does not aggregate has no result: an error says so.
fn result(session: &Session, batch: &BatchHandle) -> RhaiResult<Dynamic> {
    // `()` would read as "not finished yet", and a wait for it would never end.
    let no_aggregate = |why: &str| {
        Err(error(format!(
            "get_runspace_job_result: batch {} has no aggregate: {why}",
            batch.id
        )))
    };
    let Some(submitted) = session.pool_of(batch.id).and_then(|p| p.find(batch.id)) else {
        return no_aggregate(
            "it is forgotten (a batch is, once its records are received, and its result read \
             if it aggregates), or was cleared",
        );
    };
    if !submitted.aggregates {
        return no_aggregate(
            "it was submitted without begin, end or reduce (its outputs: \
             receive_runspace_job(batch, #{ outputs: true }))",
        );
    }
    let aggregate = submitted.aggregate();
    if aggregate.is_some() {
        // Read: a receive may now forget the batch once its records are taken.
        (submitted.result_read).store(true, std::sync::atomic::Ordering::Relaxed);
    }
    match aggregate {
        None => Ok(Dynamic::UNIT),
        Some(Ok(values)) if submitted.reduces => {
            Ok(values.into_iter().next().unwrap_or(Dynamic::UNIT))
        }
        Some(Ok(values)) => Ok(Dynamic::from_array(values)),
        Some(Err(err)) => Err(error(format!(
            "get_runspace_job_result: the aggregate failed: {err}"
        ))),
    }
}

/// `receive_runspace_job(batch, options?)`: the records of one batch, from whichever pool it
/// belongs to. A batch received whole and forgotten has none left.
fn receive_batch(
    ctx: &NativeCallContext,
    host: &Host,
    batch: &BatchHandle,
    mut options: Map,
) -> RhaiResult<Dynamic> {
    let Some(mut pool) = host.session.pool_of(batch.id) else {
        return Ok(Array::new().into());
    };
    if options.contains_key("batch") {
        return Err(error(
            "receive_runspace_job: give the batch once: receive_runspace_job(batch, #{ wait: true })",
        ));
    }
    options.insert("batch".into(), Dynamic::from(batch.clone()));
    receive(ctx, &mut pool, &options, host)
}

/// `wait_runspace_job(batch or [batches], #{ any, timeout })`: waits, without taking any
/// record, until every batch (or, with `any`, one of them) has finished, or the timeout
/// passes; returns the batches that have finished. Ctrl-C ends the wait; the jobs go on.
fn wait(host: &Host, batches: &Dynamic, options: &Map) -> RhaiResult<Array> {
    let f = "wait_runspace_job";
    let handles: Vec<BatchHandle> = if let Some(batch) = batches.read_lock::<BatchHandle>() {
        vec![batch.clone()]
    } else if let Some(array) = batches.read_lock::<Array>() {
        array
            .iter()
            .map(|b| {
                b.read_lock::<BatchHandle>()
                    .map(|b| b.clone())
                    .ok_or_else(|| error(format!("{f}: expected batches, found {}", b.type_name())))
            })
            .collect::<Result<_, _>>()?
    } else {
        return Err(error(format!(
            "{f}: give a batch or an array of batches, not {}",
            batches.type_name()
        )));
    };
    let (mut any, mut timeout) = (false, None);
    for (key, value) in options {
        match key.as_str() {
            "any" => {
                any = value
                    .as_bool()
                    .map_err(|_| error(format!("{f}: option 'any' must be true or false")))?;
            }
            "timeout" => timeout = Some(duration(f, key, value).map_err(error)?),
            other => {
                return Err(error(format!(
                    "{f}: unknown option '{other}' (any, timeout)"
                )));
            }
        }
    }
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let interrupt = host.interrupt();
    loop {
        let progress = progress_of(&host.session, &handles);
        let finished = finished_of(&host.session, &handles);
        let done = if any {
            !finished.is_empty() || handles.is_empty()
        } else {
            finished.len() == handles.len()
        };
        let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
        if done || timed_out || interrupt.is_set() {
            host.report_wait(WaitProgress {
                over: true,
                ..progress
            });
            if interrupt.is_set() && !done {
                return Err(error(
                    "interrupted while waiting: the jobs go on, and receive_runspace_job returns \
                     their records",
                ));
            }
            return Ok(finished.into_iter().map(Dynamic::from).collect());
        }
        host.report_wait(progress);
        let slice = deadline.map_or(WAIT_SLICE, |d| {
            d.saturating_duration_since(Instant::now()).min(WAIT_SLICE)
        });
        // One of the batches, to sleep on: the wait wakes as soon as it finishes.
        let first_running = handles.iter().find_map(|h| {
            let job = host.session.pool_of(h.id)?.find(h.id)?;
            (!job.wait(Wait::No)).then_some(job)
        });
        match first_running {
            Some(job) => {
                job.wait(Wait::For(slice));
            }
            None => std::thread::sleep(slice),
        }
    }
}

/// The batches among `handles` that have finished: every record made, none to come. A batch
/// the session no longer holds (received whole, removed, its pool closed) has finished.
fn finished_of(session: &Session, handles: &[BatchHandle]) -> Vec<BatchHandle> {
    handles
        .iter()
        .filter(|h| {
            session
                .pool_of(h.id)
                .and_then(|p| p.find(h.id))
                .is_none_or(|job| job.wait(Wait::No))
        })
        .cloned()
        .collect()
}

fn progress_of(session: &Session, handles: &[BatchHandle]) -> WaitProgress {
    let mut progress = WaitProgress {
        done: 0,
        total: Some(0),
        unfinished: 0,
        over: false,
    };
    for handle in handles {
        let Some(job) = session.pool_of(handle.id).and_then(|p| p.find(handle.id)) else {
            continue;
        };
        let status = job.status();
        progress.done += status.counts.total();
        progress.total = progress.total.zip(job.total).map(|(a, b)| a + b);
        progress.unfinished += usize::from(!status.finished);
    }
    progress
}

impl Host {
    fn report_wait(&self, progress: WaitProgress) {
        if let Some(hook) = &self.on_wait {
            hook(&progress);
        }
    }
}
