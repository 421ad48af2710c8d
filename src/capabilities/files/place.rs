//! Where a file function's path leads, once a grant allowed it: beneath a granted folder,
//! through a cap-std handle on it, so that nothing in the rest of the path (`..`, a symlink, a
//! swap made after the check) can lead out.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use cap_std::fs::Dir;
use rhai::{Dynamic, EvalAltResult, INT, Map};

use super::Fallible;
use super::{kernel_fs, root};
use crate::capabilities::{Capability, Permissions, failed, refused};

/// How a call opens its file.
#[derive(Clone, Copy)]
pub(super) enum Mode {
    Read,
    /// Created if missing, emptied if not.
    Create,
    /// Created if missing, written at its end.
    Append,
}

/// Where a call's path leads, once its grant allowed it.
pub(super) enum Place {
    /// Beneath a granted folder: `rest` is resolved through a handle on `root`.
    Beneath { root: PathBuf, rest: PathBuf },
    /// Anywhere, when the whole file system is granted: there is nothing to escape, and
    /// cap-std would refuse the absolute symlinks a system is full of (`/etc/localtime`).
    /// `kernel`: the kernel's own file systems are granted too (`-A`, see `kernel_fs`).
    Anywhere { path: PathBuf, kernel: bool },
}

impl Place {
    /// The granted folder `root`, a path resolved when it was granted (no symlink in it then),
    /// opened through no symlink: a folder swapped for a link since, or a link put where the
    /// grant named a folder still to be made, is refused instead of followed out of the grant.
    fn root(root: &Path) -> io::Result<Dir> {
        // One call where the kernel has it, refusing any symlink on the way; else the walk.
        #[cfg(target_os = "linux")]
        if let Some(opened) = root::open_without_links(root) {
            return opened.map(Dir::from_std_file);
        }
        root::walk_without_links(root).map(Dir::from_std_file)
    }

    /// Opens the file for `mode`. Only regular files (and folders, which fail as such when
    /// read): a FIFO, a socket or a device could keep the job waiting in the kernel, where
    /// neither its deadline nor Ctrl-C reaches it. It is opened without waiting (a FIFO with no
    /// writer opens at once), then refused by what the handle turned out to be, so a file
    /// swapped for a FIFO after a check is refused too.
    pub(super) fn open(&self, mode: Mode) -> io::Result<File> {
        let file = self.open_without_waiting(mode)?;
        let kind = file.metadata()?.file_type();
        if kind.is_fifo() || kind.is_socket() || kind.is_char_device() || kind.is_block_device() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file (a FIFO, socket or device could keep the job waiting)",
            ));
        }
        if kernel_fs::holds(&file)? && !self.reaches_kernel_fs() {
            return Err(kernel_fs::refused());
        }
        Ok(file)
    }

    /// Whether the grant that led here reaches into the kernel's file systems (`kernel_fs`).
    fn reaches_kernel_fs(&self) -> bool {
        match self {
            Place::Beneath { root, .. } => kernel_fs::is_granted_inside(root),
            Place::Anywhere { kernel, .. } => *kernel,
        }
    }

    fn open_without_waiting(&self, mode: Mode) -> io::Result<File> {
        match self {
            Place::Beneath { root, rest } => {
                let mut options = cap_std::fs::OpenOptions::new();
                match mode {
                    Mode::Read => options.read(true),
                    Mode::Create => options.write(true).create(true).truncate(true),
                    Mode::Append => options.append(true).create(true),
                };
                cap_std::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
                Ok(Place::root(root)?.open_with(rest, &options)?.into_std())
            }
            Place::Anywhere { path, .. } => {
                let mut options = std::fs::OpenOptions::new();
                match mode {
                    Mode::Read => options.read(true),
                    Mode::Create => options.write(true).create(true).truncate(true),
                    Mode::Append => options.append(true).create(true),
                };
                std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
                options.open(path)
            }
        }
    }

    /// Size, time of change and kind; of a symlink itself unless `follow`.
    pub(super) fn info(&self, follow: bool) -> io::Result<Map> {
        let (size, modified, kind) = match self {
            Place::Beneath { root, rest } => {
                let root = Place::root(root)?;
                let meta = if follow {
                    root.metadata(rest)?
                } else {
                    root.symlink_metadata(rest)?
                };
                let kind = meta.file_type();
                let kind = kind_name(kind.is_file(), kind.is_dir(), kind.is_symlink());
                (meta.len(), meta.modified().ok().map(|t| t.into_std()), kind)
            }
            Place::Anywhere { path, .. } => {
                let meta = if follow {
                    std::fs::metadata(path)?
                } else {
                    std::fs::symlink_metadata(path)?
                };
                let kind = meta.file_type();
                let kind = kind_name(kind.is_file(), kind.is_dir(), kind.is_symlink());
                (meta.len(), meta.modified().ok(), kind)
            }
        };
        let mut info = Map::new();
        info.insert(
            "size".into(),
            Dynamic::from(INT::try_from(size).unwrap_or(INT::MAX)),
        );
        info.insert("modified".into(), modified.map_or(Dynamic::UNIT, epoch_ms));
        info.insert("kind".into(), kind.into());
        Ok(info)
    }

    /// The names in the folder `sub` (relative to this place), each with whether it is a
    /// folder itself (a symlink to one is not: a listing never follows links into loops).
    /// `failed` turns a file system error into the job's. A folder of a million names is read
    /// looking at the job's clock and memory cap as it goes, not only once it is all in.
    pub(super) fn entries(
        &self,
        sub: &Path,
        failed: impl Fn(io::Error) -> Box<EvalAltResult>,
    ) -> Fallible<Vec<(OsString, bool)>> {
        let mut names = Vec::new();
        let mut add = |entry: io::Result<(OsString, io::Result<bool>)>| {
            let (name, is_dir) = entry.map_err(&failed)?;
            names.push((name, is_dir.map_err(&failed)?));
            if names.len() % 1024 == 0 {
                crate::limits::signal::checkpoint()?;
            }
            Ok::<(), Box<EvalAltResult>>(())
        };
        match self {
            Place::Beneath { root, rest } => {
                let dir = Place::root(root).map_err(&failed)?;
                for entry in dir.read_dir(rest.join(sub)).map_err(&failed)? {
                    add(entry.map(|e| (e.file_name(), e.file_type().map(|t| t.is_dir()))))?;
                }
            }
            Place::Anywhere { path, .. } => {
                for entry in std::fs::read_dir(path.join(sub)).map_err(&failed)? {
                    add(entry.map(|e| (e.file_name(), e.file_type().map(|t| t.is_dir()))))?;
                }
            }
        }
        names.sort();
        Ok(names)
    }

    pub(super) fn remove_file(&self) -> io::Result<()> {
        match self {
            Place::Beneath { root, rest } => Place::root(root)?.remove_file(rest),
            Place::Anywhere { path, .. } => std::fs::remove_file(path),
        }
    }
}

fn kind_name(file: bool, dir: bool, symlink: bool) -> &'static str {
    match (file, dir, symlink) {
        (true, _, _) => "file",
        (_, true, _) => "dir",
        (_, _, true) => "symlink",
        _ => "other",
    }
}

/// A time as the batteries write one: milliseconds since the Unix epoch.
fn epoch_ms(time: SystemTime) -> Dynamic {
    let ms = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_millis()).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(before.duration().as_millis()).unwrap_or(i128::MAX),
    };
    Dynamic::from(INT::try_from(ms).unwrap_or(INT::MAX))
}

/// The grants a pool's functions check their paths against.
#[derive(Clone)]
pub(super) struct Grants(pub(super) Arc<Permissions>);

impl Grants {
    /// Where `given` leads, if `capability` is granted for it. Refused: a path under no
    /// granted path, or one whose `..` climbs out of the grant it names.
    pub(super) fn place(
        &self,
        capability: Capability,
        function: &str,
        given: &str,
    ) -> Fallible<Place> {
        let path = std::path::absolute(given).map_err(|e| failed(function, e))?;
        if *self.0.grant(capability) == crate::capabilities::Grant::Everything {
            // The whole file system: nothing to escape (`..` above `/` is `/`).
            let kernel = Capability::ALL
                .into_iter()
                .all(|c| *self.0.grant(c) == crate::capabilities::Grant::Everything);
            return Ok(Place::Anywhere { path, kernel });
        }
        // The outermost grant holding the path, by the name it was granted under or by where
        // that led, so that a symlink from one granted folder into another granted inside it
        // is followed.
        let (root, rest) = self
            .0
            .roots(capability)
            .iter()
            .filter_map(|root| {
                let rest = (path.strip_prefix(&root.written))
                    .or_else(|_| path.strip_prefix(&root.real))
                    .ok()?;
                Some((root, rest))
            })
            .max_by_key(|(_, rest)| rest.components().count())
            .ok_or_else(|| refused(capability, given))?;
        if climbs_out(rest) {
            return Err(refused(capability, given));
        }
        let real = &root.real;
        if !rest.as_os_str().is_empty() || real.is_dir() {
            let rest = if rest.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                rest.to_path_buf()
            };
            return Ok(Place::Beneath {
                root: real.clone(),
                rest,
            });
        }
        // A granted file (or one to be written): its folder is opened, and only its name is
        // reachable through it.
        match (real.parent(), real.file_name()) {
            (Some(folder), Some(name)) => Ok(Place::Beneath {
                root: folder.to_path_buf(),
                rest: PathBuf::from(name),
            }),
            _ => Err(refused(capability, given)),
        }
    }
}

/// Whether `path`'s `..` parts, read as written, lead above where it starts.
fn climbs_out(path: &Path) -> bool {
    let mut depth = 0_usize;
    for part in path.components() {
        match part {
            Component::Normal(_) => depth += 1,
            Component::ParentDir if depth == 0 => return true,
            Component::ParentDir => depth -= 1,
            _ => {}
        }
    }
    false
}

/// The job failure of an OS error, naming the function and the path. cap-std's refusal of a
/// path that leads outside its folder (through a symlink) carries no OS error number.
pub(super) fn io_failed(
    function: &str,
    capability: Capability,
    given: &str,
    e: io::Error,
) -> Box<EvalAltResult> {
    if kernel_fs::is_refusal(&e) {
        let message = format!(
            "{} access to {given:?} is not granted: the kernel's file systems (/proc, /sys) are \
             reached only by a grant naming a path in them ({}=/proc/...) or -A",
            capability.noun(),
            capability.flag()
        );
        return EvalAltResult::ErrorRuntime(message.into(), rhai::Position::NONE).into();
    }
    if e.kind() == io::ErrorKind::PermissionDenied && e.raw_os_error().is_none() {
        let message = format!(
            "{} access to {given:?} is not granted: it leads outside what {} grants",
            capability.noun(),
            capability.flag()
        );
        return EvalAltResult::ErrorRuntime(message.into(), rhai::Position::NONE).into();
    }
    failed(function, format!("{given:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_granted_folder_is_opened_through_no_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("a")).unwrap();
        std::os::unix::fs::symlink(real.join("a"), real.join("link")).unwrap();
        for open in [root::walk_without_links, |p: &Path| {
            Place::root(p).map(Dir::into_std_file)
        }] {
            assert!(open(&real.join("a")).is_ok());
            let refused = open(&real.join("link")).unwrap_err();
            assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied, "{refused}");
            let missing = open(&real.join("none")).unwrap_err();
            assert_eq!(missing.kind(), io::ErrorKind::NotFound, "{missing}");
        }
    }

    #[test]
    fn dot_dots_that_climb_above_their_start_are_caught_as_written() {
        assert!(climbs_out(Path::new("..")));
        assert!(climbs_out(Path::new("a/../../b")));
        assert!(!climbs_out(Path::new("a/../b")));
        assert!(!climbs_out(Path::new("")));
    }
}
