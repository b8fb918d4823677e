//! The grammar, through both front ends: errors with columns for text, and the same tree from
//! text and from tokens for any expression (a property test over generated expressions).

use promgen_syntax::{parse_str, parse_tokens};
use proptest::prelude::*;

fn error(text: &str) -> String {
    parse_str(text).expect_err(text).render(text)
}

#[test]
fn text_errors_name_line_and_column() {
    let cases = [
        (
            "gap(1) >> [1] >> lienar(0..10)",
            "1:18: unknown function 'lienar', did you mean 'linear'?",
        ),
        (
            "linear(0..10) >>\n  loop >> [1]",
            "2:8: nothing can follow a closer (`loop`, `hold`, `end`, `const(v)`): it ends the chain",
        ),
        (
            "loop",
            "1:1: `loop` closes a chain and must come last: write `shape >> loop`",
        ),
        (
            "[1] x 0",
            "1:7: `x` needs a whole number above 0, found the number 0",
        ),
        ("[1] x", "1:5: `x` needs a whole number above 0 after it"),
        ("[1] x0", "1:5: `x` needs a whole number above 0"),
        ("linear(5..5)", "1:8: bad range: the range is empty"),
        (
            "linear(0..10, 3)",
            "1:8: bad range: with a count, the range includes its end: linear(a..=b, n)",
        ),
        (
            "linear(7)",
            "1:8: bad range: linear takes a range, linear(a..b) or linear(a..=b, n)",
        ),
        (
            "uniform(3..1)",
            "1:9: bad range: uniform(a..b) needs a below b",
        ),
        (
            "uniform(1..)",
            "1:10: bad range: both ends are needed, like 0..10",
        ),
        (
            "normal(1)",
            "1:1: wrong number of arguments: normal(mean, sd)",
        ),
        ("normal(0, -1)", "1:11: the standard deviation must be >= 0"),
        (
            "sin(amplitude = 3)",
            "1:1: wrong arguments: sin needs `period = …` (scrapes like 20, or a duration like 10m)",
        ),
        (
            "sin(period = 10, amp = 1)",
            "1:18: unknown argument 'amp' for sin, did you mean 'amplitude'?",
        ),
        (
            "sin(period = 10, period = 2)",
            "1:18: argument 'period' given twice",
        ),
        (
            "sin(period = 1.5)",
            "1:14: the period is a whole number of scrapes above 0, or a duration like 10m",
        ),
        (
            "sin(period = 30x)",
            "1:14: bad duration or number '30x': a duration is whole numbers with units from y, w, d, h, m, s, ms, largest first (30s, 1h30m, 1d)",
        ),
        (
            "pulse(period = 4, duty = 2)",
            "1:26: duty must be between 0 and 1",
        ),
        (
            "walk(1, 2)",
            "1:6: walk takes named arguments: walk(start = …, step = …)",
        ),
        (
            "linear(0..3).rund()",
            "1:14: unknown method 'rund', did you mean 'round'?",
        ),
        (
            "linear(0..3).clamp(2, 1)",
            "1:20: clamp(lo, hi) needs lo <= hi",
        ),
        (
            "\"3+3x4-4\"",
            "1:1: invalid promtool notation at column 6: expected a space between values, found '-'",
        ),
        (
            "[1, , 2]",
            "1:5: expected a value: a number, `_` or `stale`",
        ),
        (
            "30s",
            "1:1: a duration is not a shape: durations are for periods, like sin(period = 10m)",
        ),
        (
            "linear(0..3) linear(0..3)",
            "1:14: expected `>>`, an operator or the end, found `linear`",
        ),
        ("linear(0..3) >>", "1:16: expected a shape, found the end"),
        (
            "foo",
            "1:1: expected a shape, found `foo` (for a variable, write constant(foo))",
        ),
        ("sin", "1:1: `sin` is a function: call it, like sin(…)"),
        ("(1 >> 2", "1:1: unclosed delimiter: no ')' to match this"),
        ("1 ? 2", "1:3: unexpected character '?'"),
    ];
    for (text, expected) in cases {
        assert_eq!(error(text), expected, "for {text:?}");
    }
}

/// A random well-formed expression, as text.
fn expression() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        (0u32..50).prop_map(|n| n.to_string()),
        (0u32..100).prop_map(|n| format!("{}.5", n))
    ];
    let leaf = prop_oneof![
        (0i32..10, 11i32..20).prop_map(|(a, b)| format!("linear({a}..{b})")),
        (0i32..10, 1u32..6).prop_map(|(a, n)| format!("linear({a}..=-{a}, {n})")),
        number.clone(),
        number.clone().prop_map(|n| format!("constant({n})")),
        (1u32..4).prop_map(|n| format!("gap({n})")),
        Just("_".to_owned()),
        Just("[1, _, stale, 2.5]".to_owned()),
        Just("\"0+1x3 _ stale\"".to_owned()),
        (0u32..5).prop_map(|a| format!("uniform({a}..{})", a + 3)),
        Just("normal(10, 2)".to_owned()),
        Just("walk(start = 1, step = 0.5)".to_owned()),
        (
            prop_oneof![
                Just("sin"),
                Just("cos"),
                Just("square"),
                Just("sawtooth"),
                Just("triangle")
            ],
            1u32..30
        )
            .prop_map(|(w, p)| format!("{w}(period = {p}, amplitude = 2, offset = 5)")),
        Just("pulse(period = 1m30s, duty = 0.25)".to_owned()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} >> {b}")),
            (inner.clone(), 1u32..4).prop_map(|(a, n)| format!("({a}) x {n}")),
            (
                inner.clone(),
                inner.clone(),
                prop_oneof![Just("+"), Just("-"), Just("*"), Just("/")]
            )
                .prop_map(|(a, b, op)| format!("({a}) {op} ({b})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            inner.clone().prop_map(|a| format!("(({a}) >> loop)")),
            inner.clone().prop_map(|a| format!("(({a}) >> const(3))")),
            (
                inner.clone(),
                prop_oneof![
                    Just(".round()"),
                    Just(".abs()"),
                    Just(".cumsum()"),
                    Just(".every(2)"),
                    Just(".seed(4)"),
                    Just(".clamp(0, 5)")
                ]
            )
                .prop_map(|(a, m)| format!("({a}){m}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn text_and_tokens_parse_to_the_same_tree(text in expression()) {
        let from_text = parse_str(&text).map_err(|e| e.render(&text));
        let tokens: proc_macro2::TokenStream = text.parse().expect("Rust tokens");
        let from_tokens = parse_tokens(tokens).map_err(|e| e.message.clone());
        let from_text = from_text.unwrap_or_else(|e| panic!("{text}: {e}"));
        let from_tokens = from_tokens.unwrap_or_else(|e| panic!("{text}: {e}"));
        prop_assert_eq!(from_text.to_string(), from_tokens.to_string());
        // The canonical text parses back to the same tree.
        let again = parse_str(&from_text.to_string()).expect("canonical text parses");
        prop_assert_eq!(again.to_string(), from_text.to_string());
    }
}
