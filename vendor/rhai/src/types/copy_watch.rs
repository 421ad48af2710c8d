//! A watch on the copies Rhai makes of arrays, BLOBs and object maps, and of the strings its
//! indexing cuts and rebuilds (a change made to this copy of Rhai; see `vendor/README.md` in
//! the repository that carries it).
//!
//! A script that reads a container by value (`let b = a;`, `[a, a]`, an argument passed by
//! value) makes Rhai copy it whole, in one operation: the progress hook is called once, before
//! it. A copy of tens of millions of values takes the better part of a second, and an
//! application whose progress hook enforces a deadline could not end the script before the
//! copy did. The watch set with [`set_copy_watch`] is asked, every [`EVERY`] bytes copied,
//! whether the copy may go on. When it says no, the copy is left empty (a stand-in: the
//! application must fail the evaluation, as its progress hook will at the next operation), and
//! what had been copied is handed to the watch to drop when it chooses: freeing it can take as
//! long as copying it did.

use crate::{Dynamic, SmartString};
use std::any::Any;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::thread::LocalKey;

/// Decides whether the copies Rhai makes on a thread may go on; see the module's notes.
pub trait CopyWatch: Send + Sync {
    /// Whether the copy being made on this thread may go on; asked every [`EVERY`] bytes of
    /// copies. `false` leaves this copy empty.
    fn go_on(&self) -> bool;
    /// Takes what a copy had made when [`go_on`](CopyWatch::go_on) stopped it, or what is left
    /// of a value being dropped when [`drop_later`](CopyWatch::drop_later) said so.
    fn left_behind(&self, partial: Box<dyn Any>);
    /// Whether the values Rhai drops on this thread must be handed to
    /// [`left_behind`](CopyWatch::left_behind) instead of freed now (`super::drop_watch`);
    /// asked every [`EVERY`] bytes of slots dropped, and between pieces of a long array or
    /// map. Never, unless the watch says otherwise.
    fn drop_later(&self) -> bool {
        false
    }
}

/// Bytes of copies (values' slots, a BLOB's bytes) between two questions to the watch.
pub const EVERY: usize = 64 * 1024;

static WATCH: OnceLock<&'static dyn CopyWatch> = OnceLock::new();

thread_local! {
    /// Bytes copied on this thread since the watch was last asked: small copies add up (an
    /// array of a million small arrays is a million small copies). Or `SAID_STOP`.
    static COPIED: Cell<usize> = const { Cell::new(0) };
}

/// Sets the watch on every copy of an array, BLOB or object map, for the whole process; the
/// first watch set stays. Returns whether this one was set.
pub fn set_copy_watch(watch: &'static dyn CopyWatch) -> bool {
    WATCH.set(watch).is_ok()
}

/// The watch set, if any.
pub(crate) fn watch() -> Option<&'static dyn CopyWatch> {
    WATCH.get().copied()
}

/// A count of bytes once the watch has said stop: from then on it is asked every time, until it
/// says otherwise. Asking every [`EVERY`] bytes alone would make (or drop) whole the values
/// between two questions, and a small array can hold millions of values.
const SAID_STOP: usize = usize::MAX;

/// Counts `bytes` more on `count`; whether the watch is to be asked now: every [`EVERY`]
/// bytes, and every time once it has said stop.
pub(crate) fn asking(count: &'static LocalKey<Cell<usize>>, bytes: usize) -> bool {
    count.with(|count| match count.get() {
        SAID_STOP => true,
        counted => {
            let counted = counted.saturating_add(bytes);
            count.set(if counted >= EVERY { 0 } else { counted });
            counted >= EVERY
        }
    })
}

/// Remembers on `count` whether the watch, just asked, said stop.
pub(crate) fn remember(count: &'static LocalKey<Cell<usize>>, said_stop: bool) {
    count.with(|count| match (said_stop, count.get()) {
        (true, _) => count.set(SAID_STOP),
        (false, SAID_STOP) => count.set(0),
        _ => (),
    });
}

/// Counts `bytes` more of copies; `false` when the watch stops the copy.
fn go_on(watch: &dyn CopyWatch, bytes: usize) -> bool {
    if !asking(&COPIED, bytes) {
        return true;
    }
    let go_on = watch.go_on();
    remember(&COPIED, !go_on);
    go_on
}

/// A copy of `items`, a piece of [`EVERY`] bytes at a time; empty if the watch stops it.
pub(crate) fn copy_vec<T: Clone + 'static>(items: &[T]) -> Vec<T> {
    let Some(watch) = WATCH.get() else {
        return items.to_vec();
    };
    let size = std::mem::size_of::<T>().max(1);
    if items.len().saturating_mul(size) < EVERY {
        return match go_on(*watch, items.len() * size) {
            true => items.to_vec(),
            false => Vec::new(),
        };
    }
    let mut copy = Vec::with_capacity(items.len());
    for piece in items.chunks((EVERY / size).max(1)) {
        if !go_on(*watch, piece.len() * size) {
            watch.left_behind(Box::new(copy));
            return Vec::new();
        }
        copy.extend_from_slice(piece);
    }
    copy
}

/// A copy of `map`, [`EVERY`] bytes of entries at a time; empty if the watch stops it.
pub(crate) fn copy_map<K: Clone + Ord + 'static>(
    map: &BTreeMap<K, Dynamic>,
) -> BTreeMap<K, Dynamic> {
    let Some(watch) = WATCH.get() else {
        return map.clone();
    };
    let entry = std::mem::size_of::<(K, Dynamic)>();
    if map.len().saturating_mul(entry) < EVERY {
        return match go_on(*watch, map.len() * entry) {
            true => map.clone(),
            false => BTreeMap::new(),
        };
    }
    // In order, so the map is built from sorted entries, in one pass.
    let mut entries = Vec::with_capacity(map.len());
    for (n, (key, value)) in map.iter().enumerate() {
        if n % (EVERY / entry).max(1) == 0 && !go_on(*watch, EVERY) {
            watch.left_behind(Box::new(entries));
            return BTreeMap::new();
        }
        entries.push((key.clone(), value.clone()));
    }
    entries.into_iter().collect()
}

/// `parts` copied one after the other into one string, [`EVERY`] bytes at a time; `None` if
/// the watch stops it.
pub(crate) fn copy_str(parts: &[&str]) -> Option<SmartString> {
    let mut copy = SmartString::new();
    let Some(watch) = WATCH.get() else {
        parts.iter().for_each(|part| copy.push_str(part));
        return Some(copy);
    };
    for part in parts {
        let mut from = 0;
        while from < part.len() {
            let mut to = (from + EVERY).min(part.len());
            while !part.is_char_boundary(to) {
                to += 1;
            }
            if !go_on(*watch, to - from) {
                watch.left_behind(Box::new(copy));
                return None;
            }
            copy.push_str(&part[from..to]);
            from = to;
        }
    }
    Some(copy)
}

/// Puts `copy`, made by [`copy_str`], in the place of `s`; if the watch stopped it, puts an
/// empty string there and hands `s` to the watch, to be freed when it chooses (freeing a long
/// string takes a good part of the time copying it did).
pub(crate) fn put_copy(s: &mut crate::ImmutableString, copy: Option<SmartString>) {
    match (copy, WATCH.get()) {
        (Some(copy), _) => *s = copy.into(),
        (None, Some(watch)) => watch.left_behind(Box::new(std::mem::take(s))),
        (None, None) => *s = crate::ImmutableString::new(),
    }
}
