//! Procedural macros of `promgen`. Thin by design: `promgen-syntax` parses and validates,
//! `emit` writes the code, and everything it names lives in `::promgen`. Use them through
//! `promgen`, which re-exports them (and documents the grammar on `promgen::series!`).

use proc_macro::TokenStream;

mod emit;

/// Compiles a series expression into a static chain of `promgen` shapes.
///
/// See `promgen::series!` for the grammar and examples.
#[proc_macro]
pub fn series(input: TokenStream) -> TokenStream {
    match promgen_syntax::parse_tokens(input.into()) {
        Ok(shape) => emit::shape(&shape).into(),
        Err(err) => err.to_syn().to_compile_error().into(),
    }
}
