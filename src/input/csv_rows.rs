//! CSV input: each row after the header row is an item, a map from column name to field; or,
//! without a header, each row is an item, an array of its fields. Fields are strings, or typed
//! with [`CsvOptions::types`].

use std::collections::HashMap;
use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rhai::{Array, Dynamic, ImmutableString, Map};

use super::csv_types::typed_field;
use super::{CsvOptions, ItemResult, too_large, too_long, unreadable, value_budget};

/// Reads CSV rows from `reader` as `options` say, lazily: after a header row, maps from
/// column name to field; without one, arrays of fields. A row over `max_item_size` bytes, a
/// row with the wrong number of fields (with a header) or one that cannot be parsed becomes an
/// unreadable item naming its line; a header that names a column twice is refused whole.
pub fn read_csv_items<'a, R: BufRead + Send + 'a>(
    reader: R,
    options: CsvOptions,
    max_item_size: usize,
) -> Box<dyn Iterator<Item = ItemResult> + Send + 'a> {
    Box::new(CsvItems::new(reader, options, max_item_size))
}

struct CsvItems<R> {
    reader: csv::Reader<Bounded<R>>,
    /// Where the row being read starts, in bytes of input, for [`Bounded`].
    row_start: Arc<AtomicU64>,
    /// The header's columns, once read; never read without a header.
    /// Shared with each row's reading: a row costs one count, not a copy of every name.
    headers: Option<Result<Arc<[ImmutableString]>, String>>,
    record: csv::StringRecord,
    options: CsvOptions,
    max_item_size: usize,
    done: bool,
}

impl<R: BufRead> CsvItems<R> {
    fn new(reader: R, options: CsvOptions, max_item_size: usize) -> Self {
        let row_start = Arc::new(AtomicU64::new(0));
        let bounded = Bounded {
            inner: reader,
            read: 0,
            row_start: row_start.clone(),
            // The parser reads ahead by its buffer: a row is refused a little past the limit.
            limit: max_item_size as u64,
        };
        let reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(options.header)
            .delimiter(options.delimiter)
            .from_reader(bounded);
        CsvItems {
            reader,
            row_start,
            headers: None,
            record: csv::StringRecord::new(),
            options,
            max_item_size,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for CsvItems<R> {
    type Item = ItemResult;

    fn next(&mut self) -> Option<ItemResult> {
        if self.done {
            return None;
        }
        let headers = match self.headers() {
            Ok(headers) => headers,
            Err(err) => {
                self.done = true;
                return Some(Err(unreadable(1, "", format!("bad CSV header: {err}"))));
            }
        };
        let start = self.reader.position().clone();
        self.row_start.store(start.byte(), Ordering::Relaxed);
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                if self.record.as_byte_record().as_slice().len() > self.max_item_size {
                    return Some(Err(unreadable(
                        line,
                        "",
                        too_long("row", self.max_item_size),
                    )));
                }
                // Each field becomes a value: a row of 30 M empty fields would take ~2 GB.
                let bytes = self.record.as_byte_record().as_slice().len() as u64;
                let values = (self.record.len() as u64).saturating_mul(crate::value::VALUE_BYTES);
                if bytes.saturating_add(values) > value_budget(self.max_item_size) {
                    return Some(Err(unreadable(line, "", too_large(self.max_item_size))));
                }
                let Some(headers) = headers else {
                    let row: Array = self.record.iter().map(|v| self.field(v)).collect();
                    return Some(Ok(row.into()));
                };
                if self.record.len() != headers.len() {
                    let delimiter = (self.options.delimiter as char).to_string();
                    let raw = self.record.iter().collect::<Vec<_>>().join(&delimiter);
                    let why = format!(
                        "expected {} CSV fields, found {}",
                        headers.len(),
                        self.record.len()
                    );
                    return Some(Err(unreadable(line, &raw, why)));
                }
                let map: Map = headers
                    .iter()
                    .zip(self.record.iter())
                    .map(|(k, v)| (k.as_str().into(), self.field(v)))
                    .collect();
                Some(Ok(map.into()))
            }
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                if let csv::ErrorKind::Io(io) = err.kind() {
                    // The input cannot be read on, or a row ran past the limit (`Bounded`): an
                    // open quote that never closes would otherwise be read whole into memory.
                    self.done = true;
                    if io.kind() == io::ErrorKind::FileTooLarge {
                        return Some(Err(unreadable(
                            start.line(),
                            "",
                            too_long("row", self.max_item_size),
                        )));
                    }
                }
                Some(Err(unreadable(line, "", format!("bad CSV row: {err}"))))
            }
        }
    }
}

impl<R: BufRead> CsvItems<R> {
    /// The header's columns, read the first time (`None` without a header), or why the header
    /// cannot be used.
    fn headers(&mut self) -> Result<Option<Arc<[ImmutableString]>>, String> {
        if !self.options.header {
            return Ok(None);
        }
        let headers = self.headers.get_or_insert_with(|| {
            let headers: Vec<ImmutableString> = self
                .reader
                .headers()
                .map_err(|e| e.to_string())?
                .iter()
                .map(ImmutableString::from)
                .collect();
            match repeated_column(&headers) {
                Some(why) => Err(why),
                None => Ok(headers.into()),
            }
        });
        headers.clone().map(Some)
    }

    /// A field as an item holds it: its string, or with `types`, the number or boolean it reads as.
    fn field(&self, field: &str) -> Dynamic {
        if self.options.types {
            typed_field(field)
        } else {
            ImmutableString::from(field).into()
        }
    }
}

/// The input under the CSV parser, refusing to give it more than `limit` bytes past the start
/// of the row it is reading: the parser holds a whole row in memory before it can say how long
/// it is.
struct Bounded<R> {
    inner: R,
    /// Bytes given to the parser so far.
    read: u64,
    row_start: Arc<AtomicU64>,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let row_start = self.row_start.load(Ordering::Relaxed);
        if self.read.saturating_sub(row_start) > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "row longer than the limit",
            ));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// A header naming a column twice would keep one value of the two in every row, silently.
/// One pass, with the columns seen so far by name: a header of 100,000 columns is checked as
/// fast as it is read.
fn repeated_column(headers: &[ImmutableString]) -> Option<String> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(headers.len());
    headers.iter().enumerate().find_map(|(i, name)| {
        let first = *seen.entry(name.as_str()).or_insert(i);
        (first != i).then(|| {
            format!(
                "column '{name}' appears twice (columns {} and {})",
                first + 1,
                i + 1
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], options: CsvOptions) -> Vec<Result<String, String>> {
        read_csv_items(input, options, 64)
            .map(|r| match r {
                Ok(v) => Ok(crate::value::dynamic_to_json(&v).unwrap().to_string()),
                Err(bad) => Err(bad.error.message),
            })
            .collect()
    }

    #[test]
    fn csv_rows_become_maps_and_ragged_rows_fail() {
        let items = collect(b"name,n\nada,1\nbob\n\"c,d\",3\n", CsvOptions::default());
        assert_eq!(items[0], Ok(r#"{"n":"1","name":"ada"}"#.into()));
        assert_eq!(
            items[1],
            Err("input line 3: expected 2 CSV fields, found 1".into())
        );
        assert_eq!(items[2], Ok(r#"{"n":"3","name":"c,d"}"#.into()));
    }

    #[test]
    fn a_header_naming_a_column_twice_is_refused() {
        let items = collect(b"a,b,c,b\n1,2,3,4\n", CsvOptions::default());
        assert_eq!(
            items,
            [Err(
                "input line 1: bad CSV header: column 'b' appears twice (columns 2 and 4)".into()
            )]
        );
    }

    #[test]
    fn without_a_header_rows_are_arrays_of_any_length_and_names_may_repeat() {
        let options = CsvOptions::default().header(false);
        let items = collect(b"\xef\xbb\xbfa,a\n1\n\n\"x,y\",2,3\n", options);
        assert_eq!(
            items,
            [
                Ok(r#"["a","a"]"#.into()),
                Ok(r#"["1"]"#.into()),
                Ok(r#"["x,y","2","3"]"#.into())
            ]
        );
    }

    #[test]
    fn tabs_and_other_delimiters_quote_as_commas_do() {
        let items = collect(b"a\tb\n\"x\ty\"\t\"1\"\n", CsvOptions::tsv());
        assert_eq!(items, [Ok(r#"{"a":"x\ty","b":"1"}"#.into())]);
        let items = collect(b"a;b\n1;2;3\n", CsvOptions::default().delimiter(b';'));
        assert_eq!(
            items,
            [Err("input line 2: expected 2 CSV fields, found 3".into())]
        );
    }

    #[test]
    fn typed_fields_in_maps_and_arrays() {
        let options = CsvOptions::default().types(true);
        let items = collect(b"n,x,ok,zip,s\n42,-1e3,true,007,\n", options);
        assert_eq!(
            items,
            [Ok(
                r#"{"n":42,"ok":true,"s":"","x":-1000.0,"zip":"007"}"#.into()
            )]
        );
        let items = collect(b"1,2.5,false,a\n", options.header(false));
        assert_eq!(items, [Ok(r#"[1,2.5,false,"a"]"#.into())]);
    }

    #[test]
    fn a_row_over_the_size_limit_fails_without_a_header_too() {
        let long = format!("a\n{}\nb\n", "x".repeat(100));
        let items = collect(long.as_bytes(), CsvOptions::default().header(false));
        assert_eq!(items[0], Ok(r#"["a"]"#.into()));
        assert!(
            items[1]
                .as_ref()
                .unwrap_err()
                .contains("row longer than the limit"),
            "{items:?}"
        );
    }
}
