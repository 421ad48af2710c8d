//! The kernel's interface file systems — `/proc`, `/sys` and their kin — whose files are not
//! data but views of, and doors into, the running system: `/proc/self/environ` holds what
//! `--allow-env` withholds, and `/proc/PID/mem` is this process's memory, whose writing is
//! every grant at once. A grant of a folder above them (`--allow-read=/`, `--allow-write`
//! alone) does not reach into them, as Deno's grants have not since 1.43 (GHSA-23rx-c3g5-hv9w);
//! a grant naming a path inside them does, and so does `-A`.
//!
//! What a file is on is read from the opened handle (`fstatfs`), not from its path: a symlink
//! or a bind mount that leads into `/proc` is caught the same way.

use std::io;
use std::os::fd::AsFd;
use std::path::Path;

/// The `f_type` of each such file system (`statfs(2)`): proc, sysfs, debugfs, tracefs,
/// securityfs, bpf, cgroup, cgroup2, configfs, efivarfs, pstore, selinuxfs, binfmt_misc,
/// fusectl.
const KERNEL_FILE_SYSTEMS: [u64; 14] = [
    0x9fa0,
    0x6265_6572,
    0x6462_6720,
    0x7472_6163,
    0x7363_6673,
    0xcafe_4a11,
    0x0027_e0eb,
    0x6367_7270,
    0x6265_6570,
    0xde5e_81e4,
    0x6165_676c,
    0xf97c_ff8c,
    0x4249_4e4d,
    0x6573_5543,
];

fn is_kernel(f_type: impl TryInto<i64>) -> bool {
    // `f_type` is signed on some targets: compare its low 32 bits, where every magic fits.
    let f_type = f_type.try_into().unwrap_or_default() as u64 & 0xffff_ffff;
    KERNEL_FILE_SYSTEMS.contains(&f_type)
}

/// Whether the opened `file` is on one of the kernel's interface file systems.
pub(super) fn holds(file: impl AsFd) -> io::Result<bool> {
    Ok(is_kernel(rustix::fs::fstatfs(file)?.f_type))
}

/// Whether the granted path `root` is itself on one: a grant that names it reaches into it.
pub(super) fn is_granted_inside(root: &Path) -> bool {
    rustix::fs::statfs(root).is_ok_and(|s| is_kernel(s.f_type))
}

/// The refusal of a file on one, reached through a grant of a folder above it; told from
/// other refusals by [`is_refusal`].
pub(super) fn refused() -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, KernelFile)
}

/// Whether `e` is [`refused`]'s.
pub(super) fn is_refusal(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<KernelFile>())
}

#[derive(Debug)]
struct KernelFile;

impl std::fmt::Display for KernelFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a file of the kernel's file systems (/proc, /sys)")
    }
}

impl std::error::Error for KernelFile {}
