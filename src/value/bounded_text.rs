//! The text of a value, cut short: for error messages, which quote what a script threw or
//! indexed with. A value's text can be far larger than the memory it takes (an array of 2,500
//! references to one 1 MB string writes 2.5 GB), so it is never written whole first.

use std::fmt::{self, Display, Write};

/// What ends a text that was cut short.
const CUT: &str = "…";

/// The most of a message a record keeps. A message can quote a value (what was thrown, an
/// index not found), whose text can be gigabytes where the value takes a megabyte.
const MESSAGE_LIMIT: usize = 64 * 1024;

/// `value`'s text as an error message quotes it: its first 64 KiB.
pub(crate) fn message_text(value: &dyn Display) -> String {
    bounded_text(value, MESSAGE_LIMIT)
}

/// `text` quoted for a message: whole when short, else its first 40 characters and `…`.
#[cfg(feature = "batteries")]
pub(crate) fn quoted_start(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{:?}…", &text[..end]),
        None => format!("{text:?}"),
    }
}

/// `value`'s text, at most `limit` bytes of it (and the mark of a cut). The writer refuses
/// what comes past `limit`, and Rust's formatting stops at the first refusal, so the cost is
/// bounded by `limit`, not by the value: a list's remaining elements are skipped unwritten.
pub(crate) fn bounded_text(value: &dyn Display, limit: usize) -> String {
    let mut text = Bounded {
        text: String::new(),
        limit,
    };
    if write!(text, "{value}").is_err() {
        text.text.push_str(CUT);
    }
    text.text
}

struct Bounded {
    text: String,
    limit: usize,
}

impl Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.limit - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
            return Ok(());
        }
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&s[..end]);
        Err(fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rhai::{Array, Dynamic};

    #[test]
    fn a_short_text_is_whole_and_a_long_one_is_cut_on_a_character() {
        assert_eq!(bounded_text(&"abc", 3), "abc");
        assert_eq!(bounded_text(&"abcd", 3), "abc…");
        // "é" is two bytes: a cut never splits it.
        assert_eq!(bounded_text(&"aé", 2), "a…");
    }

    #[test]
    fn a_value_that_would_write_gigabytes_is_cut_without_being_written() {
        let big = Dynamic::from("x".repeat(1 << 20));
        let array: Array = std::iter::repeat_n(big, 1_000_000).collect();
        let text = bounded_text(&Dynamic::from_array(array), 100);
        assert_eq!(text.len(), 100 + CUT.len());
        assert!(text.starts_with("[\"xxx"));
    }
}
