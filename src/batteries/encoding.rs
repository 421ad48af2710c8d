//! Encodings: base64 (standard alphabet, padded), hex and URL percent-encoding. Encoders take
//! text (its UTF-8 bytes) or a blob; decoders return text and fail on bytes that are not UTF-8.

use super::registrar::Registrar;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use rhai::Blob;

use super::{Fallible, error};

/// Everything but RFC 3986's unreserved characters is escaped, so the result is safe in a
/// path segment and in a query value alike.
const URL_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn utf8(function: &str, bytes: Vec<u8>) -> Fallible<String> {
    String::from_utf8(bytes).map_err(|e| {
        error(
            function,
            format!("the decoded bytes are not UTF-8 text ({e})"),
        )
    })
}

fn base64_decode(text: &str) -> Fallible<String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|e| error("base64_decode", format!("invalid base64: {e}")))?;
    utf8("base64_decode", bytes)
}

fn hex_decode(text: &str) -> Fallible<String> {
    let bytes =
        hex::decode(text.trim()).map_err(|e| error("hex_decode", format!("invalid hex: {e}")))?;
    utf8("hex_decode", bytes)
}

fn url_decode(text: &str) -> Fallible<String> {
    // `+` stays `+`: it means a space only in HTML forms, which `url_encode` never writes.
    utf8("url_decode", percent_decode_str(text).collect())
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("base64_encode", |text: &str| STANDARD.encode(text));
    engine.register_fn("base64_encode", |blob: &mut Blob| STANDARD.encode(blob));
    engine.register_fn("base64_decode", base64_decode);
    engine.register_fn("hex_encode", |text: &str| hex::encode(text));
    engine.register_fn("hex_encode", |blob: &mut Blob| hex::encode(blob));
    engine.register_fn("hex_decode", hex_decode);
    engine.register_fn("url_encode", |text: &str| {
        utf8_percent_encode(text, URL_ESCAPED).to_string()
    });
    engine.register_fn("url_decode", url_decode);
}

#[cfg(test)]
mod tests {
    use crate::batteries::tests::{engine, eval, eval_err};

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
