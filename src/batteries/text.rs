//! Text helpers Rhai lacks: `lines`, `words`, `field`, `pad_left` / `pad_right`,
//! `slugify`.
//! Widths count characters, not bytes, so accented text lines up.

use super::registrar::Registrar;
use rhai::{Array, INT, ImmutableString};

use super::sizes::{Side, padded};
use super::{Fallible, error};
use crate::limits::signal::Steps;

/// `text` as a string value, copied once (a long `&str` made one is copied twice).
fn string_of(text: &str) -> ImmutableString {
    std::iter::once(text).collect()
}

fn lines(text: &str) -> Fallible<Array> {
    super::pieces::collect(text.lines().map(string_of))
}

/// The words of `text`, as `split_whitespace` gives them, looking at the job's clock and cap
/// every few tens of kilobytes, within a word too: one word can be a whole 64 MiB item.
fn words(text: &str) -> Fallible<Array> {
    if text.len() <= Steps::BYTES {
        return super::pieces::collect(text.split_whitespace());
    }
    let mut words = Array::new();
    let mut steps = Steps::new(Steps::BYTES);
    let mut start = None;
    for (at, c) in text.char_indices() {
        steps.step(c.len_utf8())?;
        match (c.is_whitespace(), start) {
            (true, Some(from)) => {
                words.push(string_of(&text[from..at]).into());
                start = None;
                steps.step(Steps::BYTES / Steps::VALUES)?;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    if let Some(from) = start {
        words.push(string_of(&text[from..]).into());
    }
    Ok(words)
}

/// Field `n` of the runs of non-blanks (spaces, tabs, line ends: awk's `$(n+1)`), or of the pieces between
/// `separator`s (`cut -d`): 0 is the first, -1 the last, and a field past the end is `""`,
/// as in awk. One string is made, not an array of every field.
fn field(text: &str, n: INT, separator: Option<&str>) -> Fallible<ImmutableString> {
    Ok(field_of(text, n, separator)?
        .map(Into::into)
        .unwrap_or_default())
}

/// Texts longer than this are split at blanks with a look at the job's clock as they are read:
/// a byte at a time, 200 MB took ~0.35 s. A log line is far shorter, and pays one comparison.
const BLANKS_STEPPED_FROM: usize = 1 << 20;

/// The field [`field`] makes a string of; `None` past the end.
pub(super) fn field_of<'t>(
    text: &'t str,
    n: INT,
    separator: Option<&str>,
) -> Fallible<Option<&'t str>> {
    if separator.is_none() && text.len() > BLANKS_STEPPED_FROM {
        return nth_blank_field_stepped(text, n);
    }
    Ok(field_of_short(text, n, separator))
}

/// Field `n` of the runs of ASCII non-blanks, as `split_ascii_whitespace` gives them, read
/// with a look at the job's clock every [`Steps::BYTES`]; from the end for `n < 0`.
fn nth_blank_field_stepped(text: &str, n: INT) -> Fallible<Option<&str>> {
    let bytes = text.as_bytes();
    let mut steps = Steps::new(Steps::BYTES);
    let wanted = if n >= 0 {
        usize::try_from(n).unwrap_or(usize::MAX)
    } else {
        usize::try_from(-(n + 1)).unwrap_or(usize::MAX)
    };
    let mut field = 0;
    let mut run_from = None;
    // Reading forward for `n >= 0`, backward otherwise; `at` is the next byte to read.
    let (mut at, forward) = if n >= 0 {
        (0, true)
    } else {
        (bytes.len(), false)
    };
    loop {
        let byte = if forward {
            bytes.get(at).copied()
        } else {
            at.checked_sub(1).map(|i| bytes[i])
        };
        let blank = byte.is_none_or(|b| b.is_ascii_whitespace());
        match (blank, run_from) {
            // A run ends: the field from where it began to here.
            (true, Some(begun)) => {
                if field == wanted {
                    let (start, end) = if forward { (begun, at) } else { (at, begun) };
                    // Blanks are ASCII: both ends are character boundaries.
                    return Ok(Some(&text[start..end]));
                }
                field += 1;
                run_from = None;
            }
            (false, None) => run_from = Some(at),
            _ => {}
        }
        if byte.is_none() {
            return Ok(None);
        }
        at = if forward { at + 1 } else { at - 1 };
        steps.step(1)?;
    }
}

fn field_of_short<'t>(text: &'t str, n: INT, separator: Option<&str>) -> Option<&'t str> {
    fn one_char_of(text: &str) -> Option<char> {
        let mut chars = text.chars();
        chars.next().filter(|_| chars.next().is_none())
    }
    // From the end, counted from 0 there too: -1 is the 0th field of the reversed pieces.
    let back = usize::try_from(-(n.min(0) + 1)).unwrap_or(0);
    let ahead = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
    match separator {
        // Split at ASCII blanks, as awk splits: ~2x faster than at every Unicode space.
        None if n >= 0 => text.split_ascii_whitespace().nth(ahead),
        None => text.split_ascii_whitespace().nth_back(back),
        Some("") => None,
        // One character is searched for as a character: several times faster than a string.
        Some(separator) => match one_char_of(separator) {
            // An ASCII byte is searched for with a vectorized `memchr`: `split(c)` looks for
            // it with core's word-at-a-time search, ~4x the instructions on a log line.
            Some(c) if c.is_ascii() => nth_piece(text, c as u8, n, ahead, back),
            Some(c) if n >= 0 => text.split(c).nth(ahead),
            Some(c) => text.rsplit(c).nth(back),
            None if n >= 0 => text.split(separator).nth(ahead),
            None => text.rsplit(separator).nth(back),
        },
    }
}

/// The piece `n` of `text` between `separator`s, as `text.split(separator).nth(ahead)` gives
/// it for `n >= 0`, and `text.rsplit(separator).nth(back)` otherwise.
fn nth_piece(text: &str, separator: u8, n: INT, ahead: usize, back: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    // `separator` is ASCII: every place found is a character boundary.
    let (start, end) = if n >= 0 {
        let mut places = memchr::memchr_iter(separator, bytes);
        let mut start = 0;
        for _ in 0..ahead {
            start = places.next()? + 1;
        }
        (start, places.next().unwrap_or(bytes.len()))
    } else {
        let mut places = memchr::memrchr_iter(separator, bytes);
        let mut end = bytes.len();
        for _ in 0..back {
            end = places.next()?;
        }
        (places.next().map_or(0, |at| at + 1), end)
    };
    Some(&text[start..end])
}

/// A delimiter or fill given as a string, as scripts write it more often than a character
/// literal (`";"` beside `';'`): it must be exactly one character.
pub(super) fn one_char(function: &str, what: &str, text: &str) -> Fallible<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(error(
            function,
            format!("the {what} must be one character, not {text:?}"),
        )),
    }
}

/// Pads `text` to `width` characters with `fill`, before it or after it. Longer text is
/// returned as it is, never cut.
fn pad(text: ImmutableString, width: INT, fill: char, left: bool) -> Fallible<ImmutableString> {
    let (function, side) = match left {
        true => ("pad_left", Side::Before),
        false => ("pad_right", Side::After),
    };
    let mut buf = [0; 4];
    let fill = fill.encode_utf8(&mut buf);
    Ok(padded(function, &text, width, fill, side)?.unwrap_or(text))
}

/// Lowercase letters and digits, every other run of characters one `-`, none at the ends:
/// `"Hello, World!"` → `"hello-world"`. Non-ASCII letters are kept, lowercased.
fn slugify(text: &str) -> Fallible<String> {
    let mut slug = String::with_capacity(text.len());
    let mut gap = false;
    let mut steps = Steps::new(Steps::BYTES);
    for c in text.chars() {
        steps.step(c.len_utf8())?;
        if c.is_alphanumeric() {
            if gap && !slug.is_empty() {
                slug.push('-');
            }
            gap = false;
            slug.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    Ok(slug)
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("lines", lines);
    engine.register_fn("words", words);
    engine.register_fn("field", |text: &str, n: INT| field(text, n, None));
    engine.register_fn("field", |text: &str, n: INT, separator: &str| {
        field(text, n, Some(separator))
    });
    engine.register_fn("pad_left", |t: ImmutableString, w: INT| {
        pad(t, w, ' ', true)
    });
    engine.register_fn("pad_left", |t: ImmutableString, w: INT, c: char| {
        pad(t, w, c, true)
    });
    engine.register_fn("pad_left", |t: ImmutableString, w: INT, c: &str| {
        pad(t, w, one_char("pad_left", "fill", c)?, true)
    });
    engine.register_fn("pad_right", |t: ImmutableString, w: INT| {
        pad(t, w, ' ', false)
    });
    engine.register_fn("pad_right", |t: ImmutableString, w: INT, c: char| {
        pad(t, w, c, false)
    });
    engine.register_fn("pad_right", |t: ImmutableString, w: INT, c: &str| {
        pad(t, w, one_char("pad_right", "fill", c)?, false)
    });
    engine.register_fn("slugify", slugify);
}

#[cfg(test)]
mod tests {
    use rhai::Array;

    use crate::batteries::tests::{engine, eval, strings};

    #[test]
    fn a_long_text_is_split_at_blanks_as_a_short_one() {
        let texts = [
            "",
            " ",
            "a",
            "  a  b\tc\n\x0cd\re  ",
            "é  ü\u{3000}x y",
            "one",
            "\t\tlead trail\n",
        ];
        for text in texts {
            for n in -8..8 {
                assert_eq!(
                    super::nth_blank_field_stepped(text, n).unwrap(),
                    super::field_of_short(text, n, None),
                    "{text:?} {n}"
                );
            }
        }
        let long = "x ".repeat(super::BLANKS_STEPPED_FROM);
        assert_eq!(super::field_of(&long, -1, None).unwrap(), Some("x"));
    }

    #[test]
    fn a_field_is_found_from_either_end_and_is_empty_past_it() {
        let e = engine();
        let line = r#"10.0.0.1 - - [06/Dec/2026:13:55:36 +0000] "GET / HTTP/1.1" 404 12"#;
        let field = |call: &str| -> String { eval(&e, &format!("field({line:?}, {call})")) };
        assert_eq!(field("8"), "404");
        assert_eq!(field("-1"), "12");
        assert_eq!(field("0"), "10.0.0.1");
        assert_eq!(field("10"), "");
        assert_eq!(field("-11"), "");
        assert_eq!(field(r#"1, ":""#), "13");
        assert_eq!(field(r#"-1, " +""#), r#"0000] "GET / HTTP/1.1" 404 12"#);
        assert_eq!(field(r#"1, """#), "");
        assert_eq!(eval::<String>(&e, r#""a,,b".field(2, ",")"#), "b");
    }

    #[test]
    fn a_piece_between_ascii_separators_is_the_piece_split_gives() {
        // Every string of up to 6 characters from ",a:é" (a multi-byte one among them), each
        // piece from either end, against `split` and `rsplit`.
        let alphabet = [',', 'a', ':', 'é'];
        let mut texts = vec![String::new()];
        for _ in 0..6 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        texts.dedup();
        for text in &texts {
            for n in -8_i64..8 {
                let (ahead, back) = (n.max(0) as usize, (-(n.min(0) + 1)) as usize);
                let expected = if n >= 0 {
                    text.split(',').nth(ahead)
                } else {
                    text.rsplit(',').nth(back)
                };
                assert_eq!(
                    super::nth_piece(text, b',', n, ahead, back),
                    expected,
                    "{text:?} {n}"
                );
            }
        }
    }

    #[test]
    fn long_text_has_the_words_split_whitespace_gives() {
        let text = "é ab\u{2003}\tcd\n  x".repeat(10_000);
        let got: Vec<String> = super::words(&text)
            .unwrap()
            .into_iter()
            .map(|d| d.into_string().unwrap())
            .collect();
        let expected: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn lines_and_words() {
        let e = engine();
        assert_eq!(
            strings(eval(&e, r#"lines("a\r\nb\n\nc\n")"#)),
            ["a", "b", "", "c"]
        );
        assert_eq!(
            strings(eval(&e, r#"words("  one\ttwo \n three ")"#)),
            ["one", "two", "three"]
        );
        assert!(eval::<Array>(&e, r#"lines("")"#).is_empty());
    }

    #[test]
    fn padding_counts_characters() {
        let e = engine();
        assert_eq!(eval::<String>(&e, r#"pad_left("7", 3, '0')"#), "007");
        assert_eq!(eval::<String>(&e, r#"pad_right("é", 3)"#), "é  ");
        assert_eq!(eval::<String>(&e, r#""abcd".pad_left(2)"#), "abcd");
        assert_eq!(eval::<String>(&e, r#"pad_right("x", -1, '.')"#), "x");
    }

    #[test]
    fn slugs() {
        let e = engine();
        assert_eq!(
            eval::<String>(&e, r#"slugify("  Hello, World! 2024 ")"#),
            "hello-world-2024"
        );
        assert_eq!(
            eval::<String>(&e, r#"slugify("Crème Brûlée")"#),
            "crème-brûlée"
        );
        assert_eq!(eval::<String>(&e, r#"slugify("--")"#), "");
    }
}
