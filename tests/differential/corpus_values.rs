//! The second half of the corpus, run after the first (`corpus.rs`): closures, exceptions and
//! the values of every type, with their methods.

/// Closures, function pointers, exceptions, strings, arrays, maps, BLOBs, ranges, `eval` and
/// imports, and the failures and compile errors they can give.
pub const VALUES: &[(&str, &str)] = &[
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
