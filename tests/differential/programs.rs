//! The generated programs of `tests/differential.rs`: loops, branches, shadowing and closures
//! in combinations no one wrote by hand.

use proptest::prelude::*;
use proptest::sample::select;
use rsparallel::rhai::INT;

/// The integer variables every generated program declares, which its statements assign.
const INT_VARIABLES: [&str; 3] = ["a", "b", "c"];

/// Blocks nest at most this deep (loops and `if`s together).
const MAX_NESTING: usize = 2;

/// An integer expression over `variables`: literals, `+ - *`, `%` by a positive constant and
/// `if` expressions. Values stay small: statements keep variables within ±1000.
fn int_expression(variables: Vec<String>) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        (-9 as INT..10).prop_map(|n| n.to_string()),
        select(variables),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), select(vec!["+", "-", "*"]), inner.clone())
                .prop_map(|(l, op, r)| format!("({l} {op} {r})")),
            (inner.clone(), 1 as INT..8).prop_map(|(l, m)| format!("({l} % {m})")),
            (
                inner.clone(),
                select(vec!["<", ">", "==", "!="]),
                inner.clone(),
                inner
            )
                .prop_map(|(c, op, t, e)| format!("(if {c} {op} 0 {{ {t} }} else {{ {e} }})")),
        ]
    })
    .boxed()
}

/// The variables a statement `loops` loops deep may read: the program's, the job's, and each
/// enclosing loop's `x<k>` and `i<k>`.
fn readable(loops: usize) -> Vec<String> {
    let mut names: Vec<String> = INT_VARIABLES.iter().map(|v| v.to_string()).collect();
    names.extend(["item".to_string(), "seq".to_string()]);
    for k in 0..loops {
        names.push(format!("x{k}"));
        names.push(format!("i{k}"));
    }
    names
}

/// One statement, `nesting` blocks deep inside `loops` loops.
fn statement(nesting: usize, loops: usize) -> BoxedStrategy<String> {
    let e = || int_expression(readable(loops));
    let var = || select(INT_VARIABLES.to_vec());
    let simple = prop_oneof![
        (var(), e()).prop_map(|(v, e)| format!("{v} = {e} % 1000;")),
        (var(), e()).prop_map(|(v, e)| format!("{v} += {e} % 100;")),
        // Shadows the variable until the end of the block.
        (var(), e()).prop_map(|(v, e)| format!("let {v} = {e} % 1000;")),
        e().prop_map(|e| format!("s += `${{{e}}},`;")),
        e().prop_map(|e| format!("arr.push({e});")),
        // A closure that captures whatever the expression reads.
        e().prop_map(|e| format!("arr = arr.map(|v| (v + {e}) % 1000);")),
    ];
    let simple = if loops > 0 {
        prop_oneof![
            6 => simple,
            1 => e().prop_map(|e| format!("if {e} > 0 {{ continue; }}")),
            1 => e().prop_map(|e| format!("if {e} > 2 {{ break; }}")),
        ]
        .boxed()
    } else {
        simple.boxed()
    };
    if nesting >= MAX_NESTING {
        return simple;
    }
    let (x, i) = (format!("x{loops}"), format!("i{loops}"));
    let body = || block(nesting + 1, loops + 1);
    let (x1, i1, x2, i2, i3, x3, i4, x4, i5, x5) = (
        x.clone(),
        i.clone(),
        x.clone(),
        i.clone(),
        i.clone(),
        x.clone(),
        i.clone(),
        x.clone(),
        i.clone(),
        x.clone(),
    );
    prop_oneof![
        6 => simple,
        1 => (e(), block(nesting + 1, loops), block(nesting + 1, loops))
            .prop_map(|(c, t, f)| format!("if {c} > 0 {{ {t} }} else {{ {f} }}")),
        // Every loop binds x<k> and i<k>, and ends: only its own statements change i<k>.
        1 => (-3 as INT..3, 0 as INT..6, 1 as INT..3, body()).prop_map(move |(lo, n, step, b)| {
            format!("for ({x1}, {i1}) in range({lo}, {}, {step}) {{ {b} }}", lo + n)
        }),
        1 => (e(), e(), body()).prop_map(move |(p, q, b)| {
            format!("for ({x2}, {i2}) in [{p}, {q}, 7] {{ {b} }}")
        }),
        1 => (0 as INT..5, body()).prop_map(move |(n, b)| {
            format!("for {x} in 0..{n} {{ let {i} = {x} * 2; {b} }}")
        }),
        1 => (0 as INT..4, body()).prop_map(move |(n, b)| {
            format!("let {i3} = 0; while {i3} < {n} {{ let {x3} = {i3} * 3; {i3} += 1; {b} }}")
        }),
        1 => (0 as INT..4, body()).prop_map(move |(n, b)| {
            format!(
                "let {i4} = 0; loop {{ if {i4} >= {n} {{ break; }} let {x4} = {i4}; {i4} += 1; {b} }}"
            )
        }),
        // A `continue` in a `do` loop skips its condition (see `do_continue` in the corpus):
        // the body checks it too, so that the loop ends all the same.
        1 => (1 as INT..4, body()).prop_map(move |(n, b)| {
            format!(
                "let {i5} = 0; do {{ if {i5} >= {n} {{ break; }} let {x5} = -{i5}; {i5} += 1; {b} }} until {i5} >= {n};"
            )
        }),
    ]
    .boxed()
}

/// One to three statements.
fn block(nesting: usize, loops: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(statement(nesting, loops), 1..4)
        .prop_map(|statements| statements.join(" "))
        .boxed()
}

/// A whole program: its variables, statements, and a final value that shows them all.
pub fn program() -> impl Strategy<Value = String> {
    (-20 as INT..20, block(0, 0)).prop_map(|(a, body)| {
        format!(
            "let a = {a}; let b = seq; let c = item; let s = \"\"; let arr = [];\n{body}\n[a, b, c, s, arr]"
        )
    })
}
