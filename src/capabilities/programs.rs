//! Where a program `--allow-run` names, or a script runs, is: for the grant, which pins the
//! files its entries lead to when it is made, and for `run_process`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where `program` is: a path (with a `/`) from `base`, or a name in the PATH. Its folder is
/// resolved (`/bin` is `/usr/bin` on most systems) but not the file, so that granting `sh`
/// does not grant `dash` because one links to the other.
pub(crate) fn locate(program: &str, base: &Path) -> Option<PathBuf> {
    let executable = |path: &Path| {
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    let path = if program.contains('/') {
        Some(base.join(program)).filter(|path| executable(path))
    } else if program.is_empty() {
        None
    } else {
        let dirs =
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
        // Only absolute folders: a relative one (`.`, or the empty entry of `PATH=/bin:`)
        // would be taken from the `cwd` a script chose, a folder it may have written.
        std::env::split_paths(&dirs)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join(program))
            .find(|path| executable(path))
    }?;
    let dir = path.parent()?.canonicalize().ok()?;
    Some(dir.join(path.file_name()?))
}
