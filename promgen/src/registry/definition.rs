//! The control-API body that recreates a series, listed beside it.

use crate::Labels;
use std::sync::Arc;

/// The control-API body (JSON) that recreates a series, listed beside it so that it can be
/// posted back. The series of a templated config entry share one text with holes where
/// each puts its own name and labels: a million series do not hold a million copies.
///
/// ```
/// use promgen::{Labels, registry::Definition};
/// let d = Definition::new(r#"{"name": "up", "values": "1"}"#);
/// let labels = Labels::new("up", [("job", "a")])?;
/// assert_eq!(d.render(&labels), r#"{"name": "up", "values": "1"}"#);
/// # Ok::<(), promgen::LabelError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    text: Arc<str>,
    /// Whether `text` has holes: only the decoder's templates do, so a text given to
    /// [`Definition::new`] is listed exactly as given, whatever it holds.
    holes: bool,
}

/// Where a series' own metric name goes in a template. JSON escapes every control
/// character, so no text written as JSON holds one.
pub(crate) const NAME_HOLE: &str = "\u{0}N";
/// Where a series' own labels go (a JSON object of them, `__name__` left out).
pub(crate) const LABELS_HOLE: &str = "\u{0}L";

impl Definition {
    /// A definition that is this text for any series.
    #[must_use]
    pub fn new(text: impl Into<Arc<str>>) -> Self {
        Self {
            text: text.into(),
            holes: false,
        }
    }

    /// A definition with [`NAME_HOLE`] and [`LABELS_HOLE`] in it, filled by each series.
    pub(crate) fn template(text: impl Into<Arc<str>>) -> Self {
        Self {
            text: text.into(),
            holes: true,
        }
    }

    /// The text for the series with `labels`.
    #[must_use]
    pub fn render(&self, labels: &Labels) -> String {
        if !self.holes {
            return self.text.to_string();
        }
        let mut pieces = self.text.split('\u{0}');
        let mut out = String::with_capacity(self.text.len() + 32);
        out.push_str(pieces.next().unwrap_or_default());
        for piece in pieces {
            let rest = match piece.as_bytes().first() {
                Some(b'N') => {
                    crate::config::json::write_string(&mut out, labels.name());
                    &piece[1..]
                }
                Some(b'L') => {
                    crate::config::json::write_string_map(&mut out, labels.without_name());
                    &piece[1..]
                }
                _ => piece,
            };
            out.push_str(rest);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_takes_each_series_name_and_labels_escaped() {
        let d = Definition::template(format!(
            r#"{{"name": {NAME_HOLE}, "labels": {LABELS_HOLE}, "series": "1"}}"#
        ));
        let labels = Labels::new("m_1", [("b", "say \"hi\"\n"), ("a", "x")]).unwrap();
        let text = d.render(&labels);
        assert_eq!(
            text,
            r#"{"name": "m_1", "labels": {"a": "x", "b": "say \"hi\"\n"}, "series": "1"}"#
        );
        let other = Labels::new("m_2", [] as [(&str, &str); 0]).unwrap();
        assert_eq!(
            d.render(&other),
            r#"{"name": "m_2", "labels": {}, "series": "1"}"#
        );
    }

    #[test]
    fn a_plain_text_is_listed_as_given_whatever_it_holds() {
        let text = format!("not JSON {NAME_HOLE} {LABELS_HOLE}");
        let labels = Labels::new("m", [("a", "x")]).unwrap();
        assert_eq!(Definition::new(text.clone()).render(&labels), text);
    }
}
