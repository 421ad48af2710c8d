//! Throughput of the runspace pool against the limit of the engine.
//!
//! The *ideal* is what no runner can beat: N threads, each with its own engine built like a
//! runspace (its own standard library, the same progress hook), the shared compiled script,
//! and a pre-split slice of the items — no queue, no records, no output. Each case runs the
//! ideal and the real pool (`RunspacePool::run`, every record consumed) alternately, several
//! times, and prints the medians and their ratio. The trivial case also runs the ideal with
//! each thread compiling its own copy of the script, as a worker does: on one shared script,
//! the engine's reference counts pass between the threads' cores at every item.
//!
//! ```text
//! cargo bench --bench throughput                  # every case, 5 repetitions
//! cargo bench --bench throughput -- --reps 9 trivial
//! cargo bench --bench throughput -- --scale 0.1   # a tenth of the items, for a quick look
//! cargo bench --bench throughput -- vm           # tree walker against grain
//! ```
//!
//! Cases: `trivial` (`item * 2 + 1`, 1,000,000 items, 2 threads; also the ideal on copies of
//! the script, and that ideal making and dropping each item's record, each timed by a
//! system-clock read), `cpu` (a
//! loop of ~20,000 operations, 10,000 items, 1 and 2 threads), `timeout` (trivial and cpu with
//! a 10 s timeout set and never reached, against none), `mixed` (10,000 items, 1% of them 100×
//! longer: wall time against the total work divided by the threads), `vm` (the tree walker
//! against the grain bytecode VM, trivial and cpu, 2 threads), `opt` (optimization levels None,
//! Simple, Full on both VMs; not part of a bare run). Wall-clock figures: run on an idle
//! machine, and compare only figures from one run.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rsparallel::rhai::AST;
use rsparallel::{JobStatus, RunspacePool, ScriptVm};

use ideal::{Ideal, ideal, split_evaluation};

#[path = "throughput/ideal.rs"]
mod ideal;
#[path = "throughput/vm.rs"]
mod vm;

const TRIVIAL: &str = "item * 2 + 1";
/// About 20,000 engine operations per item.
const CPU: &str = "let s = 0; for i in 0..5000 { s += i; } s";
/// 1% of the items (every 100th) loop 100 times longer than the rest.
const MIXED: &str =
    "let n = if item % 100 == 0 { 20000 } else { 200 }; let s = 0; for i in 0..n { s += i; } s";

struct Options {
    reps: usize,
    scale: f64,
    cases: Vec<String>,
}

fn options() -> Options {
    let mut opts = Options {
        reps: 5,
        scale: 1.0,
        cases: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reps" => opts.reps = args.next().and_then(|v| v.parse().ok()).unwrap_or(5),
            "--scale" => opts.scale = args.next().and_then(|v| v.parse().ok()).unwrap_or(1.0),
            // `cargo bench` passes `--bench`; other flags are criterion's, not ours.
            a if a.starts_with('-') => {}
            case => opts.cases.push(case.to_string()),
        }
    }
    opts
}

fn scaled(n: i64, scale: f64) -> i64 {
    ((n as f64 * scale) as i64).max(100)
}

/// The real pool: every record of the run is taken and checked, nothing is written.
fn pooled(pool: &RunspacePool, source: &str, items: i64) -> (Duration, Duration) {
    let script = pool.compile(source).expect("the bench scripts compile");
    let start = Instant::now();
    let mut work = Duration::ZERO;
    let mut count = 0_i64;
    for record in pool.run(&script, 0..items).expect("the pool is open") {
        assert_eq!(record.status, JobStatus::Completed, "{:?}", record.error);
        work += record.duration();
        count += 1;
        black_box(record);
    }
    assert_eq!(count, items);
    (start.elapsed(), work)
}

/// A pool on the tree walker, as the ideal evaluates: the two differ only in what the pool
/// adds around each job.
fn pool(threads: usize, timeout: Option<Duration>) -> RunspacePool {
    let mut builder = RunspacePool::builder()
        .threads(threads)
        .vm(ScriptVm::TreeWalker);
    if let Some(t) = timeout {
        builder = builder.timeout(t);
    }
    builder.build().expect("the pool builds")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn rate(items: i64, d: Duration) -> f64 {
    items as f64 / d.as_secs_f64()
}

fn compile(source: &str) -> Arc<AST> {
    Arc::new(ideal::engine().compile(source).expect("compiles"))
}

/// Runs each of `runs` once per repetition, in turn, and returns each one's median items/s.
fn alternate(reps: usize, items: i64, runs: &mut [&mut dyn FnMut() -> Duration]) -> Vec<f64> {
    let mut rates = vec![Vec::new(); runs.len()];
    for _ in 0..reps {
        for (i, run) in runs.iter_mut().enumerate() {
            rates[i].push(rate(items, run()));
        }
    }
    rates.into_iter().map(median).collect()
}

fn row(name: &str, items_per_s: f64, versus: Option<(&str, f64)>) {
    match versus {
        Some((what, base)) => println!(
            "{name:<44} {:>12.0} items/s   {:>6.1}% of {what}",
            items_per_s,
            100.0 * items_per_s / base
        ),
        None => println!("{name:<44} {:>12.0} items/s", items_per_s),
    }
}

fn trivial(o: &Options) {
    let items = scaled(1_000_000, o.scale);
    let ast = compile(TRIVIAL);
    let p = pool(2, None);
    // What a library user gets without choosing: grain, for this script.
    let default = RunspacePool::builder()
        .threads(2)
        .vm(ScriptVm::Auto)
        .build()
        .expect("builds");
    let copies = Ideal {
        own_copy: Some(TRIVIAL),
        ..Ideal::default()
    };
    let records = Ideal {
        records: true,
        ..copies
    };
    let grain = Ideal {
        grain: true,
        ..copies
    };
    let r = alternate(
        o.reps,
        items,
        &mut [
            &mut || ideal(&ast, 2, items),
            &mut || split_evaluation(&ast, 2, items, copies),
            &mut || split_evaluation(&ast, 2, items, records),
            &mut || split_evaluation(&ast, 2, items, grain),
            &mut || pooled(&p, TRIVIAL, items).0,
            &mut || pooled(&default, TRIVIAL, items).0,
        ],
    );
    println!(
        "\n== trivial: `{TRIVIAL}`, {items} items, 2 threads, median of {}",
        o.reps
    );
    row("ideal (pre-split, no queue, no records)", r[0], None);
    row(
        "ideal, each thread its own copy",
        r[1],
        Some(("ideal", r[0])),
    );
    row(
        "  the same, making records, system clock",
        r[2],
        Some(("ideal own copy", r[1])),
    );
    row("ideal on grain, own copies", r[3], Some(("ideal", r[0])));
    row(
        "pool (RunspacePool::run, records consumed)",
        r[4],
        Some(("ideal", r[0])),
    );
    row("", r[4], Some(("ideal own copy", r[1])));
    row("", r[4], Some(("ideal own copy with records", r[2])));
    row(
        "pool, default vm (auto: grain)",
        r[5],
        Some(("ideal", r[0])),
    );
    row("", r[5], Some(("ideal on grain", r[3])));
}

fn cpu(o: &Options) {
    let items = scaled(10_000, o.scale);
    let ast = compile(CPU);
    let (p1, p2) = (pool(1, None), pool(2, None));
    let r = alternate(
        o.reps,
        items,
        &mut [
            &mut || ideal(&ast, 1, items),
            &mut || ideal(&ast, 2, items),
            &mut || pooled(&p1, CPU, items).0,
            &mut || pooled(&p2, CPU, items).0,
        ],
    );
    println!(
        "\n== cpu-bound: ~20,000 operations a item, {items} items, median of {}",
        o.reps
    );
    row("ideal, 1 thread", r[0], None);
    row("ideal, 2 threads", r[1], Some(("ideal 1 thread", r[0])));
    row("pool, 1 thread", r[2], Some(("ideal 1 thread", r[0])));
    row("pool, 2 threads", r[3], Some(("pool 1 thread", r[2])));
}

fn timeout(o: &Options) {
    let ten = Some(Duration::from_secs(10));
    let (plain, timed) = (pool(2, None), pool(2, ten));
    println!(
        "\n== timeout 10s set (never reached) against none, 2 threads, median of {}",
        o.reps
    );
    for (label, source, n) in [("trivial", TRIVIAL, 1_000_000), ("cpu-bound", CPU, 10_000)] {
        let items = scaled(n, o.scale);
        let r = alternate(
            o.reps,
            items,
            &mut [&mut || pooled(&plain, source, items).0, &mut || {
                pooled(&timed, source, items).0
            }],
        );
        row(&format!("{label}, no timeout"), r[0], None);
        row(
            &format!("{label}, --timeout 10s"),
            r[1],
            Some(("no timeout", r[0])),
        );
    }
}

fn mixed(o: &Options) {
    let items = scaled(10_000, o.scale);
    let p = pool(2, None);
    let mut walls = Vec::new();
    let mut ratios = Vec::new();
    for _ in 0..o.reps {
        let (wall, work) = pooled(&p, MIXED, items);
        let ideal_wall = work.as_secs_f64() / 2.0;
        walls.push(wall.as_secs_f64());
        ratios.push(wall.as_secs_f64() / ideal_wall);
    }
    println!(
        "\n== mixed sizes: {items} items, 1% 100x longer, 2 threads, median of {}",
        o.reps
    );
    println!(
        "{:<44} {:>12.3} s      {:>6.1}% over total work / threads",
        "pool wall time",
        median(walls),
        100.0 * (median(ratios) - 1.0)
    );
}

fn main() {
    let o = options();
    let all = o.cases.is_empty();
    let want = |c: &str| all || o.cases.iter().any(|x| x == c);
    if want("trivial") {
        trivial(&o);
    }
    if want("cpu") {
        cpu(&o);
    }
    if want("timeout") {
        timeout(&o);
    }
    if want("mixed") {
        mixed(&o);
    }
    if want("vm") {
        vm::vm(&o);
    }
    // Not in a bare run: twelve runs a repetition, half of them cpu-bound.
    if o.cases.iter().any(|c| c == "opt") {
        vm::opt(&o);
    }
}
