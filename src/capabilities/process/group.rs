//! A program run by `run_process` with its process group: killed whole, never reaped before it
//! is killed, so that its group's id cannot belong to another process by then; and, when its
//! job must stop, the processes that left the group too, found by a variable they inherited.

use std::io::ErrorKind;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicU64, Ordering};

/// The program and its process group. Dropped without [`Group::finish`] (a panic, an early
/// return), it kills the group all the same.
pub(super) struct Group {
    pub(super) child: Child,
    reaped: bool,
    /// The program's [`TOKEN_VARIABLE`].
    token: String,
}

impl Group {
    pub(super) fn new(child: Child, token: String) -> Group {
        Group {
            child,
            reaped: false,
            token,
        }
    }

    fn pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.child.id()).expect("a process id is a pid_t")
    }

    /// Whether the program has exited, without reaping it: until it is reaped its id stays its
    /// group's, so that killing the group cannot hit a process that took the id since.
    #[allow(unsafe_code)]
    pub(super) fn has_exited(&self) -> bool {
        // SAFETY: a zeroed `siginfo_t` is a valid value of it, and `waitid` writes only there.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        // SAFETY: `info` is a live, writable `siginfo_t` for the whole call.
        if unsafe { libc::waitid(libc::P_PID, self.child.id(), &mut info, flags) } != 0 {
            // Only a signal can get in the way of a call that does not wait; anything else
            // (the program is gone) must end the loop.
            return std::io::Error::last_os_error().kind() != ErrorKind::Interrupted;
        }
        // SAFETY: `si_pid` reads the field `waitid` fills for WEXITED (0 when none exited).
        unsafe { info.si_pid() != 0 }
    }

    /// Sends SIGKILL to every process in the group.
    #[allow(unsafe_code)]
    pub(super) fn kill(&self) {
        if !self.reaped {
            // SAFETY: `killpg` only sends a signal. The group is the unreaped program's own
            // (`process_group(0)`), so its id cannot have been reused.
            unsafe { libc::killpg(self.pid(), libc::SIGKILL) };
        }
    }

    /// Kills what is left of the group and reaps the program.
    pub(super) fn finish(&mut self) -> std::io::Result<ExitStatus> {
        self.kill();
        let status = self.child.wait();
        self.reaped = true;
        status
    }

    /// Kills the group and every process that left it, and reaps the program: for a job that
    /// must stop (timed out, cancelled, past its memory cap), or a program whose pipes are
    /// held open after it exited, which only a process that left its group can do.
    pub(super) fn stop(&mut self) -> std::io::Result<ExitStatus> {
        self.kill();
        sweep(&self.token);
        self.finish()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.stop();
        }
    }
}

/// The variable every program `run_process` starts carries, with a value of its own: the
/// processes that still have it, wherever they went (`setsid`, a double fork that leaves them
/// to init), are the program's, and are killed with its group when its job must stop.
pub(super) const TOKEN_VARIABLE: &str = "RSPARALLEL_JOB_TOKEN";

/// A value of [`TOKEN_VARIABLE`] no other program has had: this process's id and a count,
/// and a random number, so that a process left by an earlier rsparallel whose id this one
/// reuses (small, repeating ids, in a container) never holds one of this one's tokens.
pub(super) fn new_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static RANDOM: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    // `RandomState` is seeded from the operating system's randomness.
    let random = RANDOM.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.finish()
    });
    let next = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{}-{random:016x}-{next}", std::process::id())
}

/// Sends SIGKILL to every process of this user whose environment holds `token`: those that
/// left the program's group. Each is opened as a pidfd before its environment is read, so
/// the signal cannot reach a process that took its id since. (Linux only: elsewhere only the
/// group is killed.) A process that cleared its environment is not found.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn sweep(token: &str) {
    let needle = format!("{TOKEN_VARIABLE}={token}\0");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        // SAFETY: `pidfd_open` takes a pid and flags and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let Ok(fd) = libc::c_int::try_from(fd) else {
            continue;
        };
        if fd < 0 {
            continue;
        }
        // SAFETY: `fd` was just returned by `pidfd_open` and is owned here alone.
        let pidfd = unsafe { OwnedFd::from_raw_fd(fd) };
        let holds = std::fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|env| env.windows(needle.len()).any(|w| w == needle.as_bytes()));
        if holds {
            // SAFETY: sends a signal through a live pidfd; no memory is passed.
            unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    pidfd.as_raw_fd(),
                    libc::SIGKILL,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                )
            };
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn sweep(_token: &str) {}
