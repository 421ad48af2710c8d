//! The running job's deadline and cancel signal, for native functions that block: a host's
//! `fetch(url)` or `wait_for(lock)` can wait on the same clock as the built-in `sleep`, so that
//! it, too, ends when the job times out or is cancelled.

use std::any::Any;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rhai::{Array, Dynamic, EvalAltResult, Position};

use crate::limits::clock::JobClock;
use crate::limits::stop::Stop;

thread_local! {
    /// The clock of the worker running on this thread; set once when the worker starts.
    static WORKER_CLOCK: RefCell<Option<Arc<JobClock>>> = const { RefCell::new(None) };
    /// On a thread that runs host scripts (the REPL, `exec`), their interrupt flag: it has no
    /// job clock, but Ctrl-C must end its long calls all the same.
    static HOST_INTERRUPT: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
    /// What natives the job's stop ended held, dropped once the job's end is stamped.
    static LEFT_BEHIND: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Returns `outcome`, and drops `value`: now, or, when `outcome` is the job's stop (its
/// deadline, a cancel, its memory cap), once the job's end is stamped. A native carrying the
/// stop out may hold millions of values (a copy being sorted, the array it compared), and
/// dropping them takes tens of milliseconds past the deadline. Outside a worker, drops now.
pub(crate) fn drop_after_stop<R>(
    value: impl Any,
    outcome: Result<R, Box<EvalAltResult>>,
) -> Result<R, Box<EvalAltResult>> {
    let stopped = matches!(
        outcome.as_ref().map_err(|e| &**e),
        Err(EvalAltResult::ErrorTerminated(..))
    );
    if stopped && WORKER_CLOCK.with(|c| c.borrow().is_some()) {
        leave_behind(Box::new(value));
    }
    outcome
}

/// Keeps `value`, which the job's stop left, to be dropped once the job's end is stamped.
pub(crate) fn leave_behind(value: Box<dyn Any>) {
    LEFT_BEHIND.with(|left| left.borrow_mut().push(value));
}

/// Drops what the job just ended left behind ([`drop_after_stop`]); the worker calls it after
/// each job's end is stamped, and after each `begin`, `end` and `reduce` it runs. (A worker
/// thread that ends drops what is left with its thread-locals.)
pub(crate) fn drop_left_behind() {
    if LEFT_BEHIND.with(|left| left.borrow().is_empty()) {
        return;
    }
    // Out of the cell first: a value's drop may run code that looks at the cell.
    let mut left = LEFT_BEHIND.with(|left| std::mem::take(&mut *left.borrow_mut()));
    left.clear();
    if left.capacity() <= LEFT_BEHIND_ROOM {
        LEFT_BEHIND.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.is_empty() {
                *cell = left;
            }
        });
    }
}

/// Entries kept ready for what a job's stop leaves behind (128 KiB), once each job starts.
/// After its stop, a job hands on every value it drops, one entry each; growing the list then
/// would ask the allocator for a large block, and glibc's first merges every small block freed
/// since it last did: a job that freed millions of small arrays just before its deadline paid
/// 20-40 ms for it, past the deadline.
const LEFT_BEHIND_ROOM: usize = 8192;

/// Makes room for [`LEFT_BEHIND_ROOM`] entries, once, before a job starts.
fn make_room_to_leave_behind() {
    LEFT_BEHIND.with(|left| {
        let mut left = left.borrow_mut();
        let room = LEFT_BEHIND_ROOM.saturating_sub(left.len());
        if left.capacity() - left.len() < room {
            left.reserve(room);
        }
    });
}

/// The token of a host script stopped by its interrupt.
pub(crate) const INTERRUPTED: &str = "interrupted";

/// Makes `flag` the interrupt that [`checkpoint`] and [`host_interrupted`] read on this thread
/// (one that runs host scripts).
pub(crate) fn install_host_interrupt(flag: Arc<AtomicBool>) {
    HOST_INTERRUPT.with(|h| *h.borrow_mut() = Some(flag));
}

/// On a thread running host scripts, the error that ends a long call once the script is
/// interrupted (Ctrl-C); `None` elsewhere, or while it is not.
pub(crate) fn host_interrupted() -> Option<Box<EvalAltResult>> {
    let set = HOST_INTERRUPT.with(|h| {
        h.borrow()
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::SeqCst))
    });
    set.then(|| EvalAltResult::ErrorTerminated(INTERRUPTED.into(), Position::NONE).into())
}

pub(crate) fn install(clock: Arc<JobClock>) {
    WORKER_CLOCK.with(|c| *c.borrow_mut() = Some(clock));
    super::copies::install();
}

/// The deadline and cancel signal of the job running on this thread.
///
/// ```
/// use rsparallel::{JobSignal, JobStatus, RunspacePool};
/// use rsparallel::rhai::EvalAltResult;
/// use std::time::Duration;
///
/// let pool = RunspacePool::builder()
///     .threads(1)
///     .timeout(Duration::from_millis(50))
///     .setup(|engine| {
///         // A host function that waits for something slow, but never past the job's end.
///         engine.register_fn("slow_lookup", || -> Result<i64, Box<EvalAltResult>> {
///             let signal = JobSignal::current().expect("called from a job");
///             signal.sleep(Duration::from_secs(60))?;
///             Ok(42)
///         });
///     })
///     .build()?;
/// let script = pool.compile("slow_lookup()")?;
/// let record = pool.run(&script, [1_i64])?.next().unwrap();
/// assert_eq!(record.status, JobStatus::TimedOut);
/// # Ok::<(), rsparallel::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct JobSignal {
    clock: Arc<JobClock>,
}

impl JobSignal {
    /// The signal of the job running on this thread; `None` outside a pool's worker (for
    /// example when a script is compiled, or in a host's own engine).
    pub fn current() -> Option<JobSignal> {
        WORKER_CLOCK.with(|c| c.borrow().clone().map(|clock| JobSignal { clock }))
    }

    /// Time left before the job's timeout; `None` when it has none.
    pub fn remaining(&self) -> Option<Duration> {
        self.clock.remaining()
    }

    /// Whether the job must stop now: its timeout passed or it was cancelled.
    pub fn should_stop(&self) -> bool {
        self.clock.check().is_some()
    }

    /// `Ok` while the job may go on; otherwise the error that ends it with the right status
    /// (`timed_out` or `cancelled`). Return it from the native function as it is.
    pub fn check(&self) -> Result<(), Box<EvalAltResult>> {
        match self.clock.check() {
            None => Ok(()),
            Some(stop) => Err(terminated(stop)),
        }
    }

    /// Sleeps for `duration`, or until the job's timeout or cancel, whichever comes first;
    /// in the latter case returns the error that ends the job.
    pub fn sleep(&self, duration: Duration) -> Result<(), Box<EvalAltResult>> {
        self.clock.sleep(duration).map_err(terminated)
    }
}

/// For natives that can run long (hashing a big string, splitting one into a million pieces):
/// call between pieces of the work. `Err` is the error that ends the job — its deadline passed,
/// it was cancelled, or it passed its memory cap — to be returned as it is. Outside a worker,
/// always `Ok`. Costs a thread-local read and a read of the time: call it every fraction of a
/// millisecond of work, not on every byte.
pub(crate) fn checkpoint() -> Result<(), Box<EvalAltResult>> {
    if crate::limits::memory::over_cap() {
        return Err(terminated(Stop::MemoryCap));
    }
    // The clock itself, not only the alarm: on a loaded machine the ticker can be scheduled
    // late, and a native looks here only every fraction of a millisecond, where a read of the
    // time costs nothing that shows.
    let stop = WORKER_CLOCK.with(|c| {
        c.borrow()
            .as_ref()
            .and_then(|clock| clock.check_and_settle())
    });
    match stop {
        None => host_interrupted().map_or(Ok(()), Err),
        Some(stop) => Err(terminated(stop)),
    }
}

fn terminated(stop: Stop) -> Box<EvalAltResult> {
    EvalAltResult::ErrorTerminated(stop.token().into(), Position::NONE).into()
}

/// Counts the work of a native call whose work follows the size of what it is given (a 64 MiB
/// item, an array of millions), and looks at the job's clock and cap ([`checkpoint`]) each time
/// `every` units of it are done: a job must end within milliseconds of its deadline, and stop
/// at its memory cap, whatever one call is asked to do.
pub(crate) struct Steps {
    every: usize,
    left: usize,
}

impl Steps {
    /// Bytes of text worked on between two looks: tens of microseconds of work.
    pub(crate) const BYTES: usize = 64 * 1024;
    /// Values made or written between two looks: as many microseconds, and tens of kilobytes.
    pub(crate) const VALUES: usize = 1024;

    pub(crate) const fn new(every: usize) -> Self {
        Steps { every, left: every }
    }

    /// Counts `units` more of work; past `every` since the last look, looks again.
    #[inline]
    pub(crate) fn step(&mut self, units: usize) -> Result<(), Box<EvalAltResult>> {
        match self.left.checked_sub(units) {
            Some(left) if left > 0 => {
                self.left = left;
                Ok(())
            }
            _ => {
                self.left = self.every;
                checkpoint()
            }
        }
    }
}

thread_local! {
    /// The stop a native answered with a stand-in (`<stopped>`) instead of an error, for
    /// [`settle`]: the job's next operation would end it, but it may have none.
    static STOOD_IN: RefCell<Option<Box<EvalAltResult>>> = const { RefCell::new(None) };
}

/// Records that a native gave a stand-in for its text because of `stop`, where it could not
/// fail its call (Rhai writes a value itself when its `to_string` fails).
pub(crate) fn stood_in_for(stop: Box<EvalAltResult>) {
    STOOD_IN.with(|s| *s.borrow_mut() = Some(stop));
}

/// Forgets a stand-in written outside the job or script about to start, whose evaluation
/// begins: until [`settle`], Rhai's copies stop at its stop ([`super::copies`]).
pub(crate) fn forget_stand_in() {
    STOOD_IN.with(|s| s.borrow_mut().take());
    make_room_to_leave_behind();
    super::copies::set_in_job(true);
}

/// Settles how a job that ran to its end ended: it failed if a stand-in was written for it
/// (its output may hold `<stopped>` or `<too large to write>` for an answer), if it passed its
/// memory cap (`over_cap`) in its last operation, or if a stop is `owed` to it
/// ([`JobClock::owed_stop`](super::clock::JobClock::owed_stop)): one the progress hook answered
/// and Rhai swallowed (a `sort` comparator's, an interpolation's), or a deadline or cancel that
/// came with no operation after to look (grain looks on loops' jumps back).
/// Forgets the stand-in in every case, so the next job starts clean.
pub(crate) fn settle(
    result: &mut std::thread::Result<Result<Dynamic, Box<EvalAltResult>>>,
    over_cap: bool,
    owed: Option<Stop>,
) {
    super::copies::set_in_job(false);
    let stood_in = STOOD_IN.with(|s| s.borrow_mut().take());
    let Ok(result) = result else { return };
    if result.is_err() {
        return;
    }
    if over_cap {
        *result = Err(terminated(Stop::MemoryCap));
    } else if let Some(stop) = stood_in {
        *result = Err(stop);
    } else if let Some(stop) = owed {
        *result = Err(terminated(stop));
    }
}

/// What a parse the job's stop ended says, before the stop's token ([`Stop::token`]).
const PARSE_STOPPED: &str = "the job stopped while its text was parsed: ";

thread_local! {
    /// Tokens this thread's parser has read, for [`parse_checkpoint`].
    static TOKENS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// The parser's hook (`Engine::on_parse_token`): gives `token` back, or, every thousand
/// tokens, the job's stop as a lexing error that ends the parse. A text is parsed in one call,
/// whether a pool compiles it or a job `eval`s it, and Rhai's own hook is not called while it
/// parses: `eval` of 30 MB of `x;` ran 5 s past its deadline, into 3 GB. Outside a job there is
/// nothing to stop.
pub(crate) fn parse_checkpoint(token: rhai::Token) -> rhai::Token {
    let n = TOKENS.with(|t| {
        let n = t.get().wrapping_add(1);
        t.set(n);
        n
    });
    if !n.is_multiple_of(1024) {
        return token;
    }
    match checkpoint() {
        Ok(()) => token,
        Err(stop) => {
            let token = match *stop {
                EvalAltResult::ErrorTerminated(token, _) => token.to_string(),
                other => other.to_string(),
            };
            let why = format!("{PARSE_STOPPED}{token}");
            rhai::Token::LexError(Box::new(rhai::LexError::Runtime(why)))
        }
    }
}

/// The job's stop that `err` carries as a parse error ([`parse_checkpoint`]), as the error a
/// stop is everywhere else.
pub(crate) fn stop_of_parse(err: &EvalAltResult) -> Option<EvalAltResult> {
    let EvalAltResult::ErrorParsing(
        rhai::ParseErrorType::BadInput(rhai::LexError::Runtime(why)),
        pos,
    ) = err
    else {
        return None;
    };
    let token = why.strip_prefix(PARSE_STOPPED)?;
    Some(EvalAltResult::ErrorTerminated(token.into(), *pos))
}

/// A copy of `value`, an array's or map's values copied with a look at the clock every
/// [`Steps::VALUES`]: the copy Rhai makes of an argument taken by value is made in one go
/// (20 M values: ~0.25 s past the deadline).
pub(crate) fn copy_stepped(value: &Dynamic) -> Result<Dynamic, Box<EvalAltResult>> {
    if let Some(array) = value.read_lock::<Array>() {
        return collect_stepped(array.iter().cloned()).map(Dynamic::from_array);
    }
    if let Some(map) = value.read_lock::<rhai::Map>() {
        let mut copy = rhai::Map::new();
        let mut steps = Steps::new(Steps::VALUES);
        for (key, value) in map.iter() {
            copy.insert(key.clone(), value.clone());
            if let Err(stop) = steps.step(1) {
                return drop_after_stop(copy, Err(stop));
            }
        }
        return Ok(Dynamic::from_map(copy));
    }
    // A variable a closure captured is shared: the copy is of what it holds now.
    Ok(value.flatten_clone())
}

/// Collects `values` into an array, a look at the clock every [`Steps::VALUES`], a value
/// counting as many as it holds (a copy of an array of 10,000 arrays made 10,000 of them:
/// 300 such copies ran 0.4 s past the deadline). Stopped, it leaves what it made to be dropped
/// once the job's end is stamped: a million strings take ~20 ms to free.
pub(crate) fn collect_stepped(
    values: impl ExactSizeIterator<Item = Dynamic>,
) -> Result<Array, Box<EvalAltResult>> {
    // A value's memory, in slots, counted no further than one step's worth.
    const SLOT: u64 = size_of::<Dynamic>() as u64;
    let weigh = |value: &Dynamic| {
        if value.is_array() || value.is_map() {
            let bytes = crate::value::memory_size_up_to(value, Steps::VALUES as u64 * SLOT);
            usize::try_from(bytes / SLOT)
                .unwrap_or(Steps::VALUES)
                .max(1)
        } else {
            1
        }
    };
    let mut array = Array::with_capacity(values.len());
    let mut steps = Steps::new(Steps::VALUES);
    for value in values {
        let weight = weigh(&value);
        array.push(value);
        if let Err(stop) = steps.step(weight) {
            return drop_after_stop(array, Err(stop));
        }
    }
    Ok(array)
}

#[cfg(test)]
mod tests;
