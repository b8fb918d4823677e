//! `#[promgen_test]`: checks the attribute's arguments and the function, then wraps the async
//! fn in a plain `#[test]` that hands it to `::promgen_test::__private::run_test`, where the
//! fixture work lives (as `#[sqlx::test]` does it). On a mistake it still emits the function,
//! so editors keep working, next to one `compile_error!` per mistake, each on its token.

use proc_macro2::{Delimiter, Group, Ident, Literal, Spacing, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use std::path::Path;

/// The attribute's arguments.
const ARGS: [&str; 4] = ["rules", "evaluation_interval", "scrape_interval", "backend"];
/// What `backend` may be.
const BACKENDS: [&str; 3] = ["auto", "binary", "docker"];
/// How the function must look, for messages.
const SHAPE: &str = "`async fn name(prometheus: Prometheus)`";

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let options = parse_args(args, &mut errors);
    let test = parse_fn(item.clone(), &mut errors);
    match test {
        Some(test) if errors.is_empty() => emit(&test, &options),
        _ => {
            let errors = errors.iter().map(syn::Error::to_compile_error);
            // Still the user's function, untouched: editors keep resolving its body. Nothing
            // calls it now, which is no news next to the error.
            quote! {
                #[allow(dead_code)]
                #item
                #(#errors)*
            }
        }
    }
}

/// The checked arguments, as the tokens `TestOptions` is built from.
#[derive(Default)]
struct Options {
    /// Each rule file's path expression.
    rules: Vec<TokenStream>,
    evaluation_interval: Option<Literal>,
    scrape_interval: Option<Literal>,
    backend: Option<Literal>,
}

fn parse_args(args: TokenStream, errors: &mut Vec<syn::Error>) -> Options {
    let mut options = Options::default();
    let tokens = flatten(args);
    let mut seen: Vec<String> = Vec::new();
    for entry in tokens.split(|t| is_punct(t, ',')) {
        let Some(first) = entry.first() else { continue };
        let TokenTree::Ident(name) = first else {
            errors.push(error_on(
                entry,
                "expected an argument: rules, evaluation_interval, scrape_interval or backend",
            ));
            continue;
        };
        let key = name.to_string();
        if !ARGS.contains(&key.as_str()) {
            let hint = match promgen_syntax::closest(&key, &ARGS) {
                Some(known) => format!(", did you mean '{known}'?"),
                None => ": expected rules, evaluation_interval, scrape_interval or backend".into(),
            };
            errors.push(syn::Error::new(
                name.span(),
                format!("unknown argument '{key}'{hint}"),
            ));
            continue;
        }
        if key != "rules" {
            if seen.contains(&key) {
                errors.push(syn::Error::new(
                    name.span(),
                    format!("duplicate argument '{key}': give it once"),
                ));
                continue;
            }
            seen.push(key.clone());
        }
        let value = match entry {
            [_, eq, value] if is_punct(eq, '=') => value,
            [_, eq, _, rest @ ..] if is_punct(eq, '=') => {
                errors.push(error_on(
                    rest,
                    "unexpected tokens after the value: separate arguments with `,`",
                ));
                continue;
            }
            [_, eq] if is_punct(eq, '=') => {
                errors.push(syn::Error::new(
                    eq.span(),
                    format!("expected a value after `{key} =`"),
                ));
                continue;
            }
            _ => {
                errors.push(syn::Error::new(
                    name.span(),
                    format!("expected `{key} = \"…\"`"),
                ));
                continue;
            }
        };
        match key.as_str() {
            "rules" => rules(value, &mut options.rules, errors),
            "evaluation_interval" => {
                options.evaluation_interval = duration(&key, value, errors);
            }
            "scrape_interval" => options.scrape_interval = duration(&key, value, errors),
            _ => options.backend = backend(value, errors),
        }
    }
    options
}

/// `rules = "a.yml"` or `rules = ["a.yml", "b.yml"]`: each path must name a file, relative
/// to the crate root unless absolute.
fn rules(value: &TokenTree, paths: &mut Vec<TokenStream>, errors: &mut Vec<syn::Error>) {
    const WANT: &str = "rules takes a path or a list of paths: \
                        rules = \"tests/rules/alerts.yml\" or rules = [\"a.yml\", \"b.yml\"]";
    let literals: Vec<TokenTree> = match value {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => {
            let inner = flatten(g.stream());
            let mut literals = Vec::new();
            for item in inner.split(|t| is_punct(t, ',')) {
                match item {
                    [] => {}
                    [one] => literals.push(one.clone()),
                    more => errors.push(error_on(more, WANT)),
                }
            }
            literals
        }
        other => vec![other.clone()],
    };
    for literal in literals {
        let Some((text, lit)) = string(&literal) else {
            errors.push(syn::Error::new_spanned(&literal, WANT));
            continue;
        };
        let absolute = Path::new(&text).is_absolute();
        let full = match std::env::var_os("CARGO_MANIFEST_DIR") {
            _ if absolute => Some(Path::new(&text).to_path_buf()),
            Some(dir) => Some(Path::new(&dir).join(&text)),
            // Not under cargo: nothing to check against; the test checks at run time.
            None => None,
        };
        if let Some(full) = full
            && !full.is_file()
        {
            errors.push(syn::Error::new(
                lit.span(),
                if absolute {
                    format!("rules file '{text}' not found")
                } else {
                    format!(
                        "rules file '{text}' not found: a relative path starts at the crate \
                         root (CARGO_MANIFEST_DIR)"
                    )
                },
            ));
            continue;
        }
        paths.push(if absolute {
            quote!(#lit)
        } else {
            quote!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #lit))
        });
    }
}

/// `evaluation_interval` and `scrape_interval`: a Prometheus duration above zero, as a string.
fn duration(key: &str, value: &TokenTree, errors: &mut Vec<syn::Error>) -> Option<Literal> {
    let Some((text, lit)) = string(value) else {
        let written = value.to_string();
        let hint = if matches!(value, TokenTree::Literal(_))
            && written.starts_with(|c: char| c.is_ascii_digit())
        {
            let unit = if written.bytes().all(|b| b.is_ascii_digit()) {
                "s"
            } else {
                ""
            };
            format!(" such as \"{written}{unit}\"")
        } else {
            " such as \"15s\"".into()
        };
        errors.push(syn::Error::new_spanned(
            value,
            format!("{key} takes a Prometheus duration as a string{hint}"),
        ));
        return None;
    };
    match promgen_syntax::parse_duration(&text) {
        Some(ms) if ms > 0 => Some(lit),
        Some(_) => {
            errors.push(syn::Error::new(
                lit.span(),
                format!("{key} must be longer than 0s"),
            ));
            None
        }
        None => {
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "bad duration '{text}' for {key}: a duration is whole numbers with units \
                     from y, w, d, h, m, s, ms, largest first (15s, 1m, 1h30m)"
                ),
            ));
            None
        }
    }
}

/// `backend`: one of [`BACKENDS`], as a string.
fn backend(value: &TokenTree, errors: &mut Vec<syn::Error>) -> Option<Literal> {
    let Some((text, lit)) = string(value) else {
        errors.push(syn::Error::new_spanned(
            value,
            "backend takes a string: \"auto\", \"binary\" or \"docker\"",
        ));
        return None;
    };
    if BACKENDS.contains(&text.as_str()) {
        return Some(lit);
    }
    let hint = match promgen_syntax::closest(&text, &BACKENDS) {
        Some(known) => format!(", did you mean '{known}'?"),
        None => ": expected \"auto\", \"binary\" or \"docker\"".into(),
    };
    errors.push(syn::Error::new(
        lit.span(),
        format!("unknown backend '{text}'{hint}"),
    ));
    None
}

/// The user's function, in the pieces the expansion moves around.
struct TestFn {
    /// Its attributes (`#[ignore]`, doc comments, …), for the `#[test]`.
    attrs: Vec<TokenStream>,
    /// `pub`, `pub(crate)`, or nothing, for the `#[test]`.
    vis: TokenStream,
    /// `async` and any other qualifiers, up to `fn`.
    qualifiers: TokenStream,
    name: Ident,
    /// The parameters, the return type and the body, as written.
    rest: TokenStream,
}

/// Splits the item into a [`TestFn`], pushing an error for each way it cannot be a test.
fn parse_fn(item: TokenStream, errors: &mut Vec<syn::Error>) -> Option<TestFn> {
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    let mut i = 0;
    let mut attrs = Vec::new();
    while let (Some(hash), Some(TokenTree::Group(g))) = (tokens.get(i), tokens.get(i + 1))
        && is_punct(hash, '#')
        && g.delimiter() == Delimiter::Bracket
    {
        if is_test_attribute(g) {
            errors.push(syn::Error::new_spanned(
                quote!(#hash #g),
                "#[promgen_test] already makes the function a #[test] and runs its future: \
                 remove this attribute",
            ));
        } else {
            // A second test attribute is left out of what is emitted: its own errors would
            // only hide this one.
            attrs.push(quote!(#hash #g));
        }
        i += 2;
    }
    let mut vis = TokenStream::new();
    if matches!(tokens.get(i), Some(TokenTree::Ident(p)) if p == "pub") {
        vis.extend(tokens.get(i).cloned());
        i += 1;
        if let Some(TokenTree::Group(g)) = tokens.get(i)
            && g.delimiter() == Delimiter::Parenthesis
        {
            vis.extend([tokens[i].clone()]);
            i += 1;
        }
    }
    let start = i;
    let Some(fn_at) = (start..tokens.len()).find(|&j| is_ident(&tokens[j], "fn")) else {
        errors.push(error_on(
            &tokens[start..],
            format!("#[promgen_test] goes on an async fn: {SHAPE}"),
        ));
        return None;
    };
    let qualifiers: TokenStream = tokens[start..fn_at].iter().cloned().collect();
    if !tokens[start..fn_at].iter().any(|t| is_ident(t, "async")) {
        errors.push(syn::Error::new(
            tokens[fn_at].span(),
            format!("a #[promgen_test] function must be async: {SHAPE}"),
        ));
    }
    let Some(TokenTree::Ident(name)) = tokens.get(fn_at + 1) else {
        errors.push(syn::Error::new(
            tokens[fn_at].span(),
            "expected the function's name after `fn`",
        ));
        return None;
    };
    let mut j = fn_at + 2;
    if tokens.get(j).is_some_and(|t| is_punct(t, '<')) {
        let end = angle_end(&tokens, j);
        errors.push(error_on(
            &tokens[j..end],
            "a #[promgen_test] function cannot be generic: it is called with a Prometheus and \
             nothing else",
        ));
        j = end;
    }
    match tokens.get(j) {
        Some(TokenTree::Group(params)) if params.delimiter() == Delimiter::Parenthesis => {
            check_params(params, errors);
        }
        _ => {
            errors.push(error_on(
                &tokens[fn_at..],
                format!("expected the function's parameters: {SHAPE}"),
            ));
            return None;
        }
    }
    if !matches!(tokens.last(), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace) {
        errors.push(error_on(
            &tokens[fn_at..],
            "a #[promgen_test] function needs a body",
        ));
        return None;
    }
    Some(TestFn {
        attrs,
        vis,
        qualifiers,
        name: name.clone(),
        rest: tokens[fn_at + 2..].iter().cloned().collect(),
    })
}

/// Exactly one parameter: the Prometheus the test is handed.
fn check_params(params: &Group, errors: &mut Vec<syn::Error>) {
    let tokens = flatten(params.stream());
    let mut list: Vec<&[TokenTree]> = Vec::new();
    let (mut depth, mut from) = (0usize, 0);
    for (k, t) in tokens.iter().enumerate() {
        if is_punct(t, '<') {
            depth += 1;
        } else if is_punct(t, '>') && !(k > 0 && is_joint(&tokens[k - 1], '-')) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && is_punct(t, ',') {
            list.push(&tokens[from..k]);
            from = k + 1;
        }
    }
    list.push(&tokens[from..]);
    list.retain(|p| !p.is_empty());
    match list.len() {
        1 => {}
        0 => errors.push(syn::Error::new(
            params.span(),
            format!("a #[promgen_test] function takes the Prometheus as its parameter: {SHAPE}"),
        )),
        n => {
            let extra: TokenStream = list[1..].iter().flat_map(|p| p.iter().cloned()).collect();
            errors.push(syn::Error::new_spanned(
                extra,
                format!(
                    "a #[promgen_test] function takes one parameter, the Prometheus, not {n}: \
                     {SHAPE}"
                ),
            ));
        }
    }
}

fn emit(test: &TestFn, options: &Options) -> TokenStream {
    let TestFn {
        attrs,
        vis,
        qualifiers,
        name,
        rest,
    } = test;
    let rules = &options.rules;
    let some = |lit: &Option<Literal>| match lit {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };
    let evaluation_interval = some(&options.evaluation_interval);
    let scrape_interval = some(&options.scrape_interval);
    let backend = some(&options.backend);
    let options = quote! {
        ::promgen_test::__private::TestOptions {
            rules: &[#(#rules),*],
            evaluation_interval: #evaluation_interval,
            scrape_interval: #scrape_interval,
            backend: #backend,
        }
    };
    // A return type that is neither `()` nor `Result<(), E>` fails `run_test`'s bound: the
    // call carries the return type's span, so that error points there, not at the attribute.
    let span = return_type_span(rest).unwrap_or_else(Span::call_site);
    let run = quote_spanned! {span=>
        ::promgen_test::__private::run_test(::core::stringify!(#name), #options, #name)
    };
    quote! {
        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() {
            #qualifiers fn #name #rest
            #run
        }
    }
}

/// Where the return type starts, in the parameters, return type and body of a function.
fn return_type_span(rest: &TokenStream) -> Option<Span> {
    let tokens: Vec<TokenTree> = rest.clone().into_iter().collect();
    let arrow = tokens
        .windows(2)
        .position(|w| is_joint(&w[0], '-') && is_punct(&w[1], '>'))?;
    tokens.get(arrow + 2).map(TokenTree::span)
}

/// The token after the `>` closing the `<` at `open`.
fn angle_end(tokens: &[TokenTree], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        if is_punct(t, '<') {
            depth += 1;
        } else if is_punct(t, '>') && !is_joint(&tokens[k - 1], '-') {
            depth -= 1;
            if depth == 0 {
                return k + 1;
            }
        }
    }
    tokens.len()
}

/// `#[test]`, `#[tokio::test]`, `#[core::prelude::v1::test]`, …: a second test attribute.
fn is_test_attribute(attr: &Group) -> bool {
    let path: Vec<TokenTree> = attr
        .stream()
        .into_iter()
        .take_while(|t| matches!(t, TokenTree::Ident(_) | TokenTree::Punct(_)))
        .collect();
    path.iter()
        .all(|t| matches!(t, TokenTree::Ident(_)) || is_punct(t, ':'))
        && path.last().is_some_and(|t| is_ident(t, "test"))
}

/// A string literal's value, and the literal itself (its span and spelling kept).
fn string(tree: &TokenTree) -> Option<(String, Literal)> {
    let TokenTree::Literal(lit) = tree else {
        return None;
    };
    let parsed: syn::LitStr = syn::parse2(tree.to_token_stream()).ok()?;
    Some((parsed.value(), lit.clone()))
}

/// The tokens with invisible groups (a `macro_rules!` fragment) opened.
fn flatten(stream: TokenStream) -> Vec<TokenTree> {
    stream
        .into_iter()
        .flat_map(|t| match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::None => flatten(g.stream()),
            other => vec![other],
        })
        .collect()
}

/// An error spanning `tokens` (the call site when there are none).
fn error_on(tokens: &[TokenTree], message: impl std::fmt::Display) -> syn::Error {
    if tokens.is_empty() {
        return syn::Error::new(Span::call_site(), message);
    }
    let tokens: TokenStream = tokens.iter().cloned().collect();
    syn::Error::new_spanned(tokens, message)
}

fn is_punct(t: &TokenTree, c: char) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == c)
}

fn is_joint(t: &TokenTree, c: char) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == c && p.spacing() == Spacing::Joint)
}

fn is_ident(t: &TokenTree, name: &str) -> bool {
    matches!(t, TokenTree::Ident(i) if i == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: &str, item: &str) -> String {
        expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn wraps_the_async_fn_in_a_plain_test() {
        let out = expand_str(
            r#"rules = "Cargo.toml", evaluation_interval = "30s""#,
            "/// Docs.\n#[ignore] async fn alert(p: Prometheus) -> Result<(), E> { body() }",
        );
        let want = quote! {
            #[doc = " Docs."]
            #[ignore]
            #[::core::prelude::v1::test]
            fn alert() {
                async fn alert(p: Prometheus) -> Result<(), E> { body() }
                ::promgen_test::__private::run_test(
                    ::core::stringify!(alert),
                    ::promgen_test::__private::TestOptions {
                        rules: &[::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", "Cargo.toml")],
                        evaluation_interval: ::core::option::Option::Some("30s"),
                        scrape_interval: ::core::option::Option::None,
                        backend: ::core::option::Option::None,
                    },
                    alert
                )
            }
        };
        assert_eq!(out, want.to_string());
    }

    #[test]
    fn absolute_rule_paths_stay_as_they_are() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let out = expand_str(
            &format!(r#"rules = ["{path}", "src/lib.rs"], rules = "Cargo.toml""#),
            "pub async fn t(p: Prometheus) {}",
        );
        assert!(out.contains(&format!(r#"rules : & ["{path}" , :: core :: concat !"#)));
        assert_eq!(out.matches("concat !").count(), 2);
        assert!(out.starts_with("# [:: core :: prelude :: v1 :: test] pub fn t ()"));
        assert!(out.contains("async fn t (p : Prometheus) { }"));
    }

    #[test]
    fn a_mistake_keeps_the_function_and_adds_an_error() {
        let out = expand_str(
            r#"backend = "podman""#,
            "async fn t(p: Prometheus) { body() }",
        );
        assert!(out.starts_with(
            "# [allow (dead_code)] async fn t (p : Prometheus) { body () } :: core :: compile_error !"
        ));
        assert!(out.contains("unknown backend 'podman'"));
    }

    #[test]
    fn every_mistake_is_reported() {
        let out = expand_str(
            r#"rules = "nope.yml", scrape_interval = "1x", colour = "red""#,
            "fn t<T>(a: HashMap<u8, T>, f: fn(u8) -> Vec<u8>, c: u8) {}",
        );
        for message in [
            "rules file 'nope.yml' not found",
            "bad duration '1x' for scrape_interval",
            "unknown argument 'colour'",
            "must be async",
            "cannot be generic",
            "takes one parameter, the Prometheus, not 3",
        ] {
            assert!(out.contains(message), "{message} missing from {out}");
        }
    }

    #[test]
    fn parameters_split_on_top_level_commas_only() {
        let mut errors = Vec::new();
        let item = "async fn t(p: Wrap<fn(u8, u8) -> Vec<(u8, u8)>, u8>) {}";
        assert!(parse_fn(item.parse().unwrap(), &mut errors).is_some());
        assert!(errors.is_empty());
    }
}
