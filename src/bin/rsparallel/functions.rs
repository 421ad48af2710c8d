//! `rsparallel functions`: every function a job script can call besides Rhai's own, by family —
//! the job's own (`emit`, the streams, `sleep`), then the batteries, then the capabilities
//! (files, network, processes, environment), which need their `--allow-*` flags.

use std::io::{self, Write};

use anyhow::{Context, bail};
use rsparallel::batteries::{FAMILIES, Family, HelpEntry};

use crate::Outcome;
use crate::cli::FunctionsArgs;

/// Where Rhai's own functions (strings, arrays, maps, math) are documented.
pub const RHAI_DOCS: &str = "https://rhai.rs/book/ref/";

/// The functions the worker gives each job around its script. They are not batteries: the
/// REPL's and `exec`'s own inputs do not have them (bar `sleep`, which the host API has too).
pub const JOB_FAMILY: Family = Family {
    name: "job",
    about: "only in jobs: their output, their streams, waiting",
    entries: JOB_FUNCTIONS,
};

const JOB_FUNCTIONS: &[HelpEntry] = &[
    (
        "emit(value)",
        "adds value to the job's output, before its final value",
        "emit(item); emit(item * 2)",
    ),
    (
        "warn(value)",
        "writes a line to the job's warn stream (stderr, and its record)",
        r#"warn("slow item")"#,
    ),
    (
        "verbose(value)",
        "writes a line to the verbose stream, shown with run --verbose",
        r#"verbose(`item ${item}`)"#,
    ),
    (
        "error(value)",
        "a non-terminating error: the job goes on, its record is marked",
        r#"error("bad row")"#,
    ),
    (
        "sleep(ms)",
        "waits on the job's clock: its timeout or a cancel ends the wait",
        "sleep(10)",
    ),
];

/// What a job sees besides functions, said under the job family.
pub const JOB_VARIABLES: &str =
    "(jobs also see item, seq and attempt; print and debug write to their streams too)";

/// Every family a job script can call, the job's own first.
pub fn families() -> Vec<Family> {
    std::iter::once(JOB_FAMILY)
        .chain(FAMILIES.iter().copied())
        .chain(rsparallel::capabilities::FAMILIES)
        .collect()
}

/// The family `name` names, by its name or its plural (`hashes`, `encodings`).
pub fn find_family(name: &str) -> Option<Family> {
    let name = name.to_lowercase();
    let singular = [name.strip_suffix("es"), name.strip_suffix('s')];
    families()
        .into_iter()
        .find(|family| family.name == name || singular.iter().flatten().any(|s| *s == family.name))
}

/// The name a signature declares: `sha256` of `sha256(text | blob) -> string`.
pub fn name_of(signature: &str) -> &str {
    signature.split('(').next().unwrap_or(signature)
}

/// How many functions a family has: a name with several forms counts once.
pub fn function_count(family: &Family) -> usize {
    let mut names: Vec<&str> = family.entries.iter().map(|(s, ..)| name_of(s)).collect();
    names.dedup();
    names.len()
}

/// What `rsparallel functions` prints: each family (or the one asked for) with one function a
/// line, the summaries lined up, then where Rhai's own functions are described.
pub fn listing(family: Option<&str>) -> anyhow::Result<String> {
    let chosen = match family {
        None => families(),
        Some(name) => match find_family(name) {
            Some(family) => vec![family],
            None => bail!(
                "no family {name:?}; the families are {}",
                family_names().join(", ")
            ),
        },
    };
    let width = chosen
        .iter()
        .flat_map(|f| f.entries)
        .map(|(signature, ..)| signature.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for family in &chosen {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("{}: {}\n", family.name, family.about));
        for (signature, summary, _) in family.entries {
            out.push_str(&format!("  {signature:<width$}  {summary}\n"));
        }
        if family.name == JOB_FAMILY.name {
            out.push_str(&format!("  {JOB_VARIABLES}\n"));
        }
    }
    out.push_str(&format!(
        "\nRhai's standard library is there too (strings, arrays, maps, math, ...): {RHAI_DOCS}\n"
    ));
    Ok(out)
}

pub fn family_names() -> Vec<&'static str> {
    families().iter().map(|f| f.name).collect()
}

pub fn functions(args: FunctionsArgs) -> anyhow::Result<Outcome> {
    let text = listing(args.family.as_deref())?;
    match io::stdout().lock().write_all(text.as_bytes()) {
        // `rsparallel functions | head` read what it wanted.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write to stdout")?,
    }
    Ok(Outcome::AllCompleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_listed_once_with_its_summary() {
        let all = listing(None).unwrap();
        for (signature, summary, _) in families().iter().flat_map(|f| f.entries) {
            let line = all
                .lines()
                .find(|l| l.trim_start().starts_with(signature))
                .unwrap_or_else(|| panic!("{signature} is not listed"));
            assert!(line.ends_with(summary), "{line}");
        }
        assert!(all.contains(RHAI_DOCS));
    }

    #[test]
    fn a_family_is_found_by_its_name_or_plural() {
        assert_eq!(find_family("job").unwrap().name, "job");
        assert_eq!(find_family("JSON").unwrap().name, "json");
        assert!(find_family("nothing").is_none());
        // The command line always has the `batteries` feature.
        assert_eq!(find_family("hashes").unwrap().name, "hash");
        assert_eq!(find_family("encodings").unwrap().name, "encoding");
        assert_eq!(function_count(&find_family("time").unwrap()), 6);
    }

    #[test]
    fn an_unknown_family_names_those_there_are() {
        let err = listing(Some("bogus")).unwrap_err().to_string();
        assert!(err.contains("no family \"bogus\""), "{err}");
        assert!(err.contains("job, "), "{err}");
    }
}
