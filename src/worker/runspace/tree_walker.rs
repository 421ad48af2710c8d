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
//!   the engine after a native panic (the engine's functions are bound to its runspace).
//!
//! A script that makes up the names it calls adds an entry a name, so the cache starts again
//! past [`MAX_KEPT`] entries: a worker's memory does not follow the number of its jobs.
//!
//! Inside a function from elsewhere (a module's, a closure handed in from another script, a
//! function library registered on the engine) Rhai resolves calls against that function's own
//! environment, but caches them with the caller's, under the same keys; it does not tell them
//! apart even within one evaluation. Kept across jobs, one job's resolutions there would answer
//! another's calls outside, and the other way round. So the cache is kept only while nothing
//! the jobs run can reach such a function ([`crate::script::reach`]): the script neither imports
//! nor calls `eval`, the engine has no script functions of its own, no variable or item has
//! held a function pointer (the worker stops keeping it for good once one has, through a
//! native panic too: an aggregation state may have kept it), and a batch's `begin` defines no
//! functions. Otherwise each job
//! resolves afresh, as `eval_ast_with_scope` does. Everything else is fresh for each job as
//! `eval_ast_with_scope` makes it: the runtime state (operation count, imports, call level,
//! source). `tests/differential.rs` holds this path to `eval_ast_with_scope`'s answers, job
//! after job on one runspace.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::script::Script;
use rhai::{
    AST, Caches, Dynamic, Engine, EvalAltResult, EvalContext, Expr, ImmutableString, Position,
    Scope, StmtBlock,
};

/// The most resolutions a worker keeps: bounds its memory (~50 bytes an entry) whatever
/// names the jobs call.
const MAX_KEPT: usize = 1024;

/// A script's top-level statements as one block, the form `EvalContext` evaluates; made once
/// per script copy.
pub(crate) struct Statements {
    /// Tells apart the scripts a worker's cache may hold resolutions for.
    id: u64,
    /// The script imports nothing and calls no `eval` ([`crate::script::reach::may_import`]).
    keepable: bool,
    block: Expr,
    source: Option<ImmutableString>,
}

impl Statements {
    pub(crate) fn of(ast: &AST, script: &Script) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let block = StmtBlock::new(
            ast.statements().iter().cloned(),
            Position::NONE,
            Position::NONE,
        );
        Statements {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            keepable: !script.may_import,
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
    /// Whether resolutions may be kept at all: the engine has no script functions of its own
    /// and the pool's variables hold no function pointer, and no job's batch or item has
    /// brought one (see the module's comment).
    may_keep: bool,
}

impl<'e> TreeWalker<'e> {
    /// `may_keep`: the engine has no script functions of its own (a pool library, a setup
    /// hook's modules) and the pool's variables hold no function pointer.
    pub(crate) fn new(engine: &'e Engine, may_keep: bool) -> Self {
        TreeWalker {
            engine,
            caches: Caches::new(),
            cached_for: 0,
            may_keep,
        }
    }

    pub(crate) fn engine(&self) -> &'e Engine {
        self.engine
    }

    pub(crate) fn may_keep(&self) -> bool {
        self.may_keep
    }

    /// From now on every job resolves its calls afresh.
    pub(crate) fn stop_keeping(&mut self) {
        self.may_keep = false;
        self.caches = Caches::new();
    }

    /// How many resolutions the cache's current layer holds.
    fn kept_resolutions(&mut self) -> usize {
        match self.caches.fn_resolution_caches_len() {
            0 => 0,
            // `fn_resolution_cache_mut` adds a layer only where there is none.
            _ => self.caches.fn_resolution_cache_mut().dict.len(),
        }
    }

    /// Evaluates `ast` (whose statements are `statements`) in `scope`, leaving what it declares
    /// there, with the answers of `Engine::eval_ast_with_scope`. `foreign`: the job's batch or
    /// item may hand it a function from elsewhere.
    pub(crate) fn eval(
        &mut self,
        scope: &mut Scope<'static>,
        ast: &AST,
        statements: &Statements,
        foreign: bool,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        if self.cached_for != statements.id {
            self.caches = Caches::new();
            self.cached_for = statements.id;
        }
        if foreign && self.may_keep {
            self.stop_keeping();
        }
        let mut fresh = Caches::new();
        let caches = if self.may_keep && statements.keepable {
            &mut self.caches
        } else {
            &mut fresh
        };
        // As `eval_ast_with_scope` sets it up.
        let mut global = self.engine.new_global_runtime_state();
        global.source = statements.source.clone();
        global.lib.push(ast.shared_lib().clone());
        global.embedded_module_resolver = ast.resolver().cloned();
        let result = {
            let mut context = EvalContext::new(self.engine, &mut global, caches, scope, None);
            // Not deprecated: Rhai marks the API volatile this way, and rsparallel pins the
            // Rhai version it was checked with (Cargo.toml). `false`: the top level's variables
            // stay in the scope, as `eval_ast_with_scope` leaves them.
            #[allow(deprecated)]
            context.eval_expression_tree_raw(&(&statements.block).into(), false)
        };
        // A layer left by a stopped job would only grow; so would the cache of a script that
        // makes up the names it calls (`call(Fn("on_" + item))`, `is_def_fn(name, 1)`): each
        // new name is an entry, once Rhai's filter of names seen once has filled. A script's
        // own calls are a few dozen entries, so past the bound it starts again.
        if self.caches.fn_resolution_caches_len() > 1 || self.kept_resolutions() > MAX_KEPT {
            self.caches = Caches::new();
        }
        // What `return` and `exit` at the top level give, as for `eval_ast_with_scope`.
        result.or_else(|err| match *err {
            EvalAltResult::Return(value, _) | EvalAltResult::Exit(value, _) => Ok(value),
            _ => Err(err),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_worker_keeps_a_bounded_number_of_resolutions_whatever_names_its_jobs_call() {
        let engine = Engine::new();
        let source = r#"fn on_get(x) { "get" } is_def_fn("on_" + item, 1)"#;
        let own = engine.compile(source).unwrap();
        let script = Script::new(&Arc::new(AST::empty()), &own, "dispatch", source, None);
        let statements = Statements::of(&script.ast, &script);
        let mut walker = TreeWalker::new(&engine, true);
        let mut most = 0;
        for job in 0..5000 {
            let mut scope = Scope::new();
            scope.push("item", job.to_string());
            let defined = walker.eval(&mut scope, &script.ast, &statements, false);
            assert_eq!(defined.unwrap().as_bool(), Ok(false));
            most = most.max(walker.kept_resolutions());
        }
        assert!(most > 0, "the walker kept no resolution");
        assert!(most <= MAX_KEPT, "the walker kept {most} resolutions");
    }
}
