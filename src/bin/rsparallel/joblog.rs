//! `--joblog`: one tab-separated line per finished job, written as it goes so that a killed
//! run leaves a usable log; and reading one back for `--resume`.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::time::UNIX_EPOCH;

use anyhow::Context;
use rsparallel::value::write_json;
use rsparallel::{JobRecord, JobStatus};

const HEADER: &str = "seq\tworker\tstart\truntime\tstatus\tattempts\titem";

pub struct JobLog {
    file: File,
    line: Vec<u8>,
}

impl JobLog {
    /// Opens the log: a new one with its header, or, resuming, the old one to append to.
    pub fn open(path: &Path, append: bool) -> anyhow::Result<JobLog> {
        let mut options = OpenOptions::new();
        options.create(true);
        if append {
            options.append(true);
        } else {
            options.write(true).truncate(true);
        }
        let mut file = options
            .open(path)
            .with_context(|| format!("cannot open --joblog {}", path.display()))?;
        let empty = file.metadata().map(|m| m.len() == 0).unwrap_or(true);
        if empty {
            writeln!(file, "{HEADER}")
                .with_context(|| format!("cannot write --joblog {}", path.display()))?;
        }
        Ok(JobLog {
            file,
            line: Vec::with_capacity(128),
        })
    }

    /// Writes one record's line with a single write, so a kill never leaves half a line.
    pub fn write(&mut self, record: &JobRecord) -> std::io::Result<()> {
        let line = &mut self.line;
        line.clear();
        write!(line, "{}\t", record.seq)?;
        match record.worker {
            Some(w) => write!(line, "{w}\t")?,
            None => line.extend_from_slice(b"-\t"),
        }
        match record.start.and_then(|s| s.duration_since(UNIX_EPOCH).ok()) {
            Some(start) => write!(line, "{:.6}\t", start.as_secs_f64())?,
            None => line.extend_from_slice(b"-\t"),
        }
        write!(
            line,
            "{:.6}\t{}\t{}\t",
            record.duration().as_secs_f64(),
            record.status,
            record.attempts
        )?;
        if write_json(&record.item, line).is_err() {
            line.extend_from_slice(b"null");
        }
        line.push(b'\n');
        self.file.write_all(line)
    }
}

/// The seqs a log records with one of `statuses`: what a resumed run skips. Lines that do not
/// parse (the header, a torn last line) are ignored.
pub fn finished_seqs(path: &Path, statuses: &[JobStatus]) -> anyhow::Result<HashSet<u64>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read --joblog {}", path.display()));
        }
    };
    let mut done = HashSet::new();
    for line in BufReader::new(file).lines() {
        let line = line.with_context(|| format!("cannot read --joblog {}", path.display()))?;
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 7 {
            continue;
        }
        let Ok(seq) = fields[0].parse::<u64>() else {
            continue;
        };
        if statuses.iter().any(|s| s.as_str() == fields[4]) {
            done.insert(seq);
        } else {
            // A later line for the same seq (a resumed run) supersedes an earlier one.
            done.remove(&seq);
        }
    }
    Ok(done)
}
