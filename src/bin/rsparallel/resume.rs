//! `--resume`: refusing a job log from another input before anything runs, and handing the run
//! the items read ahead to check it.

use std::collections::VecDeque;
use std::io::BufReader;
use std::sync::Arc;

use std::path::Path;

use anyhow::{Context, bail};
use rsparallel::input::ItemResult;
use rsparallel::rhai::Dynamic;

use crate::cli::RunArgs;
use crate::items::{Input, Items, argument_items, read_input};
use crate::joblog::LogIndex;
use crate::run::split_args;

/// Whether the run takes the item at a seq.
pub(crate) type Keep = Arc<dyn Fn(u64) -> bool + Send + Sync>;

/// Refuses to resume from a log whose items are not the input's: the log records each item
/// next to its seq, and a log from another input would otherwise have the run skip whatever
/// sits at the logged seqs, silently.
///
/// Nothing runs before every item the log names has been compared with the input's item at
/// the same seq, so a mismatch is refused (exit 2) with no job run and no record written:
/// - an input that can be read again (arguments, a range, a regular file) is read once up
///   to the log's last seq, item by item, holding nothing, and then again by the run;
/// - one that can be read only once (stdin, a FIFO) is read ahead up to the log's last seq
///   before the run starts (waiting for it, if it is slow), holding back only the items the
///   run will take up to that seq; the ones it passes over are held as a count. Those are
///   the items the log has no line for, or a line the run does not skip: for a killed run's
///   log, the jobs that were running; for a halted run's, its skipped items.
///
/// So a mismatch at any logged seq, not only the first, stops the run before it starts, and
/// memory stays that of the log: its items are held as hashes (a collision, one in 2^64,
/// would pass), the input is never read past the log's last seq ahead of the run, and what
/// is held back is bounded by that seq. A regular file that changes between the two
/// readings is not noticed.
pub(crate) fn check_resume(
    args: &RunArgs,
    input: Input,
    log: &LogIndex,
    keep: &Keep,
) -> anyhow::Result<Input> {
    if log.logged() == 0 {
        return Ok(input);
    }
    match input.items {
        Items::Iter(items) => {
            compare(args, log, reread(args)?, |_, _| {})?;
            Ok(Input {
                items: Items::Iter(items),
                ..input
            })
        }
        Items::Channel(items) => {
            let mut ahead = VecDeque::new();
            let rest = items.clone();
            compare(args, log, items.into_iter(), |seq, item| {
                if keep(seq) {
                    ahead.push_back(Ahead::Item(item));
                } else if let Some(Ahead::PassedOver(n)) = ahead.back_mut() {
                    *n += 1;
                } else {
                    ahead.push_back(Ahead::PassedOver(1));
                }
            })?;
            Ok(Input {
                items: Items::Channel(replay(ahead, rest)),
                ..input
            })
        }
    }
}

/// Items read ahead of a resumed run: one it takes, or a run of items it passes over.
enum Ahead {
    Item(ItemResult),
    PassedOver(u64),
}

/// Reads `items` until every seq the log names has been compared, handing each item read to
/// `keep`; the first seq whose item differs from the logged one is an error naming both.
fn compare(
    args: &RunArgs,
    log: &LogIndex,
    items: impl Iterator<Item = ItemResult>,
    mut keep: impl FnMut(u64, ItemResult),
) -> anyhow::Result<()> {
    let path = args.long_run.joblog.as_deref().unwrap_or(Path::new("?"));
    let (mut seq, mut compared) = (0_u64, 0_usize);
    for item in items {
        if log.names(seq) {
            let value = match &item {
                Ok(value) => value,
                Err(bad) => &bad.raw,
            };
            if !log.matches(seq, value) {
                bail!(
                    "--joblog {} is not a log of this input, so it cannot be resumed: at seq \
                     {seq} it records item {}, where the input has {}; nothing was run",
                    path.display(),
                    log.logged_item(seq),
                    crate::joblog::shown_item(value),
                );
            }
            compared += 1;
        }
        keep(seq, item);
        seq += 1;
        if compared == log.logged() {
            return Ok(());
        }
    }
    let missing = log.first_beyond(seq).unwrap_or(seq);
    bail!(
        "--joblog {} is not a log of this input, so it cannot be resumed: at seq {missing} it \
         records item {}, where the input ends after {seq} items; nothing was run",
        path.display(),
        log.logged_item(missing),
    );
}

/// A second reader of an input that can be read again: the arguments, the range, or the
/// regular file `open_input` reads on the run's thread.
fn reread(args: &RunArgs) -> anyhow::Result<Box<dyn Iterator<Item = ItemResult>>> {
    let (_, items) = split_args(args)?;
    if !items.is_empty() {
        return Ok(Box::new(argument_items(items, args.format)?));
    }
    if let Some(range) = args.range {
        return Ok(Box::new(range.items()));
    }
    let Some(path) = &args.input else {
        bail!("no input to read again");
    };
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open --input {}", path.display()))?;
    let reader = BufReader::with_capacity(64 * 1024, file);
    // With the flags the run reads it with (`--delimiter`, `--no-header`, `--csv-types`):
    // the items compared must be the items run.
    Ok(read_input(reader, args)?)
}

/// The items read ahead, then the rest of the input, on a channel of their own.
fn replay(
    ahead: VecDeque<Ahead>,
    rest: crossbeam_channel::Receiver<ItemResult>,
) -> crossbeam_channel::Receiver<ItemResult> {
    let (tx, rx) = crossbeam_channel::bounded(4096);
    std::thread::Builder::new()
        .name("rsparallel-input".into())
        .spawn(move || {
            for entry in ahead {
                match entry {
                    Ahead::Item(item) => {
                        if tx.send(item).is_err() {
                            return;
                        }
                    }
                    // Never run: the run passes over their seqs without looking at them.
                    Ahead::PassedOver(n) => {
                        for _ in 0..n {
                            if tx.send(Ok(Dynamic::UNIT)).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
            for item in rest {
                if tx.send(item).is_err() {
                    return;
                }
            }
        })
        .expect("starting the input thread");
    rx
}
