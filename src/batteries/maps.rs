//! Rhai's `keys`, `values`, `drain` and `retain` of a map, again, looking at the job's clock as
//! they work. Each key becomes a new string: on a map of 1 M keys Rhai's `keys` ran ~100 ms
//! past the deadline, in one call; its `drain` and `retain`, stopped, went on to move every
//! entry left into a new map (~200 ms). These give the same answers, in the same order.

use rhai::{Array, Dynamic, EvalAltResult, FnPtr, FuncRegistration, Map, NativeCallContext};

use super::Fallible;
use super::registrar::Registrar;
use crate::limits::signal::{Steps, collect_stepped, drop_after_stop};

fn keys(map: &mut Map) -> Fallible<Array> {
    collect_stepped(map.keys().map(|key| key.clone().into()))
}

fn values(map: &mut Map) -> Fallible<Array> {
    collect_stepped(map.values().cloned())
}

/// Removes from `map` the entries whose `filter` answers `answer`, and returns them, as Rhai's
/// `drain` (answer `true`) and `retain` (answer `false`) do: the filter is called on each entry
/// in key order, with the key and the value (or the value as `this`). Rhai moves every entry
/// into one of two new maps; this decides in place and then moves only those taken out, each
/// part with the job's clock. As Rhai's, a filter that fails leaves out the entries decided
/// before it and its own, and keeps the rest. A stop leaves the map as it is: the job is over.
fn take_where(
    ctx: &NativeCallContext,
    name: &str,
    map: &mut Map,
    filter: &FnPtr,
    answer: bool,
) -> Fallible<Map> {
    let mut taken = Vec::new();
    let mut failure = None;
    for (key, value) in map.iter_mut() {
        let said = filter.call_raw_with_extra_args(
            name,
            ctx,
            Some(value),
            [key.clone().into()],
            [],
            Some(1),
        );
        match said {
            Ok(said) => {
                if said.as_bool().unwrap_or(false) == answer {
                    taken.push(key.clone());
                }
            }
            Err(err) => {
                if !err.is_catchable() {
                    return drop_after_stop(taken, Err(err));
                }
                taken.push(key.clone());
                failure = Some(err);
                break;
            }
        }
    }
    let mut out = Map::new();
    let mut steps = Steps::new(Steps::VALUES);
    for key in taken {
        if let Some(value) = map.remove(&key) {
            out.insert(key, value);
        }
        if let Err(stop) = steps.step(1) {
            return drop_after_stop(out, Err(stop));
        }
    }
    match failure {
        Some(err) => drop_after_stop(out, Err::<Map, Box<EvalAltResult>>(err)),
        None => Ok(out),
    }
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_as(FuncRegistration::new("keys").with_purity(true), keys);
    engine.register_as(FuncRegistration::new("values").with_purity(true), values);
    // A map is dropped as a value, a piece at a time, or after the job once it must stop
    // (Rhai as rsparallel builds it): Rhai's `clear` freed all its entries in one call.
    engine.register_mutating("clear", |map: &mut Map| {
        drop(Dynamic::from_map(std::mem::take(map)));
    });
    engine.register_mutating(
        "drain",
        |ctx: NativeCallContext, map: &mut Map, filter: FnPtr| {
            take_where(&ctx, "drain", map, &filter, true)
        },
    );
    engine.register_mutating(
        "retain",
        |ctx: NativeCallContext, map: &mut Map, filter: FnPtr| {
            take_where(&ctx, "retain", map, &filter, false)
        },
    );
}

#[cfg(test)]
mod tests {
    use crate::batteries::tests::{engine, same_answer_as_rhais};

    #[test]
    fn keys_values_and_clear_are_rhais_own() {
        let ours = engine();
        for map in ["#{}", "#{b: 1, a: [2], \"c d\": #{e: ()}}", "#{x: \"y\"}"] {
            for call in ["keys", "values"] {
                same_answer_as_rhais(&ours, &format!("let m = {map}; m.{call}()"));
                same_answer_as_rhais(&ours, &format!("const M = {map}; M.{call}()"));
            }
        }
        let many = "let m = #{}; for i in 0..3000 { m[`k${i}`] = i; }";
        same_answer_as_rhais(&ours, &format!("{many} m.keys()"));
        same_answer_as_rhais(&ours, &format!("{many} m.values()"));
        for map in ["#{}", "#{b: 1, a: [2]}", many] {
            same_answer_as_rhais(&ours, &format!("let m = {map}; [m.clear(), m]"));
            same_answer_as_rhais(&ours, &format!("const M = {map}; M.clear()"));
        }
    }

    #[test]
    fn drain_and_retain_are_rhais_own() {
        let ours = engine();
        let filters = [
            "|k| this > 2",
            "|k, v| v % 2 == 0",
            "|k| k == \"b\"",
            "|k, v| { this = v * 10; v > 1 }",
            "|k| 1",
            "Fn(\"big\")",
            // A filter that fails part-way, caught: what the map holds then.
            "|k, v| if v == 3 { throw \"no\" } else { v < 3 }",
        ];
        for name in ["drain", "retain"] {
            for filter in filters {
                for map in ["#{}", "#{a: 1, b: 2, c: 3, d: 4, e: 5}"] {
                    let script = format!(
                        "fn big(k, v) {{ v > 3 }} let m = {map}; \
                         let out = try {{ m.{name}({filter}) }} catch (e) {{ e }}; [m, out]"
                    );
                    same_answer_as_rhais(&ours, &script);
                }
            }
            same_answer_as_rhais(&ours, &format!("const M = #{{a: 1}}; M.{name}(|k| true)"));
        }
    }
}
