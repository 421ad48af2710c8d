//! How the REPL shows values: compact, one line per record, long arrays and strings cut
//! short with a count of what was left out.

use rsparallel::host::describe_handle;
use rsparallel::rhai::{Array, Dynamic, ImmutableString, Map};

/// Elements of an array shown before the rest is only counted.
const MAX_ELEMENTS: usize = 10;
/// Characters of a string shown before the rest is cut.
const MAX_STRING: usize = 80;
/// Keys shown first, in this order: a record's fields as the CLI's jsonl records have them,
/// then those of `pool.status()` and `pool.jobs()`. Other keys follow in the map's own order.
const FIRST_KEYS: &[&str] = &[
    "seq",
    "batch",
    "item",
    "status",
    "output",
    "error",
    "worker",
    "duration_ms",
    "threads",
    "script",
    "items",
    "queued",
    "running",
    "completed",
    "failed",
    "timed_out",
    "cancelled",
    "skipped",
    "unreceived",
    "finished",
];
/// Record fields left out when records are listed, to keep one record on one line; they show
/// when a single record is looked at.
const LISTED_RECORD_OMITS: &[&str] = &["start", "end"];

/// The text the REPL prints for a value: arrays of maps (lists of records, of batches) one
/// element per line, anything else on one line.
pub fn show(value: &Dynamic) -> String {
    if let Some(array) = value.read_lock::<Array>()
        && !array.is_empty()
        && array.iter().all(|v| v.is_map())
    {
        let mut lines: Vec<String> = array
            .iter()
            .take(MAX_ELEMENTS)
            .map(|v| format!("  {}", listed(v)))
            .collect();
        if array.len() > MAX_ELEMENTS {
            lines.push(format!(
                "  … {} more ({} in all)",
                array.len() - MAX_ELEMENTS,
                array.len()
            ));
        }
        return format!("[\n{}\n]", lines.join(",\n"));
    }
    compact(value)
}

/// One line: strings quoted, maps as `#{key: value}` with record fields first, arrays cut
/// after [`MAX_ELEMENTS`].
pub fn compact(value: &Dynamic) -> String {
    if let Some(text) = describe_handle(value) {
        return text;
    }
    if let Some(s) = value.read_lock::<ImmutableString>() {
        return quote(&s);
    }
    if let Some(array) = value.read_lock::<Array>() {
        let mut parts: Vec<String> = array.iter().take(MAX_ELEMENTS).map(compact).collect();
        if array.len() > MAX_ELEMENTS {
            parts.push(format!(
                "… {} more ({} in all)",
                array.len() - MAX_ELEMENTS,
                array.len()
            ));
        }
        return format!("[{}]", parts.join(", "));
    }
    if let Some(map) = value.read_lock::<Map>() {
        return format!("#{{{}}}", fields(&map).join(", "));
    }
    if let Ok(f) = value.as_float() {
        // Durations and rates: three decimals say enough.
        return if f.fract() == 0.0 {
            format!("{f:.1}")
        } else {
            format!("{f:.3}")
        };
    }
    if value.is_unit() {
        return "()".into();
    }
    if value.is_char() {
        return format!("{value:?}");
    }
    value.to_string()
}

/// An element of a listed array of maps: a record without its timestamps.
fn listed(value: &Dynamic) -> String {
    let Some(map) = value.read_lock::<Map>() else {
        return compact(value);
    };
    let is_record = map.contains_key("seq") && map.contains_key("status");
    let mut shown = map.clone();
    if is_record {
        shown.retain(|k, _| !LISTED_RECORD_OMITS.contains(&k.as_str()));
    }
    format!("#{{{}}}", fields(&shown).join(", "))
}

fn fields(map: &Map) -> Vec<String> {
    let first = FIRST_KEYS
        .iter()
        .filter_map(|key| map.get(*key).map(|v| (*key, v)));
    let rest = map
        .iter()
        .filter(|(k, _)| !FIRST_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v));
    first
        .chain(rest)
        .map(|(k, v)| format!("{k}: {}", compact(v)))
        .collect()
}

fn quote(s: &str) -> String {
    if s.chars().count() <= MAX_STRING {
        return format!("{s:?}");
    }
    let cut: String = s.chars().take(MAX_STRING).collect();
    format!("{cut:?}… ({} chars)", s.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_arrays_are_cut_with_a_count() {
        let array: Array = (0..25_i64).map(Dynamic::from).collect();
        assert_eq!(
            show(&array.into()),
            "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … 15 more (25 in all)]"
        );
    }

    #[test]
    fn records_show_one_per_line_with_their_fields_in_order() {
        let mut record = Map::new();
        record.insert("status".into(), "completed".into());
        record.insert("output".into(), Dynamic::from(vec![Dynamic::from(4_i64)]));
        record.insert("seq".into(), 2_i64.into());
        record.insert("duration_ms".into(), 0.25_f64.into());
        record.insert("error".into(), Dynamic::UNIT);
        record.insert("start".into(), "2026-01-01T00:00:00Z".into());
        let records: Array = vec![record.clone().into(), record.clone().into()];
        let line =
            r#"  #{seq: 2, status: "completed", output: [4], error: (), duration_ms: 0.250}"#;
        assert_eq!(show(&records.into()), format!("[\n{line},\n{line}\n]"));
        assert!(show(&record.into()).contains("start: "));
    }

    #[test]
    fn long_strings_are_cut() {
        let shown = compact(&Dynamic::from("x".repeat(100)));
        assert!(shown.ends_with("… (100 chars)"), "{shown}");
    }
}
