//! Regular expressions (the `regex` crate), compiled once per worker and kept in a bounded cache.

use std::sync::{Arc, Mutex};

use regex::Replacer as _;
use rhai::{Array, Dynamic, ImmutableString, Map};

use super::regex_cache::{REGEX_CACHE_CAPACITY, RegexCache};
use super::regex_search::Pattern;
use super::registrar::Registrar;
use super::{Fallible, error};
use crate::limits::signal::Steps;

/// One engine's cache, shared by the closures registered on it.
type Shared = Arc<Mutex<RegexCache>>;

/// Runs `f` with `pattern` compiled, or fails as `function` naming the pattern.
fn with_regex<T>(
    cache: &Shared,
    function: &str,
    pattern: &str,
    f: impl FnOnce(&Pattern) -> T,
) -> Fallible<T> {
    // The lock is only ever taken by this engine's thread; a poisoned one still holds sound
    // compiled patterns.
    // The crate parses a pattern whole, at ~100 bytes a character, before its size limit
    // applies: a 130 MB pattern took the process past 6 GB, a 32 MB one 4 s. None that long is
    // a pattern anyone writes.
    if pattern.len() > MAX_PATTERN_LEN {
        let quoted = crate::value::quoted_start(pattern);
        let why = format!(
            "a pattern of {} bytes ({quoted}) is over 64 KiB",
            pattern.len()
        );
        return Err(error(function, why));
    }
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    cache.with_pattern(pattern, f).map_err(|e| {
        let quoted = crate::value::quoted_start(pattern);
        error(function, format!("invalid pattern {quoted}: {}", tidy(&e)))
    })
}

/// The longest pattern compiled.
const MAX_PATTERN_LEN: usize = 64 * 1024;

/// The regex error without its multi-line caret drawing, which reads badly in a one-line record.
fn tidy(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(text) => text
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or(text)
            .to_string(),
        other => other.to_string(),
    }
}

fn text_or_unit(s: Option<&str>) -> Dynamic {
    s.map_or(Dynamic::UNIT, Into::into)
}

/// What `re.replace_all(text, replacement)` gives, `None` when nothing matched, made looking
/// at the job's clock and cap every thousand matches (one call on a 64 MiB item can make
/// millions of replacements) and, between matches, every window searched.
fn replace_all(re: &Pattern, text: &str, mut replacement: &str) -> Fallible<Option<String>> {
    let mut steps = Steps::new(Steps::VALUES);
    let mut replaced = String::new();
    let mut copied = 0;
    let mut any = false;
    let literal = replacement.no_expansion();
    // As `Regex::replace_all` does: matches alone when there is nothing to expand.
    let mut replace = |start: usize, end: usize, out: &mut String| -> Fallible<()> {
        out.push_str(&text[copied..start]);
        copied = end;
        any = true;
        steps.step(1)
    };
    match &literal {
        Some(literal) => re.each_match(text, |m| {
            replace(m.start(), m.end(), &mut replaced)?;
            replaced.push_str(literal);
            Ok(())
        })?,
        None => re.each_captures(text, |caps| {
            let m = caps.get(0).expect("group 0 is the whole match");
            replace(m.start(), m.end(), &mut replaced)?;
            caps.expand(replacement, &mut replaced);
            Ok(())
        })?,
    }
    if !any {
        return Ok(None);
    }
    replaced.push_str(&text[copied..]);
    Ok(Some(replaced))
}

/// The pieces of `text` between the matches of `re`, as `Regex::split` gives them.
fn split(re: &Pattern, text: &str) -> Fallible<Array> {
    let mut steps = Steps::new(Steps::VALUES);
    let mut pieces = Array::new();
    let mut last = 0;
    re.each_match(text, |m| {
        pieces.push(text[last..m.start()].into());
        last = m.end();
        steps.step(1)
    })?;
    pieces.push(text[last..].into());
    Ok(pieces)
}

/// Every match of `re` in `text`.
fn find_all(re: &Pattern, text: &str) -> Fallible<Array> {
    let mut steps = Steps::new(Steps::VALUES);
    let mut found = Array::new();
    re.each_match(text, |m| {
        found.push(m.as_str().into());
        steps.step(1)
    })?;
    Ok(found)
}

/// Registers the regular-expression functions with one fresh cache for this engine.
pub(super) fn register(engine: &mut impl Registrar) {
    let cache: Shared = Arc::new(Mutex::new(RegexCache::new(REGEX_CACHE_CAPACITY)));

    let c = cache.clone();
    engine.register_fn("is_match", move |text: &str, pattern: &str| {
        with_regex(&c, "is_match", pattern, |re| re.is_match(text)).and_then(|found| found)
    });
    let c = cache.clone();
    engine.register_fn("find", move |text: &str, pattern: &str| {
        with_regex(&c, "find", pattern, |re| re.find(text))
            .and_then(|found| found)
            .map(|found| text_or_unit(found.map(|m| m.as_str())))
    });
    let c = cache.clone();
    engine.register_fn("find_all", move |text: &str, pattern: &str| {
        // Many matches make many strings: built looking at the job's clock and memory cap.
        with_regex(&c, "find_all", pattern, |re| find_all(re, text)).and_then(|all| all)
    });
    let c = cache.clone();
    engine.register_fn("captures", move |text: &str, pattern: &str| {
        with_regex(&c, "captures", pattern, |re| {
            Ok(match re.captures(text)? {
                Some(caps) => caps
                    .iter()
                    .map(|g| text_or_unit(g.map(|m| m.as_str())))
                    .collect::<Array>()
                    .into(),
                None => Dynamic::UNIT,
            })
        })
        .and_then(|caps| caps)
    });
    let c = cache.clone();
    engine.register_fn("named_captures", move |text: &str, pattern: &str| {
        with_regex(&c, "named_captures", pattern, |re| {
            Ok(match re.captures(text)? {
                Some(caps) => re
                    .regex
                    .capture_names()
                    .flatten()
                    .map(|name| {
                        (
                            name.into(),
                            text_or_unit(caps.name(name).map(|m| m.as_str())),
                        )
                    })
                    .collect::<Map>()
                    .into(),
                None => Dynamic::UNIT,
            })
        })
        .and_then(|caps| caps)
    });
    let c = cache.clone();
    engine.register_fn(
        "replace_regex",
        move |text: ImmutableString, pattern: &str, replacement: &str| {
            with_regex(&c, "replace_regex", pattern, |re| {
                replace_all(re, &text, replacement)
            })
            .and_then(|replaced| replaced)
            // Nothing matched: hand back the same string, no copy.
            .map(|replaced| replaced.map_or_else(|| text.clone(), Into::into))
        },
    );
    let c = cache.clone();
    engine.register_fn("split_regex", move |text: &str, pattern: &str| {
        with_regex(&c, "split_regex", pattern, |re| split(re, text)).and_then(|pieces| pieces)
    });
    engine.register_fn("regex_cache_len", move || {
        cache.lock().unwrap_or_else(|p| p.into_inner()).len() as rhai::INT
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batteries::tests::{engine, eval, eval_err};

    #[test]
    fn replacements_are_those_of_replace_all() {
        let texts = [
            "",
            "abc",
            "a1b22c333",
            "héé llo wörld",
            "aaa",
            &"x1 ".repeat(5000),
        ];
        let patterns = [r"\d+", "a*", "", r"(?P<w>\w)(\w)?", "é", "zzz", r"\s"];
        let replacements = ["-", "", "$0$0", "<$1|$2>", "${w}!", "$$", "$9", "é"];
        for text in texts {
            for pattern in patterns {
                let re = regex::Regex::new(pattern).unwrap();
                let compiled = Pattern::new(re.clone(), pattern);
                for replacement in replacements {
                    let expected = re.replace_all(text, replacement);
                    let got = replace_all(&compiled, text, replacement).unwrap();
                    assert_eq!(
                        got.as_deref().unwrap_or(text),
                        expected,
                        "{pattern:?} {replacement:?} on {text:?}"
                    );
                    let borrowed = matches!(expected, std::borrow::Cow::Borrowed(_));
                    assert_eq!(got.is_none(), borrowed, "{pattern:?} {replacement:?}");
                }
            }
        }
    }

    #[test]
    fn is_match_and_find() {
        let e = engine();
        assert!(eval::<bool>(&e, r#"is_match("order 66", "\\d+")"#));
        assert!(!eval::<bool>(&e, r#""none".is_match("\\d")"#));
        assert_eq!(eval::<String>(&e, r#"find("a1b22", "\\d+")"#), "1");
        assert!(eval::<Dynamic>(&e, r#"find("abc", "\\d")"#).is_unit());
    }

    #[test]
    fn find_all_returns_every_match() {
        let e = engine();
        let all = eval::<Array>(&e, r#"find_all("a1b22c333", "\\d+")"#);
        let all: Vec<String> = all.into_iter().map(|d| d.into_string().unwrap()).collect();
        assert_eq!(all, ["1", "22", "333"]);
        assert!(eval::<Array>(&e, r#"find_all("abc", "\\d")"#).is_empty());
    }

    #[test]
    fn captures_by_index_and_by_name() {
        let e = engine();
        let caps = eval::<Array>(&e, r#"captures("k=v", "(\\w)=(\\w)(x)?")"#);
        assert_eq!(caps[0].to_string(), "k=v");
        assert_eq!(caps[2].to_string(), "v");
        assert!(caps[3].is_unit(), "an unmatched group is ()");
        assert!(eval::<Dynamic>(&e, r#"captures("", "x")"#).is_unit());
        let user = eval::<String>(
            &e,
            r#"named_captures("ann@example.org", "(?P<user>\\w+)@(?P<host>.+)").user"#,
        );
        assert_eq!(user, "ann");
        assert!(eval::<Dynamic>(&e, r#"named_captures("x", "(?P<d>\\d)")"#).is_unit());
    }

    #[test]
    fn replace_and_split() {
        let e = engine();
        let out = eval::<String>(&e, r#"replace_regex("a  b   c", "\\s+", "_")"#);
        assert_eq!(out, "a_b_c");
        let out = eval::<String>(
            &e,
            r#"replace_regex("2024-03-01", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")"#,
        );
        assert_eq!(out, "01/03/2024");
        let parts = eval::<Array>(&e, r#"split_regex("a, b;c", "[,;]\\s*")"#);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2].to_string(), "c");
    }

    #[test]
    fn a_bad_pattern_names_the_function_the_pattern_and_the_problem() {
        let e = engine();
        let message = eval_err(&e, r#"replace_regex("x", "([a-", "")"#);
        assert!(
            message.starts_with(r#"replace_regex: invalid pattern "([a-": "#),
            "{message}"
        );
        assert!(message.contains("unclosed"), "{message}");
        assert!(!message.contains('\n'), "{message}");
        let message = eval_err(&e, r#"is_match("x", "a{1000}{1000}")"#);
        assert!(
            message.starts_with("is_match: invalid pattern"),
            "{message}"
        );
    }

    #[test]
    fn a_literal_pattern_compiles_once_per_engine() {
        let e = engine();
        let len = eval::<i64>(
            &e,
            r#"for i in 0..1000 { is_match(`${i}`, "^\\d+$"); find("x", "x") } regex_cache_len()"#,
        );
        assert_eq!(len, 2);
        // Another engine has its own, empty cache.
        assert_eq!(eval::<i64>(&engine(), "regex_cache_len()"), 0);
    }
}
