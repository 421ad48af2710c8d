//! Reading stdin on a thread of its own, so that the run never blocks on a read: records keep
//! flowing while the input is silent, and Ctrl-C ends a run even then.

use crossbeam_channel::Receiver;
use rsparallel::input::ItemResult;

/// Items in flight between the reader thread and the run; a bound keeps memory flat.
const IN_FLIGHT: usize = 4096;

/// Reads `items` on a background thread into a channel for
/// [`RunspacePool::run_receiver`](rsparallel::RunspacePool::run_receiver).
pub fn read_in_background(
    items: Box<dyn Iterator<Item = ItemResult> + Send>,
) -> Receiver<ItemResult> {
    let (tx, rx) = crossbeam_channel::bounded(IN_FLIGHT);
    // The thread ends at the end of the input, or at its next item once the run is gone.
    std::thread::Builder::new()
        .name("rsparallel-input".into())
        .spawn(move || {
            for item in items {
                if tx.send(item).is_err() {
                    break;
                }
            }
        })
        .expect("starting the input thread");
    rx
}
