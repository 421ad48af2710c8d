//! How CSV input is read: its delimiter, whether a header row names the columns, and whether
//! fields that read as numbers or booleans become them.

use super::InputFormat;

/// How [`read_csv_items`](super::read_csv_items) reads CSV (or TSV, or any delimiter) rows.
///
/// The default is `--format csv`: comma-separated, a header row, every field a string.
/// Quoting is the `csv` crate's, whatever the delimiter: a field holding the delimiter, a
/// quote or a line break is quoted, and a quote inside it is doubled.
///
/// ```
/// use rsparallel::input::{CsvOptions, read_csv_items};
///
/// let options = CsvOptions::default().delimiter(b';').header(false).types(true);
/// let items: Vec<_> = read_csv_items(&b"a;1\nb;2;true\n"[..], options, 1 << 20)
///     .map(|item| item.unwrap().to_string())
///     .collect();
/// assert_eq!(items, [r#"["a", 1]"#, r#"["b", 2, true]"#]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsvOptions {
    /// The byte between fields: `b','` by default, `b'\t'` for TSV.
    pub delimiter: u8,
    /// Whether the first row names the columns (the default): each later row is then a map
    /// from column name to field, and a row with another number of fields is unreadable.
    /// Without a header, every row is an item, an array of its fields, as long as it is.
    pub header: bool,
    /// Whether a field that reads as a number or a boolean becomes one (default: no, every
    /// field is a string). See [`CsvOptions::types`].
    pub types: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            header: true,
            types: false,
        }
    }
}

impl CsvOptions {
    /// Tab-separated values with a header row (`--format tsv`).
    pub fn tsv() -> Self {
        CsvOptions::default().delimiter(b'\t')
    }

    /// How `format` reads CSV: the default for [`InputFormat::Csv`], [`CsvOptions::tsv`] for
    /// [`InputFormat::Tsv`], and `None` for the formats that are not CSV.
    pub fn for_format(format: InputFormat) -> Option<Self> {
        match format {
            InputFormat::Csv => Some(CsvOptions::default()),
            InputFormat::Tsv => Some(CsvOptions::tsv()),
            InputFormat::Lines | InputFormat::Jsonl | InputFormat::Nul => None,
        }
    }

    /// The byte between fields (default `b','`). Parse one from text with
    /// [`CsvOptions::parse_delimiter`].
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Whether the first row is a header naming the columns (default `true`). With `false`
    /// the first row is data, and each row is an array of its fields, of any length.
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// Whether fields become numbers and booleans where they read as ones (default `false`):
    /// - an integer (`42`, `-12`) that fits 64 bits becomes an integer;
    /// - a decimal number (`3.5`, `-1e3`, `.5`) becomes a float; `nan`, `inf` do not;
    /// - `true` and `false`, lowercase exactly, become booleans;
    /// - everything else stays a string, the empty field `""` included.
    ///
    /// A number written with a leading zero (`007`, `02134`) stays a string: such fields are
    /// nearly always identifiers, zip codes or phone numbers, which a number would change.
    /// So do a leading `+` (`+4420…`), spaces around the number, and an integer beyond 64 bits
    /// (kept exact, as the string it is).
    pub fn types(mut self, types: bool) -> Self {
        self.types = types;
        self
    }

    /// A delimiter as a user writes it: one ASCII character (`,` `;` `|`), or a tab as itself,
    /// `\t` or `tab`. A quote or a line break cannot be one, since they delimit fields and rows.
    pub fn parse_delimiter(text: &str) -> Result<u8, String> {
        let byte = match text {
            "\\t" | "tab" => b'\t',
            _ => match text.as_bytes() {
                [byte] if byte.is_ascii() => *byte,
                _ => {
                    return Err(format!(
                        "invalid delimiter '{text}': expected one ASCII character, such as ';', \
                         or tab"
                    ));
                }
            },
        };
        Self::check_delimiter(byte)
    }

    /// `byte` as a delimiter, unless it is a quote or a line break, which delimit fields and
    /// rows (for `--delimiter` and `csv_split` alike).
    pub fn check_delimiter(byte: u8) -> Result<u8, String> {
        if matches!(byte, b'"' | b'\n' | b'\r') {
            return Err(format!(
                "invalid delimiter {:?}: a quote or a line break cannot separate fields",
                byte as char
            ));
        }
        Ok(byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_parse_as_one_ascii_character_or_a_tab() {
        assert_eq!(CsvOptions::parse_delimiter(";"), Ok(b';'));
        assert_eq!(CsvOptions::parse_delimiter("|"), Ok(b'|'));
        for tab in ["\t", "\\t", "tab"] {
            assert_eq!(CsvOptions::parse_delimiter(tab), Ok(b'\t'), "{tab:?}");
        }
        for bad in ["", ";;", "é", "\"", "\n", "\r", "tabs"] {
            assert!(CsvOptions::parse_delimiter(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_is_csv_with_a_header_and_strings() {
        let csv = CsvOptions::default();
        assert_eq!((csv.delimiter, csv.header, csv.types), (b',', true, false));
        assert_eq!(CsvOptions::tsv().delimiter, b'\t');
    }
}
