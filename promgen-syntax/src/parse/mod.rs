//! The parser: tokens to a validated [`Shape`], within the [limits](crate::limits).
//!
//! ```text
//! chain   = repeat { ">>" repeat } [ ">>" closer ]      closer = loop | hold | end | const(v)
//! repeat  = sum { "x" INT }
//! sum     = product { ("+" | "-") product }
//! product = unary { ("*" | "/") unary }
//! unary   = { "-" } postfix
//! postfix = atom { "." method "(" args ")" }
//! atom    = NUMBER | "_" | "stale" | "[" items "]" | STRING | name "(" args ")" | "(" chain ")"
//! ```
//!
//! Only brackets recurse, and the lexer refuses them past [`MAX_DEPTH`]; every chain (`>>`,
//! the operators, `x`, the unary minus, the methods) is a loop. Each node knows how deep it
//! nests, and one that would nest past the limit is refused where it stands, so no tree this
//! returns is deeper than [`MAX_DEPTH`] or holds more than
//! [`MAX_SHAPES`](crate::limits::MAX_SHAPES) shapes.

mod calls;

use crate::{
    Error, Span,
    ast::{Arg, Closer, Op, Shape},
    error::closest,
    lex::{Delim, Kind, Tok},
    limits::{Budget, MAX_DEPTH, check_depth, too_deep},
    notation,
};
use calls::{FUNCTIONS, METHODS, unknown};

const CLOSERS: &[&str] = &["loop", "hold", "end", "const"];

pub(crate) fn parse(toks: &[Tok], end: Span) -> Result<Shape, Error> {
    let mut budget = Budget::default();
    let mut parser = Parser {
        toks,
        pos: 0,
        end,
        budget: &mut budget,
    };
    Ok(*parser.all()?.shape)
}

/// Tokens after a complete expression.
#[cold]
fn trailing(t: &Tok) -> Error {
    Error::new(
        t.span,
        format!(
            "expected `>>`, an operator or the end, found {}",
            describe(t)
        ),
    )
}

fn describe(t: &Tok) -> String {
    match &t.kind {
        Kind::Ident(name) => format!("`{name}`"),
        Kind::Num(v, _) => format!("the number {v}"),
        Kind::Duration(_) => "a duration".to_owned(),
        Kind::Str(_) => "a string".to_owned(),
        Kind::Punct(p) => format!("`{p}`"),
        Kind::Group(Delim::Paren, _) => "`(`".to_owned(),
        Kind::Group(Delim::Bracket, _) => "`[`".to_owned(),
    }
}

/// A parsed shape and how many levels it nests (a leaf is one).
struct Parsed {
    shape: Box<Shape>,
    depth: usize,
}

struct Parser<'t, 'b> {
    toks: &'t [Tok],
    pos: usize,
    /// Where "the end" is, for errors about missing tokens.
    end: Span,
    /// The shapes made so far, across every bracket of the series.
    budget: &'b mut Budget,
}

impl<'t> Parser<'t, '_> {
    fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.pos)
    }

    fn peek_punct(&self, p: &str) -> bool {
        self.peek().is_some_and(|t| t.is_punct(p))
    }

    fn next(&mut self) -> Option<&'t Tok> {
        let t = self.toks.get(self.pos);
        self.pos += usize::from(t.is_some());
        t
    }

    /// The span of the next token, taken.
    fn next_span(&mut self) -> Span {
        self.next().map_or(self.end, |t| t.span)
    }

    fn here(&self) -> Span {
        self.peek().map_or(self.end, |t| t.span)
    }

    /// A shape made at `span` whose deepest part is `depth` levels down: counted, and
    /// refused there when that is too deep or one shape too many.
    fn node(&mut self, shape: Shape, depth: usize, span: Span) -> Result<Parsed, Error> {
        let parsed = Self::chain_of(shape, depth, span)?;
        self.budget.spend(span)?;
        Ok(parsed)
    }

    /// A join or an arithmetic chain: a level, but not a shape of its own in the count (it
    /// only puts together shapes counted already, at least two of them).
    fn chain_of(shape: Shape, depth: usize, span: Span) -> Result<Parsed, Error> {
        Ok(Parsed {
            shape: Box::new(shape),
            depth: check_depth(depth, span)?,
        })
    }

    /// The tokens, all of them, as one chain.
    ///
    /// This and the functions it calls down to [`Parser::atom`] recurse once for each level of
    /// brackets: they stay small, and leave the errors and the rarer cases to functions of
    /// their own, so that 64 levels fit in a thread's stack even in a debug build.
    fn all(&mut self) -> Result<Parsed, Error> {
        let shape = self.chain()?;
        match self.peek() {
            None => Ok(shape),
            Some(t) => Err(trailing(t)),
        }
    }

    fn chain(&mut self) -> Result<Parsed, Error> {
        let first = self.repeat()?;
        if self.peek_punct(">>") {
            self.join(first)
        } else {
            Ok(first)
        }
    }

    /// The rest of a chain after its first part: `>> part …`, and maybe a closer.
    fn join(&mut self, first: Parsed) -> Result<Parsed, Error> {
        let first_arrow = self.here();
        // Every part nests one level down in the join: one too deep is refused at its `>>`.
        let mut depth = check_depth(first.depth + 1, first_arrow)? - 1;
        let mut parts = vec![*first.shape];
        while self.peek_punct(">>") {
            let arrow = self.next_span();
            if let Some(closer) = self.closer()? {
                let joined = Self::joined(parts, depth, first_arrow)?;
                return self.closed(joined, closer, arrow);
            }
            let part = self.repeat()?;
            depth = check_depth(depth.max(part.depth) + 1, arrow)? - 1;
            parts.push(*part.shape);
        }
        Self::joined(parts, depth, first_arrow)
    }

    /// One part as it is, or the parts as a [`Shape::Join`].
    fn joined(mut parts: Vec<Shape>, depth: usize, arrow: Span) -> Result<Parsed, Error> {
        if parts.len() == 1 {
            let shape = Box::new(parts.remove(0));
            return Ok(Parsed { shape, depth });
        }
        Self::chain_of(Shape::Join(parts), depth + 1, arrow)
    }

    /// `shape >> closer`, at the end of the chain.
    fn closed(&mut self, shape: Parsed, closer: Closer, arrow: Span) -> Result<Parsed, Error> {
        if let Some(t) = self.peek().filter(|t| t.is_punct(">>")) {
            return Err(Error::new(
                t.span,
                "nothing can follow a closer (`loop`, `hold`, `end`, `const(v)`): it ends the chain",
            ));
        }
        self.node(Shape::Closed(shape.shape, closer), shape.depth + 1, arrow)
    }

    /// A closer, if one stands here.
    fn closer(&mut self) -> Result<Option<Closer>, Error> {
        let Some(Tok {
            kind: Kind::Ident(name),
            span,
            ..
        }) = self.peek()
        else {
            return Ok(None);
        };
        let closer = match name.as_str() {
            "loop" => Closer::Loop,
            "hold" => Closer::Hold,
            "end" => Closer::End,
            "const" => {
                self.next();
                let args = self.call_args("const")?;
                let [arg] = args.as_slice() else {
                    return Err(Error::new(*span, "const takes one value: const(v)"));
                };
                Closer::Const(self.positional(arg, "const")?)
            }
            _ => return Ok(None),
        };
        if !matches!(closer, Closer::Const(_)) {
            self.next();
        }
        Ok(Some(closer))
    }

    fn repeat(&mut self) -> Result<Parsed, Error> {
        let shape = self.sum()?;
        match self.repeat_count()? {
            None => Ok(shape),
            Some((passes, x)) => self.node(Shape::Repeat(shape.shape, passes), shape.depth + 1, x),
        }
    }

    /// `x n x m …` after a shape: one repeat of n·m… passes (a repeat of a repeat plays the
    /// same points), so that a long run of `x` is one level; and where the first `x` stands.
    fn repeat_count(&mut self) -> Result<Option<(u64, Span)>, Error> {
        let mut repeat: Option<(u64, Span)> = None;
        loop {
            // The count, where `x` stands, and where the count stands.
            let (n, x_span, n_span) = match self.peek().map(|t| &t.kind) {
                Some(Kind::Ident(x)) if x == "x" => {
                    let x_span = self.next_span();
                    match self.next() {
                        Some(Tok {
                            kind: Kind::Num(_, Some(n)),
                            span,
                            ..
                        }) if *n > 0 => (*n, x_span, *span),
                        Some(t) => {
                            return Err(Error::new(
                                t.span,
                                format!("`x` needs a whole number above 0, found {}", describe(t)),
                            ));
                        }
                        None => {
                            return Err(Error::new(
                                x_span,
                                "`x` needs a whole number above 0 after it",
                            ));
                        }
                    }
                }
                // `x3` written without a space lexes as one word.
                Some(Kind::Ident(word))
                    if word.len() > 1
                        && word.starts_with('x')
                        && word[1..].bytes().all(|b| b.is_ascii_digit()) =>
                {
                    let span = self.next_span();
                    match word[1..].parse::<u64>() {
                        Ok(n) if n > 0 => (n, span, span),
                        _ => return Err(Error::new(span, "`x` needs a whole number above 0")),
                    }
                }
                _ => break,
            };
            repeat = Some(match repeat {
                None => (n, x_span),
                Some((passes, first_x)) => {
                    let passes = passes.checked_mul(n).ok_or_else(|| {
                        Error::new(
                            n_span,
                            format!("the `x` counts multiply past {} passes", u64::MAX),
                        )
                    })?;
                    (passes, first_x)
                }
            });
        }
        Ok(repeat)
    }

    fn sum(&mut self) -> Result<Parsed, Error> {
        self.operators(&[("+", Op::Add), ("-", Op::Sub)], Self::product)
    }

    fn product(&mut self) -> Result<Parsed, Error> {
        self.operators(&[("*", Op::Mul), ("/", Op::Div)], Self::unary)
    }

    /// `operand { op operand }` for one precedence level, as one [`Shape::Arith`].
    fn operators(
        &mut self,
        ops: &[(&str, Op)],
        operand: fn(&mut Self) -> Result<Parsed, Error>,
    ) -> Result<Parsed, Error> {
        let first = operand(self)?;
        let Some((mut op, first_at)) = self.operator(ops) else {
            return Ok(first);
        };
        let mut depth = first.depth;
        let mut at = first_at;
        let mut rest = Vec::new();
        loop {
            let right = operand(self)?;
            // Both sides nest one level down: one too deep is refused at its operator.
            depth = check_depth(depth.max(right.depth) + 1, at)? - 1;
            rest.push((op, *right.shape));
            match self.operator(ops) {
                Some((next, next_at)) => (op, at) = (next, next_at),
                None => break,
            }
        }
        Self::chain_of(Shape::Arith(first.shape, rest), depth + 1, first_at)
    }

    /// One of `ops`, taken, if it stands here.
    fn operator(&mut self, ops: &[(&str, Op)]) -> Option<(Op, Span)> {
        let &(_, op) = ops.iter().find(|(p, _)| self.peek_punct(p))?;
        Some((op, self.next_span()))
    }

    fn unary(&mut self) -> Result<Parsed, Error> {
        if self.peek_punct("-") {
            self.signed()
        } else {
            self.postfix()
        }
    }

    /// `- - … postfix`, counted in a loop: past [`MAX_DEPTH`] signs, the first sign too many
    /// is refused before anything else is read.
    #[inline(never)]
    fn signed(&mut self) -> Result<Parsed, Error> {
        let mut minuses = Vec::new();
        while self.peek_punct("-") {
            let span = self.next_span();
            if minuses.len() == MAX_DEPTH {
                return Err(Error::new(span, too_deep()));
            }
            minuses.push(span);
        }
        let mut shape = match self.negative_number(&mut minuses)? {
            Some(number) => number,
            None => self.postfix()?,
        };
        for minus in minuses.into_iter().rev() {
            shape = self.node(Shape::Neg(shape.shape), shape.depth + 1, minus)?;
        }
        Ok(shape)
    }

    /// A negative number, with its methods: a constant, not a negated shape. Takes the last
    /// of `minuses` as its sign.
    fn negative_number(&mut self, minuses: &mut Vec<Span>) -> Result<Option<Parsed>, Error> {
        let (
            Some(&minus),
            Some(Tok {
                kind: Kind::Num(v, _),
                ..
            }),
        ) = (minuses.last(), self.peek())
        else {
            return Ok(None);
        };
        minuses.pop();
        self.next();
        let arg = Arg::Num {
            value: -v,
            int: None,
            span: minus,
        };
        let constant = self.node(Shape::Constant(arg), 1, minus)?;
        self.methods(constant).map(Some)
    }

    fn postfix(&mut self) -> Result<Parsed, Error> {
        let atom = self.atom()?;
        self.methods(atom)
    }

    fn methods(&mut self, mut shape: Parsed) -> Result<Parsed, Error> {
        while self.peek_punct(".") {
            self.next();
            let (name, span) = match self.next() {
                Some(Tok {
                    kind: Kind::Ident(name),
                    span,
                    ..
                }) => (name.as_str(), *span),
                Some(t) => {
                    return Err(Error::new(
                        t.span,
                        format!("expected a method name after `.`, found {}", describe(t)),
                    ));
                }
                None => return Err(Error::new(self.end, "expected a method name after `.`")),
            };
            if !METHODS.contains(&name) {
                return Err(Error::new(span, unknown("method", name, METHODS)));
            }
            let args = self.call_args(name)?;
            let depth = check_depth(shape.depth + 1, span)?;
            let made = self.method(*shape.shape, name, span, &args)?;
            shape = self.node(made, depth, span)?;
        }
        Ok(shape)
    }

    fn atom(&mut self) -> Result<Parsed, Error> {
        match self.peek() {
            Some(Tok {
                kind: Kind::Group(Delim::Paren, inner),
                span,
                ..
            }) => {
                self.next();
                let close = match *span {
                    Span::Text { end, .. } => Span::Text {
                        start: end.saturating_sub(1),
                        end,
                    },
                    other => other,
                };
                // Brackets make no node of their own; the lexer bounds how deep they go.
                let mut inner = Parser {
                    toks: inner,
                    pos: 0,
                    end: close,
                    budget: &mut *self.budget,
                };
                inner.all()
            }
            _ => self.leaf(),
        }
    }

    /// Any atom but a parenthesised chain. Out of [`Parser::atom`], which recurses, so that
    /// its many cases do not weigh on the stack at every level of brackets.
    #[inline(never)]
    fn leaf(&mut self) -> Result<Parsed, Error> {
        let Some(t) = self.next() else {
            return Err(Error::new(self.end, "expected a shape, found the end"));
        };
        let leaf = match &t.kind {
            Kind::Num(v, int) => Shape::Constant(Arg::Num {
                value: *v,
                int: *int,
                span: t.span,
            }),
            Kind::Duration(_) => {
                return Err(Error::new(
                    t.span,
                    "a duration is not a shape: durations are for periods, like sin(period = 10m)",
                ));
            }
            Kind::Punct("_") => Shape::Gap(Arg::Num {
                value: 1.0,
                int: Some(1),
                span: t.span,
            }),
            Kind::Ident(name) if name == "stale" => Shape::Values(vec![crate::Item::Stale]),
            Kind::Str(text) => match notation::parse(text) {
                Ok(_) => Shape::Notation(text.clone()),
                Err(e) => {
                    return Err(Error::new(
                        t.span,
                        format!(
                            "invalid promtool notation at column {}: {}",
                            e.column, e.message
                        ),
                    ));
                }
            },
            Kind::Group(Delim::Bracket, inner) => self.values(inner)?,
            Kind::Ident(name) if CLOSERS.contains(&name.as_str()) => {
                return Err(Error::new(
                    t.span,
                    format!("`{name}` closes a chain and must come last: write `shape >> {name}`"),
                ));
            }
            Kind::Ident(name) => {
                if !matches!(
                    self.peek().map(|t| &t.kind),
                    Some(Kind::Group(Delim::Paren, _))
                ) {
                    let hint = if FUNCTIONS.contains(&name.as_str()) {
                        format!("`{name}` is a function: call it, like {name}(…)")
                    } else if let Some(k) = closest(name, FUNCTIONS) {
                        format!("unknown name '{name}', did you mean '{k}'?")
                    } else {
                        format!(
                            "expected a shape, found `{name}` (for a variable, write constant({name}))"
                        )
                    };
                    return Err(Error::new(t.span, hint));
                }
                if !FUNCTIONS.contains(&name.as_str()) {
                    return Err(Error::new(t.span, unknown("function", name, FUNCTIONS)));
                }
                let args = self.call_args(name)?;
                self.function(name, t.span, &args)?
            }
            _ => {
                return Err(Error::new(
                    t.span,
                    format!("expected a shape, found {}", describe(t)),
                ));
            }
        };
        self.node(leaf, 1, t.span)
    }
}
