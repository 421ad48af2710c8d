//! Each worker's own copy of the scripts it runs.
//!
//! Rhai takes a counted reference at every evaluation: to the script's name and function
//! library, to each string constant a job reads, to each standard function a job calls (the
//! engine's cache of resolved calls holds them). With one compiled script and one standard
//! library shared by every worker, those counts are shared too, and the memory that holds each
//! one moves between the workers' cores at every job. On 2 threads, sharing both made
//! `item * 2 + 1` 1.13× and `let s = "abc"; s.len() + item` 1.33× slower than a copy of each
//! per thread. So a worker compiles the script's text again, once, and runs its own copy on its
//! own engine, which has its own standard library.
//!
//! It compiles with an engine like the one the pool compiles with, not the one that runs jobs:
//! at `OptimizationLevel::Full`, compiling calls native functions on constant arguments, and the
//! job's own `emit`, `warn` or `sleep` would run then, outside any job.

use std::cell::OnceCell;
use std::sync::{Arc, Weak};

use rhai::grain::{Compiler, SharedProgram};
use rhai::{AST, Engine};

use super::tree_walker::Statements;
use crate::script::Script;

/// How many scripts a worker keeps a copy of. Batches that run at once (an `exec` driver's, say)
/// reach a worker chunk by chunk, in turn; compiling again at each switch would cost more than
/// the copy saves.
const KEPT: usize = 4;

/// A worker's copy of one script: its syntax tree and, once grain has run it or been asked
/// whether it suits the script, its bytecode and that answer.
pub(crate) struct ScriptCopy {
    /// The shared script this copies. Holding it weakly keeps its allocation, so no other script
    /// can take its address while this copy is kept, but not the script itself.
    of: Weak<AST>,
    pub(crate) ast: AST,
    /// `ast`'s statements as the worker's tree walker runs them.
    pub(crate) statements: Statements,
    program: OnceCell<SharedProgram>,
    /// [`Script::suits_grain`], asked once: under `--vm auto` every job needs the answer.
    suits_grain: OnceCell<bool>,
}

impl ScriptCopy {
    fn new(script: &Script, compiler: &Engine) -> Self {
        let ast = script.compile_copy(compiler);
        ScriptCopy {
            of: Arc::downgrade(&script.ast),
            statements: Statements::of(&ast, script),
            ast,
            program: OnceCell::new(),
            suits_grain: OnceCell::new(),
        }
    }

    fn copies(&self, script: &Script) -> bool {
        std::ptr::eq(self.of.as_ptr(), Arc::as_ptr(&script.ast))
    }

    /// The copy as a grain bytecode program, compiled on first use.
    pub(crate) fn program(&self) -> &SharedProgram {
        self.program
            .get_or_init(|| Compiler::new().compile(&self.ast).into_shared())
    }

    /// Whether grain runs `script`, of which this is the copy, at least as fast as the tree
    /// walker (compiling the bytecode to tell, if need be).
    #[inline]
    pub(crate) fn suits_grain(&self, script: &Script) -> bool {
        *self
            .suits_grain
            .get_or_init(|| script.suits_grain(self.program()))
    }
}

/// The scripts a worker has copies of, the most recently used last, and the engine it compiles
/// them with, built when first needed.
#[derive(Default)]
pub(crate) struct ScriptCopies {
    kept: Vec<ScriptCopy>,
    compiler: Option<Engine>,
}

impl ScriptCopies {
    /// This worker's copy of `script`, compiled if it has none, with the engine `compiler`
    /// builds.
    pub(crate) fn of(&mut self, script: &Script, compiler: impl FnOnce() -> Engine) -> &ScriptCopy {
        match self.kept.iter().position(|copy| copy.copies(script)) {
            Some(at) if at + 1 < self.kept.len() => {
                let copy = self.kept.remove(at);
                self.kept.push(copy);
            }
            Some(_) => {}
            None => {
                if self.kept.len() == KEPT {
                    self.kept.remove(0);
                }
                let compiler = self.compiler.get_or_insert_with(compiler);
                self.kept.push(ScriptCopy::new(script, compiler));
            }
        }
        self.kept.last().expect("a copy was just kept")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RunspacePool;

    #[test]
    fn a_worker_copies_each_script_once_and_keeps_the_last_few() {
        let pool = RunspacePool::builder().threads(1).build().unwrap();
        let scripts: Vec<Script> = (0..=KEPT)
            .map(|i| pool.compile(&format!("item + {i}")).unwrap())
            .collect();
        let mut copies = ScriptCopies::default();
        copies.of(&scripts[0], Engine::new_raw).program();
        copies.of(&scripts[1], Engine::new_raw);
        // Found again, not made again: the bytecode compiled for the first copy is still there.
        assert!(
            copies
                .of(&scripts[0], Engine::new_raw)
                .program
                .get()
                .is_some()
        );
        assert_eq!(copies.kept.len(), 2);
        for script in &scripts[2..] {
            copies.of(script, Engine::new_raw);
        }
        assert_eq!(copies.kept.len(), KEPT);
        // The least recently used went: the second script, not the first.
        assert!(copies.kept.iter().any(|c| c.copies(&scripts[0])));
        assert!(!copies.kept.iter().any(|c| c.copies(&scripts[1])));
    }
}
