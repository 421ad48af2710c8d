//! Record writers: the text form (each output value on its own line), JSON Lines (one record
//! per line), and CSV or TSV (each output value a row).

use std::io::{self, Write};

use crate::record::job::{JobError, JobErrorKind, JobRecord, JobStatus};
use crate::record::output::JobOutput;
pub use crate::record::tag::tag_text;
use crate::value::{write_int, write_json, write_json_str, write_text};

mod csv_rows;
mod format;
mod times;

use csv_rows::CsvRows;

pub use format::OutputFormat;
use times::{write_millis, write_time};

impl JobRecord {
    /// Appends the record as one compact JSON object (no newline). Fails, naming the type,
    /// when an output value has no JSON form.
    pub fn write_json(&self, out: &mut Vec<u8>) -> Result<(), String> {
        out.extend_from_slice(b"{\"seq\":");
        write_int(self.seq as rhai::INT, out);
        out.extend_from_slice(b",\"item\":");
        let item_at = out.len();
        if write_json(&self.item, out).is_err() {
            // An item a host passed in with no JSON form is still named, by its text.
            out.truncate(item_at);
            write_json_str(&self.item.to_string(), out);
        }
        out.extend_from_slice(b",\"status\":\"");
        out.extend_from_slice(self.status.as_str().as_bytes());
        out.extend_from_slice(b"\",\"output\":[");
        for (i, value) in self.output.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json(value, out)?;
        }
        out.extend_from_slice(b"],\"error\":");
        match &self.error {
            None => out.extend_from_slice(b"null"),
            Some(error) => write_error(error, out),
        }
        out.extend_from_slice(b",\"worker\":");
        match self.worker {
            Some(w) => write_int(w as rhai::INT, out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"start\":");
        write_time(self.start, out);
        out.extend_from_slice(b",\"end\":");
        write_time(self.end, out);
        out.extend_from_slice(b",\"duration_ms\":");
        write_millis(self.duration(), out);
        out.extend_from_slice(b",\"attempts\":");
        write_int(i64::from(self.attempts), out);
        out.extend_from_slice(b",\"streams\":[");
        for (i, line) in self.streams.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"stream\":\"");
            out.extend_from_slice(line.kind.as_str().as_bytes());
            out.extend_from_slice(b"\",\"text\":");
            write_json_str(&line.text, out);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        Ok(())
    }

    /// The record as a JSON value, with the fields of [`JobRecord::write_json`].
    pub fn to_json(&self) -> Result<serde_json::Value, String> {
        let mut out = Vec::new();
        self.write_json(&mut out)?;
        serde_json::from_slice(&out).map_err(|e| e.to_string())
    }

    /// Marks the record failed because its output cannot be written, dropping the output.
    pub fn fail_output(&mut self, why: String) {
        self.status = JobStatus::Failed;
        self.output = JobOutput::new();
        self.error = Some(Box::new(JobError::new(
            JobErrorKind::Output,
            format!("output cannot be written: {why}"),
        )));
    }
}

fn write_error(error: &JobError, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":\"");
    out.extend_from_slice(error.kind.as_str().as_bytes());
    out.extend_from_slice(b"\",\"message\":");
    write_json_str(&error.message, out);
    if let Some(thrown) = &error.thrown {
        out.extend_from_slice(b",\"thrown\":");
        let at = out.len();
        if write_json(thrown, out).is_err() {
            // A thrown value with no JSON form (a function pointer) is named by its text.
            out.truncate(at);
            write_json_str(&crate::value::message_text(thrown), out);
        }
    }
    if let Some(line) = error.line {
        write!(out, ",\"line\":{line}").expect("writing to a Vec cannot fail");
    }
    if let Some(column) = error.column {
        write!(out, ",\"column\":{column}").expect("writing to a Vec cannot fail");
    }
    out.push(b'}');
}

/// Writes records to `out` in one format.
pub struct RecordWriter<W: Write> {
    out: W,
    format: OutputFormat,
    tagged: bool,
    buf: Vec<u8>,
    /// The columns of CSV and TSV output.
    rows: Option<CsvRows>,
}

impl<W: Write> RecordWriter<W> {
    /// A writer of `format` to `out` (give it a buffered writer).
    pub fn new(out: W, format: OutputFormat) -> Self {
        RecordWriter {
            out,
            format,
            tagged: false,
            buf: Vec::with_capacity(256),
            rows: match format {
                OutputFormat::Csv => Some(CsvRows::new(b',', None)),
                OutputFormat::Tsv => Some(CsvRows::new(b'\t', None)),
                _ => None,
            },
        }
    }

    /// In CSV and TSV form, the columns and their order (else the first map's keys).
    pub fn columns(mut self, columns: Vec<String>) -> Self {
        let delimiter = if self.format == OutputFormat::Tsv {
            b'\t'
        } else {
            b','
        };
        if self.rows.is_some() {
            self.rows = Some(CsvRows::new(delimiter, Some(columns)));
        }
        self
    }

    /// In text form, starts each output line with the job's seq and item, tab-separated, as
    /// GNU parallel's `--tag` does.
    pub fn tagged(mut self, tagged: bool) -> Self {
        self.tagged = tagged;
        self
    }

    /// Writes one record. When a value cannot be written in the format, the record is turned
    /// into a `failed` one saying so (see [`JobRecord::fail_output`]) and written as such.
    pub fn write(&mut self, record: &mut JobRecord) -> io::Result<()> {
        self.buf.clear();
        if let Err(why) = self.format_record(record) {
            record.fail_output(why);
            self.buf.clear();
            self.format_record(record)
                .unwrap_or_else(|why| panic!("a failed record is always writable: {why}"));
        }
        self.out.write_all(&self.buf)
    }

    fn format_record(&mut self, record: &JobRecord) -> Result<(), String> {
        match self.format {
            OutputFormat::Text => {
                if record.status == JobStatus::Completed {
                    for value in &record.output {
                        let start = self.buf.len();
                        if self.tagged {
                            let tag = format!("{}\t{}\t", record.seq, tag_text(&record.item));
                            self.buf.extend_from_slice(tag.as_bytes());
                        }
                        if write_text(value, &mut self.buf)? {
                            self.buf.push(b'\n');
                        } else {
                            self.buf.truncate(start);
                        }
                    }
                }
            }
            OutputFormat::Jsonl => {
                record.write_json(&mut self.buf)?;
                self.buf.push(b'\n');
            }
            _ => {
                if let Some(rows) = &mut self.rows
                    && record.status == JobStatus::Completed
                {
                    rows.write_record(record.output.iter(), &mut self.buf)?;
                }
            }
        }
        Ok(())
    }

    /// Writes a run's aggregate ([`Run::aggregate`](crate::Run::aggregate)), after its
    /// records: in text form each value on its own line, in CSV or TSV each a row under the
    /// same columns, in JSON Lines each as `{"aggregate":VALUE}`, a line no record has. Fails
    /// with [`io::ErrorKind::InvalidData`], naming the problem, when a value has no form in the
    /// format (or a row does not fit the columns); nothing is written then.
    pub fn write_aggregate(&mut self, values: &[rhai::Dynamic]) -> io::Result<()> {
        self.buf.clear();
        let written: Result<(), String> = match self.format {
            OutputFormat::Text => values.iter().try_for_each(|value| {
                if write_text(value, &mut self.buf)? {
                    self.buf.push(b'\n');
                }
                Ok(())
            }),
            OutputFormat::Jsonl => values.iter().try_for_each(|value| {
                self.buf.extend_from_slice(b"{\"aggregate\":");
                write_json(value, &mut self.buf)?;
                self.buf.extend_from_slice(b"}\n");
                Ok(())
            }),
            _ => match &mut self.rows {
                Some(rows) => rows.write_record(values.iter(), &mut self.buf),
                None => Ok(()),
            },
        };
        written.map_err(|why| io::Error::new(io::ErrorKind::InvalidData, why))?;
        self.out.write_all(&self.buf)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Ends the output and flushes it: in CSV or TSV form with named columns
    /// ([`columns`](Self::columns)) and no row written, writes the header row, so that an
    /// empty result is still a table with its columns.
    pub fn finish(&mut self) -> io::Result<()> {
        if let Some(rows) = &mut self.rows {
            self.buf.clear();
            rows.finish(&mut self.buf)
                .map_err(|why| io::Error::new(io::ErrorKind::InvalidData, why))?;
            self.out.write_all(&self.buf)?;
        }
        self.out.flush()
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}
