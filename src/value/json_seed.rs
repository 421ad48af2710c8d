//! JSON text straight into Rhai values, without an intermediate `serde_json::Value` tree:
//! objects become maps, arrays arrays, integers that fit `i64` integers, other numbers floats,
//! `null` becomes `()` (the same values as [`super::json_to_dynamic`]). For `parse_json` and
//! for items of JSON Lines input.
//!
//! Values take many times the memory of their text: `[]` is 2 bytes of text and ~60 bytes of
//! memory, so a 60 MB line of them made 2.3 GB. The parse keeps an account of what it has
//! built and stops at a budget; a job's parse also stops where the job passes its memory cap.

use std::cell::Cell;
use std::fmt;

use rhai::{Array, Dynamic, Map};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Bytes of memory a value is counted as taking, besides a string's or key's text: its slot
/// (16 bytes), and for a string, array or map the allocation behind it.
pub(crate) const VALUE_BYTES: u64 = 64;

/// Why JSON text did not become a value.
#[derive(Debug)]
pub(crate) enum JsonParseError {
    /// The text is not JSON; the message names the place.
    Invalid(serde_json::Error),
    /// The values would take more than the budget, or the running job passed its memory cap.
    TooLarge,
}

/// Parses `text`, building at most `budget` bytes of values (as [`VALUE_BYTES`] counts them).
pub(crate) fn parse_json_within(text: &str, budget: u64) -> Result<Dynamic, JsonParseError> {
    let left = Cell::new(budget);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = DynamicSeed { left: &left }
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value));
    parsed.map_err(|e| {
        if left.get() == 0 || crate::limits::memory::over_cap() {
            JsonParseError::TooLarge
        } else {
            JsonParseError::Invalid(e)
        }
    })
}

/// Builds a `Dynamic` as serde_json reads the text, counting what it builds against `left`.
#[derive(Clone, Copy)]
struct DynamicSeed<'b> {
    left: &'b Cell<u64>,
}

impl DynamicSeed<'_> {
    /// Takes `text_len` bytes of text and one value's own bytes from the budget; fails once it
    /// is spent, or the running job is past its memory cap.
    fn spend<E: serde::de::Error>(self, text_len: usize) -> Result<(), E> {
        let cost = VALUE_BYTES.saturating_add(text_len as u64);
        match self.left.get().checked_sub(cost) {
            Some(left) if !crate::limits::memory::over_cap() => {
                self.left.set(left);
                Ok(())
            }
            _ => {
                self.left.set(0);
                Err(E::custom("the values would take too much memory"))
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for DynamicSeed<'_> {
    type Value = Dynamic;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Dynamic, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DynamicSeed<'_> {
    type Value = Dynamic;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Dynamic, E> {
        Ok(Dynamic::UNIT)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Dynamic, E> {
        Ok(b.into())
    }

    fn visit_i64<E>(self, i: i64) -> Result<Dynamic, E> {
        Ok(i.into())
    }

    fn visit_u64<E>(self, u: u64) -> Result<Dynamic, E> {
        // As `json_to_dynamic` does: beyond i64, a float.
        Ok(i64::try_from(u).map_or_else(|_| (u as f64).into(), Dynamic::from))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Dynamic, E> {
        Ok(f.into())
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Dynamic, E> {
        self.spend(s.len())?;
        Ok(s.into())
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Dynamic, E> {
        self.spend(s.len())?;
        Ok(s.into())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Dynamic, A::Error> {
        self.spend(0)?;
        let mut array = Array::new();
        while let Some(value) = seq.next_element_seed(self)? {
            // A number or `true` spends nothing of its own: its slot is spent here.
            self.spend(0)?;
            array.push(value);
        }
        Ok(array.into())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Dynamic, A::Error> {
        self.spend(0)?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            self.spend(key.len())?;
            let value = access.next_value_seed(self)?;
            map.insert(key.into(), value);
        }
        Ok(map.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_past_the_budget_are_refused_not_built() {
        let text = format!("[{}]", vec!["[]"; 1000].join(","));
        assert!(parse_json_within(&text, 1 << 20).is_ok());
        // 1,000 empty arrays count ~128 KB.
        assert!(matches!(
            parse_json_within(&text, 100_000),
            Err(JsonParseError::TooLarge)
        ));
        assert!(matches!(
            parse_json_within("[1,", 1 << 20),
            Err(JsonParseError::Invalid(_))
        ));
    }
}
