//! The engine's job-facing hooks: the progress check behind timeouts, cancels and the memory
//! cap; `emit`; `sleep`; and the streams (`print`, `debug`, `warn`, `verbose`, `error`).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext};

use super::{Captured, InitialState};
use crate::limits::clock::JobClock;
use crate::limits::memory;
use crate::limits::stop::Stop;
use crate::record::job::{StreamEvent, StreamKind, StreamLine};

thread_local! {
    /// The seq and item of the job this worker thread is running, for live stream lines (when
    /// a sink wants them). A job's stream hooks run on its worker's thread, so a thread-local
    /// hands them over without the lock a shared place would take twice per job.
    static RUNNING_JOB: RefCell<(u64, Dynamic)> = const { RefCell::new((0, Dynamic::UNIT)) };
}

/// Lends the job's item to its stream lines, until [`take_running_item`].
pub(super) fn lend_running_item(seq: u64, item: Dynamic) {
    RUNNING_JOB.with(|running| *running.borrow_mut() = (seq, item));
}

/// The item [`lend_running_item`] lent; unit if none.
pub(super) fn take_running_item() -> Dynamic {
    RUNNING_JOB.with(|running| std::mem::take(&mut running.borrow_mut().1))
}

/// Connects the engine's job-facing hooks to this runspace: the clock, `emit`, `sleep`, and
/// the `print`/`debug` streams.
pub(super) fn wire_job_hooks(
    engine: &mut Engine,
    state: &InitialState,
    worker: usize,
    clock: &Arc<JobClock>,
    capture: &Arc<Captured>,
) {
    let progress_clock = clock.clone();
    // The operations budget is kept here, not by the engine's own (`set_max_operations`): a
    // grain `Vm` counts on across jobs (`JobClock::ops_run` counts each job's), and a stop
    // decided here is remembered by the clock, should Rhai swallow it (`JobClock::answer`).
    let (max_ops, capped) = (state.max_ops, state.max_memory.is_some());
    if max_ops > 0 {
        engine.on_progress(move |ops| {
            if capped && memory::over_cap() {
                return progress_clock.answer(Stop::MemoryCap);
            }
            if progress_clock.ops_run(ops) > max_ops {
                return progress_clock.answer(Stop::OpsBudget);
            }
            progress_clock.on_progress(ops)
        });
    } else if capped {
        // One growing operation can allocate a lot (`s += s` doubles a string), so the memory
        // flag is read on every operation; it is a thread-local load.
        engine.on_progress(move |ops| {
            if memory::over_cap() {
                return progress_clock.answer(Stop::MemoryCap);
            }
            progress_clock.on_progress(ops)
        });
    } else {
        engine.on_progress(move |ops| progress_clock.on_progress(ops));
    }

    // Not deprecated: Rhai marks the API volatile this way, and rsparallel pins the Rhai
    // version it was checked with (Cargo.toml).
    #[allow(deprecated)]
    engine.on_parse_token(|token, _, _| crate::limits::signal::parse_checkpoint(token));

    let emit_capture = capture.clone();
    // By reference, and copied here with the clock: taken by value, it is Rhai's copy.
    rhai::FuncRegistration::new("emit")
        .with_purity(true)
        .register_into_engine(
            engine,
            move |value: &mut Dynamic| -> Result<(), Box<EvalAltResult>> {
                let value = crate::limits::signal::copy_stepped(value)?;
                emit_capture.lock().emitted.push(value);
                Ok(())
            },
        );

    for kind in [
        StreamKind::Print,
        StreamKind::Debug,
        StreamKind::Warn,
        StreamKind::Verbose,
        StreamKind::Error,
    ] {
        let capture = capture.clone();
        let sink = state.stream_sink.clone();
        let record = move |text: &str| {
            // The hook cannot fail its call: a copy stopped by the job's end is a stand-in,
            // and the job fails with that stop (`signal::settle`).
            let text = crate::value::copy_text(text).unwrap_or_else(|stop| {
                crate::limits::signal::stood_in_for(stop);
                crate::batteries::STOPPED.to_string()
            });
            let line = StreamLine { kind, text };
            if let Some(sink) = &sink {
                RUNNING_JOB.with(|running| {
                    let (seq, item) = &*running.borrow();
                    sink(&StreamEvent {
                        seq: *seq,
                        item,
                        worker,
                        line: &line,
                    });
                });
            }
            capture.lock().streams.push(line);
        };
        match kind {
            StreamKind::Print => {
                engine.on_print(record);
            }
            StreamKind::Debug => {
                engine.on_debug(move |text, _source, _pos| record(text));
            }
            other => {
                // As `print` writes it: with the cap and the clock, which `Display` has not.
                engine.register_fn(
                    other.as_str(),
                    move |ctx: NativeCallContext,
                          mut value: Dynamic|
                          -> Result<(), Box<EvalAltResult>> {
                        record(&crate::batteries::native_text(
                            &ctx,
                            "to_string",
                            &mut value,
                        )?);
                        Ok(())
                    },
                );
            }
        }
    }

    let sleep_clock = clock.clone();
    engine.register_fn(
        "sleep",
        move |ctx: NativeCallContext, ms: rhai::INT| -> Result<(), Box<EvalAltResult>> {
            sleep_on(&sleep_clock, &ctx, Duration::from_millis(ms.max(0) as u64))
        },
    );
    let sleep_clock = clock.clone();
    engine.register_fn(
        "sleep",
        move |ctx: NativeCallContext, ms: rhai::FLOAT| -> Result<(), Box<EvalAltResult>> {
            // NaN and negative sleeps are none; an infinite one lasts until the job's deadline
            // or a cancel, like one past `Duration`'s range (`sleep(1e300)`), not a panic.
            let ms = if ms.is_nan() { 0.0 } else { ms.max(0.0) };
            let wanted = Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX);
            sleep_on(&sleep_clock, &ctx, wanted)
        },
    );
}

/// `sleep(ms)`: waits on the job's own clock, so a sleeping job times out and cancels on time.
fn sleep_on(
    clock: &JobClock,
    ctx: &NativeCallContext,
    wanted: Duration,
) -> Result<(), Box<EvalAltResult>> {
    clock.sleep(wanted).map_err(|stop| {
        EvalAltResult::ErrorTerminated(stop.token().into(), ctx.call_position()).into()
    })
}
