//! Counting into maps, for aggregation (`--begin`/`--end`/`--reduce`): `tally(counts, key)`
//! adds one to a count, `tally(a, b)` adds every count of `b` into `a`, and
//! `tally_field(counts, line, n)` counts a line's field `n`, as awk's `c[$9]++` does. One
//! native call in place of `counts[key] = (counts[key] ?? 0) + 1`, which looks the key up
//! twice and runs five operations of the script; `tally_field` also makes no string of the
//! field unless it is a new key (a line counted this way costs half what
//! `counts.tally(line.field(n))` does: each native call costs a job ~0.2 µs).

use rhai::{Dynamic, INT, ImmutableString, Map};

use super::registrar::Registrar;
use super::text::field_of;
use super::{Fallible, error};

/// Adds `n` to the count under `key` (0 when there is none yet). Nothing is returned: a job
/// whose last statement counts has no output.
fn tally(counts: &mut Map, key: &str, n: Dynamic) -> Fallible<()> {
    // The key is looked up as it is; a new key is allocated once, when first counted, and
    // only once `n` is known to be a number: a failed count leaves the map as it was.
    match counts.get_mut(key) {
        Some(slot) => *slot = add("tally", key, slot, &n)?,
        None => {
            let sum = add("tally", key, &Dynamic::from_int(0), &n)?;
            counts.insert(key.into(), sum);
        }
    }
    Ok(())
}

/// `count + n`, integers staying integers (checked), floats where either is one.
fn add(function: &str, key: &str, count: &Dynamic, n: &Dynamic) -> Fallible<Dynamic> {
    match (count.as_int(), n.as_int()) {
        (Ok(a), Ok(b)) => a
            .checked_add(b)
            .map(Dynamic::from_int)
            .ok_or_else(|| error(function, format!("the count of '{key}' overflows"))),
        _ => match (number(count), number(n)) {
            (Some(a), Some(b)) => Ok(Dynamic::from_float(a + b)),
            _ => Err(error(
                function,
                format!(
                    "cannot add {} to the count of '{key}', which is {}",
                    n.type_name(),
                    count.type_name()
                ),
            )),
        },
    }
}

fn number(value: &Dynamic) -> Option<rhai::FLOAT> {
    value
        .as_float()
        .ok()
        .or_else(|| value.as_int().ok().map(|i| i as rhai::FLOAT))
}

/// Adds every count of `other` into `counts`: how partial counts combine in `--reduce`. Every
/// sum is made before any is stored: a count that is not a number, or that overflows, leaves
/// `counts` as it was.
fn tally_all(counts: &mut Map, other: Map) -> Fallible<()> {
    let zero = Dynamic::from_int(0);
    let sums = other
        .into_iter()
        .map(|(key, n)| {
            let count = counts.get(key.as_str()).unwrap_or(&zero);
            add("tally", &key, count, &n).map(|sum| (key, sum))
        })
        .collect::<Fallible<Vec<_>>>()?;
    counts.extend(sums);
    Ok(())
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_mutating("tally", |counts: &mut Map, key: ImmutableString| {
        tally(counts, &key, Dynamic::from_int(1))
    });
    engine.register_mutating("tally", |counts: &mut Map, key: INT| {
        tally(counts, &key.to_string(), Dynamic::from_int(1))
    });
    engine.register_mutating(
        "tally",
        |counts: &mut Map, key: ImmutableString, n: Dynamic| tally(counts, &key, n),
    );
    engine.register_mutating("tally", |counts: &mut Map, key: INT, n: Dynamic| {
        tally(counts, &key.to_string(), n)
    });
    engine.register_mutating("tally", tally_all);
    // A field past the end is counted under "", as `field` gives it.
    engine.register_mutating("tally_field", |counts: &mut Map, line: &str, n: INT| {
        let key = field_of(line, n, None)?.unwrap_or("");
        tally(counts, key, Dynamic::from_int(1))
    });
    engine.register_mutating(
        "tally_field",
        |counts: &mut Map, line: &str, n: INT, separator: &str| {
            let key = field_of(line, n, Some(separator))?.unwrap_or("");
            tally(counts, key, Dynamic::from_int(1))
        },
    );
}

#[cfg(test)]
mod tests {
    use crate::batteries::tests::{engine, eval, eval_err};

    #[test]
    fn counts_start_at_zero_and_add_up() {
        let e = engine();
        let counts: rhai::Map = eval(
            &e,
            r#"let c = #{}; c.tally("a"); c.tally("a"); c.tally(7, 2.5); c.tally("b", 3); c"#,
        );
        assert_eq!(counts["a"].as_int(), Ok(2));
        assert_eq!(counts["b"].as_int(), Ok(3));
        assert_eq!(counts["7"].as_float(), Ok(2.5));
        let unit: () = eval(&e, r#"let c = #{ x: 4 }; c.tally("x")"#);
        assert_eq!(unit, ());
    }

    #[test]
    fn one_map_of_counts_adds_into_another() {
        let e = engine();
        let sum: String = eval(
            &e,
            r#"let a = #{ x: 1, y: 2 }; let b = #{ y: 3, z: 4.5 }; a.tally(b); to_json(a)"#,
        );
        assert_eq!(sum, r#"{"x":1,"y":5,"z":4.5}"#);
    }

    #[test]
    fn a_lines_field_is_counted_as_field_gives_it() {
        let e = engine();
        let counts: String = eval(
            &e,
            r#"let c = #{};
               for line in ["a 200 x", "b 404", "c 200", "d"] { c.tally_field(line, 1); }
               c.tally_field("t=13:55:36", 1, ":");
               to_json(c)"#,
        );
        assert_eq!(counts, r#"{"":1,"200":2,"404":1,"55":1}"#);
    }

    #[test]
    fn a_failed_count_leaves_the_map_as_it_was() {
        let e = engine();
        let map: String = eval(
            &e,
            r#"let c = #{ a: 1, b: 9223372036854775807 };
               try { c.tally("k", ()) } catch {}
               try { c.tally(#{ a: 5, b: 1 }) } catch {}
               try { c.tally(#{ z: "x" }) } catch {}
               to_json(c)"#,
        );
        assert_eq!(map, r#"{"a":1,"b":9223372036854775807}"#);
    }

    #[test]
    fn what_is_not_a_number_is_refused_by_name() {
        let e = engine();
        let message = eval_err(&e, r#"let c = #{ a: "x" }; c.tally("a")"#);
        assert_eq!(
            message,
            "tally: cannot add i64 to the count of 'a', which is string"
        );
        let message = eval_err(&e, r#"let c = #{ a: 9223372036854775807 }; c.tally("a")"#);
        assert_eq!(message, "tally: the count of 'a' overflows");
    }
}
