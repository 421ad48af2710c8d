//! Which file a granted program is: the one its entry led to when it was granted, found only
//! in the absolute folders of rsparallel's own `PATH`, whatever a symlink or a script's `cwd`
//! says later.
#![cfg(feature = "capabilities")]

mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use common::procs::which;
use common::{one_job, rsparallel};
use rsparallel::RunspacePool;
use rsparallel::capabilities::{Capability, Permissions};

#[test]
fn a_program_granted_through_a_symlink_is_the_file_it_led_to_when_granted() {
    let dir = tempfile::tempdir().unwrap();
    let tool = dir.path().join("tool");
    symlink(which("echo"), &tool).unwrap();
    let permissions = Permissions::none().allow(Capability::Run, Some(tool.to_str().unwrap()));
    let pool = RunspacePool::builder()
        .threads(1)
        .permissions(permissions)
        .build()
        .unwrap();
    let call = format!(r#"run_process({:?}, ["x"]).stdout"#, tool.to_str().unwrap());
    let record = one_job(&pool, &call);
    assert!(record.is_completed(), "{:?}", record.error);
    assert_eq!(record.output[0].to_string(), "x\n");
    // Retargeted after the grant: `id` would run, by the granted path.
    std::fs::remove_file(&tool).unwrap();
    symlink(which("id"), &tool).unwrap();
    let record = one_job(&pool, &call);
    let message = record.error.map(|e| e.message).unwrap_or_default();
    assert!(
        message.contains("is not granted (--allow-run="),
        "{message}"
    );
}

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_relative_folder_of_the_path_never_picks_a_program() {
    // `.` or an empty entry in rsparallel's PATH would be taken from the `cwd` a script
    // chose, a folder it may have written a program of the granted name into.
    let dir = tempfile::tempdir().unwrap();
    executable(&dir.path().join("echo"), "#!/bin/sh\necho FAKE\n");
    let system_path = std::env::var("PATH").unwrap();
    let script = format!(
        r#"run_process("echo", ["real"], #{{ cwd: {:?} }}).stdout"#,
        dir.path().to_str().unwrap()
    );
    for path in [
        format!(".:{system_path}"),
        format!(":{system_path}"),
        format!("{system_path}:"),
    ] {
        let output = rsparallel()
            .env("PATH", &path)
            .args(["run", "--allow-run=echo", "-e", &script, "x"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            stdout.trim(),
            "real",
            "PATH={path}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
