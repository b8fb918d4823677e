//! The depth and size limits (issue #12 item 1): whatever the nesting, both front ends give a
//! located error or a tree, never a stack overflow. The hostile inputs of the issue first, then
//! properties over generated nestings and chains.
//!
//! Each test runs on the test harness's thread (2 MiB of stack, less than a main thread), so a
//! recursion that the limits missed crashes the test binary.

use promgen_syntax::{
    Shape,
    limits::{MAX_DEPTH, MAX_SHAPES},
    parse_str, parse_tokens,
};
use proptest::prelude::*;

const TOO_DEEP: &str = "nested deeper than 64 levels";
const TOO_MANY: &str = "more than 10000 shapes in one series";

/// The text's error as `line:column: message`, or `ok`.
fn text(input: &str) -> String {
    match parse_str(input) {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.render(input),
    }
}

/// The same input as `series!` tokens: the message, or `ok`.
fn tokens(input: &str) -> String {
    let stream: proc_macro2::TokenStream = input.parse().expect("Rust tokens");
    match parse_tokens(stream) {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.message,
    }
}

/// Both front ends' verdicts, the text's with its place.
fn both(input: &str) -> (String, String) {
    (text(input), tokens(input))
}

fn nested(open: &str, n: usize, inner: &str, close: &str) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

#[test]
fn the_issues_inputs_are_located_errors() {
    let refused = |input: &str, at: &str, message: &str| {
        assert_eq!(
            both(input),
            (format!("{at}: {message}"), message.to_owned()),
            "{}…",
            &input[..input.len().min(40)]
        );
    };
    // 412 parentheses: the 825-byte body that killed `serve`; 5 000 killed `check`.
    refused(&nested("(", 412, "1", ")"), "1:65", TOO_DEEP);
    refused(&nested("(", 5_000, "1", ")"), "1:65", TOO_DEEP);
    refused(&nested("[", 4_622, "1", "]"), "1:65", TOO_DEEP);
    // Unclosed brackets are text only: Rust's lexer refuses them before a macro sees them.
    assert_eq!(text(&"[".repeat(20_000)), format!("1:65: {TOO_DEEP}"));
    assert_eq!(text(&"(".repeat(4_623)), format!("1:65: {TOO_DEEP}"));
    refused(&format!("{}1", "-".repeat(3_400)), "1:65", TOO_DEEP);
    refused(&format!("{}1", "-".repeat(20_000)), "1:65", TOO_DEEP);
    // 11 770 terms: past the size limit, refused at the first term too many.
    for op in ["+", "*"] {
        let chain = vec!["1"; 11_770].join(op);
        refused(&chain, &format!("1:{}", 2 * MAX_SHAPES + 1), TOO_MANY);
    }
    // `x` chains multiply into one repeat: any length is two shapes.
    let repeats = format!("[1]{}", " x 1".repeat(11_770));
    assert_eq!(both(&repeats), ("ok".to_owned(), "ok".to_owned()));
}

#[test]
fn long_flat_chains_work_up_to_the_size_limit() {
    for op in [" + ", " - ", " * ", " / ", " >> "] {
        let chain = vec!["[1]"; MAX_SHAPES].join(op);
        assert_eq!(both(&chain), ("ok".to_owned(), "ok".to_owned()), "{op}");
        let one_more = format!("{chain}{op}[1]");
        let at = one_more.len() - 2;
        assert_eq!(
            both(&one_more),
            (format!("1:{at}: {TOO_MANY}"), TOO_MANY.to_owned()),
            "{op}"
        );
    }
    // A chain is one level, however long: this one is 3 deep.
    let mixed = (0..MAX_SHAPES / 2)
        .map(|i| if i % 2 == 0 { "1 * 2" } else { "-3" })
        .collect::<Vec<_>>()
        .join(" + ");
    let shape = parse_str(&mixed).unwrap();
    let Shape::Arith(_, rest) = &shape else {
        panic!("one chain: {shape:?}")
    };
    assert_eq!(rest.len(), MAX_SHAPES / 2 - 1);
}

#[test]
fn repeat_counts_multiply_and_overflow_is_refused() {
    let shape = parse_str("[1] x 2 x 3 x4").unwrap();
    assert_eq!(shape.to_string(), "([1] x 24)");
    assert_eq!(
        text("[1] x 4294967296 x 4294967296"),
        "1:20: the `x` counts multiply past 18446744073709551615 passes"
    );
}

#[test]
fn sixty_four_levels_parse_and_sixty_five_do_not() {
    let cases = [
        // brackets: the 65th opening one is refused
        (nested("(", 64, "1", ")"), nested("(", 65, "1", ")"), "1:65"),
        // signs: `-1` is a number, so 64 signs make 63 negations of it
        (
            format!("{}1", "-".repeat(64)),
            format!("{}1", "-".repeat(65)),
            "1:65",
        ),
        // methods: the one that makes the 65th level
        (
            format!("_{}", ".abs()".repeat(63)),
            format!("_{}", ".abs()".repeat(64)),
            "1:381",
        ),
        // a negation of 64 levels is refused on its sign
        (
            format!("{}_", "-".repeat(63)),
            format!("{}_", "-".repeat(64)),
            "1:1",
        ),
        // joins and operators, one level each: refused on the `>>` or the operator
        (
            nested("[1] >> (", 63, "1", ")"),
            nested("[1] >> (", 64, "1", ")"),
            "1:5",
        ),
        (
            nested("1 + (", 63, "1", ")"),
            nested("1 + (", 64, "1", ")"),
            "1:3",
        ),
    ];
    // repeats of repeats: refused on the outermost `x`, the last
    let repeats = nested("(", 64, "1", ") x 2");
    let last_x = format!("1:{}", repeats.len() - 2);
    let cases = cases
        .into_iter()
        .map(|(a, b, at)| (a, b, at.to_owned()))
        .chain([(nested("(", 63, "1", ") x 2"), repeats, last_x)]);
    for (within, beyond, at) in cases {
        assert_eq!(
            both(&within),
            ("ok".to_owned(), "ok".to_owned()),
            "{within}"
        );
        assert_eq!(
            both(&beyond),
            (format!("{at}: {TOO_DEEP}"), TOO_DEEP.to_owned()),
            "{beyond}"
        );
    }
}

#[test]
fn numbers_past_a_float_are_refused_and_whole_numbers_are_whole_in_any_spelling() {
    assert_eq!(
        text("[1, 1e400]"),
        "1:5: the number 1e400 is out of range: a value is a 64-bit float, at most about 1.8e308"
    );
    let huge = format!("constant(1{})", "0".repeat(400));
    assert!(
        text(&huge).starts_with("1:10: the number 1000"),
        "{}",
        text(&huge)
    );
    assert_eq!(
        tokens("constant(1e400)"),
        "the number 1e400 is out of range: a value is a 64-bit float, at most about 1.8e308"
    );
    assert_eq!(
        text("\"1e400 1\""),
        "1:1: invalid promtool notation at column 1: bad number \"1e400\": value out of range"
    );
    // A count is a whole number however it is written; past u64 it is too large, not a fraction.
    for ok in [
        "[1].every(1e18)",
        "[1].every(18446744073709551615)",
        "[1] x 1e3",
        "gap(2.0)",
    ] {
        assert_eq!(both(ok), ("ok".to_owned(), "ok".to_owned()), "{ok}");
    }
    assert_eq!(
        text("[1].every(18446744073709551616)"),
        "1:11: every(n) is too large: at most 18446744073709551615"
    );
    assert_eq!(
        text("[1].every(1e20)"),
        "1:11: every(n) is too large: at most 18446744073709551615"
    );
    assert_eq!(
        text("[1].every(2.5)"),
        "1:11: every(n) needs a whole number above 0"
    );
    // The canonical text keeps the count, not its float (2^64 would be too large).
    let max = parse_str("[1].every(18446744073709551615)")
        .unwrap()
        .to_string();
    assert_eq!(max, "([1]).every(18446744073709551615)");
    assert_eq!(text(&max), "ok");
}

/// One level around `inner`, in one of the ways to nest: each adds exactly one level of tree
/// and at most one pair of brackets.
fn wrap(kind: u8, inner: &str) -> String {
    match kind % 8 {
        0 => format!("-({inner})"),
        1 => format!("({inner}).abs()"),
        2 => format!("({inner}).clamp(0, 5)"),
        3 => format!("({inner}) x 2"),
        4 => format!("({inner} >> loop)"),
        5 => format!("[1] >> ({inner})"),
        6 => format!("2 * ({inner})"),
        _ => format!("({inner}) - 1"),
    }
}

fn leaf() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("1"),
        Just("_"),
        Just("linear(0..3)"),
        Just("[1, _, stale]"),
        Just("\"0+1x3 _\""),
        Just("sin(period = 4)"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any nesting parses when it is at most 64 levels deep, in text and in tokens, and its
    /// canonical text parses again; deeper, both refuse it with the same message, the text
    /// with a line and column inside the input.
    #[test]
    fn nesting_parses_within_the_limit_and_is_a_located_error_beyond(
        kinds in proptest::collection::vec(any::<u8>(), 0..130),
        leaf in leaf(),
    ) {
        let input = kinds.iter().fold(leaf.to_owned(), |inner, &k| wrap(k, &inner));
        let depth = kinds.len() + 1;
        let (from_text, from_tokens) = both(&input);
        if depth <= MAX_DEPTH {
            prop_assert_eq!(&from_text, "ok");
            prop_assert_eq!(&from_tokens, "ok");
            let canonical = parse_str(&input).unwrap().to_string();
            prop_assert_eq!(text(&canonical), "ok", "{}", canonical);
        } else {
            prop_assert_eq!(&from_tokens, TOO_DEEP);
            let (place, message) = from_text.split_once(": ").unwrap();
            prop_assert_eq!(message, TOO_DEEP);
            let (line, column) = place.split_once(':').unwrap();
            prop_assert_eq!(line, "1");
            let column: usize = column.parse().unwrap();
            prop_assert!((1..=input.len()).contains(&column));
        }
    }

    /// Brackets alone, closed or not, and signs alone: the same rule, refused at the first one
    /// too many.
    #[test]
    fn brackets_and_signs_alone(n in 0usize..3_000) {
        let parens = nested("(", n, "1", ")");
        let unclosed = "(".repeat(n.max(1));
        let signs = format!("{}1", "-".repeat(n));
        if n <= MAX_DEPTH {
            prop_assert_eq!(text(&parens), "ok");
            prop_assert_eq!(text(&signs), "ok");
            prop_assert_eq!(text(&unclosed), format!("1:{}: unclosed delimiter: no ')' to match this", n.max(1)));
        } else {
            let refused = format!("1:65: {TOO_DEEP}");
            prop_assert_eq!(text(&parens), refused.clone());
            prop_assert_eq!(text(&signs), refused.clone());
            prop_assert_eq!(text(&unclosed), refused);
            prop_assert_eq!(tokens(&parens), TOO_DEEP);
            prop_assert_eq!(tokens(&signs), TOO_DEEP);
        }
    }

}

proptest! {
    // Each case parses up to 24 000 tokens twice.
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Flat chains of any operator mix: fine up to 10 000 shapes, refused past them.
    #[test]
    fn flat_chains_up_to_the_size_limit(
        ops in proptest::collection::vec(prop_oneof![Just(" + "), Just(" - "), Just(" * "), Just(" / "), Just(" >> ")], 1..12_000),
    ) {
        let mut input = String::from("1");
        for op in &ops {
            input.push_str(op);
            input.push('1');
        }
        let shapes = ops.len() + 1;
        let (from_text, from_tokens) = both(&input);
        if shapes <= MAX_SHAPES {
            prop_assert_eq!(from_text, "ok");
            prop_assert_eq!(from_tokens, "ok");
        } else {
            prop_assert!(from_text.ends_with(TOO_MANY), "{}", from_text);
            prop_assert_eq!(from_tokens, TOO_MANY);
        }
    }
}
