//! Values as one CSV (or TSV) row: each field in its text form, quoted by the `csv` crate
//! where it must be (a delimiter, a quote or a line break in it).

use rhai::Dynamic;

use super::write_text;

/// Appends `fields` as one row ended by `\n`, with `delimiter` between them. Fails, naming the
/// type, on a value with no text form.
pub(crate) fn write_row<'a>(
    fields: impl IntoIterator<Item = &'a Dynamic>,
    delimiter: u8,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let mut texts: Vec<Vec<u8>> = Vec::new();
    for field in fields {
        let mut text = Vec::new();
        write_text(field, &mut text)?;
        texts.push(text);
    }
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // One field that is empty would be written as nothing at all: a row of one empty field
    // must stay a row.
    if texts.len() == 1 && texts[0].is_empty() {
        out.extend_from_slice(b"\"\"\n");
        return Ok(());
    }
    writer.write_record(&texts).map_err(|e| e.to_string())?;
    let row = writer.into_inner().map_err(|e| e.to_string())?;
    out.extend_from_slice(&row);
    Ok(())
}
