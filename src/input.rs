//! Item readers: lines, JSON Lines and CSV (or TSV) from any reader, and integer ranges, each
//! as a lazy iterator of items. An unreadable line becomes an [`UnreadableItem`] naming its
//! line number, so that it still gets a record and the rest of the input goes on.

use std::io::BufRead;
use std::str::FromStr;

use rhai::{Dynamic, ImmutableString};

use crate::record::job::{JobError, JobErrorKind};
use crate::value::json_to_dynamic;

mod csv_options;
mod csv_rows;
mod csv_types;
pub(crate) mod source;
mod unreadable;

pub use csv_options::CsvOptions;
pub use csv_rows::read_csv_items;
pub use unreadable::UnreadableItem;

/// One item read from an input, or why it could not be read.
pub type ItemResult = Result<Dynamic, UnreadableItem>;

/// How an input's lines become items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputFormat {
    /// Each line is a string item.
    Lines,
    /// Each line is a JSON value; blank lines are ignored.
    Jsonl,
    /// Each row after the header row is a map from column name to string. Other delimiters,
    /// no header, typed fields: [`read_csv_items`] with [`CsvOptions`].
    Csv,
    /// Tab-separated values: CSV with a tab between fields, [`CsvOptions::tsv`].
    Tsv,
    /// Each string ended by a NUL byte is an item (`find -print0`): the safe way to pass file
    /// names, which may hold spaces and newlines.
    Nul,
}

impl FromStr for InputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lines" => Ok(InputFormat::Lines),
            "jsonl" | "json" => Ok(InputFormat::Jsonl),
            "csv" => Ok(InputFormat::Csv),
            "tsv" => Ok(InputFormat::Tsv),
            "nul" | "null" => Ok(InputFormat::Nul),
            other => Err(format!(
                "unknown input format '{other}' (lines, jsonl, csv, tsv, nul)"
            )),
        }
    }
}

/// The default limit on one input line (or CSV row), in bytes.
pub const DEFAULT_MAX_ITEM_SIZE: usize = 64 << 20;

/// Reads items from `reader` in `format`, lazily. A line longer than `max_item_size` bytes is
/// skipped without being held in memory, and becomes an unreadable item saying so.
pub fn read_items<'a, R: BufRead + Send + 'a>(
    reader: R,
    format: InputFormat,
    max_item_size: usize,
) -> Box<dyn Iterator<Item = ItemResult> + Send + 'a> {
    match format {
        InputFormat::Lines | InputFormat::Jsonl | InputFormat::Nul => Box::new(LineItems {
            reader,
            format,
            max_item_size,
            line: 0,
            buf: Vec::new(),
            failed: false,
        }),
        InputFormat::Csv => read_csv_items(reader, CsvOptions::default(), max_item_size),
        InputFormat::Tsv => read_csv_items(reader, CsvOptions::tsv(), max_item_size),
    }
}

/// Why an item over the size limit was not read: `what` is a line or a CSV row.
fn too_long(what: &str, max_item_size: usize) -> String {
    format!(
        "{what} longer than the limit of {} (max-item-size)",
        crate::limits::size::format_size(max_item_size as u64)
    )
}

fn unreadable(line: u64, raw: &str, why: impl std::fmt::Display) -> UnreadableItem {
    UnreadableItem {
        raw: ImmutableString::from(raw).into(),
        error: JobError::new(
            JobErrorKind::UnreadableInput,
            format!("input line {line}: {why}"),
        ),
    }
}

struct LineItems<R> {
    reader: R,
    format: InputFormat,
    max_item_size: usize,
    line: u64,
    buf: Vec<u8>,
    /// A read error ends the input after one record that reports it.
    failed: bool,
}

impl<R: BufRead> Iterator for LineItems<R> {
    type Item = ItemResult;

    fn next(&mut self) -> Option<ItemResult> {
        loop {
            if self.failed {
                return None;
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
                    return Some(Err(unreadable(self.line, "", format!("read error: {err}"))));
                }
            }
            if self.buf.len() == limit && self.buf.last() != Some(&end) {
                self.skip_rest_of_line();
                return Some(Err(too_long_item(self.line, &self.buf, self.max_item_size)));
            }
            match line_item(self.format, self.line, self.max_item_size, &self.buf) {
                Some(item) => return Some(item),
                None => continue,
            }
        }
    }
}

/// The item of input line `line`, `bytes` with its end (`\n`, or NUL for [`InputFormat::Nul`])
/// if it has one; `None` for a blank line of JSON Lines, which is no item.
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
        bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    }
    // The limit is on the line's content, whatever ends it (`\n`, `\r\n`, nothing).
    if bytes.len() > max_item_size {
        return Some(Err(too_long_item(line, raw, max_item_size)));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let raw = String::from_utf8_lossy(bytes);
            return Some(Err(unreadable(line, &raw, format!("invalid UTF-8: {err}"))));
        }
    };
    Some(match format {
        InputFormat::Jsonl if text.trim().is_empty() => return None,
        InputFormat::Jsonl => match serde_json::from_str(text) {
            Ok(value) => Ok(json_to_dynamic(value)),
            Err(err) => Err(unreadable(line, text, format!("invalid JSON: {err}"))),
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

/// The record of a line over the size limit, naming its start.
fn too_long_item(line: u64, raw: &[u8], max_item_size: usize) -> UnreadableItem {
    let start = String::from_utf8_lossy(&raw[..raw.len().min(40)]).into_owned();
    unreadable(line, &format!("{start}…"), too_long("item", max_item_size))
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

/// An integer range as `A..B` (half-open) or `A..=B` (inclusive); either end may be negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemRange {
    /// First item.
    pub start: i64,
    /// Last item, inclusive; below `start` for an empty range.
    pub last: i64,
}

impl ItemRange {
    /// The number of items in the range.
    pub fn len(&self) -> u64 {
        if self.last < self.start {
            0
        } else {
            (self.last as i128 - self.start as i128 + 1) as u64
        }
    }

    /// Whether the range has no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items, as Rhai integers.
    pub fn items(&self) -> impl Iterator<Item = ItemResult> + Send + 'static {
        let (start, last) = (self.start, self.last);
        (start..=last).map(|i| Ok(Dynamic::from(i)))
    }
}

impl FromStr for ItemRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("invalid range '{s}': expected A..B or A..=B with integers A and B");
        let (a, b, inclusive) = match s.split_once("..=") {
            Some((a, b)) => (a, b, true),
            None => {
                let (a, b) = s.split_once("..").ok_or_else(bad)?;
                (a, b, false)
            }
        };
        let start: i64 = a.trim().parse().map_err(|_| bad())?;
        let end: i64 = b.trim().parse().map_err(|_| bad())?;
        if inclusive {
            Ok(ItemRange { start, last: end })
        } else if end <= start {
            Ok(ItemRange { start: 0, last: -1 })
        } else {
            Ok(ItemRange {
                start,
                last: end - 1,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], format: InputFormat) -> Vec<Result<String, String>> {
        read_items(input, format, 8)
            .map(|r| match r {
                Ok(v) => Ok(crate::value::dynamic_to_json(&v).unwrap().to_string()),
                Err(bad) => Err(bad.error.message),
            })
            .collect()
    }

    #[test]
    fn lines_strip_line_ends_and_keep_a_last_line_without_newline() {
        let items = collect(b"a\r\nb\n\nc", InputFormat::Lines);
        assert_eq!(
            items,
            [
                Ok("\"a\"".into()),
                Ok("\"b\"".into()),
                Ok("\"\"".into()),
                Ok("\"c\"".into())
            ]
        );
    }

    #[test]
    fn bad_lines_name_their_line_number() {
        let items = collect(b"1\n{oops\n\n[2]\n", InputFormat::Jsonl);
        assert_eq!(items[0], Ok("1".into()));
        assert!(
            items[1]
                .as_ref()
                .unwrap_err()
                .starts_with("input line 2: invalid JSON")
        );
        assert_eq!(items[2], Ok("[2]".into()));
        let items = collect(b"ok\n\xff\xfe\n", InputFormat::Lines);
        assert!(
            items[1]
                .as_ref()
                .unwrap_err()
                .starts_with("input line 2: invalid UTF-8")
        );
    }

    #[test]
    fn a_line_over_the_size_limit_fails_and_the_next_line_is_read() {
        let items = collect(b"short\nthis line is far too long\nok", InputFormat::Lines);
        assert_eq!(items[0], Ok("\"short\"".into()));
        assert!(
            items[1]
                .as_ref()
                .unwrap_err()
                .contains("input line 2: item longer than the limit of 8 B")
        );
        assert_eq!(items[2], Ok("\"ok\"".into()));
        assert_eq!(items.len(), 3);
    }

    #[test]
    fn the_size_limit_is_on_a_lines_content_whatever_ends_it() {
        for end in ["\n", "\r\n", ""] {
            let fits = format!("12345678{end}");
            assert_eq!(
                collect(fits.as_bytes(), InputFormat::Lines),
                [Ok("\"12345678\"".into())],
                "{end:?}"
            );
            let over = format!("ok\n123456789{end}");
            let items = collect(over.as_bytes(), InputFormat::Lines);
            assert_eq!(items.len(), 2, "{end:?}");
            assert_eq!(items[0], Ok("\"ok\"".into()), "{end:?}");
            assert!(
                items[1]
                    .as_ref()
                    .unwrap_err()
                    .contains("input line 2: item longer than the limit of 8 B"),
                "{end:?}: {items:?}"
            );
        }
    }

    #[test]
    fn a_byte_order_mark_opening_the_input_is_not_part_of_the_first_item() {
        let items = collect(b"\xef\xbb\xbf1\n\xef\xbb\xbf2\n", InputFormat::Jsonl);
        assert_eq!(items[0], Ok("1".into()));
        assert!(items[1].as_ref().unwrap_err().contains("input line 2"));
        assert_eq!(items.len(), 2);
        let items = collect(b"\xef\xbb\xbfab\r\ncd", InputFormat::Lines);
        assert_eq!(items, [Ok("\"ab\"".into()), Ok("\"cd\"".into())]);
        let items = collect(b"\xef\xbb\xbfa,b\n1,2\n", InputFormat::Csv);
        assert_eq!(items, [Ok(r#"{"a":"1","b":"2"}"#.into())]);
    }

    #[test]
    fn items_are_the_same_wherever_the_readers_buffer_ends() {
        // A line lying whole in the reader's buffer is taken from there, one across its end is
        // read on: with buffers of 1 to 16 bytes, every line ends up in each case.
        let inputs: [(&[u8], InputFormat); 3] = [
            (
                b"\xef\xbb\xbfab\r\n\nthis line is far too long\nc\rd\n12345678\r\n\xff\nlast",
                InputFormat::Lines,
            ),
            (b"1\n\n  \n{oops\n[2, 3]\r\n\"x\"", InputFormat::Jsonl),
            (b"a b\0\nc\r\0\0far too long a name\0z", InputFormat::Nul),
        ];
        for (input, format) in inputs {
            let whole = collect(input, format);
            assert!(whole.len() >= 4, "{whole:?}");
            for capacity in 1..=16 {
                let reader = std::io::BufReader::with_capacity(capacity, input);
                let items: Vec<_> = read_items(reader, format, 8)
                    .map(|r| match r {
                        Ok(v) => Ok(crate::value::dynamic_to_json(&v).unwrap().to_string()),
                        Err(bad) => Err(bad.error.message),
                    })
                    .collect();
                assert_eq!(items, whole, "{format:?}, a buffer of {capacity} bytes");
            }
        }
    }

    #[test]
    fn ranges_parse_half_open_and_inclusive() {
        assert_eq!("1..4".parse::<ItemRange>().unwrap().len(), 3);
        assert_eq!("1..=4".parse::<ItemRange>().unwrap().len(), 4);
        assert_eq!("-2..=2".parse::<ItemRange>().unwrap().len(), 5);
        assert!("5..1".parse::<ItemRange>().unwrap().is_empty());
        assert!("1...3".parse::<ItemRange>().is_err());
        assert!("x..3".parse::<ItemRange>().is_err());
    }
}
