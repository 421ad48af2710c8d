//! `rsparallel repl`: an interactive host in which pools and jobs are live objects. One line
//! (or one multi-line input) is evaluated at a time in a scope that persists, so variables,
//! pools and functions live from one input to the next.

mod helper;
mod job_printer;
mod show;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use rsparallel::host::{HOST_FUNCTIONS, Host};
use rsparallel::rhai::{AST, Dynamic, Engine, Scope};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};

use crate::Outcome;
use crate::repl::helper::ReplHelper;
use crate::repl::job_printer::JobPrinter;
use crate::script_error::ScriptError;

const PROMPT: &str = "rsparallel> ";

pub fn repl() -> anyhow::Result<Outcome> {
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .build();
    let mut editor: Editor<ReplHelper, FileHistory> =
        Editor::with_config(config).context("cannot start the line editor")?;
    let printer = JobPrinter::new(&mut editor);
    let host = Host::new()
        .vm(crate::cli::vm_from_env()?)
        .on_stream(move |event| printer.print(event));
    let at_prompt = Arc::new(AtomicBool::new(true));
    on_signal(&host, at_prompt.clone())?;
    let engine = host.engine();

    let variables = Arc::new(Mutex::new(Vec::new()));
    editor.set_helper(Some(ReplHelper::new(Engine::new(), variables.clone())));
    let history = history_path();
    if let Some(path) = &history {
        // A first session has no history yet.
        let _ = editor.load_history(path);
    }
    if io::stdin().is_terminal() {
        println!(
            "rsparallel {} — type help for the host API, exit or Ctrl-D to leave",
            env!("CARGO_PKG_VERSION")
        );
    }

    let mut session = Session {
        engine,
        host,
        scope: Scope::new(),
        functions: AST::empty(),
    };
    loop {
        at_prompt.store(true, Ordering::SeqCst);
        let read = editor.readline(PROMPT);
        at_prompt.store(false, Ordering::SeqCst);
        let input = match read {
            Ok(input) => input,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(err) => return Err(err).context("cannot read input"),
        };
        let line = input.trim();
        if line.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(input.as_str());
        match line.trim_end_matches(';') {
            "exit" | "quit" => break,
            "help" => {
                print_help();
                continue;
            }
            _ => {}
        }
        session.eval(&input);
        *variables.lock().unwrap_or_else(|p| p.into_inner()) = session.variable_names();
    }
    if let Some(path) = &history
        && let Err(err) = editor.save_history(path)
    {
        crate::stderr::say(format!(
            "rsparallel: cannot save history to {}: {err}",
            path.display()
        ));
    }
    // Dropping the scope closes the pools still open: their jobs are cancelled.
    drop(session);
    Ok(Outcome::AllCompleted)
}

/// The evaluation state that lives across inputs.
struct Session {
    engine: Engine,
    host: Host,
    scope: Scope<'static>,
    /// Functions defined in earlier inputs, merged into each new one.
    functions: AST,
}

impl Session {
    fn eval(&mut self, input: &str) {
        // A Ctrl-C pressed while nothing ran must not stop this input.
        self.host.interrupt().clear();
        let ast = match self.engine.compile_with_scope(&self.scope, input) {
            Ok(ast) => ast,
            Err(err) => return report(input, ScriptError::from_parse(&err)),
        };
        let combined = self.functions.merge(&ast);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &combined);
        self.functions = self.functions.merge(&ast.clone_functions_only());
        let interrupted = self.host.interrupt().clear();
        match result {
            Ok(value) if value.is_unit() => {}
            Ok(value) => println!("{}", show::show(&value)),
            // Says "interrupted", and what happened to the jobs when a wait was stopped.
            Err(err) if interrupted => println!("{}", ScriptError::from_eval(err).message),
            Err(err) => report(input, ScriptError::from_eval(err)),
        }
    }

    fn variable_names(&self) -> Vec<String> {
        self.scope
            .iter_raw()
            .map(|(name, ..)| name.to_string())
            .collect()
    }
}

/// On the prompt, Ctrl-C is a key the line editor reads (it clears the line), so a signal
/// there is SIGTERM or SIGHUP, and ends the REPL. While an input is evaluated, Ctrl-C is a
/// signal that stops that evaluation only; a second one before it has stopped ends the REPL.
fn on_signal(host: &Host, at_prompt: Arc<AtomicBool>) -> anyhow::Result<()> {
    let interrupt = host.interrupt();
    ctrlc::set_handler(move || {
        if at_prompt.load(Ordering::SeqCst) || interrupt.is_set() {
            std::process::exit(Outcome::Interrupted as i32);
        }
        interrupt.interrupt();
    })
    .context("cannot handle Ctrl-C")
}

/// Prints an error under the line it points at, with a caret under its column.
fn report(input: &str, err: ScriptError) {
    let mut out = io::stderr().lock();
    let _ = writeln!(out, "error: {}", err.message);
    let Some(line_number) = err.line else { return };
    let Some(line) = input.lines().nth(line_number.saturating_sub(1)) else {
        return;
    };
    let _ = writeln!(out, "  {line}");
    if let Some(column) = err.column {
        let pad: String = line
            .chars()
            .take(column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(out, "  {pad}^");
    }
}

fn print_help() {
    println!("Host API (method syntax works too: pool.status(), pool.receive_runspace_job()):");
    for f in HOST_FUNCTIONS {
        println!("  {}{}", f.name, f.params);
        println!("      {}", f.summary);
        println!("      e.g. {}", f.example);
    }
    println!(
        "Records have: seq, batch, item, status, output, error, worker, start, end, duration_ms"
    );
    println!("(start and end show when you look at one record: records[7]).");
    println!("Pools have pool.threads and pool.is_closed; batches have batch.id and batch.script.");
    println!("Jobs see `item` and `seq`; print/debug from jobs shows here as they run.");
    println!(
        "Ctrl-C clears the line, or stops a running input (jobs go on); exit or Ctrl-D leaves."
    );
    println!();
    println!("Batteries (here and in every job; none does I/O):");
    for (signature, summary, example) in rsparallel::batteries::HELP.iter() {
        println!("  {signature}");
        println!("      {summary}");
        println!("      e.g. {example}");
    }
}

/// `$RSPARALLEL_HISTORY`, else `.rsparallel_history` in the home directory.
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RSPARALLEL_HISTORY") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".rsparallel_history"))
}
