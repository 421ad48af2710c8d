//! Conversions between Rhai values and JSON, and the plain-text form of an output value.

use std::io::Write as _;

use rhai::{Array, Dynamic, Map};
use serde_json::Value;

mod bounded_text;
mod csv_line;
mod json_seed;
mod json_text;
mod sizes;
mod stepped_text;

pub(crate) use bounded_text::message_text;
#[cfg(feature = "batteries")]
pub(crate) use bounded_text::quoted_start;
pub(crate) use csv_line::write_row;
pub(crate) use json_seed::{JsonParseError, VALUE_BYTES, parse_json_within};
pub(crate) use json_text::HEX;
pub use json_text::{write_json, write_json_str};
pub use sizes::written_size_exceeds;
pub(crate) use sizes::{memory_size_up_to, written_size_exceeds_in_job, written_size_up_to};
pub(crate) use stepped_text::{char_cut, char_pieces, copy_text, push_debug};

/// Converts a JSON value into a Rhai value: objects become maps, arrays arrays, integers that
/// fit `i64` integers, other numbers floats.
pub fn json_to_dynamic(value: Value) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => b.into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().unwrap_or(f64::NAN).into(),
        },
        Value::String(s) => s.into(),
        Value::Array(items) => {
            let array: Array = items.into_iter().map(json_to_dynamic).collect();
            array.into()
        }
        Value::Object(fields) => {
            let map: Map = fields
                .into_iter()
                .map(|(k, v)| (k.into(), json_to_dynamic(v)))
                .collect();
            map.into()
        }
    }
}

/// The deepest nesting of arrays and maps written as JSON or text. Each level is a native call,
/// and a script can build a value nested 100,000 levels deep in a loop: writing it unchecked
/// would overflow the stack of whichever thread writes it and abort the whole process.
pub const MAX_DEPTH: usize = 1_000;

/// The error for a value nested past [`MAX_DEPTH`].
fn too_deep() -> String {
    format!("the value is nested more than {MAX_DEPTH} levels deep")
}

/// Whether `value` may hold other values that hold more, without end: an array, a map, a
/// function pointer (its curried arguments), or a shared cell (a variable a closure captured).
#[inline]
pub(crate) fn is_nest(value: &Dynamic) -> bool {
    // `is_array` and `is_map` lock a shared value: look at that first.
    value.is_shared() || value.is_array() || value.is_map() || value.is::<rhai::FnPtr>()
}

/// Drops `value` without recursing into it. Rust drops nested values level by level on the
/// stack, so a value nested a million levels deep (arrays in arrays, or a chain of closures
/// each capturing the one before: 200 MB, built in a second) would overflow the stack of the
/// thread that drops it and abort the process; its containers are emptied onto a heap stack
/// instead. A shared cell is opened only where this is its last holder (`Dynamic::flatten`
/// takes the value out then); where others hold it too, dropping this holder frees nothing
/// deeper, and a shallow copy is walked instead, never emptying the cell for the others.
pub(crate) fn drop_flat(value: Dynamic) {
    if !is_nest(&value) {
        return;
    }
    let mut nests = vec![value];
    while let Some(nest) = nests.pop() {
        let mut nest = if nest.is_shared() {
            nest.flatten()
        } else {
            nest
        };
        if let Some(mut array) = nest.write_lock::<Array>() {
            nests.extend(array.drain(..).filter(is_nest));
        } else if let Some(mut map) = nest.write_lock::<Map>() {
            nests.extend(std::mem::take(&mut *map).into_values().filter(is_nest));
        } else if let Some(mut function) = nest.write_lock::<rhai::FnPtr>() {
            let curried: Vec<Dynamic> = function.iter_curry_mut().map(std::mem::take).collect();
            nests.extend(curried.into_iter().filter(is_nest));
        }
    }
}

/// A copy of `value` that shares no string with it: each runspace's injected variables are its
/// own. A string is counted by reference, and reading one in a job takes a reference; were all
/// workers' copies of a variable one shared string, its count would pass between their cores at
/// every read. Arrays and maps are copied with their contents; values nested past
/// [`MAX_DEPTH`] levels are cloned as they are below that depth.
pub(crate) fn unshared_copy(value: &Dynamic) -> Dynamic {
    unshared_copy_at(value, 0)
}

fn unshared_copy_at(value: &Dynamic, depth: usize) -> Dynamic {
    if depth > MAX_DEPTH || value.is_shared() {
        return value.clone();
    }
    if let Some(text) = value.read_lock::<rhai::ImmutableString>() {
        return Dynamic::from(text.as_str().to_string());
    }
    if let Some(array) = value.read_lock::<Array>() {
        let copy: Array = array
            .iter()
            .map(|v| unshared_copy_at(v, depth + 1))
            .collect();
        return Dynamic::from_array(copy);
    }
    if let Some(map) = value.read_lock::<Map>() {
        let copy: Map = map
            .iter()
            .map(|(k, v)| (k.as_str().into(), unshared_copy_at(v, depth + 1)))
            .collect();
        return Dynamic::from_map(copy);
    }
    value.clone()
}

/// Converts a Rhai value into JSON. `()` becomes `null`; values with no JSON form (function
/// pointers, custom types, non-finite floats) are an error naming their type, and so is a value
/// nested more than [`MAX_DEPTH`] levels deep.
pub fn dynamic_to_json(value: &Dynamic) -> Result<Value, String> {
    to_json_at(value, 0)
}

fn to_json_at(value: &Dynamic, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = value.as_int() {
        return Ok(Value::from(i));
    }
    if let Ok(f) = value.as_float() {
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("the float {f} has no JSON form"));
    }
    if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        return Ok(Value::String(s.to_string()));
    }
    if let Ok(c) = value.as_char() {
        return Ok(Value::String(c.to_string()));
    }
    if let Some(array) = value.read_lock::<Array>() {
        return array
            .iter()
            .map(|v| to_json_at(v, depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    if let Some(map) = value.read_lock::<Map>() {
        let mut object = serde_json::Map::with_capacity(map.len());
        for (k, v) in map.iter() {
            object.insert(k.to_string(), to_json_at(v, depth + 1)?);
        }
        return Ok(Value::Object(object));
    }
    if let Some(blob) = value.read_lock::<rhai::Blob>() {
        return Ok(Value::Array(blob.iter().map(|b| Value::from(*b)).collect()));
    }
    Err(format!(
        "a value of type {} cannot be written as JSON",
        value.type_name()
    ))
}

/// Appends the text form of an output value: strings as they are, numbers and booleans
/// plainly, arrays and maps as compact JSON. `()` writes nothing and returns `false`.
pub fn write_text(value: &Dynamic, out: &mut Vec<u8>) -> Result<bool, String> {
    if value.is_unit() {
        return Ok(false);
    }
    if let Ok(i) = value.as_int() {
        write_int(i, out);
    } else if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        out.extend_from_slice(s.as_bytes());
    } else if value
        .as_float()
        .is_ok_and(|f| f == 0.0 && f.is_sign_negative())
    {
        // Rhai writes -0.0 as `0.0`; JSON output keeps the sign, and so does text.
        out.extend_from_slice(b"-0.0");
    } else if value.is_float() || value.is_bool() || value.is_char() {
        write!(out, "{value}").expect("writing to a Vec cannot fail");
    } else {
        write_json(value, out)?;
    }
    Ok(true)
}

/// Appends an integer in decimal. Output is mostly numbers for many scripts; `itoa` is several
/// times cheaper than going through `fmt`.
pub(crate) fn write_int(i: rhai::INT, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
}

/// A short, one-line description of an item for messages: strings quoted, long ones cut.
pub fn describe_item(item: &Dynamic) -> String {
    const MAX: usize = 60;
    let text = match dynamic_to_json(item) {
        Ok(json) => json.to_string(),
        Err(_) => item.to_string(),
    };
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unshared_copy_is_equal_and_holds_strings_of_its_own() {
        let text = |v: &Dynamic| v.clone().into_immutable_string().unwrap();
        let original = json_to_dynamic(serde_json::json!({"a": "x", "b": [1, "y"]}));
        let copy = unshared_copy(&original);
        assert_eq!(copy.to_string(), original.to_string());
        let (map, copied) = (original.cast::<Map>(), copy.cast::<Map>());
        let (a, a_copy) = (text(&map["a"]), text(&copied["a"]));
        assert_eq!(a, a_copy);
        assert!(!std::ptr::eq(a.as_str(), a_copy.as_str()));
        let nested = |m: &Map| text(&m["b"].clone().cast::<Array>()[1]);
        assert!(!std::ptr::eq(
            nested(&map).as_str(),
            nested(&copied).as_str()
        ));
    }

    #[test]
    fn json_round_trips_through_dynamic() {
        let json: Value =
            serde_json::from_str(r#"{"a":[1,2.5,"x",true,null],"b":{"c":-3}}"#).unwrap();
        let back = dynamic_to_json(&json_to_dynamic(json.clone())).unwrap();
        assert_eq!(back, json);
    }

    #[test]
    fn text_form_is_plain_for_scalars_and_json_for_containers() {
        let mut out = Vec::new();
        assert!(write_text(&Dynamic::from("hi"), &mut out).unwrap());
        out.push(b'|');
        write_text(&Dynamic::from(42_i64), &mut out).unwrap();
        out.push(b'|');
        let array: Array = vec![1_i64.into(), "a\"".into()];
        write_text(&array.into(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            r#"hi|42|[1,"a\""]"#
        );
        assert!(!write_text(&Dynamic::UNIT, &mut out).unwrap());
    }

    #[test]
    fn integers_are_written_in_decimal() {
        for i in [
            0,
            7,
            -7,
            10,
            1_999_999,
            -1_000_000,
            rhai::INT::MAX,
            rhai::INT::MIN,
        ] {
            let mut out = Vec::new();
            write_int(i, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), i.to_string());
        }
    }

    #[test]
    fn function_pointers_have_no_json_form() {
        let ptr = rhai::FnPtr::new("f").unwrap();
        let err = dynamic_to_json(&Dynamic::from(ptr)).unwrap_err();
        assert!(err.contains("Fn"), "{err}");
    }

    #[test]
    fn a_chain_of_closures_drops_without_recursing() {
        // Each closure captures the one before: 100,000 levels, freed on a 256 KiB stack.
        let engine = rhai::Engine::new();
        let chain: Dynamic = engine
            .eval("let f = || 0; for i in 0..100000 { let g = f; f = || g.call() + 1; } [f]")
            .unwrap();
        assert!(is_nest(&chain));
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || drop_flat(chain))
            .unwrap()
            .join()
            .unwrap();
    }
}
