//! Rhai's drops of long arrays, object maps and BLOBs, handed to the copy watch once
//! it says drops must wait (a change made to this copy of Rhai; see `vendor/README.md` in the
//! repository that carries it).
//!
//! Rhai drops a value wherever a script replaces or forgets it (`a = 0`, the end of a block or
//! of a function, `a.clear()`), in one operation: the progress hook is not called while it
//! frees. Freeing 2.25 M small arrays takes ~0.1 s, and an application whose progress hook
//! enforces a deadline could not end the script before the drop did. So every drop of an
//! array or map counts its slots, and every [`EVERY`] bytes of them (small drops add up, on
//! each thread) the watch set with [`set_copy_watch`](super::copy_watch::set_copy_watch) is
//! asked whether drops must wait ([`CopyWatch::drop_later`]). A long array or map is dropped
//! [`EVERY`] bytes of slots at a time, asking between pieces. Once the watch says so, what is
//! left of the value being dropped is handed to it ([`CopyWatch::left_behind`]), to be freed
//! when it chooses, and so is every array or map, and every [`LONG`] BLOB, dropped after
//! it, until the watch says otherwise.

use super::copy_watch::{asking, remember, watch, CopyWatch, EVERY};
use crate::Dynamic;
use std::cell::Cell;
use std::mem::{size_of, take};

thread_local! {
    /// Bytes of slots dropped on this thread since the watch was last asked.
    static DROPPED: Cell<usize> = const { Cell::new(0) };
}

/// Whether drops must wait, after `bytes` more of slots: the watch is asked every [`EVERY`]
/// bytes, and at every drop once it has said so.
fn must_wait(watch: &dyn CopyWatch, bytes: usize) -> bool {
    asking(&DROPPED, bytes) && waits(watch)
}

/// Asks the watch whether drops must wait, and remembers its answer.
fn waits(watch: &dyn CopyWatch) -> bool {
    let later = watch.drop_later();
    remember(&DROPPED, later);
    later
}

/// A BLOB this long or longer is handed to the watch once drops must wait; shorter ones are
/// freed at once whatever it says (freeing one takes no longer than a few bytes). A string is
/// always freed at once: strings are most of the values dropped, and a test of their length
/// would cost every drop of one (freeing one of 268 MB takes ~38 ms).
pub(crate) const LONG: usize = EVERY;

/// Drops the values of an array being dropped, [`EVERY`] bytes of slots at a time, or hands
/// what is left of them to the watch once it says drops must wait.
#[cfg(not(feature = "no_index"))]
pub(crate) fn drop_array(items: &mut crate::Array) {
    drop_slots(items.len(), size_of::<Dynamic>(), || {
        take(items).into_iter()
    });
}

/// Drops the entries of an object map being dropped, as [`drop_array`] drops an array's.
#[cfg(not(feature = "no_object"))]
pub(crate) fn drop_map(map: &mut crate::Map) {
    let entry = size_of::<(crate::Identifier, Dynamic)>();
    drop_slots(map.len(), entry, || take(map).into_iter());
}

/// Hands a [`LONG`] BLOB being dropped to the watch if drops must wait (freeing 300 MB takes
/// ~35 ms).
#[cfg(not(feature = "no_index"))]
#[cold]
pub(crate) fn drop_blob(bytes: &mut crate::Blob) {
    if let Some(watch) = watch().filter(|watch| waits(*watch)) {
        watch.left_behind(Box::new(take(bytes)));
    }
}

/// Drops `len` slots of `size` bytes each, taken out of their container by `take`: the watch
/// is asked every [`EVERY`] bytes whether drops must wait, and once it says so, what is left
/// is handed to it instead.
fn drop_slots<I>(len: usize, size: usize, take: impl FnOnce() -> I)
where
    I: ExactSizeIterator + 'static,
{
    if len == 0 {
        return;
    }
    let Some(watch) = watch() else {
        return;
    };
    let bytes = len.saturating_mul(size);
    if bytes < EVERY {
        if must_wait(watch, bytes) {
            watch.left_behind(Box::new(take()));
        }
        return;
    }
    let piece = (EVERY / size).max(1);
    let mut rest = take();
    while rest.len() > 0 {
        if waits(watch) {
            watch.left_behind(Box::new(rest));
            return;
        }
        rest.by_ref().take(piece).for_each(drop);
    }
}
