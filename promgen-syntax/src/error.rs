//! Errors with a place: a byte range in text, or a token's span in a macro.

use std::fmt;

/// Where something stands.
#[derive(Debug, Clone, Copy)]
pub enum Span {
    /// Byte offsets into the text.
    Text {
        /// First byte.
        start: usize,
        /// One past the last byte.
        end: usize,
    },
    /// A token of a macro invocation.
    Token(proc_macro2::Span),
}

impl Span {
    /// The 1-based line and column (in characters) of the start of a text span; `(1, 1)` for
    /// a token span.
    #[must_use]
    pub fn line_column(&self, text: &str) -> (usize, usize) {
        let Span::Text { start, .. } = *self else {
            return (1, 1);
        };
        let before = &text[..start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, column)
    }
}

/// A mistake in a DSL expression.
#[derive(Debug, Clone)]
pub struct Error {
    /// Where it is.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

impl Error {
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
        }
    }

    /// `line:column: message`, for errors in `text`.
    ///
    /// ```
    /// let err = promgen_syntax::parse_str("linear(0..10) >>\n  gap(0)").unwrap_err();
    /// assert_eq!(err.render("linear(0..10) >>\n  gap(0)"), "2:7: gap(n) needs a whole number above 0");
    /// ```
    #[must_use]
    pub fn render(&self, text: &str) -> String {
        let (line, column) = self.span.line_column(text);
        format!("{line}:{column}: {}", self.message)
    }

    /// The error as a `syn::Error` on its token, for the macro.
    #[must_use]
    pub fn to_syn(&self) -> syn::Error {
        let span = match self.span {
            Span::Token(span) => span,
            Span::Text { .. } => proc_macro2::Span::call_site(),
        };
        syn::Error::new(span, &self.message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The known name closest to `word` (ignoring case), if it is close enough to be a likely typo.
///
/// ```
/// assert_eq!(promgen_syntax::closest("lienar", &["linear", "gap"]), Some("linear"));
/// assert_eq!(promgen_syntax::closest("colour", &["linear", "gap"]), None);
/// ```
pub fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    known
        .iter()
        .map(|k| (distance(&word, &k.to_lowercase()), *k))
        .filter(|(d, k)| *d <= (k.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
