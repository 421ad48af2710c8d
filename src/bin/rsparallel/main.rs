//! The `rsparallel` command: runs a Rhai script over many items in parallel.

mod cli;
mod run;
mod vars;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

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
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
    };
    match result {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(err) => {
            eprintln!("rsparallel: {err:#}");
            ExitCode::from(Outcome::Error as u8)
        }
    }
}
