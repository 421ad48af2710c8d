//! The corpus of `tests/differential.rs`, first half (`corpus_values.rs` has the second):
//! small scripts, by name, covering together the statement and expression forms of the Rhai
//! book.

/// The first half of the corpus: job variables, literals, blocks, conditionals, loops and
/// functions. Scripts use only Rhai's standard library: rsparallel's batteries and job
/// functions (`emit`, `print` capture) have no reference to compare with. Scripts that fail
/// mostly span several lines, so that lines are compared as well as columns. No timestamps, no
/// randomness.
pub const STATEMENTS: &[(&str, &str)] = &[
    // Job variables and the values of statements.
    (
        "job_variables",
        "[seq, attempt, type_of(seq), type_of(attempt), is_def_var(\"item\")]",
    ),
    ("item_type", "type_of(item)"),
    ("item_assign", "item = `${item}!`; item"),
    ("item_shadowed", "let item = 5; item * 2"),
    ("seq_shadowed", "let seq = \"s\"; seq + attempt"),
    ("seq_assign_fails", "let x = 1;\nseq = 5;\nx"),
    ("attempt_compound_fails", "attempt += 1;\nattempt"),
    ("pool_variable", "[base, type_of(base), base + item]"),
    ("pool_variable_assign_fails", "base = 1;\nbase"),
    ("last_statement_let", "let a = 5;"),
    ("unit_value", "let x; [x, type_of(x), x == ()]"),
    ("top_level_return", "if seq >= 0 { return 7; }\n8"),
    // Arithmetic, logic and literals.
    (
        "int_arithmetic",
        "let a = 7; let b = 3; [a + b, a - b, a * b, a / b, a % b, a ** b, -a / b, -a % b]",
    ),
    (
        "float_arithmetic",
        "let x = 1.5; [x * 2, x / 4, 10 / 4.0, 0.1 + 0.2, 2.0 ** 0.5, 2.7.floor(), 7.9.to_int(), 1.0 / 0.0]",
    ),
    (
        "literals",
        "[0xff, 0o17, 0b1010, 1_000_000, 1e3, 'x', \"a\\tb\", `raw`]",
    ),
    (
        "bitwise",
        "[0b1010 & 0b0110, 0b1010 | 1, 5 ^ 3, 1 << 4, -16 >> 2, 12.get_bit(2), 10[1]]",
    ),
    (
        "comparison_and_logic",
        "[1 < 2, 2 <= 2, \"a\" < \"b\", 1 == 1.0, true && !false, false || true, 1 != 2, 'a' < 'b']",
    ),
    (
        "short_circuit",
        "let n = 0; let f = false && { n += 1; true }; let t = true || { n += 1; false }; [f, t, n]",
    ),
    (
        "compound_assignment",
        "let x = 10; x -= 3; x *= 2; x /= 7; x %= 3; x **= 3; x |= 8; x &= 12; x ^= 1; x <<= 2; x >>= 1; x",
    ),
    (
        "math_functions",
        "[abs(-5), sign(-3), max(3, 7), min(2.5, 1.0), 16.0.sqrt(), 2.5.round(), (-2.5).ceiling(), 100.0.log(10.0), 7.is_odd()]",
    ),
    (
        "conversions",
        "[parse_int(\"42\"), parse_float(\"2.5\"), 42.to_string(), 3.7.to_int(), 3.to_float(), \"12\".parse_int() + 1, 255.to_hex(), 5.to_binary()]",
    ),
    ("parse_int_fails", "let s = \"abc\";\nparse_int(s)"),
    // Shadowing, blocks and constants.
    (
        "let_shadowing",
        "let x = 1; let x = x + 1; { let x = x * 10; x += 1; } x",
    ),
    (
        "block_scope",
        "let r = []; { let y = 5; r.push(y); } r.push(is_def_var(\"y\")); r",
    ),
    ("block_expression", "let v = { let a = 2; a * 21 }; v"),
    ("constant", "const X = 40; X + 2"),
    ("constant_assign_fails", "const X = 1;\nX = 2;\nX"),
    (
        "constant_mutating_method_fails",
        "const A = [1];\nA.push(2);\nA",
    ),
    // Conditionals.
    (
        "if_else_chain",
        "let n = if type_of(item) == \"i64\" { item } else { item.len() };\nif n < 0 { \"negative\" } else if n < 10 { \"small\" } else { \"big\" }",
    ),
    ("if_without_else_is_unit", "let v = if false { 1 }; [v]"),
    ("if_non_bool_fails", "let x = 1;\nif x { 2 }"),
    (
        "switch_values",
        "let r = []; for n in [1, 2, 3, 9] { r.push(switch n { 1 => \"one\", 2 | 3 => \"two or three\", _ => \"other\" }); } r",
    ),
    (
        "switch_ranges",
        "let r = []; for n in [-5, 0, 7, 15, 100] { r.push(switch n { -100..0 => \"negative\", 0..10 => \"digit\", 10..=20 => \"teen\", _ => \"big\" }); } r",
    ),
    (
        "switch_conditions",
        "let r = []; for n in [1, 2, 3, 4] { let big = n > 2; r.push(switch n { 1 if big => \"big one\", 1 => \"one\", 0..10 if big => \"big digit\", _ => \"small\" }); } r",
    ),
    (
        "switch_on_item_type",
        "switch type_of(item) { \"i64\" => item + 1, \"string\" => item.len(), \"map\" => item.keys(), _ => () }",
    ),
    ("switch_no_match", "[switch 9 { 1 => 1 }]"),
    (
        "switch_statement_blocks",
        "let v = 0; switch seq % 2 { 0 => { v = 10; } _ => { v = 20; } } v",
    ),
    // Loops.
    (
        "while_continue",
        "let i = 0; let s = 0; while i < 10 { i += 1; if i % 2 == 0 { continue; } s += i; } s",
    ),
    (
        "loop_break_value",
        "let i = 0; let v = loop { i += 3; if i > 10 { break i * 2; } }; v",
    ),
    (
        "while_break_value",
        "let i = 0; let v = while i < 100 { i += 1; if i * i > 50 { break i; } }; v",
    ),
    ("do_until", "let i = 0; do { i += 1; } until i >= 5; i"),
    ("do_while", "let i = 10; do { i -= 3; } while i > 0; i"),
    // Rhai's tree walker goes back to the body on `continue`, without the condition.
    (
        "do_continue",
        "let i = 0; do { i += 1; if i < 5 { continue; } } until i >= 2; i",
    ),
    ("for_range", "let s = 0; for x in 0..10 { s += x; } s"),
    (
        "for_inclusive_range",
        "let r = []; for x in 1..=4 { r.push(x * x); } r",
    ),
    (
        "for_range_step",
        "let r = []; for x in range(0, 10, 3) { r.push(x); } r",
    ),
    (
        "for_range_step_of_range",
        "let r = []; for x in range(0..10, 4) { r.push(x); } r",
    ),
    (
        "for_negative_step",
        "let r = []; for x in range(10, 0, -3) { r.push(x); } r",
    ),
    (
        "for_float_step",
        "let r = []; for x in range(0.0, 1.0, 0.25) { r.push(x); } r",
    ),
    (
        "for_zero_step_fails",
        "let r = [];\nfor x in range(0, 10, 0) { r.push(x); }\nr",
    ),
    (
        "for_counter",
        "let r = []; for (a, i) in [10, 20] { r.push(i); } r",
    ),
    (
        "for_counter_and_value",
        "let r = []; for (x, i) in [\"a\", \"b\", \"c\"] { r.push(`${i}:${x}`); } r",
    ),
    (
        "for_counter_over_range",
        "let r = []; for (x, i) in 5..8 { r.push([x, i]); } r",
    ),
    (
        "for_counter_over_string",
        "let r = []; for (c, i) in \"héllo\" { if i % 2 == 0 { r.push(c); } } r",
    ),
    (
        "for_counter_break",
        "let found = -1; for (x, i) in [5, 8, 13] { if x > 6 { found = i; break; } } found",
    ),
    (
        "for_counter_nested",
        "let r = []; for (x, i) in [1, 2] { for (y, j) in [3, 4] { r.push(i * 10 + j); } } r",
    ),
    (
        "for_break_continue",
        "let r = []; for x in 0..20 { if x % 3 == 0 { continue; } if x > 10 { break; } r.push(x); } r",
    ),
    ("for_variable_scope", "let x = 99; for x in 0..3 { } x"),
    (
        "for_over_string",
        "let n = 0; for c in \"a1b2\" { if c >= '0' && c <= '9' { n += c.to_int() - 48; } } n",
    ),
    (
        "for_over_map_keys",
        "let m = #{b: 2, a: 1, c: 3}; let r = []; for k in m.keys() { r.push(k + m[k]); } r",
    ),
    (
        "for_over_item",
        "let r = []; if type_of(item) == \"map\" { for k in item.keys() { r.push(k); } } else if type_of(item) == \"string\" { for c in item { r.push(c); } } else { for x in 0..item % 5 { r.push(x); } } r",
    ),
    ("for_over_int_fails", "let n = 3;\nfor x in n { }"),
    (
        "for_counter_unused",
        "let n = 0; for (x, i) in [1, 2, 3] { n += x; } n",
    ),
    (
        "for_counter_shadows",
        "let i = 100; for (x, i) in [1, 2] { } i",
    ),
    (
        "for_counter_then_job_variables",
        "for (x, i) in [1] { } [item, seq, attempt, base]",
    ),
    (
        "job_variables_after_a_counter",
        "[item, seq, attempt, base]",
    ),
    (
        "for_counter_with_variables",
        "let a = 1; let b = 2; let c = 3; let r = []; for (x, i) in [7, 8] { r.push([a, b, c, x, i]); } [r, a, b, c]",
    ),
    (
        "for_counter_in_function",
        "fn f() { let r = []; for (x, i) in [10, 20] { r.push(i); } r } f()",
    ),
    (
        "for_counter_in_closure",
        "let f = || { let r = []; for (x, i) in [10, 20] { r.push(i); } r }; f.call()",
    ),
    (
        "for_shadows_item",
        "let r = []; for x in 0..3 { let item = x * 10; r.push(item); } r.push(item); r",
    ),
    (
        "variables_after_a_loop",
        "for x in 0..2 { let y = x; } let z = 5; [z, item, seq]",
    ),
    (
        "nested_blocks",
        "let a = 1; { let b = 2; { let c = 3; a += b + c; } let d = 4; a += d; } a",
    ),
    (
        "loop_body_captured",
        "let fs = []; let n = 0; while n < 3 { let k = n * 2; fs.push(|| k); n += 1; } fs.map(|f| f.call())",
    ),
    (
        "break_out_of_try",
        "let n = 0; loop { try { n += 1; if n > 2 { break; } } catch { } } n",
    ),
    (
        "continue_in_try",
        "let r = []; for x in 0..5 { try { if x % 2 == 0 { continue; } r.push(x); } catch { } } r",
    ),
    (
        "throw_caught_in_loop",
        "let r = []; for x in 0..4 { try { if x == 2 { throw x; } r.push(x); } catch (e) { r.push(-e); } } r",
    ),
    (
        "return_from_loop_in_function",
        "fn first_big(a) { for x in a { if x > 5 { return x; } } -1 } [first_big([1, 7, 9]), first_big([1])]",
    ),
    (
        "switch_in_loop_with_break",
        "let r = []; for x in 0..10 { switch x { 3 => { break; } 1 => { continue; } _ => r.push(x) } } r",
    ),
    (
        "string_built_in_loop",
        "let s = \"\"; for c in \"abc\" { s += c; s += \"-\"; } s",
    ),
    (
        "array_grows_while_iterated",
        "let a = [1, 2, 3]; for x in a { a.push(x); } a",
    ),
    (
        "item_changed_in_loop",
        "if type_of(item) == \"i64\" { for x in 0..3 { item += x; } } item",
    ),
    (
        "index_compound_in_loop",
        "let a = [0, 0]; for x in 0..6 { a[x % 2] += x; } a",
    ),
    (
        "property_compound_in_loop",
        "let m = #{n: 0}; for x in 1..=4 { m.n += x; } m",
    ),
    // Functions, `this` and `global::`.
    (
        "fn_recursion",
        "fn fib(n) { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } } fib(15)",
    ),
    (
        "fn_overloading",
        "fn f() { 0 } fn f(a) { a } fn f(a, b) { a + b } [f(), f(1), f(1, 2)]",
    ),
    (
        "fn_early_return",
        "fn f(x) { if x > 0 { return \"positive\"; } \"not positive\" } [f(1), f(-1)]",
    ),
    (
        "fn_cannot_see_outer_scope",
        "let x = 5;\nfn f() {\n  x\n}\nf()",
    ),
    ("fn_wrong_arity_fails", "fn f(a) { a }\nf(1, 2)"),
    (
        "fn_throws",
        "fn check(x) {\n  if x > 1 { throw `too big: ${x}`; }\n  x\n}\ncheck(5)",
    ),
    (
        "fn_error_inside",
        "fn f(a) {\n  let z = [];\n  z[a]\n}\nf(3)",
    ),
    (
        "recursion_depth",
        "fn depth(n) { if n == 0 { 0 } else { 1 + depth(n - 1) } } depth(100)",
    ),
    (
        "recursion_unbounded_fails",
        "fn down(n) {\n  down(n + 1)\n}\ndown(0)",
    ),
    (
        "this_method",
        "fn inc(by) { this += by; } let x = 1; x.inc(5); x",
    ),
    (
        "this_on_map",
        "fn describe() { `${this.name} is ${this.age}` } let p = #{name: \"Ann\", age: 30}; p.describe()",
    ),
    ("this_on_item", "fn kind() { type_of(this) } item.kind()"),
    (
        "this_on_constant_fails",
        "fn bump() { this += 1; }\nseq.bump();\nseq",
    ),
    // After `attempt_compound_fails` above, and again here, after the `for` loops: the job
    // variables are constants for every job, whatever ran before on the worker, and a job's
    // write does not reach the next job.
    ("attempt_assign_fails", "attempt = 5;\nattempt"),
    ("job_variables_after_an_assignment", "[base, attempt, seq]"),
    (
        "global_constant",
        "const K = 5; fn f(x) { x * global::K } f(3)",
    ),
    (
        "global_constant_in_closure",
        "const K = 2; let f = |x| x * global::K; [1, 2].map(f)",
    ),
    (
        "fn_sees_no_job_variables",
        "fn f() { is_def_var(\"seq\") } [f(), is_def_var(\"seq\")]",
    ),
    (
        "is_def_fn",
        "fn g(a) { a } [is_def_fn(\"g\", 1), is_def_fn(\"g\", 2), is_def_var(\"nothing\")]",
    ),
];
