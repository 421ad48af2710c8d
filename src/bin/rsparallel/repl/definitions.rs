//! The function definitions an input typed at the prompt holds, as text: the REPL hands them
//! to the host, so that job scripts submitted afterwards can call them. (Workers compile each
//! script from its text, so the definitions travel as text too.)

/// Each top-level `fn` (or `private fn`) definition in `input`, from its first word to its
/// closing brace. Rhai allows definitions only at the top level; strings and comments are
/// skipped, so a brace or `fn` inside one is not taken for code.
pub fn function_definitions(input: &str) -> Vec<&str> {
    let bytes = input.as_bytes();
    let mut definitions = Vec::new();
    let mut depth = 0_usize;
    let mut start = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'`' | b'\'' => {
                i = skip_quoted(bytes, i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = input[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = input[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(from) = start.take()
                {
                    definitions.push(&input[from..=i]);
                }
            }
            _ if depth == 0 && start.is_none() && word_at(input, i, "fn") => {
                start = Some(private_before(input, i).unwrap_or(i));
            }
            _ => {}
        }
        i += 1;
    }
    definitions
}

/// The index just past the string that opens at `open` (its closing quote, escapes skipped).
fn skip_quoted(bytes: &[u8], open: usize) -> usize {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Whether the word `word` stands alone at `at`.
fn word_at(input: &str, at: usize, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    input[at..].starts_with(word)
        && !input[..at].chars().next_back().is_some_and(is_ident)
        && !input[at + word.len()..]
            .chars()
            .next()
            .is_some_and(is_ident)
}

/// Where `private` starts, when it is the word before the `fn` at `at`.
fn private_before(input: &str, at: usize) -> Option<usize> {
    let before = input[..at].trim_end();
    let from = before.len().checked_sub("private".len())?;
    word_at(input, from, "private").then_some(from)
}

#[cfg(test)]
mod tests {
    use super::function_definitions;

    #[test]
    fn top_level_definitions_are_found_whole() {
        let input = "let x = 1;\nfn double(x) { if x > 0 { x * 2 } else { 0 } }\nprivate fn pad(s) { `{` + s }\ndouble(4)";
        assert_eq!(
            function_definitions(input),
            [
                "fn double(x) { if x > 0 { x * 2 } else { 0 } }",
                "private fn pad(s) { `{` + s }"
            ]
        );
    }

    #[test]
    fn words_in_strings_comments_and_names_are_not_definitions() {
        for input in [
            r#"let s = "fn f() { 1 }";"#,
            "// fn f() { 1 }\nlet a = 1;",
            "/* fn f() { 1 } */ 2",
            "let fname = 1; let x = #{ fn_: 2 };",
            "",
        ] {
            assert!(function_definitions(input).is_empty(), "{input:?}");
        }
    }
}
