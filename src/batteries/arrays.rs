//! Rhai's `dedup` and its sorts by a comparer (`sort`, `sort_by`, `order`, `order_by`), again.
//! Rhai's take a comparer's failure for an answer ("not the same", "in the order of their
//! types"), the job's own stop included: a comparer stopped by the deadline went on being
//! called for every pair, and the job could even end `completed` long past its deadline
//! (`a.sort(|x, y| x - y)` on 1.3 M values: 585 ms past a 300 ms timeout). `dedup` also calls
//! `==`, which counts no operation, for every pair (20 M values: 3.3 s past a 1 s deadline).
//! These give the same answers, look at the job's clock and cap every thousand comparisons,
//! and let the job's own stop through.
//!
//! Registered on the engine itself, they are found before the standard library's; they are
//! registered as not pure, as Rhai's are, so they refuse a constant.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use rhai::{Array, Dynamic, EvalAltResult, FnPtr, NativeCallContext, Position};

use super::Fallible;
use super::registrar::Registrar;
use crate::limits::signal::{Steps, checkpoint};

/// Removes each element the comparer finds the same as the last one kept before it, as
/// `Vec::dedup_by` does with Rhai's comparison: `same(kept, element)`.
fn dedup_with(
    array: &mut Array,
    mut same: impl FnMut(Dynamic, Dynamic) -> Fallible<Dynamic>,
) -> Fallible<()> {
    if array.is_empty() {
        return Ok(());
    }
    let mut steps = Steps::new(Steps::VALUES);
    let mut kept = 1;
    for read in 1..array.len() {
        let verdict = match same(array[kept - 1].clone(), array[read].clone()) {
            Ok(verdict) => verdict.as_bool().unwrap_or(false),
            // As Rhai's: a comparer that fails finds the two not the same; but the job's own
            // stop (its deadline, a cancel, its cap) is not the comparer's failure.
            Err(_) => {
                if let Err(stop) = checkpoint() {
                    array.drain(kept..read);
                    return Err(stop);
                }
                false
            }
        };
        if !verdict {
            array.swap(kept, read);
            kept += 1;
        }
        if let Err(stop) = steps.step(1) {
            // What was looked at is deduplicated; the rest stays as it was.
            array.drain(kept..=read);
            return Err(stop);
        }
    }
    array.truncate(kept);
    Ok(())
}

/// The job's stop, carried out of a sort by unwinding: a slice's sort has no other way out,
/// and leaves the slice a whole permutation of itself when it unwinds.
struct Stopped(Box<EvalAltResult>);

/// Sorts `array` by `comparer`, as Rhai's `sort(comparer)` does.
fn sort_by(ctx: &NativeCallContext, array: &mut Array, comparer: &FnPtr) -> Fallible<()> {
    if array.len() <= 1 {
        return Ok(());
    }
    let mut steps = Steps::new(Steps::VALUES);
    let sorted = catch_unwind(AssertUnwindSafe(|| {
        array.sort_by(|x, y| {
            let verdict = comparer.call_raw(ctx, None, [x.clone(), y.clone()]);
            // `resume_unwind`: out without the panic hook, which would print a message.
            if verdict.is_err()
                && let Err(stop) = checkpoint()
            {
                resume_unwind(Box::new(Stopped(stop)));
            }
            if let Err(stop) = steps.step(1) {
                resume_unwind(Box::new(Stopped(stop)));
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
        });
    }));
    sorted.map_err(|unwound| match unwound.downcast::<Stopped>() {
        Ok(stopped) => stopped.0,
        // As Rhai's: a sort panics on a comparer that is not a total order.
        Err(_) => {
            EvalAltResult::ErrorRuntime("error in comparer for sorting".into(), Position::NONE)
                .into()
        }
    })
}

pub(super) fn register(engine: &mut impl Registrar) {
    for name in ["sort", "sort_by"] {
        engine.register_mutating(
            name,
            |ctx: NativeCallContext, array: &mut Array, comparer: FnPtr| {
                sort_by(&ctx, array, &comparer)
            },
        );
    }
    for name in ["order", "order_by"] {
        engine.register_mutating(
            name,
            |ctx: NativeCallContext, array: &mut Array, comparer: FnPtr| {
                let mut ordered = array.clone();
                sort_by(&ctx, &mut ordered, &comparer).map(|()| ordered)
            },
        );
    }
    engine.register_mutating("dedup", |ctx: NativeCallContext, array: &mut Array| {
        dedup_with(array, |mut kept, mut element| {
            ctx.call_native_fn_raw("==", false, &mut [&mut kept, &mut element])
        })
    });
    engine.register_mutating(
        "dedup",
        |ctx: NativeCallContext, array: &mut Array, comparer: FnPtr| {
            dedup_with(array, |kept, element| {
                comparer.call_raw(&ctx, None, [kept, element])
            })
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batteries::tests::engine;
    use rhai::Engine;

    /// Runs `call` on each array `a` (after `functions`) on these batteries and on Rhai's own
    /// engine, and expects the same array, or the same error.
    fn same_answers_as_rhais(functions: &str, arrays: &[&str], calls: &[&str]) {
        let (ours, rhais) = (engine(), Engine::new());
        for array in arrays {
            for call in calls {
                let script = format!("{functions} let a = {array}; {call}; a");
                let run = |engine: &Engine| match engine.eval::<Dynamic>(&script) {
                    Ok(value) => format!("{value:?}"),
                    Err(err) => format!("error: {err}"),
                };
                assert_eq!(run(&ours), run(&rhais), "{script}");
            }
        }
    }

    #[test]
    fn sorts_by_a_comparer_give_rhais_answers() {
        let arrays = [
            "[]",
            "[1]",
            "[3, 1, 2, 3, 9, -4, 0, 7, 7, 1]",
            r#"[2, "b", 1.5, 'c', "a", (), true, 1, [2], #{a: 1}, 0.5]"#,
        ];
        let calls = [
            "a.sort(|x, y| x - y)",
            "a.sort(|x, y| y - x)",
            "a.sort(|x, y| x < y)",
            "a.sort(|x, y| \"no\")",
            "a.sort(|x, y| x.len() - y.len())",
            "a.sort_by(|x, y| if x == y { 0 } else if x < y { -1 } else { 1 })",
            "a.sort(Fn(\"cmp\"))",
            "a = a.order(|x, y| y - x)",
            "a = a.order_by(|x, y| x < y)",
        ];
        same_answers_as_rhais("fn cmp(x, y) { y - x }", &arrays, &calls);
    }

    #[test]
    fn dedup_gives_rhais_answers() {
        let arrays = [
            "[]",
            "[1]",
            "[1, 1, 2, 2, 2, 3, 1, 1]",
            r#"[1, 1.0, "a", 'a', "a", (), (), true, true, [1], [1], #{a: 1}, #{a: 1}, 2.5, 2.5]"#,
            "[0.0, -0.0, 1, 2, 3, 4, 5, 6, 7]",
        ];
        let calls = [
            "a.dedup()",
            "a.dedup(|x, y| x == y)",
            "a.dedup(|x, y| type_of(x) == type_of(y))",
            "a.dedup(|x, y| x.len() == y.len())",
            "a.dedup(|x, y| y > x)",
            "a.dedup(|x, y| 3)",
            "a.dedup(Fn(\"eq\"))",
        ];
        same_answers_as_rhais("fn eq(x, y) { x == y }", &arrays, &calls);
        // Both refuse a constant.
        let (ours, rhais) = (engine(), Engine::new());
        let on_constant = "const A = [1, 1]; A.dedup(); A";
        let refused =
            |engine: &Engine| engine.eval::<Dynamic>(on_constant).unwrap_err().to_string();
        assert!(refused(&ours).contains("constant"), "{}", refused(&ours));
        assert_eq!(refused(&ours), refused(&rhais));
    }
}
