//! The code `series!` expands to: nested calls through `::promgen::shape` paths, so the value
//! is an ordinary shape whose type is the whole chain. Two exceptions keep that type within
//! what rustc compiles: a chain of more than [`STATIC_CHAIN`] operands is built from boxed
//! parts, as the text form builds it, and a part whose type would nest deeper than
//! [`TYPE_DEPTH`] is boxed. The samples are the same either way.

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

/// The code for `shape`.
pub fn shape(shape: &Shape) -> TokenStream {
    emit(shape).tokens
}

/// How deep a shape's static type may nest before a part of it is boxed: rustc refuses types
/// nested past its recursion limit (128 by default), and the caller may wrap the shape more.
const TYPE_DEPTH: usize = 48;

/// Chains of more operands than this (`>>` parts, `+ - * /` operands) are built from boxed
/// parts in a `Vec`, as the text form builds them: a static chain nests one type per operand.
const STATIC_CHAIN: usize = 16;

/// Emitted code, and how deep its type nests.
struct Emitted {
    tokens: TokenStream,
    depth: usize,
}

/// A leaf: a shape whose type holds no other shape.
fn leaf(tokens: TokenStream) -> Emitted {
    Emitted { tokens, depth: 1 }
}

/// The shape behind a pointer, whose type nests no further.
fn boxed(part: Emitted) -> Emitted {
    let tokens = part.tokens;
    leaf(quote!(::std::boxed::Box::new(#tokens) as ::promgen::shape::DynShape))
}

/// `part`, boxed when one more level around it would nest its type too deep.
fn fit(part: Emitted) -> Emitted {
    if part.depth >= TYPE_DEPTH {
        boxed(part)
    } else {
        part
    }
}

/// `make(inner)`: a shape around `inner`, one level deeper.
fn around(inner: &Shape, make: impl FnOnce(TokenStream) -> TokenStream) -> Emitted {
    let inner = fit(emit(inner));
    Emitted {
        tokens: make(inner.tokens),
        depth: inner.depth + 1,
    }
}

/// `a`, `b`, … combined pairwise from the left by `pair`.
fn fold(
    parts: impl IntoIterator<Item = Emitted>,
    mut pair: impl FnMut(TokenStream, TokenStream, usize) -> TokenStream,
) -> Emitted {
    let mut parts = parts.into_iter().map(fit);
    let first = parts
        .next()
        .unwrap_or_else(|| leaf(quote!(::promgen::shape::gap(0u64))));
    parts.enumerate().fold(first, |acc, (i, next)| {
        let acc = fit(acc);
        Emitted {
            depth: acc.depth.max(next.depth) + 1,
            tokens: pair(acc.tokens, next.tokens, i),
        }
    })
}

/// `let mut parts = Vec::with_capacity(n);` and a `parts.push(item);` an item. Not `vec![…]`:
/// rustc gives an array literal of values that need dropping a cleanup path per element for
/// each element, and ran out of 24 GB of memory on 10 000 of them.
fn pushed(items: impl ExactSizeIterator<Item = TokenStream>) -> TokenStream {
    let n = items.len();
    let parts = local("parts");
    quote! {
        let mut #parts = ::std::vec::Vec::with_capacity(#n);
        #(#parts.push(#items);)*
    }
}

/// A local variable of the emitted code, which the user's argument expressions cannot see
/// (nor it theirs).
fn local(name: &str) -> proc_macro2::Ident {
    proc_macro2::Ident::new(name, proc_macro2::Span::mixed_site())
}

fn op(op: Op) -> (TokenStream, TokenStream) {
    match op {
        Op::Add => (
            quote!(::promgen::shape::OpAdd),
            quote!(::promgen::shape::ArithOp::Add),
        ),
        Op::Sub => (
            quote!(::promgen::shape::OpSub),
            quote!(::promgen::shape::ArithOp::Sub),
        ),
        Op::Mul => (
            quote!(::promgen::shape::OpMul),
            quote!(::promgen::shape::ArithOp::Mul),
        ),
        Op::Div => (
            quote!(::promgen::shape::OpDiv),
            quote!(::promgen::shape::ArithOp::Div),
        ),
    }
}

fn emit(shape: &Shape) -> Emitted {
    match shape {
        Shape::LinearRange { start, end } => {
            let (a, b) = (float(start), float(end));
            leaf(quote!(::promgen::shape::Linear::range(#a, #b)))
        }
        Shape::Linear {
            start,
            end,
            count: n,
        } => {
            let (a, b, n) = (float(start), float(end), count(n));
            leaf(quote!(::promgen::shape::linear(#a, #b, #n)))
        }
        Shape::Constant(v) => {
            let v = float(v);
            leaf(quote!(::promgen::shape::constant(#v)))
        }
        Shape::Gap(n) => {
            let n = count(n);
            leaf(quote!(::promgen::shape::gap(#n)))
        }
        Shape::Uniform { min, max } => {
            let (a, b) = (float(min), float(max));
            leaf(quote!(::promgen::shape::uniform(#a, #b)))
        }
        Shape::Normal { mean, sd } => {
            let (m, s) = (float(mean), float(sd));
            leaf(quote!(::promgen::shape::normal(#m, #s)))
        }
        Shape::Walk { start, step } => {
            let (a, s) = (float(start), float(step));
            leaf(quote!(::promgen::shape::walk(#a, #s)))
        }
        Shape::Wave(args) => leaf(wave(args)),
        Shape::Values(items) => {
            let items = items.iter().map(|item| match item {
                Item::Num(v) => {
                    let v = float(v);
                    quote!(::promgen::shape::Value::Num(#v))
                }
                Item::Missing => quote!(::promgen::shape::Value::Missing),
                Item::Stale => quote!(::promgen::shape::Value::Stale),
            });
            leaf(quote!(::promgen::shape::values([#(#items),*])))
        }
        Shape::Notation(text) => leaf(
            quote!(::promgen::notation::Notation::parse(#text).expect("promtool notation checked by series!")),
        ),
        Shape::Join(parts) if parts.len() > STATIC_CHAIN => {
            let push = pushed(parts.iter().map(|p| boxed(emit(p)).tokens));
            let parts = local("parts");
            leaf(quote!({
                #push
                ::promgen::shape::Chain::new(#parts)
            }))
        }
        Shape::Join(parts) => fold(
            parts.iter().map(emit),
            |acc, next, _| quote!(::promgen::shape::ShapeExt::then(#acc, #next)),
        ),
        Shape::Repeat(inner, n) => {
            let n = Literal::u64_suffixed(*n);
            around(
                inner,
                |inner| quote!(::promgen::shape::ShapeExt::repeat(#inner, #n)),
            )
        }
        Shape::Closed(inner, closer) => {
            let strategy = match closer {
                Closer::Loop => quote!(::promgen::shape::EndStrategy::Loop),
                Closer::Hold => quote!(::promgen::shape::EndStrategy::SendLastValue),
                Closer::End => quote!(::promgen::shape::EndStrategy::RemoveTimeSeries),
                Closer::Const(v) => {
                    let v = float(v);
                    quote!(::promgen::shape::EndStrategy::SendCustomValue(::promgen::shape::Value::Num(#v)))
                }
            };
            around(
                inner,
                |inner| quote!(::promgen::shape::ShapeExt::end_with(#inner, #strategy)),
            )
        }
        Shape::Arith(first, rest) if rest.len() >= STATIC_CHAIN => {
            let first = boxed(emit(first)).tokens;
            let rest = pushed(rest.iter().map(|(o, s)| {
                let (_, o) = op(*o);
                let s = boxed(emit(s)).tokens;
                quote!((#o, #s))
            }));
            let (first_part, parts) = (local("first"), local("parts"));
            leaf(quote!({
                let #first_part = #first;
                #rest
                ::promgen::shape::ArithChain::new(#first_part, #parts)
            }))
        }
        Shape::Arith(first, rest) => {
            let operands = std::iter::once(emit(first)).chain(rest.iter().map(|(_, s)| emit(s)));
            fold(operands, |acc, next, i| {
                let (o, _) = op(rest[i].0);
                quote!(::promgen::shape::ShapeExt::combine(#acc, #next, #o))
            })
        }
        Shape::Neg(inner) => around(
            inner,
            |inner| quote!(::promgen::shape::ShapeExt::combine(::promgen::shape::constant(-1.0f64), #inner, ::promgen::shape::OpMul)),
        ),
        Shape::Seed(inner, seed) => {
            // `with_seed` returns the shape itself: no deeper.
            let (inner, seed) = (emit(inner), count(seed));
            let tokens = inner.tokens;
            Emitted {
                tokens: quote!(::promgen::shape::ShapeExt::with_seed(#tokens, #seed)),
                depth: inner.depth,
            }
        }
        Shape::Clamp(inner, lo, hi) => {
            let (lo, hi) = (float(lo), float(hi));
            around(
                inner,
                |inner| quote!(::promgen::shape::ShapeExt::clamp(#inner, #lo, #hi)),
            )
        }
        Shape::Round(inner) => around(
            inner,
            |inner| quote!(::promgen::shape::ShapeExt::round(#inner)),
        ),
        Shape::Abs(inner) => around(
            inner,
            |inner| quote!(::promgen::shape::ShapeExt::abs(#inner)),
        ),
        Shape::Cumsum(inner) => around(
            inner,
            |inner| quote!(::promgen::shape::ShapeExt::cumsum(#inner)),
        ),
        Shape::Every(inner, n) => {
            let n = count(n);
            around(
                inner,
                |inner| quote!(::promgen::shape::ShapeExt::hold(#inner, #n)),
            )
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
