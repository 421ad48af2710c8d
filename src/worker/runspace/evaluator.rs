//! What evaluates a job's script on a runspace's engine: the engine's own tree walker, or a
//! grain bytecode `Vm` kept for all the worker's jobs.
//!
//! A `Vm` borrows its engine, so it cannot live in the `Runspace` that owns the engine.
//! The worker holds both instead: a handle on the runspace's engine, and an `Evaluator`
//! borrowing it, rebuilt together when the runspace rebuilds its engine after a native panic.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rhai::grain::{Caps, Fault, Program, Vm};
use rhai::{Dynamic, Engine, EvalAltResult, Module, Position, Scope, Shared};

use super::tree_walker::TreeWalker;
use super::{InitialState, Runspace, ScriptCopy};
use crate::script::Script;
use crate::script::reach::holds_function;
use crate::script::vm::ScriptVm;

/// Runs job scripts on one engine, keeping whatever it can from one job to the next.
#[expect(
    clippy::large_enum_variant,
    reason = "one per worker, on its stack: boxing the `Vm` would only add an indirection"
)]
pub(crate) enum Evaluator<'e> {
    TreeWalker(TreeWalker<'e>),
    Grain {
        /// For the scripts `auto` leaves to the tree walker, and those of a batch that
        /// aggregates.
        tree: TreeWalker<'e>,
        vm: Vm<'e>,
        /// The pool's function libraries, registered on `engine`.
        library: Option<Shared<Module>>,
        /// [`ScriptVm::Auto`]: scripts that grain would run slower go to the tree walker.
        auto: bool,
    },
}

impl<'e> Evaluator<'e> {
    pub(crate) fn new(engine: &'e Engine, state: &InitialState) -> Self {
        let may_keep = state.library.is_none()
            && state.setup.is_none()
            && !state.variables.iter().any(|(_, v)| holds_function(v));
        match state.vm {
            ScriptVm::TreeWalker => Evaluator::TreeWalker(TreeWalker::new(engine, may_keep)),
            ScriptVm::Grain | ScriptVm::Auto => Evaluator::Grain {
                tree: TreeWalker::new(engine, may_keep),
                vm: Vm::new(engine),
                library: state.library.clone(),
                auto: state.vm == ScriptVm::Auto,
            },
        }
    }

    /// Whether this evaluator runs on `runspace`'s engine; after a native panic the runspace
    /// has a new engine, and the evaluator must be rebuilt on it.
    pub(crate) fn runs_on(&self, runspace: &Runspace) -> bool {
        let (Evaluator::TreeWalker(tree) | Evaluator::Grain { tree, .. }) = self;
        std::ptr::eq(tree.engine(), &*runspace.engine)
    }

    /// Whether its tree walker may still keep resolved calls across jobs (see `tree_walker`).
    pub(crate) fn may_keep_calls(&self) -> bool {
        let (Evaluator::TreeWalker(tree) | Evaluator::Grain { tree, .. }) = self;
        tree.may_keep()
    }

    pub(crate) fn stop_keeping_calls(&mut self) {
        self.tree().stop_keeping();
    }

    fn tree(&mut self) -> &mut TreeWalker<'e> {
        match self {
            Evaluator::TreeWalker(tree) | Evaluator::Grain { tree, .. } => tree,
        }
    }

    /// Evaluates `copy` on the tree walker, whatever this evaluator's machine: for the jobs of
    /// a batch that aggregates (see `Runspace::run`). `foreign`: as for [`Evaluator::eval`].
    #[inline]
    pub(crate) fn eval_on_tree(
        &mut self,
        scope: &mut Scope<'static>,
        copy: &ScriptCopy,
        foreign: bool,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        self.tree()
            .eval(scope, &copy.ast, &copy.statements, foreign)
    }

    /// Compiles what this evaluator will run of `copy` (its bytecode, on grain) now, before
    /// a chunk's first job starts its clock. This runs outside any job: should compiling panic,
    /// it is left to the first job, which tries again inside its panic guard, and fails.
    pub(crate) fn prepare(&self, script: &Script, copy: &ScriptCopy) {
        if let Evaluator::Grain { auto, .. } = self {
            let _ = catch_unwind(AssertUnwindSafe(|| {
                if !*auto || copy.suits_grain(script) {
                    copy.program();
                }
            }));
        }
    }

    /// Evaluates `script` in `scope`, leaving what it declares there, as
    /// `Engine::eval_ast_with_scope` does. `foreign`: the job's batch or item may hand it a
    /// function from another script (see `tree_walker`).
    #[inline]
    pub(crate) fn eval(
        &mut self,
        scope: &mut Scope<'static>,
        script: &Script,
        copy: &ScriptCopy,
        foreign: bool,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        match self {
            Evaluator::TreeWalker(tree) => tree.eval(scope, &copy.ast, &copy.statements, foreign),
            Evaluator::Grain { tree, auto, .. } if *auto && !copy.suits_grain(script) => {
                tree.eval(scope, &copy.ast, &copy.statements, foreign)
            }
            Evaluator::Grain {
                tree, vm, library, ..
            } => {
                let program = copy.program();
                let mut result = if needs_callbacks(script, library.as_ref()) {
                    vm.eval_with_callbacks(scope, program)
                } else {
                    vm.eval_with_scope(scope, program)
                };
                if let Err(err) = &mut result
                    && err.position().is_none()
                    && let Some(position) = stopped_near(vm, program)
                {
                    err.set_position(position);
                }
                if program.caps().contains(Caps::IMPORT) || script.keeps_constants {
                    // A `Vm` keeps every module a script imports, and every top-level constant
                    // it declares where functions can read it (`global::NAME`), for as long
                    // as it lives, and gives no way to drop them: the next job would see them
                    // (and imports would pile up). A fresh one (~800 instructions) has none.
                    *vm = Vm::new(tree.engine());
                }
                result
            }
        }
    }
}

/// Whether `script` must run with grain's callback wrappers: one native function per compiled
/// function, registered for the run, through which a native reaches a script function it was
/// handed (`a.map(double)`, `a.sort(|x, y| y - x)`) or calls by name; without them such a
/// call fails the job, or worse, `sort` silently keeps the order. `makes_fn_pointers` misses a
/// function named bare as a pointer, so every script with functions needs them, except where
/// all its functions are the pool's libraries, which the engine has (`engine_library`).
///
/// Building the wrappers costs ~3,000 instructions per function per job: with a 20-function
/// library, a one-line job took 12 times as long.
fn needs_callbacks(script: &Script, engine_library: Option<&Shared<Module>>) -> bool {
    let library_in_engine = match (&script.library, engine_library) {
        (None, _) => true,
        (Some(own), Some(engine)) => Shared::ptr_eq(own, engine),
        (Some(_), None) => false,
    };
    script.own_functions || !library_in_engine
}

/// How far back from where a job stopped to look for an instruction with a source position.
const POSITION_LOOKBACK_BYTES: usize = 32;

/// Where in the source the last run stopped, for an error that carries no position.
///
/// The VM checks the operation count (and so the timeout, a cancel, `max_ops`) on a loop's
/// jump back, an instruction with no source position; the tree walker would name the statement
/// it was in. The nearest instruction before the jump that has a position is in the loop's
/// body, usually that statement, or the loop's head when the body is empty.
fn stopped_near(vm: &Vm<'_>, program: &Program<'_>) -> Option<Position> {
    let sidecar = program.sidecar();
    vm.fault_trace().iter().find_map(|fault| {
        (0..=POSITION_LOOKBACK_BYTES.min(fault.address)).find_map(|back| {
            let site = sidecar.site(Fault {
                address: fault.address - back,
                slot: if back == 0 { fault.slot } else { None },
            })?;
            let line = u16::try_from(site.line).ok()?;
            Some(Position::new(line, u16::try_from(site.column).unwrap_or(0)))
        })
    })
}
