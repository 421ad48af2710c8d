//! A compiled script, shared by every worker without copying.

use std::sync::Arc;

use rhai::AST;

/// A script compiled by [`RunspacePool::compile`](crate::RunspacePool::compile), with the
/// pool's function libraries merged in. Cloning it is cheap: all workers share one syntax tree.
#[derive(Clone, Debug)]
pub struct Script {
    pub(crate) ast: Arc<AST>,
    pub(crate) name: Arc<str>,
}

impl Script {
    /// The name given at compile time: a file path, or a label for inline source.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The compiled syntax tree.
    pub fn ast(&self) -> &AST {
        &self.ast
    }
}
