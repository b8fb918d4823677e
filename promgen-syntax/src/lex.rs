//! Both front ends produce the same tokens: text is lexed here, and a macro's token trees are
//! flattened into the same kinds. Groups stay nested, as in `proc_macro2`.

use crate::{Error, Span};
use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

#[derive(Debug, Clone)]
pub(crate) struct Tok {
    pub kind: Kind,
    pub span: Span,
    /// The token tree it came from (macro only), so arguments can be re-emitted as Rust.
    pub raw: Vec<TokenTree>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Ident(String),
    /// A number literal: its value and, for a non-negative whole number, the integer.
    Num(f64, Option<u64>),
    /// A duration literal like `30s` or `1h30m`, in milliseconds.
    Duration(i64),
    Str(String),
    /// `>>` `+` `-` `*` `/` `..` `..=` `=` `,` `.` `_`
    Punct(&'static str),
    /// `( … )` or `[ … ]`.
    Group(Delim, Vec<Tok>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delim {
    Paren,
    Bracket,
}

impl Tok {
    pub fn is_punct(&self, p: &str) -> bool {
        matches!(self.kind, Kind::Punct(q) if q == p)
    }

    pub fn is_ident(&self, name: &str) -> bool {
        matches!(&self.kind, Kind::Ident(i) if i == name)
    }

    /// The tokens as Rust source (macro only).
    pub fn to_tokens(toks: &[Tok]) -> TokenStream {
        toks.iter().flat_map(|t| t.raw.iter().cloned()).collect()
    }
}

/// The units of a Prometheus duration and their length in milliseconds, largest first.
pub const DURATION_UNITS: [(&str, i64); 7] = [
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// A Prometheus duration (`30s`, `1h30m`, `1d`, `500ms`) in milliseconds: units from largest
/// to smallest, each at most once. `None` for anything else, or on overflow.
///
/// ```
/// assert_eq!(promgen_syntax::parse_duration("1h30m"), Some(5_400_000));
/// assert_eq!(promgen_syntax::parse_duration("30s1m"), None);
/// ```
pub fn parse_duration(text: &str) -> Option<i64> {
    let mut rest = text;
    let mut total: i64 = 0;
    let mut next_unit = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let number: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = (next_unit..DURATION_UNITS.len())
            .filter(|&i| rest.starts_with(DURATION_UNITS[i].0))
            .max_by_key(|&i| DURATION_UNITS[i].0.len())?;
        rest = &rest[DURATION_UNITS[unit].0.len()..];
        total = total.checked_add(number.checked_mul(DURATION_UNITS[unit].1)?)?;
        next_unit = unit + 1;
    }
    Some(total)
}

/// A number or duration literal as written: `10`, `2.5`, `1e3`, `30s`, `1h30m`, `10u64`.
fn number(text: &str, span: Span) -> Result<Kind, Error> {
    let clean = text.replace('_', "");
    // Rust's numeric suffixes are allowed in the macro and ignored.
    let core = [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64",
    ]
    .iter()
    .find_map(|s| clean.strip_suffix(s))
    .unwrap_or(&clean);
    if core.bytes().all(|b| b.is_ascii_digit()) {
        return match core.parse::<u64>() {
            Ok(n) => Ok(Kind::Num(n as f64, Some(n))),
            Err(_) => Ok(Kind::Num(
                core.parse::<f64>().unwrap_or(f64::INFINITY),
                None,
            )),
        };
    }
    let looks_float = core
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if looks_float && let Ok(v) = core.parse::<f64>() {
        return Ok(Kind::Num(v, None));
    }
    match parse_duration(&clean) {
        Some(ms) => Ok(Kind::Duration(ms)),
        None => Err(Error::new(
            span,
            format!(
                "bad duration or number '{text}': a duration is whole numbers with units from y, w, d, h, m, s, ms, largest first (30s, 1h30m, 1d)"
            ),
        )),
    }
}

pub(crate) fn lex_str(text: &str) -> Result<Vec<Tok>, Error> {
    let mut lexer = TextLexer { text, pos: 0 };
    let toks = lexer.sequence(None)?;
    Ok(toks)
}

struct TextLexer<'a> {
    text: &'a str,
    pos: usize,
}

impl TextLexer<'_> {
    fn span(&self, start: usize) -> Span {
        Span::Text {
            start,
            end: self.pos,
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn tok(&self, kind: Kind, start: usize) -> Tok {
        Tok {
            kind,
            span: self.span(start),
            raw: Vec::new(),
        }
    }

    /// Tokens up to the closing `close` (or the end, at the top level).
    fn sequence(&mut self, close: Option<(char, usize)>) -> Result<Vec<Tok>, Error> {
        let mut toks = Vec::new();
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.pos += self.peek().map_or(0, char::len_utf8);
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                return match close {
                    Some((c, open)) => Err(Error::new(
                        Span::Text {
                            start: open,
                            end: open + 1,
                        },
                        format!("unclosed delimiter: no '{c}' to match this"),
                    )),
                    None => Ok(toks),
                };
            };
            let rest = &self.text[self.pos..];
            let punct = [">>", "..=", "..", "+", "-", "*", "/", "=", ",", "."]
                .into_iter()
                .find(|p| rest.starts_with(p));
            if let Some(p) = punct {
                self.pos += p.len();
                toks.push(self.tok(Kind::Punct(p), start));
                continue;
            }
            match c {
                '(' | '[' => {
                    self.pos += 1;
                    let (delim, closing) = if c == '(' {
                        (Delim::Paren, ')')
                    } else {
                        (Delim::Bracket, ']')
                    };
                    let inner = self.sequence(Some((closing, start)))?;
                    toks.push(self.tok(Kind::Group(delim, inner), start));
                }
                ')' | ']' => {
                    self.pos += 1;
                    return match close {
                        Some((expected, _)) if expected == c => Ok(toks),
                        _ => Err(Error::new(self.span(start), format!("unexpected '{c}'"))),
                    };
                }
                '"' => toks.push(self.string(start)?),
                c if c.is_ascii_digit() => {
                    loop {
                        let rest = &self.text[self.pos..];
                        match rest.chars().next() {
                            Some('.') if !rest.starts_with("..") => self.pos += 1,
                            Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                                self.pos += 1;
                                // An exponent may carry a sign (1e-3); duration units never do.
                                let mantissa = &self.text[start..self.pos - 1];
                                if matches!(c, 'e' | 'E')
                                    && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                                    && self.text[self.pos..].starts_with(['+', '-'])
                                {
                                    self.pos += 1;
                                }
                            }
                            _ => break,
                        }
                    }
                    let text = &self.text[start..self.pos];
                    let kind = number(text, self.span(start))?;
                    toks.push(self.tok(kind, start));
                }
                c if c.is_alphabetic() || c == '_' => {
                    while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        self.pos += self.peek().map_or(0, char::len_utf8);
                    }
                    let word = &self.text[start..self.pos];
                    let kind = if word == "_" {
                        Kind::Punct("_")
                    } else {
                        Kind::Ident(word.to_owned())
                    };
                    toks.push(self.tok(kind, start));
                }
                other => {
                    self.pos += other.len_utf8();
                    return Err(Error::new(
                        self.span(start),
                        format!("unexpected character '{other}'"),
                    ));
                }
            }
        }
    }

    fn string(&mut self, start: usize) -> Result<Tok, Error> {
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(Error::new(self.span(start), "unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(self.tok(Kind::Str(value), start)),
                '\\' => {
                    let Some(e) = self.peek() else { continue };
                    self.pos += e.len_utf8();
                    value.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                c => value.push(c),
            }
        }
    }
}

pub(crate) fn lex_tokens(stream: TokenStream) -> Result<Vec<Tok>, Error> {
    let trees: Vec<TokenTree> = stream.into_iter().collect();
    let mut toks: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < trees.len() {
        let tree = &trees[i];
        let span = Span::Token(tree.span());
        let one = |kind| Tok {
            kind,
            span,
            raw: vec![tree.clone()],
        };
        match tree {
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
                toks.push(one(if name == "_" {
                    Kind::Punct("_")
                } else {
                    Kind::Ident(name)
                }));
            }
            TokenTree::Literal(lit) => {
                let text = lit.to_string();
                let kind = if text.starts_with('"') {
                    let parsed: syn::LitStr = syn::parse2(tree.clone().into())
                        .map_err(|_| Error::new(span, "expected a plain string literal"))?;
                    Kind::Str(parsed.value())
                } else if text.starts_with(|c: char| c.is_ascii_digit()) {
                    number(&text, span)?
                } else {
                    return Err(Error::new(span, format!("unexpected literal {text}")));
                };
                toks.push(one(kind));
            }
            TokenTree::Group(group) => {
                let delim = match group.delimiter() {
                    Delimiter::Parenthesis => Delim::Paren,
                    Delimiter::Bracket => Delim::Bracket,
                    Delimiter::None => {
                        // An invisible group (from a macro_rules! fragment): splice its tokens.
                        toks.extend(lex_tokens(group.stream())?);
                        i += 1;
                        continue;
                    }
                    Delimiter::Brace => {
                        return Err(Error::new(
                            span,
                            "unexpected braces: a series is written with ( ) and [ ]",
                        ));
                    }
                };
                let inner = lex_tokens(group.stream())?;
                toks.push(Tok {
                    kind: Kind::Group(delim, inner),
                    span,
                    raw: vec![tree.clone()],
                });
            }
            TokenTree::Punct(p) => {
                // Rust splits `>>` and `..=` into single characters marked as joint.
                let joint = |k: usize, c: char| {
                    matches!(trees.get(i + k), Some(TokenTree::Punct(q)) if q.as_char() == c)
                        && matches!(&trees[i + k - 1], TokenTree::Punct(q) if q.spacing() == Spacing::Joint)
                };
                let (text, len): (&'static str, usize) = match p.as_char() {
                    '>' if joint(1, '>') => (">>", 2),
                    '.' if joint(1, '.') && joint(2, '=') => ("..=", 3),
                    '.' if joint(1, '.') => ("..", 2),
                    '+' => ("+", 1),
                    '-' => ("-", 1),
                    '*' => ("*", 1),
                    '/' => ("/", 1),
                    '=' => ("=", 1),
                    ',' => (",", 1),
                    '.' => (".", 1),
                    _ => {
                        // Any other punctuation can only be part of a Rust argument expression.
                        ("?", 1)
                    }
                };
                let raw = trees[i..i + len].to_vec();
                let kind = if text == "?" {
                    Kind::Punct(leak_punct(p.as_char()))
                } else {
                    Kind::Punct(text)
                };
                toks.push(Tok { kind, span, raw });
                i += len;
                continue;
            }
        }
        i += 1;
    }
    Ok(toks)
}

/// Other punctuation keeps its character, for messages and Rust expressions.
fn leak_punct(c: char) -> &'static str {
    const OTHERS: &[&str] = &[
        "!", "#", "$", "%", "&", "'", ":", ";", "<", ">", "?", "@", "^", "|", "~",
    ];
    OTHERS
        .iter()
        .find(|s| s.starts_with(c))
        .copied()
        .unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<String> {
        lex_str(text)
            .unwrap()
            .iter()
            .map(|t| format!("{:?}", t.kind))
            .collect()
    }

    /// The tokens without their spans.
    fn shape(toks: &[Tok]) -> String {
        toks.iter()
            .map(|t| match &t.kind {
                Kind::Group(d, inner) => format!("{d:?}[{}]", shape(inner)),
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn numbers_durations_and_punctuation() {
        assert_eq!(
            kinds("1 2.5 1e-3 30s 1h30m 0..=10 a>>b"),
            [
                "Num(1.0, Some(1))",
                "Num(2.5, None)",
                "Num(0.001, None)",
                "Duration(30000)",
                "Duration(5400000)",
                "Num(0.0, Some(0))",
                "Punct(\"..=\")",
                "Num(10.0, Some(10))",
                "Ident(\"a\")",
                "Punct(\">>\")",
                "Ident(\"b\")",
            ]
        );
        assert_eq!(
            kinds("0..10"),
            ["Num(0.0, Some(0))", "Punct(\"..\")", "Num(10.0, Some(10))"]
        );
        assert_eq!(kinds("_ \"a\\\"b\""), ["Punct(\"_\")", "Str(\"a\\\"b\")"]);
    }

    #[test]
    fn bad_input_is_located() {
        let err = lex_str("linear(0..1) >> 5q").unwrap_err();
        assert_eq!(
            err.render("linear(0..1) >> 5q").split(": bad").next(),
            Some("1:17")
        );
        assert_eq!(
            lex_str("(1").unwrap_err().render("(1"),
            "1:1: unclosed delimiter: no ')' to match this"
        );
        assert_eq!(
            lex_str("1)").unwrap_err().render("1)"),
            "1:2: unexpected ')'"
        );
        assert_eq!(
            lex_str("1 # 2").unwrap_err().render("1 # 2"),
            "1:3: unexpected character '#'"
        );
    }

    #[test]
    fn tokens_lex_like_text() {
        let tokens: TokenStream = "linear(0..=10, 5) x 2 >> [1, _, stale] >> \"1 2\""
            .parse()
            .unwrap();
        let text = "linear(0..=10, 5) x 2 >> [1, _, stale] >> \"1 2\"";
        assert_eq!(
            shape(&lex_tokens(tokens).unwrap()),
            shape(&lex_str(text).unwrap())
        );
    }
}
