//! Encodings: base64 (standard alphabet, padded), hex and URL percent-encoding. Encoders take
//! text (its UTF-8 bytes) or a blob; decoders return text and fail on bytes that are not UTF-8.

use super::registrar::Registrar;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};
use rhai::Blob;

use super::pieces::in_steps;
use super::{Fallible, error};
use crate::limits::signal::Steps;

/// Everything but RFC 3986's unreserved characters is escaped, so the result is safe in a
/// path segment and in a query value alike.
const URL_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

// The unchecked conversion after the check in pieces: `String::from_utf8` would check all
// of it again, in one go.
#[allow(unsafe_code)]
fn utf8(function: &str, bytes: Vec<u8>) -> Fallible<String> {
    // Checked a piece at a time, looking at the job's clock between pieces: the check of 40 MB
    // of text outside ASCII takes tens of milliseconds.
    let mut steps = Steps::new(Steps::BYTES);
    let mut checked = 0;
    while checked < bytes.len() {
        let end = (checked + Steps::BYTES).min(bytes.len());
        let before = checked;
        match std::str::from_utf8(&bytes[checked..end]) {
            Ok(_) => checked = end,
            // A character cut by the piece's end: it starts the next piece.
            Err(e) if e.error_len().is_none() && end < bytes.len() => checked += e.valid_up_to(),
            Err(_) => {
                // The whole rest stops at the same first fault, a piece or less away.
                let e = std::str::from_utf8(&bytes[checked..])
                    .expect_err("the piece has a fault, and so has the rest");
                let at = checked + e.valid_up_to();
                let what = match e.error_len() {
                    Some(n) => format!("invalid utf-8 sequence of {n} bytes from index {at}"),
                    None => format!("incomplete utf-8 byte sequence from index {at}"),
                };
                let message = format!("the decoded bytes are not UTF-8 text ({what})");
                return Err(error(function, message));
            }
        }
        steps.step(checked - before)?;
    }
    // SAFETY: every byte of `bytes` was checked to be UTF-8 above, piece after piece, each
    // piece starting where the one before ended on a whole character.
    Ok(unsafe { String::from_utf8_unchecked(bytes) })
}

fn hex_encode(bytes: &[u8]) -> Fallible<String> {
    let mut text = String::with_capacity(bytes.len().saturating_mul(2));
    in_steps(bytes, Steps::BYTES, |piece, _| {
        text.push_str(&hex::encode(piece));
        Ok(())
    })?;
    Ok(text)
}

fn hex_decode(text: &str) -> Fallible<String> {
    let text = text.trim().as_bytes();
    let invalid = |e: hex::FromHexError| error("hex_decode", format!("invalid hex: {e}"));
    if text.len() % 2 == 1 {
        return Err(invalid(hex::FromHexError::OddLength));
    }
    let mut bytes = Vec::with_capacity(text.len() / 2);
    // Pieces of an even length: each decodes as it would in the whole.
    in_steps(text, Steps::BYTES, |piece, at| {
        let decoded = hex::decode(piece).map_err(|e| match e {
            hex::FromHexError::InvalidHexCharacter { c, index } => {
                invalid(hex::FromHexError::InvalidHexCharacter {
                    c,
                    index: at + index,
                })
            }
            other => invalid(other),
        })?;
        bytes.extend_from_slice(&decoded);
        Ok(())
    })?;
    utf8("hex_decode", bytes)
}

/// Bytes encoded to base64 in one piece: a whole number of 3-byte groups, so that the pieces'
/// texts joined are the whole's.
const BASE64_PIECE: usize = Steps::BYTES / 4 * 3;

fn base64_encode(bytes: &[u8]) -> Fallible<String> {
    let mut text = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    in_steps(bytes, BASE64_PIECE, |piece, _| {
        STANDARD.encode_string(piece, &mut text);
        Ok(())
    })?;
    Ok(text)
}

fn base64_decode(text: &str) -> Fallible<String> {
    let text = text.trim().as_bytes();
    let invalid = |e: base64::DecodeError| error("base64_decode", format!("invalid base64: {e}"));
    // Pieces of whole 4-character groups decode as the whole does, unless padding comes before
    // the last group: the whole refuses that, and so does decoding it in one go.
    let last_group = text.len().saturating_sub(4);
    if memchr::memchr(b'=', &text[..last_group]).is_some() {
        return STANDARD
            .decode(text)
            .map_err(invalid)
            .and_then(|bytes| utf8("base64_decode", bytes));
    }
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    in_steps(text, Steps::BYTES, |piece, at| {
        STANDARD.decode_vec(piece, &mut bytes).map_err(|e| {
            invalid(match e {
                base64::DecodeError::InvalidByte(i, b) => {
                    base64::DecodeError::InvalidByte(at + i, b)
                }
                base64::DecodeError::InvalidLastSymbol {
                    offset,
                    symbol,
                    symbol_value,
                } => base64::DecodeError::InvalidLastSymbol {
                    offset: at + offset,
                    symbol,
                    symbol_value,
                },
                base64::DecodeError::InvalidLength(n) => base64::DecodeError::InvalidLength(at + n),
                other => other,
            })
        })
    })?;
    utf8("base64_decode", bytes)
}

fn url_encode(text: &str) -> Fallible<String> {
    let mut encoded = String::with_capacity(text.len());
    in_steps(text.as_bytes(), Steps::BYTES, |piece, _| {
        encoded.extend(percent_encode(piece, URL_ESCAPED));
        Ok(())
    })?;
    Ok(encoded)
}

fn url_decode(text: &str) -> Fallible<String> {
    // As `percent_decode` decodes: `%` and two hex digits is a byte, any other `%` stays as it
    // is; `+` stays `+` (it means a space only in HTML forms, which `url_encode` never writes).
    // By hand, to look at the job's clock as it goes.
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let text = text.as_bytes();
    let mut bytes = Vec::with_capacity(text.len());
    let mut steps = Steps::new(Steps::BYTES);
    let mut at = 0;
    while at < text.len() {
        // The bytes up to the next `%` are copied as they are.
        let next = memchr::memchr(b'%', &text[at..]).map_or(text.len(), |i| at + i);
        bytes.extend_from_slice(&text[at..next]);
        steps.step(next - at + 1)?;
        at = next;
        if at == text.len() {
            break;
        }
        let escape = text
            .get(at + 1..at + 3)
            .and_then(|pair| Some((hex(pair[0])?, hex(pair[1])?)));
        match escape {
            Some((high, low)) => {
                bytes.push(high << 4 | low);
                at += 3;
            }
            None => {
                bytes.push(b'%');
                at += 1;
            }
        }
    }
    utf8("url_decode", bytes)
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("base64_encode", |text: &str| base64_encode(text.as_bytes()));
    engine.register_fn("base64_encode", |blob: &mut Blob| base64_encode(blob));
    engine.register_fn("base64_decode", base64_decode);
    engine.register_fn("hex_encode", |text: &str| hex_encode(text.as_bytes()));
    engine.register_fn("hex_encode", |blob: &mut Blob| hex_encode(blob));
    engine.register_fn("hex_decode", hex_decode);
    engine.register_fn("url_encode", url_encode);
    engine.register_fn("url_decode", url_decode);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batteries::tests::{engine, eval, eval_err};
    use rhai::EvalAltResult;

    /// Text of several pieces, with escapes, multi-byte characters and `%` falling on every
    /// place around the pieces' ends.
    fn long_text() -> String {
        let mut text = String::new();
        for i in 0..3 * Steps::BYTES / 7 {
            text.push_str(["a%2", "é", "%", "F/", "~ "][i % 5]);
        }
        text
    }

    #[test]
    fn long_text_encodes_and_decodes_in_pieces_as_in_one() {
        let text = long_text();
        assert_eq!(hex_encode(text.as_bytes()).unwrap(), hex::encode(&text));
        assert_eq!(
            base64_encode(text.as_bytes()).unwrap(),
            STANDARD.encode(&text)
        );
        let url = percent_encoding::utf8_percent_encode(&text, URL_ESCAPED).to_string();
        assert_eq!(url_encode(&text).unwrap(), url);
        assert_eq!(hex_decode(&hex::encode(&text)).unwrap(), text);
        assert_eq!(base64_decode(&STANDARD.encode(&text)).unwrap(), text);
        assert_eq!(url_decode(&url).unwrap(), text);
        for raw in [
            "%",
            "%%",
            "%%41",
            "%4",
            "%4g",
            "a%41%%42%",
            "%c3%a9%C3%A9",
            &"%".repeat(70_000),
        ] {
            let whole = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .unwrap();
            assert_eq!(url_decode(raw).unwrap(), whole, "{raw:.20}");
        }
        // `%` followed by what is not an escape stays as it is, wherever a piece ends.
        for shift in 0..4 {
            let raw = format!("{}{}", "x".repeat(shift), text);
            let whole = percent_encoding::percent_decode_str(&raw)
                .decode_utf8()
                .unwrap();
            assert_eq!(url_decode(&raw).unwrap(), whole, "shift {shift}");
        }
    }

    #[test]
    fn an_error_past_the_first_piece_names_its_place_in_the_whole() {
        let mut hex_text = hex::encode(long_text());
        hex_text.replace_range(Steps::BYTES + 5..Steps::BYTES + 6, "z");
        let whole = hex::decode(&hex_text).unwrap_err();
        let message = hex_decode(&hex_text).unwrap_err().to_string();
        assert!(message.contains(&whole.to_string()), "{message} / {whole}");
        let mut b64 = STANDARD.encode(long_text());
        b64.replace_range(Steps::BYTES + 9..Steps::BYTES + 10, "!");
        let whole = STANDARD.decode(&b64).unwrap_err();
        let message = base64_decode(&b64).unwrap_err().to_string();
        assert!(message.contains(&whole.to_string()), "{message} / {whole}");
        // Padding before the last group is refused, as by the whole.
        let early = format!("QQ=={}", STANDARD.encode(long_text()));
        let whole = STANDARD.decode(&early).unwrap_err();
        let message = base64_decode(&early).unwrap_err().to_string();
        assert!(message.contains(&whole.to_string()), "{message} / {whole}");
    }

    #[test]
    fn base64_round_trips() {
        let e = engine();
        assert_eq!(
            eval::<String>(&e, r#"base64_encode("héllo?")"#),
            "aMOpbGxvPw=="
        );
        assert_eq!(
            eval::<String>(&e, r#"base64_decode("aMOpbGxvPw==")"#),
            "héllo?"
        );
        let b = eval::<String>(&e, "let b = blob(); b.push(255); base64_encode(b)");
        assert_eq!(b, "/w==");
    }

    #[test]
    fn invalid_base64_is_a_clear_error() {
        let e = engine();
        let message = eval_err(&e, r#"base64_decode("ab!d")"#);
        assert!(
            message.starts_with("base64_decode: invalid base64: "),
            "{message}"
        );
        let message = eval_err(&e, r#"base64_decode("/w==")"#);
        assert!(message.contains("not UTF-8"), "{message}");
    }

    #[test]
    fn decoded_bytes_are_checked_in_pieces_as_they_would_be_whole() {
        // Around the pieces' edges: a character cut by an edge, faults just before and after.
        let edge = Steps::BYTES;
        let mut cases: Vec<Vec<u8>> = vec![vec![], b"plain".to_vec(), vec![0xff]];
        for at in [edge - 2, edge - 1, edge, edge + 1, 2 * edge - 1] {
            let mut bytes = vec![b'a'; at];
            bytes.extend_from_slice("é€😀".as_bytes());
            bytes.extend_from_slice(&[b'b'; 100]);
            cases.push(bytes.clone());
            for fault in [&[0xff][..], &[0xe2, 0x82], &[0xc3]] {
                let mut broken = bytes.clone();
                broken.splice(at..at, fault.iter().copied());
                cases.push(broken.clone());
                broken.truncate(at + fault.len());
                cases.push(broken);
            }
        }
        for bytes in cases {
            let whole = String::from_utf8(bytes.clone())
                .map_err(|e| format!("x: the decoded bytes are not UTF-8 text ({e})"));
            let pieces = utf8("x", bytes).map_err(|e| match *e {
                EvalAltResult::ErrorRuntime(message, _) => message.to_string(),
                other => panic!("{other}"),
            });
            assert_eq!(pieces, whole);
        }
    }

    #[test]
    fn hex_round_trips_and_rejects_odd_input() {
        let e = engine();
        assert_eq!(eval::<String>(&e, r#"hex_encode("Az")"#), "417a");
        assert_eq!(eval::<String>(&e, r#"hex_decode("417A")"#), "Az");
        let message = eval_err(&e, r#"hex_decode("abc")"#);
        assert!(
            message.starts_with("hex_decode: invalid hex: "),
            "{message}"
        );
        assert!(eval_err(&e, r#"hex_decode("zz")"#).contains("invalid hex"));
    }

    #[test]
    fn url_encoding_escapes_all_but_unreserved() {
        let e = engine();
        assert_eq!(
            eval::<String>(&e, r#"url_encode("a b&c=d/é~_.-")"#),
            "a%20b%26c%3Dd%2F%C3%A9~_.-"
        );
        assert_eq!(
            eval::<String>(&e, r#"url_decode("a%20b%2Bc+d")"#),
            "a b+c+d"
        );
        let message = eval_err(&e, r#"url_decode("%ff")"#);
        assert!(
            message.starts_with("url_decode: the decoded bytes are not UTF-8"),
            "{message}"
        );
    }
}
