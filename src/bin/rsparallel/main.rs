//! The `rsparallel` command: runs a Rhai script over many items in parallel.

mod aggregate;
mod allow;
mod cli;
mod exec;
mod functions;
mod interrupt;
mod items;
mod joblog;
mod records;
mod repl;
mod reporter;
mod resume;
mod run;
mod script_error;
mod sinks;
mod stderr;
mod timeline;
mod vars;

use std::process::ExitCode;

use std::io::IsTerminal;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};

/// Counts each thread's allocations, which is how a job's memory cap is enforced.
#[global_allocator]
static ALLOCATOR: rsparallel::CountingAllocator = rsparallel::CountingAllocator;

/// What the process exits with; the README documents each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every job completed.
    AllCompleted = 0,
    /// Some job failed, timed out, was cancelled or skipped.
    SomeNotCompleted = 1,
    /// A usage, setup or script compile error, or output that could not be written.
    Error = 2,
    /// Stopped by SIGINT or SIGTERM.
    Interrupted = 130,
}

fn main() -> ExitCode {
    quiet_job_panics();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(args)) => run::run(*args),
        Some(Command::Exec(args)) => exec::exec(args),
        Some(Command::Functions(args)) => functions::functions(args),
        Some(Command::Repl(args)) => repl::repl(args),
        None if std::io::stdin().is_terminal() => repl::repl(cli::ReplArgs::default()),
        None => {
            // No command and nobody to talk to: say what the commands are.
            let _ = Cli::command().print_help();
            Ok(Outcome::Error)
        }
    };
    match result {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(err) => {
            stderr::say(format!("rsparallel: {err:#}"));
            ExitCode::from(Outcome::Error as u8)
        }
    }
}

/// A panic in a host function fails only its job, whose record and stderr line carry the
/// panic's message; the default hook would print it a second time, with a backtrace hint,
/// from the middle of the output.
fn quiet_job_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_worker = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with("rsparallel-worker"));
        if !in_worker {
            default(info);
        }
    }));
}
