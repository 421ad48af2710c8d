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
use rsparallel::rhai::{Dynamic, INT, ImmutableString, Map};
use rsparallel::{Error, JobRecord, RunspacePool, ScriptVm};

#[path = "differential/corpus.rs"]
mod corpus;
#[path = "differential/corpus_values.rs"]
mod corpus_values;
#[path = "differential/known.rs"]
mod known;
#[path = "differential/outcome.rs"]
mod outcome;
#[path = "differential/programs.rs"]
mod programs;
#[path = "differential/reference.rs"]
mod reference;

use corpus::STATEMENTS;
use corpus_values::VALUES;

/// Every corpus script, in the order they run: statements, then values.
static CORPUS: std::sync::LazyLock<Vec<(&str, &str)>> =
    std::sync::LazyLock::new(|| [STATEMENTS, VALUES].concat());
use known::{KNOWN_AUTO_DIFFERENCES, KNOWN_GRAIN_DIFFERENCES};
use outcome::{Difference, Outcome, canonical};
use programs::program;
use reference::{MODULE, POOL_VARIABLE, Reference};

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

/// A one-worker pool on `vm`, importing from `modules`: one runspace runs every script, so
/// whatever a job leaves behind would reach the next, the calls its tree walker keeps resolved
/// from one job to the next among them. No corpus script or generated program
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
        for (name, source) in CORPUS.iter() {
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
        for (name, source) in CORPUS.iter() {
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
