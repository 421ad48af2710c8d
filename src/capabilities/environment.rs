//! `env(name)`: an environment variable, when `--allow-env` grants it.

use std::sync::Arc;

use rhai::{Dynamic, Engine};

use super::{Capability, Permissions, refused};

pub(super) fn register(engine: &mut Engine, permissions: &Arc<Permissions>) {
    let permissions = permissions.clone();
    engine.register_fn("env", move |name: &str| {
        if !permissions.grant(Capability::Env).allows(name) {
            return Err(refused(Capability::Env, name));
        }
        // A variable that is not set, or not text, is `()`.
        Ok(std::env::var(name).map_or(Dynamic::UNIT, Dynamic::from))
    });
}
