//! Rhai's own functions that allocate a size the script chooses, in one call: `blob(len)`,
//! `blob(len, value)` and `pad` on arrays, strings and BLOBs. Rhai's versions allocate what they
//! are asked for at once, so `blob(100000000000)` aborted the whole process when the allocation
//! failed, and `"x".pad(1000000000000, "y")` filled memory before the job's memory cap was next
//! checked. These give the same results, but ask first: a size past the job's remaining cap, or
//! one the system refuses, fails the job, naming the function. Two differences: padding with an
//! empty string pads nothing (Rhai's own loops for ever), and a host's `max_array_size` or
//! `max_string_size` is enforced by Rhai after the call, not before.
//!
//! Registered on the engine itself, they are found before the standard library's. `pad` changes
//! its receiver, and is registered as not pure, as Rhai's is, so that it refuses a constant:
//! an injected variable changed in place would stay changed for the worker's later jobs.

use super::registrar::Registrar;
use rhai::{Array, Blob, Dynamic, INT, ImmutableString, Map};

use super::Fallible;
use super::strings::append_stepped;
use crate::limits::signal::Steps;

/// Items or characters filled between two looks at the job's clock.
const FILL_PIECE: usize = 64 * 1024;

/// Bytes one array element takes, besides what it points to.
const ELEMENT: usize = size_of::<Dynamic>();

/// Fails with `function`'s name unless `bytes` more fit within the running job's memory cap.
fn check(function: &str, len: INT, bytes: Option<usize>) -> Fallible<()> {
    match bytes {
        Some(bytes) if !crate::limits::memory::would_pass_cap(bytes) => Ok(()),
        _ => Err(too_large(function, len)),
    }
}

fn too_large(function: &str, len: INT) -> Box<rhai::EvalAltResult> {
    super::too_large(
        function,
        format!("a length of {len} needs more memory than the job may have"),
    )
}

fn blob(len: INT, value: INT) -> Fallible<Blob> {
    let mut blob = Blob::new();
    fill_to("blob", &mut blob, len, (value & 0xff) as u8, Some(1))?;
    Ok(blob)
}

fn pad_blob(blob: &mut Blob, len: INT, value: INT) -> Fallible<()> {
    fill_to("pad", blob, len, (value & 0xff) as u8, Some(1))
}

fn pad_array(array: &mut Array, len: INT, item: Dynamic) -> Fallible<()> {
    // Each copy of an array, map or BLOB item is a copy of all it holds.
    let each = ELEMENT.checked_add(held_bytes(&item, 0));
    fill_to("pad", array, len, item, each)
}

/// Fills `items` up to `len` with copies of `value`, each taking `each` bytes (`None`: past
/// counting), once the job's memory cap and the system have room for them; else fails with
/// `function`'s name.
fn fill_to<T: Clone>(
    function: &str,
    items: &mut Vec<T>,
    len: INT,
    value: T,
    each: Option<usize>,
) -> Fallible<()> {
    let wanted = usize::try_from(len).unwrap_or(0);
    if wanted <= items.len() {
        return Ok(());
    }
    let more = wanted - items.len();
    check(function, len, each.and_then(|each| each.checked_mul(more)))?;
    items
        .try_reserve_exact(more)
        .map_err(|_| too_large(function, len))?;
    // In pieces, looking at the job's clock between them: a fill of many millions is slow,
    // and so is one of a few thousand copies of a big value (60,000 copies of an array of
    // 1,000 took 1.2 s). A piece copies about as much as `FILL_PIECE` bytes would.
    let piece = each.map_or(1, |each| (FILL_PIECE / each.max(1)).max(1));
    while items.len() < wanted {
        let next = wanted.min(items.len().saturating_add(piece));
        items.resize(next, value.clone());
        if next < wanted {
            crate::limits::signal::checkpoint()?;
        }
    }
    Ok(())
}

/// The heap memory a copy of `value` takes, roughly, saturating; strings are shared, not copied.
fn held_bytes(value: &Dynamic, depth: usize) -> usize {
    if depth > crate::value::MAX_DEPTH || value.is_shared() {
        return 0;
    }
    if let Some(array) = value.read_lock::<Array>() {
        return array
            .iter()
            .fold(array.len().saturating_mul(ELEMENT), |sum, v| {
                sum.saturating_add(held_bytes(v, depth + 1))
            });
    }
    if let Some(map) = value.read_lock::<Map>() {
        // A key and a value, and the tree's own node, per entry.
        let entry = 2 * ELEMENT + 16;
        return map
            .values()
            .fold(map.len().saturating_mul(entry), |sum, v| {
                sum.saturating_add(held_bytes(v, depth + 1))
            });
    }
    value.read_lock::<Blob>().map_or(0, |blob| blob.len())
}

/// Pads `text` to `len` characters with copies of `padding`, the last one cut short if need be.
fn pad_string(text: &mut ImmutableString, len: INT, padding: &str) -> Fallible<()> {
    if let Some(longer) = padded("pad", text, len, padding, Side::After)? {
        *text = longer;
    }
    Ok(())
}

/// Where [`padded`] puts the padding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Before,
    After,
}

/// `text` padded to `len` characters with copies of `padding` (the last one cut short if need
/// be) on `side`; `None` when it is that long already, or `padding` is empty. Refused, naming
/// `function`, when it would not fit in the job's memory; made in pieces, looking at the job's
/// clock and cap between them, straight into the string Rhai keeps (a `String` handed to Rhai
/// is copied once more). The string grows by doubling, and may take up to twice its length.
pub(super) fn padded(
    function: &str,
    text: &str,
    len: INT,
    padding: &str,
    side: Side,
) -> Fallible<Option<ImmutableString>> {
    let mut steps = Steps::new(Steps::BYTES);
    let have = super::strings::char_count(text, &mut steps)?;
    let wanted = usize::try_from(len).unwrap_or(0);
    let per_copy = padding.chars().count();
    if wanted <= have || per_copy == 0 {
        return Ok(None);
    }
    let missing = wanted - have;
    let partial: usize = padding
        .chars()
        .take(missing % per_copy)
        .map(char::len_utf8)
        .sum();
    let bytes = (missing / per_copy)
        .checked_mul(padding.len())
        .and_then(|whole| whole.checked_add(partial))
        .and_then(|more| more.checked_add(text.len()));
    if bytes.is_none_or(crate::limits::memory::would_pass_cap) {
        // `pad` is asked for a length, `pad_left` and `pad_right` for a width.
        let asked = if function == "pad" { "length" } else { "width" };
        return Err(super::too_large(
            function,
            format!("a {asked} of {len} needs more memory than the job may have"),
        ));
    }
    let mut out = ImmutableString::new();
    // The text, copied a piece at a time too: 268 MB in one go took 0.3 s.
    if side == Side::After {
        append_stepped(&mut out, text, &mut steps)?;
    }
    let mut copies = padding.chars().cycle();
    let mut piece = String::new();
    let mut left = missing;
    while left > 0 {
        let chars = left.min(FILL_PIECE);
        piece.clear();
        piece.extend(copies.by_ref().take(chars));
        out.make_mut().push_str(&piece);
        left -= chars;
        if left > 0 {
            crate::limits::signal::checkpoint()?;
        }
    }
    if side == Side::Before {
        append_stepped(&mut out, text, &mut steps)?;
    }
    Ok(Some(out))
}

/// Rhai's `to_array` of a BLOB, checked against the job's cap before it allocates (each byte
/// becomes a 16-byte element: a 64 MB BLOB, 1 GB), and made a piece at a time. Stopped, it
/// leaves what it made to be dropped once the job's end is stamped, as `keys` does.
fn blob_to_array(blob: &mut Blob) -> Fallible<Array> {
    let len = blob.len();
    check("to_array", len as INT, len.checked_mul(ELEMENT))?;
    let mut array = Array::new();
    array
        .try_reserve_exact(len)
        .map_err(|_| too_large("to_array", len as INT))?;
    for piece in blob.chunks(FILL_PIECE) {
        array.extend(piece.iter().map(|&byte| Dynamic::from_int(byte.into())));
        if array.len() < len
            && let Err(stop) = crate::limits::signal::checkpoint()
        {
            return crate::limits::signal::drop_after_stop(array, Err(stop));
        }
    }
    Ok(array)
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_as(
        rhai::FuncRegistration::new("to_array").with_purity(true),
        blob_to_array,
    );
    engine.register_fn("blob", |len: INT| blob(len, 0));
    engine.register_fn("blob", blob);
    engine.register_mutating("pad", pad_blob);
    engine.register_mutating("pad", pad_array);
    engine.register_mutating("pad", |text: &mut ImmutableString, len: INT, c: char| {
        pad_string(text, len, c.encode_utf8(&mut [0; 4]))
    });
    engine.register_mutating("pad", pad_string);
}

#[cfg(test)]
mod tests {
    use rhai::Dynamic;

    use crate::batteries::tests::{engine, eval_err};

    #[test]
    fn they_pad_and_fill_as_rhais_own_do() {
        let engine = engine();
        let cases = [
            ("blob(3)", "[000000]"),
            ("blob(3, 5).to_array()", "[5, 5, 5]"),
            ("blob(0).to_array()", "[]"),
            ("blob(3, 0x142)", "[424242]"),
            ("blob(-1)", "[]"),
            ("let b = blob(1, 1); b.pad(3, 2); b", "[010202]"),
            ("let a = [1]; a.pad(3, 0); a", "[1, 0, 0]"),
            ("let a = [1, 2, 3]; a.pad(2, 0); a", "[1, 2, 3]"),
            (r#"let s = "hé"; s.pad(5, '*'); s"#, "hé***"),
            (r#"let s = "ab"; s.pad(7, "xyz"); s"#, "abxyzxy"),
            (r#"let s = "abc"; s.pad(2, "x"); s"#, "abc"),
            (r#"let s = "a"; s.pad(4, "é-"); s"#, "aé-é"),
            (r#"let s = "a"; s.pad(4, ""); s"#, "a"),
        ];
        for (script, expected) in cases {
            let value: Dynamic = engine.eval(script).unwrap();
            assert_eq!(value.to_string(), expected, "{script}");
        }
    }

    #[test]
    fn pad_refuses_a_constant_as_rhais_own_does() {
        let engine = engine();
        for script in [
            "const a = [1]; a.pad(3, 0); a",
            r#"const s = "x"; s.pad(3, "y"); s"#,
            "const b = blob(1); b.pad(3, 0); b",
        ] {
            let message = engine.eval::<Dynamic>(script).unwrap_err().to_string();
            assert!(
                message.contains("cannot be called on constant"),
                "{script}: {message}"
            );
        }
    }

    #[test]
    fn absurd_lengths_fail_naming_the_function_instead_of_aborting() {
        let engine = engine();
        // Without a cap, what the system refuses to reserve.
        let message = eval_err(&engine, "blob(100000000000000)");
        assert!(message.contains("blob: a length of"), "{message}");
        // Within a job, with the default cap.
        crate::limits::memory::arm(Some(1 << 30));
        for (script, function) in [
            ("blob(100000000000000)", "blob"),
            ("blob(9223372036854775807, 1)", "blob"),
            ("let b = blob(); b.pad(9223372036854775807, 0)", "pad"),
            ("let a = []; a.pad(1000000000000000, 0)", "pad"),
            ("let a = []; a.pad(1000000000, blob(1000000))", "pad"),
            (r#"let s = ""; s.pad(9223372036854775807, "y")"#, "pad"),
            (r#"let s = ""; s.pad(1000000000000000, 'y')"#, "pad"),
        ] {
            let message = eval_err(&engine, script);
            assert!(
                message.contains(&format!("{function}: a length of")),
                "{script}: {message}"
            );
        }
        crate::limits::memory::disarm();
    }
}
