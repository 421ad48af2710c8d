//! The REPL's own commands, typed alone on a line, as rhai-repl has them: `scope` (the
//! session's variables), `functions` (the functions defined at the prompt) and `history`.

use rsparallel::rhai::{AST, Scope};
use rustyline::history::{FileHistory, History, SearchDirection};

/// How many of the latest history lines `history` shows.
const HISTORY_SHOWN: usize = 20;

/// The text a command prints, or `None` when `line` is not one of them.
pub fn run(
    line: &str,
    scope: &Scope<'_>,
    functions: &AST,
    history: &FileHistory,
) -> Option<String> {
    match line.trim().trim_end_matches(';').trim_end() {
        "scope" => Some(scope_text(scope)),
        "functions" => Some(functions_text(functions)),
        "history" => Some(history_text(history)),
        _ => None,
    }
}

/// Each variable: its name, whether it is a constant, its type, and its value cut to a line.
fn scope_text(scope: &Scope<'_>) -> String {
    if scope.is_empty() {
        return "no variables yet\n".into();
    }
    let mut text = String::new();
    for (name, constant, value) in scope.iter_raw() {
        let shown = rsparallel::host::describe_handle(value).unwrap_or_else(|| value.to_string());
        let shown = cut(&shown.replace('\n', " "), 60);
        let kind = if constant { "const" } else { "let" };
        text.push_str(&format!("{kind} {name}: {} = {shown}\n", value.type_name()));
    }
    text
}

/// Each function defined at the prompt, with its parameters.
fn functions_text(functions: &AST) -> String {
    let mut lines: Vec<String> = functions
        .iter_functions()
        .map(|f| format!("fn {}({})\n", f.name, f.params.join(", ")))
        .collect();
    if lines.is_empty() {
        return "no functions defined yet (fn name(x) { .. } defines one; job scripts submitted \
                after it can call it too)\n"
            .into();
    }
    lines.sort();
    lines.concat()
}

/// The latest lines of the history, numbered.
fn history_text(history: &FileHistory) -> String {
    let len = history.len();
    let mut text = String::new();
    for index in len.saturating_sub(HISTORY_SHOWN)..len {
        if let Ok(Some(entry)) = history.get(index, SearchDirection::Forward) {
            text.push_str(&format!("{:>5}  {}\n", index + 1, entry.entry));
        }
    }
    text
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsparallel::rhai::Engine;

    #[test]
    fn scope_and_functions_are_listed() {
        let engine = Engine::new();
        let mut scope = Scope::new();
        let ast = engine
            .compile("fn twice(x) { x * 2 } fn add(a, b) { a + b }")
            .unwrap();
        scope.push("count", 3_i64);
        scope.push_constant("label", "a".repeat(100));
        let text = scope_text(&scope);
        assert!(text.contains("let count: i64 = 3"), "{text}");
        assert!(text.contains("const label: string = aaaa"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() < 100), "{text}");
        assert_eq!(functions_text(&ast), "fn add(a, b)\nfn twice(x)\n");
        assert!(run("scope;", &scope, &ast, &FileHistory::new()).is_some());
        assert!(run("scope + 1", &scope, &ast, &FileHistory::new()).is_none());
    }
}
