//! Rhai's own interpreter, the reference every pool's answers are compared with.

use std::path::Path;

use rsparallel::rhai::module_resolvers::FileModuleResolver;
use rsparallel::rhai::{AST, Dynamic, Engine, EvalAltResult, INT, ParseError, Scope};
use rsparallel::{DEFAULT_MAX_CALL_DEPTH, DEFAULT_MAX_EXPR_DEPTH};

use super::{Outcome, canonical};

/// Far more than any corpus script or generated program takes.
const REFERENCE_MAX_OPERATIONS: u64 = 5_000_000;

/// The variable every pool (as with `--var base=10`) and the reference give every job, before
/// the job variables.
pub const POOL_VARIABLE: (&str, INT) = ("base", 10);

/// The module corpus scripts import, as `m`.
pub const MODULE: &str = "export const BASE = 10;\n\
                      fn twice(x) { x * 2 }\n\
                      let hidden = 7;\n\
                      export hidden as shown;\n";

/// Rhai's own interpreter, the reference: a plain engine with the pool's limits on call and
/// expression depth (configuration, not semantics) and modules from `modules`.
pub struct Reference {
    engine: Engine,
}

impl Reference {
    pub fn new(modules: &Path) -> Self {
        let mut engine = Engine::new();
        engine.set_max_call_levels(DEFAULT_MAX_CALL_DEPTH);
        engine.set_max_expr_depths(DEFAULT_MAX_EXPR_DEPTH, DEFAULT_MAX_EXPR_DEPTH);
        engine.set_module_resolver(FileModuleResolver::new_with_path(modules));
        engine.on_print(|_| {});
        engine.on_debug(|_, _, _| {});
        // Not a limit the pool has: should a script loop for ever here, the test fails (the
        // pool times the job out) instead of hanging.
        engine.set_max_operations(REFERENCE_MAX_OPERATIONS);
        Reference { engine }
    }

    pub fn compile(&self, source: &str) -> Result<AST, ParseError> {
        self.engine.compile(source)
    }

    /// `source` over `items`, each with the pool variable, `attempt` 1, its `seq`, and the
    /// item in scope, pushed as rsparallel pushes them: all constants but `item`.
    pub fn outcomes(&self, source: &str, items: &[Dynamic]) -> Vec<Outcome> {
        let ast = match self.compile(source) {
            Ok(ast) => ast,
            Err(e) => {
                let p = e.position();
                let outcome =
                    Outcome::compile_error(e.err_type().to_string(), p.line(), p.position());
                return vec![outcome; items.len()];
            }
        };
        items
            .iter()
            .enumerate()
            .map(|(seq, item)| {
                let mut scope = Scope::new();
                scope.push_constant(POOL_VARIABLE.0, POOL_VARIABLE.1);
                scope.push_constant("attempt", 1 as INT);
                scope.push_constant("seq", seq as INT);
                scope.push_dynamic("item", item.clone());
                match self.engine.eval_ast_with_scope::<Dynamic>(&mut scope, &ast) {
                    Ok(value) => {
                        let value = value.flatten();
                        Outcome {
                            status: "completed".into(),
                            output: if value.is_unit() {
                                Vec::new()
                            } else {
                                vec![canonical(&value)]
                            },
                            message: None,
                            position: (None, None),
                        }
                    }
                    Err(err) => {
                        let (message, line, column) = reference_error(&err);
                        Outcome {
                            status: "failed".into(),
                            output: Vec::new(),
                            message: Some(message),
                            position: (line, column),
                        }
                    }
                }
            })
            .collect()
    }
}

/// Rhai's error as a job's record states it: the message of the innermost error without its
/// position, a thrown value as its text (`()` as "error thrown"), the function it happened in,
/// and the innermost position as line and column. The call depth limit is named by its option,
/// as the README's "What happens when things go wrong" says.
fn reference_error(err: &EvalAltResult) -> (String, Option<usize>, Option<usize>) {
    let inner = err.unwrap_inner();
    let position = inner.position();
    let mut message = match inner {
        EvalAltResult::ErrorRuntime(value, _) if value.is_unit() => "error thrown".to_string(),
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        EvalAltResult::ErrorStackOverflow(_) => {
            format!("exceeded the call depth limit of {DEFAULT_MAX_CALL_DEPTH} (max-call-depth)")
        }
        other => {
            let text = other.to_string();
            match text.strip_suffix(&format!(" ({position})")) {
                Some(bare) if !position.is_none() => bare.to_string(),
                _ => text,
            }
        }
    };
    if let EvalAltResult::ErrorInFunctionCall(name, ..) = err {
        message.push_str(&format!(" (in function '{name}')"));
    }
    (message, position.line(), position.position())
}
