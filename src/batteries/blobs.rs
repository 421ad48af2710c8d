//! Rhai's `extract`, `split`, `drain` and `retain` of a BLOB, again: Rhai's copy or move the
//! bytes in one call (on a 300 MB BLOB, ~0.3 s past the deadline). These give the same
//! answers, a piece at a time with the job's clock ([`spans`]).
//!
//! Registered on the engine itself, they are found before the standard library's; they are
//! registered as not pure, as Rhai's are, so they refuse a constant.

use std::ops::{Range, RangeInclusive};

use rhai::{Blob, INT};

use super::registrar::Registrar;
use super::{Fallible, exclusive, inclusive, spans, start_and_len};

/// A copy of `len` bytes of `blob` from `start`, as Rhai's `extract`.
fn extract(blob: &mut Blob, start: INT, len: INT) -> Fallible<Blob> {
    if blob.is_empty() || len <= 0 {
        return Ok(Blob::new());
    }
    let (start, len) = start_and_len(blob.len(), start, len);
    spans::copy(blob, start..start + len)
}

/// Cuts `blob` at `index` and returns the part from there on, as Rhai's `split`.
fn split(blob: &mut Blob, index: INT) -> Fallible<Blob> {
    match start_and_len(blob.len(), index, INT::MAX) {
        (0, _) => Ok(std::mem::take(blob)),
        (start, _) => spans::drain(blob, start..blob.len()),
    }
}

/// Removes `len` bytes of `blob` from `start` and returns them, as Rhai's `drain`.
fn drain(blob: &mut Blob, start: INT, len: INT) -> Fallible<Blob> {
    if blob.is_empty() || len <= 0 {
        return Ok(Blob::new());
    }
    let (start, len) = start_and_len(blob.len(), start, len);
    spans::drain(blob, start..start + len)
}

/// Keeps `len` bytes of `blob` from `start`, and returns the others, as Rhai's `retain`
/// (which keeps none, and returns them all, when the span is empty).
fn retain(blob: &mut Blob, start: INT, len: INT) -> Fallible<Blob> {
    if blob.is_empty() || len <= 0 {
        return Ok(Blob::new());
    }
    match start_and_len(blob.len(), start, len) {
        (_, 0) => Ok(std::mem::take(blob)),
        (start, len) => spans::retain(blob, start..start + len),
    }
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_mutating("split", split);
    engine.register_mutating("extract", |blob: &mut Blob, start: INT| {
        extract(blob, start, INT::MAX)
    });
    for (name, span) in [
        (
            "extract",
            extract as fn(&mut Blob, INT, INT) -> Fallible<Blob>,
        ),
        ("drain", drain),
        ("retain", retain),
    ] {
        engine.register_mutating(name, span);
        engine.register_mutating(name, move |blob: &mut Blob, range: Range<INT>| {
            let (start, len) = exclusive(&range);
            span(blob, start, len)
        });
        engine.register_mutating(name, move |blob: &mut Blob, range: RangeInclusive<INT>| {
            let (start, len) = inclusive(&range);
            span(blob, start, len)
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::batteries::tests::{engine, same_answer_as_rhais};

    #[test]
    fn spans_of_arrays_and_blobs_give_rhais_answers() {
        let ours = engine();
        let values = [
            "[]",
            "[1]",
            "[1, \"two\", 3.0, [4], #{five: 5}, (), 7]",
            "blob()",
            "blob(1, 9)",
            "{ let b = blob(7, 0); for i in 0..7 { b[i] = i * 3 }; b }",
        ];
        let mut calls = Vec::new();
        for at in ["0", "1", "3", "6", "7", "100", "-1", "-3", "-7", "-100"] {
            calls.push(format!("[a.split({at}), a]"));
            calls.push(format!("[a.extract({at}), a]"));
            for len in ["0", "1", "2", "100", "-1"] {
                for name in ["extract", "drain", "retain"] {
                    calls.push(format!("[a.{name}({at}, {len}), a]"));
                }
            }
        }
        for range in [
            "0..0", "1..3", "2..100", "-2..3", "5..2", "0..=0", "1..=3", "-5..=1", "3..=3",
            "0..=100",
        ] {
            for name in ["extract", "drain", "retain"] {
                calls.push(format!("[a.{name}({range}), a]"));
            }
        }
        for value in values {
            for call in &calls {
                same_answer_as_rhais(&ours, &format!("let a = {value}; {call}"));
            }
        }
    }

    #[test]
    fn spans_of_a_long_blob_or_array_give_rhais_answers() {
        // Spans longer than the pieces they are moved in.
        let ours = engine();
        let values = [
            "{ let b = blob(200000, 1); b[70000] = 2; b[199999] = 3; b }",
            "{ let a = []; a.pad(5000, 1); a[1500] = 2; a[4999] = 3; a }",
        ];
        let calls = [
            "a.drain(3, 150000)",
            "a.retain(3, 150000)",
            "a.retain(1200, 2000)",
            "a.drain(1200, 2000)",
            "a.split(3)",
            "a.extract(3, 150000)",
            "a.drain(-4000, 3500)",
        ];
        for value in values {
            for call in calls {
                same_answer_as_rhais(&ours, &format!("let a = {value}; [{call}, a]"));
            }
        }
    }
}
