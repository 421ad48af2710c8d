//! `run_process`'s options map, `#{ stdin, env, cwd }`, the variables it may set, and its
//! arguments as text.

use std::path::PathBuf;

use rhai::{Blob, Dynamic, ImmutableString, Map};

use super::{Fallible, failed, group};
use crate::capabilities::{Capability, Grant, refused};

/// The options map: what to write to the program, variables to add, the folder to run in.
#[derive(Default)]
pub(super) struct Options {
    pub(super) stdin: Option<Input>,
    pub(super) env: Vec<(String, String)>,
    pub(super) cwd: Option<PathBuf>,
}

impl Options {
    pub(super) fn parse(options: Map) -> Fallible<Options> {
        let mut parsed = Options::default();
        for (key, value) in options {
            match key.as_str() {
                "stdin" | "env" | "cwd" if value.is_unit() => {}
                "stdin" if value.is_string() => {
                    parsed.stdin = Some(Input::Text(value.cast::<ImmutableString>()));
                }
                "stdin" if value.is_blob() => parsed.stdin = Some(Input::Bytes(value.cast())),
                "env" if value.is_map() => {
                    for (name, value) in value.cast::<Map>() {
                        // The dynamic loader's variables would make any granted program load
                        // code of the script's choosing (`LD_PRELOAD`): a grant to run `ls`
                        // would be a grant to run anything.
                        if name.starts_with("LD_") || name.starts_with("DYLD_") {
                            let why = format!("env {name} is refused: it would load other code");
                            return Err(failed("run_process", why));
                        }
                        if name == group::TOKEN_VARIABLE {
                            let why = format!("env {name} is refused: rsparallel sets it");
                            return Err(failed("run_process", why));
                        }
                        let value = text(value, || format!("env {name}"))?;
                        parsed.env.push((name.to_string(), value));
                    }
                }
                "cwd" if value.is_string() => {
                    parsed.cwd = Some(PathBuf::from(value.cast::<ImmutableString>().as_str()));
                }
                "stdin" | "env" | "cwd" => {
                    let why = format!(
                        "option {key} is {}: stdin is a string or a blob, env a map, cwd a string",
                        value.type_name()
                    );
                    return Err(failed("run_process", why));
                }
                _ => {
                    let why = format!("unknown option {key} (stdin, env, cwd)");
                    return Err(failed("run_process", why));
                }
            }
        }
        Ok(parsed)
    }
}

/// What is written to the program's standard input.
pub(super) enum Input {
    Text(ImmutableString),
    Bytes(Blob),
}

/// An argument or a variable's value as the program gets it: text, or a number, a boolean or
/// a character written as text.
pub(super) fn text(value: Dynamic, what: impl FnOnce() -> String) -> Fallible<String> {
    let textual = value.is_string() || value.is_char() || value.is_int() || value.is_bool();
    if textual || value.is_float() {
        Ok(value.to_string())
    } else {
        let why = format!("{} is {}, not text", what(), value.type_name());
        Err(failed("run_process", why))
    }
}

/// Variables known to make a program load or run code of their value's choosing, besides the
/// dynamic loader's (refused outright, `options`): with `--allow-env` alone, a script may set
/// none of them; the flag must name each one. Not a complete list, which no list can be: a
/// second line behind naming the variables a script may set.
const LOADS_CODE: &[&str] = &[
    "BASH_ENV",
    "ENV",
    "GCONV_PATH",
    "GLIBC_TUNABLES",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONHOME",
    "NODE_OPTIONS",
    "NODE_PATH",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "LUA_INIT",
    "GIT_EXEC_PATH",
    "GIT_SSH_COMMAND",
    "SHELLOPTS",
    "PS4",
];

/// The variables the `env` option sets, each of which `--allow-env` must grant: a variable
/// the script may not read, it may not set either. Any variable the script chose could make a
/// granted program run other code (`BASH_ENV`, `GCONV_PATH`, `PERL5OPT` for a program that runs
/// bash, iconv or perl), as the dynamic loader's do; those known to ([`LOADS_CODE`], bash's
/// exported functions) only where the flag names them.
pub(super) fn granted_variables(
    grant: &Grant,
    set: Vec<(String, String)>,
) -> Fallible<Vec<(String, String)>> {
    // A grant of everything names no variable.
    let named_only = matches!(grant, Grant::Only(_));
    let loads_code = |name: &str| LOADS_CODE.contains(&name) || name.starts_with("BASH_FUNC_");
    let refused_name = set
        .iter()
        .map(|(name, _)| name.as_str())
        .find(|&name| !grant.allows(name) || (loads_code(name) && !named_only));
    match refused_name {
        Some(name) => Err(refused(Capability::Env, name)),
        None => Ok(set),
    }
}
