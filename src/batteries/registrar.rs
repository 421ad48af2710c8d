//! Where native functions are registered: on an engine, as its own, or in a module that many
//! engines share. A pool with far more workers than cores registers the batteries and the
//! capabilities once, in a module its workers share, instead of once a worker (~50 KB each).

use rhai::{Engine, FuncRegistration, Module, RhaiNativeFunc};

/// An engine or a module, to register native functions on.
pub(crate) trait Registrar {
    /// Registers `func` as `name`, as [`Engine::register_fn`] does.
    fn register_fn<
        A: 'static,
        const N: usize,
        const X: bool,
        R: Clone + Send + Sync + 'static,
        const F: bool,
    >(
        &mut self,
        name: &str,
        func: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    ) -> &mut Self;

    /// Registers `func` as `registration` describes it (its name, purity, volatility).
    fn register_as<
        A: 'static,
        const N: usize,
        const X: bool,
        R: Clone + Send + Sync + 'static,
        const F: bool,
    >(
        &mut self,
        registration: FuncRegistration,
        func: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    ) -> &mut Self;

    /// Registers `func`, which changes its first argument, as `name`. Rhai takes a registered
    /// function as pure (leaving its first argument as it was) unless told, and lets a pure one
    /// be called as a method on a constant: on a pool's variable, a constant that every job of
    /// a worker shares, the change would carry over to all its later jobs. Rhai refuses a
    /// function registered this way on a constant, as it refuses `push`.
    fn register_mutating<
        A: 'static,
        const N: usize,
        const X: bool,
        R: Clone + Send + Sync + 'static,
        const F: bool,
    >(
        &mut self,
        name: &str,
        func: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    ) -> &mut Self {
        self.register_as(FuncRegistration::new(name).with_purity(false), func)
    }
}

impl Registrar for Engine {
    fn register_fn<
        A: 'static,
        const N: usize,
        const X: bool,
        R: Clone + Send + Sync + 'static,
        const F: bool,
    >(
        &mut self,
        name: &str,
        func: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    ) -> &mut Self {
        Engine::register_fn(self, name, func)
    }

    fn register_as<
        A: 'static,
        const N: usize,
        const X: bool,
        R: Clone + Send + Sync + 'static,
        const F: bool,
    >(
        &mut self,
        registration: FuncRegistration,
        func: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    ) -> &mut Self {
        registration.register_into_engine(self, func);
        self
    }
}

impl Registrar for Module {
    fn register_fn<
        A: 'static,
        const N: usize,
        const X: bool,
        R: Clone + Send + Sync + 'static,
        const F: bool,
    >(
        &mut self,
        name: &str,
        func: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    ) -> &mut Self {
        self.register_as(FuncRegistration::new(name), func)
    }

    fn register_as<
        A: 'static,
        const N: usize,
        const X: bool,
        R: Clone + Send + Sync + 'static,
        const F: bool,
    >(
        &mut self,
        registration: FuncRegistration,
        func: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    ) -> &mut Self {
        // Global: scripts call them without a module's name, as an engine's own.
        registration
            .in_global_namespace()
            .set_into_module(self, func);
        self
    }
}
