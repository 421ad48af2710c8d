//! Rhai's own string functions whose work follows the length of the string: `replace`, `remove`,
//! `sub_string`, `crop`, `truncate`, `trim` and `to_blob` (and, in `case`, `to_upper` and
//! `to_lower`; in `pieces`, `split` at an index). Rhai's versions do it in one go, and on a 50 MB
//! item each ran 100 to 650 ms past a 50 ms deadline (`sub_string` and `crop` also made a copy of
//! four bytes a character). These give the same results, made a piece at a time, looking at the
//! job's clock and cap between pieces.
//!
//! Registered on the engine itself, they are found before the standard library's; those that
//! change the string in place are registered as not pure, as Rhai's are, so they refuse a
//! constant.

use std::ops::{Range, RangeInclusive};

use rhai::{INT, ImmutableString};

use super::registrar::Registrar;
use super::{Fallible, exclusive, inclusive};
use crate::limits::signal::Steps;
use crate::value::char_pieces;

/// `text` with every `find` replaced by `with`, as `str::replace` gives it.
fn replaced(text: &str, find: &str, with: &str) -> Fallible<ImmutableString> {
    if text.len() <= Steps::BYTES {
        return Ok(text.replace(find, with).into());
    }
    let mut out = ImmutableString::new();
    let buf = out.make_mut();
    let mut steps = Steps::new(Steps::BYTES);
    let mut copied = 0;
    if find.is_empty() {
        // A match at every character boundary: as many steps.
        for (at, _) in text.match_indices(find) {
            buf.push_str(&text[copied..at]);
            buf.push_str(with);
            steps.step(at - copied + with.len() + Steps::BYTES / Steps::VALUES)?;
            copied = at;
        }
        buf.push_str(&text[copied..]);
        return Ok(out);
    }
    // Searched a window at a time, each with room for a match that starts inside it: the same
    // leftmost matches `match_indices` finds, with a look at the clock between windows.
    let finder = memchr::memmem::Finder::new(find);
    let bytes = text.as_bytes();
    let mut from = 0;
    loop {
        let end = (from + Steps::BYTES + find.len() - 1).min(bytes.len());
        match finder.find(&bytes[from..end]) {
            Some(i) => {
                let at = from + i;
                buf.push_str(&text[copied..at]);
                buf.push_str(with);
                copied = at + find.len();
                from = copied;
                steps.step(i + with.len() + Steps::BYTES / Steps::VALUES)?;
            }
            None if end == bytes.len() => break,
            None => {
                steps.step(end - from)?;
                from = end + 1 - find.len();
            }
        }
    }
    buf.push_str(&text[copied..]);
    Ok(out)
}

fn replace(text: &mut ImmutableString, find: &str, with: &str) -> Fallible<()> {
    if !text.is_empty() {
        *text = replaced(text, find, with)?;
    }
    Ok(())
}

fn remove(text: &mut ImmutableString, find: &str) -> Fallible<()> {
    if !find.is_empty() {
        *text = replaced(text, find, "")?;
    }
    Ok(())
}

/// How many characters `text` has, counted a piece at a time.
pub(super) fn char_count(text: &str, steps: &mut Steps) -> Fallible<usize> {
    let mut count = 0;
    for piece in char_pieces(text) {
        count += piece.chars().count();
        steps.step(piece.len())?;
    }
    Ok(count)
}

/// The byte where character `n` of `text` starts (`text.len()` past the end), found in steps.
pub(super) fn char_start(text: &str, mut n: usize, steps: &mut Steps) -> Fallible<usize> {
    let mut at = 0;
    for piece in char_pieces(text) {
        let count = piece.chars().count();
        if count > n {
            let (within, _) = piece.char_indices().nth(n).expect("counted above");
            return Ok(at + within);
        }
        n -= count;
        at += piece.len();
        steps.step(piece.len())?;
    }
    Ok(text.len())
}

/// The bytes of `text` from character `start` for `len` characters, by Rhai's rules: a
/// negative `start` counts from the end (clamped to the first character), a `len` past the end
/// stops there; `None` for nothing.
fn char_span(text: &str, start: INT, len: INT) -> Fallible<Option<Range<usize>>> {
    if text.is_empty() || len <= 0 {
        return Ok(None);
    }
    if text.len() <= Steps::BYTES && start >= 0 {
        // One pass, as far as the span's end: most spans are near the start.
        let (offset, len) = (usize::try_from(start).unwrap_or(usize::MAX), len as u64);
        let mut starts = text.char_indices().map(|(at, _)| at).skip(offset);
        let Some(from) = starts.next() else {
            return Ok(None);
        };
        let to = usize::try_from(len - 1)
            .ok()
            .and_then(|more| starts.nth(more))
            .unwrap_or(text.len());
        return Ok(Some(from..to));
    }
    let mut steps = Steps::new(Steps::BYTES);
    let count = char_count(text, &mut steps)?;
    let (offset, len) = super::start_and_len(count, start, len);
    if offset >= count {
        return Ok(None);
    }
    let from = char_start(text, offset, &mut steps)?;
    let to = char_start(text, offset + len, &mut steps)?;
    Ok(Some(from..to))
}

/// A copy of `text`, made a piece at a time straight into the string Rhai keeps (a `&str` made
/// one is copied twice).
pub(super) fn copied(text: &str) -> Fallible<ImmutableString> {
    if text.len() <= Steps::BYTES {
        return Ok(text.into());
    }
    let mut out = ImmutableString::new();
    append_stepped(&mut out, text, &mut Steps::new(Steps::BYTES))?;
    Ok(out)
}

/// Appends `text` to `out` a piece at a time, counting each piece on `steps` (a look at the
/// job's clock and cap between pieces).
pub(super) fn append_stepped(
    out: &mut ImmutableString,
    text: &str,
    steps: &mut Steps,
) -> Fallible<()> {
    char_pieces(text).try_for_each(|piece| {
        out.make_mut().push_str(piece);
        steps.step(piece.len())
    })
}

fn sub_string(text: ImmutableString, start: INT, len: INT) -> Fallible<ImmutableString> {
    Ok(match char_span(&text, start, len)? {
        Some(span) if span == (0..text.len()) => text,
        Some(span) => copied(&text[span])?,
        None => ImmutableString::new(),
    })
}

fn crop(text: &mut ImmutableString, start: INT, len: INT) -> Fallible<()> {
    if !text.is_empty() {
        *text = sub_string(text.clone(), start, len)?;
    }
    Ok(())
}

/// Rhai's `to_blob`: the text's bytes, copied a piece at a time (268 MB took 0.27 s in one go,
/// most of it the new pages).
fn to_blob(text: &str) -> Fallible<rhai::Blob> {
    let mut blob = rhai::Blob::with_capacity(text.len());
    let mut steps = Steps::new(Steps::BYTES);
    for piece in text.as_bytes().chunks(Steps::BYTES) {
        blob.extend_from_slice(piece);
        steps.step(piece.len())?;
    }
    Ok(blob)
}

/// Rhai's `truncate`: the first `len` characters kept (none for `len <= 0`), found a piece at
/// a time; the string is cut where it lies when Rhai's is not shared, as Rhai's does.
fn truncate(text: &mut ImmutableString, len: INT) -> Fallible<()> {
    let keep = usize::try_from(len.max(0)).unwrap_or(usize::MAX);
    let at = char_start(text, keep, &mut Steps::new(Steps::BYTES))?;
    if at < text.len() {
        match text.get_mut() {
            Some(own) => own.truncate(at),
            None => *text = copied(&text[..at])?,
        }
    }
    Ok(())
}

/// Where `text` starts and ends without its whitespace at either end (`char::is_whitespace`,
/// as `str::trim` reads it), looked for a piece at a time from each end (a text of 268 MB of
/// blanks took 0.65 s in one go).
pub(super) fn trimmed(text: &str) -> Fallible<Range<usize>> {
    let mut steps = Steps::new(Steps::BYTES);
    let mut from = 0;
    for piece in char_pieces(text) {
        let blanks = piece.len() - piece.trim_start().len();
        from += blanks;
        if blanks < piece.len() {
            break;
        }
        steps.step(piece.len())?;
    }
    let mut to = text.len();
    while to > from {
        let cut = (from..=to.saturating_sub(Steps::BYTES).max(from))
            .rev()
            .find(|&at| text.is_char_boundary(at))
            .unwrap_or(from);
        let piece = &text[cut..to];
        let kept = piece.trim_end().len();
        to = cut + kept;
        if kept > 0 {
            break;
        }
        steps.step(piece.len())?;
    }
    Ok(from..to)
}

/// Rhai's `trim`.
fn trim(text: &mut ImmutableString) -> Fallible<()> {
    let kept = trimmed(text)?;
    if kept != (0..text.len()) {
        *text = copied(&text[kept])?;
    }
    Ok(())
}

/// Rhai's length for "to the end": the string's length in bytes, at least its characters.
fn to_end(text: &str) -> INT {
    INT::try_from(text.len()).unwrap_or(INT::MAX)
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_mutating("replace", replace);
    engine.register_mutating("replace", |t: &mut ImmutableString, f: &str, w: char| {
        replace(t, f, w.encode_utf8(&mut [0; 4]))
    });
    engine.register_mutating("replace", |t: &mut ImmutableString, f: char, w: &str| {
        replace(t, f.encode_utf8(&mut [0; 4]), w)
    });
    engine.register_mutating("replace", |t: &mut ImmutableString, f: char, w: char| {
        replace(t, f.encode_utf8(&mut [0; 4]), w.encode_utf8(&mut [0; 4]))
    });
    engine.register_mutating("remove", remove);
    engine.register_mutating("remove", |t: &mut ImmutableString, c: char| {
        remove(t, c.encode_utf8(&mut [0; 4]))
    });
    engine.register_fn("sub_string", sub_string);
    engine.register_fn("sub_string", |t: ImmutableString, start: INT| {
        let len = to_end(&t);
        sub_string(t, start, len)
    });
    engine.register_fn("sub_string", |t: ImmutableString, r: Range<INT>| {
        let (start, len) = exclusive(&r);
        sub_string(t, start, len)
    });
    engine.register_fn(
        "sub_string",
        |t: ImmutableString, r: RangeInclusive<INT>| {
            let (start, len) = inclusive(&r);
            sub_string(t, start, len)
        },
    );
    engine.register_fn("to_blob", to_blob);
    engine.register_mutating("truncate", truncate);
    engine.register_mutating("trim", trim);
    engine.register_mutating("crop", crop);
    engine.register_mutating("crop", |t: &mut ImmutableString, start: INT| {
        let len = to_end(t);
        crop(t, start, len)
    });
    engine.register_mutating("crop", |t: &mut ImmutableString, r: Range<INT>| {
        let (start, len) = exclusive(&r);
        crop(t, start, len)
    });
    engine.register_mutating("crop", |t: &mut ImmutableString, r: RangeInclusive<INT>| {
        let (start, len) = inclusive(&r);
        crop(t, start, len)
    });
}

#[cfg(test)]
mod tests;
