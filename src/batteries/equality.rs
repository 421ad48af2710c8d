//! Rhai's `==` and `!=` of two arrays and of two maps, again. Rhai's compare the elements one
//! pair at a time and drop the second operand, which Rhai made a copy of, when they return: on
//! arrays of millions, that drop ran tens of milliseconds past the deadline when the job's stop
//! ended the comparison. These give the same answers, look at the job's clock every thousand
//! pairs, and, when the job's stop ends them, leave the copy to be dropped after the job's end.
//!
//! Registered on the engine itself, they are found before the standard library's.

use rhai::{Array, Dynamic, EvalAltResult, FuncRegistration, Map, NativeCallContext};

use super::Fallible;
use super::registrar::Registrar;
use crate::limits::signal::{Steps, drop_after_stop};

/// Asks `==` of pairs of values, as Rhai's array and map comparisons ask it, and looks at the
/// job's clock every thousand pairs.
struct Pairs<'a> {
    ctx: &'a NativeCallContext<'a>,
    steps: Steps,
    /// A pair of two types with no `==` between them is "not equal" for arrays, an error for
    /// maps; of one type with none, an error for both.
    lenient: bool,
}

impl<'a> Pairs<'a> {
    fn new(ctx: &'a NativeCallContext<'a>, lenient: bool) -> Self {
        let steps = Steps::new(Steps::VALUES);
        Pairs {
            ctx,
            steps,
            lenient,
        }
    }

    fn equal(&mut self, left: &mut Dynamic, right: &mut Dynamic) -> Fallible<bool> {
        self.steps.step(1)?;
        let equal = self
            .ctx
            .call_native_fn_raw("==", true, &mut [&mut *left, &mut *right])
            .or_else(|err| match *err {
                EvalAltResult::ErrorFunctionNotFound(ref signature, ..)
                    if self.lenient
                        && signature.starts_with("==")
                        && left.type_id() != right.type_id() =>
                {
                    Ok(Dynamic::FALSE)
                }
                _ => Err(err),
            })?;
        Ok(equal.as_bool().unwrap_or(false))
    }
}

fn arrays_equal(ctx: &NativeCallContext, left: &mut Array, mut right: Array) -> Fallible<bool> {
    let mut compare = || {
        if left.len() != right.len() {
            return Ok(false);
        }
        let mut pairs = Pairs::new(ctx, true);
        for (left, right) in left.iter_mut().zip(right.iter_mut()) {
            if !pairs.equal(left, right)? {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let equal = compare();
    drop_after_stop(right, equal)
}

fn maps_equal(ctx: &NativeCallContext, left: &mut Map, mut right: Map) -> Fallible<bool> {
    let mut compare = || {
        if left.len() != right.len() {
            return Ok(false);
        }
        let mut pairs = Pairs::new(ctx, false);
        for (key, left) in left.iter_mut() {
            let Some(right) = right.get_mut(key) else {
                return Ok(false);
            };
            if !pairs.equal(left, right)? {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let equal = compare();
    drop_after_stop(right, equal)
}

pub(super) fn register(engine: &mut impl Registrar) {
    // Pure, as Rhai's: constants compare too.
    let pure = |name| FuncRegistration::new(name).with_purity(true);
    engine.register_as(
        pure("=="),
        |ctx: NativeCallContext, left: &mut Array, right: Array| arrays_equal(&ctx, left, right),
    );
    engine.register_as(
        pure("!="),
        |ctx: NativeCallContext, left: &mut Array, right: Array| {
            arrays_equal(&ctx, left, right).map(|equal| !equal)
        },
    );
    engine.register_as(
        pure("=="),
        |ctx: NativeCallContext, left: &mut Map, right: Map| maps_equal(&ctx, left, right),
    );
    engine.register_as(
        pure("!="),
        |ctx: NativeCallContext, left: &mut Map, right: Map| {
            maps_equal(&ctx, left, right).map(|equal| !equal)
        },
    );
}

#[cfg(test)]
mod tests {
    use crate::batteries::tests::{engine, same_answer_as_rhais};

    #[test]
    fn arrays_and_maps_compare_as_rhais() {
        let values = [
            "[]",
            "[1, 2, 3]",
            "[1, 2]",
            "[1, 2, 4]",
            "[1.0, 2, 3]",
            r#"[1, "a", 'b', (), true, 2.5]"#,
            r#"[[1, [2]], #{a: [3]}]"#,
            r#"[[1, [2]], #{a: [4]}]"#,
            r#"[Fn("f")]"#,
            r#"[Fn("g")]"#,
            "[1..2]",
            "[#{}]",
            "#{}",
            "#{a: 1, b: [2]}",
            "#{a: 1, b: [3]}",
            "#{a: 1, c: [2]}",
            "#{a: 1}",
            r#"#{a: Fn("f")}"#,
            r#"#{a: "f"}"#,
            "#{a: 1..2}",
        ];
        let ours = engine();
        for left in values {
            for right in values {
                for op in ["==", "!="] {
                    same_answer_as_rhais(&ours, &format!("let a = {left}; a {op} {right}"));
                }
            }
        }
        // Pure, as Rhai's: a constant compares too.
        same_answer_as_rhais(&ours, "const A = [1, #{b: 2}]; A == [1, #{b: 2}]");
        same_answer_as_rhais(&ours, "const M = #{b: [2]}; M != #{b: [3]}");
    }
}
