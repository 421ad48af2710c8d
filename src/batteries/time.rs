//! Time, as integers: milliseconds since the Unix epoch, UTC. Integers compare with `<`,
//! subtract to a duration and sort, with no new type to learn; formats and calendar
//! arithmetic (`jiff`) work in UTC or in the fixed offset a text carries, never in a named
//! time zone, because finding one means reading the system's time zone files.

use super::registrar::Registrar;
use jiff::fmt::strtime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp, ZonedDateTime};
use rhai::{INT, Map};

use super::{Fallible, error};

fn timestamp(function: &str, ms: INT) -> Fallible<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| error(function, format!("{ms} ms is out of range: {e}")))
}

fn utc(function: &str, ms: INT) -> Fallible<ZonedDateTime> {
    Ok(timestamp(function, ms)?.to_zoned_datetime(TimeZone::UTC))
}

/// The longest text these functions parse, and the longest format they take: longer is no
/// time, duration or format anyone writes. Parsing 50 MB, and echoing it in the error, took up
/// to a second past a job's deadline.
const LONGEST: usize = 4096;

/// Refuses a `text` longer than [`LONGEST`], naming it by its start and its length.
fn not_too_long(function: &str, what: &str, text: &str) -> Fallible<()> {
    if text.len() <= LONGEST {
        return Ok(());
    }
    let start: String = text.chars().take(40).collect();
    Err(error(
        function,
        format!(
            "{start:?}... ({} bytes) is too long to be {what}",
            text.len()
        ),
    ))
}

/// RFC 3339 text with an offset (`2024-03-01T12:00:00Z`, `...+02:00`) to milliseconds.
fn parse_time(text: &str) -> Fallible<INT> {
    not_too_long("parse_time", "a time", text)?;
    let trimmed = text.trim();
    match trimmed.parse::<Timestamp>() {
        Ok(ts) => Ok(ts.as_millisecond()),
        // Most logs write a date and time without an offset (`2024-03-01 12:00:00`): UTC.
        Err(e) => trimmed
            .parse::<jiff::civil::DateTime>()
            .and_then(|dt| dt.to_zoned_datetime(TimeZone::UTC))
            .map(|zoned| zoned.timestamp().as_millisecond())
            .map_err(|_| {
                error(
                    "parse_time",
                    format!("{text:?} is not an RFC 3339 time, nor a date and time in UTC: {e}"),
                )
            }),
    }
}

/// Text in a strftime-style `format` to milliseconds; without an offset in the text, UTC.
fn parse_time_with(text: &str, format: &str) -> Fallible<INT> {
    not_too_long("parse_time", "a time", text)?;
    not_too_long("parse_time", "a format", format)?;
    let fail = |e: jiff::Error| {
        error(
            "parse_time",
            format!("{text:?} does not match {format:?}: {e}"),
        )
    };
    let tm = strtime::parse(format, text).map_err(fail)?;
    // Seconds since the epoch (`%s`) are a time whatever else was read; an offset makes one.
    let ts = if tm.timestamp().is_some() || tm.offset().is_some() {
        tm.to_timestamp().map_err(fail)?
    } else {
        tm.to_datetime()
            .and_then(|dt| dt.to_zoned_datetime(TimeZone::UTC))
            .map_err(fail)?
            .timestamp()
    };
    Ok(ts.as_millisecond())
}

/// RFC 3339 in UTC, with milliseconds only when there are some.
fn format_time(ms: INT) -> Fallible<String> {
    Ok(timestamp("format_time", ms)?.to_string())
}

fn format_time_with(ms: INT, format: &str) -> Fallible<String> {
    not_too_long("format_time", "a format", format)?;
    let ts = timestamp("format_time", ms)?;
    strtime::format(format, ts)
        .map_err(|e| error("format_time", format!("cannot format with {format:?}: {e}")))
}

/// Adds a span that may hold calendar units (`1 month`, `-2 days`, `P1Y2M`), in UTC, so that
/// "one month after January 31st" is the last day of February.
fn add_duration(ms: INT, span: &str) -> Fallible<INT> {
    not_too_long("add_duration", "a duration", span)?;
    let parsed: Span = span
        .parse()
        .map_err(|e| error("add_duration", format!("{span:?} is not a duration: {e}")))?;
    utc("add_duration", ms)?
        .checked_add(parsed)
        .map(|t| t.timestamp().as_millisecond())
        .map_err(|e| error("add_duration", format!("{ms} + {span:?}: {e}")))
}

/// A duration of fixed units (`90s`, `1h 30m`, `PT2H`) in milliseconds. Months and years
/// have no fixed length, so they are refused here; `add_duration` takes them.
fn duration_ms(text: &str) -> Fallible<INT> {
    not_too_long("duration_ms", "a duration", text)?;
    let duration: SignedDuration = text
        .parse()
        .map_err(|e| error("duration_ms", format!("{text:?} is not a duration: {e}")))?;
    INT::try_from(duration.as_millis())
        .map_err(|_| error("duration_ms", format!("{text:?} is out of range")))
}

/// The calendar fields of a time in UTC.
fn time_parts(ms: INT) -> Fallible<Map> {
    let t = utc("time_parts", ms)?;
    let fields: [(&str, INT); 9] = [
        ("year", t.year().into()),
        ("month", t.month().into()),
        ("day", t.day().into()),
        ("hour", t.hour().into()),
        ("minute", t.minute().into()),
        ("second", t.second().into()),
        ("millisecond", t.millisecond().into()),
        ("weekday", t.weekday().to_monday_one_offset().into()),
        ("day_of_year", t.day_of_year().into()),
    ];
    Ok(fields
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect())
}

pub(super) fn register(engine: &mut impl Registrar) {
    engine.register_fn("now_ms", || Timestamp::now().as_millisecond());
    engine.register_fn("parse_time", parse_time);
    engine.register_fn("parse_time", parse_time_with);
    engine.register_fn("format_time", format_time);
    engine.register_fn("format_time", format_time_with);
    engine.register_fn("add_duration", add_duration);
    engine.register_fn("duration_ms", duration_ms);
    engine.register_fn("time_parts", time_parts);
}

#[cfg(test)]
mod tests {
    use crate::batteries::tests::{engine, eval, eval_err};

    const MARCH_1_NOON: i64 = 1_709_294_400_000;

    #[test]
    fn a_text_too_long_to_be_a_time_is_refused_by_its_start_and_length() {
        let e = engine();
        let calls = [
            ("parse_time(t)", "parse_time", "a time"),
            (r#"parse_time(t, "%Y")"#, "parse_time", "a time"),
            (r#"parse_time("2024", t)"#, "parse_time", "a format"),
            ("format_time(0, t)", "format_time", "a format"),
            ("add_duration(0, t)", "add_duration", "a duration"),
            ("duration_ms(t)", "duration_ms", "a duration"),
        ];
        for (call, function, what) in calls {
            let message = eval_err(&e, &format!(r#"let t = "1"; t.pad(4097, "2"); {call}"#));
            let start = "2".repeat(39);
            let expected =
                format!("{function}: \"1{start}\"... (4097 bytes) is too long to be {what}");
            assert!(message.starts_with(&expected), "{call}: {message}");
            // 4,096 bytes are taken: parsed, and refused as anything else that is no time
            // would be; a format of literal digits formats.
            let result =
                e.eval::<rhai::Dynamic>(&format!(r#"let t = "1"; t.pad(4096, "2"); {call}"#));
            if let Err(err) = result {
                assert!(!err.to_string().contains("too long"), "{call}: {err}");
            }
        }
    }

    #[test]
    fn parses_rfc3339_with_any_offset() {
        let e = engine();
        assert_eq!(
            eval::<i64>(&e, r#"parse_time("2024-03-01T12:00:00Z")"#),
            MARCH_1_NOON
        );
        assert_eq!(
            eval::<i64>(&e, r#"parse_time("2024-03-01T14:00:00.250+02:00")"#),
            MARCH_1_NOON + 250
        );
        let message = eval_err(&e, r#"parse_time("2024-13-01T00:00:00Z")"#);
        assert!(
            message.starts_with(r#"parse_time: "2024-13-01T00:00:00Z" is not an RFC 3339 time"#),
            "{message}"
        );
        // Without an offset, as most logs write it: UTC, documented.
        assert_eq!(
            eval::<i64>(&e, r#"parse_time("2024-03-01T12:00:00")"#),
            MARCH_1_NOON
        );
        assert_eq!(
            eval::<i64>(&e, r#"parse_time("2024-03-01 12:00:00")"#),
            MARCH_1_NOON
        );
    }

    #[test]
    fn parses_strftime_formats_in_utc_unless_offset_given() {
        let e = engine();
        let t = eval::<i64>(&e, r#"parse_time("01/03/2024 12:00", "%d/%m/%Y %H:%M")"#);
        assert_eq!(t, MARCH_1_NOON);
        let t = eval::<i64>(
            &e,
            r#"parse_time("2024-03-01 13:00 +0100", "%Y-%m-%d %H:%M %z")"#,
        );
        assert_eq!(t, MARCH_1_NOON);
        // Seconds since the epoch: a time with no offset to give.
        let t = eval::<i64>(&e, r#"parse_time("1709294400", "%s")"#);
        assert_eq!(t, MARCH_1_NOON);
        let message = eval_err(&e, r#"parse_time("yesterday", "%Y-%m-%d")"#);
        assert!(
            message.starts_with(r#"parse_time: "yesterday" does not match "%Y-%m-%d""#),
            "{message}"
        );
    }

    #[test]
    fn formats_in_utc() {
        let e = engine();
        let s = eval::<String>(&e, &format!("format_time({MARCH_1_NOON})"));
        assert_eq!(s, "2024-03-01T12:00:00Z");
        let s = eval::<String>(&e, &format!("format_time({MARCH_1_NOON} + 5)"));
        assert_eq!(s, "2024-03-01T12:00:00.005Z");
        let s = eval::<String>(
            &e,
            &format!(r#"format_time({MARCH_1_NOON}, "%a %d %b %Y, %H:%M")"#),
        );
        assert_eq!(s, "Fri 01 Mar 2024, 12:00");
        let message = eval_err(&e, r#"format_time(0, "%Y %")"#);
        assert!(
            message.starts_with(r#"format_time: cannot format with "%Y %""#),
            "{message}"
        );
        let message = eval_err(&e, "format_time(9223372036854775807)");
        assert!(message.contains("out of range"), "{message}");
    }

    #[test]
    fn calendar_and_fixed_durations() {
        let e = engine();
        let s = eval::<String>(
            &e,
            r#"format_time(add_duration(parse_time("2024-01-31T00:00:00Z"), "1 month"))"#,
        );
        assert_eq!(s, "2024-02-29T00:00:00Z");
        assert_eq!(eval::<i64>(&e, "add_duration(0, \"-1 day\")"), -86_400_000);
        assert_eq!(eval::<i64>(&e, r#"duration_ms("1h 30m")"#), 5_400_000);
        assert_eq!(eval::<i64>(&e, r#"duration_ms("PT0.5S")"#), 500);
        assert!(eval_err(&e, r#"duration_ms("1 month")"#).starts_with("duration_ms: "));
        assert!(
            eval_err(&e, r#"add_duration(0, "soon")"#)
                .starts_with(r#"add_duration: "soon" is not a duration"#)
        );
    }

    #[test]
    fn times_compare_and_subtract_as_integers() {
        let e = engine();
        let later = eval::<bool>(
            &e,
            r#"parse_time("2024-03-01T12:00:00Z") < parse_time("2024-03-01T12:00:01Z")"#,
        );
        assert!(later);
        let gap = eval::<i64>(
            &e,
            r#"parse_time("2024-03-02T00:00:00Z") - parse_time("2024-03-01T00:00:00Z")"#,
        );
        assert_eq!(gap, 86_400_000);
        assert!(eval::<i64>(&e, "now_ms()") > MARCH_1_NOON);
    }

    #[test]
    fn parts_of_a_time() {
        let e = engine();
        let parts = eval::<rhai::Map>(&e, &format!("time_parts({MARCH_1_NOON} + 7)"));
        let get = |k: &str| parts[k].as_int().unwrap();
        assert_eq!((get("year"), get("month"), get("day")), (2024, 3, 1));
        assert_eq!((get("hour"), get("millisecond")), (12, 7));
        assert_eq!((get("weekday"), get("day_of_year")), (5, 61));
    }
}
