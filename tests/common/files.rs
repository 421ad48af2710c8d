//! Helpers of the file functions' tests: pools granting paths, a tree with a secret beside it,
//! sparse files.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rsparallel::capabilities::{Capability, Permissions};
use rsparallel::rhai::Dynamic;
use rsparallel::{JobRecord, JobStatus, RunspacePool};
use sha2::{Digest, Sha256};

pub fn rsparallel() -> Command {
    Command::cargo_bin("rsparallel").unwrap()
}

/// A pool granting `read` and `write` (comma-separated paths; `None`: nothing).
pub fn pool(read: Option<&Path>, write: Option<&Path>) -> RunspacePool {
    let mut permissions = Permissions::none();
    if let Some(read) = read {
        permissions = permissions.allow(Capability::Read, Some(read.to_str().unwrap()));
    }
    if let Some(write) = write {
        permissions = permissions.allow(Capability::Write, Some(write.to_str().unwrap()));
    }
    let builder = RunspacePool::builder().threads(2);
    builder.permissions(permissions).build().unwrap()
}

/// Runs `source` over `items` (paths), in the order given.
pub fn run(pool: &RunspacePool, source: &str, items: &[PathBuf]) -> Vec<JobRecord> {
    let script = pool.compile(source).unwrap();
    let items = items
        .iter()
        .map(|p| Dynamic::from(p.to_str().unwrap().to_string()));
    let mut records: Vec<JobRecord> = pool.run(&script, items).unwrap().collect();
    records.sort_by_key(|r| r.seq);
    records
}

pub fn output(record: &JobRecord) -> String {
    assert!(record.is_completed(), "{:?}", record.error);
    record.output[0].to_string()
}

pub fn error(record: &JobRecord) -> String {
    assert_eq!(record.status, JobStatus::Failed, "{:?}", record.output);
    record.error.as_ref().unwrap().message.clone()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A file of `len` zeros that takes no room on disk.
pub fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

/// A folder `granted` holding `a.txt` and `sub/b.log`, beside `secret.txt` outside it.
pub fn tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let granted = dir.path().join("granted");
    std::fs::create_dir_all(granted.join("sub")).unwrap();
    std::fs::write(granted.join("a.txt"), "alpha\nbeta\r\ngamma").unwrap();
    std::fs::write(granted.join("sub/b.log"), "log").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "SECRET").unwrap();
    (dir, granted)
}
