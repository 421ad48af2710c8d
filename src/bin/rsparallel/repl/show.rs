//! How the REPL shows values: compact, one line per record, long arrays, maps and strings cut
//! short with a count of what was left out, however deep they are nested.

use rsparallel::host::describe_handle;
use rsparallel::rhai::{Array, Dynamic, ImmutableString, Map};

/// Elements of an array shown before the rest is only counted.
const MAX_ELEMENTS: usize = 10;
/// Keys of a map shown before the rest is only counted.
const MAX_KEYS: usize = 20;
/// Characters of a string shown before the rest is cut.
const MAX_STRING: usize = 80;
/// Characters of one line past which what is left of each array and map is only counted: ten
/// elements in each of ten levels of nesting would otherwise be ten billion.
const MAX_LINE: usize = 1_000;
/// Levels of nesting shown; deeper arrays and maps show only their size. A value nested
/// thousands deep would otherwise overflow the stack of the code that shows it.
const MAX_DEPTH: usize = 16;
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

/// One line: strings quoted, maps as `#{key: value}` with record fields first, arrays and maps
/// cut after [`MAX_ELEMENTS`] and [`MAX_KEYS`], and when the line grows past [`MAX_LINE`].
pub fn compact(value: &Dynamic) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

/// An element of a listed array of maps: a record without its timestamps.
fn listed(value: &Dynamic) -> String {
    let Some(map) = value.read_lock::<Map>() else {
        return compact(value);
    };
    let is_record = map.contains_key("seq") && map.contains_key("status");
    let mut entries = ordered(&map);
    if is_record {
        entries.retain(|(k, _)| !LISTED_RECORD_OMITS.contains(k));
    }
    let mut out = String::new();
    write_map(&mut out, entries, 0);
    out
}

fn write_value(out: &mut String, value: &Dynamic, depth: usize) {
    if let Some(array) = value.read_lock::<Array>() {
        out.push('[');
        let elements = array.iter().map(|v| (None, v));
        let max = if depth < MAX_DEPTH { MAX_ELEMENTS } else { 0 };
        write_items(out, elements, array.len(), max, "", depth);
        out.push(']');
    } else if let Some(map) = value.read_lock::<Map>() {
        write_map(out, ordered(&map), depth);
    } else {
        out.push_str(&scalar(value));
    }
}

fn write_map(out: &mut String, entries: Vec<(&str, &Dynamic)>, depth: usize) {
    out.push_str("#{");
    let len = entries.len();
    let max = if depth < MAX_DEPTH { MAX_KEYS } else { 0 };
    let entries = entries.into_iter().map(|(k, v)| (Some(k), v));
    write_items(out, entries, len, max, " keys", depth);
    out.push('}');
}

/// The elements of an array or the entries of a map, comma-separated, until `max` of them or
/// the line's length is reached; then a count of the rest, e.g. `… 15 more (25 in all)`.
fn write_items<'a>(
    out: &mut String,
    items: impl Iterator<Item = (Option<&'a str>, &'a Dynamic)>,
    len: usize,
    max: usize,
    unit: &str,
    depth: usize,
) {
    for (shown, (key, value)) in items.enumerate() {
        if shown > 0 {
            out.push_str(", ");
        }
        if shown == 0 && max == 0 {
            out.push_str(&format!("… {len}{unit} in all"));
            return;
        }
        if shown == max || out.len() >= MAX_LINE {
            out.push_str(&format!("… {} more{unit} ({len} in all)", len - shown));
            return;
        }
        if let Some(key) = key {
            out.push_str(key);
            out.push_str(": ");
        }
        write_value(out, value, depth + 1);
    }
}

/// A map's entries, record fields first.
fn ordered(map: &Map) -> Vec<(&str, &Dynamic)> {
    let first = FIRST_KEYS
        .iter()
        .filter_map(|key| map.get(*key).map(|v| (*key, v)));
    let rest = map
        .iter()
        .filter(|(k, _)| !FIRST_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v));
    first.chain(rest).collect()
}

/// Anything but an array or a map: handles as they describe themselves, strings quoted and
/// cut, floats to three decimals.
fn scalar(value: &Dynamic) -> String {
    if let Some(text) = describe_handle(value) {
        return text;
    }
    if let Some(s) = value.read_lock::<ImmutableString>() {
        return quote(&s);
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

    fn map_of(len: i64) -> Map {
        (0..len)
            .map(|i| (format!("k{i:02}").into(), Dynamic::from(i)))
            .collect()
    }

    #[test]
    fn maps_with_many_keys_are_cut_with_a_count() {
        let shown = compact(&map_of(32).into());
        assert!(shown.starts_with("#{k00: 0, k01: 1, "), "{shown}");
        assert!(
            shown.ends_with("k19: 19, … 12 more keys (32 in all)}"),
            "{shown}"
        );
        assert_eq!(compact(&map_of(20).into()).matches(": ").count(), 20);
    }

    #[test]
    fn huge_values_nested_in_maps_and_arrays_are_cut_too() {
        let mut map = map_of(2);
        let long: Array = (0..1000_i64).map(Dynamic::from).collect();
        map.insert("long".into(), long.into());
        map.insert("wide".into(), map_of(100).into());
        let array: Array = vec![Dynamic::from(map)];
        let shown = compact(&array.into());
        assert!(shown.contains("… 990 more (1000 in all)]"), "{shown}");
        assert!(shown.contains("… 80 more keys (100 in all)}"), "{shown}");
    }

    #[test]
    fn a_line_stops_growing_however_wide_each_level_is() {
        // Ten elements of ten of ten of ten of strings of 80 characters: 8 MB if shown whole.
        let mut value: Dynamic = "x".repeat(80).into();
        for _ in 0..4 {
            let level: Array = vec![value; 10];
            value = level.into();
        }
        let shown = compact(&value);
        assert!(shown.len() < 2 * MAX_LINE, "{} chars", shown.len());
        assert!(shown.ends_with("… 9 more (10 in all)]"), "{shown}");
    }

    #[test]
    fn values_nested_too_deep_show_only_their_size() {
        let mut value: Dynamic = Array::new().into();
        for _ in 0..1_000 {
            value = vec![value].into();
        }
        let shown = compact(&value);
        assert!(shown.contains("[… 1 in all]"), "{shown}");
        assert_eq!(shown.matches('[').count(), MAX_DEPTH + 1, "{shown}");
    }
}
