//! Files for job scripts, as `--allow-read` and `--allow-write` grant them: reading (as text,
//! bytes or lines), writing, appending, removing, listing folders, a file's facts, hashes.
//!
//! A path never escapes its grant. A call opens the granted folder its path falls under and
//! works through that handle with cap-std, which resolves the rest of the path beneath it at
//! the OS level (`openat2` with `RESOLVE_BENEATH`, or an emulation of it): `..`, a symlink
//! leading outside, or a path swapped for such a symlink after the check are refused by the
//! kernel, not by a comparison of strings that a race could beat.

use crate::batteries::registrar::Registrar;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::{Array, Blob, EvalAltResult, Map};

use super::{Capability, Permissions, failed};
use crate::limits::memory::would_pass_cap;
use crate::limits::signal::checkpoint;
use crate::limits::size::format_size;

mod kernel_fs;
mod place;
mod root;

use place::{Grants, Mode, io_failed};

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// Bytes read, written or hashed between two looks at the job's clock and memory: well under
/// a millisecond of work, so a deadline or a cancel stops a call on a huge file promptly.
const PIECE: usize = 256 * 1024;

/// The failure of a read that would not fit in the job's memory: like the cap itself, its
/// record's kind is `memory_cap`.
fn too_large(function: &str, given: &str, bytes: usize) -> Box<EvalAltResult> {
    let size = format_size(u64::try_from(bytes).unwrap_or(u64::MAX));
    let what = format!(
        "{function}: {given:?} holds {size} or more, past the job's memory cap (max-memory)"
    );
    EvalAltResult::ErrorDataTooLarge(what, rhai::Position::NONE).into()
}

/// Opens `given` to read it, refusing a folder by name (reading one fails obscurely).
fn open_to_read(grants: &Grants, function: &str, given: &str) -> Fallible<(File, u64)> {
    let read = Capability::Read;
    let fail = |e| io_failed(function, read, given, e);
    let file = grants
        .place(read, function, given)?
        .open(Mode::Read)
        .map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if meta.is_dir() {
        return Err(failed(function, format!("{given:?} is a folder")));
    }
    Ok((file, meta.len()))
}

/// The whole of `given`. Its size is checked against the job's memory cap before anything is
/// read, and it is read in pieces checked again, so a file that grows while read stops too.
fn read_bytes(grants: &Grants, function: &str, given: &str) -> Fallible<Vec<u8>> {
    let (mut file, size) = open_to_read(grants, function, given)?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let mut bytes = Vec::new();
    make_room(&mut bytes, size, function, given)?;
    let mut piece = vec![0_u8; size.saturating_add(1).clamp(4096, PIECE)];
    loop {
        let read = match file.read(&mut piece) {
            Ok(0) => return Ok(bytes),
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_failed(function, Capability::Read, given, e)),
        };
        make_room(&mut bytes, read, function, given)?;
        bytes.extend_from_slice(&piece[..read]);
        checkpoint()?;
    }
}

/// Makes room in `bytes` for `more`, asking the job's cap before it allocates: a grown file
/// must stop at the cap, not one doubling of the buffer past it.
fn make_room(bytes: &mut Vec<u8>, more: usize, function: &str, given: &str) -> Fallible<()> {
    let needed = bytes.len().saturating_add(more);
    if needed <= bytes.capacity() {
        return Ok(());
    }
    let doubled = needed.max(bytes.capacity().saturating_mul(2));
    for wanted in [doubled, needed] {
        let growth = wanted - bytes.capacity();
        if !would_pass_cap(growth) && bytes.try_reserve_exact(wanted - bytes.len()).is_ok() {
            return Ok(());
        }
    }
    Err(too_large(function, given, needed))
}

fn read_text(grants: &Grants, function: &str, given: &str) -> Fallible<String> {
    String::from_utf8(read_bytes(grants, function, given)?).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        failed(
            function,
            format!("{given:?} is not UTF-8 text (at byte {at})"),
        )
    })
}

/// [`read_text`] through `permissions` (see [`super::read_granted_text`]).
pub(super) fn read_granted_text(
    permissions: &Arc<Permissions>,
    function: &str,
    given: &str,
) -> Fallible<String> {
    read_text(&Grants(permissions.clone()), function, given)
}

fn read_lines(grants: &Grants, given: &str) -> Fallible<Array> {
    let text = read_text(grants, "read_lines", given)?;
    let mut lines = Array::new();
    for (n, line) in text.lines().enumerate() {
        lines.push(line.into());
        if n % 4096 == 4095 {
            checkpoint()?;
        }
    }
    Ok(lines)
}

fn write(grants: &Grants, function: &str, mode: Mode, given: &str, bytes: &[u8]) -> Fallible<()> {
    let write = Capability::Write;
    let fail = |e| io_failed(function, write, given, e);
    let mut file = grants
        .place(write, function, given)?
        .open(mode)
        .map_err(fail)?;
    for piece in bytes.chunks(PIECE) {
        file.write_all(piece).map_err(fail)?;
        checkpoint()?;
    }
    Ok(())
}

fn remove_file(grants: &Grants, given: &str) -> Fallible<()> {
    let write = Capability::Write;
    let place = grants.place(write, "remove_file", given)?;
    place
        .remove_file()
        .map_err(|e| io_failed("remove_file", write, given, e))
}

fn file_info(grants: &Grants, given: &str) -> Fallible<Map> {
    let read = Capability::Read;
    let place = grants.place(read, "file_info", given)?;
    place
        .info(false)
        .map_err(|e| io_failed("file_info", read, given, e))
}

fn exists(grants: &Grants, given: &str) -> Fallible<bool> {
    let read = Capability::Read;
    match grants.place(read, "exists", given)?.info(true) {
        Ok(_) => Ok(true),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(io_failed("exists", read, given, e)),
    }
}

/// The paths in the folder `given`, joined onto it as written, so that a script can pass them
/// back to the other functions; each folder's names, sorted, then its subfolders' (`ls -R`).
fn list_dir(grants: &Grants, given: &str, options: &Map) -> Fallible<Array> {
    let (mut recursive, mut glob) = (false, None);
    for (key, value) in options {
        match (key.as_str(), value) {
            ("recursive", v) if v.is_bool() => recursive = v.as_bool().unwrap_or(false),
            ("glob", v) if v.is_string() => glob = Some(v.to_string()),
            _ => {
                let why =
                    format!("option {key}: {value:?} is not one of recursive: bool, glob: string");
                return Err(failed("list_dir", why));
            }
        }
    }
    let read = Capability::Read;
    let place = grants.place(read, "list_dir", given)?;
    let mut found = Array::new();
    let mut folders = vec![PathBuf::new()];
    while let Some(folder) = folders.pop() {
        let entries = place.entries(&folder, |e| {
            // The folder as the script named it: joining an empty path would add a `/`.
            let path = if folder.as_os_str().is_empty() {
                given.to_string()
            } else {
                Path::new(given)
                    .join(&folder)
                    .to_string_lossy()
                    .into_owned()
            };
            io_failed("list_dir", read, &path, e)
        })?;
        let mut subfolders = Vec::new();
        for (name, is_dir) in entries {
            let path = Path::new(given).join(&folder).join(&name);
            let (Some(name), Some(text)) = (name.to_str(), path.to_str()) else {
                return Err(failed(
                    "list_dir",
                    format!("{path:?}: a name that is not UTF-8 text"),
                ));
            };
            if glob.as_deref().is_none_or(|glob| glob_matches(glob, name)) {
                found.push(text.into());
            }
            if recursive && is_dir {
                subfolders.push(folder.join(name));
            }
        }
        folders.extend(subfolders.into_iter().rev());
        checkpoint()?;
    }
    Ok(found)
}

/// Whether `name` matches `glob`: `*` is any run of characters, `?` any one character.
fn glob_matches(glob: &str, name: &str) -> bool {
    let (glob, name): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    let (mut g, mut n) = (0, 0);
    // Where the last `*` was, and the name position it matched up to: retried one longer.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match glob.get(g) {
            Some('*') => {
                star = Some((g, n));
                g += 1;
            }
            Some(&c) if c == '?' || c == name[n] => (g, n) = (g + 1, n + 1),
            _ => match star {
                Some((star_g, star_n)) => {
                    (g, n) = (star_g + 1, star_n + 1);
                    star = Some((star_g, star_n + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == '*')
}

/// Feeds the file `given` to `update` through one fixed buffer: a file of any size costs the
/// buffer, and the job's deadline or cancel stops the call between two pieces.
#[cfg(feature = "batteries")]
fn hash_file(
    grants: &Grants,
    function: &str,
    given: &str,
    mut update: impl FnMut(&[u8]),
) -> Fallible<()> {
    let (mut file, _) = open_to_read(grants, function, given)?;
    let mut piece = vec![0_u8; PIECE];
    loop {
        match file.read(&mut piece) {
            Ok(0) => return Ok(()),
            Ok(read) => update(&piece[..read]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_failed(function, Capability::Read, given, e)),
        }
        checkpoint()?;
    }
}

#[cfg(feature = "batteries")]
fn register_hashes(engine: &mut impl Registrar, grants: &Grants) {
    use sha2::Digest;

    let g = grants.clone();
    engine.register_fn("sha256_file", move |path: &str| {
        let mut hasher = sha2::Sha256::new();
        hash_file(&g, "sha256_file", path, |piece| hasher.update(piece))?;
        Ok::<_, Box<EvalAltResult>>(hex::encode(hasher.finalize()))
    });
    let g = grants.clone();
    engine.register_fn("md5_file", move |path: &str| {
        let mut hasher = md5::Md5::new();
        hash_file(&g, "md5_file", path, |piece| hasher.update(piece))?;
        Ok::<_, Box<EvalAltResult>>(hex::encode(hasher.finalize()))
    });
    let g = grants.clone();
    engine.register_fn("crc32_file", move |path: &str| {
        let mut hasher = crc32fast::Hasher::new();
        hash_file(&g, "crc32_file", path, |piece| hasher.update(piece))?;
        Ok::<_, Box<EvalAltResult>>(format!("{:08x}", hasher.finalize()))
    });
}

pub(super) fn register(engine: &mut impl Registrar, permissions: &Arc<Permissions>) {
    let grants = Grants(Arc::clone(permissions));
    let g = grants.clone();
    engine.register_fn("read_file", move |path: &str| {
        read_text(&g, "read_file", path)
    });
    let g = grants.clone();
    engine.register_fn("read_blob", move |path: &str| -> Fallible<Blob> {
        read_bytes(&g, "read_blob", path)
    });
    let g = grants.clone();
    engine.register_fn("read_lines", move |path: &str| read_lines(&g, path));
    let g = grants.clone();
    engine.register_fn("write_file", move |path: &str, text: &str| {
        write(&g, "write_file", Mode::Create, path, text.as_bytes())
    });
    let g = grants.clone();
    engine.register_fn("write_file", move |path: &str, blob: Blob| {
        write(&g, "write_file", Mode::Create, path, &blob)
    });
    let g = grants.clone();
    engine.register_fn("append_file", move |path: &str, text: &str| {
        write(&g, "append_file", Mode::Append, path, text.as_bytes())
    });
    let g = grants.clone();
    engine.register_fn("append_file", move |path: &str, blob: Blob| {
        write(&g, "append_file", Mode::Append, path, &blob)
    });
    let g = grants.clone();
    engine.register_fn("remove_file", move |path: &str| remove_file(&g, path));
    let g = grants.clone();
    engine.register_fn("list_dir", move |path: &str| {
        list_dir(&g, path, &Map::new())
    });
    let g = grants.clone();
    engine.register_fn("list_dir", move |path: &str, options: Map| {
        list_dir(&g, path, &options)
    });
    let g = grants.clone();
    engine.register_fn("file_info", move |path: &str| file_info(&g, path));
    let g = grants.clone();
    engine.register_fn("exists", move |path: &str| exists(&g, path));
    #[cfg(feature = "batteries")]
    register_hashes(engine, &grants);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_stars_and_single_characters() {
        assert!(glob_matches("*.log", "app.log"));
        assert!(glob_matches("*.log", ".log"));
        assert!(!glob_matches("*.log", "app.log.1"));
        assert!(glob_matches("a?c*", "abcdef"));
        assert!(glob_matches("*a*b*", "xxaxxbxx"));
        assert!(!glob_matches("?", ""));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("é?", "éa"));
    }
}
