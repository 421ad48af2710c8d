//! The Rhai functions of the host API, and the table that documents them (the REPL's `help`
//! and its completion read it).

use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult, INT, Map, NativeCallContext, Position};

use crate::RunspacePool;
use crate::host::batch_handle::BatchHandle;
use crate::host::convert::{items, job_to_map, record_to_map, status_to_map};
use crate::host::options::{
    ReceiveOptions, batch_id, clear_options, job_options, pool_builder, receive_options,
};
use crate::host::pool_handle::{PoolHandle, Submitted};
use crate::host::{Host, Interrupt};

/// One function of the host API, as `help` lists it.
#[derive(Clone, Copy, Debug)]
pub struct HostFunction {
    /// The function's name, as scripts call it.
    pub name: &'static str,
    /// Its parameters, e.g. `(pool, script, items, options?)`.
    pub params: &'static str,
    /// What it does, in one line.
    pub summary: &'static str,
    /// A call that works as written.
    pub example: &'static str,
}

/// Every function of the host API.
pub const HOST_FUNCTIONS: &[HostFunction] = &[
    HostFunction {
        name: "new_runspace_pool",
        params: "(options?)",
        summary: "a pool of workers; options: threads, timeout, max_ops, max_call_depth, max_memory, variables, functions, vm (\"tree\", the default, or the experimental \"grain\" or \"auto\"), allow (what its jobs may reach: #{ read, write, net, run, env: true or a list }, no more than this script was granted)",
        example: r#"let pool = new_runspace_pool(#{ threads: 4, timeout: "2s", variables: #{ base: 10 } });"#,
    },
    HostFunction {
        name: "new_runspace_job",
        params: "(pool, script, items, options?)",
        summary: "submit a script (source text or #{ file: path }) over an array or range; returns at once; options as `run`'s flags: timeout, keep_order, retries, retry_on, halt, total_timeout, shard (\"K/N\"); variables: #{ name: value } for this batch's jobs; begin, end, reduce (per-worker state, as run's flags: see get_runspace_job_result); name (for get_runspace_jobs)",
        example: r#"let batch = new_runspace_job(pool, "item * base", 0..10000, #{ timeout: "100ms" });"#,
    },
    HostFunction {
        name: "receive_runspace_job",
        params: "(pool or batch, options?)",
        summary: "take finished records, of the pool's batches or of one; options: wait (true or a duration), batch, keep (leave them for a later receive), outputs (the outputs alone, not records), each (a function given each record as it finishes, until the batches are done)",
        example: "let records = receive_runspace_job(pool, #{ wait: true });",
    },
    HostFunction {
        name: "get_runspace_jobs",
        params: "()",
        summary: "the session's job list, like Get-Job: every batch of every pool alive: name, pool, batch, state (running, completed, failed, stopped), done, total, percent, failures, unreceived",
        example: "get_runspace_jobs()",
    },
    HostFunction {
        name: "wait_runspace_job",
        params: "(batch or [batches], options?)",
        summary: "wait, taking no record, for the batches to finish; options: any (one is enough), timeout; returns the batches finished",
        example: r#"wait_runspace_job([a, b], #{ any: true, timeout: "10s" })"#,
    },
    HostFunction {
        name: "get_runspace_job_result",
        params: "(batch)",
        summary: "a finished batch's aggregate: reduce's value, or an array of each worker's end value without reduce; () while it runs; throws if begin, end or reduce failed, or the batch has no aggregate (none of them, or forgotten); the batch is kept, its records received or not, until its result is read",
        example: r#"let b = new_runspace_job(pool, "n += item;", 1..=100, #{ begin: "let n = 0", end: "n", reduce: "a + b" }); wait_runspace_job(b); get_runspace_job_result(b)"#,
    },
    HostFunction {
        name: "stop_runspace_job",
        params: "(batch)",
        summary: "cancel a batch of any pool, as pool.stop(batch)",
        example: "stop_runspace_job(batch)",
    },
    HostFunction {
        name: "remove_runspace_job",
        params: "(batch)",
        summary: "cancel a batch and forget it with its records (also pool.remove(batch))",
        example: "remove_runspace_job(batch)",
    },
    HostFunction {
        name: "clear_runspace_jobs",
        params: "(pool, options?)",
        summary: "drop finished batches and their records; options: cancel (also stop queued and running jobs)",
        example: "clear_runspace_jobs(pool, #{ cancel: true });",
    },
    HostFunction {
        name: "status",
        params: "(pool)",
        summary: "counts per status of every job the pool ran, queued, running, unreceived, items_per_sec, threads, vm",
        example: "pool.status()",
    },
    HostFunction {
        name: "jobs",
        params: "(pool)",
        summary: "the pool's batches, as get_runspace_jobs() lists them",
        example: "pool.jobs()",
    },
    HostFunction {
        name: "stop",
        params: "(pool, batch)",
        summary: "cancel a batch: it reads no more items; queued jobs are not run, running ones end at their next operation",
        example: "pool.stop(batch)",
    },
    HostFunction {
        name: "close",
        params: "(pool)",
        summary: "shut the pool down: cancel its jobs and stop its workers",
        example: "pool.close()",
    },
    HostFunction {
        name: "sleep",
        params: "(ms)",
        summary: "wait this many milliseconds (Ctrl-C ends the wait)",
        example: "sleep(100)",
    },
];

pub(crate) type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

pub(crate) fn error(message: impl Into<String>) -> Box<EvalAltResult> {
    // The engine fills in the position of the call that failed.
    EvalAltResult::ErrorRuntime(message.into().into(), Position::NONE).into()
}

pub(crate) fn register(host: &Host, engine: &mut Engine) {
    engine
        .register_type_with_name::<PoolHandle>("RunspacePool")
        .register_fn("to_string", |p: &mut PoolHandle| p.to_string())
        .register_fn("to_debug", |p: &mut PoolHandle| p.to_string())
        .register_get("threads", |p: &mut PoolHandle| p.threads() as INT)
        .register_get("is_closed", |p: &mut PoolHandle| p.is_closed())
        .register_type_with_name::<BatchHandle>("RunspaceJob")
        .register_fn("to_string", |b: &mut BatchHandle| b.to_string())
        .register_fn("to_debug", |b: &mut BatchHandle| b.to_string())
        .register_get("id", |b: &mut BatchHandle| b.id.number() as INT)
        .register_get("script", |b: &mut BatchHandle| b.script.clone());

    let h = host.clone();
    engine.register_fn("new_runspace_pool", move || new_pool(&h, &Map::new()));
    let h = host.clone();
    engine.register_fn("new_runspace_pool", move |options: Map| {
        new_pool(&h, &options)
    });

    let h = host.clone();
    engine.register_fn(
        "new_runspace_job",
        move |pool: &mut PoolHandle, script: Dynamic, items: Dynamic| {
            new_job(&h, pool, script, items, &Map::new())
        },
    );
    let h = host.clone();
    engine.register_fn(
        "new_runspace_job",
        move |pool: &mut PoolHandle, script: Dynamic, items: Dynamic, options: Map| {
            new_job(&h, pool, script, items, &options)
        },
    );

    let h = host.clone();
    engine.register_fn(
        "receive_runspace_job",
        move |ctx: NativeCallContext, pool: &mut PoolHandle| receive(&ctx, pool, &Map::new(), &h),
    );
    let h = host.clone();
    engine.register_fn(
        "receive_runspace_job",
        move |ctx: NativeCallContext, pool: &mut PoolHandle, options: Map| {
            receive(&ctx, pool, &options, &h)
        },
    );

    engine.register_fn("clear_runspace_jobs", |pool: &mut PoolHandle| {
        clear(pool, &Map::new())
    });
    engine.register_fn(
        "clear_runspace_jobs",
        |pool: &mut PoolHandle, options: Map| clear(pool, &options),
    );

    engine.register_fn("status", |handle: &mut PoolHandle| -> RhaiResult<Dynamic> {
        let pool = handle.pool().map_err(error)?;
        let batches = handle.statuses();
        let rate = handle.rate(&batches);
        Ok(status_to_map(&pool.status(), &batches, rate))
    });
    engine.register_fn("jobs", |handle: &mut PoolHandle| -> RhaiResult<Dynamic> {
        handle.pool().map_err(error)?;
        let jobs: rhai::Array = handle
            .submitted()
            .iter()
            .map(|(job, status)| job_to_map(handle.number(), job, status))
            .collect();
        Ok(Dynamic::from(jobs))
    });
    engine.register_fn(
        "stop",
        |handle: &mut PoolHandle, batch: Dynamic| -> RhaiResult<bool> {
            let pool = handle.pool().map_err(error)?;
            Ok(handle.stop(batch_id("stop", &batch, &pool).map_err(error)?))
        },
    );
    engine.register_fn("close", |handle: &mut PoolHandle| handle.close());

    let interrupt = host.interrupt();
    engine.register_fn("sleep", move |ms: INT| sleep(ms, &interrupt));
}

fn new_pool(host: &Host, options: &Map) -> RhaiResult<PoolHandle> {
    let mut builder = RunspacePool::builder().vm(host.vm);
    // As in `rsparallel run`: a 1 GiB cap per job where allocations are counted.
    if crate::is_counting() && !options.contains_key("max_memory") {
        builder = builder.max_memory(crate::DEFAULT_MAX_MEMORY);
    }
    let mut builder = pool_builder(options, builder, &host.permissions).map_err(error)?;
    if let Some(sink) = host.stream_sink.clone() {
        builder = builder.on_stream(move |event| sink(event));
    }
    if let Some(setup) = host.setup.clone() {
        builder = builder.setup(move |engine| setup(engine));
    }
    let pool = builder
        .build()
        .map_err(|e| error(format!("new_runspace_pool: {e}")))?;
    let handle = PoolHandle::new(pool);
    host.session.add(&handle);
    Ok(handle)
}

fn new_job(
    host: &Host,
    handle: &mut PoolHandle,
    script: Dynamic,
    item_values: Dynamic,
    options: &Map,
) -> RhaiResult<BatchHandle> {
    let pool = handle.pool().map_err(error)?;
    // The functions the session defined, for every job script submitted after them.
    let functions = host.functions();
    let compile = |key: &str, source: &str| {
        pool.compile_with_functions(key, source, &functions)
            .map_err(|e| format!("new_runspace_job: option '{key}': {e}"))
    };
    let (name, options) = job_options(options, compile).map_err(error)?;
    let reduces = options.reduce.is_some();
    let aggregates = options.begin.is_some() || options.end.is_some();
    let mut derived_name = None;
    let compiled = if let Some(source) = script.read_lock::<rhai::ImmutableString>() {
        derived_name = Some(name_from_source(&source));
        pool.compile_with_functions("script", &source, &functions)
    } else if let Some(file) = script
        .read_lock::<Map>()
        .and_then(|m| m.get("file").and_then(|f| f.clone().into_string().ok()))
    {
        // Read as the host script's own `read_file` would: no further than its read grant.
        let source = crate::capabilities::read_granted_text(
            &host.permissions,
            "new_runspace_job",
            &file,
        )?;
        pool.compile_with_functions(&file, &source, &functions)
    } else {
        return Err(error(format!(
            "new_runspace_job: the script must be source text or #{{ file: \"path.rhai\" }}, not {}",
            script.type_name()
        )));
    }
    .map_err(|e| error(format!("new_runspace_job: {e}")))?;
    let items = items(item_values).map_err(error)?;
    // A shard runs only some of the items: its total is not known up front.
    let total = match items.size_hint() {
        (low, Some(high)) if low == high && options.select.is_none() => Some(low as u64),
        _ => None,
    };
    let batch = pool
        .submit(&compiled, items, options)
        .map_err(|e| error(format!("new_runspace_job: {e}")))?;
    let id = batch.id();
    let name = name
        .or(derived_name)
        .unwrap_or_else(|| compiled.name().to_string());
    handle.add(Submitted {
        batch,
        name,
        total,
        reduces,
        aggregates,
        result_read: Default::default(),
    });
    Ok(BatchHandle {
        id,
        script: compiled.name().to_string(),
    })
}

/// A job's name from its script text: its first line, cut short.
fn name_from_source(source: &str) -> String {
    let line = source.trim().lines().next().unwrap_or("").trim();
    match line.char_indices().nth(32) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

pub(crate) fn receive(
    ctx: &NativeCallContext,
    handle: &mut PoolHandle,
    options: &Map,
    host: &Host,
) -> RhaiResult<Dynamic> {
    let pool = handle.pool().map_err(error)?;
    let mut options = receive_options(options, &pool).map_err(error)?;
    if let Some(each) = options.each.take() {
        return receive_each(ctx, handle, options, &each, host).map(Dynamic::from);
    }
    let records = handle
        .receive(&options, &host.interrupt, &host.receipts)
        .map_err(error)?;
    let array: rhai::Array = if options.outputs {
        records
            .into_iter()
            .flat_map(|record| Vec::from(record.output))
            .collect()
    } else {
        records.into_iter().map(record_to_map).collect()
    };
    Ok(array.into())
}

/// `receive_runspace_job(.., #{ each: |r| .. })`: hands each record (or, with `outputs`, each
/// output) to `each` as it finishes, until the batches have no more; how many were handed.
/// Ctrl-C ends it; the jobs go on. Should `each` fail, the script fails with it; in a REPL, the
/// records its input took go back to their batches (`Host::end_input`).
fn receive_each(
    ctx: &NativeCallContext,
    handle: &PoolHandle,
    mut options: ReceiveOptions,
    each: &rhai::FnPtr,
    host: &Host,
) -> RhaiResult<INT> {
    options.wait = crate::Wait::No;
    options.keep = false;
    let mut handed: INT = 0;
    loop {
        let records = handle
            .receive(&options, &host.interrupt, &host.receipts)
            .map_err(error)?;
        for record in records {
            if options.outputs {
                for output in Vec::from(record.output) {
                    let _: Dynamic = each.call_within_context(ctx, (output,))?;
                    handed += 1;
                }
            } else {
                let _: Dynamic = each.call_within_context(ctx, (record_to_map(record),))?;
                handed += 1;
            }
        }
        if handle.all_received(options.batch) {
            return Ok(handed);
        }
        if host.interrupt.is_set() {
            return Err(error("interrupted: the jobs go on"));
        }
        // New records are looked for every 20 ms: a stream, not a poll a job would notice.
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn clear(handle: &mut PoolHandle, options: &Map) -> RhaiResult<()> {
    let cancel = clear_options(options).map_err(error)?;
    handle.pool().map_err(error)?;
    handle.clear(cancel);
    Ok(())
}

/// Sleeps in short slices, so that an interrupt ends the wait.
fn sleep(ms: INT, interrupt: &Interrupt) -> RhaiResult<()> {
    let until = Instant::now() + Duration::from_millis(ms.max(0) as u64);
    loop {
        if interrupt.is_set() {
            return Err(error("interrupted"));
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}
