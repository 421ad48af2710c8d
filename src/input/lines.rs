//! Lines and NUL-ended strings as items: each a string, or a JSON value (JSON Lines), read
//! from the reader's buffer where it lies whole, with a limit on its size.

use std::io::BufRead;

use rhai::{Dynamic, ImmutableString};

use super::{
    InputFormat, ItemResult, UnreadableItem, too_large, too_long, unreadable, value_budget,
};
use crate::value::{JsonParseError, parse_json_within};

/// Where in the input an unreadable item was: its line, or, for NUL-ended items, which are
/// not lines, its number.
#[derive(Clone, Copy)]
pub(super) struct At {
    n: u64,
    nul: bool,
}

impl At {
    pub(super) fn of(format: InputFormat, n: u64) -> Self {
        At {
            n,
            nul: format == InputFormat::Nul,
        }
    }
}

impl From<u64> for At {
    fn from(line: u64) -> Self {
        At {
            n: line,
            nul: false,
        }
    }
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.nul {
            true => write!(f, "input item {}", self.n),
            false => write!(f, "input line {}", self.n),
        }
    }
}

pub(super) struct LineItems<R> {
    reader: R,
    format: InputFormat,
    max_item_size: usize,
    line: u64,
    buf: Vec<u8>,
    /// A read error ends the input after one record that reports it.
    failed: bool,
    /// The rest of a line over the size limit is still to be read past: after its record is
    /// taken, so that `--head` need not wait for the end of a line that has none.
    skip_line: bool,
}

impl<R> LineItems<R> {
    pub(super) fn new(reader: R, format: InputFormat, max_item_size: usize) -> Self {
        LineItems {
            reader,
            format,
            max_item_size,
            line: 0,
            buf: Vec::new(),
            failed: false,
            skip_line: false,
        }
    }
}

impl<R: BufRead> Iterator for LineItems<R> {
    type Item = ItemResult;

    fn next(&mut self) -> Option<ItemResult> {
        loop {
            if self.failed {
                return None;
            }
            if std::mem::take(&mut self.skip_line) {
                self.skip_rest_of_line();
            }
            self.line += 1;
            let end = self.end();
            let limit = self.max_item_size.saturating_add(2); // room for the line end
            // Most lines lie whole in the reader's buffer: they are found with a vectorized
            // search and made into items from there, not first copied into `buf` byte by byte
            // (`read_until` searches with core's word-at-a-time `memchr`: ~900 instructions
            // for a 115-byte log line, a tenth of what the whole job costs).
            if let Ok(available) = self.reader.fill_buf() {
                let window = &available[..available.len().min(limit)];
                if let Some(at) = memchr::memchr(end, window) {
                    let item =
                        line_item(self.format, self.line, self.max_item_size, &window[..=at]);
                    self.reader.consume(at + 1);
                    match item {
                        Some(item) => return Some(item),
                        None => continue,
                    }
                }
            }
            // A line across the buffer's end, the last line without an end, a read error.
            self.buf.clear();
            match std::io::Read::take(&mut self.reader, limit as u64).read_until(end, &mut self.buf)
            {
                Ok(0) => return None,
                Ok(_) => {}
                Err(err) => {
                    self.failed = true;
                    let at = At::of(self.format, self.line);
                    return Some(Err(unreadable(at, "", format!("read error: {err}"))));
                }
            }
            if self.buf.len() == limit && self.buf.last() != Some(&end) {
                self.skip_line = true;
                let at = At::of(self.format, self.line);
                return Some(Err(too_long_item(at, &self.buf, self.max_item_size)));
            }
            match line_item(self.format, self.line, self.max_item_size, &self.buf) {
                Some(item) => return Some(item),
                None => continue,
            }
        }
    }
}

/// The item of input line `line`, `bytes` with its end (`\n`, or NUL for [`InputFormat::Nul`])
/// if it has one; `None` for a blank line of JSON Lines, or an input that is only a byte order
/// mark, which are no item.
fn line_item(
    format: InputFormat,
    line: u64,
    max_item_size: usize,
    raw: &[u8],
) -> Option<ItemResult> {
    let mut bytes = raw;
    let end = match format {
        InputFormat::Nul => 0,
        _ => b'\n',
    };
    if let Some(rest) = bytes.strip_suffix(&[end]) {
        // A NUL-ended item is taken as it is: a file name may end in `\r`.
        bytes = match format {
            InputFormat::Nul => rest,
            _ => rest.strip_suffix(b"\r").unwrap_or(rest),
        };
    }
    // A byte order mark opening the input (as some editors and Windows tools write UTF-8) is
    // not part of the first item.
    if line == 1 {
        if raw == BOM {
            // The whole input: a mark and nothing else, which is no item.
            return None;
        }
        bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    }
    // The limit is on the line's content, whatever ends it (`\n`, `\r\n`, nothing).
    if bytes.len() > max_item_size {
        return Some(Err(too_long_item(At::of(format, line), raw, max_item_size)));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let raw = String::from_utf8_lossy(bytes);
            let at = At::of(format, line);
            return Some(Err(unreadable(at, &raw, format!("invalid UTF-8: {err}"))));
        }
    };
    Some(match format {
        InputFormat::Jsonl if text.trim().is_empty() => return None,
        InputFormat::Jsonl => match parse_json_within(text, value_budget(max_item_size)) {
            Ok(value) => Ok(value),
            Err(JsonParseError::Invalid(err)) => {
                Err(unreadable(line, text, format!("invalid JSON: {err}")))
            }
            Err(JsonParseError::TooLarge) => Err(too_large_item(line, text, max_item_size)),
        },
        _ => Ok(string_item(text)),
    })
}

/// `text` as a string item, its bytes copied once into their own allocation: Rhai's
/// `ImmutableString::from(&str)` makes a `String` of text longer than 23 bytes first, and then
/// copies that into the string it keeps, an allocation, a copy and a free more per line.
fn string_item(text: &str) -> Dynamic {
    std::iter::once(text).collect::<ImmutableString>().into()
}

/// The record of a JSON line whose values would take too much memory, naming its start.
fn too_large_item(line: u64, text: &str, max_item_size: usize) -> UnreadableItem {
    let start: String = text.chars().take(40).collect();
    unreadable(line, &format!("{start}…"), too_large(max_item_size))
}

/// The record of a line over the size limit, naming its start.
fn too_long_item(at: At, raw: &[u8], max_item_size: usize) -> UnreadableItem {
    let start = String::from_utf8_lossy(&raw[..raw.len().min(40)]).into_owned();
    unreadable(at, &format!("{start}…"), too_long("item", max_item_size))
}

impl<R: BufRead> LineItems<R> {
    /// The byte that ends an item: a newline, or NUL.
    fn end(&self) -> u8 {
        match self.format {
            InputFormat::Nul => 0,
            _ => b'\n',
        }
    }

    /// Reads past the rest of a line that is over the size limit, holding none of it.
    fn skip_rest_of_line(&mut self) {
        let end = self.end();
        loop {
            let (done, used) = match self.reader.fill_buf() {
                Ok([]) => (true, 0),
                Ok(bytes) => match memchr::memchr(end, bytes) {
                    Some(end) => (true, end + 1),
                    None => (false, bytes.len()),
                },
                Err(_) => (true, 0),
            };
            self.reader.consume(used);
            if done {
                break;
            }
        }
    }
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";
