//! JSON string literals, escaped as serde_json escapes them (`"`, `\`, and control characters;
//! nothing else), written in steps: a 64 MiB string takes tens of milliseconds to escape, and
//! a job must end within milliseconds of its deadline.

use crate::limits::signal::Steps;

const HEX: &[u8; 16] = b"0123456789abcdef";

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
