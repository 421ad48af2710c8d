//! Injected variables from `--var NAME=VALUE` and `--vars FILE.json`.

use std::path::Path;

use anyhow::{Context, bail};
use rsparallel::rhai::Dynamic;
use rsparallel::value::json_to_dynamic;

/// The variables of `--vars FILE` first, then each `--var`, so that a flag overrides the file.
pub fn collect(flags: &[String], file: Option<&Path>) -> anyhow::Result<Vec<(String, Dynamic)>> {
    let mut vars = Vec::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --vars file {}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("--vars file {} is not valid JSON", path.display()))?;
        let serde_json::Value::Object(fields) = json else {
            bail!("--vars file {} must hold a JSON object", path.display());
        };
        for (name, value) in fields {
            check_name(&name).with_context(|| format!("in --vars file {}", path.display()))?;
            vars.push((name, json_to_dynamic(value)));
        }
    }
    for flag in flags {
        let Some((name, value)) = flag.split_once('=') else {
            bail!("--var {flag}: expected NAME=VALUE");
        };
        check_name(name).with_context(|| format!("--var {flag}"))?;
        let value = match serde_json::from_str(value) {
            Ok(json) => json_to_dynamic(json),
            Err(_) => Dynamic::from(value.to_string()),
        };
        vars.push((name.to_string(), value));
    }
    Ok(vars)
}

fn check_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        bail!("'{name}' is not a valid variable name");
    }
    if rsparallel::is_job_variable(name) {
        bail!("'{name}' is set by rsparallel for each job and cannot be injected");
    }
    Ok(())
}
