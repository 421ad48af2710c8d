//! A compiled script, shared by every worker without copying.

use std::sync::{Arc, OnceLock};

use rhai::AST;
use rhai::grain::{Compiler, SharedProgram};

/// A script compiled by [`RunspacePool::compile`](crate::RunspacePool::compile), with the
/// pool's function libraries merged in. Cloning it is cheap: all workers share one syntax tree
/// (and, for [`ScriptVm::Grain`](crate::ScriptVm::Grain), one bytecode program).
#[derive(Clone, Debug)]
pub struct Script {
    pub(crate) ast: Arc<AST>,
    pub(crate) name: Arc<str>,
    /// The bytecode of `ast`, compiled on first use: a pool that runs the tree walker never
    /// needs it, and a script compiled by one pool may run on another.
    program: Arc<OnceLock<SharedProgram>>,
}

// Workers on every thread run one program; `rhai`'s `sync` feature is what makes this hold.
const _: () = {
    const fn shared_across_threads<T: Send + Sync>() {}
    shared_across_threads::<SharedProgram>();
};

impl Script {
    pub(crate) fn new(ast: AST, name: &str) -> Self {
        Script {
            ast: Arc::new(ast),
            name: name.into(),
            program: Arc::default(),
        }
    }

    /// The name given at compile time: a file path, or a label for inline source.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The compiled syntax tree.
    pub fn ast(&self) -> &AST {
        &self.ast
    }

    /// The script as a grain bytecode program, compiled from the syntax tree once, by the
    /// first caller; the others wait for it and share it.
    pub(crate) fn program(&self) -> &SharedProgram {
        self.program
            .get_or_init(|| Compiler::new().compile(&self.ast).into_shared())
    }
}
