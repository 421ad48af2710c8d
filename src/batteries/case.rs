//! Rhai's `to_upper`, `to_lower`, `make_upper` and `make_lower`, giving Rhai's answers a piece
//! at a time, with a look at the job's clock and cap between pieces (see `strings`).

use rhai::ImmutableString;

use super::Fallible;
use super::registrar::Registrar;
use super::strings::char_cut;
use crate::limits::signal::Steps;

/// Whether `c` is surely neither ignored by case rules nor a mark: an ASCII letter, digit or
/// blank, a Latin-1, Greek or Cyrillic letter, or a CJK ideograph, kana or Hangul syllable.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c.is_ascii_whitespace()
        || matches!(c, 'À'..='Ö' | 'Ø'..='ö' | 'ø'..='ÿ' | 'Α'..='Ω' | 'α'..='ω' | 'А'..='я')
        || matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{ac00}'..='\u{d7a3}')
        || matches!(c, '\u{3041}'..='\u{3096}' | '\u{30a1}'..='\u{30fa}')
}

/// A cut of `text` at or after `at` between two [`plain`] characters; `text.len()` when there
/// is none.
fn plain_cut(text: &str, at: usize) -> usize {
    let at = char_cut(text, at.min(text.len()));
    let mut before = text[..at].chars().next_back();
    for (i, c) in text[at..].char_indices() {
        if before.is_some_and(plain) && plain(c) {
            return at + i;
        }
        before = Some(c);
    }
    text.len()
}

/// `text.to_lowercase()`, a piece at a time. Only `Σ` lowers by its context (`ς` ends a word),
/// judged by the nearest letters on each side past what case rules ignore. Each piece is
/// lowered with the [`plain`] character on each side of it, where that judgement stops, and
/// those characters' own lower case (context-free but for `Σ`, whose two forms take two
/// bytes each) is then cut off.
fn lowered(text: &str) -> Fallible<ImmutableString> {
    fn lower_len(c: char) -> usize {
        match c {
            'Σ' => 2,
            c => c.to_lowercase().map(char::len_utf8).sum(),
        }
    }
    let mut out = ImmutableString::new();
    let mut steps = Steps::new(Steps::BYTES);
    let mut start = 0;
    while start < text.len() {
        let end = plain_cut(text, start + Steps::BYTES);
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let from = start - before.map_or(0, char::len_utf8);
        let to = end + after.map_or(0, char::len_utf8);
        let lower = text[from..to].to_lowercase();
        let (front, back) = (before.map_or(0, lower_len), after.map_or(0, lower_len));
        out.make_mut().push_str(&lower[front..lower.len() - back]);
        steps.step(end - start)?;
        start = end;
    }
    Ok(out)
}

/// `text` mapped a piece at a time by `map`, which must give for two pieces what it gives for
/// both at once when they are cut where `cut` says.
fn mapped(
    text: &str,
    cut: impl Fn(&str, usize) -> usize,
    map: impl Fn(&str) -> String,
) -> Fallible<ImmutableString> {
    if text.len() <= Steps::BYTES {
        return Ok(map(text).into());
    }
    let mut out = ImmutableString::new();
    let mut steps = Steps::new(Steps::BYTES);
    let mut rest = text;
    while !rest.is_empty() {
        let end = cut(rest, Steps::BYTES.min(rest.len()));
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
    mapped(&text, char_cut, str::to_uppercase)
}

fn to_lower(text: ImmutableString) -> Fallible<ImmutableString> {
    if text.is_empty() || all_chars(&text, char::is_lowercase)? {
        return Ok(text);
    }
    if text.len() <= Steps::BYTES {
        return Ok(text.to_lowercase().into());
    }
    lowered(&text)
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
    use crate::batteries::tests::engine;

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
