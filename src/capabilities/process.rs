//! `run_process(program, args [, #{ stdin, env, cwd }])` → `#{ code, stdout, stderr }`: runs a
//! program `--allow-run` grants, bounded by its job.
//!
//! The `env` option sets only variables `--allow-env` grants (see [`granted_variables`]).
//!
//! No shell is involved: `args` reach the program as they are, so no item can smuggle in a
//! `; rm -rf ~` (a script that wants a shell is granted `sh` and calls it). The child runs in a
//! process group of its own, and the whole group is killed with SIGKILL, which no program can
//! ignore, when the job times out or is cancelled, or when the output would pass the job's
//! memory cap. When the program exits, whatever it left running in its group is killed too:
//! a job leaves nothing behind. A process that left the group (`setsid`, a daemon's double
//! fork) is found by a variable every program gets, `RSPARALLEL_JOB_TOKEN`, and killed when the
//! job stops, and when it holds the program's pipes after the program exited (Linux).
//!
//! `code` is the exit code, or minus the number of the signal that ended the program (`-9`)
//! when something other than the job killed it; a non-zero exit is a value, not a failure.
//!
//! The output is read on the worker thread itself, from both pipes at once (`poll`), into
//! buffers the worker allocates, so that the job's memory cap counts them as it counts the
//! script's own values. Reader threads would allocate them where the cap does not look, and a
//! script could hold many outputs, each within the room left, and pass its cap many times.

use crate::batteries::registrar::Registrar;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rhai::{Array, Dynamic, EvalAltResult, Map, Position};

use super::programs::locate;
use super::{Capability, Grant, Permissions, failed, refused};
use crate::JobSignal;
use group::Group;
use options::{Input, Options, granted_variables, text};

mod group;
mod options;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// The longest the worker waits on the pipes before it looks at the job's clock again.
const SLICE: Duration = Duration::from_millis(5);

/// The most read from a pipe at a time (a Linux pipe's whole buffer).
const PIECE: usize = 64 * 1024;

/// How long the pipes may stay open after the program exited and its group was killed: only a
/// process that left the group (`setsid`) can hold them, and it is not waited for.
const EXIT_GRACE: Duration = Duration::from_millis(500);

pub(super) fn register(engine: &mut impl Registrar, permissions: &Arc<Permissions>) {
    let granted = permissions.clone();
    engine.register_fn("run_process", move |program: &str, args: Array| {
        run_process(&granted, program, args, Map::new())
    });
    let granted = permissions.clone();
    engine.register_fn(
        "run_process",
        move |program: &str, args: Array, options: Map| {
            run_process(&granted, program, args, options)
        },
    );
}

fn run_process(
    permissions: &Permissions,
    program: &str,
    args: Array,
    options: Map,
) -> Fallible<Map> {
    let options = Options::parse(options)?;
    let here = std::env::current_dir().map_err(|e| failed("run_process", e))?;
    let base = options
        .cwd
        .as_ref()
        .map_or(here.clone(), |cwd| here.join(cwd));
    let path = granted(permissions, program, &base, &here)?;
    let variables = granted_variables(permissions.grant(Capability::Env), options.env)?;
    let args = args
        .into_iter()
        .enumerate()
        .map(|(i, arg)| text(arg, || format!("argument {i}")))
        .collect::<Fallible<Vec<_>>>()?;

    // The path found above, not the name: an `env` option's PATH must not pick the program.
    let mut command = std::process::Command::new(&path);
    let stdin = options
        .stdin
        .as_ref()
        .map_or_else(Stdio::null, |_| Stdio::piped());
    let token = group::new_token();
    command
        .arg0(program)
        .args(&args)
        .envs(variables)
        .env(group::TOKEN_VARIABLE, &token)
        .process_group(0)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(cwd) = &options.cwd {
        command.current_dir(cwd);
    }
    let child = command
        .spawn()
        .map_err(|e| failed("run_process", format!("cannot start {program:?}: {e}")))?;
    let mut group = Group::new(child, token);
    let mut out = Capture::new(group.child.stdout.take().map(OwnedFd::from));
    let mut err = Capture::new(group.child.stderr.take().map(OwnedFd::from));
    let writer = match (options.stdin, group.child.stdin.take()) {
        (Some(input), Some(pipe)) => Some(feed(pipe, input)?),
        _ => None,
    };

    let status = wait(&mut group, &mut out, &mut err, program);
    // The input goes back to the worker, so that the cap stops counting it where it was
    // counted; a writer still blocked (on a pipe a `setsid` process holds) is left to end.
    if let Some(writer) = writer.filter(JoinHandle::is_finished) {
        drop(writer.join());
    }
    let status = status?;
    let code = (status.code().map(i64::from))
        .or_else(|| status.signal().map(|signal| -i64::from(signal)))
        .map_or(Dynamic::UNIT, Dynamic::from);
    Ok(Map::from([
        ("code".into(), code),
        ("stdout".into(), lossy(out.bytes, program)?.into()),
        ("stderr".into(), lossy(err.bytes, program)?.into()),
    ]))
}

/// The file to run for `program`, if `grant` allows it: by the name given, or by the path both
/// it and a granted entry lead to (`--allow-run=git` grants `/usr/bin/git`, and the other way
/// round). Names are looked up in rsparallel's own PATH; paths are taken from `base` (the
/// `cwd` option), granted entries from `here`.
fn granted(
    permissions: &Permissions,
    program: &str,
    base: &Path,
    here: &Path,
) -> Fallible<PathBuf> {
    let grant = permissions.grant(Capability::Run);
    let found = locate(program, base);
    // A path is granted by where it leads, never by its text: `bin/tool` granted from here
    // is not `bin/tool` under another `cwd`.
    let by_name = !program.contains('/') && grant.allows(program);
    let allowed = by_name
        || matches!(grant, Grant::Everything)
        || match (grant, &found) {
            (Grant::Only(list), Some(path)) => list
                .iter()
                .any(|entry| locate(entry, here).as_ref() == Some(path)),
            _ => false,
        };
    if !allowed {
        return Err(refused(Capability::Run, program));
    }
    let found =
        found.ok_or_else(|| failed("run_process", format!("program {program:?} not found")))?;
    if matches!(grant, Grant::Everything) {
        return Ok(found);
    }
    // The file a granted entry led to when it was granted, run by that name: a symlink
    // retargeted since (`tool` to `id`) would run another program.
    match found.canonicalize() {
        Ok(file) if permissions.run_files().contains(&file) => Ok(file),
        _ => Err(refused(Capability::Run, program)),
    }
}

/// Writes `input` to the program on a thread of its own, so that a program that does not read
/// it cannot block the job; hands `input` back when done.
fn feed(mut pipe: std::process::ChildStdin, input: Input) -> Fallible<JoinHandle<Input>> {
    let write = move || {
        let bytes = match &input {
            Input::Text(text) => text.as_bytes(),
            Input::Bytes(blob) => blob.as_slice(),
        };
        // A program may exit without reading it all: what it did not read is its business.
        let _ = pipe.write_all(bytes);
        drop(pipe);
        input
    };
    std::thread::Builder::new()
        .name("run_process stdin".into())
        .spawn(write)
        .map_err(|e| failed("run_process", format!("cannot start the stdin writer: {e}")))
}

/// Reads the program's output until it exits and its pipes close, or until the job must stop:
/// then the group is killed and the error that ends the job returned.
fn wait(
    group: &mut Group,
    out: &mut Capture,
    err: &mut Capture,
    program: &str,
) -> Fallible<ExitStatus> {
    let signal = JobSignal::current();
    let room = crate::limits::memory::room_left();
    let mut budget = room.map(|room| usize::try_from(room).unwrap_or(usize::MAX));
    let mut exited: Option<Instant> = None;
    loop {
        // Once both pipes are closed the program is about to exit: look again soon.
        let mut slice = if out.is_open() || err.is_open() {
            SLICE
        } else {
            SLICE / 5
        };
        if let Some(left) = signal.as_ref().and_then(JobSignal::remaining) {
            slice = slice.min(left);
        }
        let mut fds = [out.pollfd(), err.pollfd()];
        let ms = libc::c_int::try_from(slice.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `fds` is a live, writable array of two pollfds for the whole call. An error
        // (EINTR) is a wait cut short: the loop looks at everything again.
        #[allow(unsafe_code)]
        unsafe {
            libc::poll(fds.as_mut_ptr(), 2, ms)
        };
        for (fd, capture) in fds.iter().zip([&mut *out, &mut *err]) {
            if fd.revents != 0 && capture.read_ready(&mut budget).is_err() {
                // The job fails either way; how the program ended no longer matters.
                let _ = group.stop();
                return Err(too_large(program, room.unwrap_or(0)));
            }
        }
        let stop = match &signal {
            Some(signal) => signal.check().err(),
            None => crate::limits::signal::host_interrupted(),
        };
        if let Some(stop) = stop {
            let _ = group.stop();
            return Err(stop);
        }
        if exited.is_none() && group.has_exited() {
            // What it left running would hold the pipes open, and outlive the job.
            group.kill();
            exited = Some(Instant::now());
        }
        if let Some(at) = exited {
            if !(out.is_open() || err.is_open()) {
                return group.finish().map_err(|e| failed("run_process", e));
            }
            if at.elapsed() > EXIT_GRACE {
                // Only a process that left the group holds the pipes: it goes too.
                return group.stop().map_err(|e| failed("run_process", e));
            }
        }
    }
}

/// One of the program's output pipes, and what has been read from it.
struct Capture {
    pipe: Option<File>,
    bytes: Vec<u8>,
}

impl Capture {
    fn new(pipe: Option<OwnedFd>) -> Capture {
        Capture {
            pipe: pipe.map(File::from),
            bytes: Vec::new(),
        }
    }

    fn is_open(&self) -> bool {
        self.pipe.is_some()
    }

    fn pollfd(&self) -> libc::pollfd {
        // A negative descriptor is one `poll` skips.
        let fd = self.pipe.as_ref().map_or(-1, AsRawFd::as_raw_fd);
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        }
    }

    /// Reads what the pipe has ready (`poll` said so: this does not block), closing it at its
    /// end. `Err` when that would take the output past `budget`, the bytes the job has left.
    fn read_ready(&mut self, budget: &mut Option<usize>) -> Result<(), ()> {
        let Some(pipe) = &mut self.pipe else {
            return Ok(());
        };
        // One byte more than the budget: reading it is how to know the output is too large.
        let want = budget.map_or(PIECE, |left| PIECE.min(left.saturating_add(1)));
        let len = self.bytes.len();
        if self.bytes.capacity() - len < want {
            // Grown by hand, never past the budget: doubling could take twice the room left.
            let doubled = (self.bytes.capacity() * 2).max(len + want);
            let most = budget.map_or(doubled, |left| doubled.min(len + left.saturating_add(1)));
            self.bytes.reserve_exact(most - len);
        }
        self.bytes.resize(len + want, 0);
        let read = pipe.read(&mut self.bytes[len..]);
        let got = *read.as_ref().unwrap_or(&0);
        self.bytes.truncate(len + got);
        // Its end, or a broken pipe; an interrupted read is tried again at the next turn.
        if matches!(&read, Ok(0)) || read.is_err_and(|e| e.kind() != ErrorKind::Interrupted) {
            self.pipe = None;
        }
        if let Some(left) = budget {
            *left = left.checked_sub(got).ok_or(())?;
        }
        Ok(())
    }
}

/// The failure of output past the job's memory cap: like the cap itself (and the batteries'
/// refusals), a limit the script cannot catch, of kind `memory_cap`.
fn too_large(program: &str, room: u64) -> Box<EvalAltResult> {
    let room = crate::limits::size::format_size(room);
    let why = format!("the output of {program:?} passed the {room} the job has left (max-memory)");
    EvalAltResult::ErrorDataTooLarge(format!("run_process: {why}"), Position::NONE).into()
}

/// The output as text: invalid UTF-8 becomes U+FFFD. Each invalid byte takes three as U+FFFD,
/// and the bytes are still held while the text is made: an output that fit the job's memory
/// could take four times it. A text that would pass the cap fails the job instead.
fn lossy(bytes: Vec<u8>, program: &str) -> Fallible<String> {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e.into_bytes(),
    };
    let text_len: usize = bytes
        .utf8_chunks()
        .map(|chunk| chunk.valid().len() + if chunk.invalid().is_empty() { 0 } else { 3 })
        .sum();
    if crate::limits::memory::would_pass_cap(text_len) {
        let room = crate::limits::memory::room_left().unwrap_or(0);
        return Err(too_large(program, room));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
