//! The tree walker as jobs run on it: what `Engine::eval_ast_with_scope` does, but keeping the
//! engine's cache of resolved calls from one job to the next.
//!
//! Rhai resolves a call (which function a name and its arguments' types mean) by searching the
//! script's functions and then each of the engine's modules, and keeps the answer only for the
//! evaluation it is in, and only from the call's second time in it. A job is one evaluation,
//! and most jobs make each call once: every call of every job searched again, about a third of
//! what a native call costs (`s.tally_field(item, 8)`: ~430 ns a job before, ~345 ns with
//! the cache kept; see `bench/README.md`). Kept, each call is resolved once per worker and
//! script.
//!
//! A resolution depends on what can be called, and the cache goes when that changes:
//! - the script's own functions: the cache is for one script copy, and is dropped when a job
//!   runs another;
//! - the engine's functions: the cache lives in the worker's evaluator, which is rebuilt with
//!   the engine after a native panic (the engine's functions are bound to its runspace);
//! - modules a job imported at its top level, whose functions may be called unqualified: the
//!   cache is dropped after such a job.
//!
//! Rhai keeps the rest right itself, as it does within one evaluation: a block that imports, a
//! function, a closure with its own environment each push a cache of their own and pop it at
//! their end. Everything else is fresh for each job, as `eval_ast_with_scope` makes it: the
//! runtime state (operation count, imports, call level, source). `tests/differential.rs` holds
//! this path to `eval_ast_with_scope`'s answers, job after job on one runspace.

use std::sync::atomic::{AtomicU64, Ordering};

use rhai::{
    AST, Caches, Dynamic, Engine, EvalAltResult, EvalContext, Expr, ImmutableString, Position,
    Scope, StmtBlock,
};

/// A script's top-level statements as one block, the form `EvalContext` evaluates; made once
/// per script copy.
pub(crate) struct Statements {
    /// Tells apart the scripts a worker's cache may hold resolutions for.
    id: u64,
    block: Expr,
    source: Option<ImmutableString>,
}

impl Statements {
    pub(crate) fn of(ast: &AST) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let block = StmtBlock::new(
            ast.statements().iter().cloned(),
            Position::NONE,
            Position::NONE,
        );
        Statements {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            block: Expr::Stmt(Box::new(block)),
            source: ast.source().map(ImmutableString::from),
        }
    }
}

/// One worker's tree walker on its runspace's engine.
pub(crate) struct TreeWalker<'e> {
    engine: &'e Engine,
    caches: Caches,
    /// The [`Statements::id`] whose resolutions `caches` holds; 0 for none.
    cached_for: u64,
}

impl<'e> TreeWalker<'e> {
    pub(crate) fn new(engine: &'e Engine) -> Self {
        TreeWalker {
            engine,
            caches: Caches::new(),
            cached_for: 0,
        }
    }

    pub(crate) fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Evaluates `ast` (whose statements are `statements`) in `scope`, leaving what it declares
    /// there, with the answers of `Engine::eval_ast_with_scope`.
    pub(crate) fn eval(
        &mut self,
        scope: &mut Scope<'static>,
        ast: &AST,
        statements: &Statements,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        if self.cached_for != statements.id {
            self.caches = Caches::new();
            self.cached_for = statements.id;
        }
        // As `eval_ast_with_scope` sets it up.
        let mut global = self.engine.new_global_runtime_state();
        global.source = statements.source.clone();
        global.lib.push(ast.shared_lib().clone());
        global.embedded_module_resolver = ast.resolver().cloned();
        let result = {
            let mut context =
                EvalContext::new(self.engine, &mut global, &mut self.caches, scope, None);
            // Not deprecated: Rhai marks the API volatile this way, and rsparallel pins the
            // Rhai version it was checked with (Cargo.toml). `false`: the top level's variables
            // stay in the scope, as `eval_ast_with_scope` leaves them.
            #[allow(deprecated)]
            context.eval_expression_tree_raw(&(&statements.block).into(), false)
        };
        // A layer left by a stopped job would only grow; imports are gone with `global`.
        if global.num_imports() > 0 || self.caches.fn_resolution_caches_len() > 1 {
            self.caches = Caches::new();
        }
        // What `return` and `exit` at the top level give, as for `eval_ast_with_scope`.
        result.or_else(|err| match *err {
            EvalAltResult::Return(value, _) | EvalAltResult::Exit(value, _) => Ok(value),
            _ => Err(err),
        })
    }
}
