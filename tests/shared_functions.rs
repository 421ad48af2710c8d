//! A pool with far more workers than cores registers the batteries and capabilities once, in a
//! module its workers share: its jobs must see exactly what a small pool's jobs see, including
//! the batteries that replace Rhai's own functions.

use rsparallel::RunspacePool;
use rsparallel::capabilities::{Capability, Permissions};

/// Each script's output (or error message) on a pool of `threads` workers.
fn outputs(threads: usize, scripts: &[&str]) -> Vec<String> {
    let pool = RunspacePool::builder()
        .threads(threads)
        .permissions(Permissions::none().allow(Capability::Env, Some("PATH")))
        .build()
        .unwrap();
    scripts
        .iter()
        .map(|source| {
            let script = pool.compile(source).unwrap();
            let record = pool.run(&script, ["a-b c"]).unwrap().next().unwrap();
            match record.error {
                Some(error) => format!("error: {}", error.message),
                None => format!("{:?}", record.output),
            }
        })
        .collect()
}

#[test]
fn a_pool_of_many_workers_runs_scripts_as_a_small_one_does() {
    let scripts = [
        // Batteries that replace Rhai's own: to_json of any value, arrays and maps printed.
        r#"to_json(#{ a: [1, 2.5, "x"] })"#,
        r#"parse_json("[1, {\"b\": null}]")"#,
        "[1, [2, 3]].to_string()",
        r#"#{ k: "v" }.to_string()"#,
        "let s = \"7\"; s.pad(3, \"0\"); s",
        // Other families.
        r#"replace_regex(item, "[^a-z]+", "_")"#,
        "sha256(item)",
        r#"base64_encode(item)"#,
        r#"format_time(0, "%Y")"#,
        "words(item)",
        "split(item, \"-\")",
        // Capabilities: granted, refused, failing.
        r#"env("PATH") != ()"#,
        r#"env("HOME")"#,
        r#"read_file("/etc/hostname")"#,
        // Rhai's own.
        "item.len() + [1, 2].len()",
    ];
    // On this machine's CPUs, 1 worker builds its own; 64 a CPU share one module.
    let many = 64 * num_cpus::get();
    assert_eq!(outputs(1, &scripts), outputs(many, &scripts));
}
