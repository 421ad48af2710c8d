//! Rhai's `dedup`, again. Rhai's compares each pair of neighbours with a call of `==` (or the
//! comparer given), which counts no operation, and takes a comparer's failure for "not the
//! same": on 20 M values one call ran 3.3 s past a 1 s deadline, and a comparer stopped by the
//! deadline went on being called for every pair. This one gives the same answers, looks at the
//! job's clock and cap every thousand comparisons, and lets the job's own stop through.
//!
//! Registered on the engine itself, it is found before the standard library's; it changes the
//! array in place, and is registered as not pure, as Rhai's is, so it refuses a constant.

use rhai::{Array, Dynamic, FnPtr, NativeCallContext};

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

pub(super) fn register(engine: &mut impl Registrar) {
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

    #[test]
    fn dedup_gives_rhais_answers() {
        let ours = engine();
        let rhais = Engine::new();
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
        for array in arrays {
            for call in calls {
                let script = format!("fn eq(x, y) {{ x == y }} let a = {array}; {call}; a");
                let run = |engine: &Engine| match engine.eval::<Dynamic>(&script) {
                    Ok(value) => format!("{value:?}"),
                    Err(err) => format!("error: {err}"),
                };
                assert_eq!(run(&ours), run(&rhais), "{script}");
            }
        }
        // Both refuse a constant.
        let on_constant = "const A = [1, 1]; A.dedup(); A";
        let refused =
            |engine: &Engine| engine.eval::<Dynamic>(on_constant).unwrap_err().to_string();
        assert!(refused(&ours).contains("constant"), "{}", refused(&ours));
        assert_eq!(refused(&ours), refused(&rhais));
    }
}
