//! Config errors: each with the file, line, column and key path of the value it is about.

use super::yaml::Position;
use std::fmt;

/// Where a value stands: `metrics[0].timeseries[1].data[0].LinearSegment.iterationCount`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(String);

impl KeyPath {
    /// The path of a key below this one.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        if key.is_empty() {
            self.clone()
        } else if self.0.is_empty() {
            Self(key.to_owned())
        } else {
            Self(format!("{}.{key}", self.0))
        }
    }

    /// The path of a list item below this one.
    #[must_use]
    pub fn index(&self, i: usize) -> Self {
        Self(format!("{}[{i}]", self.0))
    }

    /// The path as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One problem in a config.
///
/// Displays as `demo.yaml:14:11: metrics[0].timeseries[1].data[0].LinearSegment.iterationCount: must be > 0`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Key path of the value; empty for the document itself.
    pub path: KeyPath,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(
        file: &str,
        at: Position,
        path: &KeyPath,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_owned(),
            line: at.line,
            column: at.column,
            path: path.clone(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.path.as_str().is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in a config (at least one), in the order they stand in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The errors.
    #[must_use]
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

pub(crate) use promgen_syntax::closest;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_display() {
        let p = KeyPath::default().key("metrics").index(0).key("name");
        assert_eq!(p.as_str(), "metrics[0].name");
        let e = ConfigError::new("a.yaml", Position { line: 3, column: 7 }, &p, "bad");
        assert_eq!(e.to_string(), "a.yaml:3:7: metrics[0].name: bad");
        let top = ConfigError::new(
            "a.yaml",
            Position { line: 1, column: 1 },
            &KeyPath::default(),
            "empty",
        );
        assert_eq!(top.to_string(), "a.yaml:1:1: empty");
        assert_eq!(ConfigErrors(vec![e, top]).to_string().lines().count(), 2);
    }

    #[test]
    fn suggestions_for_typos() {
        let known = ["iterationCount", "amplitudeStart", "amplitudeEnd"];
        assert_eq!(closest("iterationcount", &known), Some("iterationCount"));
        assert_eq!(closest("amplitudeEnds", &known), Some("amplitudeEnd"));
        assert_eq!(closest("colour", &known), None);
    }
}
