//! The formats records are written in, by the names the command line gives them.

use std::str::FromStr;

/// How records are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputFormat {
    /// Each output value on its own line; failed jobs write nothing.
    Text,
    /// One JSON object per job with `seq`, `item`, `status`, `output`, `error`, `worker`,
    /// `start`, `end`, `duration_ms`, `attempts`, `streams`.
    Jsonl,
    /// Each output value a CSV row (a map under its keys, an array its fields), after a header
    /// row of the columns.
    Csv,
    /// As `Csv`, with tabs between fields.
    Tsv,
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(OutputFormat::Text),
            "jsonl" | "json" => Ok(OutputFormat::Jsonl),
            "csv" => Ok(OutputFormat::Csv),
            "tsv" => Ok(OutputFormat::Tsv),
            other => Err(format!(
                "unknown output format '{other}' (text, jsonl, csv, tsv)"
            )),
        }
    }
}
