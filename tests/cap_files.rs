//! The file functions, as `--allow-read` and `--allow-write` grant them: what they read, write
//! and list; paths that cannot escape a grant (`..`, symlinks, a swap made after the check); a
//! refusal that fails only its job, naming its flag; clear failures; memory caps and deadlines
//! that hold on files of any size.

mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use rsparallel::capabilities::{Capability, Permissions};
use rsparallel::{JobErrorKind, JobStatus, RunspacePool};
use sha2::Digest;

use common::files::{error, output, pool, rsparallel, run, sha256_hex, sparse, tree};

#[test]
fn a_read_grant_reads_text_bytes_lines_facts_and_listings() {
    let (_dir, g) = tree();
    let pool = pool(Some(&g), None);
    let a = [g.join("a.txt")];
    let script = r#"[read_file(item), read_blob(item).len(), read_lines(item),
        exists(item), exists(item + ".not"), file_info(item).kind, file_info(item).size,
        file_info(item).modified > 1_600_000_000_000]"#;
    let value = output(&run(&pool, script, &a)[0]);
    assert_eq!(
        value,
        r#"["alpha\nbeta\r\ngamma", 17, ["alpha", "beta", "gamma"], true, false, "file", 17, true]"#
    );
    let folder = [g.clone()];
    let listed = |source| output(&run(&pool, source, &folder)[0]);
    let path = |rest: &str| g.join(rest).to_str().unwrap().to_string();
    assert_eq!(
        listed("list_dir(item)"),
        format!("[{:?}, {:?}]", path("a.txt"), path("sub"))
    );
    assert_eq!(
        listed("list_dir(item, #{ recursive: true })"),
        format!(
            "[{:?}, {:?}, {:?}]",
            path("a.txt"),
            path("sub"),
            path("sub/b.log")
        )
    );
    // The paths listed are the ones to pass back: the glob picks names, at any depth.
    assert_eq!(
        listed(r#"list_dir(item, #{ recursive: true, glob: "*.l?g" }).map(|p| read_file(p))"#),
        r#"["log"]"#
    );
    assert_eq!(listed(r#"file_info(item).kind"#), r#"dir"#);
    let bad = error(&run(&pool, "list_dir(item, #{ recursve: true })", &folder)[0]);
    assert!(bad.contains("list_dir: option recursve"), "{bad}");
}

#[test]
fn writes_need_the_write_grant_which_does_not_grant_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let items = [out.clone()];
    let refused = pool(Some(dir.path()), None);
    let message = error(&run(&refused, r#"write_file(item, "x")"#, &items)[0]);
    let flag = format!("(--allow-write={})", out.display());
    assert!(
        message.starts_with("write access to") && message.ends_with(&flag),
        "{message}"
    );
    assert!(!out.exists());

    let writer = pool(None, Some(dir.path()));
    let records = run(
        &writer,
        r#"write_file(item, "one "); append_file(item, "two "); append_file(item, blob(2, 0x21));"#,
        &items,
    );
    assert!(records[0].is_completed(), "{:?}", records[0].error);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "one two !!");
    // Created, or emptied first: a blob writes its bytes.
    run(&writer, "write_file(item, blob(3, 0x41))", &items);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "AAA");
    let message = error(&run(&writer, "read_file(item)", &items)[0]);
    assert!(message.contains("(--allow-read="), "{message}");
    let message = error(&run(&writer, "exists(item)", &items)[0]);
    assert!(message.contains("(--allow-read="), "{message}");
    run(&writer, "remove_file(item)", &items);
    assert!(!out.exists());
}

#[test]
fn paths_cannot_escape_a_grant_and_a_refusal_fails_only_its_job() {
    let (dir, g) = tree();
    let secret = dir.path().join("secret.txt");
    symlink("../secret.txt", g.join("relative_link")).unwrap();
    symlink(&secret, g.join("absolute_link")).unwrap();
    symlink("..", g.join("sub/up")).unwrap();
    symlink("../a.txt", g.join("sub/inside_link")).unwrap();
    let items = [
        g.join("../secret.txt"),
        secret.clone(),
        g.join("relative_link"),
        g.join("absolute_link"),
        g.join("sub/up/../secret.txt"),
        g.join("sub/inside_link"),
        g.join("a.txt"),
    ];
    let pool = pool(Some(&g), Some(&g));
    for source in ["read_file(item)", "sha256_file(item)", "exists(item)"] {
        let records = run(&pool, source, &items);
        for (record, item) in records.iter().zip(&items).take(5) {
            let message = error(record);
            assert!(
                message.starts_with(&format!("read access to {:?} is not granted", item)),
                "{source} {item:?}: {message}"
            );
            assert!(message.contains("--allow-read"), "{message}");
        }
        // A symlink that stays inside is followed; the other jobs are untouched.
        assert!(records[5].is_completed(), "{:?}", records[5].error);
        assert!(records[6].is_completed(), "{:?}", records[6].error);
    }
    for record in run(&pool, r#"write_file(item, "overwritten")"#, &items[..5]) {
        assert!(error(&record).starts_with("write access to"));
    }
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "SECRET");
    for record in run(
        &pool,
        "list_dir(item)",
        &[g.join("sub/up/.."), g.join("..")],
    ) {
        assert!(error(&record).starts_with("read access to"));
    }
    // The link itself lives inside: its facts are not its target's.
    let records = run(&pool, "file_info(item).kind", &items[2..3]);
    assert_eq!(output(&records[0]), "symlink");
}

#[test]
fn a_path_swapped_for_a_symlink_after_the_check_still_cannot_leave() {
    let (_dir, g) = tree();
    let target = g.join("swapped");
    std::fs::write(&target, "inside").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // Replaces `swapped`, atomically, by a symlink to the secret and back, as fast as it can.
    let swapper = {
        let (g, stop) = (g.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Relaxed) {
                let _ = symlink("../secret.txt", g.join(".link"));
                std::fs::rename(g.join(".link"), g.join("swapped")).unwrap();
                std::fs::write(g.join(".file"), "inside").unwrap();
                std::fs::rename(g.join(".file"), g.join("swapped")).unwrap();
            }
        })
    };
    let pool = pool(Some(&g), None);
    let items = vec![target; 500];
    let (mut read, mut refused) = (0, 0);
    for _ in 0..40 {
        for record in run(&pool, "read_file(item)", &items) {
            match record.status {
                JobStatus::Completed => {
                    assert_eq!(record.output[0].to_string(), "inside");
                    read += 1;
                }
                _ => {
                    assert!(error(&record).contains("--allow-read"));
                    refused += 1;
                }
            }
        }
        if read > 0 && refused > 0 {
            break;
        }
    }
    stop.store(true, Relaxed);
    swapper.join().unwrap();
    assert!(read > 0 && refused > 0, "{read} read, {refused} refused");
}

#[test]
fn a_granted_file_grants_that_file_only() {
    let (dir, g) = tree();
    let a = g.join("a.txt");
    let fresh = dir.path().join("fresh.txt");
    let pool = pool(Some(&a), Some(&fresh));
    let items = [a.clone(), g.join("sub/b.log")];
    let records = run(&pool, "read_file(item).len()", &items);
    assert_eq!(output(&records[0]), "17");
    assert!(error(&records[1]).contains("--allow-read="));
    let records = run(&pool, r#"write_file(item, "new")"#, &[fresh.clone(), a]);
    assert!(records[0].is_completed(), "{:?}", records[0].error);
    assert!(error(&records[1]).contains("--allow-write="));
    assert_eq!(std::fs::read_to_string(fresh).unwrap(), "new");
}

#[test]
fn everything_granted_follows_absolute_symlinks() {
    let (dir, g) = tree();
    symlink(dir.path().join("secret.txt"), g.join("absolute_link")).unwrap();
    let permissions = Permissions::none().allow(Capability::Read, None);
    let pool = RunspacePool::builder()
        .permissions(permissions)
        .build()
        .unwrap();
    let records = run(&pool, "read_file(item)", &[g.join("absolute_link")]);
    assert_eq!(output(&records[0]), "SECRET");
}

#[test]
fn failures_name_the_function_and_the_path() {
    let (_dir, g) = tree();
    std::fs::write(g.join("latin1.txt"), b"caf\xe9").unwrap();
    let pool = pool(Some(&g), Some(&g));
    let cases = [
        ("read_file", "missing.txt", "No such file"),
        ("read_lines", "sub", "is a folder"),
        ("read_file", "latin1.txt", "is not UTF-8 text (at byte 3)"),
        ("md5_file", "a.txt/x", "Not a directory"),
        ("list_dir", "a.txt", "Not a directory"),
        ("remove_file", "missing.txt", "No such file"),
        ("remove_file", "sub", "directory"),
    ];
    for (function, name, why) in cases {
        let path = g.join(name);
        let source = format!("{function}(item)");
        let message = error(&run(&pool, &source, std::slice::from_ref(&path))[0]);
        let named = message.starts_with(&format!("{function}: {path:?}"));
        assert!(
            named && message.contains(why),
            "{function} {name}: {message}"
        );
    }
    // Refused by the OS (unless these tests run as root, whom it lets read anything).
    let locked = g.join("locked.txt");
    std::fs::write(&locked, "x").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_err() {
        let message = error(&run(&pool, "read_file(item)", &[locked])[0]);
        assert!(message.contains("Permission denied"), "{message}");
    }
}

#[test]
fn hashes_stream_and_stop_at_the_job_deadline() {
    let (_dir, g) = tree();
    let huge = g.join("huge.bin");
    sparse(&huge, 64 << 30);
    let pool = RunspacePool::builder()
        .threads(1)
        .timeout(Duration::from_millis(100))
        .permissions(Permissions::none().allow(Capability::Read, Some(g.to_str().unwrap())))
        .build()
        .unwrap();
    let a = g.join("a.txt");
    let script = "[sha256_file(item), md5_file(item), crc32_file(item)]";
    let records = run(&pool, script, std::slice::from_ref(&a));
    let expected = format!(
        r#"[{:?}, {:?}, "{:08x}"]"#,
        sha256_hex(&std::fs::read(&a).unwrap()),
        hex::encode(md5::Md5::digest(std::fs::read(&a).unwrap())),
        crc32fast::hash(&std::fs::read(&a).unwrap())
    );
    assert_eq!(output(&records[0]), expected);
    let started = Instant::now();
    let records = run(&pool, "sha256_file(item)", &[huge]);
    let (status, took) = (records[0].status, started.elapsed());
    assert_eq!(status, JobStatus::TimedOut, "{:?}", records[0].error);
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn the_command_line_hashes_every_file_of_a_tree() {
    let (_dir, g) = tree();
    std::fs::write(g.join("sub/c.bin"), [0_u8, 1, 2, 255]).unwrap();
    let files = ["a.txt", "sub/b.log", "sub/c.bin"].map(|f| g.join(f));
    let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    let expected: String = files
        .iter()
        .map(|f| format!("{}\n", sha256_hex(&std::fs::read(f).unwrap())))
        .collect();
    rsparallel()
        .args(["run", "-k", "--input", "-", "-e", "sha256_file(item)"])
        .arg(format!("--allow-read={}", g.display()))
        .write_stdin(list.clone())
        .assert()
        .success()
        .stdout(expected);
    let assert = rsparallel()
        .args(["run", "--input", "-", "-e", "sha256_file(item)"])
        .write_stdin(list)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("is not granted (--allow-read="), "{stderr}");
}

/// One job's record, from `--output jsonl`.
fn jsonl_record(args: &[&str], allow: &Path, item: &Path) -> serde_json::Value {
    let output = rsparallel()
        .args(["run", "--output", "jsonl", "--max-memory", "8MiB"])
        .arg(format!("--allow-read={}", allow.display()))
        .args(args)
        .arg(item)
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn memory_caps_hold_for_files_bigger_than_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    sparse(&big, 50 << 20);
    let hashed = jsonl_record(&["-e", "sha256_file(item)"], dir.path(), &big);
    assert_eq!(hashed["status"], "completed", "{hashed}");
    assert_eq!(hashed["output"][0], sha256_hex(&vec![0; 50 << 20]));
    for function in ["read_file", "read_blob", "read_lines"] {
        let script = format!("{function}(item)");
        let record = jsonl_record(&["-e", &script], dir.path(), &big);
        assert_eq!(record["error"]["kind"], "memory_cap", "{record}");
        let message = record["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{function}: ")), "{message}");
    }
    // A FIFO is refused, at once: opening or reading one could keep the job waiting in the
    // kernel, where neither its timeout nor Ctrl-C reaches it. (Nobody ever writes this one.)
    let pipe = dir.path().join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    for function in ["read_file", "read_blob", "read_lines", "sha256_file"] {
        let started = std::time::Instant::now();
        let script = format!("{function}(item)");
        let record = jsonl_record(&["--timeout", "10s", "-e", &script], dir.path(), &pipe);
        let message = record["error"]["message"].as_str().unwrap();
        assert!(message.contains("not a regular file"), "{record}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{function}"
        );
    }
}

#[test]
fn a_refusal_is_an_error_the_script_can_catch() {
    let (_dir, g) = tree();
    let pool = pool(None, None);
    let records = run(
        &pool,
        r#"let r = (); try { r = read_file(item) } catch (e) { r = `caught: ${e}` } r"#,
        &[g.join("a.txt")],
    );
    assert!(output(&records[0]).starts_with("caught: read access to"));
    let records = run(&pool, "read_file(item)", &[g.join("a.txt")]);
    let kind = records[0].error.as_ref().unwrap().kind;
    assert_eq!(kind, JobErrorKind::Thrown);
}

#[test]
fn a_folder_of_many_names_is_listed_within_the_jobs_memory_cap() {
    // 8 MiB holds no listing of 200,000 names: the job stops at its cap while reading the
    // folder, not after holding all of it.
    let dir = tempfile::tempdir().unwrap();
    let many = dir.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..200_000 {
        std::fs::File::create(many.join(format!("file-with-a-long-name-{i:06}"))).unwrap();
    }
    let record = jsonl_record(&["-e", "list_dir(item).len()"], dir.path(), &many);
    assert_eq!(record["error"]["kind"], "memory_cap", "{record}");
}
