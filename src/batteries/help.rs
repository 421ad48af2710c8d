//! The batteries' help table, by family: what the REPL's `help` and `rsparallel functions`
//! print, and what the docs list.

use std::sync::LazyLock;

/// One battery: its signature, what it does, and a Rhai example that runs as written.
pub type HelpEntry = (&'static str, &'static str, &'static str);

/// Batteries that belong together, as `help` groups them: `help regex` lists one family.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    /// One lowercase word, as `help NAME` and `rsparallel functions --family NAME` take it.
    pub name: &'static str,
    /// What the family is for, in a few words.
    pub about: &'static str,
    /// Its functions, an entry per signature: a function that takes an optional argument has
    /// one entry per form.
    pub entries: &'static [HelpEntry],
}

/// Every family of batteries this build has, in the order `help` lists them. (The regular
/// expressions, hashes, encodings and times come with the default `batteries` feature.)
// Pushed one by one: which families there are depends on the build's features.
#[allow(clippy::vec_init_then_push)]
pub static FAMILIES: LazyLock<Vec<Family>> = LazyLock::new(|| {
    let mut families = Vec::new();
    #[cfg(feature = "batteries")]
    families.push(Family {
        name: "regex",
        about: "regular expressions (`regex` crate syntax), cached per worker",
        entries: REGEX,
    });
    families.push(Family {
        name: "json",
        about: "JSON text to values and back",
        entries: JSON,
    });
    #[cfg(feature = "batteries")]
    families.extend([
        Family {
            name: "hash",
            about: "hashes of text (as UTF-8) or of blobs (as bytes)",
            entries: HASHES,
        },
        Family {
            name: "encoding",
            about: "base64, hex and URL encodings",
            entries: ENCODINGS,
        },
        Family {
            name: "time",
            about: "times as integers: milliseconds since the Unix epoch, UTC",
            entries: TIME,
        },
    ]);
    families.push(Family {
        name: "text",
        about: "lines, words, fields, CSV fields, padding, slugs",
        entries: TEXT,
    });
    families.push(Family {
        name: "counting",
        about: "counts in maps, for --begin/--end/--reduce",
        entries: COUNTING,
    });
    families
});

/// Every battery this build has, family by family, in the order `help` lists them.
pub static HELP: LazyLock<Vec<HelpEntry>> = LazyLock::new(|| {
    FAMILIES
        .iter()
        .flat_map(|family| family.entries.iter().copied())
        .collect()
});

#[cfg(feature = "batteries")]
const REGEX: &[HelpEntry] = &[
    (
        "is_match(text, pattern) -> bool",
        "whether the pattern matches anywhere in text",
        r#"is_match("order 66", "\\d+")"#,
    ),
    (
        "find(text, pattern) -> string | ()",
        "the first match, or () if none",
        r#"find("a1b22", "\\d+")"#,
    ),
    (
        "find_all(text, pattern) -> array",
        "every non-overlapping match",
        r#"find_all("a1b22", "\\d+")"#,
    ),
    (
        "captures(text, pattern) -> array | ()",
        "the first match's groups, [0] the whole match; () for an unmatched group or no match",
        r#"captures("k=v", "(\\w)=(\\w)")[2]"#,
    ),
    (
        "named_captures(text, pattern) -> map | ()",
        "the first match's named groups, (?P<name>...)",
        r#"named_captures("ann@x.org", "(?P<user>\\w+)@").user"#,
    ),
    (
        "replace_regex(text, pattern, replacement) -> string",
        "replaces every match; $1 or ${name} insert groups",
        r#"replace_regex("a  b", "\\s+", " ")"#,
    ),
    (
        "split_regex(text, pattern) -> array",
        "splits text at every match",
        r#"split_regex("a, b;c", "[,;]\\s*")"#,
    ),
    (
        "regex_cache_len() -> int",
        "how many compiled patterns this worker caches (at most 64)",
        "regex_cache_len()",
    ),
];

const JSON: &[HelpEntry] = &[
    (
        "parse_json(text) -> any",
        "any JSON value: objects become maps, null ()",
        r#"parse_json(`{"a": [1, 2]}`).a[1]"#,
    ),
    (
        "to_json(value) -> string",
        "compact JSON; fails on values JSON lacks (NaN, Fn)",
        r#"to_json(#{a: [1, ()]})"#,
    ),
    (
        "to_json_pretty(value) -> string",
        "indented JSON",
        "to_json_pretty(#{a: 1})",
    ),
];

#[cfg(feature = "batteries")]
const HASHES: &[HelpEntry] = &[
    (
        "sha256(text | blob) -> string",
        "SHA-256 as lowercase hex",
        r#"sha256("abc")"#,
    ),
    (
        "md5(text | blob) -> string",
        "MD5 as lowercase hex (for checksums, not security)",
        r#"md5("abc")"#,
    ),
    (
        "crc32(text | blob) -> int",
        "CRC-32 (IEEE)",
        r#"crc32("abc")"#,
    ),
];

#[cfg(feature = "batteries")]
const ENCODINGS: &[HelpEntry] = &[
    (
        "base64_encode(text | blob) -> string",
        "standard base64, padded",
        r#"base64_encode("hi")"#,
    ),
    (
        "base64_decode(text) -> string",
        "decodes standard base64 to UTF-8 text",
        r#"base64_decode("aGk=")"#,
    ),
    (
        "hex_encode(text | blob) -> string",
        "lowercase hex of the bytes",
        r#"hex_encode("hi")"#,
    ),
    (
        "hex_decode(text) -> string",
        "decodes hex to UTF-8 text",
        r#"hex_decode("6869")"#,
    ),
    (
        "url_encode(text) -> string",
        "percent-encodes all but A-Z a-z 0-9 - . _ ~",
        r#"url_encode("a b&c")"#,
    ),
    (
        "url_decode(text) -> string",
        "decodes %XX escapes (a + stays a +)",
        r#"url_decode("a%20b")"#,
    ),
];

#[cfg(feature = "batteries")]
const TIME: &[HelpEntry] = &[
    ("now_ms() -> int", "the current time", "now_ms() > 0"),
    (
        "parse_time(text) -> int",
        "an RFC 3339 time; a date and time without an offset is UTC",
        r#"parse_time("2024-03-01 12:00:00")"#,
    ),
    (
        "parse_time(text, format) -> int",
        "a strftime-style time; UTC unless the text has %z",
        r#"parse_time("01/03/2024", "%d/%m/%Y")"#,
    ),
    (
        "format_time(ms) -> string",
        "RFC 3339 in UTC",
        "format_time(0)",
    ),
    (
        "format_time(ms, format) -> string",
        "strftime-style, in UTC",
        r#"format_time(0, "%Y-%m-%d %H:%M")"#,
    ),
    (
        "add_duration(ms, duration) -> int",
        "adds a span that may hold calendar units, in UTC",
        r#"add_duration(0, "1 month 2 days")"#,
    ),
    (
        "duration_ms(duration) -> int",
        "a fixed-unit duration in milliseconds",
        r#"duration_ms("1h 30m")"#,
    ),
    (
        "time_parts(ms) -> map",
        "year, month, day, hour, minute, second, millisecond, weekday (1 = Monday), day_of_year",
        "time_parts(0).year",
    ),
];

const TEXT: &[HelpEntry] = &[
    (
        "lines(text) -> array",
        "the lines, without \\n or \\r\\n",
        r#"lines("a\nb")"#,
    ),
    (
        "words(text) -> array",
        "the runs of non-whitespace",
        r#"words(" a  b ")"#,
    ),
    (
        "field(text, n [, separator]) -> string",
        "field n (0 first, -1 last) of the words, or of the pieces between separators; \"\" past the end (awk's $n, cut -f)",
        r#"field("GET /a 404 12", 2)"#,
    ),
    (
        "csv_split(line [, delimiter]) -> array",
        "one CSV record's fields, quotes handled; delimiter ';' or \";\"",
        r#"csv_split(`a;"b; c"`, ";")"#,
    ),
    (
        "pad_left(text, width [, char]) -> string",
        "pads before text to width characters; the fill '0' or \"0\"",
        r#"pad_left("7", 3, "0")"#,
    ),
    (
        "pad_right(text, width [, char]) -> string",
        "pads after text to width characters",
        r#"pad_right("ab", 4, '.')"#,
    ),
    (
        "to_csv(array_or_map) -> string",
        "one CSV row (a map's values in key order), quoted where needed",
        r#"to_csv(["a, b", 1])"#,
    ),
    (
        "slugify(text) -> string",
        "lowercase letters and digits joined by -",
        r#"slugify("Hello, World!")"#,
    ),
];

const COUNTING: &[HelpEntry] = &[
    (
        "tally(counts, key [, n])",
        "adds n (1) to counts[key], which starts at 0; returns nothing, so a job that counts has no output",
        r#"let c = #{}; c.tally("404"); c.tally("404"); c"#,
    ),
    (
        "tally_field(counts, line, n [, separator])",
        "adds 1 to the count of the line's field n, as field(line, n [, separator]) gives it (awk's c[$9]++), making no string of it unless it is new",
        r#"let c = #{}; c.tally_field("GET /a 404 12", 2); c"#,
    ),
    (
        "tally(counts, other_counts)",
        "adds every count of a map into counts (how --reduce combines partial counts)",
        r#"let a = #{ x: 1 }; a.tally(#{ x: 2, y: 5 }); a"#,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_have_one_word_names_of_their_own_and_make_up_help() {
        let mut names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase()))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len());
        assert!(FAMILIES.iter().all(|f| !f.entries.is_empty()));
        let count: usize = FAMILIES.iter().map(|f| f.entries.len()).sum();
        assert_eq!(HELP.len(), count);
    }
}
