//! `rsparallel run`: build the pool, read the items, write the records, report.

use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rsparallel::input::{ItemResult, read_items};
use rsparallel::output::{OutputFormat, RecordWriter};
use rsparallel::rhai::{Dynamic, ImmutableString};
use rsparallel::value::describe_item;
use rsparallel::{Error, JobRecord, JobStatus, RunCanceller, RunOptions, RunspacePool, StreamKind};

use crate::Outcome;
use crate::cli::RunArgs;

/// Output written to a pipe is buffered, but never held longer than this.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

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

    let input = open_input(&args, items)?;
    let options = RunOptions {
        keep_order: args.keep_order,
        ..RunOptions::default()
    };
    let run = pool.run_with(&script, input, options)?;
    let interrupted = on_interrupt(run.canceller());

    let stdout = io::stdout().lock();
    let mut writer =
        RecordWriter::new(io::BufWriter::with_capacity(64 * 1024, stdout), args.output);
    let mut last_flush = Instant::now();
    let mut counts = rsparallel::StatusCounts::default();
    let mut write_error = None;
    for mut record in run {
        if write_error.is_some() {
            counts.add(record.status);
            continue;
        }
        let written = writer.write(&mut record);
        counts.add(record.status);
        if args.output == OutputFormat::Text && record.status != JobStatus::Completed {
            report_job(&record);
        }
        let written = written.and_then(|()| {
            if last_flush.elapsed() >= FLUSH_EVERY {
                last_flush = Instant::now();
                writer.flush()
            } else {
                Ok(())
            }
        });
        if let Err(err) = written {
            write_error = Some(err);
            // Nobody reads what is left: stop the jobs, but still account for every record.
            interrupted.canceller.cancel();
        }
    }
    let write_error = write_error.or_else(|| writer.flush().err());

    if let Some(err) = write_error {
        if err.kind() == io::ErrorKind::BrokenPipe {
            return Ok(Outcome::AllCompleted);
        }
        return Err(err).context("cannot write output");
    }
    if !counts.all_completed() {
        eprintln!("rsparallel: {counts} (of {} jobs)", counts.total());
    }
    Ok(if interrupted.flag.load(Ordering::SeqCst) {
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
fn open_input(
    args: &RunArgs,
    items: Vec<String>,
) -> anyhow::Result<Box<dyn Iterator<Item = ItemResult>>> {
    let named = [
        !items.is_empty(),
        args.input.is_some(),
        args.range.is_some(),
    ];
    if named.iter().filter(|n| **n).count() > 1 {
        bail!("give items one way: ITEM arguments, --input or --range");
    }
    if !items.is_empty() {
        return Ok(Box::new(
            items
                .into_iter()
                .map(|s| Ok(Dynamic::from(ImmutableString::from(s)))),
        ));
    }
    if let Some(range) = args.range {
        return Ok(Box::new(range.items()));
    }
    let reader: Box<dyn BufRead> = match &args.input {
        Some(path) if path.as_os_str() == "-" => Box::new(BufReader::new(io::stdin())),
        Some(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open --input {}", path.display()))?;
            Box::new(BufReader::with_capacity(64 * 1024, file))
        }
        None if !io::stdin().is_terminal() => Box::new(BufReader::new(io::stdin())),
        None => bail!("no items: give ITEM arguments, --input FILE, --range A..B, or pipe them in"),
    };
    let max_item_size = usize::try_from(args.max_item_size).unwrap_or(usize::MAX);
    Ok(read_items(reader, args.format, max_item_size))
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

struct Interrupt {
    flag: Arc<AtomicBool>,
    canceller: RunCanceller,
}

/// SIGINT/SIGTERM cancel the run (every job still gets its record); a second one exits at once.
fn on_interrupt(canceller: RunCanceller) -> Interrupt {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = flag.clone();
    let target = Arc::new(Mutex::new(canceller.clone()));
    let result = ctrlc::set_handler(move || {
        if handler_flag.swap(true, Ordering::SeqCst) {
            std::process::exit(Outcome::Interrupted as i32);
        }
        if let Ok(canceller) = target.lock() {
            canceller.cancel();
        }
    });
    if let Err(err) = result {
        eprintln!("rsparallel: warning: cannot handle Ctrl-C: {err}");
    }
    Interrupt { flag, canceller }
}
