//! Rhai's `parse_int` and `parse_float`, again. Rhai's trim the text, parse it and, when it is
//! not a number, quote all of it in the error, each in one go: on a 268 MB text, the failure
//! came 0.4 s past the deadline. These give the same answers for a text of up to 64 KiB. A
//! longer one is trimmed a piece at a time, parsed only as far as decides the answer, and
//! quoted in part in the error (its first 64 KiB, then `…`).

use std::borrow::Cow;

use rhai::{EvalAltResult, FLOAT, INT, Position};

use super::Fallible;
use super::registrar::Registrar;
use super::strings::trimmed;
use crate::limits::signal::Steps;

/// Digits past which an integer's text is parsed shortened: more than any `INT` has.
const LONG: usize = 128;

fn arithmetic(message: String) -> Box<EvalAltResult> {
    EvalAltResult::ErrorArithmetic(message, Position::NONE).into()
}

/// `text` as an error quotes it: whole up to 64 KiB, else its start and `…`.
fn quoted(text: &str) -> Cow<'_, str> {
    if text.len() <= Steps::BYTES {
        return Cow::Borrowed(text);
    }
    let end = (0..=Steps::BYTES)
        .rev()
        .find(|&at| text.is_char_boundary(at))
        .unwrap_or(0);
    Cow::Owned(format!("{}…", &text[..end]))
}

/// A text `from_str_radix` answers as it answers `digits`, which is long: its sign, then its
/// digits past the leading zeros (found a piece at a time, one kept), no more than [`LONG`]
/// of them.
/// Parsed left to right, so many digits overflow an `INT` before anything after them is read.
fn shortened(digits: &str) -> Fallible<String> {
    let (sign, rest) = match digits.as_bytes().first() {
        Some(b'+' | b'-') => digits.split_at(1),
        _ => ("", digits),
    };
    let mut steps = Steps::new(Steps::BYTES);
    let mut zeros = 0;
    for piece in rest.as_bytes().chunks(Steps::BYTES) {
        let leading = piece.iter().take_while(|&&byte| byte == b'0').count();
        zeros += leading;
        if leading < piece.len() {
            break;
        }
        steps.step(piece.len())?;
    }
    let rest = &rest[zeros..];
    let end = (0..=LONG.min(rest.len()))
        .rev()
        .find(|&at| rest.is_char_boundary(at))
        .unwrap_or(0);
    // One zero kept: it stands for them all, and a sign after them stays no sign.
    let zero = if zeros > 0 { "0" } else { "" };
    let kept = &rest[..end];
    Ok(format!("{sign}{zero}{kept}"))
}

/// Rhai's `parse_int` in `radix`.
fn parse_int(text: &str, radix: INT) -> Fallible<INT> {
    if !(2..=36).contains(&radix) {
        return Err(arithmetic(format!("Invalid radix: '{radix}'")));
    }
    let radix = radix as u32;
    let digits = &text[trimmed(text)?];
    let parsed = if digits.len() <= LONG {
        INT::from_str_radix(digits, radix)
    } else {
        INT::from_str_radix(&shortened(digits)?, radix)
    };
    parsed.map_err(|err| {
        arithmetic(format!(
            "Error parsing integer number '{}': {err}",
            quoted(text)
        ))
    })
}

/// Rhai's `parse_float`. A long text with anything but digits, signs, points and exponents in
/// it is refused as `str::parse` refuses it, once that is found, a piece at a time; one with
/// none is parsed whole (hundreds of megabytes of digits: a fraction of a second).
fn parse_float(text: &str) -> Fallible<FLOAT> {
    let digits = &text[trimmed(text)?];
    let mut steps = Steps::new(Steps::BYTES);
    let mut invalid = false;
    if digits.len() > Steps::BYTES {
        for piece in digits.as_bytes().chunks(Steps::BYTES) {
            if !piece.iter().all(|byte| b"0123456789.eE+-".contains(byte)) {
                invalid = true;
                break;
            }
            steps.step(piece.len())?;
        }
    }
    // "x" is refused with the same error as any other text that is not a float.
    let parsed = if invalid { "x" } else { digits }.parse::<FLOAT>();
    parsed.map_err(|err| {
        arithmetic(format!(
            "Error parsing floating-point number '{}': {err}",
            quoted(text)
        ))
    })
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("parse_int", |text: &str| parse_int(text, 10));
    engine.register_fn("parse_int", parse_int);
    engine.register_fn("parse_float", parse_float);
}

#[cfg(test)]
mod tests {
    use crate::batteries::tests::{engine, eval, same_answer_as_rhais};

    #[test]
    fn parses_give_rhais_answers() {
        let ours = engine();
        let texts = [
            "",
            " ",
            "0",
            "42",
            " 42 ",
            "-17",
            "+5",
            "-",
            "+",
            "007",
            "-0",
            "1_000",
            "12a",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "ff",
            "FF",
            "z",
            "1.5",
            "-2.5e3",
            ".5",
            "5.",
            "inf",
            "-inf",
            "NaN",
            "infinity",
            "1e",
            "e5",
            "1e400",
            "\t3\n",
            "é",
            "٣",
        ];
        for text in texts {
            for call in [
                format!("parse_int({text:?})"),
                format!("parse_int({text:?}, 16)"),
                format!("parse_int({text:?}, 2)"),
                format!("parse_int({text:?}, 36)"),
                format!("parse_float({text:?})"),
            ] {
                same_answer_as_rhais(&ours, &call);
            }
        }
        for radix in ["0", "1", "37", "-5"] {
            same_answer_as_rhais(&ours, &format!("parse_int(\"5\", {radix})"));
        }
    }

    #[test]
    fn long_texts_give_rhais_answers_and_are_quoted_in_part() {
        let ours = engine();
        // Up to 64 KiB, quoted whole; past LONG digits, parsed shortened.
        for (text, pad) in [
            ("\"0\"", "\"0\""),
            ("\"-0\"", "\"0\""),
            ("\"1\"", "\"0\""),
            ("\"+0\"", "\"0\""),
            ("\"12\"", "\"3\""),
            ("\"1\"", "\"x\""),
            ("\"\"", "\" \""),
        ] {
            for more in ["200", "5000"] {
                let build = format!("let s = {text}; s.pad({more}, {pad});");
                for end in ["", "s += \"7\";", "s += \"z\";", "s = \"0\" + s;"] {
                    for call in ["parse_int(s)", "parse_int(s, 16)", "parse_float(s)"] {
                        same_answer_as_rhais(&ours, &format!("{build} {end} {call}"));
                    }
                }
            }
        }
        let script = r#"let s = "1"; s.pad(100000, "0"); s += "x"; parse_int(s)"#;
        let message = ours.eval::<rhai::Dynamic>(script).unwrap_err().to_string();
        let end = &message[message.len() - 80..];
        assert!(end.contains("0…': number too large to fit"), "{end}");
        assert!(message.len() < 66_000, "{}", message.len());
        let zeros: rhai::INT = eval(
            &ours,
            r#"let s = "0"; s.pad(100000, "0"); parse_int(s + "42")"#,
        );
        assert_eq!(zeros, 42);
    }
}
