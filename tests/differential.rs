//! Rhai's two interpreters, as rsparallel runs them, against Rhai's own answers.
//!
//! A corpus of small scripts covers the statement and expression forms of the Rhai book. Each
//! script runs, with `item`, `seq` and `attempt` in scope, over items of several types:
//!
//! - on a plain `rhai::Engine`, the reference: the tree walker of a pool must give exactly its
//!   answers (outputs, error messages, line and column);
//! - on grain (`ScriptVm::Grain`) and on `ScriptVm::Auto`: where they differ from the tree
//!   walker is listed here by script, so that the test fails when grain gets worse, and when
//!   a listed difference goes away.
//!
//! Generated programs (proptest) add loops, branches, shadowing and closures in combinations
//! no one wrote by hand: the tree walker must agree with the reference on every one; grain's
//! differences are counted and reported.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use rsparallel::rhai::module_resolvers::FileModuleResolver;
use rsparallel::rhai::{
    AST, Array, Dynamic, Engine, EvalAltResult, INT, ImmutableString, Map, ParseError, Scope,
};
use rsparallel::{
    DEFAULT_MAX_CALL_DEPTH, DEFAULT_MAX_EXPR_DEPTH, Error, JobRecord, RunspacePool, ScriptVm,
};

#[path = "differential/corpus.rs"]
mod corpus;
#[path = "differential/programs.rs"]
mod programs;

use corpus::CORPUS;
use programs::program;

/// Corpus scripts on which grain's records differ from the tree walker's, and how.
///
/// Positions are compared exactly, like outputs and messages: a wrong line or column sends a
/// user to the wrong place, and nothing in the corpus depends on timing. (Where a timeout, a
/// cancel or `max_ops` stops a loop, grain reports a position a few columns from the tree
/// walker's; that is documented on `ScriptVm::Grain` and tested in `tests/grain.rs`, and is not
/// part of this corpus.) A listed difference of kind `Position` therefore means: same outputs
/// and messages, another place.
///
/// Grain's one fault found so far is the counter of `for (x, i) in ..`: with variables in the
/// scope (every job has four), it writes the counter into another variable's slot and reads
/// `()` for `i`. So the counter is lost (`for_counter*`), a variable declared before the loop
/// reads the counter inside it (`for_counter_with_variables`: `a` is 0, then 1), and the job
/// variable in that slot, `attempt`, takes the counter's value and stops being a constant: a
/// later job can assign it, and, since a worker writes `attempt` only when it changes, what
/// one job left there is what the next jobs on that worker read (`attempt_assign_fails`,
/// `job_variables_after_*`). A counter inside a function or closure, whose scope starts empty,
/// is right. The corpus runs in order on one worker; these last entries depend on a counter
/// loop having run before them.
const KNOWN_GRAIN_DIFFERENCES: &[(&str, Difference)] = &[
    ("for_counter", Difference::Output),
    ("for_counter_and_value", Difference::Output),
    ("for_counter_over_range", Difference::Output),
    ("for_counter_over_string", Difference::Output),
    ("for_counter_break", Difference::Output),
    ("for_counter_nested", Difference::Output),
    ("for_counter_then_job_variables", Difference::Output),
    ("job_variables_after_a_counter", Difference::Output),
    ("for_counter_with_variables", Difference::Output),
    // Grain names the `this += 1` in the method at column 18 (the `1`), the tree walker at 13.
    ("this_on_constant_fails", Difference::Position),
    ("attempt_assign_fails", Difference::Output),
    ("job_variables_after_an_assignment", Difference::Output),
];

/// Corpus scripts on which `ScriptVm::Auto` differs from the tree walker: it runs scripts on
/// grain unless they define functions (closures included), import, or declare constants their
/// functions read, so it has grain's differences on the scripts it gives grain.
const KNOWN_AUTO_DIFFERENCES: &[(&str, Difference)] = &[
    ("for_counter", Difference::Output),
    ("for_counter_and_value", Difference::Output),
    ("for_counter_over_range", Difference::Output),
    ("for_counter_over_string", Difference::Output),
    ("for_counter_break", Difference::Output),
    ("for_counter_nested", Difference::Output),
    ("for_counter_then_job_variables", Difference::Output),
    ("job_variables_after_a_counter", Difference::Output),
    ("for_counter_with_variables", Difference::Output),
    ("attempt_assign_fails", Difference::Output),
    ("job_variables_after_an_assignment", Difference::Output),
];

/// How the records of one script on two interpreters differ, the worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Difference {
    /// Another status or another output.
    Output,
    /// The same status and outputs; another error message.
    Message,
    /// The same status, outputs and messages; another line or column.
    Position,
}

/// What one job came to, in a form both the reference and a record give.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Outcome {
    status: String,
    output: Vec<String>,
    message: Option<String>,
    position: (Option<usize>, Option<usize>),
}

impl Outcome {
    fn compile_error(message: String, line: Option<usize>, column: Option<usize>) -> Self {
        Outcome {
            status: "compile error".into(),
            output: Vec::new(),
            message: Some(message),
            position: (line, column),
        }
    }

    fn of_record(r: &JobRecord) -> Self {
        let error = r.error.as_deref();
        Outcome {
            status: r.status.as_str().to_string(),
            output: r.output.iter().map(canonical).collect(),
            message: error.map(|e| e.message.clone()),
            position: error.map_or((None, None), |e| (e.line, e.column)),
        }
    }

    fn differs_from(&self, other: &Outcome) -> Option<Difference> {
        if self.status != other.status || self.output != other.output {
            Some(Difference::Output)
        } else if self.message != other.message {
            Some(Difference::Message)
        } else if self.position != other.position {
            Some(Difference::Position)
        } else {
            None
        }
    }
}

/// A value as text: nested arrays and maps spelled out, shared values read through, each leaf
/// in its debug form (which tells `1` from `1.0`, `"a"` and `'a'`).
fn canonical(value: &Dynamic) -> String {
    let value = value.flatten_clone();
    if let Some(array) = value.read_lock::<Array>() {
        let items: Vec<String> = array.iter().map(canonical).collect();
        return format!("[{}]", items.join(", "));
    }
    if let Some(map) = value.read_lock::<Map>() {
        let entries: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{k:?}: {}", canonical(v)))
            .collect();
        return format!("#{{{}}}", entries.join(", "));
    }
    format!("{}:{value:?}", value.type_name())
}

/// The items every corpus script runs over: an integer, a string with non-ASCII characters, a
/// map, and a negative integer.
fn items() -> Vec<Dynamic> {
    let mut map = Map::new();
    map.insert("a".into(), Dynamic::from(1 as INT));
    map.insert("b".into(), Dynamic::from(ImmutableString::from("x")));
    map.insert(
        "list".into(),
        Dynamic::from_array(vec![Dynamic::from(1 as INT), Dynamic::from(2 as INT)]),
    );
    vec![
        Dynamic::from(42 as INT),
        Dynamic::from(ImmutableString::from("héllo")),
        Dynamic::from_map(map),
        Dynamic::from(-3 as INT),
    ]
}

/// Far more than any corpus script or generated program takes.
const REFERENCE_MAX_OPERATIONS: u64 = 5_000_000;

/// The variable every pool (as with `--var base=10`) and the reference give every job, before
/// the job variables.
const POOL_VARIABLE: (&str, INT) = ("base", 10);

/// The module corpus scripts import, as `m`.
const MODULE: &str = "export const BASE = 10;\n\
                      fn twice(x) { x * 2 }\n\
                      let hidden = 7;\n\
                      export hidden as shown;\n";

/// Rhai's own interpreter, the reference: a plain engine with the pool's limits on call and
/// expression depth (configuration, not semantics) and modules from `modules`.
struct Reference {
    engine: Engine,
}

impl Reference {
    fn new(modules: &Path) -> Self {
        let mut engine = Engine::new();
        engine.set_max_call_levels(DEFAULT_MAX_CALL_DEPTH);
        engine.set_max_expr_depths(DEFAULT_MAX_EXPR_DEPTH, DEFAULT_MAX_EXPR_DEPTH);
        engine.set_module_resolver(FileModuleResolver::new_with_path(modules));
        engine.on_print(|_| {});
        engine.on_debug(|_, _, _| {});
        // Not a limit the pool has: should a script loop for ever here, the test fails (the
        // pool times the job out) instead of hanging.
        engine.set_max_operations(REFERENCE_MAX_OPERATIONS);
        Reference { engine }
    }

    fn compile(&self, source: &str) -> Result<AST, ParseError> {
        self.engine.compile(source)
    }

    /// `source` over `items`, each with the pool variable, `attempt` 1, its `seq`, and the
    /// item in scope, pushed as rsparallel pushes them: all constants but `item`.
    fn outcomes(&self, source: &str, items: &[Dynamic]) -> Vec<Outcome> {
        let ast = match self.compile(source) {
            Ok(ast) => ast,
            Err(e) => {
                let p = e.position();
                let outcome =
                    Outcome::compile_error(e.err_type().to_string(), p.line(), p.position());
                return vec![outcome; items.len()];
            }
        };
        items
            .iter()
            .enumerate()
            .map(|(seq, item)| {
                let mut scope = Scope::new();
                scope.push_constant(POOL_VARIABLE.0, POOL_VARIABLE.1);
                scope.push_constant("attempt", 1 as INT);
                scope.push_constant("seq", seq as INT);
                scope.push_dynamic("item", item.clone());
                match self.engine.eval_ast_with_scope::<Dynamic>(&mut scope, &ast) {
                    Ok(value) => {
                        let value = value.flatten();
                        Outcome {
                            status: "completed".into(),
                            output: if value.is_unit() {
                                Vec::new()
                            } else {
                                vec![canonical(&value)]
                            },
                            message: None,
                            position: (None, None),
                        }
                    }
                    Err(err) => {
                        let (message, line, column) = reference_error(&err);
                        Outcome {
                            status: "failed".into(),
                            output: Vec::new(),
                            message: Some(message),
                            position: (line, column),
                        }
                    }
                }
            })
            .collect()
    }
}

/// Rhai's error as a job's record states it: the message of the innermost error without its
/// position, a thrown value as its text (`()` as "error thrown"), the function it happened in,
/// and the innermost position as line and column. The call depth limit is named by its option,
/// as the README's "What happens when things go wrong" says.
fn reference_error(err: &EvalAltResult) -> (String, Option<usize>, Option<usize>) {
    let inner = err.unwrap_inner();
    let position = inner.position();
    let mut message = match inner {
        EvalAltResult::ErrorRuntime(value, _) if value.is_unit() => "error thrown".to_string(),
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        EvalAltResult::ErrorStackOverflow(_) => {
            format!("exceeded the call depth limit of {DEFAULT_MAX_CALL_DEPTH} (max-call-depth)")
        }
        other => {
            let text = other.to_string();
            match text.strip_suffix(&format!(" ({position})")) {
                Some(bare) if !position.is_none() => bare.to_string(),
                _ => text,
            }
        }
    };
    if let EvalAltResult::ErrorInFunctionCall(name, ..) = err {
        message.push_str(&format!(" (in function '{name}')"));
    }
    (message, position.line(), position.position())
}

/// A one-worker pool on `vm`, importing from `modules`: one runspace runs every script, so
/// whatever a job leaves behind would reach the next. No corpus script or generated program
/// loops for ever; should an interpreter make one do so, it times out, and differs.
fn pool(vm: ScriptVm, modules: &Path) -> RunspacePool {
    RunspacePool::builder()
        .threads(1)
        .vm(vm)
        .timeout(std::time::Duration::from_secs(10))
        .variable(POOL_VARIABLE.0, POOL_VARIABLE.1)
        .module_path(modules)
        .build()
        .expect("pool builds")
}

/// The outcomes of `source` over `items` on `pool`, in input order.
fn pool_outcomes(pool: &RunspacePool, source: &str, items: &[Dynamic]) -> Vec<Outcome> {
    let script = match pool.compile(source) {
        Ok(script) => script,
        Err(Error::Compile(e)) => {
            let known = |n: usize| (n > 0).then_some(n);
            let outcome = Outcome::compile_error(e.message, known(e.line), known(e.column));
            return vec![outcome; items.len()];
        }
        Err(other) => panic!("{source}: {other}"),
    };
    let mut records: Vec<JobRecord> = pool
        .run(&script, items.iter().cloned())
        .expect("run starts")
        .collect();
    records.sort_by_key(|r| r.seq);
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    assert_eq!(
        seqs,
        (0..items.len() as u64).collect::<Vec<_>>(),
        "{source}: one record per item"
    );
    records.iter().map(Outcome::of_record).collect()
}

/// Runs `f` on a thread with a stack deep enough for the reference engine at the pool's call
/// depth limit (the test harness's threads have 2 MiB).
fn on_a_deep_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(f)
        .expect("thread starts")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A folder holding the module `m.rhai`.
fn module_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.rhai"), MODULE).unwrap();
    dir
}

/// The outcomes of one script on both sides, item by item, as a report line per item.
fn describe(name: &str, source: &str, expected: &[Outcome], got: &[Outcome]) -> String {
    let mut text = format!("{name}: {source:?}\n");
    for (seq, (e, g)) in expected.iter().zip(got).enumerate() {
        if e != g {
            text.push_str(&format!(
                "  seq {seq}\n    expected {e:?}\n    got      {g:?}\n"
            ));
        }
    }
    text
}

/// The corpus scripts on which `vm` differs from the tree walker, with how they differ.
fn differences_from_the_tree_walker(vm: ScriptVm) -> (BTreeMap<String, Difference>, String) {
    on_a_deep_stack(move || {
        let dir = module_dir();
        let tree = pool(ScriptVm::TreeWalker, dir.path());
        let other = pool(vm, dir.path());
        let items = items();
        let mut found = BTreeMap::new();
        let mut report = String::new();
        let mut compared = 0;
        for (name, source) in CORPUS {
            let expected = pool_outcomes(&tree, source, &items);
            let got = pool_outcomes(&other, source, &items);
            compared += expected.len();
            let worst = expected
                .iter()
                .zip(&got)
                .filter_map(|(e, g)| e.differs_from(g))
                .min();
            if let Some(difference) = worst {
                found.insert(name.to_string(), difference);
                report.push_str(&describe(name, source, &expected, &got));
            }
        }
        assert_eq!(compared, CORPUS.len() * items.len());
        (found, report)
    })
}

fn as_map(list: &[(&str, Difference)]) -> BTreeMap<String, Difference> {
    list.iter().map(|(n, d)| (n.to_string(), *d)).collect()
}

#[test]
fn the_corpus_names_each_script_once_and_covers_the_book() {
    let mut names: Vec<&str> = CORPUS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CORPUS.len(), "a name is used twice");
    assert!(CORPUS.len() >= 80, "{} scripts", CORPUS.len());
    for (name, _) in KNOWN_GRAIN_DIFFERENCES.iter().chain(KNOWN_AUTO_DIFFERENCES) {
        assert!(names.contains(name), "{name} is not in the corpus");
    }
}

#[test]
fn the_tree_walker_gives_rhais_own_answers() {
    let (mismatches, completed, failed, compile_errors) = on_a_deep_stack(|| {
        let dir = module_dir();
        let reference = Reference::new(dir.path());
        let tree = pool(ScriptVm::TreeWalker, dir.path());
        let items = items();
        let mut mismatches = String::new();
        let (mut completed, mut failed, mut compile_errors) = (0, 0, 0);
        for (name, source) in CORPUS {
            let expected = reference.outcomes(source, &items);
            let got = pool_outcomes(&tree, source, &items);
            assert_eq!(expected.len(), items.len());
            assert_eq!(got.len(), items.len());
            if expected != got {
                mismatches.push_str(&describe(name, source, &expected, &got));
            }
            for e in &expected {
                match e.status.as_str() {
                    "completed" => completed += 1,
                    "failed" => failed += 1,
                    _ => compile_errors += 1,
                }
            }
        }
        (mismatches, completed, failed, compile_errors)
    });
    assert!(
        mismatches.is_empty(),
        "the tree walker differs from Rhai:\n{mismatches}"
    );
    eprintln!("{completed} completed, {failed} failed, {compile_errors} compile errors");
    // The corpus exercises answers and failures both: most jobs complete, and every kind of
    // failure in it is compared, message and position.
    let jobs = CORPUS.len() * items().len();
    assert_eq!(completed + failed + compile_errors, jobs);
    assert!(completed >= jobs * 2 / 3, "{completed} of {jobs} completed");
    assert!(failed >= 100, "{failed} failed");
    assert_eq!(compile_errors, 5 * items().len());
}

#[test]
fn grain_differs_from_the_tree_walker_only_where_listed() {
    let (found, report) = differences_from_the_tree_walker(ScriptVm::Grain);
    assert_eq!(
        found,
        as_map(KNOWN_GRAIN_DIFFERENCES),
        "grain's differences have changed:\n{report}"
    );
}

#[test]
fn auto_differs_from_the_tree_walker_only_where_listed() {
    let (found, report) = differences_from_the_tree_walker(ScriptVm::Auto);
    assert_eq!(
        found,
        as_map(KNOWN_AUTO_DIFFERENCES),
        "auto's differences have changed:\n{report}"
    );
}

// Generated programs.

/// Generated programs per run: enough to meet every statement form in many combinations,
/// few enough for a debug build in CI (about a second).
const GENERATED_CASES: u32 = 256;

/// Generated programs run over these items.
fn generated_items() -> Vec<Dynamic> {
    vec![Dynamic::from(7 as INT), Dynamic::from(-4 as INT)]
}

#[test]
fn generated_programs_give_rhais_answers_on_the_tree_walker() {
    on_a_deep_stack(|| {
        let dir = module_dir();
        let reference = Reference::new(dir.path());
        let tree = pool(ScriptVm::TreeWalker, dir.path());
        let on_grain = pool(ScriptVm::Grain, dir.path());
        let items = generated_items();
        let config = ProptestConfig {
            cases: GENERATED_CASES,
            // A failure is printed, shrunk; nothing is written into the source tree.
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        let counts = std::cell::RefCell::new(GrainCounts::default());
        let mut runner = TestRunner::new(config);
        let result = runner.run(&program(), |source| {
            let expected = reference.outcomes(&source, &items);
            let got = pool_outcomes(&tree, &source, &items);
            if expected != got {
                return Err(TestCaseError::fail(describe(
                    "generated",
                    &source,
                    &expected,
                    &got,
                )));
            }
            let on_grain = pool_outcomes(&on_grain, &source, &items);
            counts.borrow_mut().add(&source, &got, &on_grain);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        let counts = counts.into_inner();
        // Shrinking runs cases again; at least the configured number ran.
        assert!(
            counts.programs >= GENERATED_CASES as usize,
            "{} programs",
            counts.programs
        );
        assert!(counts.completed_jobs > 0, "no generated job completed");
        eprintln!("{counts}");
    });
}

/// How many generated programs grain got wrong, told apart by whether they have a `for` loop
/// with a counter (grain's known fault).
#[derive(Default)]
struct GrainCounts {
    programs: usize,
    completed_jobs: usize,
    with_counter: usize,
    with_counter_differing: usize,
    without_counter_differing: usize,
    example_without_counter: Option<String>,
}

impl GrainCounts {
    fn add(&mut self, source: &str, tree: &[Outcome], grain: &[Outcome]) {
        self.programs += 1;
        self.completed_jobs += tree.iter().filter(|o| o.status == "completed").count();
        let counter = source.contains("for (");
        self.with_counter += usize::from(counter);
        if tree == grain {
            return;
        }
        if counter {
            self.with_counter_differing += 1;
        } else {
            self.without_counter_differing += 1;
            self.example_without_counter
                .get_or_insert_with(|| describe("generated", source, tree, grain));
        }
    }
}

impl std::fmt::Display for GrainCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "generated programs: {}, jobs completed: {}; grain differs on {} of the {} with a \
             `for` counter, on {} of the {} without",
            self.programs,
            self.completed_jobs,
            self.with_counter_differing,
            self.with_counter,
            self.without_counter_differing,
            self.programs - self.with_counter
        )?;
        if let Some(example) = &self.example_without_counter {
            write!(f, "\nfor example:\n{example}")?;
        }
        Ok(())
    }
}
