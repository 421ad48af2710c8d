//! Reference cycles a job's closures leave behind. A closure that captures a variable makes it
//! a shared, counted cell; storing the closure in that variable (`let a = #{}; a.f = || a;`)
//! makes a cycle that counting never frees, so each such job leaked what the cycle held, and a
//! run of them grew until the process ran out of memory. After each job of a script with
//! closures, the cells of the variables it leaves in the scope are emptied, which breaks every
//! cycle through them; the job's outputs are first copied out of any cell, so they keep their
//! values. (A cycle made in an inner block or a function, whose variables are gone when the job
//! ends, is out of reach, and still leaks.)

use rhai::{Array, Dynamic, Map, Scope};

use crate::value::{MAX_DEPTH, drop_flat};

/// The scope's entries from index `from` on, the last first (the order `Scope::iter_raw`
/// gives them in).
pub(super) fn entries_from<'a>(
    scope: &'a Scope<'_>,
    from: usize,
) -> impl Iterator<Item = (&'a str, bool, &'a Dynamic)> {
    scope.iter_raw().take(scope.len().saturating_sub(from))
}

/// The shared cells among the scope's entries from `from` on (clones: counted references).
pub(super) fn shared_cells(scope: &Scope<'_>, from: usize) -> Vec<Dynamic> {
    entries_from(scope, from)
        .filter(|(_, _, value)| value.is_shared())
        .map(|(_, _, value)| value.clone())
        .collect()
}

/// Copies `value`, and what it holds, out of shared cells.
pub(super) fn unshare(value: &mut Dynamic) {
    unshare_at(value, 0);
}

fn unshare_at(value: &mut Dynamic, depth: usize) {
    if value.is_shared() {
        *value = value.flatten_clone();
    }
    if depth >= MAX_DEPTH {
        return;
    }
    if let Some(mut array) = value.write_lock::<Array>() {
        array.iter_mut().for_each(|v| unshare_at(v, depth + 1));
    } else if let Some(mut map) = value.write_lock::<Map>() {
        map.values_mut().for_each(|v| unshare_at(v, depth + 1));
    }
}

/// Empties each cell, dropping what it held once the cell is unlocked.
pub(super) fn empty(cells: Vec<Dynamic>) {
    for mut cell in cells {
        let held = cell
            .write_lock::<Dynamic>()
            .map(|mut inner| std::mem::take(&mut *inner));
        if let Some(held) = held {
            drop_flat(held);
        }
    }
}
