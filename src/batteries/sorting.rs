//! The sorts that replace Rhai's (see `arrays`): std's same stable sort with Rhai's same
//! comparisons, so the same order, with a look at the job's clock and cap every thousand
//! comparisons, and the job's stop carried out of the sort by unwinding.

use std::any::TypeId;
use std::cmp::Ordering;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use rhai::{
    Array, Dynamic, EvalAltResult, FLOAT, FnPtr, INT, ImmutableString, NativeCallContext, Position,
};

use super::Fallible;
use crate::limits::signal::{Steps, checkpoint, drop_after_stop};

/// The job's stop, carried out of a sort by unwinding: a slice's sort has no other way out,
/// and leaves the slice a whole permutation of itself when it unwinds.
struct Stopped(Box<EvalAltResult>);

/// Sorts `array` with std's stable sort by `compare`, as Rhai's sorts do (so the same
/// comparisons give the same order), and looks at the job's clock every thousand
/// comparisons. `compare` may end the sort with the job's stop through [`stop_sort`].
fn sort_stepped(
    array: &mut Array,
    by_comparer: bool,
    compare: impl FnMut(&Dynamic, &Dynamic) -> Ordering,
) -> Fallible<()> {
    sort_weighed(array, by_comparer, |_, _| 1, compare)
}

/// [`sort_stepped`], a comparison counting as `weigh(x, y)` of the thousand between two looks
/// at the clock: comparing two strings of 50 MB that differ at their end takes milliseconds,
/// and a thousand such comparisons took 2 s past the deadline.
fn sort_weighed(
    array: &mut Array,
    by_comparer: bool,
    weigh: impl Fn(&Dynamic, &Dynamic) -> usize,
    mut compare: impl FnMut(&Dynamic, &Dynamic) -> Ordering,
) -> Fallible<()> {
    let mut steps = Steps::new(Steps::VALUES);
    let sorted = catch_unwind(AssertUnwindSafe(|| {
        array.sort_by(|x, y| {
            if let Err(stop) = steps.step(weigh(x, y)) {
                stop_sort(stop);
            }
            compare(x, y)
        });
    }));
    sorted.map_err(|unwound| match unwound.downcast::<Stopped>() {
        Ok(stopped) => stopped.0,
        // std's sort may panic on comparisons that are not a total order (a comparer's, or
        // floats with NaN taken as equal). Rhai's sorts by a comparer make that an error; its
        // sorts by value let the panic through, and the job fails with it.
        Err(_) if by_comparer => {
            EvalAltResult::ErrorRuntime("error in comparer for sorting".into(), Position::NONE)
                .into()
        }
        Err(panic) => resume_unwind(panic),
    })
}

/// Ends the sort [`sort_stepped`] runs with the job's stop; `resume_unwind` unwinds without
/// the panic hook, which would print a message.
#[cold]
fn stop_sort(stop: Box<EvalAltResult>) -> ! {
    resume_unwind(Box::new(Stopped(stop)))
}

/// Sorts `array` by `comparer`, as Rhai's `sort(comparer)` does.
pub(super) fn sort_by(
    ctx: &NativeCallContext,
    array: &mut Array,
    comparer: &FnPtr,
) -> Fallible<()> {
    if array.len() <= 1 {
        return Ok(());
    }
    sort_stepped(array, true, |x, y| {
        let verdict = match comparer.call_raw(ctx, None, [x.clone(), y.clone()]) {
            // A limit the comparer met (its budget, depth or cap, the job's stop) ends the
            // sort: taken for "equal", as Rhai takes a failure, it would change the answer.
            Err(limit) if !limit.is_catchable() => stop_sort(limit),
            verdict => verdict,
        };
        if verdict.is_err()
            && let Err(stop) = checkpoint()
        {
            stop_sort(stop);
        }
        // As Rhai's: a number's sign, or `true` for "before"; anything else, or a failure,
        // orders the two by their types.
        verdict
            .ok()
            .and_then(|v| {
                v.as_int()
                    .or_else(|_| v.as_bool().map(|v| if v { -1 } else { 1 }))
                    .ok()
            })
            .map_or_else(|| x.type_id().cmp(&y.type_id()), |v| v.cmp(&0))
    })
}

/// Sorts `array` by its values, as Rhai's `sort()` does: all of one type, and a type with an
/// order (integers, floats by `partial_cmp` with "unordered" as equal, characters, strings,
/// booleans, `()`); `descending` reverses each comparison, as `sort_desc()` does.
pub(super) fn sort_by_value(array: &mut Array, descending: bool) -> Fallible<()> {
    if array.len() <= 1 {
        return Ok(());
    }
    let first = array[0].type_id();
    let mut steps = Steps::new(Steps::BYTES);
    for chunk in array.chunks(Steps::BYTES) {
        if chunk.iter().any(|value| value.type_id() != first) {
            return Err(not_sortable("elements of different types cannot be sorted"));
        }
        steps.step(chunk.len())?;
    }
    // One sort for each type, each with its comparison inlined, as Rhai's.
    if first == TypeId::of::<INT>() {
        sort_values(array, descending, |x| x.as_int().unwrap_or_default())
    } else if first == TypeId::of::<FLOAT>() {
        sort_stepped(array, false, |x, y| {
            let (x, y) = (
                x.as_float().unwrap_or_default(),
                y.as_float().unwrap_or_default(),
            );
            let order = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
            if descending { order.reverse() } else { order }
        })
    } else if first == TypeId::of::<char>() {
        sort_values(array, descending, |x| x.as_char().unwrap_or_default())
    } else if first == TypeId::of::<ImmutableString>() {
        // A comparison reads up to the shorter string: a unit of work each 64 bytes of it, as
        // [`Steps::BYTES`] to [`Steps::VALUES`].
        let weigh = |x: &Dynamic, y: &Dynamic| match (
            x.as_immutable_string_ref(),
            y.as_immutable_string_ref(),
        ) {
            (Ok(x), Ok(y)) => 1 + x.len().min(y.len()) / (Steps::BYTES / Steps::VALUES),
            _ => 1,
        };
        sort_weighed(array, false, weigh, |x, y| {
            let order = match (x.as_immutable_string_ref(), y.as_immutable_string_ref()) {
                (Ok(x), Ok(y)) => x.as_str().cmp(y.as_str()),
                _ => Ordering::Equal,
            };
            if descending { order.reverse() } else { order }
        })
    } else if first == TypeId::of::<bool>() {
        sort_values(array, descending, |x| x.as_bool().unwrap_or_default())
    } else if first == TypeId::of::<()>() {
        Ok(())
    } else {
        let type_name = array[0].type_name();
        Err(not_sortable(&format!(
            "elements of {type_name} cannot be sorted"
        )))
    }
}

/// Sorts `array` by the key `key` reads from each value, ascending or descending.
fn sort_values<K: Ord>(
    array: &mut Array,
    descending: bool,
    key: impl Fn(&Dynamic) -> K,
) -> Fallible<()> {
    if descending {
        sort_stepped(array, false, |x, y| key(y).cmp(&key(x)))
    } else {
        sort_stepped(array, false, |x, y| key(x).cmp(&key(y)))
    }
}

/// A sorted copy of `array`, for `order`: copied a thousand values at a time, since a copy of
/// millions takes longer than a job may run past its deadline. A copy the job's stop ends is
/// dropped after the job's end, for the same reason ([`drop_after_stop`]).
pub(super) fn sorted_copy(
    array: &Array,
    sort: impl FnOnce(&mut Array) -> Fallible<()>,
) -> Fallible<Array> {
    let mut copy = Array::with_capacity(array.len());
    let mut steps = Steps::new(Steps::VALUES);
    let sorted = array
        .chunks(Steps::VALUES)
        .try_for_each(|chunk| {
            copy.extend_from_slice(chunk);
            steps.step(chunk.len())
        })
        .and_then(|()| sort(&mut copy));
    match sorted {
        Ok(()) => Ok(copy),
        Err(err) => drop_after_stop(copy, Err(err)),
    }
}

/// Rhai's refusal to sort by value, word for word.
fn not_sortable(why: &str) -> Box<EvalAltResult> {
    EvalAltResult::ErrorFunctionNotFound(why.into(), Position::NONE).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stop_part_way_and_keep_every_value() {
        // A long sort by value that must stop, in the same order as a long one that ends.
        let mut values: Array = (0..200_000_i64)
            .map(|i| Dynamic::from((i * 7_919) % 200_003))
            .collect();
        let mut stops = 0;
        let stopped = sort_stepped(&mut values, false, |x, y| {
            stops += 1;
            if stops == 50_000 {
                stop_sort(not_sortable("the job's stop"));
            }
            x.as_int().unwrap().cmp(&y.as_int().unwrap())
        });
        assert!(stopped.unwrap_err().to_string().contains("the job's stop"));
        let mut kept: Vec<INT> = values.iter().map(|v| v.as_int().unwrap()).collect();
        kept.sort_unstable();
        let all: Vec<INT> = {
            let mut all: Vec<INT> = (0..200_000_i64).map(|i| (i * 7_919) % 200_003).collect();
            all.sort_unstable();
            all
        };
        assert_eq!(kept, all, "a stopped sort loses or doubles no value");
    }
}
