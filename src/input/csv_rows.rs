//! CSV input: each row after the header row is an item, a map from column name to string.

use std::collections::HashMap;
use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rhai::{ImmutableString, Map};

use super::{ItemResult, too_long, unreadable};

pub(super) struct CsvItems<R> {
    reader: csv::Reader<Bounded<R>>,
    /// Where the row being read starts, in bytes of input, for [`Bounded`].
    row_start: Arc<AtomicU64>,
    headers: Option<Result<Vec<ImmutableString>, String>>,
    record: csv::StringRecord,
    max_item_size: usize,
    done: bool,
}

impl<R: BufRead> CsvItems<R> {
    pub(super) fn new(reader: R, max_item_size: usize) -> Self {
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
            .has_headers(true)
            .from_reader(bounded);
        CsvItems {
            reader,
            row_start,
            headers: None,
            record: csv::StringRecord::new(),
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
                None => Ok(headers),
            }
        });
        let headers = match headers {
            Ok(h) => h.clone(),
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
                if self.record.len() != headers.len() {
                    let raw = self.record.iter().collect::<Vec<_>>().join(",");
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
                    .map(|(k, v)| (k.as_str().into(), ImmutableString::from(v).into()))
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
