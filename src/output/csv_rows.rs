//! CSV and TSV output: each output value a row. A map's values go under their keys, in the
//! columns `--columns` names or else in the first map's keys; an array's elements are its
//! fields; any other value is a row of one field. The header row opens the output once the
//! columns are known. When the first row is not a map (nor are columns named), the output has
//! no header, and its rows may have any number of fields (as CSV read with `--no-header`
//! gives them); a map, which has no place in it, fails its record.

use std::collections::BTreeSet;

use rhai::{Dynamic, Map};

use crate::value::write_row;

/// The shape of a CSV or TSV output's rows, fixed by the first: their columns, or none; and
/// whether that row is out.
pub(super) struct CsvRows {
    delimiter: u8,
    columns: Option<Vec<String>>,
    /// The first row was not a map, and no columns were named: rows have no columns.
    headerless: bool,
    started: bool,
}

impl CsvRows {
    pub(super) fn new(delimiter: u8, columns: Option<Vec<String>>) -> Self {
        CsvRows {
            delimiter,
            columns,
            headerless: false,
            started: false,
        }
    }

    /// Appends a record's outputs, a row each (after the header, the first time). A value that
    /// does not fit the rows' shape fails the whole record, naming the key missing or extra, or
    /// the number of fields, and appends nothing: a record is all its rows or none.
    pub(super) fn write_record<'a>(
        &mut self,
        outputs: impl IntoIterator<Item = &'a Dynamic>,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        // The shape is fixed by the first record with rows; a record that fails leaves it open.
        let shape_before = (!self.started).then(|| (self.columns.clone(), self.headerless));
        let mut rows = Vec::new();
        for value in outputs {
            if let Err(why) = self.write_value(value, &mut rows) {
                if let Some((columns, headerless)) = shape_before {
                    self.columns = columns;
                    self.headerless = headerless;
                }
                return Err(why);
            }
        }
        if !rows.is_empty() {
            self.start(out)?;
        }
        out.extend_from_slice(&rows);
        Ok(())
    }

    /// At the end of the output: with columns and no row, the header, so that an empty table
    /// still has its header. Without columns, nothing: the next row, if any, fixes the shape.
    pub(super) fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        match self.columns {
            Some(_) => self.start(out),
            None => Ok(()),
        }
    }

    /// Opens the output, if it is not open yet: the header row, if it has columns; the shape
    /// is fixed from then on.
    fn start(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        match &self.columns {
            Some(columns) => {
                let names: Vec<Dynamic> = columns.iter().map(|c| c.as_str().into()).collect();
                write_row(&names, self.delimiter, out)
            }
            None => Ok(()),
        }
    }

    fn write_value(&mut self, value: &Dynamic, out: &mut Vec<u8>) -> Result<(), String> {
        if let Some(map) = value.read_lock::<Map>() {
            if self.headerless {
                return Err(
                    "a map cannot be a row here: the output's first row was not a map, \
                            so its rows have no columns (--columns names them)"
                        .into(),
                );
            }
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
        match &self.columns {
            Some(columns) if columns.len() != fields.len() => {
                return Err(format!(
                    "the row has {} fields, not the {} columns ({})",
                    fields.len(),
                    columns.len(),
                    columns.join(",")
                ));
            }
            Some(_) => {}
            None => self.headerless = true,
        }
        write_row(&fields, self.delimiter, out)
    }
}
