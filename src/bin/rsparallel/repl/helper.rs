//! The REPL's line-editor helper: completion of host functions and variables in scope (after a
//! `.`, of what pools and batches have), and multi-line input for expressions that are not
//! finished yet.

use std::sync::{Arc, Mutex};

use rsparallel::host::HOST_FUNCTIONS;
use rsparallel::rhai::{Engine, LexError, ParseErrorType};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use crate::repl::help::PROPERTIES;

/// Words completed besides host functions and variables: the REPL's commands and the Rhai
/// keywords a host script starts lines with.
const OTHER_WORDS: &[&str] = &[
    "help", "exit", "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "break",
    "continue", "return", "throw", "try", "catch", "true", "false", "print", "debug",
];

pub struct ReplHelper {
    /// Only parses, to tell a finished input from one that goes on; never evaluates.
    parser: Engine,
    /// Names of the variables in the REPL's scope, refreshed after each evaluation.
    variables: Arc<Mutex<Vec<String>>>,
}

impl ReplHelper {
    pub fn new(parser: Engine, variables: Arc<Mutex<Vec<String>>>) -> Self {
        ReplHelper { parser, variables }
    }

    /// Whether `input` is a start that more lines could finish: an open bracket, block or
    /// string, or an expression cut short.
    pub fn is_incomplete(&self, input: &str) -> bool {
        let Err(err) = self.parser.compile(input) else {
            return false;
        };
        match err.err_type() {
            ParseErrorType::UnexpectedEOF => true,
            ParseErrorType::MissingToken(..)
            | ParseErrorType::MissingSymbol(..)
            | ParseErrorType::ExprExpected(..)
            | ParseErrorType::VariableExpected
            | ParseErrorType::PropertyExpected => at_end(input, err.position()),
            // A back-tick string may span lines; a quoted one may not.
            ParseErrorType::BadInput(LexError::UnterminatedString) => {
                input.matches('`').count() % 2 == 1
            }
            _ => false,
        }
    }
}

/// Whether a parse error's position is past the last thing written: the parser ran out of
/// input rather than meeting something wrong.
fn at_end(input: &str, position: rsparallel::rhai::Position) -> bool {
    let trimmed = input.trim_end();
    let last_line = trimmed.lines().count().max(1);
    let last_len = trimmed.lines().last().map_or(0, |l| l.chars().count());
    match (position.line(), position.position()) {
        (Some(line), Some(column)) => line > last_line || (line == last_line && column > last_len),
        (Some(line), None) => line > last_line,
        _ => position.is_none(),
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(pos, |(i, _)| i);
        let word = &line[start..pos];
        if line[..start].ends_with('.') {
            return Ok((start, members(word)));
        }
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let variables = self
            .variables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let candidates = HOST_FUNCTIONS
            .iter()
            .map(|f| (f.name.to_string(), format!("{}{}", f.name, f.params)))
            .chain(rsparallel::batteries::HELP.iter().map(|(signature, _, _)| {
                let name = signature.split('(').next().unwrap_or(signature);
                (name.to_string(), signature.to_string())
            }))
            .chain(variables.into_iter().map(|v| (v.clone(), v)))
            .chain(OTHER_WORDS.iter().map(|w| (w.to_string(), w.to_string())));
        Ok((start, starting_with(word, candidates)))
    }
}

/// What follows `pool.` or `batch.`: the host functions a pool or a batch can be the first
/// argument of, shown with the parameters that are left, and the properties. The value before
/// the dot is not evaluated to find out which it is, so both are offered.
fn members(word: &str) -> Vec<Pair> {
    let methods = HOST_FUNCTIONS.iter().filter_map(|f| {
        let params = f.params.trim_start_matches('(');
        let (first, rest) = params.split_once([',', ')'])?;
        let takes_handle = first
            .split(" or ")
            .any(|p| matches!(p.trim(), "pool" | "batch"));
        let rest = rest.trim_start_matches(' ');
        let rest = if rest.is_empty() { ")" } else { rest };
        takes_handle.then(|| (f.name.to_string(), format!("{}({rest}", f.name)))
    });
    let properties = PROPERTIES
        .iter()
        .map(|(name, _)| (name.to_string(), name.to_string()));
    starting_with(word, methods.chain(properties))
}

/// The candidates whose name starts with `word`, sorted, once each; each pair is the name to
/// insert and the text to show in the list.
fn starting_with(word: &str, candidates: impl Iterator<Item = (String, String)>) -> Vec<Pair> {
    let mut pairs: Vec<Pair> = candidates
        .filter(|(name, _)| name.starts_with(word))
        .map(|(replacement, display)| Pair {
            display,
            replacement,
        })
        .collect();
    pairs.sort_by(|a, b| a.replacement.cmp(&b.replacement));
    pairs.dedup_by(|a, b| a.replacement == b.replacement);
    pairs
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if self.is_incomplete(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ReplHelper {
        ReplHelper::new(Engine::new(), Arc::default())
    }

    #[test]
    fn unfinished_input_continues_on_the_next_line() {
        let helper = helper();
        for input in [
            "let x = [1,",
            "fn f(x) {",
            "if x > 1 {",
            "new_runspace_pool(#{ threads: 2,",
            "let y = 1 +",
            "for i in 0..3 {\n  print(i);",
            "let s = `first line",
            "let s = `first\nsecond",
        ] {
            assert!(helper.is_incomplete(input), "{input:?} should continue");
        }
    }

    #[test]
    fn finished_or_wrong_input_is_evaluated() {
        let helper = helper();
        for input in [
            "1 + 2",
            "let x = [1, 2];",
            "let = 3;",
            "1 +* 2",
            "x)",
            "",
            "let s = \"open",
            "let s = `one\ntwo`;",
        ] {
            assert!(
                !helper.is_incomplete(input),
                "{input:?} should not continue"
            );
        }
    }

    fn completions(line: &str) -> Vec<String> {
        let helper = helper();
        let history = rustyline::history::DefaultHistory::new();
        let ctx = Context::new(&history);
        let (start, pairs) = helper.complete(line, line.len(), &ctx).unwrap();
        assert!(start <= line.len());
        pairs.into_iter().map(|p| p.replacement).collect()
    }

    #[test]
    fn after_a_dot_only_what_pools_and_batches_have_is_completed() {
        let members = completions("pool.");
        for name in [
            "status",
            "jobs",
            "stop",
            "close",
            "receive_runspace_job",
            "threads",
            "id",
        ] {
            assert!(members.iter().any(|m| m == name), "{name}: {members:?}");
        }
        for other in ["new_runspace_pool", "sleep", "sha256", "let"] {
            assert!(!members.iter().any(|m| m == other), "{other}: {members:?}");
        }
        assert_eq!(completions("batch.sc"), ["script"]);
        assert_eq!(completions("let n = pool.thr"), ["threads"]);
        // Without a dot, everything that starts so.
        assert!(completions("sle").contains(&"sleep".to_string()));
    }

    #[test]
    fn a_method_shows_the_parameters_after_its_receiver() {
        let helper = helper();
        let history = rustyline::history::DefaultHistory::new();
        let ctx = Context::new(&history);
        let (_, pairs) = helper.complete("pool.sto", 8, &ctx).unwrap();
        let stop = pairs.iter().find(|p| p.replacement == "stop").unwrap();
        assert_eq!(stop.display, "stop(batch)");
        let (_, pairs) = helper.complete("pool.clo", 8, &ctx).unwrap();
        assert_eq!(pairs[0].display, "close()");
    }
}
