//! Per-thread allocation counting: the mechanism behind the per-job memory cap.
//!
//! Rhai's own size limits do not bound memory (`m[key] = v` skips the map limit) and make
//! container building quadratic, because each check walks the container. Counting what each
//! thread allocates costs a thread-local add per allocation instead, and covers every shape of
//! growth: strings, arrays, maps, host values. A worker arms its thread's limit when a job
//! starts; the allocator raises a flag when the job's net allocation passes it, and the
//! engine's progress hook, which runs on every operation, stops the job.
//!
//! Counting only happens when [`CountingAllocator`] is the program's global allocator; the
//! `rsparallel` binary installs it, and an embedding application that wants memory caps must
//! too.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// A global allocator that counts, per thread, the bytes allocated and not yet freed, so that
/// pools built with [`RunspacePoolBuilder::max_memory`](crate::RunspacePoolBuilder::max_memory)
/// can cap each job. It forwards every request to the system allocator.
///
/// ```
/// #[global_allocator]
/// static ALLOCATOR: rsparallel::CountingAllocator = rsparallel::CountingAllocator;
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAllocator;

thread_local! {
    // Constant-initialised and without destructors: reading them never allocates, which an
    // allocator must not do.
    /// Bytes allocated minus bytes freed by this thread (can go negative: values built on one
    /// thread may be freed on another).
    static NET: Cell<i64> = const { Cell::new(0) };
    /// The `NET` value past which the running job is over its cap.
    static LIMIT: Cell<i64> = const { Cell::new(i64::MAX) };
    static OVER: Cell<bool> = const { Cell::new(false) };
}

fn count(delta: i64) {
    let _ = NET.try_with(|net| {
        let now = net.get().wrapping_add(delta);
        net.set(now);
        if delta > 0 && now > LIMIT.with(Cell::get) {
            OVER.with(|over| over.set(true));
        }
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract is System's; the counting touches only constant-initialised
// thread-locals, which neither allocate nor unwind.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which is System's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size() as i64);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(layout.size() as i64);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; `new_size` comes from the caller unchanged.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count(new_size as i64 - layout.size() as i64);
        }
        new
    }
}

/// Whether [`CountingAllocator`] is the global allocator (allocations on this thread count).
pub fn is_counting() -> bool {
    let before = NET.with(Cell::get);
    let probe = std::hint::black_box(vec![0_u8; 64]);
    let after = NET.with(Cell::get);
    drop(probe);
    after != before
}

/// The net bytes this thread has allocated; for tests and diagnostics.
pub fn thread_net_allocated() -> i64 {
    NET.with(Cell::get)
}

/// Arms this thread's cap for a job: from now on, `cap` more net bytes raise the flag.
pub(crate) fn arm(cap: Option<u64>) {
    OVER.with(|over| over.set(false));
    let limit = match cap {
        Some(cap) => NET
            .with(Cell::get)
            .saturating_add(i64::try_from(cap).unwrap_or(i64::MAX)),
        None => i64::MAX,
    };
    LIMIT.with(|l| l.set(limit));
}

/// Disarms this thread's cap after a job.
pub(crate) fn disarm() {
    LIMIT.with(|l| l.set(i64::MAX));
    OVER.with(|over| over.set(false));
}

/// Whether `bytes` more would take the running job on this thread past its cap. The cap is
/// otherwise checked between operations: a native function that allocates a size a script
/// chose, in one go, asks first, or one call could exhaust memory before the next check.
pub(crate) fn would_pass_cap(bytes: usize) -> bool {
    let more = i64::try_from(bytes).unwrap_or(i64::MAX);
    NET.with(Cell::get).saturating_add(more) > LIMIT.with(Cell::get)
}

/// The bytes the running job on this thread may still allocate; `None` without a cap.
pub(crate) fn room_left() -> Option<u64> {
    let limit = LIMIT.with(Cell::get);
    (limit != i64::MAX).then(|| limit.saturating_sub(NET.with(Cell::get)).max(0) as u64)
}

/// Marks the running job on this thread as past its cap: for a native that found it would be,
/// but cannot fail its call (Rhai takes a failed `to_string` as a cue to write the value some
/// other way); the job stops at its next operation.
pub(crate) fn mark_over_cap() {
    OVER.with(|over| over.set(true));
}

/// Whether the running job on this thread has passed its cap.
#[inline]
pub(crate) fn over_cap() -> bool {
    OVER.with(Cell::get)
}

/// The per-job memory cap of the command line's pools (`run`, `exec`, the REPL) unless they
/// say otherwise: 1 GiB. A library pool has none unless its builder sets one.
pub const DEFAULT_MAX_MEMORY: u64 = 1 << 30;

#[cfg(test)]
mod tests {
    use super::*;

    // These tests run without the counting allocator: this thread's count stays where it is,
    // so the cap's arithmetic is exact.

    #[test]
    fn a_cap_refuses_one_byte_more_than_the_room_left() {
        arm(Some(1000));
        let room = room_left().expect("armed");
        assert_eq!(room, 1000);
        assert!(!would_pass_cap(1000));
        assert!(would_pass_cap(1001));
        disarm();
    }

    #[test]
    fn a_disarmed_thread_has_no_cap() {
        arm(Some(10));
        disarm();
        assert_eq!(room_left(), None);
        assert!(!would_pass_cap(1 << 40));
        assert!(!over_cap());
    }
}
