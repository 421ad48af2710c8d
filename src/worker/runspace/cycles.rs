//! Reference cycles a job's closures leave behind. A closure that captures a variable makes it
//! a shared, counted cell; storing the closure in that variable (`let a = #{}; a.f = || a;`)
//! makes a cycle that counting never frees, so each such job leaked what the cycle held, and a
//! run of them grew until the process ran out of memory. After each job of a script with
//! closures, the cells of the variables it leaves in the scope are emptied, which breaks every
//! cycle through them; the job's outputs are first copied out of any cell, so they keep their
//! values. (A cycle made in an inner block or a function, whose variables are gone when the job
//! ends, is out of reach, and still leaks.)

use rhai::{Array, Dynamic, Map, Scope};

use super::{Captured, ITEM};
use crate::value::{MAX_DEPTH, drop_flat, is_nest};

/// Breaks the reference cycles the job's closures left in the scope's entries from `from` on,
/// once the job's outputs (`value` and what it emitted) are out of any shared cell.
pub(super) fn break_cycles(
    scope: &Scope<'static>,
    from: usize,
    value: Option<&mut Dynamic>,
    capture: &Captured,
) {
    let cells = shared_cells(scope, from);
    if cells.is_empty() {
        return;
    }
    if let Some(value) = value {
        unshare(value);
    }
    capture.lock().emitted.iter_mut().for_each(unshare);
    empty(cells);
}

/// Drops what the job left in its variables (the scope's entries from `job_defined` on, and
/// `item`) without recursing (`value::drop_flat`) where one of them is nested deeper than
/// [`MAX_DEPTH`] levels, or is shared. A chain of function pointers, each curried with the one
/// before (`f = Fn("g").curry(take(f))`), or of closures, each capturing the one before, is a
/// million levels deep in a second; dropped by the scope's rewind, it would overflow the
/// worker's stack and abort the process. (Nesting arrays and maps is slower, Rhai walks the
/// whole value at each store, but a job with a long timeout gets there too.) A chain the job
/// itself lets go of, by assigning its variable or leaving its block or function, is freed by
/// Rhai, recursively, where no hook reaches: past ~125,000 levels that still overflows the
/// worker's stack. Each level takes an operation or more: the worker looks only after a job
/// that ran 1,024 or more.
pub(super) fn drop_variables_flat(scope: &mut Scope<'static>, job_defined: usize) {
    // `item` and the job's own variables are the last entries.
    let from_item = job_defined.saturating_sub(1).min(scope.len());
    if entries_from(scope, from_item).all(|(_, _, value)| shallow(value, MAX_DEPTH)) {
        return;
    }
    // Last first, as the scope lists them: `remove` takes the last entry of a name, which is
    // then the last of all.
    let names: Vec<String> = entries_from(scope, job_defined)
        .map(|(name, ..)| name.to_string())
        .collect();
    for name in &names {
        if let Some(value) = scope.remove::<Dynamic>(name) {
            drop_flat(value);
        }
    }
    if let Some(item) = scope.get_mut(ITEM) {
        drop_flat(std::mem::take(item));
    }
}

/// The scope's entries from index `from` on, the last first (the order `Scope::iter_raw`
/// gives them in).
fn entries_from<'a>(
    scope: &'a Scope<'_>,
    from: usize,
) -> impl Iterator<Item = (&'a str, bool, &'a Dynamic)> {
    scope.iter_raw().take(scope.len().saturating_sub(from))
}

/// Whether `value` is nested at most `levels` levels deep and holds no shared cell (which may
/// hold itself): then dropping it recurses no deeper. Looks at every value it holds, as the
/// drop will.
fn shallow(value: &Dynamic, levels: usize) -> bool {
    if !is_nest(value) {
        return true;
    }
    if levels == 0 || value.is_shared() {
        return false;
    }
    if let Some(array) = value.read_lock::<Array>() {
        array.iter().all(|v| shallow(v, levels - 1))
    } else if let Some(map) = value.read_lock::<Map>() {
        map.values().all(|v| shallow(v, levels - 1))
    } else if let Some(function) = value.read_lock::<rhai::FnPtr>() {
        function.iter_curry().all(|v| shallow(v, levels - 1))
    } else {
        true
    }
}

/// The shared cells among the scope's entries from `from` on (clones: counted references).
fn shared_cells(scope: &Scope<'_>, from: usize) -> Vec<Dynamic> {
    entries_from(scope, from)
        .filter(|(_, _, value)| value.is_shared())
        .map(|(_, _, value)| value.clone())
        .collect()
}

/// Copies `value`, and what it holds, out of shared cells.
fn unshare(value: &mut Dynamic) {
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
fn empty(cells: Vec<Dynamic>) {
    for mut cell in cells {
        let held = cell
            .write_lock::<Dynamic>()
            .map(|mut inner| std::mem::take(&mut *inner));
        if let Some(held) = held {
            drop_flat(held);
        }
    }
}
