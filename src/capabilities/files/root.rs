//! A granted folder opened through no symlink: its path was resolved when it was granted, so
//! a symlink on it now was put there since (a folder swapped for a link, a link retargeted, a
//! link where the grant named a folder still to be made), and following it could lead out of
//! the grant.

use std::fs::File;
use std::io;
use std::path::{Component, Path};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// The folder `root` opened one folder at a time from `/`, none of them through a symlink.
pub(super) fn walk_without_links(root: &Path) -> io::Result<File> {
    let mut dir = Dir::open_ambient_dir("/", ambient_authority())?.into_std_file();
    for part in root.components() {
        match part {
            Component::RootDir => {}
            Component::Normal(name) => {
                dir = match open_folder_not_link(&dir, name) {
                    Ok(next) => next,
                    Err(_) if is_link(&dir, name) => return Err(link_in_the_way()),
                    Err(e) => return Err(e),
                }
            }
            _ => {
                let why = format!("{} is not a resolved path", root.display());
                return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
            }
        }
    }
    Ok(dir)
}

/// A symlink lies on a granted folder's path: refused as cap-std refuses a path that leads
/// out (see `io_failed`).
fn link_in_the_way() -> io::Error {
    let why = "a symlink has taken the place of a granted folder";
    io::Error::new(io::ErrorKind::PermissionDenied, why)
}

/// The folder `root` opened by `openat2` with no symlink followed, in one call (a walk of
/// a folder at a time took a system call a folder: `file_info` over 20,000 files was 30 %
/// slower). `None` where the kernel does not have the call, or refuses it (a seccomp filter).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn open_without_links(root: &Path) -> Option<io::Result<File>> {
    use std::os::fd::FromRawFd;
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(root.as_os_str().as_bytes()).ok()?;
    // SAFETY: a plain struct of integers, for which zero is a valid value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) as u64;
    how.resolve = libc::RESOLVE_NO_SYMLINKS;
    // SAFETY: `path` is NUL-terminated and `how` an `open_how` of the size given, both alive
    // for the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            libc::AT_FDCWD,
            path.as_ptr(),
            &raw const how,
            size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENOSYS | libc::EPERM | libc::E2BIG | libc::EINVAL) => None,
            Some(libc::ELOOP) => Some(Err(link_in_the_way())),
            _ => Some(Err(e)),
        };
    }
    let fd = i32::try_from(fd).ok()?;
    // SAFETY: `fd` was just opened, and is given to the `File` alone.
    Some(Ok(unsafe { File::from_raw_fd(fd) }))
}

/// Whether `name` in the folder `parent` is a symlink.
fn is_link(parent: &File, name: &std::ffi::OsStr) -> bool {
    let Ok(parent) = parent.try_clone() else {
        return false;
    };
    Dir::from_std_file(parent)
        .symlink_metadata(name)
        .is_ok_and(|meta| meta.file_type().is_symlink())
}

/// The folder `name` in `parent`, refused if `name` is a symlink. cap-std follows a symlink
/// that stays beneath its folder, and `/` holds every path.
#[allow(unsafe_code)]
fn open_folder_not_link(parent: &File, name: &std::ffi::OsStr) -> io::Result<File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(name.as_bytes())?;
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `parent` is an open folder and `name` a NUL-terminated string, both alive for
    // the call; a descriptor openat returns is owned by nothing else.
    let fd = unsafe { libc::openat(parent.as_raw_fd(), name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened, and is given to the `File` alone.
    Ok(unsafe { File::from_raw_fd(fd) })
}
