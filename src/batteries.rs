//! Batteries: native Rust functions registered in every runspace for the per-item work scripts
//! usually do — regular expressions, JSON, hashes, encodings, time and text.
//!
//! A Rhai script that walks a string character by character costs microseconds per item; the
//! same work as one native call runs at Rust speed. [`register`] adds every battery to an
//! engine; the pool calls it for the engine scripts are compiled with and for each worker's
//! runspace, so scripts can use them everywhere. [`HELP`] lists them, one line each, with an
//! example; [`FAMILIES`] lists the same by family (regex, json, hash, encoding, time, text).
//!
//! None of them does I/O: no files, no environment, no network, no processes. The only thing
//! read from outside the engine is the system clock (`now_ms`).
//!
//! ## Conventions
//!
//! - A bad argument (an invalid pattern, malformed JSON or base64, an unparseable date) fails
//!   the job with a message that starts with the function's name, e.g.
//!   `replace_regex: invalid pattern "([a-": ...`.
//! - Times are integers: **milliseconds since the Unix epoch, UTC**. They compare with `<`,
//!   subtract to a duration in milliseconds, and add durations from `duration_ms("1h 30m")`
//!   or, with calendar units, through `add_duration`.
//! - `parse_json` and `to_json` replace Rhai's functions of the same name with faster,
//!   stricter ones that accept any JSON value rather than only objects and maps. Every other
//!   name is new to Rhai; where Rhai has a similar function (`replace`, `split`) the battery
//!   says so in its name (`replace_regex`, `split_regex`).
//!
//! ```
//! let mut engine = rsparallel::rhai::Engine::new();
//! rsparallel::batteries::register(&mut engine);
//! let slug: String = engine.eval(r#"slugify(replace_regex("Hello,   World!", "\\s+", " "))"#)?;
//! assert_eq!(slug, "hello-world");
//! # Ok::<(), Box<rsparallel::rhai::EvalAltResult>>(())
//! ```

use std::fmt::Display;
use std::ops::{Range, RangeInclusive};

use rhai::{Engine, EvalAltResult, INT};

use registrar::Registrar;

mod arrays;
mod case;
mod chars;
mod csv_text;
#[cfg(feature = "batteries")]
mod encoding;
mod equality;
#[cfg(feature = "batteries")]
mod hash;
mod help;
mod json;
mod maps;
mod numbers;
mod pieces;
mod printing;
#[cfg(feature = "batteries")]
mod regex;
#[cfg(feature = "batteries")]
mod regex_cache;
#[cfg(feature = "batteries")]
mod regex_search;
pub(crate) mod registrar;
mod searching;
mod sizes;
mod sorting;
mod spans;
mod strings;
mod tally;
mod text;
#[cfg(feature = "batteries")]
mod time;

pub use help::{FAMILIES, Family, HELP, HelpEntry};
pub(crate) use printing::{STOPPED, native_text};
#[cfg(feature = "batteries")]
pub use regex_cache::{REGEX_CACHE_CAPACITY, RegexCache};

/// Registers every battery on `engine`. Each call gives the engine its own regular-expression
/// cache, so engines built in different threads never share or lock each other's.
pub fn register(engine: &mut Engine) {
    register_into(engine);
}

/// Registers every battery on an engine, or in a module engines share.
pub(crate) fn register_into(engine: &mut impl Registrar) {
    #[cfg(feature = "batteries")]
    {
        regex::register(engine);
        hash::register(engine);
        encoding::register(engine);
        time::register(engine);
    }
    json::register(engine);
    text::register(engine);
    csv_text::register(engine);
    tally::register(engine);
    sizes::register(engine);
    pieces::register(engine);
    strings::register(engine);
    searching::register(engine);
    numbers::register(engine);
    arrays::register(engine);
    spans::register::<rhai::Dynamic>(engine);
    spans::register::<u8>(engine);
    equality::register(engine);
    case::register(engine);
    chars::register(engine);
    printing::register(engine);
    maps::register(engine);
}

/// The error a battery fails its job with: the function's name, then what went wrong.
fn error(function: &str, problem: impl Display) -> Box<EvalAltResult> {
    format!("{function}: {problem}").into()
}

/// The error `function` fails with for `problem`, found by work that stops at the job's
/// deadline or memory cap (the writers of [`crate::value`]): the job's own stop when there is
/// one, so that its record says it timed out, or passed its cap.
fn failed_or_stopped(function: &str, problem: impl Display) -> Box<EvalAltResult> {
    crate::limits::signal::checkpoint()
        .err()
        .unwrap_or_else(|| error(function, problem))
}

/// The error a battery fails its job with when what it was asked to build would not fit in the
/// job's memory: like the cap itself, a limit the script cannot catch, and its record's kind
/// is [`JobErrorKind::MemoryCap`](crate::JobErrorKind::MemoryCap).
fn too_large(function: &str, problem: impl Display) -> Box<EvalAltResult> {
    EvalAltResult::ErrorDataTooLarge(format!("{function}: {problem}"), rhai::Position::NONE).into()
}

/// Rhai's reading of a range as a start and a length (of a string's characters, an array's
/// values, a BLOB's bytes), for [`start_and_len`].
fn exclusive(range: &Range<INT>) -> (INT, INT) {
    let start = range.start.max(0);
    (start, range.end.max(start) - start)
}

fn inclusive(range: &RangeInclusive<INT>) -> (INT, INT) {
    let start = (*range.start()).max(0);
    (
        start,
        (*range.end()).max(start).min(INT::MAX - 1) - start + 1,
    )
}

/// Where a part of `length` values (array elements, characters) starts, and how long it is,
/// as Rhai counts them (its `calc_offset_len`): a negative start counts from the end, a length
/// runs at most to it; a start past the end is `(length, 0)`.
fn start_and_len(length: usize, start: INT, len: INT) -> (usize, usize) {
    let start = if start < 0 {
        usize::try_from(start.unsigned_abs()).map_or(0, |back| length - back.min(length))
    } else {
        match usize::try_from(start) {
            Ok(start) if start < length => start,
            _ => return (length, 0),
        }
    };
    let len = match usize::try_from(len) {
        Ok(len) => len.min(length - start),
        Err(_) => 0,
    };
    (start, len)
}

/// The result type of a battery that can fail.
type Fallible<T> = Result<T, Box<EvalAltResult>>;

#[cfg(test)]
pub(crate) mod tests {
    use rhai::{Dynamic, Engine, EvalAltResult};

    use super::*;

    /// An engine with Rhai's standard library and the batteries, as a runspace has.
    pub(crate) fn engine() -> Engine {
        let mut engine = Engine::new();
        register(&mut engine);
        engine
    }

    /// Expects `script` to give the same value, or the same error, on these batteries as on
    /// Rhai's own engine: for batteries that replace Rhai's functions.
    pub(crate) fn same_answer_as_rhais(ours: &Engine, script: &str) {
        let run = |engine: &Engine| match engine.eval::<Dynamic>(script) {
            Ok(value) => format!("{value:?}"),
            Err(err) => format!("error: {err}"),
        };
        assert_eq!(run(ours), run(&Engine::new()), "{script}");
    }

    pub(crate) fn eval<T: Clone + Send + Sync + 'static>(engine: &Engine, script: &str) -> T {
        engine
            .eval::<T>(script)
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// The strings of an array of strings.
    pub(crate) fn strings(array: rhai::Array) -> Vec<String> {
        array
            .into_iter()
            .map(|d| d.into_string().unwrap())
            .collect()
    }

    /// The message a failing script's job would carry.
    pub(crate) fn eval_err(engine: &Engine, script: &str) -> String {
        match *engine.eval::<Dynamic>(script).expect_err(script) {
            EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
            // What would not fit in the job's memory (`too_large`).
            EvalAltResult::ErrorDataTooLarge(what, _) => what,
            other => panic!("{script}: not a battery error: {other}"),
        }
    }

    #[test]
    fn every_help_example_runs() {
        let engine = engine();
        for (signature, _, example) in HELP.iter() {
            if let Err(e) = engine.eval::<Dynamic>(example) {
                panic!("{signature}: example `{example}` fails: {e}");
            }
        }
    }

    #[test]
    fn no_battery_shadows_the_standard_library_except_the_json_pair() {
        // Rhai's own engine, without batteries: each example must call a function it lacks.
        let bare = Engine::new();
        for (signature, _, example) in HELP.iter() {
            let name = signature.split('(').next().unwrap();
            if name == "parse_json" || name == "to_json" {
                continue;
            }
            match bare.eval::<Dynamic>(example).map_err(|e| *e) {
                Err(EvalAltResult::ErrorFunctionNotFound(missing, _)) => assert!(
                    missing.starts_with(name),
                    "{signature}: Rhai lacks {missing} instead"
                ),
                other => panic!("{signature}: Rhai already runs `{example}`: {other:?}"),
            }
        }
    }

    #[test]
    fn the_json_pair_replaces_rhais_own() {
        // Rhai's parse_json takes only objects and its to_json only maps.
        let engine = engine();
        assert_eq!(eval::<rhai::Array>(&engine, "parse_json(`[1,2]`)").len(), 2);
        assert_eq!(
            eval::<String>(&engine, "to_json([1, #{a: ()}])"),
            r#"[1,{"a":null}]"#
        );
        let message = eval_err(&engine, "#{f: Fn(\"x\")}.to_json()");
        assert!(message.starts_with("to_json: "), "{message}");
    }

    #[test]
    fn natives_whose_work_follows_their_input_stop_part_way_once_the_job_must() {
        // Each call is given ~300 KB of work after the thread is marked past its memory cap: a
        // native that looks at the job's clock and cap as it goes stops with the cap's error
        // (as it would at a deadline); one that did all its work first would return.
        let mut e = engine();
        e.register_fn("past_cap", crate::limits::memory::mark_over_cap);
        let inputs = r#"let s = ""; s.pad(300000, "ab, c%41 é\n");
            let a = s.split(" "); let h = hex_encode(s); let b = base64_encode(s);
            let u = url_encode(s); let c = ""; c.pad(300000, "ab,c é;");"#;
        let calls = [
            "words(s)",
            "lines(s)",
            "csv_split(c)",
            "csv_split(c, ';')",
            "to_csv(a)",
            "to_json(a)",
            "to_json(s)",
            "to_json(#{ a: a })",
            "hex_encode(s)",
            "hex_decode(h)",
            "base64_encode(s)",
            "base64_decode(b)",
            "url_encode(s)",
            "url_decode(u)",
            "slugify(s)",
            r#"replace_regex(s, "a", "b")"#,
            r#"replace_regex(s, "(a)", "$1$1")"#,
            // No match: the searches themselves look, a window at a time.
            r#"replace_regex(s, "\\bq\\b", "x")"#,
            r#"is_match(s, "\\bq\\b")"#,
            r#"find(s, "\\bq\\b")"#,
            r#"captures(s, "\\b(q)\\b")"#,
            r#"find_all(s, "\\bq\\b")"#,
            r#"split_regex(s, "\\bq\\b")"#,
            r#"find_all(s, "a")"#,
            r#"split_regex(s, " ")"#,
            r#"pad_left(s, 400000, "x")"#,
            r#"s.pad(400000, "x")"#,
            "s.to_upper()",
            "s.to_lower()",
            "s.make_upper()",
            "s.sub_string(1)",
            "s.crop(1)",
            r#"s.replace("a", "b")"#,
            r#"s.remove("a")"#,
            r#"s.split("")"#,
            "a.dedup()",
            "a.dedup(|x, y| x == y)",
            "a.sort(|x, y| x < y)",
            "a.order(|x, y| x < y)",
            "a.sort()",
            "a.sort_desc()",
            "a.order()",
            "a.order_desc()",
            "a == a",
            "a != a",
            "#{ a: a } == #{ a: a }",
            "s.chars(-1)",
            "s.chars(290000, 1)",
        ];
        for call in calls {
            let script = format!("{inputs} past_cap(); {call}");
            let result = e.eval::<Dynamic>(&script).map_err(|e| *e);
            crate::limits::memory::disarm();
            match result {
                Err(EvalAltResult::ErrorTerminated(..)) => {}
                Ok(value) => panic!("{call}: went on to return a {}", value.type_name()),
                Err(other) => panic!("{call}: {other}"),
            }
        }
    }

    #[test]
    fn errors_name_the_function() {
        let e = error("md5", "bad input");
        assert_eq!(e.to_string(), "Runtime error: md5: bad input");
    }
}
