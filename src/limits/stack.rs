//! How deep the calling thread's stack is. Rhai bounds a script's call depth, but not every way
//! it can nest: `eval` of a string that evals itself, a module that imports itself. Each level
//! takes native stack, and a Rust stack overflow aborts the whole process. Engines therefore
//! compare the stack's depth with a *floor* at every operation, and stop the script that
//! reaches it: any such nesting, whatever its path.

use std::cell::Cell;

/// Roughly where the calling thread's stack is now: the address of a local. Stacks grow down.
#[inline(always)]
pub(crate) fn position() -> usize {
    let marker = 0_u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// The part of a stack of `size` bytes that scripts may not nest into: room for what one
/// operation can take before the next looks (a native call, the parse of an `eval`'d string)
/// and for the frames of whatever runs the script.
pub(crate) fn reserve(size: usize) -> usize {
    (size / 4).max(2 * 1024 * 1024).min(size / 2)
}

/// The floor for a script run from here, on a stack of `size` bytes whose top is near.
pub(crate) fn floor_below_here(size: usize) -> usize {
    position().saturating_sub(size.saturating_sub(reserve(size)))
}

thread_local! {
    /// The floor of the host engines run on this thread; 0 where none was set.
    static HOST_FLOOR: Cell<usize> = const { Cell::new(0) };
}

/// Sets the floor for host scripts run on this thread (`Host::register`), from this thread's
/// stack size: the main thread's is the process's stack limit, others' Rust's default.
pub(crate) fn set_host_floor() {
    let size = if std::thread::current().name() == Some("main") {
        main_stack_size()
    } else {
        2 * 1024 * 1024
    };
    HOST_FLOOR.with(|f| f.set(floor_below_here(size)));
}

/// Whether a host script on this thread has nested down to its floor.
#[inline]
pub(crate) fn host_stack_low() -> bool {
    position() < HOST_FLOOR.with(Cell::get)
}

/// The main thread's stack limit, from `/proc/self/limits` (soft limit); 8 MiB where it cannot
/// be read or is unlimited.
fn main_stack_size() -> usize {
    const DEFAULT: usize = 8 * 1024 * 1024;
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
        return DEFAULT;
    };
    limits
        .lines()
        .find(|l| l.starts_with("Max stack size"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        .unwrap_or(DEFAULT)
}

/// The part of a worker's stack below the part scripts run in, kept for Rhai's walks of values
/// nested deep (`worker::value_walk_stack_size`). A walk that went into it leaves its pages
/// resident for the worker's life, up to gigabytes: [`trim`](SpareStack::trim) gives them back.
pub(crate) struct SpareStack {
    low: usize,
    high: usize,
}

impl SpareStack {
    /// The spare of `spare` bytes below the first `size` bytes of a stack whose top is near
    /// here; none where it is too small to bother with.
    pub(crate) fn below_here(size: usize, spare: usize) -> Option<Self> {
        // Kept off both ends: what is above `position` and the guard page below the stack.
        const MARGIN: usize = 1 << 20;
        let page = page_size();
        let high = position().checked_sub(size)? / page * page;
        let low = (high.checked_sub(spare)? + MARGIN).next_multiple_of(page);
        (high > low).then_some(SpareStack { low, high })
    }

    /// Gives back the spare's pages if a walk went into it.
    #[allow(unsafe_code)]
    pub(crate) fn trim(&self) {
        if self.top_resident() {
            // SAFETY: the range is part of this thread's stack, far below every live frame (the
            // worker calls this between chunks, near its stack's top): its pages hold nothing
            // that is read again, and are given back as zero pages when next touched.
            unsafe {
                libc::madvise(
                    self.low as *mut libc::c_void,
                    self.high - self.low,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }

    /// Whether the spare's top page is in memory. Walks go down from the top, so when it is
    /// not, none is: one `mincore` tells.
    #[allow(unsafe_code)]
    fn top_resident(&self) -> bool {
        let page = page_size();
        let top = (self.high - page) as *mut libc::c_void;
        let mut resident = 0_u8;
        // SAFETY: `top` is a page-aligned page of this thread's stack mapping, and `resident`
        // holds the one byte `mincore` writes for it.
        (unsafe { libc::mincore(top, page, &mut resident) }) == 0 && resident & 1 == 1
    }
}

/// Whether the process's address space is limited (`ulimit -v`, `RLIMIT_AS`), or the limit
/// cannot be read.
#[allow(unsafe_code)]
pub(crate) fn address_space_limited() -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes the limit into `limit`, which it may.
    let read = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    !read || limit.rlim_cur != libc::RLIM_INFINITY
}

#[allow(unsafe_code)]
fn page_size() -> usize {
    // SAFETY: `sysconf` only reads a system constant.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1024 * 1024;

    /// Takes ~8 KiB of stack a level, `levels` deep.
    fn go_deep(levels: usize) -> u8 {
        let frame = std::hint::black_box([levels as u8; 8192]);
        if levels == 0 {
            frame[0]
        } else {
            go_deep(levels - 1).wrapping_add(frame[levels % 8192])
        }
    }

    #[test]
    fn a_walk_into_the_spare_is_given_back_after() {
        let resident = std::thread::Builder::new()
            .stack_size(4 * MIB + 16 * MIB)
            .spawn(|| {
                let spare = SpareStack::below_here(4 * MIB, 16 * MIB).expect("a spare");
                let before = spare.top_resident();
                std::hint::black_box(go_deep(1000));
                let walked = spare.top_resident();
                spare.trim();
                (before, walked, spare.top_resident())
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(resident, (false, true, false));
    }

    #[test]
    fn the_reserve_is_a_quarter_of_the_stack_at_least_2_mib_at_most_half() {
        assert_eq!(reserve(64 * MIB), 16 * MIB);
        assert_eq!(reserve(6 * MIB), 2 * MIB);
        assert_eq!(reserve(2 * MIB), MIB);
    }

    #[test]
    fn a_host_thread_other_than_main_gets_the_floor_of_a_2_mib_stack() {
        let depth = std::thread::Builder::new()
            .name("host".into())
            .spawn(|| {
                set_host_floor();
                let here = position();
                let floor = HOST_FLOOR.with(Cell::get);
                (here - floor, host_stack_low())
            })
            .unwrap()
            .join()
            .unwrap();
        // 2 MiB less its reserve of 1 MiB, from about here.
        let (room, low) = depth;
        assert!((MIB - 64 * 1024..=MIB + 4096).contains(&room), "{room}");
        assert!(!low);
    }

    #[test]
    fn the_main_threads_stack_is_the_process_limit() {
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let soft = limits
            .lines()
            .find(|l| l.starts_with("Max stack size"))
            .and_then(|l| l.split_whitespace().nth(3)?.parse::<usize>().ok());
        assert_eq!(main_stack_size(), soft.unwrap_or(8 * MIB));
        assert!(main_stack_size() >= MIB);
    }
}
