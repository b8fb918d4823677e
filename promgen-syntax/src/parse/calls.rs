//! Calls: the arguments of functions, methods and `const(v)`, and the shapes they make.

use super::{Parser, describe};
use crate::{
    Error, Span,
    ast::{Arg, Item, Period, Shape, WaveArgs, WaveKind},
    error::closest,
    lex::{Delim, Kind, Tok},
};

pub(super) const FUNCTIONS: &[&str] = &[
    "linear", "constant", "gap", "uniform", "normal", "walk", "sin", "cos", "square", "sawtooth",
    "triangle", "pulse",
];
pub(super) const METHODS: &[&str] = &["seed", "clamp", "round", "abs", "cumsum", "every"];

/// One argument of a call: `value` or `name = value`.
pub(super) struct CallArg<'t> {
    name: Option<(&'t str, Span)>,
    toks: &'t [Tok],
    span: Span,
}

impl<'t> Parser<'t, '_> {
    pub(super) fn values(&self, inner: &'t [Tok]) -> Result<Shape, Error> {
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
    pub(super) fn call_args(&mut self, name: &str) -> Result<Vec<CallArg<'t>>, Error> {
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

    pub(super) fn positional(&self, arg: &CallArg<'t>, function: &str) -> Result<Arg, Error> {
        if let Some((name, span)) = arg.name {
            return Err(Error::new(
                span,
                format!("{function} takes no argument named '{name}'"),
            ));
        }
        value(arg.toks, arg.span, "a number")
    }

    pub(super) fn function(
        &self,
        name: &str,
        span: Span,
        args: &[CallArg<'t>],
    ) -> Result<Shape, Error> {
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

    pub(super) fn method(
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

pub(super) fn unknown(what: &str, name: &str, known: &[&str]) -> String {
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
        // Whole, but past u64: said as such, not as a fraction.
        Arg::Num {
            value,
            span,
            int: None,
        } if *value >= 1.0 && value.fract() == 0.0 => Err(Error::new(
            *span,
            format!("{what} is too large: at most {}", u64::MAX),
        )),
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
