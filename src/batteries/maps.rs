//! Rhai's `keys` and `values` of a map, again, looking at the job's clock as they copy. Each
//! key becomes a new string: on a map of 1 M keys Rhai's own ran ~100 ms past the deadline,
//! in one call. These give the same arrays, in the same order.

use rhai::{Array, Dynamic, FuncRegistration, Map};

use super::Fallible;
use super::registrar::Registrar;
use crate::limits::signal::{Steps, drop_after_stop};

/// Collects `values` into an array, a look at the clock every [`Steps::VALUES`]. Stopped, it
/// leaves what it made to be dropped once the job's end is stamped: a million strings take
/// ~20 ms to free.
fn collect_stepped(values: impl ExactSizeIterator<Item = Dynamic>) -> Fallible<Array> {
    let mut array = Array::with_capacity(values.len());
    let mut steps = Steps::new(Steps::VALUES);
    for value in values {
        array.push(value);
        if let Err(stop) = steps.step(1) {
            return drop_after_stop(array, Err(stop));
        }
    }
    Ok(array)
}

fn keys(map: &mut Map) -> Fallible<Array> {
    collect_stepped(map.keys().map(|key| key.clone().into()))
}

fn values(map: &mut Map) -> Fallible<Array> {
    collect_stepped(map.values().cloned())
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_as(FuncRegistration::new("keys").with_purity(true), keys);
    engine.register_as(FuncRegistration::new("values").with_purity(true), values);
}

#[cfg(test)]
mod tests {
    use crate::batteries::tests::{engine, same_answer_as_rhais};

    #[test]
    fn keys_and_values_are_rhais_own() {
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
    }
}
