//! A string indexed by a character or a range, as Rhai (as rsparallel builds it) reads, cuts
//! and sets it: the same answers as the published crate's, but for `s[-n] = c`, which set the
//! character `n` from the start.

use rsparallel::rhai::{Dynamic, Engine};

fn answer(engine: &Engine, script: &str) -> String {
    match engine.eval::<Dynamic>(script) {
        Ok(value) => value.to_string(),
        Err(err) => format!("error: {err}"),
    }
}

#[test]
fn a_character_set_from_the_end_is_the_one_read_there() {
    let engine = Engine::new();
    for (script, expected) in [
        (r#"let s = "abcd"; s[-1] = 'x'; s"#, "abcx"),
        (r#"let s = "abcd"; s[-3] = 'x'; s"#, "axcd"),
        (r#"let s = "abcd"; s[-4] = 'x'; s"#, "xbcd"),
        (r#"let s = "héllo wörld"; s[-4] = 'Ö'; s"#, "héllo wÖrld"),
        (r#"let s = "héllo"; s[-4] = 'ß'; s"#, "hßllo"),
        (
            r#"let s = "abcd"; let c = s[-2]; s[-2] = 'z'; c + s"#,
            "cabzd",
        ),
        (r#"let s = "abcd"; s[-5] = 'x'; s"#, "error: "),
    ] {
        let got = answer(&engine, script);
        assert!(got.starts_with(expected), "{script}: {got}");
    }
}

/// The answers are those of the published crate (1.27.0), but for the rebuilt string's speed.
#[test]
fn characters_and_ranges_are_read_and_set_as_rhai_does() {
    let engine = Engine::new();
    for (script, expected) in [
        (r#"let s = "héllo"; s[1] = 'E'; s"#, "hEllo"),
        (r#"let s = "héllo"; s[0] = 'ß'; s"#, "ßéllo"),
        (r#"let s = "héllo"; s[4] = '😀'; s"#, "héll😀"),
        // A copy shares the string until one of them is set.
        (
            r#"let s = "héllo"; let t = s; t[1] = 'e'; s + t"#,
            "héllohello",
        ),
        (r#"let s = "abcdef"; s[1..3] = "XYZ"; s"#, "aXYZdef"),
        (r#"let s = "abcdef"; s[1..=3] = ""; s"#, "aef"),
        (r#"let s = "abcdef"; s[4..100] = "!"; s"#, "abcd!"),
        (r#"let s = "abcdef"; s[-2..-1] = "?"; s"#, "abcd?f"),
        // As Rhai: a range that ends before it starts keeps both sides of it.
        (r#"let s = "abcdef"; s[4..1] = "-"; s"#, "abcd-bcdef"),
        (r#"let s = "ééé"; s[1..2] = 5; s"#, "é5é"),
        (r#""héllo wörld"[2..5]"#, "llo"),
        (r#""héllo wörld"[-3..-1]"#, "rl"),
        (r#""héllo wörld"[1..=3]"#, "éll"),
        (r#""héllo"[3..100]"#, "lo"),
        (r#""héllo"[7..9]"#, ""),
        // As Rhai: an inclusive range of one character is empty.
        (r#""abcd"[2..=2]"#, ""),
        (r#""a"[0..=0]"#, "a"),
        (r#""ab"[0..=0]"#, ""),
        (r#""ab"[0..=1]"#, "ab"),
        (r#""abc"[-2..=-1]"#, "bc"),
        (r#""abc"[-2..-1]"#, "b"),
        (r#""abc"[1..-5]"#, ""),
        (
            r#""abc"[-5..2]"#,
            "error: String index -5 out of bounds: only 3 characters",
        ),
        (r#""héllo"[-4..=-2]"#, "éll"),
        (r#""héllo"[3..=1]"#, ""),
        (r#""héllo"[0..=100]"#, "héllo"),
        (r#""héllo"[1]"#, "é"),
        (r#""héllo"[-1]"#, "o"),
        (r#""héllo"[5]"#, "error: "),
    ] {
        let got = answer(&engine, script);
        if expected.is_empty() {
            assert_eq!(got, expected, "{script}");
        } else {
            assert!(got.starts_with(expected), "{script}: {got}");
        }
    }
}

#[test]
fn a_long_string_is_indexed_across_its_pieces() {
    // Characters of two bytes, past 64 KiB and past 1,024 from the end.
    let engine = Engine::new();
    let script = r#"let s = "é"; s.pad(100000, "é"); s[70000] = 'a'; s[-5000] = 'b';
        s[99999] = 'c'; let cut = s[69999..70002];
        [s.index_of('a'), s.index_of('b'), s.index_of('c'), s.len(), cut, s[-5000], s[-30000]]"#;
    assert_eq!(
        answer(&engine, script),
        r#"[70000, 95000, 99999, 100000, "éaé", 'b', 'a']"#
    );
}
