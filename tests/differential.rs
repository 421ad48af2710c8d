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
use proptest::sample::select;
use proptest::test_runner::{TestCaseError, TestRunner};
use rsparallel::rhai::module_resolvers::FileModuleResolver;
use rsparallel::rhai::{
    AST, Array, Dynamic, Engine, EvalAltResult, INT, ImmutableString, Map, ParseError, Scope,
};
use rsparallel::{
    DEFAULT_MAX_CALL_DEPTH, DEFAULT_MAX_EXPR_DEPTH, Error, JobRecord, RunspacePool, ScriptVm,
};

/// Every corpus script, by name. Scripts use only Rhai's standard library: rsparallel's
/// batteries and job functions (`emit`, `print` capture) have no reference to compare with.
/// Scripts that fail mostly span several lines, so that lines are compared as well as columns.
/// No timestamps, no randomness.
const CORPUS: &[(&str, &str)] = &[
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
    // Closures and function pointers.
    (
        "closure_capture",
        "let k = 10; let f = |x| x + k; k += 1; f.call(1)",
    ),
    (
        "closure_mutates_capture",
        "let n = 0; let inc = || n += 1; inc.call(); inc.call(); n",
    ),
    (
        "closure_returns_closure",
        "let adder = |a| |b| a + b; let add5 = adder.call(5); add5.call(3)",
    ),
    (
        "closures_in_loop",
        "let fs = []; for i in 0..3 { fs.push(|x| x * i); } fs.map(|f| f.call(10))",
    ),
    (
        "closure_captures_item",
        "let f = || `${item}/${seq}`; f.call()",
    ),
    (
        "fn_pointer",
        "fn double(x) { x * 2 } let f = Fn(\"double\"); [f.call(4), call(f, 5), f.name, type_of(f)]",
    ),
    ("fn_name_as_pointer", "fn sq(x) { x * x } [1, 2, 3].map(sq)"),
    (
        "fn_pointer_by_string",
        "fn sq(x) { x * x } [1, 2].map(\"sq\")",
    ),
    (
        "curry",
        "fn add3(a, b, c) { a + b + c } let f = Fn(\"add3\").curry(1).curry(2); f.call(3)",
    ),
    (
        "curry_closure",
        "let f = |a, b| a * b; let g = f.curry(6); g.call(7)",
    ),
    (
        "fn_pointer_unknown_fails",
        "let f = Fn(\"nope\");\nf.call(1)",
    ),
    (
        "closure_chain",
        "let a = 1; let f = || { let b = 2; || a + b }; f.call().call()",
    ),
    (
        "is_shared",
        "let x = 1; let y = 2; let f = || x; [is_shared(x), is_shared(y), f.call()]",
    ),
    (
        "closure_as_method",
        "let obj = #{val: 1, add: |x| this.val += x}; obj.add(5); obj.val",
    ),
    // Exceptions.
    (
        "try_catch_string",
        "let r = \"\"; try { throw \"oops\"; } catch (e) { r = `caught ${e}`; } r",
    ),
    (
        "try_catch_map",
        "let r = 0; try { throw #{code: 42, msg: \"bad\"}; } catch (e) { r = e.code + 1; } r",
    ),
    (
        "try_catch_is_a_statement",
        "try { throw 1; } catch (e) { e + 1 }",
    ),
    (
        "try_catch_number",
        "let r = 0; try { throw 7; } catch (e) { r = e * 6; } r",
    ),
    (
        "try_catch_system_error",
        "let r = (); try { let a = [1]; a[5] } catch (e) { r = e; } r",
    ),
    (
        "try_catch_division",
        "let r = (); try { 1 / (seq - seq) } catch (e) { r = type_of(e); } r",
    ),
    (
        "try_rethrow",
        "let r = 0; try { try { throw 1; } catch (e) { throw e + 1; } } catch (e) { r = e * 10; } r",
    ),
    (
        "try_catch_without_variable",
        "let r = 0; try { throw 1; } catch { r = 5; } r",
    ),
    ("throw_map_uncaught", "let x = 1;\nthrow #{code: x};"),
    ("throw_unit", "let x = 1;\nthrow;"),
    // Strings and characters.
    (
        "interpolation",
        "let name = \"w\"; `hello ${name}, ${1 + 2} and ${[1, 2]} ${#{a: 1}} ${()}`",
    ),
    ("interpolation_nested", "`outer ${`inner ${seq}`} ${item}`"),
    ("interpolation_multiline", "`line one\nline two ${seq + 1}`"),
    (
        "string_methods",
        "let s = \"  Hello, World  \"; s.trim(); [s, s.len(), s.to_upper(), s.to_lower(), s.contains(\"World\"), s.index_of(','), s.sub_string(0, 5), s.starts_with(\"He\"), s.ends_with(\"ld\")]",
    ),
    (
        "string_replace_split",
        "let s = \"a,b,,c\"; s.replace(\",\", \";\"); [s, \"a,b,,c\".split(\",\"), \"a b  c\".split(' '), \"k=v=w\".split(\"=\", 2)]",
    ),
    ("string_split_empty", "\"héllo\".split(\"\")"),
    ("string_to_chars", "\"héllo\".to_chars()"),
    (
        "string_pad",
        "let s = \"ab\"; s.pad(5, \"xy\"); let t = \"abcdef\"; t.pad(3, \"z\"); [s, t]",
    ),
    (
        "string_crop_truncate",
        "let s = \"héllo wörld\"; let t = s; s.crop(2, 4); t.truncate(3); [s, t]",
    ),
    (
        "string_indexing",
        "let s = \"héllo\"; [s[0], s[1], s[-1], s.len(), s.bytes]",
    ),
    ("string_index_out_of_bounds", "let s = \"abc\";\ns[10]"),
    ("string_set_char", "let s = \"abc\"; s[1] = 'X'; s"),
    ("string_concat_types", "\"a\" + 1 + 2.5 + true + 'c' + ()"),
    ("string_times_int_fails", "let s = \"ab\";\ns * 3"),
    (
        "string_item",
        "if type_of(item) == \"string\" { item.to_upper() + item.len() } else { `${item}`.len() }",
    ),
    (
        "chars",
        "let c = 'a'; [c.to_int(), c.to_upper(), 'Z' > 'A', \"x\" + 'y', 'é'.to_int(), \"héllo\".index_of('l')]",
    ),
    // `in`, `??` and `?.`.
    (
        "in_operator",
        "[2 in [1, 2, 3], \"a\" in #{a: 1}, 5 in 1..10, \"x\" in [\"y\"], 'h' in \"hello\", \"ell\" in \"hello\"]",
    ),
    (
        "null_coalescing",
        "let m = #{a: 1}; [m.b ?? 5, m.a ?? 5, () ?? \"d\", 0 ?? 1]",
    ),
    (
        "elvis",
        "let m = #{a: #{b: 2}}; let n = (); [m?.a?.b, n?.a, n?.a ?? 9, m?.x?.y]",
    ),
    ("elvis_index", "let a = (); let b = [1, 2]; [a?[0], b?[1]]"),
    // Arrays.
    (
        "array_methods",
        "let a = [1, 2, 3]; a.push(4); a += [5]; a.insert(0, 0); let p = a.pop(); let s = a.shift(); [a, p, s, a.len(), a.contains(3), a.is_empty()]",
    ),
    ("array_negative_index", "let a = [1, 2, 3]; [a[-1], a[0]]"),
    ("array_index_out_of_bounds", "let a = [1, 2, 3];\na[3]"),
    ("array_negative_index_out_of_bounds", "let a = [1];\na[-5]"),
    (
        "array_map_filter",
        "[1, 2, 3, 4, 5].filter(|x| x % 2 == 1).map(|x| x * x)",
    ),
    (
        "array_map_with_index",
        "[\"a\", \"b\"].map(|x, i| `${i}${x}`)",
    ),
    ("array_reduce", "[1, 2, 3, 4].reduce(|sum, x| sum + x, 0)"),
    (
        "array_reduce_without_initial",
        "[1, 2, 3].reduce(|sum, x| if sum == () { x } else { sum * x })",
    ),
    (
        "array_reduce_rev",
        "[\"a\", \"b\", \"c\"].reduce_rev(|s, x| s + x, \"\")",
    ),
    (
        "array_sort_comparator",
        "let a = [3, 1, 2, 5]; a.sort(|x, y| y - x); a",
    ),
    (
        "array_sort_strings",
        "let a = [\"pear\", \"apple\", \"fig\"]; a.sort(); a",
    ),
    (
        "array_sort_by_length",
        "let a = [\"ccc\", \"a\", \"bb\"]; a.sort(|x, y| x.len() - y.len()); a",
    ),
    (
        "array_sort_mixed_fails",
        "let a = [1, \"a\"];\na.sort();\na",
    ),
    (
        "array_retain",
        "let a = [1, 2, 3, 4, 5, 6]; let removed = a.retain(|x| x % 3 != 0); [a, removed]",
    ),
    (
        "array_some_all",
        "let a = [2, 4, 6]; [a.some(|x| x > 5), a.all(|x| x % 2 == 0), a.some(|x| x > 10), [].all(|x| false)]",
    ),
    (
        "array_index_of",
        "let a = [5, 6, 7, 6]; [a.index_of(6), a.index_of(9), a.index_of(|x| x > 6), a.index_of(6, 2)]",
    ),
    (
        "array_find",
        "[[1, 5, 9].find(|x| x > 3), [1].find(|x| x > 3), [1, 2].find_map(|x| if x > 1 { x * 10 })]",
    ),
    (
        "array_drain_splice",
        "let a = [1, 2, 3, 4, 5]; let d = a.drain(1, 2); a.splice(0, 1, [9, 9]); [a, d]",
    ),
    (
        "array_extract",
        "let a = [1, 2, 3, 4, 5]; [a.extract(1, 2), a.extract(3), a]",
    ),
    (
        "array_dedup_reverse",
        "let a = [1, 1, 2, 2, 1]; a.dedup(); a.reverse(); a",
    ),
    (
        "array_for_each_this",
        "let a = [1, 2, 3]; a.for_each(|| this *= 10); a",
    ),
    ("array_zip", "[1, 2].zip([3, 4], |a, b| a * b)"),
    (
        "array_equality",
        "[[1, 2] == [1, 2], #{a: 1} == #{a: 1}, [1] != [1, 2]]",
    ),
    ("array_pad", "let a = [1]; a.pad(3, 0); a"),
    ("array_callback_error", "[1, 2, 0].map(|x| 10 / x)"),
    // Object maps.
    (
        "map_methods",
        "let m = #{a: 1, b: 2}; m.c = 3; m[\"d\"] = 4; let r = m.remove(\"a\"); [m, r, m.len(), m.keys(), m.values(), m.contains(\"b\")]",
    ),
    (
        "map_missing_property",
        "let m = #{a: 1}; [m.zzz, m[\"zzz\"]]",
    ),
    (
        "map_mixin",
        "let m = #{a: 1}; m.mixin(#{b: 2}); m += #{c: 3}; m + #{a: 9}",
    ),
    (
        "map_filter",
        "let m = #{a: 1, b: 2, c: 3}; m.filter(|k, v| v > 1)",
    ),
    (
        "map_item_access",
        "if type_of(item) == \"map\" { [item.a, item[\"b\"], item.list[1]] } else { item }",
    ),
    ("item_property", "let x = 1;\nitem.a"),
    (
        "nested_mutation",
        "let m = #{list: [1, 2, #{x: 1}]}; m.list[2].x += 5; m.list.push(3); m",
    ),
    (
        "item_nested_mutation",
        "if type_of(item) == \"map\" { item.list.push(seq); item.a += 1; } item",
    ),
    // Failures: overflow, division, types, names.
    ("overflow_add", "let x = 9223372036854775807;\nx + item"),
    ("overflow_multiply", "let x = 4611686018427387904;\nx * 2"),
    ("overflow_power", "let b = 2;\nb ** 70"),
    ("overflow_negate", "let m = -9223372036854775807 - 1;\n-m"),
    ("overflow_abs", "let m = -9223372036854775807 - 1;\nm.abs()"),
    ("shift_too_far", "let x = 1;\nx << 64"),
    ("division_by_zero", "let d = 0;\nitem / d"),
    ("modulo_by_zero", "let d = seq - seq;\n17 % d"),
    ("type_error_add", "let x = true;\nx + 1"),
    (
        "type_error_index",
        "let x = \"s\";\nlet m = #{a: 1};\nm[x][0]",
    ),
    ("type_error_method", "let x = 5;\nx.len()"),
    ("unknown_variable", "let y = 1;\ny + zzz"),
    ("unknown_function", "no_such_function(item)"),
    ("unknown_method_on_item", "let z = 0;\nitem.frobnicate(z)"),
    // Compile errors.
    ("compile_error_let", "let = 5;"),
    ("compile_error_unclosed", "let x = [1, 2;\nx"),
    ("compile_error_token", "let x = 5;\nx @ 3"),
    ("compile_error_break_outside_loop", "let x = 1;\nbreak;"),
    // BLOBs.
    (
        "blob_basics",
        "let b = blob(3, 0x41); b.push(0x42); b += blob(1, 0x43); [b.len(), b[0], b[-1], b.as_string(), type_of(b)]",
    ),
    (
        "blob_write_parse",
        "let b = blob(8); b.write_le(0, 4, 258); [b.parse_le_int(0, 4), b]",
    ),
    ("blob_index_out_of_bounds", "let b = blob(2);\nb[5]"),
    // Ranges, `eval`, imports.
    (
        "range_values",
        "let r = 1..5; [r.start, r.end, r.contains(3), type_of(r), r.is_exclusive]",
    ),
    ("eval", "let x = 5; [eval(\"40 + 2\"), eval(\"x * 2\")]"),
    ("eval_error", "let x = 1;\neval(\"let y = ;\")"),
    (
        "import",
        "import \"m\" as m; [m::twice(21), m::BASE, m::shown]",
    ),
    (
        "import_function_error",
        "import \"m\" as m;\nm::twice(\"s\", 1)",
    ),
];

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
fn program() -> impl Strategy<Value = String> {
    (-20 as INT..20, block(0, 0)).prop_map(|(a, body)| {
        format!(
            "let a = {a}; let b = seq; let c = item; let s = \"\"; let arr = [];\n{body}\n[a, b, c, s, arr]"
        )
    })
}

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
