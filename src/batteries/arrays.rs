//! Rhai's `dedup`, its sorts by value (`sort`, `sort_desc`, `order`, `order_desc`) and by a
//! comparer (`sort`, `sort_by`, `order`, `order_by`), again. Rhai's sort millions of values in
//! one call that never looks at the clock (`a.sort()` on 20 M integers: 582 ms past a 1 s
//! deadline), and take a comparer's failure for an answer ("not the same", "in the order of
//! their types"), the job's own stop included: a comparer stopped by the deadline went on
//! being called for every pair, and the job could even end `completed` long past its deadline
//! (`a.sort(|x, y| x - y)` on 1.3 M values: 585 ms past a 300 ms timeout). `dedup` also calls
//! `==`, which counts no operation, for every pair (20 M values: 3.3 s past a 1 s deadline).
//! These give the same answers, with std's same stable sort and Rhai's same comparisons, look
//! at the job's clock and cap every thousand comparisons, and let the job's own stop through.
//!
//! (`split`, `extract`, `drain` and `retain` of an array are in [`spans`](super::spans).)
//!
//! Registered on the engine itself, they are found before the standard library's; they are
//! registered as not pure, as Rhai's are, so they refuse a constant.

use rhai::{Array, Dynamic, FnPtr, NativeCallContext};

use super::Fallible;
use super::registrar::Registrar;
use super::sorting::{sort_by, sort_by_value, sorted_copy};
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
            // A limit the comparer met (its budget, depth or cap) is not its failure: taken
            // for "not the same", it would change the answer.
            Err(limit) if !limit.is_catchable() => {
                array.drain(kept..read);
                return Err(limit);
            }
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
                sorted_copy(array, |copy| sort_by(&ctx, copy, &comparer))
            },
        );
    }
    for (name, descending) in [("sort", false), ("sort_desc", true)] {
        engine.register_mutating(name, move |array: &mut Array| {
            sort_by_value(array, descending)
        });
    }
    for (name, descending) in [("order", false), ("order_desc", true)] {
        engine.register_mutating(name, move |array: &mut Array| {
            sorted_copy(array, |copy| sort_by_value(copy, descending))
        });
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
    use crate::batteries::tests::{engine, same_answer_as_rhais};
    use rhai::Engine;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    /// Runs `call` on each array `a` (after `functions`) on these batteries and on Rhai's own
    /// engine, and expects the same array, or the same error.
    fn same_answers_as_rhais(functions: &str, arrays: &[&str], calls: &[&str]) {
        let ours = engine();
        for array in arrays {
            for call in calls {
                same_answer_as_rhais(&ours, &format!("{functions} let a = {array}; {call}; a"));
            }
        }
    }

    /// Expects `script`, which calls a function on a constant, to be refused as Rhai does.
    fn refuses_a_constant_as_rhais(script: &str) {
        let refused = |engine: &Engine| engine.eval::<Dynamic>(script).unwrap_err().to_string();
        let ours = refused(&engine());
        assert!(ours.contains("constant"), "{ours}");
        assert_eq!(ours, refused(&Engine::new()));
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
    fn sorts_by_value_give_rhais_answers() {
        let arrays = [
            "[]",
            "[1]",
            "[3, 1, 2, 3, 9, -4, 0, 7, 7, 1]",
            "[2.5, -0.0, 0.0, 1e300, -1e-300, 0.0 / 0.0, 1.0, 0.0 / 0.0, -7.25]",
            "['z', 'a', 'é', '0', 'A', 'a']",
            r#"["b", "a", "", "é", "ab", "B", "a"]"#,
            "[true, false, true, false]",
            "[(), (), ()]",
            r#"[1, "a"]"#,
            "[1, 1.0]",
            "[[2], [1]]",
            "[#{a: 1}, #{a: 0}]",
            "[timestamp(), timestamp()]",
        ];
        let calls = [
            "a.sort()",
            "a.sort_desc()",
            "a = a.order()",
            "a = a.order_desc()",
        ];
        same_answers_as_rhais("", &arrays, &calls);
        // Both refuse a constant.
        for call in ["A.sort()", "A.order()"] {
            refuses_a_constant_as_rhais(&format!("const A = [2, 1]; {call}; A"));
        }
    }

    #[test]
    fn a_sort_by_value_that_std_finds_no_total_order_panics_as_rhais_does() {
        // NaN compares as equal to everything: std's sort may find that out, and panic. Rhai's
        // sort by value lets the panic through (the worker fails the job with it); so does this.
        let script = "let n = 0.0 / 0.0; let a = [n, 6.0, 3.0, n, 4.0, 3.0, 3.0, 0.0, n, 4.0, \
                      1.0, 2.0, 4.0, n, 4.0, n, 4.0, 9.0, 8.0, n, 3.0]; a.sort(); a";
        let outcome = |engine: &Engine| {
            let caught = catch_unwind(AssertUnwindSafe(|| engine.eval::<Dynamic>(script)));
            match caught {
                Ok(result) => format!("{result:?}"),
                Err(panic) => panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            }
        };
        let ours = outcome(&engine());
        assert!(ours.contains("total order"), "{ours}");
        assert_eq!(ours, outcome(&Engine::new()));
    }

    #[test]
    fn extract_and_split_give_rhais_answers() {
        let arrays = ["[]", "[1]", "[1, \"two\", 3.0, [4], #{five: 5}, (), 7]"];
        let mut calls = Vec::new();
        for at in ["0", "1", "3", "6", "7", "100", "-1", "-3", "-7", "-100"] {
            calls.push(format!("a = a.extract({at})"));
            for len in ["0", "1", "2", "100", "-1"] {
                calls.push(format!("a = a.extract({at}, {len})"));
            }
        }
        for range in [
            "0..0", "1..3", "2..100", "-2..3", "5..2", "0..=0", "1..=3", "-5..=1",
        ] {
            calls.push(format!("a = a.extract({range})"));
        }
        for at in ["0", "1", "3", "6", "7", "100", "-1", "-3", "-7", "-100"] {
            // What `split` gives, then what it leaves.
            calls.push(format!("a = [a.split({at}), a]"));
        }
        let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
        same_answers_as_rhais("", &arrays, &calls);
        refuses_a_constant_as_rhais("const A = [1, 1]; A.extract(1)");
        refuses_a_constant_as_rhais("const A = [1, 1]; A.split(1)");
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
        refuses_a_constant_as_rhais("const A = [1, 1]; A.dedup(); A");
    }
}
