//! A YAML document as a tree of nodes that remember where they stand in the file.
//!
//! Built from `saphyr-parser`'s event stream, so that every error the config decoder reports
//! can name the line and column of the value it is about.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;

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

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A scalar as written; `plain` is false for quoted and block scalars, which are always
    /// strings (so `"1"` is text, `1` a number, `"null"` not null).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: Kind,
    pub at: Position,
}

impl Node {
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
pub(crate) struct SyntaxError {
    pub at: Position,
    pub message: String,
}

/// Parses the first document of `text`; `None` when the text holds no document.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut builder = Builder {
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
        depth: 0,
        budget: MAX_NODES,
    };
    builder.document()
}

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 200;
/// More nodes than this, aliases expanded, is refused rather than exhausting memory (a
/// "billion laughs" document expands a few anchors into an exponential tree).
const MAX_NODES: usize = 2_000_000;

struct Builder<'a> {
    events: Parser<'a, saphyr_parser::StrInput<'a>>,
    /// Each anchored node, with its size in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    depth: usize,
    /// Nodes that may still be created.
    budget: usize,
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
        let root = self.node(event, span)?;
        match self.next()? {
            (Event::DocumentEnd | Event::StreamEnd, _) => {}
            (_, span) => {
                return Err(SyntaxError {
                    at: Position::of(span),
                    message: "unexpected content after the document".into(),
                });
            }
        }
        if let (Event::DocumentStart(_), span) = self.next()? {
            return Err(SyntaxError {
                at: Position::of(span),
                message: "a config holds one YAML document; found a second".into(),
            });
        }
        Ok(Some(root))
    }

    fn spend(&mut self, nodes: usize, at: Position) -> Result<(), SyntaxError> {
        self.budget = self.budget.checked_sub(nodes).ok_or_else(|| SyntaxError {
            at,
            message: format!("the document expands to more than {MAX_NODES} nodes"),
        })?;
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, SyntaxError> {
        let at = Position::of(span);
        if self.depth >= MAX_DEPTH {
            return Err(SyntaxError {
                at,
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
            });
        }
        self.depth += 1;
        let budget_before = self.budget;
        let node = self.node_inner(event, at);
        self.depth -= 1;
        let (node, anchor) = node?;
        if anchor != 0 {
            let size = budget_before - self.budget;
            self.anchors.insert(anchor, (node.clone(), size));
        }
        Ok(node)
    }

    fn node_inner(&mut self, event: Event<'a>, at: Position) -> Result<(Node, usize), SyntaxError> {
        self.spend(1, at)?;
        Ok(match event {
            Event::Scalar(text, style, anchor, tag) => {
                // A `!!str` tag makes a plain scalar a string too.
                let forced_string = tag.is_some_and(|t| t.suffix == "str");
                let plain = style == ScalarStyle::Plain && !forced_string;
                (
                    Node {
                        kind: Kind::Scalar {
                            text: text.into_owned(),
                            plain,
                        },
                        at,
                    },
                    anchor,
                )
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                (
                    Node {
                        kind: Kind::Seq(items),
                        at,
                    },
                    anchor,
                )
            }
            Event::MappingStart(anchor, _) => {
                let mut entries = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, span)?;
                    let (event, span) = self.next()?;
                    let value = self.node(event, span)?;
                    entries.push((key, value));
                }
                (
                    Node {
                        kind: Kind::Map(entries),
                        at,
                    },
                    anchor,
                )
            }
            Event::Alias(id) => {
                let (mut node, size) =
                    self.anchors.get(&id).cloned().ok_or_else(|| SyntaxError {
                        at,
                        message: "alias to an unknown anchor".into(),
                    })?;
                self.spend(size, at)?;
                node.at = at;
                (node, 0)
            }
            _ => {
                return Err(SyntaxError {
                    at,
                    message: "unexpected YAML event".into(),
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
        // Each level doubles the size: 2^40 nodes if expanded.
        let mut laughs = String::from("a0: &a0 [x, x]\n");
        for i in 1..40 {
            laughs.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        assert!(
            parse(&laughs)
                .unwrap_err()
                .message
                .contains("expands to more than")
        );
    }
}
