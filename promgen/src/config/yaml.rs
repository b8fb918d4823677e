//! A YAML document as a tree of nodes that remember where they stand in the file.
//!
//! Built from `saphyr-parser`'s event stream, so that every error the config decoder reports
//! can name the line and column of the value it is about. Public so that the other formats
//! promgen reads (promgen-test's promtool test files) report errors the same way.
//!
//! ```
//! use promgen::config::yaml::{Kind, parse};
//! let root = parse("tests:\n  - name: a\n").unwrap().unwrap();
//! let Kind::Map(entries) = &root.kind else { panic!() };
//! let (key, value) = &entries[0];
//! assert_eq!((key.at.line, value.at.line, value.at.column), (1, 2, 3));
//! ```

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::{collections::HashMap, ops::Deref, rc::Rc};

/// 1-based line and column of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

impl Position {
    fn of(span: Span) -> Self {
        Self {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

/// What a node is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A scalar as written; `plain` is false for quoted and block scalars, which are always
    /// strings (so `"1"` is text, `1` a number, `"null"` not null).
    Scalar {
        /// The scalar's text, escapes resolved.
        text: String,
        /// Whether it was written unquoted (and untagged).
        plain: bool,
    },
    /// A list.
    Seq(Shared<Node>),
    /// A mapping: its entries in the order written.
    Map(Shared<(Node, Node)>),
}

/// The items of a list or mapping, shared: an alias is its anchored node, not a copy of it,
/// so the tree is never larger than the text, however far its aliases expand.
#[derive(Debug, Clone, PartialEq)]
pub struct Shared<T>(Rc<Vec<T>>);

impl<T> Deref for Shared<T> {
    type Target = Vec<T>;

    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> From<Vec<T>> for Shared<T> {
    fn from(items: Vec<T>) -> Self {
        Self(Rc::new(items))
    }
}

impl<'a, T> IntoIterator for &'a Shared<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A node of the document, and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it is.
    pub kind: Kind,
    /// Where it starts.
    pub at: Position,
}

impl Node {
    /// The node as JSON text: scalars keep their text (numbers stay numbers, `null`, `true`
    /// and `false` stay themselves, everything else is a string).
    ///
    /// ```
    /// let node = promgen::config::yaml::parse("{Values: '1 2', n: 3}").unwrap().unwrap();
    /// assert_eq!(node.to_json(), r#"{"Values": "1 2", "n": 3}"#);
    /// ```
    #[must_use]
    pub fn to_json(&self) -> String {
        super::json::to_json(self)
    }

    /// Whether this is YAML's null (`null`, `~`, or nothing at all).
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A short description of the node's kind for error messages.
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            _ if self.is_null() => "null",
            Kind::Scalar { plain: false, .. } => "a string",
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where.
    pub at: Position,
    /// What.
    pub message: String,
    /// Whether this is a limit of ours (nesting, aliases), not a mistake in the YAML.
    pub limit: bool,
}

/// Parses the first document of `text`; `None` when the text holds no document. A second
/// document, nesting deeper than 200 levels, or aliases that expand past a budget are errors.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut builder = Builder {
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
        depth: 0,
        aliased: Size::default(),
    };
    builder.document()
}

/// Deeper nesting than this is refused rather than risking the stack (the decoder walks the
/// tree recursively).
const MAX_DEPTH: usize = 200;
/// The most nodes aliases may add to a document, expanded. A "billion laughs" document of a
/// few hundred bytes expands a few anchors into an exponential tree: the tree itself shares
/// what aliases repeat, but the decoder walks (and copies into the config) each expanded
/// node. A hand-written config that reuses a shape or a label set by alias adds hundreds.
pub(crate) const MAX_ALIAS_NODES: usize = 100_000;
/// The most scalar text aliases may add to a document, expanded (each copy may end up in
/// the config: a label value, a help text, a series expression to parse).
pub(crate) const MAX_ALIAS_BYTES: usize = 4 << 20;

/// How much of the document a node stands for, aliases expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: usize,
    /// Scalar text, in bytes.
    bytes: usize,
    /// Levels of nesting, the node itself included.
    height: usize,
}

struct Builder<'a> {
    events: Parser<'a, saphyr_parser::StrInput<'a>>,
    /// Each anchored node, with its size expanded.
    anchors: HashMap<usize, (Node, Size)>,
    depth: usize,
    /// What aliases have added so far.
    aliased: Size,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), SyntaxError> {
        match self.events.next_event() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(e)) => Err(SyntaxError {
                at: Position {
                    line: e.marker().line(),
                    column: e.marker().col() + 1,
                },
                message: e.info().to_owned(),
                limit: false,
            }),
            None => Ok((Event::StreamEnd, Span::default())),
        }
    }

    fn document(&mut self) -> Result<Option<Node>, SyntaxError> {
        loop {
            match self.next()?.0 {
                Event::StreamStart | Event::Nothing => {}
                Event::DocumentStart(_) => break,
                _ => return Ok(None),
            }
        }
        let (event, span) = self.next()?;
        if matches!(event, Event::DocumentEnd) {
            return Ok(None);
        }
        let (root, _) = self.node(event, span)?;
        match self.next()? {
            (Event::DocumentEnd | Event::StreamEnd, _) => {}
            (_, span) => {
                return Err(SyntaxError {
                    at: Position::of(span),
                    message: "unexpected content after the document".into(),
                    limit: false,
                });
            }
        }
        if let (Event::DocumentStart(_), span) = self.next()? {
            return Err(SyntaxError {
                at: Position::of(span),
                message: "a config holds one YAML document; found a second".into(),
                limit: false,
            });
        }
        Ok(Some(root))
    }

    /// An alias to a node of `size`, at `at`: refused when it would take the document past
    /// a budget, before anything of it is built.
    fn alias(&mut self, size: Size, at: Position) -> Result<(), SyntaxError> {
        let error = |message: String| {
            Err(SyntaxError {
                at,
                message,
                limit: true,
            })
        };
        if self.depth + size.height > MAX_DEPTH {
            return error(format!("aliases nest deeper than {MAX_DEPTH} levels"));
        }
        let nodes = self.aliased.nodes.saturating_add(size.nodes);
        if nodes > MAX_ALIAS_NODES {
            return error(format!(
                "aliases expand to more than {MAX_ALIAS_NODES} nodes"
            ));
        }
        let bytes = self.aliased.bytes.saturating_add(size.bytes);
        if bytes > MAX_ALIAS_BYTES {
            return error(format!(
                "aliases expand to more than {} MiB of text",
                MAX_ALIAS_BYTES >> 20
            ));
        }
        self.aliased.nodes = nodes;
        self.aliased.bytes = bytes;
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<(Node, Size), SyntaxError> {
        let at = Position::of(span);
        if self.depth >= MAX_DEPTH {
            return Err(SyntaxError {
                at,
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                limit: true,
            });
        }
        self.depth += 1;
        let node = self.node_inner(event, at);
        self.depth -= 1;
        let (node, size, anchor) = node?;
        if anchor != 0 {
            // Shares the node's items: no copy.
            self.anchors.insert(anchor, (node.clone(), size));
        }
        Ok((node, size))
    }

    /// A node, its size, and its anchor (0 for none).
    fn node_inner(
        &mut self,
        event: Event<'a>,
        at: Position,
    ) -> Result<(Node, Size, usize), SyntaxError> {
        let mut size = Size {
            nodes: 1,
            bytes: 0,
            height: 1,
        };
        let mut add = |child: Size| {
            size.nodes = size.nodes.saturating_add(child.nodes);
            size.bytes = size.bytes.saturating_add(child.bytes);
            size.height = size.height.max(child.height + 1);
        };
        Ok(match event {
            Event::Scalar(text, style, anchor, tag) => {
                // A `!!str` tag makes a plain scalar a string too.
                let forced_string = tag.is_some_and(|t| t.suffix == "str");
                let plain = style == ScalarStyle::Plain && !forced_string;
                size.bytes = text.len();
                let kind = Kind::Scalar {
                    text: text.into_owned(),
                    plain,
                };
                (Node { kind, at }, size, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let (item, item_size) = self.node(event, span)?;
                    add(item_size);
                    items.push(item);
                }
                let kind = Kind::Seq(items.into());
                (Node { kind, at }, size, anchor)
            }
            Event::MappingStart(anchor, _) => {
                let mut entries = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let (key, key_size) = self.node(event, span)?;
                    let (event, span) = self.next()?;
                    let (value, value_size) = self.node(event, span)?;
                    add(key_size);
                    add(value_size);
                    entries.push((key, value));
                }
                let kind = Kind::Map(entries.into());
                (Node { kind, at }, size, anchor)
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(SyntaxError {
                        at,
                        message: "alias to an unknown anchor".into(),
                        limit: false,
                    });
                };
                let (mut node, size) = (node.clone(), *size);
                self.alias(size, at)?;
                node.at = at;
                (node, size, 0)
            }
            _ => {
                return Err(SyntaxError {
                    at,
                    message: "unexpected YAML event".into(),
                    limit: false,
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse(text).unwrap().unwrap()
    }

    #[test]
    fn nodes_know_their_position() {
        let doc = root("a: 1\nb:\n  - x\n  - 'y'\n");
        let Kind::Map(entries) = doc.kind else {
            panic!("map")
        };
        assert_eq!(entries[0].1.at, Position { line: 1, column: 4 });
        let Kind::Seq(items) = &entries[1].1.kind else {
            panic!("seq")
        };
        assert_eq!(items[1].at, Position { line: 4, column: 5 });
        assert_eq!(
            items[1].kind,
            Kind::Scalar {
                text: "y".into(),
                plain: false
            }
        );
    }

    #[test]
    fn nulls_aliases_and_empty_documents() {
        let doc = root("a: &x [1]\nb: *x\nc:\nd: ~\n");
        let Kind::Map(entries) = doc.kind else {
            panic!("map")
        };
        assert_eq!(entries[1].1.kind, entries[0].1.kind);
        assert!(entries[2].1.is_null() && entries[3].1.is_null());
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.at.line >= 1, "{err:?}");
        assert!(
            parse("a: 1\n---\nb: 2\n")
                .unwrap_err()
                .message
                .contains("one YAML document")
        );
    }

    #[test]
    fn hostile_documents_are_refused_not_fatal() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        // The scanner refuses deep flow nesting itself; block nesting reaches our own limit.
        assert_eq!(
            parse(&deep).unwrap_err().message,
            "recursion limit exceeded"
        );
        let block: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(
            parse(&block).unwrap_err().message,
            "nesting deeper than 200 levels"
        );
    }

    #[test]
    fn aliases_share_their_anchor_and_spend_a_budget() {
        // Each level doubles the size: 2^40 nodes if expanded.
        let mut laughs = String::from("a0: &a0 [x, x]\n");
        for i in 1..40 {
            laughs.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        let err = parse(&laughs).unwrap_err();
        assert_eq!(err.message, "aliases expand to more than 100000 nodes");
        // Refused at the alias that crosses the budget: through `a13` aliases have added
        // 65 502 nodes, the first `*a13` of `a14` adds 32 767, the second crosses.
        assert_eq!(
            err.at,
            Position {
                line: 15,
                column: 18
            }
        );
        // Below the budget, an alias is its anchor's items, not a copy.
        let doc = root("a: &a [1, 2]\nb: *a\n");
        let Kind::Map(entries) = doc.kind else {
            panic!("map")
        };
        let (Kind::Seq(a), Kind::Seq(b)) = (&entries[0].1.kind, &entries[1].1.kind) else {
            panic!("seqs")
        };
        assert!(Rc::ptr_eq(&a.0, &b.0));
        assert_eq!(entries[1].1.at, Position { line: 2, column: 4 });
    }

    #[test]
    fn aliased_text_and_nesting_are_budgeted_too() {
        let text = format!("a: &a '{}'\nb: [*a, *a, *a, *a, *a]\n", "x".repeat(1 << 20));
        assert_eq!(
            parse(&text).unwrap_err().message,
            "aliases expand to more than 4 MiB of text"
        );
        // 150 levels, placed 100 levels down by an alias: 250 levels once expanded.
        let deep: String = (0..150)
            .map(|i| format!("{}k:\n", " ".repeat(i + 2)))
            .collect();
        let under: String = (0..100).map(|i| format!("{}u:\n", " ".repeat(i))).collect();
        let doc = format!(
            "a: &a\n{deep}{}  v: *a\n",
            under.trim_end_matches('\n').to_owned() + "\n" + &" ".repeat(98)
        );
        let err = parse(&doc).unwrap_err();
        assert_eq!(
            err.message, "aliases nest deeper than 200 levels",
            "{err:?}"
        );
    }

    #[test]
    fn a_large_document_without_aliases_is_no_alias_bomb() {
        let list = format!("[{}]", vec!["1"; 300_000].join(","));
        let Kind::Seq(items) = root(&list).kind else {
            panic!("seq")
        };
        assert_eq!(items.len(), 300_000);
    }
}
