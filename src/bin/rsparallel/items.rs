//! Where `run`'s items come from: ITEM arguments, `--range`, `--input FILE` or stdin; and,
//! for a file, its lines counted on the side so the progress bar can show a total.

use std::io::{self, BufRead, BufReader, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use rsparallel::input::{
    CsvOptions, InputFormat, ItemResult, read_csv_items, read_in_background, read_items,
};
use rsparallel::rhai::{Dynamic, ImmutableString};
use rsparallel::value::json_to_dynamic;
use rsparallel::{JobError, JobErrorKind, UnreadableItem};

use crate::cli::RunArgs;
use crate::reporter::Reporter;

/// ITEM arguments as items, in `--format`: strings (lines), or JSON values (jsonl), so that
/// `-e 'item * 2' 1 2 3` can be asked for numbers. An argument that is not JSON fails its
/// own job, as a bad input line does.
pub(crate) fn argument_items(
    items: Vec<String>,
    format: InputFormat,
) -> anyhow::Result<impl Iterator<Item = ItemResult> + use<>> {
    if let Some(name) = csv_name(format) {
        bail!(
            "--format {name} cannot be used with ITEM arguments: give the rows with --input or on stdin"
        );
    }
    Ok(items.into_iter().enumerate().map(move |(i, text)| {
        if matches!(format, InputFormat::Lines | InputFormat::Nul) {
            return Ok(Dynamic::from(ImmutableString::from(text)));
        }
        serde_json::from_str(&text)
            .map(json_to_dynamic)
            .map_err(|err| {
                let error = JobError::new(
                    JobErrorKind::UnreadableInput,
                    format!("argument {}: invalid JSON: {err}", i + 1),
                );
                UnreadableItem::new(ImmutableString::from(text), error)
            })
    }))
}

/// Items from an iterator read on the run's thread, or from a channel a reader thread fills.
pub(crate) enum Items {
    Iter(Box<dyn Iterator<Item = ItemResult>>),
    Channel(crossbeam_channel::Receiver<ItemResult>),
}

pub(crate) struct Input {
    pub(crate) items: Items,
    /// How many items there are, when known up front (arguments, ranges).
    pub(crate) total: Option<u64>,
    /// A regular file whose lines can be counted for the progress bar, by reading it again.
    /// Never a pipe, a FIFO or a device: a second reader would take items from the run.
    pub(crate) count_lines_of: Option<LinesToCount>,
}

/// A file whose lines are counted for the progress bar's total.
#[derive(Clone, Debug)]
pub(crate) struct LinesToCount {
    pub(crate) path: PathBuf,
    /// Whether its first line is a CSV header, not an item.
    pub(crate) header: bool,
}

/// `--format csv` or `tsv` by name; `None` for the formats that are not CSV.
fn csv_name(format: InputFormat) -> Option<&'static str> {
    match format {
        InputFormat::Csv => Some("csv"),
        InputFormat::Tsv => Some("tsv"),
        _ => None,
    }
}

/// How the input is read as CSV: `--format csv` or `tsv` as `--delimiter`, `--no-header` and
/// `--csv-types` change it; `None` for the other formats, which refuse those flags rather than
/// ignore them.
pub(crate) fn csv_options(args: &RunArgs) -> anyhow::Result<Option<CsvOptions>> {
    let Some(mut options) = CsvOptions::for_format(args.format) else {
        let given = [
            (args.delimiter.is_some(), "--delimiter"),
            (args.no_header, "--no-header"),
            (args.csv_types, "--csv-types"),
        ];
        if let Some((_, flag)) = given.into_iter().find(|(given, _)| *given) {
            bail!("{flag} is for CSV input: use it with --format csv or --format tsv");
        }
        return Ok(None);
    };
    if let Some(delimiter) = args.delimiter {
        options = options.delimiter(delimiter);
    }
    Ok(Some(options.header(!args.no_header).types(args.csv_types)))
}

/// The items of an input file or stdin, in the format the flags name.
pub(crate) fn read_input<'a, R: BufRead + Send + 'a>(
    reader: R,
    args: &RunArgs,
) -> anyhow::Result<Box<dyn Iterator<Item = ItemResult> + Send + 'a>> {
    let max_item_size = usize::try_from(args.max_item_size).unwrap_or(usize::MAX);
    Ok(match csv_options(args)? {
        Some(options) => read_csv_items(reader, options, max_item_size),
        None => read_items(reader, args.format, max_item_size),
    })
}

/// The one source of items the flags name; stdin when none is named and it is not a terminal.
pub(crate) fn open_input(args: &RunArgs, items: Vec<String>) -> anyhow::Result<Input> {
    let named: Vec<&str> = [
        (!items.is_empty(), "ITEM arguments"),
        (args.input.is_some(), "--input"),
        (args.range.is_some(), "--range"),
    ]
    .into_iter()
    .filter_map(|(given, name)| given.then_some(name))
    .collect();
    if let [first, second, ..] = named[..] {
        bail!("{first} and {second} cannot be used together: give items one way");
    }
    // A CSV flag with another format is refused before any input is opened.
    let csv = csv_options(args)?;
    // `--head N`: the first N items of whatever the input is, and no more read.
    let head = args
        .head
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let total = |n: u64| Some(args.head.map_or(n, |head| head.min(n)));
    if !items.is_empty() {
        let count = items.len() as u64;
        let items = argument_items(items, args.format)?.take(head);
        return Ok(Input {
            items: Items::Iter(Box::new(items)),
            total: total(count),
            count_lines_of: None,
        });
    }
    if let Some(range) = args.range {
        return Ok(Input {
            items: Items::Iter(Box::new(range.items().take(head))),
            total: total(range.len()),
            count_lines_of: None,
        });
    }
    let stdin_named = args.input.as_ref().is_some_and(|p| p.as_os_str() == "-");
    match &args.input {
        Some(path) if !stdin_named => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open --input {}", path.display()))?;
            let kind = file
                .metadata()
                .with_context(|| format!("cannot read --input {}", path.display()))?
                .file_type();
            if kind.is_dir() {
                bail!(
                    "--input {} is a folder, not a file of items",
                    path.display()
                );
            }
            let reader = BufReader::with_capacity(64 * 1024, file);
            let items = Box::new(read_input(reader, args)?.take(head));
            if kind.is_file() {
                // A regular file never blocks for long: read it on this thread, with no
                // hand-off cost.
                return Ok(Input {
                    items: Items::Iter(items),
                    total: args.head,
                    // With --head, the bar's total is known already.
                    count_lines_of: args.head.is_none().then(|| LinesToCount {
                        path: path.clone(),
                        header: csv.is_some_and(|csv| csv.header),
                    }),
                });
            }
            // A FIFO, `/dev/stdin`, a process substitution: it may go silent like stdin, and
            // it can be read only once.
            Ok(Input {
                items: Items::Channel(read_in_background(items)?),
                total: None,
                count_lines_of: None,
            })
        }
        _ if stdin_named || !io::stdin().is_terminal() => {
            let reader = BufReader::with_capacity(64 * 1024, io::stdin());
            let items = Box::new(read_input(reader, args)?.take(head));
            // Stdin may go silent: read it on a thread, so the run never blocks on it.
            Ok(Input {
                items: Items::Channel(read_in_background(items)?),
                total: None,
                count_lines_of: None,
            })
        }
        _ => bail!("no items: give ITEM arguments, --input FILE, --range A..B, or pipe them in"),
    }
}

/// Counts a file's lines on a thread of its own and gives the progress bar its total: its
/// lines but a CSV header. (A CSV field may hold line breaks: the total is then too high.)
pub(crate) fn count_lines_later(file: LinesToCount, format: InputFormat, reporter: Arc<Reporter>) {
    let _ = std::thread::Builder::new()
        .name("rsparallel-count".into())
        .spawn(move || {
            let LinesToCount { path, header } = file;
            // Streamed through a fixed buffer: the count costs no memory however big the file.
            let Ok(mut file) = std::fs::File::open(&path) else {
                return;
            };
            let mut buffer = vec![0_u8; 256 * 1024];
            let end = if format == InputFormat::Nul { 0 } else { b'\n' };
            let (mut lines, mut last) = (0_u64, end);
            loop {
                match std::io::Read::read(&mut file, &mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        lines += buffer[..n].iter().filter(|b| **b == end).count() as u64;
                        last = buffer[n - 1];
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
            if last != end {
                lines += 1;
            }
            if header {
                lines = lines.saturating_sub(1);
            }
            reporter.set_total(lines);
        });
}
