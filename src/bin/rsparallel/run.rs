//! `rsparallel run`: build the pool from the flags, open the input, and hand the run to the
//! record writer, one named step after another.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use rsparallel::rhai::Dynamic;
use rsparallel::{Error, JobStatus, RunOptions, RunspacePool, Script, SeqFilter};

use crate::Outcome;
use crate::cli::RunArgs;
use crate::items::{Input, Items, count_lines_later, open_input};
use crate::joblog::LogIndex;
use crate::records::write_records;
use crate::reporter::Reporter;
use crate::resume::{Keep, check_resume};

pub fn run(mut args: RunArgs) -> anyhow::Result<Outcome> {
    if args.null {
        args.format = rsparallel::input::InputFormat::Nul;
    }
    // Before anything is drawn or started: Ctrl-C at any moment stops the run, never the
    // process.
    let interrupts = crate::interrupt::install();
    let (script_source, items) = split_args(&args)?;
    let vars = crate::vars::collect(&args.vars, args.vars_file.as_deref())?;
    let input = open_input(&args, items)?;
    let reporter = open_reporter(&args, &input);
    let (pool, script) = build_pool(&args, script_source, vars, &reporter)?;
    let (select, input) = select_items(&args, input)?;
    let options = args
        .aggregate
        .apply(&pool, run_options(&args, select))
        .map_err(setup_error)?;
    let sinks = crate::sinks::open(&args, &reporter)?;
    match input.items {
        Items::Iter(items) => write_records(
            pool.run_with(&script, items, options)?,
            sinks,
            &reporter,
            interrupts,
        ),
        Items::Channel(items) => write_records(
            pool.run_receiver(&script, items, options)?,
            sinks,
            &reporter,
            interrupts,
        ),
    }
}

/// Stderr, with a progress bar when asked for or when stderr is a terminal.
fn open_reporter(args: &RunArgs, input: &Input) -> Arc<Reporter> {
    let long = &args.long_run;
    let progress = match (long.progress, long.no_progress || long.quiet) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let reporter = Arc::new(Reporter::new(progress, input.total, long.verbose, long.tag));
    if long.quiet {
        reporter.quiet();
    }
    // Counting reads the whole file once more: worth it only for a bar that shows the total.
    if let Some(path) = input.count_lines_of.clone()
        && reporter.has_bar()
    {
        count_lines_later(path, args.format, reporter.clone());
    }
    reporter
}

/// The pool the flags describe, and the script compiled by it.
fn build_pool(
    args: &RunArgs,
    script_source: ScriptSource,
    vars: Vec<(String, Dynamic)>,
    reporter: &Arc<Reporter>,
) -> anyhow::Result<(RunspacePool, Script)> {
    let streams = reporter.clone();
    let mut builder = RunspacePool::builder()
        .threads(args.threads.unwrap_or(0))
        .max_call_depth(args.max_call_depth)
        .permissions(args.allow.permissions())
        .on_stream(move |event| streams.stream(event));
    let vm = match args.vm {
        Some(vm) => vm,
        None => crate::cli::vm_from_env()?,
    };
    builder = builder.vm(vm);
    if let Some(timeout) = args.timeout {
        builder = builder.timeout(timeout.into());
    }
    if let Some(ops) = args.max_ops {
        builder = builder.max_operations(ops);
    }
    if let Some(cap) = args.max_memory.0 {
        builder = builder.max_memory(cap);
    }
    if let ScriptSource::File(path) = &script_source {
        builder = builder.module_path(script_folder(Path::new(path)));
    }
    for dir in &args.module_path {
        builder = builder.module_path(dir);
    }
    for (name, value) in vars {
        builder = builder.variable(name, value);
    }
    for lib in &args.functions {
        builder = builder.functions_file(lib);
    }
    let pool = builder.build().map_err(setup_error)?;
    let script = match script_source {
        ScriptSource::File(path) => pool.compile_file(path),
        ScriptSource::Expr(expr) => pool.compile(&expr),
    }
    .map_err(setup_error)?;
    Ok((pool, script))
}

/// Which items the run takes (see [`selection`]), and the input, checked against a job log
/// the run resumes from.
fn select_items(args: &RunArgs, input: Input) -> anyhow::Result<(Option<Keep>, Input)> {
    let (select, resume_log) = selection(args)?;
    let input = match (&resume_log, &select) {
        (Some(log), Some(select)) => check_resume(args, input, log, select)?,
        _ => input,
    };
    Ok((select, input))
}

/// What the run is asked: order, retries, halting, its deadline, and which items it takes.
fn run_options(args: &RunArgs, select: Option<Keep>) -> RunOptions {
    let long = &args.long_run;
    let mut options = RunOptions::default()
        .keep_order(args.keep_order)
        .retries(long.retries)
        .retry_on(long.retry_on.clone());
    options.halt = long.halt;
    options.total_timeout = long.total_timeout.map(Into::into);
    options.select = select.map(|keep| SeqFilter::new(move |seq| keep(seq)));
    options
}

/// Which items this run takes: its shard, less what a resumed job log already has; and the
/// log itself, to check the input against.
fn selection(args: &RunArgs) -> anyhow::Result<(Option<Keep>, Option<Arc<LogIndex>>)> {
    let long = &args.long_run;
    // An item written as JSON can take up to six times its input line (`\u0000`), and no
    // line of ours is much longer than its item: a longer line fails, as soon as it is read
    // that far, though reading it takes no memory.
    let max_line = args
        .max_item_size
        .saturating_mul(6)
        .saturating_add(4096)
        .max(16 << 20);
    let log = match (&long.joblog, long.resume, long.resume_failed) {
        (Some(log), true, _) => Some(LogIndex::read(
            log,
            &[JobStatus::Completed, JobStatus::Failed, JobStatus::TimedOut],
            max_line,
        )?),
        (Some(log), _, true) => Some(LogIndex::read(log, &[JobStatus::Completed], max_line)?),
        _ => None,
    };
    let log = log.map(Arc::new);
    let shard = long.shard;
    if log.is_none() && shard.is_none() {
        return Ok((None, None));
    }
    let done = log.clone();
    let keep: Keep = Arc::new(move |seq| {
        shard.is_none_or(|(k, n)| seq % n == k) && done.as_ref().is_none_or(|d| !d.is_done(seq))
    });
    Ok((Some(keep), log))
}

pub(crate) enum ScriptSource {
    File(String),
    Expr(String),
}

/// The script (a file, or `-e`) and the positional items.
pub(crate) fn split_args(args: &RunArgs) -> anyhow::Result<(ScriptSource, Vec<String>)> {
    match &args.expr {
        Some(expr) => Ok((ScriptSource::Expr(expr.clone()), args.args.clone())),
        None => match args.args.split_first() {
            Some((script, items)) => Ok((ScriptSource::File(script.clone()), items.to_vec())),
            None => bail!("no script: give SCRIPT.rhai or -e 'EXPR'"),
        },
    }
}

/// Modules resolve from the script's own folder.
fn script_folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn setup_error(err: Error) -> anyhow::Error {
    // One line: the message already says what its source says (`cannot read FILE: …`), and
    // a compile error is already `FILE:LINE:COLUMN: message`.
    anyhow::anyhow!("{err}")
}
