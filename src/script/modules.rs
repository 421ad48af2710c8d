//! Module resolution for `import`: only from the folders the pool names (the script's own
//! folder, `--module-path`), never from an absolute path or one that climbs out with `..`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

/// Resolves `import "name"` to `ROOT/name.rhai` for the first root that has it.
pub(crate) struct SandboxedResolver {
    roots: Vec<PathBuf>,
    /// Compiled modules, shared by the workers: a module is read and evaluated once.
    cache: Arc<Mutex<HashMap<PathBuf, Shared<Module>>>>,
}

impl SandboxedResolver {
    pub(crate) fn new(
        roots: &[PathBuf],
        cache: Arc<Mutex<HashMap<PathBuf, Shared<Module>>>>,
    ) -> Self {
        SandboxedResolver {
            roots: roots.to_vec(),
            cache,
        }
    }

    fn find(&self, path: &str) -> Result<PathBuf, String> {
        let relative = Path::new(path);
        let climbs = relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)));
        if climbs {
            return Err(format!(
                "module '{path}' must be a plain relative name (no '..', no absolute path)"
            ));
        }
        if self.roots.is_empty() {
            return Err(format!(
                "module '{path}' not found: no module folder is allowed (see --module-path)"
            ));
        }
        let file = relative.with_extension("rhai");
        for root in &self.roots {
            let candidate = root.join(&file);
            let (Ok(real), Ok(real_root)) = (candidate.canonicalize(), root.canonicalize()) else {
                continue;
            };
            // A symbolic link must not lead out of the module folder either.
            if real.starts_with(&real_root) && real.is_file() {
                return Ok(real);
            }
        }
        Err(format!("module '{path}' not found in the module folders"))
    }
}

impl ModuleResolver for SandboxedResolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        // Not `ErrorModuleNotFound`: the engine replaces that with a bare "not found", and the
        // reason (a path that climbs out, no module folder) is what the user needs.
        let not_found = |why: String| Box::new(EvalAltResult::ErrorRuntime(why.into(), pos));
        let file = self.find(path).map_err(not_found)?;
        if let Some(module) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&file)
        {
            return Ok(module.clone());
        }
        let source = std::fs::read_to_string(&file)
            .map_err(|e| not_found(format!("module '{path}' cannot be read: {e}")))?;
        // A byte order mark, as some editors write, is not Rhai.
        let source = source.strip_prefix('\u{feff}').unwrap_or(&source);
        let mut ast = engine.compile(source).map_err(|e| {
            Box::new(EvalAltResult::ErrorInModule(
                path.to_string(),
                e.into(),
                pos,
            ))
        })?;
        ast.set_source(file.display().to_string());
        let module: Shared<Module> = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(path.to_string(), e, pos)))?
            .into();
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(file, module.clone());
        Ok(module)
    }
}
