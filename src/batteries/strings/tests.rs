use rhai::{Dynamic, Engine};

use crate::batteries::tests::engine;

#[test]
fn they_give_what_rhais_own_give() {
    let ours = engine();
    let rhai = Engine::new();
    let texts = [
        "",
        "a",
        "hello, world! hello",
        "ΣΑΣ ΟΔΟΣ. σσ Σ",
        "İstanbul ǅ ß ﬃ",
        "héllo wörld ½ Ⅻ",
        "ABC",
        "abc",
        "aaa",
    ];
    let calls = [
        "to_upper()",
        "to_lower()",
        "make_upper()",
        "make_lower()",
        r#"replace("l", "L")"#,
        r#"replace("", "-")"#,
        r#"replace("ll", 'x')"#,
        r#"replace('o', "00")"#,
        "replace('o', 'ö')",
        r#"remove("l")"#,
        r#"remove("")"#,
        "remove('o')",
    ];
    let spans = [
        "0, 3", "2, 100", "-3, 2", "-100, 3", "5, 0", "3, -1", "100, 2", "0", "4", "-2", "-100",
        "100", "1..3", "3..1", "-2..2", "0..=2", "2..=2", "5..=1", "1..=100",
    ];
    let cuts = ["0", "1", "3", "-1", "-3", "-100", "100"];
    let mut scripts = Vec::new();
    for text in texts {
        for call in calls {
            let mutates = call.starts_with("make") || call.starts_with("re");
            scripts.push(match mutates {
                true => format!("let s = {text:?}; s.{call}; s"),
                false => format!("{text:?}.{call}"),
            });
        }
        for span in spans {
            scripts.push(format!("{text:?}.sub_string({span})"));
            scripts.push(format!("let s = {text:?}; s.crop({span}); s"));
        }
        scripts.push(format!("{text:?}.to_blob()"));
        for cut in cuts {
            scripts.push(format!("let s = {text:?}; s.truncate({cut}); s"));
            scripts.push(format!("{text:?}.split({cut})"));
        }
        // Rhai's escapes for spaces outside ASCII (Rust's `{:?}` writes `\u{..}`).
        for (before, after) in [("  ", "\\t\\n"), ("\\u3000", " \\u2003")] {
            let padded = format!("\"{before}\" + {text:?} + \"{after}\"");
            scripts.push(format!("let s = {padded}; s.trim(); s"));
        }
    }
    for blank in ["", " ", " \\t\\n \\u2003"] {
        scripts.push(format!("let s = \"{blank}\"; s.trim(); s"));
    }
    for script in &scripts {
        let expected = rhai.eval::<Dynamic>(script).expect(script).to_string();
        let got = ours.eval::<Dynamic>(script).expect(script).to_string();
        assert_eq!(got, expected, "{script}");
    }
    let each = calls.len() + 2 * spans.len() + 2 * cuts.len() + 3;
    assert_eq!(scripts.len(), texts.len() * each + 3);
}

#[test]
fn a_long_text_is_replaced_and_cut_in_pieces_as_in_one() {
    let e = engine();
    let text = "ΟΔΟΣ, σοφός ΣΑΣ. İ ab12 ".repeat(20_000);
    for (find, with) in [
        ("ΣΑΣ", "x"),
        ("ab", "é"),
        ("12 ", ""),
        ("zz", "y"),
        ("", "-"),
    ] {
        let got: String = e
            .eval(&format!(
                "let s = {text:?}; s.replace({find:?}, {with:?}); s"
            ))
            .unwrap();
        assert_eq!(got, text.replace(find, with), "replace({find:?}, {with:?})");
    }
    let chars: Vec<char> = text.chars().collect();
    for (start, len) in [(70001_i64, 90000), (-70001, 500), (0, i64::MAX), (-1, 3)] {
        let sub: String = e
            .eval(&format!("sub_string({text:?}, {start}, {len})"))
            .unwrap();
        let offset = match usize::try_from(start) {
            Ok(start) => start,
            Err(_) => chars.len() - start.unsigned_abs() as usize,
        };
        let len = usize::try_from(len).unwrap().min(chars.len() - offset);
        let expected: String = chars[offset..offset + len].iter().collect();
        assert_eq!(sub, expected, "sub_string({start}, {len})");
    }
    // Cut and trimmed across pieces: blanks longer than a piece at both ends.
    let blanks = " \u{3000}\t".repeat(40_000);
    let padded = format!("{blanks}{text}{blanks}");
    let trimmed: String = e.eval(&format!("let s = {text:?}; s.trim(); s")).unwrap();
    assert_eq!(trimmed, text.trim());
    let trimmed: String = e
        .eval(&format!(r#"let s = "{padded}"; s.trim(); s"#))
        .unwrap();
    assert_eq!(trimmed, text.trim());
    let bytes: rhai::Blob = e.eval(&format!("{text:?}.to_blob()")).unwrap();
    assert_eq!(bytes, text.as_bytes());
    let kept: String = e
        .eval(&format!("let s = {text:?}; s.truncate(90001); s"))
        .unwrap();
    assert_eq!(kept, chars[..90001].iter().collect::<String>());
    for at in [90001_i64, -90001] {
        let halves: rhai::Array = e.eval(&format!("{text:?}.split({at})")).unwrap();
        let cut = usize::try_from(at).unwrap_or(chars.len() - 90001);
        let left: String = chars[..cut].iter().collect();
        assert_eq!(halves[0].to_string(), left, "split({at})");
        assert_eq!(halves[1].to_string(), text[left.len()..], "split({at})");
    }
}
