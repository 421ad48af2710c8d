//! `rsparallel repl`: an interactive host in which pools and jobs are live objects. One line
//! (or one multi-line input) is evaluated at a time in a scope that persists, so variables,
//! pools and functions live from one input to the next.

mod commands;
mod definitions;
mod help;
mod helper;
mod job_printer;
mod show;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use rsparallel::host::{ExitRequest, Host, WaitProgress};
use rsparallel::rhai::{AST, Dynamic, Engine, EvalAltResult, Scope};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};

use crate::Outcome;
use crate::repl::helper::ReplHelper;
use crate::repl::job_printer::JobPrinter;
use crate::script_error::ScriptError;

const PROMPT: &str = "rsparallel> ";

pub fn repl(args: crate::cli::ReplArgs) -> anyhow::Result<Outcome> {
    let config = Config::builder()
        .auto_add_history(false)
        .max_history_size(10_000)
        .context("cannot start the line editor")?
        .completion_type(CompletionType::List)
        .build();
    let mut editor: Editor<ReplHelper, FileHistory> =
        Editor::with_config(config).context("cannot start the line editor")?;
    let printer = JobPrinter::new(&mut editor);
    let host = Host::new()
        .vm(crate::cli::vm_from_env()?)
        .permissions(args.allow.permissions())
        .on_stream(move |event| printer.print(event))
        .on_wait(show_wait);
    let at_prompt = Arc::new(AtomicBool::new(true));
    on_signal(&host, at_prompt.clone())?;
    let engine = host.engine();

    let variables = Arc::new(Mutex::new(Vec::new()));
    editor.set_helper(Some(ReplHelper::new(Engine::new(), variables.clone())));
    // Lines piped in are a script, not history.
    let interactive = io::stdin().is_terminal();
    let history = history_path().filter(|_| interactive);
    if let Some(path) = &history {
        // A first session has no history yet.
        let _ = editor.load_history(path);
    }
    if interactive {
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
        builtins: Vec::new(),
    };
    session.builtins = builtin_names(&session.engine);
    *variables.lock().unwrap_or_else(|p| p.into_inner()) = session.completions();
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
        if let Some(path) = &history {
            // Line by line, so that a session that ends any way keeps what was typed.
            if let Err(err) = editor.append_history(path) {
                crate::stderr::say(format!(
                    "rsparallel: cannot save history to {}: {err}",
                    path.display()
                ));
            }
        }
        if let "exit" | "quit" = line.trim_end_matches(';') {
            break;
        }
        if let Some(query) = help::help_query(line) {
            print!("{}", help::help_text(query));
            continue;
        }
        if let Some(text) =
            commands::run(line, &session.scope, &session.functions, editor.history())
        {
            print!("{text}");
            continue;
        }
        if let Some(exit) = session.eval(&input) {
            drop(session);
            leave(exit);
        }
        *variables.lock().unwrap_or_else(|p| p.into_inner()) = session.completions();
    }
    // Dropping the scope closes the pools still open: their jobs are cancelled.
    drop(session);
    Ok(Outcome::AllCompleted)
}

/// Ends the process as a host script's `exit` asked: its value, when not a status, on stderr.
/// The caller has dropped the script's scope already, so its pools have shut down.
pub fn leave(exit: ExitRequest) -> ! {
    if let Some(message) = &exit.message {
        crate::stderr::say(message.clone());
    }
    let _ = io::stdout().flush();
    std::process::exit(i32::from(exit.status))
}

/// The evaluation state that lives across inputs.
struct Session {
    engine: Engine,
    host: Host,
    scope: Scope<'static>,
    /// Functions defined in earlier inputs, merged into each new one.
    functions: AST,
    /// The names of Rhai's own functions and the batteries, for completion.
    builtins: Vec<String>,
}

impl Session {
    /// Evaluates one input and shows its value or error; what its `exit` asked for, if it
    /// called it.
    fn eval(&mut self, input: &str) -> Option<ExitRequest> {
        // A Ctrl-C pressed while nothing ran must not stop this input.
        self.host.interrupt().clear();
        let ast = match self.engine.compile_with_scope(&self.scope, input) {
            Ok(ast) => ast,
            Err(err) => {
                report(input, ScriptError::from_parse(&err));
                return None;
            }
        };
        let combined = self.functions.merge(&ast);
        self.host.begin_input();
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &combined);
        self.functions = self.functions.merge(&ast.clone_functions_only());
        // Job scripts submitted from now on can call them too.
        for definition in definitions::function_definitions(input) {
            self.host.define_functions(definition);
        }
        drop_shadowed(&mut self.scope);
        let interrupted = self.host.interrupt().clear();
        // What the input's receives took is its own only if it completed.
        let given_back = self.host.end_input(result.is_ok() && !interrupted);
        if let Some(exit) = self.host.take_exit() {
            // Rhai hands back the value given to `exit` as the result: not one to show.
            return Some(exit);
        }
        match result {
            Ok(value) if value.is_unit() => {}
            Ok(value) => println!("{}", show::show(&value)),
            // Says "interrupted", and what happened to the jobs when a wait was stopped.
            Err(err) if interrupted => match err.unwrap_inner() {
                // Stopped in a host function (a wait, `sleep`), however deep in calls: its
                // own words, without the calls that led there.
                EvalAltResult::ErrorRuntime(message, _) => println!("{message}"),
                _ => println!("{}", ScriptError::from_eval(err).message),
            },
            Err(err) => report(input, ScriptError::from_eval(err)),
        }
        if given_back > 0 {
            println!(
                "{given_back} records this input received are back in their batches: \
                 receive_runspace_job returns them again"
            );
        }
        None
    }

    /// What Tab completes besides the host API: the variables in scope, the functions defined
    /// at the prompt, and Rhai's own functions.
    fn completions(&self) -> Vec<String> {
        let variables = self.scope.iter_raw().map(|(name, ..)| name.to_string());
        let defined = self.functions.iter_functions().map(|f| f.name.to_string());
        variables
            .chain(defined)
            .chain(self.builtins.iter().cloned())
            .collect()
    }
}

/// A variable a later `let` of the same name hides can no longer be reached, but Rhai keeps
/// it in the scope: a pool rebound with `let pool = ...` would run on, its jobs out of reach,
/// until the session ends. Only the last of each name is kept, so what is dropped is dropped
/// at once (a pool nothing else holds shuts down, its jobs cancelled).
fn drop_shadowed(scope: &mut Scope<'static>) {
    let mut seen = std::collections::HashSet::new();
    if scope
        .iter_raw()
        .all(|(name, ..)| seen.insert(name.to_string()))
    {
        return;
    }
    let mut kept: Vec<(String, Dynamic)> = Vec::with_capacity(seen.len());
    let mut names = std::collections::HashSet::new();
    let entries: Vec<_> = std::mem::take(scope).into_iter().collect();
    for (name, value, _) in entries.into_iter().rev() {
        if names.insert(name.to_string()) {
            kept.push((name.to_string(), value));
        }
    }
    for (name, value) in kept.into_iter().rev() {
        if value.is_read_only() {
            scope.push_constant_dynamic(name, value);
        } else {
            scope.push_dynamic(name, value);
        }
    }
}

/// Ctrl-C stops the input being evaluated, and never ends the REPL: on the prompt it is a key
/// the line editor reads (it clears the line), and a signal that comes between two inputs is
/// forgotten before the next one runs. SIGTERM and SIGHUP end the REPL (its history is saved
/// line by line already).
fn on_signal(host: &Host, at_prompt: Arc<AtomicBool>) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let interrupt = host.interrupt();
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .context("cannot handle Ctrl-C")?;
    std::thread::Builder::new()
        .name("rsparallel-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if signal != SIGINT {
                    std::process::exit(Outcome::Interrupted as i32);
                }
                if !at_prompt.load(Ordering::SeqCst) {
                    interrupt.interrupt();
                }
            }
        })
        .context("cannot handle Ctrl-C")?;
    Ok(())
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

/// `$RSPARALLEL_HISTORY`, else `.rsparallel_history` in the home directory.
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RSPARALLEL_HISTORY") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".rsparallel_history"))
}

/// While a host script waits for batches, one line on a terminal's stderr says how far they
/// are, redrawn in place and cleared when the wait is over.
fn show_wait(progress: &WaitProgress) {
    if !io::stderr().is_terminal() {
        return;
    }
    let mut err = io::stderr().lock();
    if progress.over {
        let _ = write!(err, "\r\x1b[2K");
    } else {
        let of = match progress.total {
            Some(total) if total > 0 => format!(
                " of {total} ({:.0}%)",
                progress.done as f64 * 100.0 / total as f64
            ),
            _ => String::new(),
        };
        let batches = match progress.unfinished {
            1 => "1 batch".to_string(),
            n => format!("{n} batches"),
        };
        let _ = write!(
            err,
            "\r\x1b[2Kwaiting: {}{of} jobs done, {batches} running (Ctrl-C stops waiting)",
            progress.done
        );
    }
    let _ = err.flush();
}

/// The names of every function `engine` has (Rhai's standard library, the batteries, the host
/// API), without operators, property accessors and indexers.
fn builtin_names(engine: &Engine) -> Vec<String> {
    let mut names: Vec<String> = engine
        .gen_fn_signatures(true)
        .iter()
        .filter_map(|signature| signature.split('(').next())
        .filter(|name| {
            name.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}
