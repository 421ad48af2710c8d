//! CSV and TSV output: each output value a row. A map's values go under their keys, in the
//! columns `--columns` names or else in the first map's keys; an array's elements are its
//! fields; any other value is a row of one field. The header row opens the output once the
//! columns are known.

use std::collections::BTreeSet;

use rhai::{Dynamic, Map};

use crate::value::write_row;

/// The columns of a CSV or TSV output, and whether their header is out.
pub(super) struct CsvRows {
    delimiter: u8,
    columns: Option<Vec<String>>,
    header_written: bool,
}

impl CsvRows {
    pub(super) fn new(delimiter: u8, columns: Option<Vec<String>>) -> Self {
        CsvRows {
            delimiter,
            columns,
            header_written: false,
        }
    }

    /// Appends a record's outputs, a row each (after the header, the first time). A value that
    /// does not fit the columns fails the whole record, naming the key missing or extra, and
    /// appends nothing: a record is all its rows or none.
    pub(super) fn write_record<'a>(
        &mut self,
        outputs: impl IntoIterator<Item = &'a Dynamic>,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let columns_before = (!self.header_written).then(|| self.columns.clone());
        let mut rows = Vec::new();
        for value in outputs {
            if let Err(why) = self.write_value(value, &mut rows) {
                if let Some(columns) = columns_before {
                    // Columns taken from a row that failed are not the output's.
                    self.columns = columns;
                }
                return Err(why);
            }
        }
        if !rows.is_empty() && !self.header_written {
            self.header_written = true;
            if let Some(columns) = &self.columns {
                let names: Vec<Dynamic> = columns.iter().map(|c| c.as_str().into()).collect();
                write_row(&names, self.delimiter, out)?;
            }
        }
        out.extend_from_slice(&rows);
        Ok(())
    }

    fn write_value(&mut self, value: &Dynamic, out: &mut Vec<u8>) -> Result<(), String> {
        if let Some(map) = value.read_lock::<Map>() {
            let columns = self
                .columns
                .get_or_insert_with(|| map.keys().map(|k| k.to_string()).collect())
                .clone();
            let wanted: BTreeSet<&str> = columns.iter().map(String::as_str).collect();
            if let Some(missing) = wanted.iter().find(|c| !map.contains_key(**c)) {
                return Err(format!("the row has no {missing:?} column"));
            }
            if let Some(extra) = map.keys().find(|k| !wanted.contains(k.as_str())) {
                let named = columns.join(",");
                return Err(format!("the row's key {extra:?} is not a column ({named})"));
            }
            let fields: Vec<&Dynamic> = columns.iter().map(|c| &map[c.as_str()]).collect();
            return write_row(fields, self.delimiter, out);
        }
        let fields: Vec<Dynamic> = match value.read_lock::<rhai::Array>() {
            Some(array) => array.clone(),
            None => vec![value.clone()],
        };
        if let Some(columns) = &self.columns
            && columns.len() != fields.len()
        {
            return Err(format!(
                "the row has {} fields, not the {} columns ({})",
                fields.len(),
                columns.len(),
                columns.join(",")
            ));
        }
        write_row(&fields, self.delimiter, out)
    }
}
