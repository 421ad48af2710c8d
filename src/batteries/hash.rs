//! Hashes: `sha256` and `md5` as lowercase hex, `crc32` as an integer. Text is hashed as its
//! UTF-8 bytes; a blob as its bytes.
//!
//! Each hashes in pieces and looks at the job's clock between them: hashing 20 MB takes tens of
//! milliseconds, and a job must end within milliseconds of its deadline.

use super::registrar::Registrar;
use md5::Md5;
use rhai::{Blob, INT};
use sha2::{Digest, Sha256};

use super::Fallible;
use super::pieces::in_steps;
use crate::limits::signal::Steps;

/// Feeds `bytes` to `update` a piece at a time, stopping if the job must end.
fn in_pieces(bytes: &[u8], mut update: impl FnMut(&[u8])) -> Fallible<()> {
    in_steps(bytes, Steps::BYTES, |piece, _| {
        update(piece);
        Ok(())
    })
}

fn sha256(bytes: &[u8]) -> Fallible<String> {
    let mut hasher = Sha256::new();
    in_pieces(bytes, |piece| hasher.update(piece))?;
    Ok(hex::encode(hasher.finalize()))
}

fn md5(bytes: &[u8]) -> Fallible<String> {
    let mut hasher = Md5::new();
    in_pieces(bytes, |piece| hasher.update(piece))?;
    Ok(hex::encode(hasher.finalize()))
}

fn crc32(bytes: &[u8]) -> Fallible<INT> {
    let mut hasher = crc32fast::Hasher::new();
    in_pieces(bytes, |piece| hasher.update(piece))?;
    Ok(INT::from(hasher.finalize()))
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("sha256", |text: &str| sha256(text.as_bytes()));
    engine.register_fn("sha256", |blob: &mut Blob| sha256(blob));
    engine.register_fn("md5", |text: &str| md5(text.as_bytes()));
    engine.register_fn("md5", |blob: &mut Blob| md5(blob));
    engine.register_fn("crc32", |text: &str| crc32(text.as_bytes()));
    engine.register_fn("crc32", |blob: &mut Blob| crc32(blob));
}

#[cfg(test)]
mod tests {
    use crate::batteries::tests::{engine, eval};

    #[test]
    fn known_digests() {
        let e = engine();
        assert_eq!(
            eval::<String>(&e, r#"sha256("abc")"#),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            eval::<String>(&e, r#"md5("")"#),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(eval::<i64>(&e, r#"crc32("123456789")"#), 0xCBF4_3926);
    }

    #[test]
    fn text_hashes_as_its_utf8_bytes_like_a_blob() {
        let e = engine();
        let same = eval::<bool>(
            &e,
            r#"let b = blob(); b.push(0xc3); b.push(0xa9); sha256(b) == sha256("é") && md5(b) == md5("é") && crc32(b) == crc32("é")"#,
        );
        assert!(same);
    }
}
