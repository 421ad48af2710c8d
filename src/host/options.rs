//! Reading the options maps host scripts pass: every key checked, every bad value a clear
//! error that names the function and the option.

use std::time::Duration;

use rhai::{Dynamic, INT, Map};

use crate::capabilities::{Capability, Permissions};
use crate::host::batch_handle::BatchHandle;
use crate::{
    BatchId, JobStatus, RunOptions, RunspacePool, RunspacePoolBuilder, ScriptVm, SeqFilter, Wait,
};

const POOL_KEYS: &str =
    "threads, timeout, max_ops, max_call_depth, max_memory, variables, functions, vm, allow";

/// The options of `new_runspace_pool`, with the names of the CLI's flags, set on `builder`
/// (which holds the host's defaults): the pool's one options type, as for `rsparallel run`.
pub(crate) fn pool_builder(
    map: &Map,
    mut builder: RunspacePoolBuilder,
    host_permissions: &Permissions,
) -> Result<RunspacePoolBuilder, String> {
    let f = "new_runspace_pool";
    for (key, value) in map {
        builder = match key.as_str() {
            "threads" => builder.threads(count(f, key, value)? as usize),
            "timeout" => builder.timeout(duration(f, key, value)?),
            "max_ops" => builder.max_operations(count(f, key, value)?),
            "max_call_depth" => builder.max_call_depth(count(f, key, value)? as usize),
            // `none` (or 0) leaves the pool without a cap: the caller sets its default only
            // when the map has no `max_memory`.
            "max_memory" => match size(f, key, value)? {
                Some(bytes) => builder.max_memory(bytes),
                None => builder,
            },
            "variables" => variables(f, value)?
                .into_iter()
                .fold(builder, |b, (name, value)| b.variable(name, value)),
            // Read as the host script's own `read_file` would: no further than its grant.
            "functions" => paths(f, key, value)?.iter().try_fold(builder, |b, path| {
                crate::capabilities::read_granted_text(host_permissions, f, path)
                    .map(|source| b.functions_source(path, source))
                    .map_err(|e| match *e {
                        rhai::EvalAltResult::ErrorRuntime(why, _) => why.to_string(),
                        other => other.to_string(),
                    })
            })?,
            "vm" => builder.vm(vm(f, key, value)?),
            "allow" => builder.permissions(allow(f, value, host_permissions)?),
            other => return Err(unknown(f, other, POOL_KEYS)),
        };
    }
    Ok(builder)
}

const JOB_KEYS: &str = "name, timeout, keep_order, retries, retry_on, halt, total_timeout, shard, variables, begin, end, reduce";

/// The options of `new_runspace_job`: a name for the session's job list, and a run's options,
/// as `rsparallel run` takes them; `compile` compiles the aggregation's scripts (`begin`,
/// `end`, `reduce`), given the option's name and its source.
pub(crate) fn job_options(
    map: &Map,
    compile: impl Fn(&str, &str) -> Result<crate::Script, String>,
) -> Result<(Option<String>, RunOptions), String> {
    let f = "new_runspace_job";
    let mut options = RunOptions::default();
    let mut name = None;
    for (key, value) in map {
        options = match key.as_str() {
            "name" => {
                name = Some(text(f, key, value)?);
                options
            }
            "timeout" => options.timeout(duration(f, key, value)?),
            "keep_order" => options.keep_order(flag(f, key, value)?),
            "retries" => {
                let retries = count(f, key, value)?;
                options.retries(u32::try_from(retries).unwrap_or(u32::MAX))
            }
            "retry_on" => options.retry_on(retry_on(f, key, value)?),
            "halt" => options.halt(
                text(f, key, value)?
                    .parse()
                    .map_err(|e| format!("{f}: option '{key}': {e}"))?,
            ),
            "total_timeout" => options.total_timeout(duration(f, key, value)?),
            "shard" => {
                let shard = text(f, key, value)?;
                let (k, n) = SeqFilter::parse_shard(&shard).map_err(|e| format!("{f}: {e}"))?;
                options.select(SeqFilter::shard(k, n))
            }
            "variables" => {
                let mut options = options;
                options.variables = variables(f, value)?;
                options
            }
            "begin" => options.begin(compile(key, &text(f, key, value)?)?),
            "end" => options.end(compile(key, &text(f, key, value)?)?),
            "reduce" => options.reduce(compile(key, &text(f, key, value)?)?),
            other => return Err(unknown(f, other, JOB_KEYS)),
        };
    }
    Ok((name, options))
}

/// A string option.
fn text(f: &str, key: &str, value: &Dynamic) -> Result<String, String> {
    value.clone().into_string().map_err(|_| {
        format!(
            "{f}: option '{key}' must be a string, not {}",
            describe(value)
        )
    })
}

/// The statuses to retry: an array of names, or one name.
fn retry_on(f: &str, key: &str, value: &Dynamic) -> Result<Vec<JobStatus>, String> {
    let names: Vec<Dynamic> = match value.clone().into_array() {
        Ok(array) => array,
        Err(_) => vec![value.clone()],
    };
    names
        .iter()
        .map(|name| {
            RunOptions::retry_status(&text(f, key, name)?)
                .map_err(|e| format!("{f}: option '{key}': {e}"))
        })
        .collect()
}

/// The options of `receive_runspace_job`.
pub(crate) struct ReceiveOptions {
    pub(crate) wait: Wait,
    pub(crate) batch: Option<BatchId>,
    pub(crate) keep: bool,
    /// The outputs alone, in record order, instead of the records.
    pub(crate) outputs: bool,
    /// A function to hand each record to as it finishes, until the batches are done, instead
    /// of returning the records.
    pub(crate) each: Option<rhai::FnPtr>,
}

pub(crate) fn receive_options(map: &Map, pool: &RunspacePool) -> Result<ReceiveOptions, String> {
    let f = "receive_runspace_job";
    let mut options = ReceiveOptions {
        wait: Wait::No,
        batch: None,
        keep: false,
        outputs: false,
        each: None,
    };
    for (key, value) in map {
        match key.as_str() {
            "wait" => {
                options.wait = match value.as_bool() {
                    Ok(true) => Wait::Yes,
                    Ok(false) => Wait::No,
                    Err(_) => Wait::For(duration(f, key, value).map_err(|_| {
                        format!("{f}: option 'wait' must be true, false or a duration like \"5s\" or 500 (ms)")
                    })?),
                };
            }
            "batch" => options.batch = Some(batch_id(f, value, pool)?),
            "keep" => options.keep = flag(f, key, value)?,
            "outputs" => options.outputs = flag(f, key, value)?,
            "each" => {
                let function = value.read_lock::<rhai::FnPtr>().map(|f| f.clone());
                options.each = Some(function.ok_or_else(|| {
                    format!("{f}: option 'each' must be a function, like |r| print(r.output)")
                })?);
            }
            other => return Err(unknown(f, other, "wait, batch, keep, outputs, each")),
        }
    }
    Ok(options)
}

/// The options of `clear_runspace_jobs`: whether to cancel the jobs not yet finished.
pub(crate) fn clear_options(map: &Map) -> Result<bool, String> {
    let f = "clear_runspace_jobs";
    let mut cancel = false;
    for (key, value) in map {
        match key.as_str() {
            "cancel" => cancel = flag(f, key, value)?,
            other => return Err(unknown(f, other, "cancel")),
        }
    }
    Ok(cancel)
}

/// A batch given as the handle `new_runspace_job` returned, or as its number in `pool`. A
/// handle from another pool is refused: its number would name one of this pool's batches.
pub(crate) fn batch_id(f: &str, value: &Dynamic, pool: &RunspacePool) -> Result<BatchId, String> {
    if let Some(handle) = value.read_lock::<BatchHandle>() {
        return match handle.id.is_of(pool.id) {
            true => Ok(handle.id),
            false => Err(format!("{f}: {} belongs to another pool", *handle)),
        };
    }
    match value.as_int() {
        Ok(n) if n >= 0 => Ok(BatchId::new(pool.id, n as u64)),
        _ => Err(format!(
            "{f}: a batch is what new_runspace_job returned, or its number; not {}",
            describe(value)
        )),
    }
}

/// A duration: a string humantime reads ("250ms", "2s", "1m") or an integer of milliseconds.
pub(crate) fn duration(f: &str, key: &str, value: &Dynamic) -> Result<Duration, String> {
    if let Ok(ms) = value.as_int() {
        return u64::try_from(ms)
            .map(Duration::from_millis)
            .map_err(|_| format!("{f}: option '{key}' must not be negative, got {ms}"));
    }
    if let Some(text) = value.read_lock::<rhai::ImmutableString>() {
        return humantime::parse_duration(text.trim()).map_err(|e| {
            format!(
                "{f}: option '{key}': \"{text}\" is not a duration ({e})",
                text = text.as_str()
            )
        });
    }
    Err(format!(
        "{f}: option '{key}' must be a duration like \"2s\" or milliseconds, not {}",
        describe(value)
    ))
}

/// A size in bytes (`"256MiB"`, or an integer), or no limit (`"none"`, `0`, `()`).
fn size(f: &str, key: &str, value: &Dynamic) -> Result<Option<u64>, String> {
    if value.is_unit() {
        return Ok(None);
    }
    if let Some(text) = value.read_lock::<rhai::ImmutableString>() {
        if text.trim() == "none" {
            return Ok(None);
        }
        let bytes = crate::parse_size(&text).map_err(|e| format!("{f}: option '{key}': {e}"))?;
        return Ok((bytes > 0).then_some(bytes));
    }
    count(f, key, value).map(|bytes| (bytes > 0).then_some(bytes))
}

fn count(f: &str, key: &str, value: &Dynamic) -> Result<u64, String> {
    match value.as_int() {
        Ok(n) => u64::try_from(n)
            .map_err(|_| format!("{f}: option '{key}' must not be negative, got {n}")),
        Err(_) => Err(format!(
            "{f}: option '{key}' must be an integer, not {}",
            describe(value)
        )),
    }
}

fn flag(f: &str, key: &str, value: &Dynamic) -> Result<bool, String> {
    value.as_bool().map_err(|_| {
        format!(
            "{f}: option '{key}' must be true or false, not {}",
            describe(value)
        )
    })
}

/// The pool option `allow`: `#{ read: true, net: "example.com", run: ["git"] }`, or
/// `#{ all: true }`; a capability's value is `true` (all of it), a comma-separated list or an
/// array. Only what the host script was granted itself can be granted.
fn allow(f: &str, value: &Dynamic, host: &Permissions) -> Result<Permissions, String> {
    let shape =
        || format!("{f}: option 'allow' must be a map like #{{ read: \"/data\", net: true }}");
    let map = value.read_lock::<Map>().ok_or_else(shape)?;
    let mut permissions = Permissions::none();
    for (name, grant) in map.iter() {
        if name.as_str() == "all" && grant.as_bool() == Ok(true) {
            permissions = Permissions::all();
            continue;
        }
        let capability = Capability::from_name(name).ok_or_else(|| {
            format!(
                "{f}: option 'allow': unknown capability '{name}' (read, write, net, run, env, all)"
            )
        })?;
        let lists: Vec<Option<String>> = if let Ok(all) = grant.as_bool() {
            if !all {
                continue;
            }
            vec![None]
        } else if let Some(array) = grant.read_lock::<rhai::Array>() {
            array.iter().map(|item| Some(item.to_string())).collect()
        } else {
            vec![Some(grant.to_string())]
        };
        for list in lists {
            if let Some(list) = &list {
                capability
                    .check_list(list)
                    .map_err(|problem| format!("{f}: option 'allow': {capability}: {problem}"))?;
            }
            permissions = permissions.allow(capability, list.as_deref());
        }
    }
    if let Some((capability, item)) = permissions.beyond(host) {
        let what = if item.is_empty() {
            String::from("all")
        } else {
            format!("{item:?}")
        };
        return Err(format!(
            "{f}: option 'allow': {capability} access to {what} is not granted to this script \
             (rsparallel exec or repl {})",
            capability.flag()
        ));
    }
    Ok(permissions)
}

/// A pool's or a batch's variables: a map of names to values.
fn variables(f: &str, value: &Dynamic) -> Result<Vec<(String, Dynamic)>, String> {
    let Some(map) = value.read_lock::<Map>() else {
        return Err(format!(
            "{f}: option 'variables' must be a map like #{{ base: 10 }}, not {}",
            describe(value)
        ));
    };
    map.iter()
        .map(|(name, value)| {
            if crate::worker::runspace::is_job_variable(name) {
                return Err(format!(
                    "{f}: variable '{name}' is set by rsparallel for each job and cannot be injected"
                ));
            }
            Ok((name.to_string(), value.clone()))
        })
        .collect()
}

fn paths(f: &str, key: &str, value: &Dynamic) -> Result<Vec<String>, String> {
    let wrong = || {
        format!(
            "{f}: option '{key}' must be a path or an array of paths, not {}",
            describe(value)
        )
    };
    if let Some(path) = value.read_lock::<rhai::ImmutableString>() {
        return Ok(vec![path.to_string()]);
    }
    let Some(array) = value.read_lock::<rhai::Array>() else {
        return Err(wrong());
    };
    array
        .iter()
        .map(|p| {
            p.read_lock::<rhai::ImmutableString>()
                .map(|s| s.to_string())
        })
        .collect::<Option<_>>()
        .ok_or_else(wrong)
}

fn vm(f: &str, key: &str, value: &Dynamic) -> Result<ScriptVm, String> {
    value
        .read_lock::<rhai::ImmutableString>()
        .ok_or_else(|| {
            format!(
                "{f}: option '{key}' must be \"auto\", \"tree\" or \"grain\", not {}",
                describe(value)
            )
        })?
        .parse()
        .map_err(|e| format!("{f}: option '{key}': {e}"))
}

fn unknown(f: &str, key: &str, known: &str) -> String {
    format!("{f}: unknown option '{key}' (known: {known})")
}

/// A value's type for error messages, with the value itself when it is short.
fn describe(value: &Dynamic) -> String {
    let text = if value.is_string() {
        format!("{:?}", value.to_string())
    } else {
        value.to_string()
    };
    if text.chars().count() <= 20 && !value.is_unit() {
        format!("{} {text}", value.type_name())
    } else {
        value.type_name().to_string()
    }
}

/// Converts a non-negative count to Rhai's integer (counts never come near its limit).
pub(crate) fn int(n: u64) -> INT {
    INT::try_from(n).unwrap_or(INT::MAX)
}

#[cfg(test)]
mod tests;
