//! Where native functions are registered: on an engine, as its own, or in a module that many
//! engines share. A pool with far more workers than cores registers the batteries and the
//! capabilities once, in a module its workers share, instead of once a worker (~50 KB each).

use std::any::TypeId;

use rhai::{Dynamic, Engine, FuncRegistration, Module, RhaiNativeFunc, Variant};

/// How a `for` loop goes through a value of a type: one value after another.
pub(crate) type TypeIterator = Box<dyn Iterator<Item = Dynamic>>;

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

    /// Registers `T`, which `for` loops go through as an iterator, named `name` by `type_of`.
    fn register_iterable<T>(&mut self, name: &str)
    where
        T: Variant + Clone + IntoIterator,
        <T as IntoIterator>::Item: Variant + Clone;

    /// Registers how `for` loops go through values of the type `type_id`, found before the
    /// standard library's way.
    fn register_type_iterator(
        &mut self,
        type_id: TypeId,
        iterate: impl Fn(Dynamic) -> TypeIterator + Send + Sync + 'static,
    );
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

    fn register_iterable<T>(&mut self, name: &str)
    where
        T: Variant + Clone + IntoIterator,
        <T as IntoIterator>::Item: Variant + Clone,
    {
        self.register_type_with_name::<T>(name);
        self.register_iterator::<T>();
    }

    fn register_type_iterator(
        &mut self,
        type_id: TypeId,
        iterate: impl Fn(Dynamic) -> TypeIterator + Send + Sync + 'static,
    ) {
        // An engine takes a type's iterator only from a module: one registered after the
        // standard library comes before it.
        let mut module = Module::new();
        module.set_iter(type_id, iterate);
        self.register_global_module(module.into());
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

    fn register_iterable<T>(&mut self, name: &str)
    where
        T: Variant + Clone + IntoIterator,
        <T as IntoIterator>::Item: Variant + Clone,
    {
        self.set_custom_type::<T>(name);
        self.set_iterable::<T>();
    }

    fn register_type_iterator(
        &mut self,
        type_id: TypeId,
        iterate: impl Fn(Dynamic) -> TypeIterator + Send + Sync + 'static,
    ) {
        self.set_iter(type_id, iterate);
    }
}
