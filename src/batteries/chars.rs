//! The characters of a string, one at a time: `for c in text`, and Rhai's `chars` in all its
//! forms (`chars()`, `.chars`, `chars(start)`, `chars(start, len)`, `chars(range)`). Rhai's
//! own collect every character into a list first, four bytes each: on a 50 MB item, 200 MB
//! and 150 ms before the loop's first turn, which the job's clock cannot interrupt. These
//! give the same characters, read from the string as the loop asks for them; finding where a
//! `start` is (or counting the characters, for a `start` from the end) looks at the job's
//! clock and cap as it goes.
//!
//! Registered on the engine itself (or the module its workers share), they are found before
//! the standard library's.

use std::any::TypeId;

use rhai::{Dynamic, FuncRegistration, INT, ImmutableString};

use super::Fallible;
use super::registrar::Registrar;
use super::strings::{char_count, char_start};
use crate::limits::signal::Steps;

/// What `type_of` (and printing) says of one, as it says of Rhai's own.
const TYPE_NAME: &str = "range";

/// The characters of a string from a byte offset on, at most `left` of them.
#[derive(Clone, Debug)]
pub(crate) struct Chars {
    text: ImmutableString,
    at: usize,
    left: usize,
}

impl Iterator for Chars {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if self.left == 0 {
            return None;
        }
        let c = self.text[self.at..].chars().next()?;
        self.at += c.len_utf8();
        self.left -= 1;
        Some(c)
    }
}

impl Chars {
    /// As Rhai's `CharsStream::new(text, from, len)`: `len` characters from the `from`th, or
    /// for a negative `from`, from that many before the end (the start when there are fewer).
    fn new(text: ImmutableString, from: INT, len: INT) -> Fallible<Self> {
        if len <= 0 {
            return Ok(Chars {
                text,
                at: 0,
                left: 0,
            });
        }
        let left = usize::try_from(len).unwrap_or(usize::MAX);
        let mut steps = Steps::new(Steps::BYTES);
        let skip = match usize::try_from(from) {
            Ok(from) => from,
            Err(_) => {
                let back = usize::try_from(from.unsigned_abs()).unwrap_or(usize::MAX);
                char_count(&text, &mut steps)?.saturating_sub(back)
            }
        };
        let at = char_start(&text, skip, &mut steps)?;
        Ok(Chars { text, at, left })
    }
}

/// Registers the `chars` functions and the string iterator of `for` loops.
pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_iterable::<Chars>(TYPE_NAME);
    engine.register_type_iterator(TypeId::of::<ImmutableString>(), |text| {
        let text = text.cast::<ImmutableString>();
        // Never more characters than bytes.
        let left = text.len();
        Box::new(Chars { text, at: 0, left }.map(Dynamic::from_char))
    });
    engine.register_fn("chars", |text: ImmutableString| {
        Chars::new(text, 0, INT::MAX)
    });
    // The property form, `text.chars`.
    engine.register_as(
        FuncRegistration::new_getter("chars"),
        |text: ImmutableString| Chars::new(text, 0, INT::MAX),
    );
    engine.register_fn("chars", |text: ImmutableString, start: INT| {
        Chars::new(text, start, INT::MAX)
    });
    engine.register_fn("chars", |text: ImmutableString, start: INT, len: INT| {
        Chars::new(text, start, len)
    });
    engine.register_fn(
        "chars",
        |text: ImmutableString, range: std::ops::Range<INT>| {
            let from = range.start.max(0);
            let to = range.end.max(from);
            Chars::new(text, from, to - from)
        },
    );
    engine.register_fn(
        "chars",
        |text: ImmutableString, range: std::ops::RangeInclusive<INT>| {
            let from = (*range.start()).max(0);
            let to = (*range.end()).max(from - 1).min(INT::MAX - 1);
            Chars::new(text, from, to - from + 1)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batteries::tests::engine;
    use rhai::{Array, Engine, Scope};

    /// What `script` gives with `text` as `s`, on `engine`.
    fn run(engine: &Engine, script: &str, text: &str) -> String {
        let mut scope = Scope::new();
        scope.push("s", text.to_string());
        match engine.eval_with_scope::<Array>(&mut scope, script) {
            Ok(chars) => chars
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|"),
            Err(err) => format!("error: {err}"),
        }
    }

    #[test]
    fn every_form_gives_rhais_characters() {
        let ours = engine();
        let rhais = Engine::new();
        let texts = ["", "a", "héllo, wörld", "日本語のテキスト", "😀a😀b"];
        let bounds = [
            INT::MIN,
            -100,
            -5,
            -1,
            0,
            1,
            2,
            5,
            100,
            INT::MAX - 1,
            INT::MAX,
        ];
        let mut forms = vec![
            "s.chars()".to_string(),
            "s.chars".to_string(),
            "s".to_string(),
            "chars(s)".to_string(),
        ];
        for a in bounds {
            forms.push(format!("s.chars({a})"));
            for b in bounds {
                forms.push(format!("s.chars({a}, {b})"));
                if a > INT::MIN && b > INT::MIN {
                    forms.push(format!("s.chars({a}..{b})"));
                    forms.push(format!("s.chars({a}..={b})"));
                }
            }
        }
        for text in texts {
            for form in &forms {
                let script = format!("let a = []; for c in {form} {{ a.push(c) }} a");
                assert_eq!(
                    run(&ours, &script, text),
                    run(&rhais, &script, text),
                    "{form} on {text:?}"
                );
            }
        }
        for script in [
            r#"type_of("ab".chars())"#,
            r#"type_of("ab".chars)"#,
            r#"`${"ab".chars(1)}`"#,
        ] {
            let rhais = rhais.eval::<String>(script).unwrap();
            assert_eq!(
                crate::batteries::tests::eval::<String>(&ours, script),
                rhais
            );
        }
        // Every form is this one, not Rhai's, which lists every character first.
        for form in [
            "s.chars",
            "s.chars()",
            "s.chars(1)",
            "s.chars(1, 2)",
            "s.chars(1..2)",
        ] {
            let chars = ours
                .eval::<Dynamic>(&format!(r#"let s = "ab"; {form}"#))
                .unwrap();
            assert!(chars.is::<Chars>(), "{form}: {}", chars.type_name());
        }
    }

    #[test]
    fn offsets_are_found_across_pieces() {
        let text = "é".repeat(Steps::BYTES) + "xyz";
        let steps = &mut Steps::new(Steps::BYTES);
        assert_eq!(char_count(&text, steps).unwrap(), Steps::BYTES + 3);
        assert_eq!(
            char_start(&text, Steps::BYTES + 1, steps).unwrap(),
            2 * Steps::BYTES + 1
        );
        assert_eq!(
            char_start(&text, Steps::BYTES + 3, steps).unwrap(),
            text.len()
        );
        assert_eq!(char_start(&text, usize::MAX, steps).unwrap(), text.len());
    }
}
