//! Values as compact JSON text, written without an intermediate tree; string literals
//! escaped as serde_json escapes them (`"`, `\`, and control characters;
//! nothing else), written in steps: a 64 MiB string takes tens of milliseconds to escape, and
//! a job must end within milliseconds of its deadline.

use rhai::{Array, Dynamic, Map};

use super::{MAX_DEPTH, to_json_at, too_deep, write_int};
use crate::limits::signal::Steps;

/// Appends `value` as compact JSON, without building an intermediate tree. Values with no
/// JSON form are an error naming their type; so is one nested past [`MAX_DEPTH`]. In a job,
/// a value that takes long to write (a long array, a 64 MiB string) stops at the job's
/// deadline or memory cap, with an error the job's own stop replaces.
pub fn write_json(value: &Dynamic, out: &mut Vec<u8>) -> Result<(), String> {
    write_json_at(value, out, 0, &mut Steps::new(Steps::BYTES))
}

fn write_json_at(
    value: &Dynamic,
    out: &mut Vec<u8>,
    depth: usize,
    steps: &mut Steps,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    // Each value is counted as some bytes of work, besides the bytes of its strings.
    const VALUE: usize = Steps::BYTES / Steps::VALUES;
    steps.step(VALUE).map_err(|stop| stop.to_string())?;
    if value.is_unit() {
        out.extend_from_slice(b"null");
    } else if let Ok(i) = value.as_int() {
        write_int(i, out);
    } else if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        write_str(&s, out, steps)?;
    } else if let Some(array) = value.read_lock::<Array>() {
        out.push(b'[');
        for (i, v) in array.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_at(v, out, depth + 1, steps)?;
        }
        out.push(b']');
    } else if let Some(map) = value.read_lock::<Map>() {
        out.push(b'{');
        for (i, (k, v)) in map.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(k, out, steps)?;
            out.push(b':');
            write_json_at(v, out, depth + 1, steps)?;
        }
        out.push(b'}');
    } else if value.is_blob() {
        write_blob(value, out, steps)?;
    } else {
        let json = to_json_at(value, depth)?;
        serde_json::to_writer(&mut *out, &json).expect("writing to a Vec cannot fail");
    }
    Ok(())
}

/// Appends a BLOB as an array of numbers, as `to_json_at` gives it, without a `Value` for each
/// byte. Out of line: `write_json_at` recurses a level for each level of nesting, up to
/// [`MAX_DEPTH`], and its frame must stay small enough for a 2 MiB thread in a debug build.
#[inline(never)]
fn write_blob(value: &Dynamic, out: &mut Vec<u8>, steps: &mut Steps) -> Result<(), String> {
    let Some(blob) = value.read_lock::<rhai::Blob>() else {
        return Ok(());
    };
    out.push(b'[');
    for (p, piece) in blob.chunks(Steps::BYTES / 4).enumerate() {
        for (i, &byte) in piece.iter().enumerate() {
            if p > 0 || i > 0 {
                out.push(b',');
            }
            write_int(byte.into(), out);
        }
        steps
            .step(piece.len() * 4)
            .map_err(|stop| stop.to_string())?;
    }
    out.push(b']');
    Ok(())
}

/// Appends `s` as a JSON string literal.
pub fn write_json_str(s: &str, out: &mut Vec<u8>) {
    // Never stopped: a caller that can stop writes with its own steps.
    let _ = write_str(s, out, &mut Steps::new(usize::MAX));
}

/// Lower-case hex digits, by value.
pub(crate) const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a JSON string literal, looking at the running job's clock and cap between
/// pieces of it (see [`Steps`]).
pub(super) fn write_str(s: &str, out: &mut Vec<u8>, steps: &mut Steps) -> Result<(), String> {
    out.reserve(s.len() + 2);
    out.push(b'"');
    // Only ASCII bytes are ever escaped, so a piece may end inside a character.
    for piece in s.as_bytes().chunks(Steps::BYTES) {
        escape(piece, out);
        steps.step(piece.len()).map_err(|stop| stop.to_string())?;
    }
    out.push(b'"');
    Ok(())
}

/// Appends `bytes` escaped, runs of bytes that need no escape copied whole.
fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_is_written_as_an_array_of_numbers() {
        for len in [0, 1, 2, Steps::BYTES / 4 + 3] {
            let blob: rhai::Blob = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let value = Dynamic::from_blob(blob);
            let mut out = Vec::new();
            write_json(&value, &mut out).unwrap();
            let expected = serde_json::to_string(&to_json_at(&value, 0).unwrap());
            assert_eq!(String::from_utf8(out).unwrap(), expected.unwrap(), "{len}");
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut texts: Vec<String> = (0..=0x7f_u8).map(|b| format!("a{}b", b as char)).collect();
        texts.extend(["", "é\u{2028}\u{7f}\"\\", "\u{10ffff}x\u{0}"].map(String::from));
        texts.push("ab\"\n€".repeat(Steps::BYTES / 3));
        for text in texts {
            let mut out = Vec::new();
            write_str(&text, &mut out, &mut Steps::new(Steps::BYTES)).unwrap();
            let expected = serde_json::to_string(&text).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }
}
