//! The code `series!` expands to: nested calls through `::promgen::shape` paths, so the value
//! is an ordinary shape whose type is the whole chain.

use proc_macro2::{Literal, TokenStream};
use promgen_syntax::{Arg, Closer, Item, Op, Period, Shape, WaveArgs, WaveKind};
use quote::quote;

/// A float argument: a literal, or the user's expression converted with `as f64`.
fn float(arg: &Arg) -> TokenStream {
    match arg {
        Arg::Num { value, .. } => {
            let lit = Literal::f64_suffixed(*value);
            quote!(#lit)
        }
        Arg::Expr(expr, _) => quote!(((#expr) as f64)),
    }
}

/// A whole-number argument (counts, seeds): a literal, or the expression `as u64`.
fn count(arg: &Arg) -> TokenStream {
    match arg {
        Arg::Num { int: Some(n), .. } => {
            let lit = Literal::u64_suffixed(*n);
            quote!(#lit)
        }
        // Validation lets only whole literals through; any other literal is a float.
        Arg::Num { value, .. } => {
            let lit = Literal::f64_suffixed(*value);
            quote!((#lit as u64))
        }
        Arg::Expr(expr, _) => quote!(((#expr) as u64)),
    }
}

pub fn shape(shape: &Shape) -> TokenStream {
    match shape {
        Shape::LinearRange { start, end } => {
            let (a, b) = (float(start), float(end));
            quote!(::promgen::shape::Linear::range(#a, #b))
        }
        Shape::Linear {
            start,
            end,
            count: n,
        } => {
            let (a, b, n) = (float(start), float(end), count(n));
            quote!(::promgen::shape::linear(#a, #b, #n))
        }
        Shape::Constant(v) => {
            let v = float(v);
            quote!(::promgen::shape::constant(#v))
        }
        Shape::Gap(n) => {
            let n = count(n);
            quote!(::promgen::shape::gap(#n))
        }
        Shape::Uniform { min, max } => {
            let (a, b) = (float(min), float(max));
            quote!(::promgen::shape::uniform(#a, #b))
        }
        Shape::Normal { mean, sd } => {
            let (m, s) = (float(mean), float(sd));
            quote!(::promgen::shape::normal(#m, #s))
        }
        Shape::Walk { start, step } => {
            let (a, s) = (float(start), float(step));
            quote!(::promgen::shape::walk(#a, #s))
        }
        Shape::Wave(args) => wave(args),
        Shape::Values(items) => {
            let items = items.iter().map(|item| match item {
                Item::Num(v) => {
                    let v = float(v);
                    quote!(::promgen::shape::Value::Num(#v))
                }
                Item::Missing => quote!(::promgen::shape::Value::Missing),
                Item::Stale => quote!(::promgen::shape::Value::Stale),
            });
            quote!(::promgen::shape::values([#(#items),*]))
        }
        Shape::Notation(text) => {
            quote!(::promgen::notation::Notation::parse(#text).expect("promtool notation checked by series!"))
        }
        Shape::Join(parts) => {
            let mut parts = parts.iter().map(self::shape);
            let first = parts.next().unwrap_or_default();
            parts.fold(
                first,
                |acc, next| quote!(::promgen::shape::ShapeExt::then(#acc, #next)),
            )
        }
        Shape::Repeat(inner, n) => {
            let inner = self::shape(inner);
            let n = Literal::u64_suffixed(*n);
            quote!(::promgen::shape::ShapeExt::repeat(#inner, #n))
        }
        Shape::Closed(inner, closer) => {
            let inner = self::shape(inner);
            let strategy = match closer {
                Closer::Loop => quote!(::promgen::shape::EndStrategy::Loop),
                Closer::Hold => quote!(::promgen::shape::EndStrategy::SendLastValue),
                Closer::End => quote!(::promgen::shape::EndStrategy::RemoveTimeSeries),
                Closer::Const(v) => {
                    let v = float(v);
                    quote!(::promgen::shape::EndStrategy::SendCustomValue(::promgen::shape::Value::Num(#v)))
                }
            };
            quote!(::promgen::shape::ShapeExt::end_with(#inner, #strategy))
        }
        Shape::Binary(op, a, b) => {
            let (a, b) = (self::shape(a), self::shape(b));
            let op = match op {
                Op::Add => quote!(::promgen::shape::OpAdd),
                Op::Sub => quote!(::promgen::shape::OpSub),
                Op::Mul => quote!(::promgen::shape::OpMul),
                Op::Div => quote!(::promgen::shape::OpDiv),
            };
            quote!(::promgen::shape::ShapeExt::combine(#a, #b, #op))
        }
        Shape::Neg(inner) => {
            let inner = self::shape(inner);
            quote!(::promgen::shape::ShapeExt::combine(::promgen::shape::constant(-1.0f64), #inner, ::promgen::shape::OpMul))
        }
        Shape::Seed(inner, seed) => {
            let (inner, seed) = (self::shape(inner), count(seed));
            quote!(::promgen::shape::ShapeExt::with_seed(#inner, #seed))
        }
        Shape::Clamp(inner, lo, hi) => {
            let (inner, lo, hi) = (self::shape(inner), float(lo), float(hi));
            quote!(::promgen::shape::ShapeExt::clamp(#inner, #lo, #hi))
        }
        Shape::Round(inner) => {
            let inner = self::shape(inner);
            quote!(::promgen::shape::ShapeExt::round(#inner))
        }
        Shape::Abs(inner) => {
            let inner = self::shape(inner);
            quote!(::promgen::shape::ShapeExt::abs(#inner))
        }
        Shape::Cumsum(inner) => {
            let inner = self::shape(inner);
            quote!(::promgen::shape::ShapeExt::cumsum(#inner))
        }
        Shape::Every(inner, n) => {
            let (inner, n) = (self::shape(inner), count(n));
            quote!(::promgen::shape::ShapeExt::hold(#inner, #n))
        }
    }
}

fn wave(args: &WaveArgs) -> TokenStream {
    let kind = match args.kind {
        WaveKind::Sin => quote!(Sin),
        WaveKind::Cos => quote!(Cos),
        WaveKind::Square => quote!(Square),
        WaveKind::Sawtooth => quote!(Sawtooth),
        WaveKind::Triangle => quote!(Triangle),
        WaveKind::Pulse => quote!(Pulse),
    };
    let mut params = quote!(::promgen::shape::WaveParams::new(::promgen::shape::WaveKind::#kind));
    for (name, arg) in [
        ("amplitude", &args.amplitude),
        ("offset", &args.offset),
        ("phase", &args.phase),
        ("duty", &args.duty),
    ] {
        if let Some(arg) = arg {
            let method = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
            let v = float(arg);
            params = quote!(#params.#method(#v));
        }
    }
    match &args.period {
        Period::Duration(ms) => {
            let ms = Literal::i64_suffixed(*ms);
            quote!(#params.every_ms(#ms))
        }
        Period::Scrapes(n) => {
            let n = Literal::u64_suffixed(*n);
            quote!(#params.every_scrapes(#n))
        }
        Period::Expr(expr) => quote!(::promgen::shape::WavePeriod::wave((#expr), #params)),
    }
}
