//! How `--tag` and the live stream lines name an item.

use rhai::{Dynamic, ImmutableString};

use crate::value::dynamic_to_json;

/// An item as `--tag` shows it, as GNU parallel's does: a string as its text, unquoted (a
/// tab or line end in it written `\t`, `\n`, `\r`, so that a tagged line stays one line of
/// tab-separated fields); any other value as compact JSON.
pub fn tag_text(item: &Dynamic) -> String {
    if let Some(text) = item.read_lock::<ImmutableString>() {
        if !text.contains(['\t', '\n', '\r']) {
            return text.to_string();
        }
        return text
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
    }
    match dynamic_to_json(item) {
        Ok(json) => json.to_string(),
        Err(_) => item.to_string(),
    }
}
