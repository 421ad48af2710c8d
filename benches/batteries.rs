//! Normalising short strings (runs of non-alphanumerics to one space, then lowercase): the
//! `replace_regex` battery plus `to_lower`, against the same work as a character loop in Rhai.
//! One engine, one thread, as one worker of a pool runs it.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rsparallel::rhai::packages::{Package, StandardPackage};
use rsparallel::rhai::{AST, Engine, Scope};

const NATIVE: &str = r#"replace_regex(item, "[^A-Za-z0-9]+", " ").to_lower()"#;

const CHAR_LOOP: &str = r#"
    let out = "";
    let gap = false;
    for c in item {
        if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
            if gap { out += " "; }
            out += c;
            gap = false;
        } else if c >= 'A' && c <= 'Z' {
            if gap { out += " "; }
            out += c.to_lower();
            gap = false;
        } else {
            gap = true;
        }
    }
    if gap { out += " "; }
    out
"#;

/// Short strings like log fields or names: mixed case, punctuation, runs of spaces.
fn items() -> Vec<String> {
    (0..1_000)
        .map(|i| format!("  User-{i}: Hello,   WORLD!! (id #{})  ", i * 7919 % 10_007))
        .collect()
}

fn engine() -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(StandardPackage::new().as_shared_module());
    rsparallel::batteries::register(&mut engine);
    engine
}

fn run(engine: &Engine, ast: &AST, items: &[String]) -> usize {
    let mut scope = Scope::new();
    let mut total = 0;
    for item in items {
        scope.rewind(0);
        scope.push("item", item.clone());
        let out: String = engine.eval_ast_with_scope(&mut scope, ast).unwrap();
        total += out.len();
    }
    total
}

fn normalise(c: &mut Criterion) {
    let engine = engine();
    let items = items();
    let native = engine.compile(NATIVE).unwrap();
    let char_loop = engine.compile(CHAR_LOOP).unwrap();
    // Both scripts must do the same work for the comparison to mean anything.
    for item in &items[..10] {
        let one = std::slice::from_ref(item);
        let mut a = Scope::new();
        a.push("item", item.clone());
        let x: String = engine.eval_ast_with_scope(&mut a, &native).unwrap();
        let mut b = Scope::new();
        b.push("item", item.clone());
        let y: String = engine.eval_ast_with_scope(&mut b, &char_loop).unwrap();
        assert_eq!(x, y, "{one:?}");
    }

    let mut group = c.benchmark_group("normalise_short_strings");
    group.throughput(Throughput::Elements(items.len() as u64));
    group.bench_function("replace_regex_to_lower", |b| {
        b.iter(|| run(&engine, &native, &items))
    });
    group.bench_function("rhai_char_loop", |b| {
        b.iter(|| run(&engine, &char_loop, &items))
    });
    group.finish();
}

criterion_group!(benches, normalise);
criterion_main!(benches);
