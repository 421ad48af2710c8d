//! JSON: `parse_json` (text straight into Rhai values) and `to_json` / `to_json_pretty`.

use super::registrar::Registrar;
use rhai::{Dynamic, FuncRegistration, Map};

use super::{Fallible, error, failed_or_stopped, too_large};
use crate::limits::signal::Steps;
use crate::value::{
    JsonParseError, dynamic_to_json, parse_json_within, write_json, write_json_str,
};

/// Parses JSON text into a Rhai value (`value::parse_json_within`). Values take several times
/// the memory of their text (a 7 MB text of small objects made 80 MB), and the cap is
/// otherwise looked at only between the script's operations: the parser stops at the element
/// where the job passes its memory cap, not after building it all.
pub(super) fn parse_json(text: &str) -> Fallible<Dynamic> {
    parse_json_within(text, u64::MAX).map_err(|e| match e {
        JsonParseError::TooLarge => too_large(
            "parse_json",
            "the values would take more memory than the job has left (max-memory)",
        ),
        JsonParseError::Invalid(e) => error("parse_json", format!("invalid JSON: {e}")),
    })
}

/// Fails `function` when `value`'s JSON text would not fit in the memory the running job has
/// left. A value can share one string many times, so its text can be many times its size, and
/// the text is built in one call, before the cap is next looked at.
fn check_room(function: &str, value: &Dynamic) -> Fallible<()> {
    match crate::limits::memory::room_left() {
        Some(room) if crate::value::written_size_exceeds_in_job([value], room)? => Err(too_large(
            function,
            "the JSON text would take more memory than the job has left (max-memory)",
        )),
        _ => Ok(()),
    }
}

/// Compact JSON. Maps keep Rhai's key order (sorted).
pub(super) fn to_json(value: &Dynamic) -> Fallible<String> {
    check_room("to_json", value)?;
    let mut out = Vec::new();
    write_json(value, &mut out).map_err(|e| failed_or_stopped("to_json", e))?;
    Ok(String::from_utf8(out).expect("JSON text is UTF-8"))
}

/// `to_json` for a map, written from the map itself rather than a copy wrapped in a `Dynamic`.
fn map_to_json(map: &Map) -> Fallible<String> {
    let mut out = vec![b'{'];
    let mut steps = Steps::new(Steps::VALUES);
    for (i, (key, value)) in map.iter().enumerate() {
        steps.step(1)?;
        check_room("to_json", value)?;
        if i > 0 {
            out.push(b',');
        }
        write_json_str(key, &mut out);
        out.push(b':');
        write_json(value, &mut out).map_err(|e| failed_or_stopped("to_json", e))?;
    }
    out.push(b'}');
    Ok(String::from_utf8(out).expect("JSON text is UTF-8"))
}

/// Indented JSON, for humans.
pub(super) fn to_json_pretty(value: &Dynamic) -> Fallible<String> {
    check_room("to_json_pretty", value)?;
    let json = dynamic_to_json(value).map_err(|e| error("to_json_pretty", e))?;
    Ok(serde_json::to_string_pretty(&json).expect("a JSON value always serializes"))
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("parse_json", parse_json);
    // By reference: a value taken by value is a copy Rhai makes in one go before the call
    // (20 M values: ~0.3 s, past any deadline).
    engine.register_as(
        FuncRegistration::new("to_json").with_purity(true),
        |value: &mut Dynamic| to_json(value),
    );
    // Rhai's own `to_json` takes a map; registering that exact signature too makes maps use
    // this one (the engine's own functions are searched before its standard library).
    engine.register_fn("to_json", |map: &mut Map| map_to_json(map));
    engine.register_as(
        FuncRegistration::new("to_json_pretty").with_purity(true),
        |value: &mut Dynamic| to_json_pretty(value),
    );
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::batteries::tests::{engine, eval, eval_err};
    use crate::value::json_to_dynamic;

    #[test]
    fn parses_every_kind_of_value_like_the_tree_conversion() {
        let text = r#"{"a":[1,-2,2.5,"x",true,null],"b":{"c":18446744073709551615},"d":"é\n"}"#;
        let direct = dynamic_to_json(&parse_json(text).unwrap()).unwrap();
        let via_tree = dynamic_to_json(&json_to_dynamic(
            serde_json::from_str::<Value>(text).unwrap(),
        ))
        .unwrap();
        assert_eq!(direct, via_tree);
        assert_eq!(
            eval::<i64>(&engine(), r#"parse_json(`{"n": {"m": 7}}`).n.m"#),
            7
        );
        assert!(parse_json(" null ").unwrap().is_unit());
    }

    #[test]
    fn invalid_json_names_the_function_and_the_place() {
        let e = engine();
        let message = eval_err(&e, r#"parse_json("{\"a\": 1,}")"#);
        assert!(
            message.starts_with("parse_json: invalid JSON: "),
            "{message}"
        );
        assert!(message.contains("column 9"), "{message}");
        let message = eval_err(&e, r#"parse_json("[1] x")"#);
        assert!(message.contains("trailing characters"), "{message}");
        assert!(eval_err(&e, r#"parse_json("")"#).starts_with("parse_json: "));
    }

    #[test]
    fn to_json_is_compact_and_round_trips() {
        let e = engine();
        let out = eval::<String>(&e, r#"to_json(#{b: [1, 2.5, "q\"", true], a: ()})"#);
        assert_eq!(out, r#"{"a":null,"b":[1,2.5,"q\"",true]}"#);
        assert_eq!(eval::<String>(&e, r#"to_json("x")"#), r#""x""#);
        let back = eval::<bool>(&e, r#"let m = #{k: [1, "v"]}; parse_json(to_json(m)) == m"#);
        assert!(back);
    }

    #[test]
    fn to_json_pretty_indents() {
        let out = eval::<String>(&engine(), "to_json_pretty(#{a: [1]})");
        assert_eq!(out, "{\n  \"a\": [\n    1\n  ]\n}");
    }

    #[test]
    fn values_without_a_json_form_are_an_error() {
        let e = engine();
        let message = eval_err(&e, "to_json(0.0 / 0.0)");
        assert!(message.starts_with("to_json: the float NaN"), "{message}");
        let message = eval_err(&e, r#"to_json_pretty([Fn("f")])"#);
        assert!(message.starts_with("to_json_pretty: "), "{message}");
    }
}
