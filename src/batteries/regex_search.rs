//! Searching a long text for a pattern a window at a time, looking at the job's clock and cap
//! between windows.
//!
//! One search of the `regex` crate runs to its end: on a 50 MB item with no match, a pattern
//! its fast engines cannot take (`\b\d\b` on text outside ASCII) searched for 2 s past a 50 ms
//! deadline. A pattern whose matches are at most `L` bytes long can be searched a window at a
//! time and find the same matches: a match that starts in a window ends less than `L` bytes
//! past it, so a search of the text cut `L` bytes past the window (at a character boundary)
//! finds it, and every position it looks at (`\b`, `$`) still has its real neighbours. Only
//! the position of the cut itself looks different (a `$` or `\b` where the text goes on); a
//! match that ends there starts past the window, and is passed over.
//! The search goes on from the window's end.
//!
//! A pattern with no bound on its matches' length (`\w+`, `.*`) is searched in one call; the
//! `regex` crate's fast engines take most of these, but a slow one searches unbounded. Texts
//! shorter than two windows are searched in one call too, as before.
//!
//! The iterations ([`Pattern::each`]) repeat the rules of the crate's own iterators: after an
//! empty match, the next search starts where it ended, and an empty match where the last one
//! ended is passed over (the crate's iterators search again one byte on, where an empty match
//! that splits a character is passed over too: the next character).

use regex::{Captures, Match, Regex};

use super::Fallible;
use crate::limits::signal::Steps;
use crate::value::char_cut;

/// Bytes searched between two looks at the clock: one look per window.
const WINDOW: usize = Steps::BYTES;

/// A compiled pattern with the bound on its matches' length, if it has one.
#[derive(Debug)]
pub(crate) struct Pattern {
    pub(crate) regex: Regex,
    /// The longest match the pattern can make, in bytes; `None` when unbounded.
    max_len: Option<usize>,
    window: usize,
}

impl Pattern {
    /// `regex`, compiled from `pattern` with the `regex` crate's default syntax.
    pub(crate) fn new(regex: Regex, pattern: &str) -> Self {
        let max_len = regex_syntax::Parser::new()
            .parse(pattern)
            .ok()
            .and_then(|hir| hir.properties().maximum_len());
        Pattern {
            regex,
            max_len,
            window: WINDOW,
        }
    }

    /// Searches windows of `window` bytes: small in tests, so that short texts cross many.
    #[cfg(test)]
    fn with_window(mut self, window: usize) -> Self {
        self.window = window;
        self
    }

    /// Whether the pattern matches anywhere in `text`.
    pub(crate) fn is_match(&self, text: &str) -> Fallible<bool> {
        if self.in_one_call(text, 0) {
            return Ok(self.regex.is_match(text));
        }
        let found = self.search(text, 0, &mut Steps::new(Steps::BYTES), Finder::Find)?;
        Ok(found.is_some())
    }

    /// The leftmost-first match in `text`.
    pub(crate) fn find<'t>(&self, text: &'t str) -> Fallible<Option<Match<'t>>> {
        let found = self.search(text, 0, &mut Steps::new(Steps::BYTES), Finder::Find)?;
        Ok(found.map(|m| m.0))
    }

    /// The groups of the leftmost-first match in `text`.
    pub(crate) fn captures<'t>(&self, text: &'t str) -> Fallible<Option<Captures<'t>>> {
        let found = self.search(text, 0, &mut Steps::new(Steps::BYTES), Finder::Captures)?;
        Ok(found.map(|m| m.1.expect("a search for groups gives groups")))
    }

    /// Calls `f` with every match in `text`, as `Regex::find_iter` gives them.
    #[inline]
    pub(crate) fn each_match<'t>(
        &self,
        text: &'t str,
        mut f: impl FnMut(Match<'t>) -> Fallible<()>,
    ) -> Fallible<()> {
        if self.in_one_call(text, 0) {
            // The crate's own iterator: no search is longer than a window-at-a-time one would
            // be, and a match costs less.
            return self.regex.find_iter(text).try_for_each(f);
        }
        self.each(text, Finder::Find, |found| f(found.0))
    }

    /// Calls `f` with the groups of every match in `text`, as `Regex::captures_iter` gives
    /// them.
    #[inline]
    pub(crate) fn each_captures<'t>(
        &self,
        text: &'t str,
        mut f: impl FnMut(Captures<'t>) -> Fallible<()>,
    ) -> Fallible<()> {
        if self.in_one_call(text, 0) {
            return self.regex.captures_iter(text).try_for_each(f);
        }
        self.each(text, Finder::Captures, |found| {
            f(found.1.expect("a search for groups gives groups"))
        })
    }

    #[inline]
    fn each<'t>(
        &self,
        text: &'t str,
        finder: Finder,
        mut f: impl FnMut(Found<'t>) -> Fallible<()>,
    ) -> Fallible<()> {
        let mut steps = Steps::new(Steps::BYTES);
        let mut at = 0;
        let mut last_end = None;
        loop {
            let Some(mut found) = self.search(text, at, &mut steps, finder)? else {
                return Ok(());
            };
            if found.0.is_empty() && Some(found.0.end()) == last_end {
                let Some(next) = text[at..].chars().next().map(|c| at + c.len_utf8()) else {
                    return Ok(());
                };
                match self.search(text, next, &mut steps, finder)? {
                    Some(later) => found = later,
                    None => return Ok(()),
                }
            }
            // The text passed over counts as searched, however the matches fall on windows.
            steps.step(found.0.end() - at)?;
            at = found.0.end();
            last_end = Some(at);
            f(found)?;
        }
    }

    /// Whether a search from `start` is one call: the rest of `text` is short, or the
    /// pattern's matches have no bound.
    fn in_one_call(&self, text: &str, start: usize) -> bool {
        self.max_len.is_none() || text.len() - start <= 2 * self.window
    }

    /// The leftmost-first match at or after `start`, a window at a time where it can be.
    fn search<'t>(
        &self,
        text: &'t str,
        start: usize,
        steps: &mut Steps,
        finder: Finder,
    ) -> Fallible<Option<Found<'t>>> {
        let max_len = match self.max_len {
            Some(max_len) if !self.in_one_call(text, start) => max_len,
            _ => return Ok(finder.run(&self.regex, text, start)),
        };
        // A window no shorter than the longest match: each search then covers at most twice
        // the text it moves past.
        let window = self.window.max(max_len);
        let mut from = start;
        loop {
            let window_end = char_cut(text, from + window);
            let cut = char_cut(text, window_end.saturating_add(max_len));
            if cut == text.len() {
                return Ok(finder.run(&self.regex, text, from));
            }
            match finder.run(&self.regex, &text[..cut], from) {
                Some(found) if found.0.start() < window_end => return Ok(Some(found)),
                _ => {}
            }
            steps.step(window_end - from)?;
            from = window_end;
        }
    }
}

/// A match, with its groups when they were searched for.
type Found<'t> = (Match<'t>, Option<Captures<'t>>);

/// What a search looks for: the match, or its groups too (a slower search).
#[derive(Clone, Copy)]
enum Finder {
    Find,
    Captures,
}

impl Finder {
    #[inline]
    fn run<'t>(self, regex: &Regex, text: &'t str, start: usize) -> Option<Found<'t>> {
        match self {
            Finder::Find => regex.find_at(text, start).map(|m| (m, None)),
            Finder::Captures => regex.captures_at(text, start).map(|caps| {
                let m = caps.get(0).expect("group 0 is the whole match");
                (m, Some(caps))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spans(pattern: &Pattern, text: &str) -> Vec<(usize, usize)> {
        let mut all = Vec::new();
        pattern
            .each_match(text, |m| {
                all.push((m.start(), m.end()));
                Ok(())
            })
            .unwrap();
        all
    }

    fn group_spans(pattern: &Pattern, text: &str) -> Vec<Vec<Option<(usize, usize)>>> {
        let mut all = Vec::new();
        pattern
            .each_captures(text, |caps| {
                all.push(
                    caps.iter()
                        .map(|g| g.map(|m| (m.start(), m.end())))
                        .collect(),
                );
                Ok(())
            })
            .unwrap();
        all
    }

    /// Every search of `pattern` on `text`, a window of `window` bytes at a time, against the
    /// `regex` crate's own in one call.
    fn check(pattern: &str, text: &str, window: usize) {
        let regex = Regex::new(pattern).unwrap();
        let windowed = Pattern::new(regex.clone(), pattern).with_window(window);
        let whole: Vec<_> = regex
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        assert_eq!(spans(&windowed, text), whole, "{pattern:?} on {text:?}");
        let groups: Vec<Vec<_>> = regex
            .captures_iter(text)
            .map(|caps| {
                caps.iter()
                    .map(|g| g.map(|m| (m.start(), m.end())))
                    .collect()
            })
            .collect();
        assert_eq!(
            group_spans(&windowed, text),
            groups,
            "{pattern:?} on {text:?}"
        );
        assert_eq!(windowed.is_match(text).unwrap(), regex.is_match(text));
        let first = windowed.find(text).unwrap().map(|m| (m.start(), m.end()));
        assert_eq!(first, regex.find(text).map(|m| (m.start(), m.end())));
    }

    const PATTERNS: &[&str] = &[
        r"\b\d\b",
        r"ab$",
        r"a\z",
        r"\bab\b",
        r"b\b",
        r"(?m)a$",
        r"(?Rm)a$",
        r"(?Rm)^b",
        r"(?Rm)$",
        r"é$",
        r"\d{2,3}",
        r"a|ab|abc",
        r"(a)(b)?c{0,2}",
        r"x$",
        r"(?m)^x",
        r"(?m)y$",
        r"\bé\b",
        r"\B.",
        "",
        "a?",
        r"\s{0,2}",
        r"(?i)σ",
        r"é{1,2}|ü",
        r"\w+",
        r"a.*b",
        r"^",
        r"$",
        r"\z",
    ];

    #[test]
    fn windows_find_the_matches_of_one_call() {
        let texts = [
            "",
            "x",
            "1 22 333 4 5",
            "abcabcab abc x\nx y\ny",
            "é 1 é1 ü üé 9 σΣ",
            "aaaabbbbaaaa",
            "\néa",
            "éa aa ",
            "a\r\nb\r\r\na\n\rb",
        ];
        for pattern in PATTERNS {
            for text in texts {
                for window in [1, 2, 3, 5, 8] {
                    check(pattern, text, window);
                }
            }
        }
    }

    #[test]
    fn patterns_know_whether_their_matches_have_a_bound() {
        let bounded = |p: &str| Pattern::new(Regex::new(p).unwrap(), p).max_len;
        assert_eq!(bounded(r"\b\d\b"), Some(4));
        assert_eq!(bounded(r"abc|d"), Some(3));
        assert_eq!(bounded(r"\w+"), None);
    }

    proptest! {
        #[test]
        fn windows_find_the_matches_of_one_call_on_any_text(
            text in "[ab1 é\r\n]{0,40}",
            pattern in prop::sample::select(PATTERNS),
            window in 1usize..9,
        ) {
            check(pattern, &text, window);
        }
    }
}
