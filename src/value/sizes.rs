//! How big a value is, without writing it: its JSON size (what a record's output or a text
//! form would take, shared strings counted at each reference) and the memory it takes as an
//! item's budget counts it. Each walk costs a step per value and stops once past its limit.

use rhai::{Array, Dynamic, Map};

use super::{MAX_DEPTH, VALUE_BYTES};

/// Whether writing `values` as JSON would take more than `limit` bytes: a bound on what a
/// record's output costs to write, found without writing it. Values can share one string (an
/// array of 100,000 copies of a 1 MB string holds one string and 100,000 references), so what a
/// job holds can be tiny while what it writes is gigabytes; the memory cap must bound the
/// latter. The walk costs a step per value, not per byte, and stops once past `limit`.
pub fn written_size_exceeds<'a>(values: impl IntoIterator<Item = &'a Dynamic>, limit: u64) -> bool {
    let mut size = 0_u64;
    let mut no_clock = || Ok::<(), std::convert::Infallible>(());
    values
        .into_iter()
        .any(|value| add_written_size(value, &mut size, limit, 0, &mut no_clock) == Ok(true))
}

/// How many bytes writing `values` as JSON would take, counted up to `limit` (a count that
/// passes it stops there, a little over).
pub(crate) fn written_size_up_to<'a>(
    values: impl IntoIterator<Item = &'a Dynamic>,
    limit: u64,
) -> u64 {
    let mut size = 0_u64;
    let mut no_clock = || Ok::<(), std::convert::Infallible>(());
    for value in values {
        if add_written_size(value, &mut size, limit, 0, &mut no_clock) == Ok(true) {
            break;
        }
    }
    size
}

/// The memory `value` takes, as an item's budget counts it ([`VALUE_BYTES`] a value, besides
/// its text), counted up to `limit` (a count that passes it stops there, a little over). Its
/// JSON size alone undercounts values with little text: a CSV row of 2 M one-digit fields is
/// 4 MB of text and some 130 MB of values.
pub(crate) fn memory_size_up_to(value: &Dynamic, limit: u64) -> u64 {
    let mut text = 0_u64;
    let mut values = 0_u64;
    let mut count = || {
        values += 1;
        if values.saturating_mul(VALUE_BYTES) > limit {
            Err(())
        } else {
            Ok(())
        }
    };
    let _ = add_written_size(value, &mut text, limit, 0, &mut count);
    text.saturating_add(values.saturating_mul(VALUE_BYTES))
}

/// [`written_size_exceeds`] for a native in a running job, with a look at the job's clock
/// every thousand values: a walk over 20 M values takes ~0.2 s. The job's stop is its error.
pub(crate) fn written_size_exceeds_in_job<'a>(
    values: impl IntoIterator<Item = &'a Dynamic>,
    limit: u64,
) -> Result<bool, Box<rhai::EvalAltResult>> {
    let mut size = 0_u64;
    let mut steps = crate::limits::signal::Steps::new(crate::limits::signal::Steps::VALUES);
    let mut tick = || steps.step(1);
    for value in values {
        if add_written_size(value, &mut size, limit, 0, &mut tick)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Adds `value`'s JSON size to `size`; `true` once past `limit`. `tick` is called for each
/// value, and its error ends the walk.
fn add_written_size<E>(
    value: &Dynamic,
    size: &mut u64,
    limit: u64,
    depth: usize,
    tick: &mut impl FnMut() -> Result<(), E>,
) -> Result<bool, E> {
    // Past the depth the writer refuses, the value is never written: count no further.
    if depth > MAX_DEPTH {
        return Ok(false);
    }
    tick()?;
    // Numbers first: most values in a row are, and each test below is a lock and a type check.
    let own = if value.is_int() || value.is_float() || value.is_bool() || value.is_unit() {
        24
    } else if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        s.len() as u64 + 2
    } else if let Some(array) = value.read_lock::<Array>() {
        *size += 2 + array.len() as u64;
        if *size > limit {
            return Ok(true);
        }
        for v in array.iter() {
            if add_written_size(v, size, limit, depth + 1, tick)? {
                return Ok(true);
            }
        }
        return Ok(false);
    } else if let Some(map) = value.read_lock::<Map>() {
        *size += 2;
        for (k, v) in map.iter() {
            *size += k.len() as u64 + 4;
            if *size > limit || add_written_size(v, size, limit, depth + 1, tick)? {
                return Ok(true);
            }
        }
        return Ok(*size > limit);
    } else if let Some(blob) = value.read_lock::<rhai::Blob>() {
        // Written as an array of numbers: up to four bytes each.
        blob.len() as u64 * 4 + 2
    } else {
        // A number, a boolean, a character, `()`, or a value written by its name.
        24
    };
    *size += own;
    Ok(*size > limit)
}
