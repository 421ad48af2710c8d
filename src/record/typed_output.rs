//! Typed outputs (the `serde` feature): a record's output taken out as the host's own type,
//! instead of picked apart from a `Dynamic` field by field.

use serde::de::DeserializeOwned;

use crate::record::job::JobRecord;

impl JobRecord {
    /// Output number `index` (0 for the first `emit`, or the script's value if it emitted
    /// nothing) as a `T`. Fails, saying why, when there is no such output or it does not have
    /// `T`'s shape.
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// use rsparallel::RunspacePool;
    ///
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct Row {
    ///     id: i64,
    ///     name: String,
    /// }
    ///
    /// let pool = RunspacePool::builder().threads(1).build()?;
    /// let script = pool.compile(r#"#{ id: item, name: `row ${item}` }"#)?;
    /// let record = pool.run(&script, [7_i64])?.next().unwrap();
    /// let row: Row = record.output_as(0)?;
    /// assert_eq!(row, Row { id: 7, name: "row 7".into() });
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn output_as<T: DeserializeOwned>(&self, index: usize) -> Result<T, TypedOutputError> {
        let value = self.output.get(index).ok_or(TypedOutputError::Missing {
            index,
            outputs: self.output.len(),
        })?;
        rhai::serde::from_dynamic(value).map_err(|err| TypedOutputError::Shape(err.to_string()))
    }
}

/// Why [`JobRecord::output_as`] could not give a typed output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TypedOutputError {
    /// The record has fewer outputs.
    #[error("no output {index}: the record has {outputs}")]
    Missing {
        /// The output asked for.
        index: usize,
        /// How many the record has.
        outputs: usize,
    },
    /// The output does not have the type's shape.
    #[error("the output does not have the type's shape: {0}")]
    Shape(String),
}
