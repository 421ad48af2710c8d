//! The compiled patterns one engine keeps: bounded in number and in each pattern's size.

use std::collections::HashMap;

use regex::{Regex, RegexBuilder};

use super::regex_search::Pattern;

/// How many compiled patterns one engine keeps. Scripts use a handful of literal patterns,
/// which stay cached for good; a script that builds patterns from its items gets a cache that
/// churns but never grows past this.
pub const REGEX_CACHE_CAPACITY: usize = 64;

/// The most memory one compiled pattern may take (the `regex` default is 10 MiB). Together
/// with the capacity this bounds a worker's cache; a pattern over it fails with a clear error.
const PATTERN_SIZE_LIMIT: usize = 2 << 20;

/// Compiled patterns keyed by their text, in two generations: a hit in the older one moves the
/// pattern to the newer; when the newer fills, the older is dropped and the newer takes its
/// place. That evicts patterns unused for a generation (an approximate LRU) in O(1), with at
/// most `capacity` patterns alive.
#[derive(Debug)]
pub struct RegexCache {
    current: HashMap<String, Pattern>,
    previous: HashMap<String, Pattern>,
    generation: usize,
}

impl RegexCache {
    /// An empty cache holding at most `capacity` patterns (at least 2).
    pub fn new(capacity: usize) -> Self {
        RegexCache {
            current: HashMap::new(),
            previous: HashMap::new(),
            generation: (capacity / 2).max(1),
        }
    }

    /// How many compiled patterns the cache holds.
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// Whether the cache holds no pattern.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs `f` with the compiled `pattern`, compiling it on a miss. The regex is lent, not
    /// cloned: a clone would start with an empty matching cache and lose its warm state.
    pub fn with<T>(
        &mut self,
        pattern: &str,
        f: impl FnOnce(&Regex) -> T,
    ) -> Result<T, regex::Error> {
        self.with_pattern(pattern, |compiled| f(&compiled.regex))
    }

    /// Runs `f` with the compiled `pattern` and what a search of it in steps needs.
    pub(crate) fn with_pattern<T>(
        &mut self,
        pattern: &str,
        f: impl FnOnce(&Pattern) -> T,
    ) -> Result<T, regex::Error> {
        if let Some(compiled) = self.current.get(pattern) {
            return Ok(f(compiled));
        }
        let compiled = match self.previous.remove(pattern) {
            Some(compiled) => compiled,
            None => {
                let regex = RegexBuilder::new(pattern)
                    .size_limit(PATTERN_SIZE_LIMIT)
                    .build()?;
                Pattern::new(regex, pattern)
            }
        };
        if self.current.len() >= self.generation {
            self.previous = std::mem::take(&mut self.current);
        }
        let compiled = self.current.entry(pattern.to_string()).or_insert(compiled);
        Ok(f(compiled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_and_keeps_patterns_in_use() {
        let mut cache = RegexCache::new(8);
        for i in 0..10_000 {
            cache.with("hot", |_| ()).unwrap();
            cache.with(&format!("cold{i}"), |_| ()).unwrap();
            assert!(cache.len() <= 8, "{} patterns after {i}", cache.len());
        }
        // The pattern used all along survived every eviction.
        assert!(cache.current.contains_key("hot") || cache.previous.contains_key("hot"));
        assert!(cache.with("(", |_| ()).is_err());
    }
}
