//! Rhai's own functions that turn one string into many values in one call: `split` (on whitespace,
//! a string or a character, with or without a count of segments, or in two at an index),
//! `split_rev` and `to_chars`. Rhai's versions build the whole array before the job's clock and
//! memory cap are next looked at, so `s.split("")` of a 10 MB string allocated hundreds of
//! megabytes, and a loop of such calls ran far past its deadline. These give the same results, but
//! look at the job's clock and cap ([`checkpoint`]) every few thousand pieces. [`collect`] and
//! [`in_steps`] serve the other batteries whose work follows the size of their input the same way.
//!
//! Registered on the engine itself, they are found before the standard library's; they take
//! the string by value (a counted reference), so, like Rhai's, they may be called on constants.

use super::registrar::Registrar;
use rhai::{Array, Dynamic, INT, ImmutableString};

use super::Fallible;
use super::strings::{char_count, char_start, copied};
use crate::limits::signal::{Steps, checkpoint};

/// Pieces made between two looks at the clock and the memory cap: tens of microseconds of work,
/// and tens of kilobytes.
const PIECES_PER_LOOK: usize = 1024;

/// Collects `pieces` into an array, looking at the job's clock and cap as it grows.
pub(super) fn collect<T: Into<Dynamic>>(pieces: impl Iterator<Item = T>) -> Fallible<Array> {
    let mut array = Array::new();
    for (n, piece) in pieces.enumerate() {
        if n % PIECES_PER_LOOK == PIECES_PER_LOOK - 1 {
            checkpoint()?;
        }
        array.push(piece.into());
    }
    Ok(array)
}

/// Runs `work` over `input` a piece at a time, pieces of `piece` bytes but for the last,
/// looking at the job's clock and cap between them: a 64 MiB item takes tens to hundreds of
/// milliseconds to hash, encode or decode, and a job must end within milliseconds of its deadline.
/// `work` gets each piece and its offset in `input`.
#[cfg(feature = "batteries")]
pub(super) fn in_steps(
    input: &[u8],
    piece: usize,
    mut work: impl FnMut(&[u8], usize) -> Fallible<()>,
) -> Fallible<()> {
    use crate::limits::signal::Steps;
    let mut steps = Steps::new(Steps::BYTES);
    for (n, bytes) in input.chunks(piece).enumerate() {
        work(bytes, n * piece)?;
        steps.step(bytes.len())?;
    }
    Ok(())
}

/// Rhai's rule for all of them: the string alone when it is empty or does not hold the
/// delimiter (`holds`), else its pieces.
fn split_by<'a, T, I>(
    text: &'a ImmutableString,
    holds: bool,
    pieces: impl FnOnce(&'a str) -> I,
) -> Fallible<Array>
where
    T: Into<Dynamic>,
    I: Iterator<Item = T>,
{
    if text.is_empty() || !holds {
        return Ok(vec![text.clone().into()]);
    }
    collect(pieces(text.as_str()))
}

/// Rhai's count of segments: below 2, one segment.
fn segments(count: INT) -> Option<usize> {
    (count > 1).then(|| usize::try_from(count).unwrap_or(usize::MAX))
}

/// Whether `text` holds `delimiter`; any string holds the empty one.
fn holds(text: &str, delimiter: &str) -> bool {
    delimiter.is_empty() || text.contains(delimiter)
}

fn split(text: ImmutableString, delimiter: &str) -> Fallible<Array> {
    split_by(&text, holds(&text, delimiter), |t| t.split(delimiter))
}

fn splitn(text: ImmutableString, delimiter: &str, count: INT) -> Fallible<Array> {
    let n = segments(count);
    let holds = n.is_some() && holds(&text, delimiter);
    split_by(&text, holds, |t| t.splitn(n.unwrap_or(1), delimiter))
}

fn split_char(text: ImmutableString, delimiter: char) -> Fallible<Array> {
    split_by(&text, text.contains(delimiter), |t| t.split(delimiter))
}

fn splitn_char(text: ImmutableString, delimiter: char, count: INT) -> Fallible<Array> {
    let n = segments(count);
    let holds = n.is_some() && text.contains(delimiter);
    split_by(&text, holds, |t| t.splitn(n.unwrap_or(1), delimiter))
}

fn split_rev(text: ImmutableString, delimiter: &str) -> Fallible<Array> {
    split_by(&text, holds(&text, delimiter), |t| t.rsplit(delimiter))
}

fn splitn_rev(text: ImmutableString, delimiter: &str, count: INT) -> Fallible<Array> {
    let n = segments(count);
    let holds = n.is_some() && holds(&text, delimiter);
    split_by(&text, holds, |t| t.rsplitn(n.unwrap_or(1), delimiter))
}

fn split_rev_char(text: ImmutableString, delimiter: char) -> Fallible<Array> {
    split_by(&text, text.contains(delimiter), |t| t.rsplit(delimiter))
}

fn splitn_rev_char(text: ImmutableString, delimiter: char, count: INT) -> Fallible<Array> {
    let n = segments(count);
    let holds = n.is_some() && text.contains(delimiter);
    split_by(&text, holds, |t| t.rsplitn(n.unwrap_or(1), delimiter))
}

fn split_whitespace(text: ImmutableString) -> Fallible<Array> {
    split_by(&text, true, str::split_whitespace)
}

/// Rhai's `split(index)`: the text cut before its `index`th character, counted from the end
/// for an index below 1 (0 cuts after the last, one past the count before the first); where
/// the cut falls is found, and each side copied, a piece at a time.
fn split_at(text: ImmutableString, index: INT) -> Fallible<Array> {
    let mut steps = Steps::new(Steps::BYTES);
    let before = match usize::try_from(index) {
        Ok(before) if index > 0 => before,
        _ => {
            let count = char_count(&text, &mut steps)?;
            match usize::try_from(index.unsigned_abs()) {
                Ok(back) if back <= count => count - back,
                _ => return Ok(vec![ImmutableString::new().into(), text.into()]),
            }
        }
    };
    let at = char_start(&text, before, &mut steps)?;
    let side = |range: std::ops::Range<usize>| match range.len() {
        len if len == text.len() => Ok(text.clone()),
        _ => copied(&text[range]),
    };
    Ok(vec![side(0..at)?.into(), side(at..text.len())?.into()])
}

fn to_chars(text: ImmutableString) -> Fallible<Array> {
    collect(text.chars())
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("split", split);
    engine.register_fn("split", splitn);
    engine.register_fn("split", split_char);
    engine.register_fn("split", splitn_char);
    engine.register_fn("split", split_whitespace);
    engine.register_fn("split", split_at);
    engine.register_fn("split_rev", split_rev);
    engine.register_fn("split_rev", splitn_rev);
    engine.register_fn("split_rev", split_rev_char);
    engine.register_fn("split_rev", splitn_rev_char);
    engine.register_fn("to_chars", to_chars);
}

#[cfg(test)]
mod tests {
    use rhai::{Dynamic, Engine};

    use crate::batteries::tests::engine;

    #[test]
    fn they_split_as_rhais_own_do() {
        let ours = engine();
        let rhai = Engine::new();
        let texts = [
            "",
            "a",
            "abc",
            "a,b,,c,",
            ",",
            "hé llo  wörld ",
            "ll",
            "hello, world! hello, foo!",
        ];
        let calls = [
            r#"split("")"#,
            r#"split(",")"#,
            r#"split("ll")"#,
            r#"split("", 2)"#,
            r#"split(",", 2)"#,
            r#"split(",", 0)"#,
            r#"split(",", -1)"#,
            "split(',')",
            "split('l', 3)",
            "split('l', 1)",
            "split()",
            r#"split_rev("")"#,
            r#"split_rev(",")"#,
            r#"split_rev("ll", 2)"#,
            r#"split_rev("", 3)"#,
            "split_rev('l')",
            "split_rev('l', 3)",
            "to_chars()",
        ];
        let mut compared = 0;
        for text in texts {
            for call in calls {
                let script = format!("{text:?}.{call}");
                let expected = rhai.eval::<Dynamic>(&script).unwrap().to_string();
                let got = ours.eval::<Dynamic>(&script).unwrap().to_string();
                assert_eq!(got, expected, "{script}");
                // On a constant too, as Rhai's pure functions allow.
                let on_constant = format!("const s = {text:?}; s.{call}");
                let got = ours.eval::<Dynamic>(&on_constant).unwrap().to_string();
                assert_eq!(got, expected, "{on_constant}");
                compared += 1;
            }
        }
        assert_eq!(compared, texts.len() * calls.len());
    }
}
