//! Command-line flags, as clap parses them.

use std::path::PathBuf;

use crate::allow::AllowArgs;
use clap::{Args, Parser, Subcommand};
use rsparallel::input::{CsvOptions, InputFormat, ItemRange};
use rsparallel::output::OutputFormat;
use rsparallel::{HaltPolicy, JobStatus, ScriptVm};

/// Run a Rhai script over many items in parallel, in one process, with per-job timeouts.
#[derive(Debug, Parser)]
#[command(name = "rsparallel", version, about)]
pub struct Cli {
    /// None: the REPL when stdin is a terminal, otherwise this help.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a script over items from arguments, a file, stdin or a range.
    Run(Box<RunArgs>),
    /// Interactive host: create pools, submit jobs, watch and receive them (the default on a
    /// terminal).
    Repl(ReplArgs),
    /// Run a host script (a driver) with the pool API of the REPL.
    Exec(ExecArgs),
    /// List the functions a job script can call besides Rhai's own, by family.
    Functions(FunctionsArgs),
}

/// `rsparallel repl`: what the session's own script may reach.
#[derive(Debug, Default, Args)]
pub struct ReplArgs {
    #[command(flatten)]
    pub allow: AllowArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rsparallel functions
  rsparallel functions --family regex")]
pub struct FunctionsArgs {
    /// Only this family, e.g. job, regex, json or text (the full list names them all).
    #[arg(long, value_name = "NAME")]
    pub family: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Exit status: 0 the script finished; 1 it threw (reported as FILE:LINE:COLUMN: message);
2 it does not compile; 130 interrupted.

Example:
  rsparallel exec scripts/lifecycle.rhai")]
pub struct ExecArgs {
    #[command(flatten)]
    pub allow: AllowArgs,

    /// The host script.
    #[arg(value_name = "DRIVER.rhai")]
    pub script: PathBuf,

    /// Arguments for the script, as its `args` array of strings.
    #[arg(
        value_name = "ARG",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Exit status: 0 every job completed; 1 some job failed, timed out, was cancelled or skipped;
2 usage, setup or compile error; 130 interrupted.

Examples:
  rsparallel run scripts/square.rhai --range 1..=10000
  seq 1 9 | rsparallel run -e 'item * item' --format jsonl
  rsparallel run -e 'item.to_upper()' alpha beta gamma")]
pub struct RunArgs {
    /// The script file, then items (with -e, every argument is an item).
    #[arg(value_name = "SCRIPT|ITEM")]
    pub args: Vec<String>,

    /// The script as an expression, instead of a file.
    #[arg(short = 'e', long = "expr", value_name = "EXPR")]
    pub expr: Option<String>,

    /// Read items from FILE ("-" for stdin).
    #[arg(short = 'i', long, value_name = "FILE", conflicts_with = "range")]
    pub input: Option<PathBuf>,

    /// Items are the integers of a range: A..B (half-open) or A..=B (inclusive).
    #[arg(long, value_name = "A..B", allow_hyphen_values = true)]
    pub range: Option<ItemRange>,

    /// Read only the first N items (a quick look before a long run; with --output jsonl, at
    /// the records it will make).
    #[arg(long, value_name = "N")]
    pub head: Option<u64>,

    /// How input lines and ITEM arguments become items: lines (strings), jsonl (JSON values),
    /// csv or tsv (rows as maps by the header row; not for ITEM arguments), nul (strings each
    /// ended by a NUL byte).
    #[arg(
        long,
        default_value = "lines",
        value_name = "FORMAT",
        conflicts_with = "range"
    )]
    pub format: InputFormat,

    /// With --format csv or tsv: the character between fields, e.g. ';' or '|' ("tab" or \t
    /// for a tab).
    #[arg(long, value_name = "CHAR", value_parser = CsvOptions::parse_delimiter)]
    pub delimiter: Option<u8>,

    /// With --format csv or tsv: the first row is data, not a header; each row is an item, an
    /// array of its fields, of any length.
    #[arg(long)]
    pub no_header: bool,

    /// With --format csv or tsv: fields that read as integers, floats or true/false become
    /// them; all else stays a string (numbers with a leading zero, like 007, too).
    #[arg(long)]
    pub csv_types: bool,

    /// Items are ended by NUL bytes, as `find -print0` writes them (the same as --format nul).
    #[arg(short = '0', long, conflicts_with_all = ["format", "range"])]
    pub null: bool,

    /// text: each output value on its own line; jsonl: one JSON record per job; csv or tsv:
    /// each output value a row (a map under its keys, an array its fields).
    #[arg(long, default_value = "text", value_name = "FORMAT")]
    pub output: OutputFormat,

    /// With --output csv or tsv: the columns, in order (else the first map's keys). A map
    /// with a key missing or extra fails its job instead of breaking a row.
    #[arg(long, value_name = "NAME,...")]
    pub columns: Option<String>,

    /// Worker threads: a number, or a multiple of the CPUs (8x). Default: one per CPU.
    #[arg(short = 'j', long, value_name = "N|Mx", value_parser = parse_threads)]
    pub threads: Option<usize>,

    /// Per-job timeout, counted from the job's start (e.g. 250ms, 2s, 1m).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<humantime::Duration>,

    /// The most engine operations one job may run.
    #[arg(long, value_name = "N")]
    pub max_ops: Option<u64>,

    /// The deepest nesting of script function calls.
    #[arg(long, value_name = "N", default_value_t = rsparallel::DEFAULT_MAX_CALL_DEPTH)]
    pub max_call_depth: usize,

    /// The most memory one job may allocate, e.g. 256MiB, 2GiB ("none": no cap).
    #[arg(long, value_name = "SIZE", value_parser = parse_cap,
          default_value_t = MemoryCap(Some(rsparallel::DEFAULT_MAX_MEMORY)))]
    pub max_memory: MemoryCap,

    /// The script interpreter: tree (Rhai's syntax-tree walker, its reference), grain (its
    /// bytecode VM, faster on scripts that loop; experimental: a `for (x, i)` loop's counter is
    /// lost), or auto: grain unless the script defines functions, imports modules or declares
    /// constants its functions read. Default: $RSPARALLEL_VM if set and not empty, else tree.
    #[arg(long, value_name = "tree|grain|auto")]
    pub vm: Option<ScriptVm>,

    /// The longest input line (or CSV row) read as an item, e.g. 1MiB. A JSON or CSV item whose
    /// values would take more than 16 times this in memory is not read either.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = rsparallel::parse_size)]
    pub max_item_size: u64,

    /// A folder scripts may `import` modules from (the script's own folder always is).
    #[arg(long, value_name = "DIR")]
    pub module_path: Vec<PathBuf>,

    /// Write output in input order (holds a bounded window of finished records).
    #[arg(short = 'k', long)]
    pub keep_order: bool,

    /// A variable for every job: VALUE is parsed as JSON, else taken as a string.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Variables for every job, from a JSON object.
    #[arg(long = "vars", value_name = "FILE.json")]
    pub vars_file: Option<PathBuf>,

    /// A library of Rhai functions visible to every job.
    #[arg(long = "functions", value_name = "LIB.rhai")]
    pub functions: Vec<PathBuf>,

    #[command(flatten)]
    pub long_run: LongRunArgs,

    #[command(flatten)]
    pub aggregate: crate::aggregate::AggregateArgs,

    #[command(flatten)]
    pub allow: AllowArgs,
}

/// `-j`: a number of threads, or a multiple of the CPUs (`8x`, `0.5x`), at least one.
fn parse_threads(text: &str) -> Result<usize, String> {
    let bad =
        || format!("invalid thread count '{text}': expected N or a multiple of the CPUs like 8x");
    if let Some(multiple) = text.strip_suffix(['x', 'X']) {
        let multiple: f64 = multiple.parse().map_err(|_| bad())?;
        if !(multiple > 0.0 && multiple.is_finite()) {
            return Err(bad());
        }
        let threads = (multiple * num_cpus::get() as f64).round() as usize;
        return Ok(threads.max(1));
    }
    text.parse().map_err(|_| bad())
}

/// Flags for long runs: watching, logging, resuming, retrying, stopping early, sharding.
#[derive(Debug, Args)]
#[command(next_help_heading = "Long runs")]
pub struct LongRunArgs {
    /// Show a progress bar on stderr (default: when stderr is a terminal).
    #[arg(long, overrides_with = "no_progress")]
    pub progress: bool,

    /// Never show a progress bar.
    #[arg(long, overrides_with = "progress")]
    pub no_progress: bool,

    /// Show what jobs write with verbose(..).
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Nothing on stderr but errors of the run itself: no summary, no lines jobs write, no
    /// line per failed job, no progress bar unless --progress (the exit status still tells).
    #[arg(short = 'q', long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Prefix each line jobs write (and each text output line) with the job's seq and item.
    #[arg(long)]
    pub tag: bool,

    /// Log each finished job as a tab-separated line: seq, worker, start, runtime, status,
    /// attempts, item.
    #[arg(long, value_name = "FILE")]
    pub joblog: Option<PathBuf>,

    /// Skip the items the --joblog already records as run, and append to it.
    #[arg(long, requires = "joblog")]
    pub resume: bool,

    /// Like --resume, but run again the items the log records as failed or timed out.
    #[arg(long, requires = "joblog", conflicts_with = "resume")]
    pub resume_failed: bool,

    /// Try a failed or timed-out job up to N more times (the script sees `attempt`).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,

    /// Which outcomes are retried.
    #[arg(long, value_name = "STATUS,...", value_delimiter = ',', default_value = "failed,timed_out", value_parser = parse_retry_status, requires = "retries")]
    pub retry_on: Vec<JobStatus>,

    /// Stop early after too many failures: now|soon,fail=N or now|soon,fail=P%.
    #[arg(long, value_name = "POLICY")]
    pub halt: Option<HaltPolicy>,

    /// A deadline for the whole run: then running jobs are cancelled and the rest skipped.
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub total_timeout: Option<humantime::Duration>,

    /// Draw the run as an SVG timeline: one lane per worker, a bar per job.
    #[arg(long, value_name = "FILE.svg")]
    pub timeline: Option<PathBuf>,

    /// Run only shard K of N: the items with seq % N == K.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
}

fn parse_retry_status(text: &str) -> Result<JobStatus, String> {
    rsparallel::RunOptions::retry_status(text)
}

fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    rsparallel::SeqFilter::parse_shard(text)
}

/// A per-job memory cap in bytes, or none.
#[derive(Clone, Copy, Debug)]
pub struct MemoryCap(pub Option<u64>);

/// As `--max-memory` reads it back (`1GiB`, `none`).
impl std::fmt::Display for MemoryCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.write_str("none"),
            Some(bytes) => f.write_str(&rsparallel::format_size(bytes).replace(' ', "")),
        }
    }
}

fn parse_cap(text: &str) -> Result<MemoryCap, String> {
    match text {
        "none" => Ok(MemoryCap(None)),
        size => match rsparallel::parse_size(size)? {
            0 => Err("a cap of 0 bytes would fail every job; for no cap, say none".into()),
            bytes => Ok(MemoryCap(Some(bytes))),
        },
    }
}

/// A timeout: a duration longer than zero (none at all is the flag left out).
fn parse_timeout(text: &str) -> Result<humantime::Duration, String> {
    let duration: humantime::Duration = text.parse().map_err(|e| format!("{e}"))?;
    if duration.is_zero() {
        return Err(
            "a timeout of 0 would stop every job at once; for none, leave the flag out".into(),
        );
    }
    Ok(duration)
}

/// The environment variable that chooses the interpreter of the command line's pools (`run`
/// without `--vm`, and `exec` and REPL pools without a `vm` option): like `RAYON_NUM_THREADS`,
/// it runs a script or a driver on the other interpreter without editing it. Pools built by
/// the library never read it.
pub const VM_ENV: &str = "RSPARALLEL_VM";

/// The interpreter [`VM_ENV`] names, the tree walker when it is unset or empty.
pub fn vm_from_env() -> anyhow::Result<ScriptVm> {
    match std::env::var(VM_ENV) {
        Ok(name) if !name.is_empty() => name.parse().map_err(|e| anyhow::anyhow!("{VM_ENV}: {e}")),
        _ => Ok(ScriptVm::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
