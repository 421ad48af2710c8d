//! What a script can reach: modules from its own folder and `--module-path` only, by plain
//! relative names, never through `..`, an absolute path or a symbolic link; no files,
//! processes or environment; modules that import each other fail their job.

mod common;

use std::time::Duration;

use common::{jsonl, rsparallel};
use predicates::prelude::*;

#[test]
fn scripts_cannot_reach_files_processes_or_the_environment_without_a_grant() {
    // Each attempt fails its one job, and for the reason given: a refused import, not some
    // other failure that would hide a sandbox letting it through.
    let plain = "must be a plain relative name (no '..', no absolute path)";
    let attempts = [
        (r#"import "/etc/passwd" as p;"#, plain),
        (r#"import "../../etc/passwd" as p;"#, plain),
        // Capabilities exist, and are refused without their flag.
        (
            r#"read_file("/etc/passwd")"#,
            r#"read access to "/etc/passwd" is not granted (--allow-read=/etc/passwd)"#,
        ),
        (
            r#"run_process("cat", ["/etc/passwd"])"#,
            r#"run access to "cat" is not granted (--allow-run=cat)"#,
        ),
        (r#"open("/etc/passwd")"#, "Function not found: open"),
        (r#"File::open("/etc/passwd")"#, "Module not found: File"),
        (r#"fs::read("/etc/passwd")"#, "Module not found: fs"),
        (r#"system("cat /etc/passwd")"#, "Function not found: system"),
        (r#"exec("cat /etc/passwd")"#, "Function not found: exec"),
        (
            r#"env("HOME")"#,
            r#"environment access to "HOME" is not granted (--allow-env=HOME)"#,
        ),
        (r#"getenv("HOME")"#, "Function not found: getenv"),
        (r#"eval("import \"/etc/passwd\" as p;")"#, plain),
    ];
    for (attempt, why) in attempts {
        let output = rsparallel()
            .args(["run", "-e", attempt, "--output", "jsonl", "1"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(!stdout.contains("root:"), "{attempt} read a file: {stdout}");
        assert_eq!(output.status.code(), Some(1), "{attempt}: {stdout}");
        let records = jsonl(&output.stdout);
        assert_eq!(records.len(), 1, "{attempt}: {stdout}");
        assert_eq!(records[0]["status"], "failed", "{attempt}: {stdout}");
        let message = records[0]["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{attempt}: {message}");
    }
}

/// Runs the script file `script` over one item and returns its record.
fn run_script_file(script: &std::path::Path, extra: &[&std::ffi::OsStr]) -> serde_json::Value {
    let output = rsparallel()
        .arg("run")
        .arg(script)
        .args(extra)
        .args(["--output", "jsonl", "1"])
        .output()
        .unwrap();
    let records = jsonl(&output.stdout);
    assert_eq!(records.len(), 1, "{}: {records:?}", script.display());
    let expected = if records[0]["status"] == "completed" {
        0
    } else {
        1
    };
    assert_eq!(output.status.code(), Some(expected), "{records:?}");
    records.into_iter().next().unwrap()
}

#[test]
fn the_import_sandbox_loads_the_module_folders_and_refuses_every_way_out() {
    // mods/ holds the script and its modules; outside/ holds a module a script must not reach,
    // and mods/ has a symbolic link to it.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let mods = base.join("mods");
    let outside = base.join("outside");
    let extra = base.join("extra");
    for folder in [&mods, &outside, &extra] {
        std::fs::create_dir(folder).unwrap();
    }
    std::fs::write(mods.join("helper.rhai"), "fn f() { \"helper\" }").unwrap();
    std::fs::create_dir(mods.join("sub")).unwrap();
    std::fs::write(mods.join("sub").join("deep.rhai"), "fn f() { \"deep\" }").unwrap();
    std::fs::create_dir(mods.join("folder.rhai")).unwrap();
    std::fs::write(outside.join("secret.rhai"), "fn f() { \"secret\" }").unwrap();
    std::fs::write(extra.join("lib.rhai"), "fn f() { \"lib\" }").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.rhai"), mods.join("link.rhai")).unwrap();
    std::os::unix::fs::symlink(&outside, mods.join("linked")).unwrap();

    let script = |name: &str, import: &str| {
        let path = mods.join(format!("{name}.rhai"));
        std::fs::write(&path, format!("import \"{import}\" as m; m::f()")).unwrap();
        path
    };
    let none: &[&std::ffi::OsStr] = &[];

    // Allowed: a module beside the script, one in a subfolder, one in a --module-path.
    for (import, value) in [("helper", "helper"), ("sub/deep", "deep")] {
        let record = run_script_file(&script("allowed", import), none);
        assert_eq!(record["status"], "completed", "{import}: {record}");
        assert_eq!(record["output"], serde_json::json!([value]), "{import}");
    }
    let with_path = [std::ffi::OsStr::new("--module-path"), extra.as_os_str()];
    let record = run_script_file(&script("from_path", "lib"), &with_path);
    assert_eq!(record["output"], serde_json::json!(["lib"]), "{record}");
    // Without --module-path, that folder is not searched.
    let record = run_script_file(&script("from_path", "lib"), none);
    assert_eq!(record["status"], "failed");
    assert_eq!(
        record["error"]["message"],
        "module 'lib' not found in the module folders"
    );

    // Refused by name: an absolute path or `..`, even one that leads back into the folder.
    let outside_secret = outside.join("secret").display().to_string();
    let inside_helper = mods.join("helper").display().to_string();
    for import in [
        "../outside/secret",
        "../mods/helper",
        "sub/../helper",
        "./helper",
        outside_secret.as_str(),
        inside_helper.as_str(),
    ] {
        let record = run_script_file(&script("refused", import), &with_path);
        assert_eq!(record["status"], "failed", "{import}: {record}");
        assert_eq!(
            record["error"]["message"],
            format!("module '{import}' must be a plain relative name (no '..', no absolute path)"),
            "{import}"
        );
        assert_eq!(record["error"]["line"], 1, "{import}");
    }

    // Refused where it leads: a symbolic link out of the folder, to a file or a folder; and a
    // folder is not a module.
    for import in ["link", "linked/secret", "folder"] {
        let record = run_script_file(&script("refused", import), &with_path);
        assert_eq!(record["status"], "failed", "{import}: {record}");
        assert_eq!(
            record["error"]["message"],
            format!("module '{import}' not found in the module folders"),
            "{import}"
        );
    }
}

#[test]
fn modules_load_from_the_script_folder_and_module_paths_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("helpers.rhai"), "fn double(x) { x * 2 }").unwrap();
    let script = dir.path().join("main.rhai");
    std::fs::write(
        &script,
        "import \"helpers\" as h; h::double(item.parse_int())",
    )
    .unwrap();
    rsparallel()
        .arg("run")
        .arg(&script)
        .arg("21")
        .assert()
        .success()
        .stdout("42\n");
    // With -e there is no script folder: only --module-path.
    let expr = "import \"helpers\" as h; h::double(2)";
    rsparallel()
        .args(["run", "-e", expr, "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("module-path"));
    rsparallel()
        .args(["run", "-e", expr, "1", "--module-path"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("4\n");
}

#[test]
fn modules_that_import_themselves_or_each_other_fail_their_job() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "itself.rhai",
        "import \"itself\" as me;\nexport const X = 1;\n",
    );
    write(
        "ping.rhai",
        "import \"pong\" as pong;\nexport const P = 1;\n",
    );
    write(
        "pong.rhai",
        "import \"ping\" as ping;\nexport const Q = 1;\n",
    );
    write(
        "job.rhai",
        // An import the script never uses is optimised away: each is used.
        "if item == \"self\" { import \"itself\" as m; m::X } else if item == \"pair\" { import \"ping\" as m; m::P } else { item }\n",
    );
    let output = rsparallel()
        .args(["run", "job.rhai", "self", "ok", "pair", "--output", "jsonl"])
        .current_dir(dir.path())
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let records = jsonl(&output.stdout);
    assert_eq!(records.len(), 3);
    for record in &records {
        let expected = if record["item"] == "ok" {
            "completed"
        } else {
            "failed"
        };
        assert_eq!(record["status"], expected, "{record}");
    }
}
