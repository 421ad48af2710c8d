//! `--csv-types`: a CSV field that reads as an integer, a float or a boolean becomes one; any
//! other field stays the string it is. The rules are [`CsvOptions::types`](super::CsvOptions::types).

use rhai::{Dynamic, ImmutableString};

/// The field as a Rhai value: an integer, a float, a boolean, or else its string.
pub(super) fn typed_field(field: &str) -> Dynamic {
    match field {
        "true" => return true.into(),
        "false" => return false.into(),
        _ => {}
    }
    match number_shape(field) {
        Some(Shape::Integer) => {
            if let Ok(i) = field.parse::<rhai::INT>() {
                return i.into();
            }
        }
        Some(Shape::Float) => {
            if let Ok(f) = field.parse::<rhai::FLOAT>()
                && f.is_finite()
            {
                return f.into();
            }
        }
        None => {}
    }
    ImmutableString::from(field).into()
}

enum Shape {
    Integer,
    Float,
}

/// Whether `field` is written as a number: `-`?, digits with at most one `.` (a digit on
/// either side of it at least), then an exponent `e`/`E`, `+`/`-`?, digits. Never with a
/// leading `+`, spaces, `nan` or `inf` (which Rust's parsers would take), nor with a zero
/// before another digit (`007`, `00.5`), which marks an identifier rather than a quantity.
fn number_shape(field: &str) -> Option<Shape> {
    let unsigned = field.strip_prefix('-').unwrap_or(field).as_bytes();
    let (mantissa, exponent) = match unsigned.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(e) => (&unsigned[..e], Some(&unsigned[e + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.iter().position(|b| *b == b'.') {
        Some(dot) => (&mantissa[..dot], Some(&mantissa[dot + 1..])),
        None => (mantissa, None),
    };
    let digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
    if !digits(whole) || !fraction.is_none_or(digits) {
        return None;
    }
    if whole.is_empty() && fraction.is_none_or(<[u8]>::is_empty) {
        return None;
    }
    if whole.len() > 1 && whole[0] == b'0' {
        return None;
    }
    if let Some(exponent) = exponent {
        let exponent = exponent.strip_prefix(b"+").unwrap_or(exponent);
        let exponent = exponent.strip_prefix(b"-").unwrap_or(exponent);
        if exponent.is_empty() || !digits(exponent) {
            return None;
        }
    }
    Some(match (fraction, exponent) {
        (None, None) => Shape::Integer,
        _ => Shape::Float,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(field: &str) -> String {
        let value = typed_field(field);
        format!("{}:{value}", value.type_name())
    }

    #[test]
    fn integers_floats_and_booleans_become_themselves() {
        assert_eq!(shown("42"), "i64:42");
        assert_eq!(shown("-12"), "i64:-12");
        assert_eq!(shown("0"), "i64:0");
        assert_eq!(shown("3.5"), "f64:3.5");
        assert_eq!(shown("-1e3"), "f64:-1000.0");
        assert_eq!(shown("2.5E-1"), "f64:0.25");
        assert_eq!(shown("0.5"), "f64:0.5");
        assert_eq!(shown(".5"), "f64:0.5");
        assert_eq!(shown("true"), "bool:true");
        assert_eq!(shown("false"), "bool:false");
    }

    #[test]
    fn everything_else_stays_a_string() {
        for field in [
            "",
            "007",
            "-007",
            "00.5",
            "+5",
            " 5",
            "5 ",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "infinity",
            "True",
            "FALSE",
            "1e",
            "1e+",
            "e5",
            ".",
            "-",
            "1.2.3",
            "1,5",
            "0x10",
            "1_000",
            "1e999",
            "99999999999999999999",
            "ada",
        ] {
            assert_eq!(shown(field), format!("string:{field}"), "{field:?}");
        }
    }
}
