//! Values as one CSV (or TSV) row: each field in its text form, quoted by the `csv` crate
//! where it must be (a delimiter, a quote or a line break in it).

use rhai::Dynamic;

use super::write_text;
use crate::limits::signal::Steps;

/// Appends `fields` as one row ended by `\n`, with `delimiter` between them. Fails, naming the
/// type, on a value with no text form, and on a row of no fields, which CSV cannot tell from
/// one empty field (`""`). Fields are written one at a time, each through one
/// reused buffer: a row of millions of fields takes the memory of its text, and in a job, it
/// stops at the job's deadline or memory cap (with an error the job's own stop replaces).
pub(crate) fn write_row<'a>(
    fields: impl IntoIterator<Item = &'a Dynamic>,
    delimiter: u8,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let mut fields = fields.into_iter().peekable();
    if fields.peek().is_none() {
        return Err(
            "a row of no fields has no CSV form (it would read back as one empty field)".into(),
        );
    }
    let mut steps = Steps::new(Steps::BYTES);
    let mut text = Vec::new();
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(InSteps { out: &mut *out });
    let mut first = true;
    while let Some(field) = fields.next() {
        text.clear();
        write_text(field, &mut text)?;
        // One field that is empty would be written as nothing at all: a row of one empty
        // field must stay a row.
        if first && text.is_empty() && fields.peek().is_none() {
            writer.flush().map_err(|e| e.to_string())?;
            drop(writer);
            out.extend_from_slice(b"\"\"\n");
            return Ok(());
        }
        first = false;
        writer.write_field(&text).map_err(|e| e.to_string())?;
        // A field is some bytes of work besides its text's.
        steps
            .step(text.len() + Steps::BYTES / Steps::VALUES)
            .map_err(|stop| stop.to_string())?;
    }
    writer
        .write_record(None::<&[u8]>)
        .map_err(|e| e.to_string())?;
    writer.flush().map_err(|e| e.to_string())
}

/// The row's text as the writer hands it over (a few kilobytes at a time, a long field too),
/// with a look at the job's clock and cap each time: a field of 64 MiB takes tens of
/// milliseconds to quote.
struct InSteps<'o> {
    out: &'o mut Vec<u8>,
}

impl std::io::Write for InSteps<'_> {
    fn write(&mut self, text: &[u8]) -> std::io::Result<usize> {
        crate::limits::signal::checkpoint()
            .map_err(|stop| std::io::Error::other(stop.to_string()))?;
        self.out.extend_from_slice(text);
        Ok(text.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
