//! Cardinality from templates: a metric name or a label value may stand for many, with
//! integer ranges inside the text (`host-{0..999}`, both ends included; `{000..999}` pads to
//! the width written) and, for a label value, a list of such texts (`[a, b, c]`). A series
//! entry stands for the product of its labels' values, the metric entry for that times its
//! names.

/// A text with ranges: the texts it stands for, in order (the last range varies fastest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `{start..end}`, printed at least `width` digits wide.
    Range {
        start: u64,
        end: u64,
        width: usize,
    },
}

/// The most numbers one range may stand for (a typo guard before any limit on series).
const MAX_RANGE: u64 = 1 << 40;

impl Template {
    /// Reads `{a..b}` ranges out of `text`; any other brace is text.
    ///
    /// # Errors
    /// A range whose start is after its end, or one too large.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            match range(after) {
                Some((len, start, end, width)) => {
                    literal.push_str(&rest[..open]);
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    if start > end {
                        let written = &after[..len - 1];
                        let (a, b) = written.split_once("..").unwrap_or((written, written));
                        return Err(format!(
                            "{{{written}}}: the range starts after it ends (write {{{b}..{a}}})"
                        ));
                    }
                    if end - start >= MAX_RANGE {
                        return Err(format!(
                            "{{{}}}: a range of more than {MAX_RANGE} numbers",
                            &after[..len - 1]
                        ));
                    }
                    parts.push(Part::Range { start, end, width });
                    rest = &after[len..];
                }
                None => {
                    literal.push_str(&rest[..=open]);
                    rest = after;
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() || parts.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self { parts })
    }

    /// `text` as written, ranges and all.
    pub(crate) fn literal(text: &str) -> Self {
        Self {
            parts: vec![Part::Text(text.to_owned())],
        }
    }

    /// How many texts it stands for (saturating: a count past `u128` is past any limit).
    pub(crate) fn count(&self) -> u128 {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(_) => 1,
                Part::Range { start, end, .. } => u128::from(end - start) + 1,
            })
            .fold(1, u128::saturating_mul)
    }

    /// Whether it is plain text (stands for itself alone).
    pub(crate) fn is_plain(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// The `i`-th text it stands for (`i` < [`Template::count`]).
    pub(crate) fn get(&self, mut i: u128) -> String {
        let mut digits: Vec<u64> = vec![0; self.parts.len()];
        for (d, p) in digits.iter_mut().zip(&self.parts).rev() {
            if let Part::Range { start, end, .. } = p {
                let n = u128::from(end - start) + 1;
                *d = start + u64::try_from(i % n).expect("below the range's size");
                i /= n;
            }
        }
        let mut out = String::new();
        for (d, p) in digits.iter().zip(&self.parts) {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Range { width, .. } => out.push_str(&format!("{d:0width$}")),
            }
        }
        out
    }
}

/// `a..b}` at the start of `s`: the length read (through `}`), both numbers, and the width
/// to pad to (the start's digits when it has a leading zero).
fn range(s: &str) -> Option<(usize, u64, u64, usize)> {
    let close = s.find('}')?;
    let (a, b) = s[..close].split_once("..")?;
    let digits = |t: &str| !t.is_empty() && t.len() <= 19 && t.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return None;
    }
    let width = if a.len() > 1 && a.starts_with('0') {
        a.len()
    } else {
        1
    };
    Some((close + 1, a.parse().ok()?, b.parse().ok()?, width))
}

/// The values a label takes: one template, or a list of them, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choices(pub(crate) Vec<Template>);

impl Choices {
    pub(crate) fn count(&self) -> u128 {
        self.0
            .iter()
            .map(Template::count)
            .fold(0, u128::saturating_add)
    }

    pub(crate) fn get(&self, mut i: u128) -> String {
        for t in &self.0 {
            let n = t.count();
            if i < n {
                return t.get(i);
            }
            i -= n;
        }
        unreachable!("i is below the count")
    }
}

/// How many combinations `choices` make (saturating).
pub(crate) fn count(choices: &[Choices]) -> u128 {
    choices
        .iter()
        .map(Choices::count)
        .fold(1, u128::saturating_mul)
}

/// Every combination of `choices`, the last varying fastest: `count` rows (the product).
pub(crate) fn product(choices: &[Choices]) -> impl Iterator<Item = Vec<String>> + '_ {
    let total: u128 = count(choices);
    (0..total).map(move |mut i| {
        let mut row = vec![String::new(); choices.len()];
        for (cell, c) in row.iter_mut().zip(choices).rev() {
            let n = c.count();
            *cell = c.get(i % n);
            i /= n;
        }
        row
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<String> {
        let t = Template::parse(text).unwrap();
        (0..t.count()).map(|i| t.get(i)).collect()
    }

    #[test]
    fn ranges_expand_in_order_padded_as_written() {
        assert_eq!(all("host-{0..2}"), ["host-0", "host-1", "host-2"]);
        assert_eq!(all("{08..10}"), ["08", "09", "10"]);
        assert_eq!(all("m_{0..1}_{0..1}"), ["m_0_0", "m_0_1", "m_1_0", "m_1_1"]);
        assert_eq!(all("plain"), ["plain"]);
        assert_eq!(all(""), [""]);
        // Braces that are not a range are text.
        assert_eq!(all("{a..b} {1..} {..2} {3}"), ["{a..b} {1..} {..2} {3}"]);
        assert_eq!(all("{{1..2}}"), ["{1}", "{2}"]);
        assert!(Template::parse("x").unwrap().is_plain());
        assert!(!Template::parse("x{1..1}").unwrap().is_plain());
        assert_eq!(
            Template::parse("{9..0}").unwrap_err(),
            "{9..0}: the range starts after it ends (write {0..9})"
        );
        assert_eq!(
            Template::parse("{010..001}").unwrap_err(),
            "{010..001}: the range starts after it ends (write {001..010})"
        );
        let huge = Template::parse(&"{0..4294967295}".repeat(4)).unwrap();
        assert_eq!(huge.count(), u128::MAX, "saturates, never wraps to 0");
        assert!(
            Template::parse("{0..9999999999999}")
                .unwrap_err()
                .contains("more than")
        );
    }

    #[test]
    fn products_go_through_every_combination() {
        let c = |ts: &[&str]| Choices(ts.iter().map(|t| Template::parse(t).unwrap()).collect());
        let rows: Vec<Vec<String>> = product(&[c(&["a", "b{1..2}"]), c(&["z{0..1}"])]).collect();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0], ["a", "z0"]);
        assert_eq!(rows[3], ["b1", "z1"]);
        assert_eq!(rows[5], ["b2", "z1"]);
        let count: u128 = [c(&["x{1..1000}"]), c(&["{1..1000}", "y"])]
            .iter()
            .map(Choices::count)
            .product();
        assert_eq!(count, 1000 * 1001);
    }
}
