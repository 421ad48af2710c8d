//! The REPL's `help`: a screenful that says what there is, then `help NAME` for one function
//! with its example, and `help TOPIC` for the whole host API, a family of functions, a
//! record's fields or the keys. What is printed is built here as text, so tests can read it.

use rsparallel::batteries::{Family, HelpEntry};
use rsparallel::host::{HOST_FUNCTIONS, HostFunction};

use crate::functions::{JOB_FAMILY, JOB_VARIABLES, families, find_family, function_count, name_of};

/// The properties of pools and batches, read as `pool.threads`.
pub const PROPERTIES: &[(&str, &str)] = &[
    ("threads", "pool.threads: how many workers the pool has"),
    ("is_closed", "pool.is_closed: whether the pool is closed"),
    (
        "id",
        "batch.id: the batch's number, which its records have as `batch`",
    ),
    (
        "script",
        "batch.script: the source text of the batch's script",
    ),
];

/// What `help TOPIC` takes besides a family's name.
const TOPICS: &[&str] = &["host", "batteries", "records", "keys"];

const RECORDS: &str = "\
A record, as receive_runspace_job returns it (run --output jsonl's fields, plus batch):
  seq          the item's 0-based position in its batch's items
  batch        the batch it belongs to (batch.id)
  item         the item
  status       completed, failed, timed_out, cancelled or skipped
  output       the values the job emitted, then its final value unless that was ()
  error        () if it completed, else #{kind, message, thrown, line, column}:
                 kind     thrown, script, compile, timed_out, ops_budget, memory_cap,
                          call_depth, cancelled, skipped, native_panic, unreadable_input, output
                 message  what happened, for a person to read
                 thrown   the value the script threw (only when it threw one)
                 line, column  where in the script, or ()
  worker       the worker that ran it, or () if none did
  start, end   when it ran, RFC 3339 text, or () (shown when you look at one: records[7])
  duration_ms  how long it ran
  attempts     how many times it ran (more than 1 with retries)
  streams      what it wrote with print, debug, warn, verbose, error: [#{stream, text}]
";

const KEYS: &str = "\
Keys:
  Tab           completes functions and variables; after a `.`, what pools and batches have
  Enter         runs the input; one that is not finished (an open bracket or block, a
                back-tick string) goes on on the next line
  Up, Down      history; Ctrl-R searches it
  Ctrl-C        clears the line; while an input runs, stops it (a wait, a loop) and the jobs
                it submitted go on. It never leaves the REPL
  exit, Ctrl-D  leave; exit(status) leaves with that status
Commands, alone on a line:
  scope         the session's variables, with their types and values
  functions     the functions defined at the prompt (job scripts can call them too)
  history       the last 20 lines entered
";

/// The text after `help` when `line` is the REPL's help command (`help`, `help NAME`), ""
/// for a bare `help`; None when the line is Rhai to evaluate, such as `help + 1`.
pub fn help_query(line: &str) -> Option<&str> {
    let line = line.trim().trim_end_matches(';').trim_end();
    let rest = line.strip_prefix("help")?;
    if rest.is_empty() {
        return Some("");
    }
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let query = rest.trim();
    query
        .chars()
        .all(|c| c.is_alphanumeric() || "_.()".contains(c))
        .then_some(query)
}

/// What `help` (an empty query), `help NAME` or `help TOPIC` prints.
pub fn help_text(query: &str) -> String {
    // `help pool.status()` asks about `status`.
    let query = query.to_lowercase();
    let name = query.rsplit('.').next().unwrap_or_default();
    let name = name.split('(').next().unwrap_or_default().trim();
    match name {
        "" => short(),
        "host" => host(),
        "batteries" => families()
            .iter()
            .filter(|f| f.name != JOB_FAMILY.name)
            .map(family)
            .collect::<Vec<_>>()
            .join("\n"),
        "records" => RECORDS.into(),
        "keys" => KEYS.into(),
        // A function before a family: `help jobs` is `pool.jobs()`, not the job family.
        _ => function(name)
            .or_else(|| find_family(name).as_ref().map(family))
            .unwrap_or_else(|| unknown(name)),
    }
}

/// Everything there is, a line each, and how to ask for more: a screenful.
fn short() -> String {
    let mut out = String::from("Host API, also in exec (pool.status() is status(pool)):\n");
    for f in HOST_FUNCTIONS {
        out.push_str(&format!("  {}{}\n", f.name, f.params));
    }
    out.push_str("  pools have .threads and .is_closed; batches have .id and .script\n");
    out.push_str("Functions for jobs, by family, and how many (all but job's work here too):\n");
    for f in families() {
        out.push_str(&format!(
            "  {:<9}{:>2}  {}\n",
            f.name,
            function_count(&f),
            f.about
        ));
    }
    out.push_str("Ctrl-C stops a running input, never leaves; exit, exit(status), Ctrl-D leave.\n");
    out.push_str(
        "More: help NAME for a function (help receive_runspace_job, help sha256);\n\
         \x20     help TOPIC: host, batteries, records, keys, or a family (help regex).\n",
    );
    out
}

/// The whole host API, with examples.
fn host() -> String {
    let mut out = String::from(
        "Host API (method syntax works too: pool.status(), pool.receive_runspace_job()):\n",
    );
    for f in HOST_FUNCTIONS {
        out.push_str(&host_function(f));
    }
    for (_, about) in PROPERTIES {
        out.push_str(&format!("  {about}\n"));
    }
    out.push_str("Print and debug from jobs show here as they run.\n");
    out
}

fn host_function(f: &HostFunction) -> String {
    entry(&format!("{}{}", f.name, f.params), f.summary, f.example)
}

/// A family in full, with examples.
fn family(family: &Family) -> String {
    let mut out = format!("{}: {}\n", family.name, family.about);
    for (signature, summary, example) in family.entries {
        out.push_str(&entry(signature, summary, example));
    }
    if family.name == JOB_FAMILY.name {
        out.push_str(&format!("  {JOB_VARIABLES}\n"));
    }
    out
}

fn entry(signature: &str, summary: &str, example: &str) -> String {
    format!("  {signature}\n      {summary}\n      e.g. {example}\n")
}

/// Every function or property of this name: a host function, each form of a battery, a job's
/// own function (`sleep` is both a host's and a job's).
fn function(name: &str) -> Option<String> {
    let mut out = String::new();
    if let Some(f) = HOST_FUNCTIONS.iter().find(|f| f.name == name) {
        out.push_str("Host API:\n");
        out.push_str(&host_function(f));
    }
    if let Some((_, about)) = PROPERTIES.iter().find(|(p, _)| *p == name) {
        out.push_str(&format!("Property:\n  {about}\n"));
    }
    for f in families() {
        let forms: Vec<&HelpEntry> = f
            .entries
            .iter()
            .filter(|(signature, ..)| name_of(signature) == name)
            .collect();
        if forms.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "{}: {} (help {} lists them)\n",
            f.name, f.about, f.name
        ));
        for (signature, summary, example) in forms {
            out.push_str(&entry(signature, summary, example));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Says there is no such name, and which names come close.
fn unknown(name: &str) -> String {
    let names = every_name();
    let mut close: Vec<&str> = names.iter().copied().filter(|n| n.contains(name)).collect();
    if close.is_empty() && name.chars().count() >= 3 {
        // A misspelling keeps its start more often than not: `regx` is near `regex`.
        let start: String = name.chars().take(3).collect();
        close = names
            .iter()
            .copied()
            .filter(|n| n.starts_with(&start))
            .collect();
    }
    let mut out = format!("No function or topic {name:?}.");
    if !close.is_empty() {
        out.push_str(&format!(" Close: {}.", close.join(", ")));
    }
    out.push_str(" Type help for what there is.\n");
    out
}

/// Every name `help` knows, sorted, once each.
fn every_name() -> Vec<&'static str> {
    let all = families();
    let mut names: Vec<&'static str> = HOST_FUNCTIONS
        .iter()
        .map(|f| f.name)
        .chain(PROPERTIES.iter().map(|(p, _)| *p))
        .chain(TOPICS.iter().copied())
        .chain(all.iter().map(|f| f.name))
        .chain(all.iter().flat_map(|f| f.entries).map(|(s, ..)| name_of(s)))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_help_fits_a_screen_and_names_every_host_function_and_family() {
        let text = help_text("");
        // A line per host function and per family, and a few more: a screen holds it.
        let most = HOST_FUNCTIONS.len() + families().len() + 9;
        assert!(text.lines().count() <= most.min(40), "{text}");
        for f in HOST_FUNCTIONS {
            assert!(text.contains(&format!("{}{}", f.name, f.params)), "{text}");
        }
        for f in families() {
            assert!(text.contains(&format!("  {:<9}", f.name)), "{text}");
        }
        assert!(text.contains("Ctrl-C") && text.contains("Ctrl-D"), "{text}");
        assert!(
            text.contains("help NAME") && text.contains("help TOPIC"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    }

    #[test]
    fn help_name_shows_a_host_function_or_every_form_of_a_battery() {
        let receive = HOST_FUNCTIONS
            .iter()
            .find(|f| f.name == "receive_runspace_job")
            .unwrap();
        let text = help_text("receive_runspace_job");
        assert!(
            text.contains(&format!("receive_runspace_job{}", receive.params)),
            "{text}"
        );
        assert!(
            text.contains(&format!("e.g. {}", receive.example)),
            "{text}"
        );
        let text = help_text("parse_time");
        assert!(text.contains("parse_time(text) -> int"), "{text}");
        assert!(text.contains("parse_time(text, format) -> int"), "{text}");
        assert!(!text.contains("format_time"), "{text}");
        assert_eq!(help_text("pool.status()"), help_text("status"));
        assert!(help_text("threads").contains("pool.threads"));
    }

    #[test]
    fn a_name_of_both_the_host_and_jobs_shows_both() {
        let text = help_text("sleep");
        assert!(text.contains("Host API:"), "{text}");
        assert!(text.contains("job: "), "{text}");
    }

    #[test]
    fn topics_print_in_full() {
        assert!(help_text("host").contains("e.g. pool.close()"));
        assert!(help_text("sha256").contains(r#"e.g. sha256("abc")"#));
        let regex = help_text("regex");
        assert!(
            regex.contains("split_regex(text, pattern) -> array"),
            "{regex}"
        );
        assert!(!regex.contains("sha256"), "{regex}");
        let batteries = help_text("batteries");
        for name in [
            "is_match(",
            "to_json(",
            "crc32(",
            "url_decode(",
            "now_ms(",
            "slugify(",
        ] {
            assert!(batteries.contains(name), "{name}");
        }
        assert!(!batteries.contains("emit("), "{batteries}");
        assert!(help_text("job").contains("emit(value)"));
        assert!(help_text("hashes").contains("md5("));
        let records = help_text("records");
        for field in [
            "seq",
            "batch",
            "duration_ms",
            "attempts",
            "streams",
            "thrown",
        ] {
            assert!(records.contains(field), "{field}");
        }
        assert!(help_text("keys").contains("Ctrl-C"));
    }

    #[test]
    fn jobs_is_the_host_function_not_the_job_family() {
        assert!(help_text("jobs").contains("jobs(pool)"));
    }

    #[test]
    fn an_unknown_name_is_said_with_close_names() {
        let text = help_text("receive");
        assert!(
            text.starts_with("No function or topic \"receive\"."),
            "{text}"
        );
        assert!(text.contains("receive_runspace_job"), "{text}");
        let text = help_text("regx");
        assert!(text.contains("regex"), "{text}");
        let text = help_text("zzz");
        assert!(!text.contains("Close"), "{text}");
    }

    #[test]
    fn only_help_and_one_word_are_the_help_command() {
        assert_eq!(help_query("help"), Some(""));
        assert_eq!(help_query("  help ; "), Some(""));
        assert_eq!(help_query("help sha256"), Some("sha256"));
        assert_eq!(help_query("help pool.status();"), Some("pool.status()"));
        assert_eq!(help_query("help + 1"), None);
        assert_eq!(help_query("help_me"), None);
        assert_eq!(help_query("help(sha256)"), None);
        assert_eq!(help_query("helper.len()"), None);
    }
}
