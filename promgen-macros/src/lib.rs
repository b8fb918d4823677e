//! Procedural macros of `promgen`. Thin by design: `promgen-syntax` parses and validates,
//! `emit` writes the code, and everything it names lives in `::promgen`. Use them through
//! `promgen`, which re-exports them (and documents the grammar on `promgen::series!`).
//! `#[promgen_test]` is the same kind of thin: `test_attr` checks its arguments and wraps the
//! function, and everything it names lives in `::promgen_test`, which re-exports it.

use proc_macro::TokenStream;

mod emit;
mod test_attr;

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

/// Turns an `async fn(Prometheus)` into a test against a real Prometheus started with the
/// given rules.
///
/// ```ignore
/// use promgen_test::{Feed, HarnessError, Prometheus, promgen_test};
///
/// #[promgen_test(rules = "tests/rules/attribute.yml", evaluation_interval = "1m")]
/// async fn errors_page_after_five_minutes(prometheus: Prometheus) -> Result<(), HarnessError> {
///     let feed = Feed::new()
///         .interval("1m")?
///         .notation(r#"errors{job="api"}"#, "0x9 10x30 0x20")?;
///     let timeline = prometheus.replay(&feed, "1h").await?;
///     timeline
///         .expect("Errors")
///         .pending_at("10m")
///         .firing_at("15m")
///         .inactive_at("41m");
///     Ok(())
/// }
/// ```
///
/// (A test in `promgen-test/tests/attribute.rs`, word for word, where it runs against a real
/// Prometheus: a test there checks that this text is still that test's.)
///
/// Arguments, all optional:
///
/// - `rules = "path"`, repeatable, or `rules = ["a.yml", "b.yml"]`: rule files, relative to the
///   crate root (`CARGO_MANIFEST_DIR`) unless absolute. Each must exist when the test compiles.
/// - `evaluation_interval = "1m"`, `scrape_interval = "15s"`: Prometheus durations.
/// - `backend = "auto" | "binary" | "docker"`: where Prometheus comes from (default: the
///   `PROMGEN_PROMETHEUS` variable, else `auto`).
///
/// The function must be `async`, not generic, and take exactly one parameter, the
/// `Prometheus`. It may return `()` or `Result<(), E>` with `E: Debug`; an `Err` fails the
/// test. It becomes a plain `#[test]` (its other attributes, such as `#[ignore]` and doc
/// comments, stay on it) that starts Prometheus, runs the function on a tokio runtime and
/// stops Prometheus. Mistakes are compile errors on the offending token.
#[proc_macro_attribute]
pub fn promgen_test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into()).into()
}
