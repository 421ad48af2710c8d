//! Rhai's own text forms of arrays, maps and BLOBs — `to_string`, `to_debug`, `print`,
//! `debug`, and so string interpolation — again, with a look at the job's memory cap first. An
//! array can hold one string many times (100,000 references to a 1 MB string take 1 MB), and
//! Rhai's versions write every copy in one call: gigabytes before the cap is next looked at.
//! These write the same text, but when it would not fit in what the job has left they write a
//! short stand-in and mark the job as past its cap, which stops it at its next operation. They
//! look at the job's clock as they write, too, and give a stand-in when it is up.
//!
//! Registered on the engine itself, they are found before the standard library's.

use super::registrar::Registrar;
use std::fmt::Write;

use rhai::{Array, Blob, Dynamic, FuncRegistration, ImmutableString, Map, NativeCallContext};

use super::Fallible;
use crate::limits::signal::{Steps, checkpoint};
use crate::value::HEX;

/// Whether `values` written as text would not fit in the running job's memory; if so, the job
/// is marked as past its cap. The job's stop, found as it measures, is its error.
fn too_large<'a>(values: impl IntoIterator<Item = &'a Dynamic>) -> Fallible<bool> {
    match crate::limits::memory::room_left() {
        Some(room) if crate::value::written_size_exceeds_in_job(values, room)? => {
            crate::limits::memory::mark_over_cap();
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// What a value too large to write is written as, for the one operation before its job stops.
const TOO_LARGE: &str = "<too large to write>";

/// `value`'s text by its native `name` (`to_string`, `to_debug`) as `print` finds it: for
/// arrays, maps and BLOBs the bounded ones here, and a value that gives no text named by its
/// type. A failed call (its job stopped as it was made) is passed on. Rhai's `print_with_func`
/// answers one with the value's whole text instead, written in one go: gigabytes for an array
/// that shares one string many times.
pub(crate) fn native_text(
    ctx: &NativeCallContext,
    name: &str,
    value: &mut Dynamic,
) -> Fallible<ImmutableString> {
    let text = ctx.call_native_fn_raw(name, true, &mut [value])?;
    Ok(text
        .into_immutable_string()
        .unwrap_or_else(|type_name| ctx.engine().map_type_name(type_name).into()))
}

/// What a text form stopped by its job's end gives. An error would not do: Rhai takes a failed
/// `to_string` in string interpolation or `print` as its cue to write the value itself, in
/// full and in one go (3 s for a 64 MB BLOB, past the deadline). The job stops at its next
/// operation, which looks at the same clock, cancel and cap.
pub(crate) const STOPPED: &str = "<stopped>";

fn or_stopped(text: Fallible<ImmutableString>) -> ImmutableString {
    text.unwrap_or_else(|stop| {
        crate::limits::signal::stood_in_for(stop);
        STOPPED.into()
    })
}

fn format_array(ctx: NativeCallContext, array: &mut Array) -> ImmutableString {
    or_stopped(write_array(ctx, array))
}

fn format_map(ctx: NativeCallContext, map: &mut Map) -> ImmutableString {
    or_stopped(write_map(ctx, map))
}

fn format_blob(blob: &mut Blob) -> ImmutableString {
    or_stopped(write_blob(blob))
}

/// A string's `debug` and `to_debug`: quoted and escaped, a piece at a time (Rhai's own took
/// 320 ms for 64 MB, in one go).
fn debug_string(text: &str) -> ImmutableString {
    let mut out = String::new();
    or_stopped(crate::value::push_debug(&mut out, text).map(|()| out.into()))
}

fn write_array(ctx: NativeCallContext, array: &mut Array) -> Fallible<ImmutableString> {
    if too_large(array.iter())? {
        return Ok(TOO_LARGE.into());
    }
    let len = array.len();
    let mut text = String::from("[");
    for (i, value) in array.iter_mut().enumerate() {
        checkpoint()?;
        text.push_str(&native_text(&ctx, "to_debug", value)?);
        if i + 1 < len {
            text.push_str(", ");
        }
    }
    text.push(']');
    Ok(text.into())
}

fn write_map(ctx: NativeCallContext, map: &mut Map) -> Fallible<ImmutableString> {
    if too_large(map.values())? {
        return Ok(TOO_LARGE.into());
    }
    let len = map.len();
    let mut text = String::from("#{");
    for (i, (key, value)) in map.iter_mut().enumerate() {
        checkpoint()?;
        let value = native_text(&ctx, "to_debug", value)?;
        crate::value::push_debug(&mut text, key)?;
        let separator = if i + 1 < len { ", " } else { "" };
        let _ = write!(text, ": {value}{separator}");
    }
    text.push('}');
    Ok(text.into())
}

/// A BLOB as Rhai writes it, `[0102030405060708 090a]`: two hex digits a byte, a space
/// between groups of eight. Written 64 KiB of bytes at a time: Rhai's own took 1.8 s for a
/// 64 MB BLOB, in one go.
fn write_blob(blob: &mut Blob) -> Fallible<ImmutableString> {
    let len = blob.len();
    let size = 2 + 2 * len + len.saturating_sub(1) / 8;
    if crate::limits::memory::would_pass_cap(size) {
        crate::limits::memory::mark_over_cap();
        return Ok(TOO_LARGE.into());
    }
    let mut text = Vec::with_capacity(size);
    text.push(b'[');
    let mut steps = Steps::new(Steps::BYTES);
    // Pieces of a multiple of eight bytes, so that a group never spans two.
    for (p, piece) in blob.chunks(Steps::BYTES).enumerate() {
        for (i, byte) in piece.iter().enumerate() {
            if (p > 0 || i > 0) && i % 8 == 0 {
                text.push(b' ');
            }
            text.extend([HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]]);
        }
        steps.step(piece.len())?;
    }
    text.push(b']');
    Ok(String::from_utf8(text)
        .expect("hex digits are ASCII")
        .into())
}

pub(super) fn register(engine: &mut impl Registrar) {
    for name in ["print", "to_string", "debug", "to_debug"] {
        engine.register_as(FuncRegistration::new(name).with_purity(true), format_array);
        engine.register_as(FuncRegistration::new(name).with_purity(true), format_map);
        engine.register_as(FuncRegistration::new(name).with_purity(true), format_blob);
    }
    for name in ["debug", "to_debug"] {
        engine.register_as(FuncRegistration::new(name).with_purity(true), debug_string);
    }
}

#[cfg(test)]
mod tests {
    use rhai::{Dynamic, Engine};

    use crate::batteries::tests::engine;

    #[test]
    fn arrays_and_maps_print_as_rhais_own_do() {
        let ours = engine();
        let rhai = Engine::new();
        let scripts = [
            "[]",
            "[1, 2.5, \"a\\\"b\", 'c', true, (), [1, [2]], #{x: 1}]",
            "#{}",
            "#{a: [1, \"x\"], \"b c\": #{d: ()}, e: 'z'}",
            "[Fn(\"f\"), blob(2)]",
            "blob(0)",
            "blob(1, 7)",
            "{ let b = blob(17, 0xab); b[3] = 1; b }",
            r#""t\"ab\\\n\u0301é\x00\t""#,
            r#"#{"k\"\n": "v\t", "": "é"}"#,
            r#"["\x01", "a\"b"]"#,
        ];
        let mut compared = 0;
        for value in scripts {
            for form in ["to_string", "to_debug"] {
                let script = format!("let v = {value}; v.{form}()");
                let expected = rhai.eval::<Dynamic>(&script).unwrap().to_string();
                let got = ours.eval::<Dynamic>(&script).unwrap().to_string();
                assert_eq!(got, expected, "{script}");
                compared += 1;
            }
            let script = format!("let v = {value}; `<${{v}}>`");
            let expected = rhai.eval::<Dynamic>(&script).unwrap().to_string();
            assert_eq!(ours.eval::<Dynamic>(&script).unwrap().to_string(), expected);
            compared += 1;
        }
        assert_eq!(compared, scripts.len() * 3);
    }
}
