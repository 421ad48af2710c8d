//! `rsparallel run`: build the pool, read the items, write the records, report.

use std::cell::RefCell;
use std::io::{self, BufReader, IsTerminal, Write};
use std::rc::Rc;
use std::sync::atomic::Ordering;

use anyhow::{Context, bail};
use rsparallel::input::{ItemResult, read_items};
use rsparallel::output::{OutputFormat, RecordWriter};
use rsparallel::rhai::{Dynamic, ImmutableString};
use rsparallel::value::describe_item;
use rsparallel::{Error, JobRecord, JobStatus, Run, RunOptions, RunspacePool, StreamKind};

use crate::Outcome;
use crate::cli::RunArgs;

pub fn run(args: RunArgs) -> anyhow::Result<Outcome> {
    let (script_source, items) = split_args(&args)?;
    let vars = crate::vars::collect(&args.vars, args.vars_file.as_deref())?;

    let mut builder = RunspacePool::builder()
        .threads(args.threads.unwrap_or(0))
        .max_call_depth(args.max_call_depth)
        .on_stream(|event| {
            let text = &event.line.text;
            let mut err = io::stderr().lock();
            let _ = match event.line.kind {
                StreamKind::Print => writeln!(err, "{text}"),
                StreamKind::Debug => writeln!(err, "[seq {}] debug: {text}", event.seq),
            };
        });
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
        let folder = std::path::Path::new(path)
            .parent()
            .unwrap_or(std::path::Path::new(""));
        let folder = if folder.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            folder
        };
        builder = builder.module_path(folder);
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

    let options = RunOptions {
        keep_order: args.keep_order,
        ..RunOptions::default()
    };
    match open_input(&args, items)? {
        Input::Iter(items) => write_records(pool.run_with(&script, items, options)?, args.output),
        Input::Channel(items) => {
            write_records(pool.run_receiver(&script, items, options)?, args.output)
        }
    }
}

/// Writes a run's records to stdout, reports the jobs that did not complete on stderr, and
/// says how the run ended.
fn write_records<I>(mut run: Run<'_, I>, format: OutputFormat) -> anyhow::Result<Outcome>
where
    I: Iterator<Item = ItemResult>,
{
    let stdout = io::stdout().lock();
    let writer = RecordWriter::new(io::BufWriter::with_capacity(64 * 1024, stdout), format);
    let writer = Rc::new(RefCell::new(writer));
    let flush_error = Rc::new(RefCell::new(None));
    let interrupted = crate::interrupt::on_interrupt(run.canceller());
    let canceller = run.canceller();
    // Output is buffered for speed, and flushed whenever the run waits on its jobs, so a
    // slow stream of records still shows up as it comes.
    let (idle_writer, idle_error) = (writer.clone(), flush_error.clone());
    run.on_idle(move || {
        if let Err(err) = idle_writer.borrow_mut().flush() {
            idle_error.borrow_mut().get_or_insert(err);
        }
    });
    let mut counts = rsparallel::StatusCounts::default();
    let mut write_error = None;
    for mut record in run.by_ref() {
        if write_error.is_some() {
            counts.add(record.status);
            continue;
        }
        // Writing may turn the record into a failure (a value with no form in this format).
        let written = writer.borrow_mut().write(&mut record);
        counts.add(record.status);
        if format == OutputFormat::Text && record.status != JobStatus::Completed {
            report_job(&record);
        }
        let flushed = flush_error.borrow_mut().take().map_or(Ok(()), Err);
        if let Err(err) = written.and(flushed) {
            write_error = Some(err);
            // Nobody reads what is left: stop the jobs, but still account for every record.
            canceller.cancel();
        }
    }
    drop(run);
    let write_error = write_error
        .or_else(|| flush_error.borrow_mut().take())
        .or_else(|| writer.borrow_mut().flush().err());

    if let Some(err) = write_error {
        if err.kind() == io::ErrorKind::BrokenPipe {
            return Ok(Outcome::AllCompleted);
        }
        return Err(err).context("cannot write output");
    }
    if !counts.all_completed() {
        eprintln!("rsparallel: {counts} (of {} jobs)", counts.total());
    }
    Ok(if interrupted.load(Ordering::SeqCst) {
        Outcome::Interrupted
    } else if counts.all_completed() {
        Outcome::AllCompleted
    } else {
        Outcome::SomeNotCompleted
    })
}

enum ScriptSource {
    File(String),
    Expr(String),
}

/// The script (a file, or `-e`) and the positional items.
fn split_args(args: &RunArgs) -> anyhow::Result<(ScriptSource, Vec<String>)> {
    match &args.expr {
        Some(expr) => Ok((ScriptSource::Expr(expr.clone()), args.args.clone())),
        None => match args.args.split_first() {
            Some((script, items)) => Ok((ScriptSource::File(script.clone()), items.to_vec())),
            None => bail!("no script: give SCRIPT.rhai or -e 'EXPR'"),
        },
    }
}

fn setup_error(err: Error) -> anyhow::Error {
    match err {
        // Already `FILE:LINE:COLUMN: message`.
        Error::Compile(e) => anyhow::anyhow!("{e}"),
        other => other.into(),
    }
}

/// The one source of items the flags name; stdin when none is named and it is not a terminal.
/// Items from an iterator read on the run's thread, or from a channel a reader thread fills.
enum Input {
    Iter(Box<dyn Iterator<Item = ItemResult>>),
    Channel(crossbeam_channel::Receiver<ItemResult>),
}

fn open_input(args: &RunArgs, items: Vec<String>) -> anyhow::Result<Input> {
    let named = [
        !items.is_empty(),
        args.input.is_some(),
        args.range.is_some(),
    ];
    if named.iter().filter(|n| **n).count() > 1 {
        bail!("give items one way: ITEM arguments, --input or --range");
    }
    if !items.is_empty() {
        return Ok(Input::Iter(Box::new(
            items
                .into_iter()
                .map(|s| Ok(Dynamic::from(ImmutableString::from(s)))),
        )));
    }
    if let Some(range) = args.range {
        return Ok(Input::Iter(Box::new(range.items())));
    }
    let max_item_size = usize::try_from(args.max_item_size).unwrap_or(usize::MAX);
    let stdin_named = args.input.as_ref().is_some_and(|p| p.as_os_str() == "-");
    match &args.input {
        Some(path) if !stdin_named => {
            // A file never blocks for long: read it on this thread, with no hand-off cost.
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open --input {}", path.display()))?;
            let reader = BufReader::with_capacity(64 * 1024, file);
            Ok(Input::Iter(read_items(reader, args.format, max_item_size)))
        }
        _ if stdin_named || !io::stdin().is_terminal() => {
            let reader = BufReader::with_capacity(64 * 1024, io::stdin());
            let items = read_items(reader, args.format, max_item_size);
            // Stdin may go silent: read it on a thread, so the run never blocks on it.
            Ok(Input::Channel(crate::background::read_in_background(items)))
        }
        _ => bail!("no items: give ITEM arguments, --input FILE, --range A..B, or pipe them in"),
    }
}

/// One stderr line for a job that did not complete, naming its seq and item.
fn report_job(record: &JobRecord) {
    let error = record
        .error
        .as_ref()
        .map(|e| e.to_string())
        .unwrap_or_default();
    eprintln!(
        "rsparallel: seq {} (item {}) {}: {}",
        record.seq,
        describe_item(&record.item),
        record.status,
        error
    );
}
