//! Times and durations in a record's JSON, written without `fmt`: at millions of records a
//! second, the two timestamps of each were most of its cost.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::value::write_int;

/// Milliseconds with three decimals (to the microsecond, rounded).
pub(super) fn write_millis(d: Duration, out: &mut Vec<u8>) {
    let micros = (d.as_nanos() + 500) / 1000;
    write_int((micros / 1000) as rhai::INT, out);
    let frac = (micros % 1000) as u16;
    out.extend_from_slice(&[
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

pub(super) fn write_time(time: Option<SystemTime>, out: &mut Vec<u8>) {
    let Some(t) = time else {
        out.extend_from_slice(b"null");
        return;
    };
    // RFC 3339 in UTC to the microsecond, as `humantime::format_rfc3339_micros` writes it,
    // without going through `fmt` (two timestamps a record were most of a JSON record's cost).
    match t.duration_since(UNIX_EPOCH) {
        Ok(since) if since.as_secs() < 253_402_300_800 => {
            let secs = since.as_secs();
            let (days, rem) = (secs / 86_400, secs % 86_400);
            let (year, month, day) = civil_from_days(days as i64);
            let mut b = *b"\"0000-00-00T00:00:00.000000Z\"";
            let mut put = |at: usize, value: u64, width: usize| {
                let mut v = value;
                for i in (0..width).rev() {
                    b[at + i] = b'0' + (v % 10) as u8;
                    v /= 10;
                }
            };
            put(1, year as u64, 4);
            put(6, month, 2);
            put(9, day, 2);
            put(12, rem / 3600, 2);
            put(15, rem / 60 % 60, 2);
            put(18, rem % 60, 2);
            put(21, u64::from(since.subsec_micros()), 6);
            out.extend_from_slice(&b);
        }
        _ => write!(out, "\"{}\"", humantime::format_rfc3339_micros(t))
            .expect("writing to a Vec cannot fail"),
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_humantime_writes_them() {
        let mut seconds = 0_u64;
        while seconds < 253_402_300_000 {
            for micros in [0, 1, 999_999, 123_456] {
                let t = UNIX_EPOCH + Duration::new(seconds, micros * 1000 + 999);
                let mut out = Vec::new();
                write_time(Some(t), &mut out);
                let expected = format!("\"{}\"", humantime::format_rfc3339_micros(t));
                assert_eq!(String::from_utf8(out).unwrap(), expected);
            }
            seconds = seconds * 3 + 86_399;
        }
    }

    #[test]
    fn durations_are_milliseconds_to_the_microsecond() {
        for (nanos, text) in [
            (0, "0.000"),
            (1_499, "0.001"),
            (2_500_000, "2.500"),
            (1_234_567_890, "1234.568"),
        ] {
            let mut out = Vec::new();
            write_millis(Duration::from_nanos(nanos), &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), text);
        }
    }
}
