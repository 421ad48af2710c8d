//! What a job outputs: the values it emitted, then its final value.

use std::fmt;
use std::ops::{Deref, DerefMut};

use rhai::Dynamic;
use smallvec::SmallVec;

/// The values a job output, in order: those passed to `emit(..)`, then the script's final value
/// unless it was `()`.
///
/// It reads as a slice (`output[0]`, `output.len()`, `output.iter()`). Most jobs output exactly
/// one value, which is held inline: a record then costs no allocation on the worker and no free
/// on the thread that reads it, which at millions of records a second is most of what a record
/// would otherwise cost.
#[derive(Clone, Default)]
pub struct JobOutput(SmallVec<[Dynamic; 1]>);

impl JobOutput {
    /// No values.
    pub fn new() -> Self {
        JobOutput(SmallVec::new())
    }

    /// Adds a value at the end.
    pub fn push(&mut self, value: Dynamic) {
        self.0.push(value);
    }

    /// The values, as a `Vec` (a Rhai `Array`).
    pub fn into_vec(mut self) -> Vec<Dynamic> {
        std::mem::take(&mut self.0).into_vec()
    }
}

impl Drop for JobOutput {
    fn drop(&mut self) {
        // A script can output a value nested deeper than the stack of the thread that drops
        // the record could follow. Most outputs hold no array or map, and drop as they are:
        // this runs for every record, millions a second.
        if self.0.iter().any(crate::value::is_nest) {
            for value in self.0.drain(..) {
                crate::value::drop_flat(value);
            }
        }
    }
}

impl Deref for JobOutput {
    type Target = [Dynamic];

    fn deref(&self) -> &[Dynamic] {
        &self.0
    }
}

impl DerefMut for JobOutput {
    fn deref_mut(&mut self) -> &mut [Dynamic] {
        &mut self.0
    }
}

impl fmt::Debug for JobOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<Dynamic>> for JobOutput {
    fn from(values: Vec<Dynamic>) -> Self {
        JobOutput(SmallVec::from_vec(values))
    }
}

impl From<JobOutput> for Vec<Dynamic> {
    fn from(output: JobOutput) -> Self {
        output.into_vec()
    }
}

impl FromIterator<Dynamic> for JobOutput {
    fn from_iter<T: IntoIterator<Item = Dynamic>>(iter: T) -> Self {
        JobOutput(iter.into_iter().collect())
    }
}

impl IntoIterator for JobOutput {
    type Item = Dynamic;
    type IntoIter = smallvec::IntoIter<[Dynamic; 1]>;

    fn into_iter(mut self) -> Self::IntoIter {
        std::mem::take(&mut self.0).into_iter()
    }
}

impl<'a> IntoIterator for &'a JobOutput {
    type Item = &'a Dynamic;
    type IntoIter = std::slice::Iter<'a, Dynamic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_is_held_inline_and_more_spill() {
        let mut output = JobOutput::new();
        output.push(Dynamic::from(1_i64));
        assert!(!output.0.spilled(), "one value needs no allocation");
        output.push(Dynamic::from(2_i64));
        assert!(output.0.spilled());
        let values: Vec<i64> = output.iter().map(|v| v.as_int().unwrap()).collect();
        assert_eq!(values, [1, 2]);
        assert_eq!(output.into_vec().len(), 2);
    }
}
