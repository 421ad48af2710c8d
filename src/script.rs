//! A compiled script: what a pool's workers each run their own copy of.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use rhai::grain::{Caps, Program};
use rhai::{AST, Engine, Module, Shared};

pub(crate) mod modules;
pub(crate) mod reach;
pub(crate) mod vm;

/// A script compiled by [`RunspacePool::compile`](crate::RunspacePool::compile), with the
/// pool's function libraries merged in. Cloning it is cheap: the clones share one syntax tree.
/// Each worker that runs it compiles its own copy from the same text, once, so that workers
/// share no reference count while they run it.
#[derive(Clone, Debug)]
pub struct Script {
    pub(crate) ast: Arc<AST>,
    pub(crate) name: Arc<str>,
    /// The text `ast` was compiled from, and the pool's function libraries it was merged with:
    /// what a worker compiles its own copy from (see `runspace::script_copies`).
    text: Arc<str>,
    pool_library: Arc<AST>,
    /// Whether the script defines functions of its own, besides the pool's libraries.
    pub(crate) own_functions: bool,
    /// Whether a run may leave top-level constants in a grain `Vm` (see [`Script::new`]).
    pub(crate) keeps_constants: bool,
    /// The pool's function libraries merged into `ast`, if any (see [`library_module`]).
    pub(crate) library: Option<Shared<Module>>,
    /// Whether it imports a module or calls `eval` (see [`reach`]).
    pub(crate) may_import: bool,
}

impl Script {
    /// The script `own`, compiled from `source`, merged with the pool's function libraries
    /// (`pool_library`, which is `library` as a module).
    pub(crate) fn new(
        pool_library: &Arc<AST>,
        own: &AST,
        name: &str,
        source: &str,
        library: Option<Shared<Module>>,
    ) -> Self {
        let merged = pool_library.merge(own);
        // Where there are functions to read them, a grain `Vm` records top-level constants
        // for `global::NAME`, and keeps them from one run to the next. Declaring one takes the
        // word `const`, in the script or in a string it evaluates; the check over-reaches
        // (comments, other words), which only costs a fresh `Vm` for each job.
        let keeps_constants =
            merged.has_functions() && (source.contains("const") || source.contains("eval"));
        let may_import = reach::may_import(&merged);
        Script {
            ast: Arc::new(merged),
            name: name.into(),
            text: source.into(),
            pool_library: pool_library.clone(),
            own_functions: own.has_functions(),
            keeps_constants,
            library,
            may_import,
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

    /// Whether grain runs this script, compiled to `program`, at least as fast as the tree
    /// walker: it has no functions of its own (grain registers them anew for every job), no
    /// `import` and no constants its functions read (after a job with either, a worker needs a
    /// fresh `Vm`).
    pub(crate) fn suits_grain(&self, program: &Program<'_>) -> bool {
        !self.own_functions && !self.keeps_constants && !program.caps().contains(Caps::IMPORT)
    }

    /// The script compiled again from its text with `engine`, merged as it was, without a
    /// source name: a copy that shares no counted reference with the original (see
    /// `runspace::script_copies`). Should `engine` refuse it (or a host's custom syntax panic
    /// while parsing it), a clone: this runs on a worker, outside any job, where a panic would
    /// end the worker.
    pub(crate) fn compile_copy(&self, engine: &Engine) -> AST {
        if switches_too_many(&self.text) {
            // Compiled without the optimizer, which such a script could keep busy for hours.
            let mut copy = (*self.ast).clone();
            copy.clear_source();
            return copy;
        }
        let compiled = catch_unwind(AssertUnwindSafe(|| engine.compile(&*self.text)));
        let mut copy = match compiled {
            Ok(Ok(own)) => self.pool_library.merge(&own),
            _ => (*self.ast).clone(),
        };
        copy.clear_source();
        copy
    }
}

/// Whether `source` has so many `switch` statements that it is compiled without Rhai's
/// optimizer, whose time grows exponentially with their nesting (each nested default case
/// doubles it: 20 levels took 0.45 s, 26 took 48 s). A count of the word is a bound on the
/// nesting that needs no parse; a script with more than a dozen switches side by side only
/// loses constant folding.
pub(crate) fn switches_too_many(source: &str) -> bool {
    const MOST_SWITCHES: usize = 12;
    let words = source.split(|c: char| !(c.is_alphanumeric() || c == '_'));
    words
        .filter(|word| *word == "switch")
        .nth(MOST_SWITCHES)
        .is_some()
}

/// A pool's function libraries as one module, or `None` when they define no function.
///
/// A pool that may run grain (`Grain`, `Auto`) registers it on every worker's engine, so that
/// a native handed a library function (`[1, 2].map(triple)`) finds it there; a script compiled
/// by the pool carries the same module, which tells the worker that the engine has its library
/// functions.
pub(crate) fn library_module(library: &AST) -> Option<Shared<Module>> {
    library
        .has_functions()
        .then(|| AsRef::<Shared<Module>>::as_ref(library).clone())
}

#[cfg(test)]
mod tests {
    use crate::RunspacePool;

    #[test]
    fn grain_is_chosen_only_for_scripts_it_runs_at_least_as_fast() {
        let pool = RunspacePool::builder()
            .threads(1)
            .functions_source("lib", "fn triple(x) { x * 3 }")
            .build()
            .unwrap();
        let suits = |source: &str| {
            let script = pool.compile(source).unwrap();
            script.suits_grain(&rhai::grain::Compiler::new().compile(script.ast()))
        };
        assert!(suits("item * 2 + 1"));
        assert!(suits("let s = 0; for i in 0..100 { s += i; } s"));
        assert!(
            suits("triple(item)"),
            "the pool's library is on every engine"
        );
        assert!(!suits("fn double(x) { x * 2 } double(item)"));
        assert!(
            !suits("[1, 2].map(|x| x + item)"),
            "a closure is a function"
        );
        assert!(!suits("import \"helpers\" as h; item"));
        assert!(!suits("const K = 2; triple(K)"));
    }

    #[test]
    fn a_copy_is_the_script_with_the_library_and_without_the_source_name() {
        let pool = RunspacePool::builder()
            .threads(1)
            .functions_source("lib", "fn triple(x) { x * 3 }")
            .build()
            .unwrap();
        let script = pool.compile_named("job.rhai", "triple(2) + 1").unwrap();
        assert_eq!(script.ast().source(), Some("job.rhai"));
        let copy = script.compile_copy(&rhai::Engine::new());
        assert_eq!(copy.source(), None);
        assert_eq!(rhai::Engine::new().eval_ast::<i64>(&copy).unwrap(), 7);
        // An engine that cannot compile the text gets a clone, nameless as well.
        let mut strict = rhai::Engine::new();
        strict.set_max_expr_depths(1, 1);
        assert!(strict.compile("triple(2) + 1").is_err());
        let copy = script.compile_copy(&strict);
        assert_eq!(copy.source(), None);
        assert_eq!(rhai::Engine::new().eval_ast::<i64>(&copy).unwrap(), 7);
    }
}
