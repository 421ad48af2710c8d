//! The lines a job wrote to its streams, kept in its record.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// Which stream a line a job wrote belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamKind {
    /// `print(..)`: text for the host's user.
    Print,
    /// `debug(..)`: diagnostic text.
    Debug,
    /// `warn(..)`: something the user should know, that does not fail the job.
    Warn,
    /// `verbose(..)`: detail shown only when asked for (`--verbose`).
    Verbose,
    /// `error(..)`: a non-terminating error: the job goes on, and its record is marked.
    Error,
}

impl StreamKind {
    /// The stream's name as records and prefixes show it.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Print => "print",
            StreamKind::Debug => "debug",
            StreamKind::Warn => "warn",
            StreamKind::Verbose => "verbose",
            StreamKind::Error => "error",
        }
    }
}

/// One line a job wrote to one of its streams.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamLine {
    /// The stream.
    pub kind: StreamKind,
    /// The text, without a trailing newline.
    pub text: String,
}

/// The lines a job wrote to its streams (`print`, `debug`, `warn`, `verbose`, `error`), in
/// order.
///
/// It reads as a slice (`streams[0]`, `streams.len()`, `streams.iter()`). Most jobs write
/// nothing, and then it is one null pointer: a record small enough to be copied inline, at
/// millions of records a second, rather than through a call to `memcpy` at every move.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct JobStreams(
    #[expect(
        clippy::box_collection,
        reason = "one word in the record where a `Vec` takes three; the extra allocation is \
                  made only by jobs that write lines"
    )]
    Option<Box<Vec<StreamLine>>>,
);

impl JobStreams {
    /// No lines.
    pub fn new() -> Self {
        JobStreams(None)
    }

    /// Adds a line at the end.
    pub fn push(&mut self, line: StreamLine) {
        self.0.get_or_insert_default().push(line);
    }

    /// The lines, as a `Vec`.
    pub fn into_vec(self) -> Vec<StreamLine> {
        self.0.map(|lines| *lines).unwrap_or_default()
    }
}

impl Deref for JobStreams {
    type Target = [StreamLine];

    fn deref(&self) -> &[StreamLine] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl DerefMut for JobStreams {
    fn deref_mut(&mut self) -> &mut [StreamLine] {
        self.0.as_deref_mut().map_or(&mut [], Vec::as_mut_slice)
    }
}

impl fmt::Debug for JobStreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<StreamLine>> for JobStreams {
    fn from(lines: Vec<StreamLine>) -> Self {
        JobStreams((!lines.is_empty()).then(|| Box::new(lines)))
    }
}

impl From<JobStreams> for Vec<StreamLine> {
    fn from(streams: JobStreams) -> Self {
        streams.into_vec()
    }
}

impl FromIterator<StreamLine> for JobStreams {
    fn from_iter<T: IntoIterator<Item = StreamLine>>(iter: T) -> Self {
        JobStreams::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl IntoIterator for JobStreams {
    type Item = StreamLine;
    type IntoIter = std::vec::IntoIter<StreamLine>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl<'a> IntoIterator for &'a JobStreams {
    type Item = &'a StreamLine;
    type IntoIter = std::slice::Iter<'a, StreamLine>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::StreamKind;
    use super::*;

    #[test]
    fn no_lines_take_one_word_and_lines_read_as_a_slice() {
        assert_eq!(size_of::<JobStreams>(), size_of::<usize>());
        let mut streams = JobStreams::new();
        assert!(streams.is_empty());
        let line = |text: &str| StreamLine {
            kind: StreamKind::Print,
            text: text.into(),
        };
        streams.push(line("a"));
        streams.push(line("b"));
        let texts: Vec<&str> = streams.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a", "b"]);
        assert_eq!(JobStreams::from(Vec::new()), JobStreams::new());
        assert_eq!(streams.clone().into_iter().count(), 2);
        assert_eq!(streams.into_vec().len(), 2);
        assert_eq!(JobStreams::from_iter([line("c")])[0].text, "c");
    }
}
