//! `env(name)`: an environment variable, when `--allow-env` grants it; `()` when it is not set.

use crate::batteries::registrar::Registrar;
use std::sync::Arc;

use rhai::Dynamic;

use super::{Capability, Permissions, failed, refused};

pub(super) fn register(engine: &mut impl Registrar, permissions: &Arc<Permissions>) {
    let permissions = permissions.clone();
    engine.register_fn("env", move |name: &str| {
        if !permissions.grant(Capability::Env).allows(name) {
            return Err(refused(Capability::Env, name));
        }
        match std::env::var(name) {
            Ok(value) => Ok(Dynamic::from(value)),
            Err(std::env::VarError::NotPresent) => Ok(Dynamic::UNIT),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(failed("env", format!("{name} is not UTF-8 text")))
            }
        }
    });
}
