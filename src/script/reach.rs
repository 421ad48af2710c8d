//! What functions a script's jobs can reach besides the script's own and the engine's: a
//! module's, through `import` (or `eval`, which can import), or another script's, through a
//! function pointer handed in. Inside such a function Rhai resolves calls against its own
//! environment, but caches them where the caller's resolutions go, under the same keys; a
//! worker keeps those resolutions from one job to the next only for scripts that reach none
//! (see `worker::runspace::tree_walker`).

use rhai::{AST, ASTNode, Array, Dynamic, Expr, Map, Stmt};

/// Whether `ast` (its statements and its functions' bodies) imports a module or calls `eval`.
pub(crate) fn may_import(ast: &AST) -> bool {
    !ast.walk(&mut |path: &[ASTNode]| match path.last() {
        Some(ASTNode::Stmt(Stmt::Import(..))) => false,
        Some(
            ASTNode::Stmt(Stmt::FnCall(call, _))
            | ASTNode::Expr(Expr::FnCall(call, _) | Expr::MethodCall(call, _)),
        ) => call.name != "eval",
        _ => true,
    })
}

/// Whether `value` is or holds a function pointer, which may carry another script's functions.
/// A shared value (a closure's captured variable) counts as one: it may hold anything, and may
/// hold itself.
pub(crate) fn holds_function(value: &Dynamic) -> bool {
    if value.is_string() || value.is_int() || value.is_unit() {
        return false;
    }
    if value.is_fnptr() || value.is_shared() {
        return true;
    }
    if let Some(array) = value.read_lock::<Array>() {
        return array.iter().any(holds_function);
    }
    if let Some(map) = value.read_lock::<Map>() {
        return map.values().any(holds_function);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_found_anywhere_in_a_script() {
        let engine = rhai::Engine::new();
        let finds = |source: &str| may_import(&engine.compile(source).unwrap());
        assert!(finds(r#"import "m" as m; m::f()"#));
        assert!(finds(r#"fn g() { import "m" as m; 1 } g()"#), "fn import");
        assert!(finds(
            r#"fn g(x) { if x { import "m" as m; m::f() } } g(item)"#
        ));
        assert!(finds(r#"eval("1")"#), "top");
        assert!(finds(r#"fn g() { eval("1") } g()"#), "fn");
        assert!(finds(r#"let x = || eval("1"); x.call()"#), "closure");
        assert!(!finds("fn f(x) { x + 1 } f(item); item.len()"));
    }

    #[test]
    fn function_pointers_are_found_in_arrays_and_maps() {
        let engine = rhai::Engine::new();
        let value = |source: &str| engine.eval::<Dynamic>(source).unwrap();
        assert!(holds_function(&value(r#"#{ a: [1, Fn("f")] }"#)));
        assert!(holds_function(&value("let y = 1; let f = |x| x + y; f")));
        assert!(!holds_function(&value(r#"#{ a: [1, "f", #{ b: 2.5 }] }"#)));
    }
}
