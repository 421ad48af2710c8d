//! Text worked on a piece at a time, with a look at the job's clock and cap between pieces: a
//! string can be an item of 64 MiB, and copying or escaping it in one go takes tens to hundreds
//! of milliseconds, past a deadline that must hold within milliseconds.

use std::fmt::Write as _;

use rhai::EvalAltResult;

use crate::limits::signal::Steps;

/// The nearest character boundary at or after `at`.
pub(crate) fn char_cut(text: &str, at: usize) -> usize {
    (at..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len())
}

/// `text` in pieces of about [`Steps::BYTES`], cut between characters.
pub(crate) fn char_pieces(text: &str) -> impl Iterator<Item = &str> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at == text.len() {
            return None;
        }
        let end = char_cut(text, at + Steps::BYTES);
        let piece = &text[at..end];
        at = end;
        Some(piece)
    })
}

/// A copy of `text`. Its room is taken at once, so a copy past the job's memory cap is stopped
/// at the first look; its pages are touched a piece at a time (a fresh 64 MB copy takes ~50 ms).
pub(crate) fn copy_text(text: &str) -> Result<String, Box<EvalAltResult>> {
    let mut copy = String::with_capacity(text.len());
    let mut steps = Steps::new(Steps::BYTES);
    for piece in char_pieces(text) {
        steps.step(piece.len())?;
        copy.push_str(piece);
    }
    Ok(copy)
}

/// Writes `text` as Rust's `{:?}` does (which is how Rhai's `debug` and `to_debug` write a
/// string: quoted, with escapes), a piece at a time. The escapes are chosen a character at a
/// time, whatever comes before or after, so the pieces' texts joined are the whole one's.
pub(crate) fn push_debug(out: &mut String, text: &str) -> Result<(), Box<EvalAltResult>> {
    out.reserve(text.len() + 2);
    out.push('"');
    let mut steps = Steps::new(Steps::BYTES);
    for piece in char_pieces(text) {
        steps.step(piece.len())?;
        // Straight into `out`, but for each piece's own quotes: the opening one is not
        // written, the closing one taken off.
        let _ = write!(Unquoted { out, opened: false }, "{piece:?}");
        out.pop();
    }
    out.push('"');
    Ok(())
}

/// Writes into `out` all it is given but the first byte (the opening quote of `{:?}`).
struct Unquoted<'a> {
    out: &'a mut String,
    opened: bool,
}

impl std::fmt::Write for Unquoted<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.opened {
            self.out.push_str(s);
        } else {
            self.opened = true;
            self.out.push_str(s.get(1..).unwrap_or_default());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_escaped_in_pieces_is_the_text_escaped_whole() {
        // Pieces cut next to multi-byte, escaped and combining characters.
        let units = [
            "a", "é", "\"", "\\", "\n", "\u{301}", "€", "\u{0}", "'", "𝄞", "\u{7f}",
        ];
        let mut text = String::new();
        let mut i = 0;
        while text.len() < 3 * Steps::BYTES + 7 {
            text.push_str(units[i % units.len()]);
            i += 7;
        }
        for len in [
            0,
            1,
            Steps::BYTES - 1,
            Steps::BYTES,
            Steps::BYTES + 1,
            text.len(),
        ] {
            let part = &text[..char_cut(&text, len)];
            let mut out = String::new();
            push_debug(&mut out, part).unwrap();
            assert_eq!(out, format!("{part:?}"), "first {len} bytes");
            assert_eq!(copy_text(part).unwrap(), part);
        }
    }
}
