//! Within the limits, `series!` compiles whatever the nesting and however long the chain, and
//! gives the text form's samples (issue #12 item 1). Before, a static type per level made
//! rustc refuse 128 operands or levels ("overflow evaluating the requirement"). The program
//! is generated (ten-thousand-shape chains do not belong in a source file) and run by
//! trybuild; `tests/ui/too_deep*.rs` are the cases one past the limit.

use std::fmt::Write as _;

/// One level around `inner`, as promgen-syntax's property test nests.
fn wrap(kind: usize, inner: &str) -> String {
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

/// The expressions: 64 levels of each way to nest, and of all of them mixed; chains of 10 000
/// shapes (rustc takes about 10 s and 0.7 GB for one); a long run of `x`; chains either side
/// of the 16 operands the macro keeps static.
fn expressions() -> Vec<String> {
    let mut all = Vec::new();
    for kind in 0..8 {
        for leaf in ["linear(0..3)", "uniform(0..1)"] {
            all.push((0..63).fold(leaf.to_owned(), |inner, _| wrap(kind, &inner)));
        }
    }
    all.push((0..63).fold("[1, _, stale, 4]".to_owned(), |inner, i| {
        wrap(i * 5 % 8, &inner)
    }));
    all.push(format!("{}linear(0..3)", "-".repeat(63)));
    all.push(format!("_{}", ".abs()".repeat(63)));
    all.push(vec!["1"; 10_000].join(" + "));
    all.push(vec!["[1, _]"; 10_000].join(" >> "));
    all.push(vec!["linear(1..3)"; 2_000].join(" * "));
    all.push(format!("[1, 2]{}", " x 1".repeat(5_000)));
    for n in [16, 17] {
        all.push(vec!["uniform(0..1)"; n].join(" - "));
        all.push(vec!["[1, _]"; n].join(" >> "));
    }
    all
}

#[test]
fn series_macro_within_the_limits_compiles_and_agrees_with_the_text() {
    let mut program = String::from(
        "use promgen::{dsl, shape::{Shape, ShapeExt}};\n\n\
         fn same<S: Shape + Send + 'static>(shape: S, text: &str) {\n\
         \x20   let from_macro = shape.seeded(7).preview(40);\n\
         \x20   let from_text = dsl::parse(text).unwrap().build().seeded(7).preview(40);\n\
         \x20   assert!(!from_macro.is_empty(), \"{text}\");\n\
         \x20   assert_eq!(from_macro, from_text, \"{text}\");\n\
         }\n",
    );
    let expressions = expressions();
    // One function a case, so that rustc checks each on its own.
    for (i, e) in expressions.iter().enumerate() {
        writeln!(
            program,
            "\nfn case_{i}() {{\n    same(promgen::series!({e}), {e:?});\n}}"
        )
        .unwrap();
    }
    program.push_str("\nfn main() {\n");
    for i in 0..expressions.len() {
        writeln!(program, "    case_{i}();").unwrap();
    }
    program.push_str("}\n");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("series_limits");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("within_the_limits.rs");
    std::fs::write(&path, program).unwrap();
    trybuild::TestCases::new().pass(path);
}
