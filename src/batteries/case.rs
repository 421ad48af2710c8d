//! Rhai's `to_upper`, `to_lower`, `make_upper` and `make_lower`, giving Rhai's answers a piece
//! at a time, with a look at the job's clock and cap between pieces (see `strings`).

use rhai::ImmutableString;

use super::Fallible;
use super::registrar::Registrar;
use crate::limits::signal::Steps;
use crate::value::char_cut;

/// Whether `c` is surely not ignored by case rules: ASCII but for `'`, `.`, `:`, `^` and
/// `` ` ``; a Latin-1, Greek or Cyrillic letter; a CJK ideograph, kana or Hangul syllable.
fn plain(c: char) -> bool {
    (c.is_ascii() && !matches!(c, '\'' | '.' | ':' | '^' | '`'))
        || matches!(c, 'À'..='Ö' | 'Ø'..='ö' | 'ø'..='ÿ' | 'Α'..='Ω' | 'α'..='ω' | 'А'..='я')
        || matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{ac00}'..='\u{d7a3}')
        || matches!(c, '\u{3041}'..='\u{3096}' | '\u{30a1}'..='\u{30fa}')
}

/// A cut of `text` at or after `at`, right after a [`plain`] character other than `Σ`;
/// `text.len()` when there is none. A `Σ`'s lower case looks past what case rules ignore, on
/// each side, to the nearest letter; its look stops at such a character, which the piece on
/// each side of the cut holds (the one after it as the character before it).
fn sigma_safe_cut(text: &str, at: usize) -> usize {
    let at = char_cut(text, at.min(text.len()));
    let safe = |c: char| c != 'Σ' && plain(c);
    if text[..at].chars().next_back().is_some_and(safe) {
        return at;
    }
    text[at..]
        .char_indices()
        .find(|&(_, c)| safe(c))
        .map_or(text.len(), |(i, c)| at + i + c.len_utf8())
}

/// `text.to_lowercase()`, a piece at a time of about `piece` bytes. Only `Σ` lowers by its
/// context (`ς` ends a word): a text without one is cut anywhere; one with one only where its
/// context does not cross the cut ([`sigma_safe_cut`]). Each piece is lowered with the
/// character before it, whose lower case (context-free, as it is not `Σ`) is then cut off.
fn lowered(text: &str, piece: usize) -> Fallible<ImmutableString> {
    if !has_sigma(text, piece)? {
        return mapped(text, piece, char_cut, str::to_lowercase);
    }
    let mut out = ImmutableString::new();
    let mut steps = Steps::new(Steps::BYTES);
    let mut start = 0;
    while start < text.len() {
        let end = sigma_safe_cut(text, start + piece);
        let before = text[..start].chars().next_back();
        let from = start - before.map_or(0, char::len_utf8);
        let lower = text[from..end].to_lowercase();
        let front = before.map_or(0, |c| c.to_lowercase().map(char::len_utf8).sum());
        out.make_mut().push_str(&lower[front..]);
        steps.step(end - start)?;
        start = end;
    }
    Ok(out)
}

/// Whether `text` holds a `Σ`, looked for a piece at a time.
fn has_sigma(text: &str, piece: usize) -> Fallible<bool> {
    let mut steps = Steps::new(Steps::BYTES);
    let mut rest = text;
    while !rest.is_empty() {
        let end = char_cut(rest, piece.min(rest.len()));
        if rest[..end].contains('Σ') {
            return Ok(true);
        }
        steps.step(end)?;
        rest = &rest[end..];
    }
    Ok(false)
}

/// `text` mapped a piece at a time by `map`, which must give for two pieces what it gives for
/// both at once when they are cut where `cut` says.
fn mapped(
    text: &str,
    piece: usize,
    cut: impl Fn(&str, usize) -> usize,
    map: impl Fn(&str) -> String,
) -> Fallible<ImmutableString> {
    if text.len() <= piece {
        return Ok(map(text).into());
    }
    let mut out = ImmutableString::new();
    let mut steps = Steps::new(Steps::BYTES);
    let mut rest = text;
    while !rest.is_empty() {
        let end = cut(rest, piece.min(rest.len()));
        out.make_mut().push_str(&map(&rest[..end]));
        steps.step(end)?;
        rest = &rest[end..];
    }
    Ok(out)
}

/// Whether every character of `text` passes `test`, looked at in steps.
fn all_chars(text: &str, test: impl Fn(char) -> bool) -> Fallible<bool> {
    if text.len() <= Steps::BYTES {
        return Ok(text.chars().all(test));
    }
    let mut steps = Steps::new(Steps::BYTES);
    for c in text.chars() {
        if !test(c) {
            return Ok(false);
        }
        steps.step(c.len_utf8())?;
    }
    Ok(true)
}

fn to_upper(text: ImmutableString) -> Fallible<ImmutableString> {
    if all_chars(&text, char::is_uppercase)? {
        return Ok(text);
    }
    mapped(&text, Steps::BYTES, char_cut, str::to_uppercase)
}

fn to_lower(text: ImmutableString) -> Fallible<ImmutableString> {
    if text.is_empty() || all_chars(&text, char::is_lowercase)? {
        return Ok(text);
    }
    if text.len() <= Steps::BYTES {
        return Ok(text.to_lowercase().into());
    }
    lowered(&text, Steps::BYTES)
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("to_upper", to_upper);
    engine.register_fn("to_lower", to_lower);
    engine.register_mutating("make_upper", |text: &mut ImmutableString| -> Fallible<()> {
        if !text.is_empty() {
            *text = to_upper(text.clone())?;
        }
        Ok(())
    });
    engine.register_mutating("make_lower", |text: &mut ImmutableString| -> Fallible<()> {
        *text = to_lower(text.clone())?;
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::batteries::tests::engine;

    /// Letters and the marks, quotes and stops case rules ignore, around sigmas; characters
    /// both cased and ignored (U+0345, `ʰ`), a title-case letter, `İ` (two characters lowered).
    const TRICKY: &[char] = &[
        'Σ', 'σ', 'ς', 'A', 'a', 'Ω', '\'', '.', ':', '^', '`', '\u{301}', '\u{345}', 'ʰ', 'ǅ',
        'İ', '€', ' ', '!', '-', 'é', 'É', '漢', 'ー', '\u{200d}', '1',
    ];

    proptest! {
        #[test]
        fn case_changes_in_small_pieces_as_in_one(
            chars in proptest::collection::vec(proptest::sample::select(TRICKY), 0..40),
            piece in 1_usize..9,
        ) {
            let text: String = chars.into_iter().collect();
            let lower = lowered(&text, piece).unwrap();
            prop_assert_eq!(lower.as_str(), text.to_lowercase());
            let upper = mapped(&text, piece, char_cut, str::to_uppercase).unwrap();
            prop_assert_eq!(upper.as_str(), text.to_uppercase());
        }
    }

    #[test]
    fn a_long_text_changes_case_in_pieces_as_in_one() {
        // Final sigmas, cut points and multi-byte characters across many pieces; text with
        // nothing but letters around its sigmas; marks that case rules ignore.
        let e = engine();
        for text in [
            "ΣΑ".repeat(100_000),
            "ΣΣ Σ.\u{301}Σ ΑΣ\u{345}".repeat(20_000),
            "漢字かなカナ한글Σ".repeat(20_000),
        ] {
            let mut scope = rhai::Scope::new();
            scope.push("t", text.clone());
            let lower: String = e.eval_with_scope(&mut scope, "to_lower(t)").unwrap();
            assert_eq!(lower, text.to_lowercase());
        }
        let text = "ΟΔΟΣ, σοφός ΣΑΣ. İ ab12 ".repeat(20_000);
        let lower: String = e.eval(&format!("to_lower({text:?})")).unwrap();
        assert_eq!(lower, text.to_lowercase());
        let upper: String = e.eval(&format!("to_upper({text:?})")).unwrap();
        assert_eq!(upper, text.to_uppercase());
    }
}
