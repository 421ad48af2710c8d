//! A granted path is where it led when granted: a symlink retargeted after the grant, or put
//! in the place of a granted folder (even one still to be made), moves nothing; and a host
//! script's pool is checked by the folders its calls will open.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;

use rsparallel::RunspacePool;
use rsparallel::capabilities::{Capability, Permissions};

use common::files::{error, output, pool, run, tree};

#[test]
fn a_grant_is_where_its_path_led_when_granted_whatever_links_change_after() {
    let (dir, g) = tree();
    // Granted through a symlink, then the link retargeted out: the jobs still reach the
    // folder it led to when granted, by either name, and never the new target.
    let link = dir.path().join("current");
    symlink(&g, &link).unwrap();
    let pool = pool(Some(&link), None);
    std::fs::remove_file(&link).unwrap();
    symlink(dir.path(), &link).unwrap();
    let read = |pool: &RunspacePool, path: &Path| {
        run(pool, "read_file(item)", &[path.to_path_buf()]).remove(0)
    };
    assert_eq!(
        output(&read(&pool, &link.join("a.txt"))),
        "alpha\nbeta\r\ngamma"
    );
    assert_eq!(
        output(&read(&pool, &g.join("a.txt"))),
        "alpha\nbeta\r\ngamma"
    );
    let message = error(&read(&pool, &link.join("secret.txt")));
    assert!(message.contains("No such file"), "{message}");
    // A folder granted before it exists, which a symlink out then takes the place of: the
    // grant was of a folder beneath `granted`, and the link is refused, not followed. (A host
    // script's pool gave its jobs more than the host had this way.)
    let later = g.join("later");
    let pool = self::pool(Some(&later), None);
    symlink(dir.path(), &later).unwrap();
    let message = error(&read(&pool, &later.join("secret.txt")));
    assert!(message.contains("is not granted"), "{message}");
    let host = Permissions::none().allow(Capability::Read, Some(g.to_str().unwrap()));
    let wanted = Permissions::none().allow(Capability::Read, Some(later.to_str().unwrap()));
    assert!(wanted.beyond(&host).is_some(), "the link now leads out");
    // A host script's pool is checked by where its paths led when granted, and opens them
    // there: a link swapped in after the check is refused, not followed.
    let swapped = g.join("swapped");
    std::fs::create_dir(&swapped).unwrap();
    let wanted = Permissions::none().allow(Capability::Read, Some(swapped.to_str().unwrap()));
    assert_eq!(wanted.beyond(&host), None);
    std::fs::remove_dir(&swapped).unwrap();
    symlink(dir.path(), &swapped).unwrap();
    let pool = RunspacePool::builder().permissions(wanted).build().unwrap();
    let message = error(&read(&pool, &swapped.join("secret.txt")));
    assert!(message.contains("is not granted"), "{message}");
}

#[test]
fn the_kernels_file_systems_are_reached_only_by_a_grant_naming_them() {
    // `/proc/self/environ` holds what `--allow-env` withholds, `/proc/PID/mem` the process's
    // memory: a grant of a folder above them, or of everything, does not reach them; a link
    // into them is caught by what the opened file is on, not by its path.
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("environ");
    symlink("/proc/self/environ", &link).unwrap();
    let grant = |read: Option<&str>, write: Option<&str>| {
        let permissions = Permissions::none()
            .allow(Capability::Read, read)
            .allow(Capability::Write, write);
        RunspacePool::builder()
            .threads(1)
            .permissions(permissions)
            .build()
            .unwrap()
    };
    let read = |pool: &RunspacePool, path: &str| {
        run(pool, "read_file(item).len()", &[path.into()]).remove(0)
    };
    let refused = |record| {
        let message = error(&record);
        assert!(message.contains("kernel's file systems"), "{message}");
    };
    let everything = grant(None, None);
    for path in [
        "/proc/self/environ",
        "/proc/self/status",
        "/sys/kernel/mm/transparent_hugepage/enabled",
    ] {
        if Path::new(path).exists() {
            refused(read(&everything, path));
            refused(read(&grant(Some("/"), None), path));
        }
    }
    refused(read(&everything, link.to_str().unwrap()));
    let write = run(
        &everything,
        r#"write_file(item, "x")"#,
        &["/proc/thread-self/comm".into()],
    );
    refused(write.into_iter().next().unwrap());
    // Named, they are granted; and so by -A.
    let named = grant(Some("/proc/self/status"), None);
    assert!(output(&read(&named, "/proc/self/status")) != "0");
    let all = RunspacePool::builder()
        .threads(1)
        .permissions(Permissions::all())
        .build()
        .unwrap();
    assert!(output(&read(&all, "/proc/self/status")) != "0");
    // Files elsewhere are read as before.
    assert!(output(&read(&everything, "/etc/passwd")) != "0");
}
