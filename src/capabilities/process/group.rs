//! A program run by `run_process` with its process group: killed whole, never reaped before it
//! is killed, so that its group's id cannot belong to another process by then.

use std::io::ErrorKind;
use std::process::{Child, ExitStatus};

/// The program and its process group. Dropped without [`Group::finish`] (a panic, an early
/// return), it kills the group all the same.
pub(super) struct Group {
    pub(super) child: Child,
    reaped: bool,
}

impl Group {
    pub(super) fn new(child: Child) -> Group {
        Group {
            child,
            reaped: false,
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
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.finish();
        }
    }
}
