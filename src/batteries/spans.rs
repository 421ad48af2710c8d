//! Spans of an array or a BLOB moved out a piece at a time, with a look at the job's clock and
//! cap between pieces: Rhai's `drain`, `retain`, `split` and `extract` of a range move, copy or
//! shift every value in one call (on 20 M values, `drain` ran 0.4 s past the deadline; on a
//! 300 MB BLOB, `extract`, `split` and `drain` ~0.3 s). Stopped, what was moved out is dropped
//! after the job's end, and the values are left as far as they had got (the job fails).

use std::ops::Range;

use rhai::Dynamic;

use super::Fallible;
use crate::limits::signal::{Steps, drop_after_stop};

/// A value an array or a BLOB holds, moved out by leaving its default behind.
pub(super) trait Slot: Default + 'static {
    /// Values moved between two looks at the clock.
    const PER_STEP: usize;

    /// Moves `values[from..]` down to start at `to` (`to < from`); what was there is left past
    /// the moved values.
    fn shift_down(values: &mut [Self], to: usize, from: usize) {
        for (n, at) in (from..values.len()).enumerate() {
            values.swap(to + n, at);
        }
    }
}

impl Slot for Dynamic {
    const PER_STEP: usize = Steps::VALUES;
}

impl Slot for u8 {
    const PER_STEP: usize = Steps::BYTES;

    fn shift_down(values: &mut [u8], to: usize, from: usize) {
        values.copy_within(from.., to);
    }
}

/// Moves `values[span]` out onto the end of `out`, a piece at a time.
fn move_out<T: Slot>(values: &mut [T], out: &mut Vec<T>, steps: &mut Steps) -> Fallible<()> {
    for piece in values.chunks_mut(T::PER_STEP) {
        out.extend(piece.iter_mut().map(std::mem::take));
        steps.step(piece.len())?;
    }
    Ok(())
}

/// Shortens `values` to `len`, a piece at a time (dropping the defaults a move left is fast,
/// but not free for tens of millions).
fn cut_to<T: Slot>(values: &mut Vec<T>, len: usize, steps: &mut Steps) -> Fallible<()> {
    while values.len() > len {
        let cut = values.len().saturating_sub(T::PER_STEP).max(len);
        steps.step(values.len() - cut)?;
        values.truncate(cut);
    }
    Ok(())
}

/// Moves the values of `values` from `from` on down to `to`, a piece at a time, and shortens
/// it to end after them.
fn close_gap<T: Slot>(
    values: &mut Vec<T>,
    to: usize,
    from: usize,
    steps: &mut Steps,
) -> Fallible<()> {
    let moving = values.len() - from;
    let mut done = 0;
    while done < moving {
        let piece = T::PER_STEP.min(moving - done);
        T::shift_down(&mut values[..from + done + piece], to + done, from + done);
        done += piece;
        steps.step(piece)?;
    }
    cut_to(values, to + moving, steps)
}

/// Removes `values[span]` and returns it, as `Vec::drain` would.
pub(super) fn drain<T: Slot>(values: &mut Vec<T>, span: Range<usize>) -> Fallible<Vec<T>> {
    let mut out = Vec::with_capacity(span.len());
    let mut steps = Steps::new(T::PER_STEP);
    let moved = move_out(&mut values[span.clone()], &mut out, &mut steps)
        .and_then(|()| close_gap(values, span.start, span.end, &mut steps));
    match moved {
        Ok(()) => Ok(out),
        Err(stop) => drop_after_stop(out, Err(stop)),
    }
}

/// Keeps only `values[span]`, and returns what was before and after it, in order.
pub(super) fn retain<T: Slot>(values: &mut Vec<T>, span: Range<usize>) -> Fallible<Vec<T>> {
    let mut out = Vec::with_capacity(values.len() - span.len());
    let mut steps = Steps::new(T::PER_STEP);
    let moved = move_out(&mut values[..span.start], &mut out, &mut steps)
        .and_then(|()| move_out(&mut values[span.end..], &mut out, &mut steps))
        .and_then(|()| cut_to(values, span.end, &mut steps))
        .and_then(|()| close_gap(values, 0, span.start, &mut steps));
    match moved {
        Ok(()) => Ok(out),
        Err(stop) => drop_after_stop(out, Err(stop)),
    }
}

/// A copy of `values[span]`, made a piece at a time.
pub(super) fn copy<T: Slot + Clone>(values: &[T], span: Range<usize>) -> Fallible<Vec<T>> {
    let mut out = Vec::with_capacity(span.len());
    let mut steps = Steps::new(T::PER_STEP);
    for piece in values[span].chunks(T::PER_STEP) {
        out.extend_from_slice(piece);
        if let Err(stop) = steps.step(piece.len()) {
            return drop_after_stop(out, Err(stop));
        }
    }
    Ok(out)
}
