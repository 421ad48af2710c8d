//! Where a run's items come from: an iterator, read when the pool has room, or a channel, read
//! without ever blocking the run (so records keep flowing while the input is silent).

use crossbeam_channel::{Receiver, TryRecvError};
use rhai::Dynamic;

use crate::input::UnreadableItem;

pub(crate) type ItemResult = Result<Dynamic, UnreadableItem>;

pub(crate) enum Source<I> {
    Iter(I),
    Channel {
        items: Receiver<ItemResult>,
        /// An item taken while waiting on the channel, to be read first.
        lookahead: Option<ItemResult>,
    },
    Ended,
}

/// What reading a source gave.
pub(crate) enum Read {
    Item(ItemResult),
    /// A channel source is empty for now.
    WouldBlock,
    Ended,
}

impl<I: Iterator<Item = ItemResult>> Source<I> {
    #[inline]
    pub(crate) fn read(&mut self) -> Read {
        let read = match self {
            Source::Iter(items) => items.next().map_or(Read::Ended, Read::Item),
            Source::Channel { items, lookahead } => match lookahead.take() {
                Some(item) => Read::Item(item),
                None => match items.try_recv() {
                    Ok(item) => Read::Item(item),
                    Err(TryRecvError::Empty) => Read::WouldBlock,
                    Err(TryRecvError::Disconnected) => Read::Ended,
                },
            },
            Source::Ended => Read::Ended,
        };
        if matches!(read, Read::Ended) {
            *self = Source::Ended;
        }
        read
    }

    pub(crate) fn is_ended(&self) -> bool {
        matches!(self, Source::Ended)
    }

    pub(crate) fn end(&mut self) {
        *self = Source::Ended;
    }

    /// The channel to wait on when a channel source is empty for now.
    pub(crate) fn waiting_channel(&self) -> Option<&Receiver<ItemResult>> {
        match self {
            Source::Channel {
                items,
                lookahead: None,
            } => Some(items),
            _ => None,
        }
    }

    /// Takes the item received while waiting, if there is one.
    pub(crate) fn take_lookahead(&mut self) -> Option<ItemResult> {
        match self {
            Source::Channel { lookahead, .. } => lookahead.take(),
            _ => None,
        }
    }

    /// Keeps an item received while waiting, or ends the source if the channel closed.
    pub(crate) fn received(&mut self, item: Option<ItemResult>) {
        match (item, self) {
            (Some(item), Source::Channel { lookahead, .. }) => *lookahead = Some(item),
            (_, source) => *source = Source::Ended,
        }
    }
}
