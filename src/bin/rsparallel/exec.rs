//! `rsparallel exec DRIVER.rhai [ARG...]`: runs a host script — pools and jobs as live
//! objects, as in the REPL — without a terminal.

use std::io::{self, Write};

use anyhow::Context;
use rsparallel::host::Host;
use rsparallel::rhai::{Array, Dynamic, Scope};

use crate::Outcome;
use crate::cli::ExecArgs;
use crate::script_error::ScriptError;

pub fn exec(args: ExecArgs) -> anyhow::Result<Outcome> {
    let name = args.script.display().to_string();
    let source =
        std::fs::read_to_string(&args.script).with_context(|| format!("cannot read {name}"))?;
    let host = Host::new()
        .vm(crate::cli::vm_from_env()?)
        .permissions(args.allow.permissions())
        .on_stream(|event| {
            let _ = writeln!(io::stderr().lock(), "{}", event.format(false));
        });
    // Ctrl-C or SIGTERM stops the script: waits end, the script ends at its next operation,
    // and its pools shut down.
    let interrupt = host.interrupt();
    let interrupts = crate::interrupt::install();
    interrupts.on_stop(move || interrupt.interrupt());
    let engine = host.engine();
    let ast = match engine.compile(&source) {
        Ok(ast) => ast,
        Err(err) => {
            crate::stderr::say(format!(
                "rsparallel: {}",
                ScriptError::from_parse(&err).located(&name)
            ));
            return Ok(Outcome::Error);
        }
    };
    let mut scope = Scope::new();
    let script_args: Array = args.args.into_iter().map(Dynamic::from).collect();
    scope.push("args", script_args);
    let result = engine.run_ast_with_scope(&mut scope, &ast);
    // Pools the script left open shut down here, before the exit status is reported.
    drop(scope);
    if let Some(exit) = host.take_exit() {
        crate::repl::leave(exit);
    }
    if interrupts.interrupted() {
        crate::stderr::say(format!(
            "rsparallel: {name}: interrupted; its pools have shut down, their jobs cancelled"
        ));
        return Ok(Outcome::Interrupted);
    }
    match result {
        Ok(()) => Ok(Outcome::AllCompleted),
        Err(err) => {
            crate::stderr::say(format!(
                "rsparallel: {}",
                ScriptError::from_eval(err).located(&name)
            ));
            Ok(if interrupts.interrupted() {
                Outcome::Interrupted
            } else {
                // The script threw: exit status 1, as for a job that failed.
                Outcome::SomeNotCompleted
            })
        }
    }
}
