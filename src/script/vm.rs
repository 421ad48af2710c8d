//! Which of Rhai's two interpreters runs a pool's job scripts.

use std::fmt;
use std::str::FromStr;

/// The interpreter a pool's workers run job scripts with, set by
/// [`RunspacePoolBuilder::vm`](crate::RunspacePoolBuilder::vm); the tree walker when not set.
/// (The command line's `RSPARALLEL_VM` is read by the command line only: a pool embedded in an
/// application runs as the application built it, whatever its environment says.)
///
/// Both run the same compiled script against the same engine (functions, limits, hooks). The
/// tree walker is the default because it is Rhai's reference; grain is faster on loops but
/// gives different answers on some scripts (see [`Grain`](ScriptVm::Grain)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScriptVm {
    /// Experimental, opt-in: each script runs on grain unless it has functions of its own,
    /// imports, or constants its functions read, which go to the tree walker. It inherits
    /// every difference of [`Grain`](ScriptVm::Grain).
    Auto,
    /// The default: Rhai's syntax-tree walker, which gives Rhai's reference answers: those of
    /// the engine's own `eval_ast_with_scope`, with the calls it has resolved kept from one
    /// job to the next (held to the same answers by `tests/differential.rs`).
    #[default]
    TreeWalker,
    /// Experimental, opt-in. Rhai's own documentation marks its bytecode VM experimental, and
    /// it gives wrong answers on some scripts: with any variable in the scope (every job has
    /// `item`, `seq` and `attempt`), a `for (x, i) in ..` loop's counter `i` is `()` on every
    /// pass. `tests/differential.rs` runs a corpus of scripts on both interpreters and lists
    /// every difference it finds.
    ///
    /// Rhai's bytecode VM (`rhai::grain`): each worker compiles its copy of the script once
    /// more, to bytecode, before its first job of it, and keeps one `Vm` for all its jobs.
    ///
    /// Faster on scripts whose time goes into loops (1.34× fewer instructions on a loop of
    /// additions), and no slower on one-line scripts. Slower (1.28× on a one-line job) on scripts that
    /// define functions or closures, which grain registers anew for each job so that natives
    /// such as `map` can call them (the pool's function libraries are spared), and on scripts
    /// that `import` (or declare constants their functions read), after each job of which the
    /// worker rebuilds its VM, since a VM keeps what they leave behind. A job stopped inside a
    /// loop by its timeout, a cancel or `max_ops` is reported at the nearest instruction with a
    /// source position, a few columns from where the tree walker would say.
    Grain,
}

impl ScriptVm {
    /// The name the CLI's `--vm` and the host API's `vm` option use: `auto`, `tree` or
    /// `grain`.
    pub fn name(self) -> &'static str {
        match self {
            ScriptVm::Auto => "auto",
            ScriptVm::TreeWalker => "tree",
            ScriptVm::Grain => "grain",
        }
    }
}

impl fmt::Display for ScriptVm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ScriptVm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(ScriptVm::Auto),
            "tree" => Ok(ScriptVm::TreeWalker),
            "grain" => Ok(ScriptVm::Grain),
            other => Err(format!("unknown vm '{other}' (known: auto, tree, grain)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for vm in [ScriptVm::Auto, ScriptVm::TreeWalker, ScriptVm::Grain] {
            assert_eq!(vm.name().parse::<ScriptVm>(), Ok(vm));
        }
        assert_eq!(ScriptVm::default(), ScriptVm::TreeWalker);
        assert!(
            "bytecode"
                .parse::<ScriptVm>()
                .unwrap_err()
                .contains("auto, tree, grain")
        );
    }
}
