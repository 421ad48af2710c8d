//! Item readers: lines, JSON Lines and CSV (or TSV) from any reader, and integer ranges, each
//! as a lazy iterator of items. An unreadable line becomes an [`UnreadableItem`] naming its
//! line number, so that it still gets a record and the rest of the input goes on.

use std::io::BufRead;
use std::str::FromStr;

use rhai::{Dynamic, ImmutableString};

use crate::record::job::{JobError, JobErrorKind};

mod background;
mod csv_options;
mod csv_rows;
mod csv_types;
mod lines;
pub(crate) mod source;
mod unreadable;

pub use background::read_in_background;
pub use csv_options::CsvOptions;
pub use csv_rows::read_csv_items;
pub use unreadable::UnreadableItem;

use lines::{At, LineItems};

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
        InputFormat::Lines | InputFormat::Jsonl | InputFormat::Nul => {
            Box::new(LineItems::new(reader, format, max_item_size))
        }
        InputFormat::Csv => read_csv_items(reader, CsvOptions::default(), max_item_size),
        InputFormat::Tsv => read_csv_items(reader, CsvOptions::tsv(), max_item_size),
    }
}

/// How many bytes of memory one item's values may take, for each byte `--max-item-size` lets
/// its text have. JSON and CSV items take many times their text (a line of `[]`, 2 bytes each,
/// takes ~60 bytes a value), and an item is built before any job's memory cap applies: this
/// bounds it, 1 GiB at the default 64 MiB.
const VALUE_BYTES_PER_ITEM_BYTE: u64 = 16;

/// The least [`value_budget`] is, whatever the limit on an item's text: a value's fixed cost
/// would refuse even small items under a small limit.
const MIN_VALUE_BUDGET: u64 = 1 << 20;

/// The most memory one item's values may take, given the limit on its text.
fn value_budget(max_item_size: usize) -> u64 {
    (max_item_size as u64)
        .saturating_mul(VALUE_BYTES_PER_ITEM_BYTE)
        .max(MIN_VALUE_BUDGET)
}

/// Why an item whose values would take more than [`value_budget`] was not read.
fn too_large(max_item_size: usize) -> String {
    format!(
        "its values would take more than {} of memory (16 times max-item-size, 1 MiB at least)",
        crate::limits::size::format_size(value_budget(max_item_size))
    )
}

/// Why an item over the size limit was not read: `what` is a line or a CSV row.
fn too_long(what: &str, max_item_size: usize) -> String {
    format!(
        "{what} longer than the limit of {} (max-item-size)",
        crate::limits::size::format_size(max_item_size as u64)
    )
}

fn unreadable(at: impl Into<At>, raw: &str, why: impl std::fmt::Display) -> UnreadableItem {
    let at = at.into();
    UnreadableItem {
        raw: ImmutableString::from(raw).into(),
        error: JobError::new(JobErrorKind::UnreadableInput, format!("{at}: {why}")),
    }
}

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
        // NUL-ended items are not lines: they are named by their number.
        let items = collect(b"a\nb\0\xff\0", InputFormat::Nul);
        assert!(
            items[1]
                .as_ref()
                .unwrap_err()
                .starts_with("input item 2: invalid UTF-8")
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
