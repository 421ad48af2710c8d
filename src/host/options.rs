//! Reading the options maps host scripts pass: every key checked, every bad value a clear
//! error that names the function and the option.

use std::time::Duration;

use rhai::{Dynamic, INT, Map};

use crate::host::batch_handle::BatchHandle;
use crate::{BatchId, JobStatus, RunOptions, RunspacePool, ScriptVm, SeqFilter, Wait};

/// The options of `new_runspace_pool`, with the names of the CLI's flags.
#[derive(Default)]
pub(crate) struct PoolOptions {
    pub(crate) threads: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_ops: u64,
    pub(crate) max_call_depth: Option<usize>,
    /// `None`: the default; `Some(None)`: no cap.
    pub(crate) max_memory: Option<Option<u64>>,
    pub(crate) variables: Vec<(String, Dynamic)>,
    pub(crate) functions: Vec<String>,
    /// `None`: the host's default ([`Host::vm`](crate::host::Host::vm)).
    pub(crate) vm: Option<ScriptVm>,
}

const POOL_KEYS: &str =
    "threads, timeout, max_ops, max_call_depth, max_memory, variables, functions, vm";

pub(crate) fn pool_options(map: &Map) -> Result<PoolOptions, String> {
    let f = "new_runspace_pool";
    let mut options = PoolOptions::default();
    for (key, value) in map {
        match key.as_str() {
            "threads" => options.threads = count(f, key, value)? as usize,
            "timeout" => options.timeout = Some(duration(f, key, value)?),
            "max_ops" => options.max_ops = count(f, key, value)?,
            "max_call_depth" => {
                options.max_call_depth = Some(count(f, key, value)? as usize);
            }
            "max_memory" => options.max_memory = Some(size(f, key, value)?),
            "variables" => options.variables = variables("new_runspace_pool", value)?,
            "functions" => options.functions = paths(f, key, value)?,
            "vm" => options.vm = Some(vm(f, key, value)?),
            other => return Err(unknown(f, other, POOL_KEYS)),
        }
    }
    Ok(options)
}

const JOB_KEYS: &str =
    "timeout, keep_order, retries, retry_on, halt, total_timeout, shard, variables";

/// The options of `new_runspace_job`: a run's options, as `rsparallel run` takes them.
pub(crate) fn job_options(map: &Map) -> Result<RunOptions, String> {
    let f = "new_runspace_job";
    let mut options = RunOptions::default();
    for (key, value) in map {
        options = match key.as_str() {
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
            other => return Err(unknown(f, other, JOB_KEYS)),
        };
    }
    Ok(options)
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
}

pub(crate) fn receive_options(map: &Map, pool: &RunspacePool) -> Result<ReceiveOptions, String> {
    let f = "receive_runspace_job";
    let mut options = ReceiveOptions {
        wait: Wait::No,
        batch: None,
        keep: false,
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
            other => return Err(unknown(f, other, "wait, batch, keep")),
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
fn duration(f: &str, key: &str, value: &Dynamic) -> Result<Duration, String> {
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
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Dynamic)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone()))
            .collect()
    }

    fn pool() -> RunspacePool {
        RunspacePool::builder().threads(1).build().unwrap()
    }

    #[test]
    fn durations_are_strings_or_milliseconds() {
        let o = pool_options(&map(&[("timeout", "2s".into())])).unwrap();
        assert_eq!(o.timeout, Some(Duration::from_secs(2)));
        let o = pool_options(&map(&[("timeout", Dynamic::from(250_i64))])).unwrap();
        assert_eq!(o.timeout, Some(Duration::from_millis(250)));
        let err = pool_options(&map(&[("timeout", "soon".into())]))
            .err()
            .unwrap();
        assert!(err.contains("\"soon\" is not a duration"), "{err}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = pool_options(&map(&[("thread", Dynamic::from(2_i64))]))
            .err()
            .unwrap();
        assert!(err.contains("unknown option 'thread'"), "{err}");
        let err = pool_options(&map(&[("threads", Dynamic::from(-1_i64))]))
            .err()
            .unwrap();
        assert!(err.contains("'threads' must not be negative"), "{err}");
        let err = receive_options(&map(&[("wait", "later".into())]), &pool())
            .err()
            .unwrap();
        assert!(
            err.contains("'wait' must be true, false or a duration"),
            "{err}"
        );
    }

    #[test]
    fn wait_takes_a_flag_or_a_duration() {
        let o = receive_options(&map(&[("wait", true.into())]), &pool()).unwrap();
        assert_eq!(o.wait, Wait::Yes);
        let o = receive_options(&map(&[("wait", "1s".into())]), &pool()).unwrap();
        assert_eq!(o.wait, Wait::For(Duration::from_secs(1)));
    }

    #[test]
    fn vm_is_tree_or_grain() {
        assert_eq!(pool_options(&Map::new()).unwrap().vm, None);
        let o = pool_options(&map(&[("vm", "grain".into())])).unwrap();
        assert_eq!(o.vm, Some(ScriptVm::Grain));
        let err = pool_options(&map(&[("vm", "fast".into())])).err().unwrap();
        assert!(err.contains("option 'vm': unknown vm 'fast'"), "{err}");
        let err = pool_options(&map(&[("vm", true.into())])).err().unwrap();
        assert!(
            err.contains("'vm' must be \"auto\", \"tree\" or \"grain\""),
            "{err}"
        );
    }

    #[test]
    fn the_job_variables_cannot_be_injected() {
        for name in ["item", "seq", "attempt"] {
            let vars: Map = map(&[(name, Dynamic::from(1_i64))]);
            let err = pool_options(&map(&[("variables", vars.into())]))
                .err()
                .unwrap();
            assert!(
                err.contains(&format!("'{name}' is set by rsparallel")),
                "{err}"
            );
        }
    }
}
