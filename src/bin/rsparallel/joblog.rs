//! `--joblog`: one tab-separated line per finished job, written as it goes so that a killed
//! run leaves a usable log; and reading one back for `--resume`.
//!
//! What a kill can leave behind, and what resuming makes of it: a job's output is written and
//! flushed before its log line, and only a complete line (ending in a newline) counts. A line
//! cut short by a kill (or a full disk) is ignored when the log is read, and cut off before the
//! resumed run appends, so it never merges with the next line; its item runs again.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fs::{File, OpenOptions};
use std::hash::Hasher;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{Context, bail};
use rsparallel::rhai::Dynamic;
use rsparallel::value::write_json;
use rsparallel::{JobRecord, JobStatus};

use crate::sinks::Sink;

const HEADER: &str = "seq\tworker\tstart\truntime\tstatus\tattempts\titem";

/// The longest the first six fields of a line can be; a longer line is not one of ours.
const MAX_HEAD: usize = 1024;

/// How much of an item a message about it shows.
const SHOWN: usize = 200;

pub struct JobLog {
    file: File,
    line: Vec<u8>,
}

impl JobLog {
    /// Opens the log: a new one with its header, or, resuming, the old one to append to, less
    /// a torn last line.
    pub fn open(path: &Path, append: bool) -> anyhow::Result<JobLog> {
        let mut options = OpenOptions::new();
        options.create(true);
        if append {
            options.read(true).append(true);
        } else {
            options.write(true).truncate(true);
        }
        let mut file = options
            .open(path)
            .with_context(|| format!("cannot open --joblog {}", path.display()))?;
        if append {
            drop_torn_line(&mut file)
                .with_context(|| format!("cannot repair --joblog {}", path.display()))?;
        }
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
}

impl Sink for JobLog {
    /// Writes one record's line with a single write.
    fn record(&mut self, record: &mut JobRecord) -> std::io::Result<()> {
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
        item_json(&record.item, line);
        line.push(b'\n');
        self.file.write_all(line)
    }

    fn is_output(&self) -> bool {
        true
    }
}

/// Appends an item as the log writes it: JSON, or `null` for a value JSON has no form for.
pub fn item_json(item: &Dynamic, out: &mut Vec<u8>) {
    let start = out.len();
    if write_json(item, out).is_err() {
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
}

/// Cuts a file back to its last newline: what a kill in the middle of a line leaves is
/// dropped, so the next line appended starts on a line of its own.
fn drop_torn_line(file: &mut File) -> std::io::Result<()> {
    let len = file.metadata()?.len();
    let mut end = len;
    let mut chunk = vec![0_u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(part)?;
        if let Some(i) = part.iter().rposition(|b| *b == b'\n') {
            end = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    if end < len {
        file.set_len(end)?;
    }
    Ok(())
}

/// What a job log records, for `--resume`: per seq, whether its last complete line has a
/// status the resumed run skips, and a hash of the item it names (to compare with the input).
pub struct LogIndex {
    path: PathBuf,
    entries: HashMap<u64, Entry>,
    max_line: u64,
}

struct Entry {
    done: bool,
    item: u64,
}

impl LogIndex {
    /// Reads the log at `path`; a log that does not exist yet records nothing. Lines that do
    /// not parse (the header, a torn last line) are ignored; a later line for a seq (a resumed
    /// run) supersedes an earlier one. Only a regular file is read, and a line longer than
    /// `max_line` bytes is an error: the log is streamed, with a memory that does not grow
    /// with its lines, and garbage fails as soon as it is clearly not a log.
    pub fn read(path: &Path, skip: &[JobStatus], max_line: u64) -> anyhow::Result<LogIndex> {
        let mut index = LogIndex {
            path: path.to_path_buf(),
            entries: HashMap::new(),
            max_line,
        };
        let Some(file) = open_log(path)? else {
            return Ok(index);
        };
        let entries = &mut index.entries;
        scan(file, path, max_line, |seq, status, item, _| {
            let done = skip.iter().any(|s| s.as_str().as_bytes() == status);
            entries.insert(seq, Entry { done, item });
        })?;
        Ok(index)
    }

    /// Whether the log records `seq` as run, with a status the resumed run skips.
    pub fn is_done(&self, seq: u64) -> bool {
        self.entries.get(&seq).is_some_and(|e| e.done)
    }

    /// How many seqs the log records.
    pub fn logged(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log names `seq`, and so its item is to be compared with the input's.
    pub fn names(&self, seq: u64) -> bool {
        self.entries.contains_key(&seq)
    }

    /// Whether `item`, as the log would write it, is the item the log records for `seq` (or
    /// the log does not name `seq`).
    pub fn matches(&self, seq: u64, item: &Dynamic) -> bool {
        let Some(entry) = self.entries.get(&seq) else {
            return true;
        };
        let mut json = Vec::new();
        item_json(item, &mut json);
        hash(&json) == entry.item
    }

    /// The smallest seq the log names that is not among the first `read` seqs.
    pub fn first_beyond(&self, read: u64) -> Option<u64> {
        self.entries.keys().filter(|s| **s >= read).min().copied()
    }

    /// The item the log's last line for `seq` names, cut short for a message.
    pub fn logged_item(&self, seq: u64) -> String {
        let mut found = String::from("?");
        if let Ok(Some(file)) = open_log(&self.path) {
            let _ = scan(file, &self.path, self.max_line, |s, _, _, shown| {
                if s == seq {
                    found = shown.to_string();
                }
            });
        }
        found
    }
}

/// A short form of an item, as the log would write it, for a message.
pub fn shown_item(item: &Dynamic) -> String {
    let mut json = Vec::new();
    item_json(item, &mut json);
    shorten(&json, json.len() as u64)
}

/// The start of an item's JSON (`len` bytes in all), whole when short.
fn shorten(json: &[u8], len: u64) -> String {
    if len <= SHOWN as u64 && json.len() as u64 == len {
        return String::from_utf8_lossy(json).into_owned();
    }
    let mut cut = SHOWN.min(json.len());
    while cut > 0 && cut < json.len() && (json[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    format!("{}… ({len} bytes)", String::from_utf8_lossy(&json[..cut]))
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

/// The log to resume from: `None` when there is none yet. Only a regular file can be read
/// back and then appended to; a device (`/dev/zero`), a FIFO or a folder is refused.
fn open_log(path: &Path) -> anyhow::Result<Option<File>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read --joblog {}", path.display()));
        }
    };
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read --joblog {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "--joblog {} is not a regular file: a log to resume from is read back and appended to",
            path.display()
        );
    }
    Ok(Some(file))
}

/// Streams a log's complete lines through `line(seq, status, item hash, item shown)`. The
/// item, which can be as long as an input line, is hashed as it goes by, never held; what is
/// after the last newline (a torn line) is ignored.
fn scan(
    file: File,
    path: &Path,
    max_line: u64,
    mut line: impl FnMut(u64, &[u8], u64, &str),
) -> anyhow::Result<()> {
    let fail = || format!("cannot read --joblog {}", path.display());
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut head = Vec::with_capacity(128);
    let mut head_ok = true;
    let mut tabs = 0;
    let mut hasher = DefaultHasher::new();
    let (mut item_len, mut line_len) = (0_u64, 0_u64);
    let mut shown = Vec::new();
    let mut line_no = 1_u64;
    loop {
        let buf = reader.fill_buf().with_context(fail)?;
        if buf.is_empty() {
            return Ok(());
        }
        let mut i = 0;
        while i < buf.len() {
            let rest = &buf[i..];
            let end = rest.iter().position(|b| *b == b'\n');
            let part = &rest[..end.unwrap_or(rest.len())];
            line_len += part.len() as u64;
            if line_len > max_line {
                bail!(
                    "--joblog {}: line {line_no} is longer than {max_line} bytes; is it a job log?",
                    path.display()
                );
            }
            // The first six fields, each ending in a tab; then the item, to the newline.
            let mut j = 0;
            while tabs < 6 && j < part.len() {
                tabs += usize::from(part[j] == b'\t');
                if head.len() < MAX_HEAD {
                    head.push(part[j]);
                } else {
                    head_ok = false;
                }
                j += 1;
            }
            let item = &part[j..];
            hasher.write(item);
            item_len += item.len() as u64;
            if shown.len() <= SHOWN {
                shown.extend_from_slice(&item[..item.len().min(SHOWN + 1 - shown.len())]);
            }
            i += part.len();
            if end.is_none() {
                continue;
            }
            i += 1;
            // A complete line: seq, worker, start, runtime, status, attempts, item.
            if tabs == 6 && head_ok {
                let mut fields = head.split(|b| *b == b'\t');
                let seq = fields.next().and_then(|f| std::str::from_utf8(f).ok());
                if let Some(seq) = seq.and_then(|s| s.parse::<u64>().ok()) {
                    let status = fields.nth(3).unwrap_or_default();
                    line(seq, status, hasher.finish(), &shorten(&shown, item_len));
                }
            }
            head.clear();
            head_ok = true;
            tabs = 0;
            hasher = DefaultHasher::new();
            (item_len, line_len) = (0, 0);
            shown.clear();
            line_no += 1;
        }
        let used = buf.len();
        reader.consume(used);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_fed_in_parts_equals_the_hash_of_the_whole() {
        let whole = b"{\"a\":[1,2,3],\"b\":\"some longer text to cross a block\"}";
        for cut in 0..whole.len() {
            let mut hasher = DefaultHasher::new();
            hasher.write(&whole[..cut]);
            hasher.write(&whole[cut..]);
            assert_eq!(hasher.finish(), hash(whole), "cut at {cut}");
        }
    }
}
