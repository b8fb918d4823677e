//! The parser: tokens to a validated [`Shape`].
//!
//! ```text
//! chain   = repeat { ">>" repeat } [ ">>" closer ]      closer = loop | hold | end | const(v)
//! repeat  = sum { "x" INT }
//! sum     = product { ("+" | "-") product }
//! product = unary { ("*" | "/") unary }
//! unary   = "-" unary | postfix
//! postfix = atom { "." method "(" args ")" }
//! atom    = NUMBER | "_" | "stale" | "[" items "]" | STRING | name "(" args ")" | "(" chain ")"
//! ```

use crate::{
    Error, Span,
    ast::{Arg, Closer, Item, Op, Period, Shape, WaveArgs, WaveKind},
    error::closest,
    lex::{Delim, Kind, Tok},
    notation,
};

const FUNCTIONS: &[&str] = &[
    "linear", "constant", "gap", "uniform", "normal", "walk", "sin", "cos", "square", "sawtooth",
    "triangle", "pulse",
];
const METHODS: &[&str] = &["seed", "clamp", "round", "abs", "cumsum", "every"];
const CLOSERS: &[&str] = &["loop", "hold", "end", "const"];

pub(crate) fn parse(toks: &[Tok], end: Span) -> Result<Shape, Error> {
    let mut p = Parser { toks, pos: 0, end };
    let shape = p.chain()?;
    match p.peek() {
        None => Ok(shape),
        Some(t) => Err(Error::new(
            t.span,
            format!(
                "expected `>>`, an operator or the end, found {}",
                describe(t)
            ),
        )),
    }
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

struct Parser<'t> {
    toks: &'t [Tok],
    pos: usize,
    /// Where "the end" is, for errors about missing tokens.
    end: Span,
}

/// One argument of a call: `value` or `name = value`.
struct CallArg<'t> {
    name: Option<(&'t str, Span)>,
    toks: &'t [Tok],
    span: Span,
}

impl<'t> Parser<'t> {
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

    fn here(&self) -> Span {
        self.peek().map_or(self.end, |t| t.span)
    }

    fn chain(&mut self) -> Result<Shape, Error> {
        let mut parts = vec![self.repeat()?];
        let mut closer = None;
        while self.peek_punct(">>") {
            self.next();
            if let Some(c) = self.closer()? {
                if let Some(t) = self.peek().filter(|t| t.is_punct(">>")) {
                    return Err(Error::new(
                        t.span,
                        "nothing can follow a closer (`loop`, `hold`, `end`, `const(v)`): it ends the chain",
                    ));
                }
                closer = Some(c);
                break;
            }
            parts.push(self.repeat()?);
        }
        let shape = if parts.len() == 1 {
            parts.remove(0)
        } else {
            Shape::Join(parts)
        };
        Ok(match closer {
            Some(c) => Shape::Closed(Box::new(shape), c),
            None => shape,
        })
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

    fn repeat(&mut self) -> Result<Shape, Error> {
        let mut shape = self.sum()?;
        loop {
            match self.peek().map(|t| &t.kind) {
                Some(Kind::Ident(x)) if x == "x" => {
                    let x_span = self.next().map_or(self.end, |t| t.span);
                    shape = match self.next() {
                        Some(Tok {
                            kind: Kind::Num(_, Some(n)),
                            ..
                        }) if *n > 0 => Shape::Repeat(Box::new(shape), *n),
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
                    };
                }
                // `x3` written without a space lexes as one word.
                Some(Kind::Ident(word))
                    if word.len() > 1
                        && word.starts_with('x')
                        && word[1..].bytes().all(|b| b.is_ascii_digit()) =>
                {
                    let span = self.next().map_or(self.end, |t| t.span);
                    match word[1..].parse::<u64>() {
                        Ok(n) if n > 0 => shape = Shape::Repeat(Box::new(shape), n),
                        _ => return Err(Error::new(span, "`x` needs a whole number above 0")),
                    }
                }
                _ => return Ok(shape),
            }
        }
    }

    fn sum(&mut self) -> Result<Shape, Error> {
        let mut shape = self.product()?;
        loop {
            let op = if self.peek_punct("+") {
                Op::Add
            } else if self.peek_punct("-") {
                Op::Sub
            } else {
                return Ok(shape);
            };
            self.next();
            shape = Shape::Binary(op, Box::new(shape), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Shape, Error> {
        let mut shape = self.unary()?;
        loop {
            let op = if self.peek_punct("*") {
                Op::Mul
            } else if self.peek_punct("/") {
                Op::Div
            } else {
                return Ok(shape);
            };
            self.next();
            shape = Shape::Binary(op, Box::new(shape), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Shape, Error> {
        if !self.peek_punct("-") {
            return self.postfix();
        }
        let minus = self.next().map_or(self.end, |t| t.span);
        // A negative number is a constant, not a negated shape.
        if let Some(Tok {
            kind: Kind::Num(v, _),
            span: _,
            ..
        }) = self.peek()
        {
            self.next();
            let arg = Arg::Num {
                value: -v,
                int: None,
                span: minus,
            };
            return self.methods(Shape::Constant(arg));
        }
        Ok(Shape::Neg(Box::new(self.unary()?)))
    }

    fn postfix(&mut self) -> Result<Shape, Error> {
        let atom = self.atom()?;
        self.methods(atom)
    }

    fn methods(&mut self, mut shape: Shape) -> Result<Shape, Error> {
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
            shape = self.method(shape, name, span, &args)?;
        }
        Ok(shape)
    }

    fn atom(&mut self) -> Result<Shape, Error> {
        let Some(t) = self.next() else {
            return Err(Error::new(self.end, "expected a shape, found the end"));
        };
        match &t.kind {
            Kind::Num(v, int) => Ok(Shape::Constant(Arg::Num {
                value: *v,
                int: *int,
                span: t.span,
            })),
            Kind::Duration(_) => Err(Error::new(
                t.span,
                "a duration is not a shape: durations are for periods, like sin(period = 10m)",
            )),
            Kind::Punct("_") => Ok(Shape::Gap(Arg::Num {
                value: 1.0,
                int: Some(1),
                span: t.span,
            })),
            Kind::Ident(name) if name == "stale" => Ok(Shape::Values(vec![Item::Stale])),
            Kind::Str(text) => match notation::parse(text) {
                Ok(_) => Ok(Shape::Notation(text.clone())),
                Err(e) => Err(Error::new(
                    t.span,
                    format!(
                        "invalid promtool notation at column {}: {}",
                        e.column, e.message
                    ),
                )),
            },
            Kind::Group(Delim::Bracket, inner) => self.values(inner),
            Kind::Group(Delim::Paren, inner) => {
                let close = match t.span {
                    Span::Text { end, .. } => Span::Text {
                        start: end.saturating_sub(1),
                        end,
                    },
                    other => other,
                };
                parse(inner, close)
            }
            Kind::Ident(name) if CLOSERS.contains(&name.as_str()) => Err(Error::new(
                t.span,
                format!("`{name}` closes a chain and must come last: write `shape >> {name}`"),
            )),
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
                self.function(name, t.span, &args)
            }
            _ => Err(Error::new(
                t.span,
                format!("expected a shape, found {}", describe(t)),
            )),
        }
    }

    fn values(&self, inner: &'t [Tok]) -> Result<Shape, Error> {
        let mut items = Vec::new();
        for (toks, span) in split_commas(inner) {
            let item = match toks {
                [t] if t.is_punct("_") => Item::Missing,
                [t] if t.is_ident("stale") => Item::Stale,
                [] => {
                    return Err(Error::new(
                        span,
                        "expected a value: a number, `_` or `stale`",
                    ));
                }
                _ => Item::Num(value(toks, span, "a value: a number, `_` or `stale`")?),
            };
            items.push(item);
        }
        Ok(Shape::Values(items))
    }

    /// The parenthesised arguments after a name.
    fn call_args(&mut self, name: &str) -> Result<Vec<CallArg<'t>>, Error> {
        let Some(Tok {
            kind: Kind::Group(Delim::Paren, inner),
            span: _,
            ..
        }) = self.peek()
        else {
            return Err(Error::new(
                self.here(),
                format!("expected `(` after `{name}`"),
            ));
        };
        self.next();
        let mut args = Vec::new();
        for (toks, span) in split_commas(inner) {
            if toks.is_empty() {
                return Err(Error::new(span, "expected an argument"));
            }
            let named = match toks {
                [
                    Tok {
                        kind: Kind::Ident(n),
                        span,
                        ..
                    },
                    eq,
                    rest @ ..,
                ] if eq.is_punct("=") => Some((n.as_str(), *span, rest)),
                _ => None,
            };
            args.push(match named {
                Some((n, nspan, rest)) => CallArg {
                    name: Some((n, nspan)),
                    toks: rest,
                    span: nspan,
                },
                None => CallArg {
                    name: None,
                    toks,
                    span: toks[0].span,
                },
            });
        }
        Ok(args)
    }

    fn positional(&self, arg: &CallArg<'t>, function: &str) -> Result<Arg, Error> {
        if let Some((name, span)) = arg.name {
            return Err(Error::new(
                span,
                format!("{function} takes no argument named '{name}'"),
            ));
        }
        value(arg.toks, arg.span, "a number")
    }

    fn function(&self, name: &str, span: Span, args: &[CallArg<'t>]) -> Result<Shape, Error> {
        let count_error =
            |usage: &str| Error::new(span, format!("wrong number of arguments: {usage}"));
        match name {
            "linear" => {
                let usage = "linear(a..b) or linear(a..=b, n)";
                let (first, count) = match args {
                    [first] => (first, None),
                    [first, n] => (first, Some(n)),
                    _ => return Err(count_error(usage)),
                };
                let Some((lo, inclusive, hi)) = range(first)? else {
                    return Err(Error::new(
                        first.span,
                        format!("bad range: linear takes a range, {usage}"),
                    ));
                };
                match (inclusive, count) {
                    (false, None) => {
                        if let (Some(a), Some(b)) = (lo.literal(), hi.literal())
                            && a == b
                        {
                            return Err(Error::new(first.span, "bad range: the range is empty"));
                        }
                        Ok(Shape::LinearRange { start: lo, end: hi })
                    }
                    (true, Some(n)) => {
                        let count = self.positional(n, "linear")?;
                        check_positive_int(&count, "the count of linear(a..=b, n)")?;
                        Ok(Shape::Linear {
                            start: lo,
                            end: hi,
                            count,
                        })
                    }
                    (true, None) => Err(Error::new(
                        first.span,
                        "bad range: linear(a..=b) needs a count, linear(a..=b, n)",
                    )),
                    (false, Some(_)) => Err(Error::new(
                        first.span,
                        "bad range: with a count, the range includes its end: linear(a..=b, n)",
                    )),
                }
            }
            "constant" => match args {
                [v] => Ok(Shape::Constant(self.positional(v, name)?)),
                _ => Err(count_error("constant(v)")),
            },
            "gap" => match args {
                [n] => {
                    let n = self.positional(n, name)?;
                    check_positive_int(&n, "gap(n)")?;
                    Ok(Shape::Gap(n))
                }
                _ => Err(count_error("gap(n)")),
            },
            "uniform" => match args {
                [r] => match range(r)? {
                    Some((min, false, max)) => {
                        if let (Some(a), Some(b)) = (min.literal(), max.literal())
                            && a >= b
                        {
                            return Err(Error::new(
                                r.span,
                                "bad range: uniform(a..b) needs a below b",
                            ));
                        }
                        Ok(Shape::Uniform { min, max })
                    }
                    _ => Err(Error::new(
                        r.span,
                        "bad range: uniform takes a half-open range, uniform(a..b)",
                    )),
                },
                _ => Err(count_error("uniform(a..b)")),
            },
            "normal" => match args {
                [m, s] => {
                    let (mean, sd) = (self.positional(m, name)?, self.positional(s, name)?);
                    if sd.literal().is_some_and(|v| v < 0.0) {
                        return Err(Error::new(sd.span(), "the standard deviation must be >= 0"));
                    }
                    Ok(Shape::Normal { mean, sd })
                }
                _ => Err(count_error("normal(mean, sd)")),
            },
            "walk" => {
                let mut named = Named::new(name, span, args, &["start", "step"])?;
                Ok(Shape::Walk {
                    start: named.required("start")?,
                    step: named.required("step")?,
                })
            }
            wave => {
                let kind = match wave {
                    "sin" => WaveKind::Sin,
                    "cos" => WaveKind::Cos,
                    "square" => WaveKind::Square,
                    "sawtooth" => WaveKind::Sawtooth,
                    "triangle" => WaveKind::Triangle,
                    _ => WaveKind::Pulse,
                };
                let mut known = vec!["period", "amplitude", "offset", "phase"];
                if kind == WaveKind::Pulse {
                    known.push("duty");
                }
                let mut named = Named::new(name, span, args, &known)?;
                let period = named.period()?;
                let duty = named.optional("duty");
                if let Some(d) = duty.as_ref().and_then(Arg::literal)
                    && !(0.0..=1.0).contains(&d)
                {
                    return Err(Error::new(
                        duty.as_ref().map_or(span, Arg::span),
                        "duty must be between 0 and 1",
                    ));
                }
                Ok(Shape::Wave(WaveArgs {
                    kind,
                    period,
                    amplitude: named.optional("amplitude"),
                    offset: named.optional("offset"),
                    phase: named.optional("phase"),
                    duty,
                }))
            }
        }
    }

    fn method(
        &self,
        shape: Shape,
        name: &str,
        span: Span,
        args: &[CallArg<'t>],
    ) -> Result<Shape, Error> {
        let inner = Box::new(shape);
        let count_error =
            |usage: &str| Error::new(span, format!("wrong number of arguments: {usage}"));
        match (name, args) {
            ("seed", [n]) => {
                let seed = self.positional(n, name)?;
                if let Arg::Num {
                    int: None, span, ..
                } = &seed
                {
                    return Err(Error::new(*span, "a seed is a whole number >= 0"));
                }
                Ok(Shape::Seed(inner, seed))
            }
            ("clamp", [lo, hi]) => {
                let (lo, hi) = (self.positional(lo, name)?, self.positional(hi, name)?);
                if let (Some(a), Some(b)) = (lo.literal(), hi.literal())
                    && a > b
                {
                    return Err(Error::new(lo.span(), "clamp(lo, hi) needs lo <= hi"));
                }
                Ok(Shape::Clamp(inner, lo, hi))
            }
            ("round", []) => Ok(Shape::Round(inner)),
            ("abs", []) => Ok(Shape::Abs(inner)),
            ("cumsum", []) => Ok(Shape::Cumsum(inner)),
            ("every", [n]) => {
                let n = self.positional(n, name)?;
                check_positive_int(&n, "every(n)")?;
                Ok(Shape::Every(inner, n))
            }
            ("seed", _) => Err(count_error(".seed(n)")),
            ("clamp", _) => Err(count_error(".clamp(lo, hi)")),
            ("every", _) => Err(count_error(".every(n)")),
            (other, _) => Err(count_error(&format!(".{other}() takes no arguments"))),
        }
    }
}

fn unknown(what: &str, name: &str, known: &[&str]) -> String {
    match closest(name, known) {
        Some(k) => format!("unknown {what} '{name}', did you mean '{k}'?"),
        None => format!("unknown {what} '{name}'; known: {}", known.join(", ")),
    }
}

/// The named arguments of a call.
struct Named<'a, 't> {
    function: &'a str,
    span: Span,
    args: Vec<(&'t str, &'a CallArg<'t>)>,
}

impl<'a, 't> Named<'a, 't> {
    fn new(
        function: &'a str,
        span: Span,
        args: &'a [CallArg<'t>],
        known: &[&str],
    ) -> Result<Self, Error> {
        let mut named = Vec::new();
        for arg in args {
            let Some((name, nspan)) = arg.name else {
                let usage: Vec<String> = known.iter().map(|k| format!("{k} = …")).collect();
                return Err(Error::new(
                    arg.span,
                    format!(
                        "{function} takes named arguments: {function}({})",
                        usage.join(", ")
                    ),
                ));
            };
            if !known.contains(&name) {
                let hint = known
                    .iter()
                    .find(|k| k.starts_with(name))
                    .copied()
                    .or_else(|| closest(name, known));
                let message = match hint {
                    Some(k) => {
                        format!("unknown argument '{name}' for {function}, did you mean '{k}'?")
                    }
                    None => format!(
                        "unknown argument '{name}' for {function}; it takes {}",
                        known.join(", ")
                    ),
                };
                return Err(Error::new(nspan, message));
            }
            if named.iter().any(|(n, _)| *n == name) {
                return Err(Error::new(nspan, format!("argument '{name}' given twice")));
            }
            named.push((name, arg));
        }
        Ok(Self {
            function,
            span,
            args: named,
        })
    }

    fn get(&self, name: &str) -> Option<&'a CallArg<'t>> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    fn required(&mut self, name: &str) -> Result<Arg, Error> {
        match self.get(name) {
            Some(arg) => value(arg.toks, arg.span, "a number"),
            None => Err(Error::new(
                self.span,
                format!("wrong arguments: {} needs `{name} = …`", self.function),
            )),
        }
    }

    fn optional(&mut self, name: &str) -> Option<Arg> {
        // Values were checked when the call was parsed; a bad one is reported by `checked`.
        self.get(name)
            .and_then(|arg| value(arg.toks, arg.span, "a number").ok())
    }

    fn period(&mut self) -> Result<Period, Error> {
        let Some(arg) = self.get("period") else {
            return Err(Error::new(
                self.span,
                format!(
                    "wrong arguments: {} needs `period = …` (scrapes like 20, or a duration like 10m)",
                    self.function
                ),
            ));
        };
        for other in ["amplitude", "offset", "phase", "duty"] {
            if let Some(a) = self.get(other) {
                value(a.toks, a.span, "a number")?;
            }
        }
        match arg.toks {
            [
                Tok {
                    kind: Kind::Duration(ms),
                    span,
                    ..
                },
            ] => {
                if *ms == 0 {
                    return Err(Error::new(*span, "the period must be longer than 0s"));
                }
                Ok(Period::Duration(*ms))
            }
            [
                Tok {
                    kind: Kind::Num(_, Some(n)),
                    ..
                },
            ] if *n > 0 => Ok(Period::Scrapes(*n)),
            [
                Tok {
                    kind: Kind::Num(..),
                    span,
                    ..
                },
            ] => Err(Error::new(
                *span,
                "the period is a whole number of scrapes above 0, or a duration like 10m",
            )),
            toks if is_expr(toks) => Ok(Period::Expr(Tok::to_tokens(toks))),
            _ => Err(Error::new(
                arg.span,
                "the period is a whole number of scrapes, or a duration like 10m",
            )),
        }
    }
}

/// Whether these tokens came from a macro (and can stand as a Rust expression).
fn is_expr(toks: &[Tok]) -> bool {
    !toks.is_empty() && toks.iter().all(|t| !t.raw.is_empty())
}

/// A scalar: a (negative) number literal, or in the macro any Rust expression.
fn value(toks: &[Tok], span: Span, what: &str) -> Result<Arg, Error> {
    match toks {
        [
            Tok {
                kind: Kind::Num(v, int),
                span,
                ..
            },
        ] => Ok(Arg::Num {
            value: *v,
            int: *int,
            span: *span,
        }),
        [
            minus,
            Tok {
                kind: Kind::Num(v, _),
                span,
                ..
            },
        ] if minus.is_punct("-") => Ok(Arg::Num {
            value: -v,
            int: None,
            span: minus.span,
        }),
        [
            Tok {
                kind: Kind::Duration(_),
                span,
                ..
            },
        ] => Err(Error::new(
            *span,
            format!("expected {what}, found a duration"),
        )),
        _ if is_expr(toks) && !toks.iter().any(|t| t.is_punct("..") || t.is_punct("..=")) => {
            Ok(Arg::Expr(Tok::to_tokens(toks), toks[0].span))
        }
        [t, ..] => Err(Error::new(
            t.span,
            format!("expected {what}, found {}", describe(t)),
        )),
        [] => Err(Error::new(span, format!("expected {what}"))),
    }
}

fn check_positive_int(arg: &Arg, what: &str) -> Result<(), Error> {
    match arg {
        Arg::Num { int: Some(n), .. } if *n > 0 => Ok(()),
        Arg::Num { span, .. } => Err(Error::new(
            *span,
            format!("{what} needs a whole number above 0"),
        )),
        Arg::Expr(..) => Ok(()),
    }
}

/// `a..b` or `a..=b`: the bounds and whether the end is included.
fn range(arg: &CallArg<'_>) -> Result<Option<(Arg, bool, Arg)>, Error> {
    if let Some((name, span)) = arg.name {
        return Err(Error::new(
            span,
            format!("unexpected argument name '{name}'"),
        ));
    }
    let Some(at) = arg
        .toks
        .iter()
        .position(|t| t.is_punct("..") || t.is_punct("..="))
    else {
        return Ok(None);
    };
    let inclusive = arg.toks[at].is_punct("..=");
    let op = arg.toks[at].span;
    let (lo, hi) = (&arg.toks[..at], &arg.toks[at + 1..]);
    if lo.is_empty() || hi.is_empty() {
        return Err(Error::new(
            op,
            "bad range: both ends are needed, like 0..10",
        ));
    }
    Ok(Some((
        value(lo, op, "a number")?,
        inclusive,
        value(hi, op, "a number")?,
    )))
}

/// Splits tokens at top-level commas; a trailing comma is allowed.
fn split_commas(toks: &[Tok]) -> Vec<(&[Tok], Span)> {
    if toks.is_empty() {
        return Vec::new();
    }
    let mut parts: Vec<(&[Tok], Span)> = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.is_punct(",") {
            parts.push((&toks[start..i], t.span));
            start = i + 1;
        }
    }
    if start < toks.len() {
        parts.push((&toks[start..], toks[start].span));
    }
    parts
}
