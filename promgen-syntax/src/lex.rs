//! Both front ends produce the same tokens: text is lexed here, and a macro's token trees are
//! flattened into the same kinds. Groups stay nested, as in `proc_macro2`.

use crate::{Error, Span, limits::check_depth};
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
    let looks_float = core
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if looks_float && let Ok(v) = core.parse::<f64>() {
        if v.is_infinite() {
            return Err(Error::new(
                span,
                format!(
                    "the number {text} is out of range: a value is a 64-bit float, at most about 1.8e308"
                ),
            ));
        }
        return Ok(Kind::Num(v, whole_number(core)));
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

/// The value of a decimal literal (`42`, `3.0`, `1e18`, `2.5e1`) when it is a whole number
/// from 0 to `u64::MAX`, worked out from its digits: no float rounding can make a fraction,
/// or a number too large, look whole. `None` for anything else.
///
/// ```
/// use promgen_syntax::whole_number;
/// assert_eq!(whole_number("1e18"), Some(1_000_000_000_000_000_000));
/// assert_eq!(whole_number("2.50e1"), Some(25));
/// assert_eq!(whole_number("18446744073709551615"), Some(u64::MAX));
/// assert_eq!(whole_number("18446744073709551616"), None);
/// assert_eq!(whole_number("9007199254740993.5"), None);
/// assert_eq!(whole_number("-1"), None);
/// ```
#[must_use]
pub fn whole_number(text: &str) -> Option<u64> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.len() + frac.len() == 0 || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    // value = digits × 10^scale
    let mut digits = format!("{int}{frac}");
    let mut scale = exponent.checked_sub(i64::try_from(frac.len()).ok()?)?;
    while scale < 0 && digits.ends_with('0') {
        digits.pop();
        scale += 1;
    }
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some(0);
    }
    if scale < 0 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    n.checked_mul(10u64.checked_pow(u32::try_from(scale).ok()?)?)
}

pub(crate) fn lex_str(text: &str) -> Result<Vec<Tok>, Error> {
    TextLexer { text, pos: 0 }.all()
}

struct TextLexer<'a> {
    text: &'a str,
    pos: usize,
}

/// A bracket opened and not yet closed, with the tokens before it.
struct Open {
    delim: Delim,
    closing: char,
    start: usize,
    outer: Vec<Tok>,
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

    /// Every token, brackets nested into groups with a stack of the open ones rather than by
    /// recursion: a bracket past the depth limit is refused where it opens.
    fn all(&mut self) -> Result<Vec<Tok>, Error> {
        let mut open: Vec<Open> = Vec::new();
        let mut toks = Vec::new();
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.pos += self.peek().map_or(0, char::len_utf8);
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                return match open.last() {
                    Some(group) => Err(Error::new(
                        Span::Text {
                            start: group.start,
                            end: group.start + 1,
                        },
                        format!("unclosed delimiter: no '{}' to match this", group.closing),
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
                    check_depth(open.len() + 1, self.span(start))?;
                    let (delim, closing) = if c == '(' {
                        (Delim::Paren, ')')
                    } else {
                        (Delim::Bracket, ']')
                    };
                    open.push(Open {
                        delim,
                        closing,
                        start,
                        outer: std::mem::take(&mut toks),
                    });
                }
                ')' | ']' => {
                    self.pos += 1;
                    match open.pop() {
                        Some(group) if group.closing == c => {
                            let inner = std::mem::replace(&mut toks, group.outer);
                            toks.push(self.tok(Kind::Group(group.delim, inner), group.start));
                        }
                        _ => return Err(Error::new(self.span(start), format!("unexpected '{c}'"))),
                    }
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

    /// The character of a `\xNN` (ASCII) or `\u{N…}` escape, the `\x` or `\u` read.
    fn hex_escape(&mut self, start: usize, most: usize, braced: bool) -> Result<char, Error> {
        let bad = |lexer: &Self| Error::new(lexer.span(start), "invalid escape in string");
        if braced {
            if self.peek() != Some('{') {
                return Err(bad(self));
            }
            self.pos += 1;
        }
        let mut value = 0u32;
        let mut digits = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(16)) {
            if digits == most {
                return Err(bad(self));
            }
            value = value * 16 + d;
            digits += 1;
            self.pos += 1;
        }
        if braced {
            if self.peek() != Some('}') {
                return Err(bad(self));
            }
            self.pos += 1;
        }
        let ascii = braced || value < 0x80;
        match char::from_u32(value) {
            Some(c) if digits > 0 && ascii && (braced || digits == 2) => Ok(c),
            _ => Err(bad(self)),
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
                    // Rust's escapes, as in `series!` and as the canonical text writes them.
                    let c = match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        'x' => self.hex_escape(start, 2, false)?,
                        'u' => self.hex_escape(start, 6, true)?,
                        other => other,
                    };
                    value.push(c);
                }
                c => value.push(c),
            }
        }
    }
}

/// A group being lexed: its trees, how far it has read, the tokens so far, and its delimiter
/// (`None` for an invisible one, whose tokens are spliced in), span and tree.
struct Level {
    trees: Vec<TokenTree>,
    next: usize,
    toks: Vec<Tok>,
    group: Option<(Option<Delim>, Span, TokenTree)>,
}

impl Level {
    fn new(stream: TokenStream, group: Option<(Option<Delim>, Span, TokenTree)>) -> Self {
        Self {
            trees: stream.into_iter().collect(),
            next: 0,
            toks: Vec::new(),
            group,
        }
    }
}

/// The token trees of a macro invocation, flattened group by group with a stack of the
/// enclosing ones rather than by recursion: a group past the depth limit is refused on its
/// delimiter.
pub(crate) fn lex_tokens(stream: TokenStream) -> Result<Vec<Tok>, Error> {
    let mut level = Level::new(stream, None);
    let mut outer: Vec<Level> = Vec::new();
    loop {
        let Some(tree) = level.trees.get(level.next).cloned() else {
            let Some(parent) = outer.pop() else {
                return Ok(level.toks);
            };
            let done = std::mem::replace(&mut level, parent);
            match done.group {
                Some((Some(delim), span, tree)) => level.toks.push(Tok {
                    kind: Kind::Group(delim, done.toks),
                    span,
                    raw: vec![tree],
                }),
                _ => level.toks.extend(done.toks),
            }
            continue;
        };
        let TokenTree::Group(group) = &tree else {
            let (tok, len) = token(&level.trees, level.next)?;
            level.toks.push(tok);
            level.next += len;
            continue;
        };
        level.next += 1;
        let span = Span::Token(tree.span());
        let delim = match group.delimiter() {
            Delimiter::Parenthesis => Some(Delim::Paren),
            Delimiter::Bracket => Some(Delim::Bracket),
            // An invisible group (from a macro_rules! fragment): its tokens are spliced in,
            // but it nests like parentheses.
            Delimiter::None => None,
            Delimiter::Brace => {
                return Err(Error::new(
                    span,
                    "unexpected braces: a series is written with ( ) and [ ]",
                ));
            }
        };
        check_depth(outer.len() + 1, span)?;
        let inner = Level::new(group.stream(), Some((delim, span, tree.clone())));
        outer.push(std::mem::replace(&mut level, inner));
    }
}

/// The token at `trees[i]` (not a group), and how many trees it took.
fn token(trees: &[TokenTree], i: usize) -> Result<(Tok, usize), Error> {
    let tree = &trees[i];
    let span = Span::Token(tree.span());
    let one = |kind| Tok {
        kind,
        span,
        raw: vec![tree.clone()],
    };
    Ok(match tree {
        TokenTree::Ident(ident) => {
            let name = ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
            let kind = if name == "_" {
                Kind::Punct("_")
            } else {
                Kind::Ident(name)
            };
            (one(kind), 1)
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
            (one(kind), 1)
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
                // Any other punctuation can only be part of a Rust argument expression.
                other => (leak_punct(other), 1),
            };
            let tok = Tok {
                kind: Kind::Punct(text),
                span,
                raw: trees[i..i + len].to_vec(),
            };
            (tok, len)
        }
        // Groups are nested by `lex_trees`, never handed here.
        TokenTree::Group(_) => return Err(Error::new(span, "unexpected group")),
    })
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
    fn strings_read_the_escapes_their_canonical_text_writes() {
        // A string's canonical text is Rust's `{:?}`: every escape it writes reads back.
        for value in [
            "a\rb",
            "\0",
            "\u{1b}]0;x\u{7}",
            "tab\there \"q\" \\ '",
            "é ✓",
        ] {
            let written = format!("{value:?}");
            let toks = lex_str(&written).unwrap();
            assert!(
                matches!(&toks[0].kind, Kind::Str(v) if v == value),
                "{written} reads back as {:?}",
                toks[0].kind
            );
        }
        assert_eq!(kinds(r#""\x41\u{e9}""#), ["Str(\"Aé\")"]);
        for bad in [
            r#""\x80""#,
            r#""\x4""#,
            r#""\u{110000}""#,
            r#""\u{}""#,
            r#""\u41""#,
        ] {
            assert!(lex_str(bad).is_err(), "{bad}");
        }
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
