//! CSV in a script: `csv_split` (one record into its fields) and `to_csv` (fields into one
//! row), quoted as RFC 4180 and the `csv` crate quote.

use rhai::{Array, Dynamic, FuncRegistration, ImmutableString};

use super::registrar::Registrar;
use super::text::one_char;
use super::{Fallible, error, failed_or_stopped};
use crate::limits::signal::Steps;

/// One CSV record into its fields, with RFC 4180 quoting (`"a, b"`, `""` for a quote). Fields
/// are read one at a time and made values as they come, looking at the job's clock and cap
/// every few tens of kilobytes: a 40 MB line of commas is 40 million fields, and the line is
/// never copied whole.
fn csv_split(line: &str, delimiter: char) -> Fallible<Array> {
    let delimiter = u8::try_from(delimiter)
        .ok()
        .filter(u8::is_ascii)
        .ok_or_else(|| {
            error(
                "csv_split",
                format!("the delimiter {delimiter:?} is not ASCII"),
            )
        })
        .and_then(|byte| {
            crate::input::CsvOptions::check_delimiter(byte).map_err(|why| error("csv_split", why))
        })?;
    // A reader builds its tables when made (~7 µs, more than splitting a line takes): each
    // thread keeps one, made again only for another delimiter.
    thread_local! {
        static READER: std::cell::RefCell<Option<(u8, csv_core::Reader)>> =
            const { std::cell::RefCell::new(None) };
    }
    let kept = READER.with(|r| r.borrow_mut().take());
    let mut reader = match kept {
        Some((kept_delimiter, mut reader)) if kept_delimiter == delimiter => {
            reader.reset();
            reader
        }
        _ => csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
    };
    let fields = split_fields(&mut reader, line);
    READER.with(|r| *r.borrow_mut() = Some((delimiter, reader)));
    fields
}

/// The fields of the CSV record `line`, read with `reader`.
fn split_fields(reader: &mut csv_core::Reader, line: &str) -> Fallible<Array> {
    use csv_core::ReadFieldResult;
    let mut input = line.as_bytes();
    let mut field = vec![0; 64];
    let mut used = 0;
    let mut fields = Array::new();
    let mut ended = false;
    let mut steps = Steps::new(Steps::BYTES);
    loop {
        let (result, read, written) = reader.read_field(input, &mut field[used..]);
        input = &input[read..];
        used += written;
        match result {
            // The whole line was given: an empty input now tells the reader it has ended.
            ReadFieldResult::InputEmpty => {}
            ReadFieldResult::OutputFull => field.resize(field.len() * 2, 0),
            ReadFieldResult::Field { record_end } => {
                if ended {
                    return Err(error(
                        "csv_split",
                        "the text holds more than one record; split it with lines() first",
                    ));
                }
                // Text cut at ASCII delimiters and unquoted is text.
                let text = String::from_utf8_lossy(&field[..used]);
                fields.push(ImmutableString::from(text.as_ref()).into());
                used = 0;
                ended = record_end;
                // A field is some bytes of work besides its text's.
                steps.step(read + Steps::BYTES / Steps::VALUES)?;
                continue;
            }
            ReadFieldResult::End => return Ok(fields),
        }
        steps.step(read)?;
    }
}

/// One CSV row of `fields` (an array's elements, or a map's values in key order), quoted
/// where it must be, without a line end: for scripts that build their own rows.
fn to_csv(fields: &[Dynamic]) -> Fallible<String> {
    let mut row = Vec::new();
    crate::value::write_row(fields, b',', &mut row).map_err(|e| failed_or_stopped("to_csv", e))?;
    row.pop();
    String::from_utf8(row).map_err(|e| error("to_csv", e))
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("csv_split", |line: &str| csv_split(line, ','));
    engine.register_fn("csv_split", csv_split);
    engine.register_fn("csv_split", |line: &str, delimiter: &str| {
        csv_split(line, one_char("csv_split", "delimiter", delimiter)?)
    });
    // By reference, as `to_json`: a row taken by value is Rhai's copy of it, in one go.
    let pure = || FuncRegistration::new("to_csv").with_purity(true);
    engine.register_as(pure(), |fields: &mut Array| to_csv(fields));
    engine.register_as(pure(), |fields: &mut rhai::Map| {
        to_csv(&fields.values().cloned().collect::<Vec<_>>())
    });
}

#[cfg(test)]
mod tests {
    use rhai::Array;

    use crate::batteries::tests::{engine, eval, eval_err, strings};

    #[test]
    fn csv_split_handles_quotes_and_delimiters() {
        let e = engine();
        let fields = strings(eval(&e, r#"csv_split(`a,"b, c","say ""hi""",`)"#));
        assert_eq!(fields, ["a", "b, c", "say \"hi\"", ""]);
        assert_eq!(strings(eval(&e, "csv_split(\"x\\ty\", '\\t')")), ["x", "y"]);
        assert!(eval::<Array>(&e, r#"csv_split("")"#).is_empty());
    }

    #[test]
    fn csv_split_gives_the_fields_the_csv_crate_reads() {
        let long = format!("{},\"{}\"", "a".repeat(100_000), "b,\"\"".repeat(30_000));
        let lines = [
            "",
            "a",
            ",",
            "a,",
            ",,b",
            "\"a,b\",c",
            "\"say \"\"hi\"\"\"",
            "\"\"",
            "a,\"\"",
            "\"x\ny\",z",
            "a,b\r\n",
            "a,b\n",
            "é,ü",
            " a , b ",
            "a\"b,c",
            &long,
        ];
        for line in lines {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_bytes());
            let expected: Vec<String> = match reader.records().next() {
                Some(record) => record.unwrap().iter().map(String::from).collect(),
                None => Vec::new(),
            };
            let got: Vec<String> = super::csv_split(line, ',')
                .unwrap()
                .into_iter()
                .map(|d| d.into_string().unwrap())
                .collect();
            assert_eq!(got, expected, "{:?}", &line[..line.len().min(40)]);
        }
    }

    #[test]
    fn csv_split_refuses_two_records_and_odd_delimiters() {
        let e = engine();
        let message = eval_err(&e, r#"csv_split("a,b\nc,d")"#);
        assert!(
            message.starts_with("csv_split: the text holds more than one record"),
            "{message}"
        );
        let message = eval_err(&e, r#"csv_split("a§b", '§')"#);
        assert!(
            message.starts_with("csv_split: the delimiter '§' is not ASCII"),
            "{message}"
        );
        // As --delimiter refuses them.
        for delimiter in [r#"'"'"#, r#""\n""#, r#"'\r'"#] {
            let message = eval_err(&e, &format!(r#"csv_split("a,b", {delimiter})"#));
            assert!(
                message.contains("a quote or a line break cannot separate fields"),
                "{message}"
            );
        }
    }
}
