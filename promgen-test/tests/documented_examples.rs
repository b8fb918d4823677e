//! The examples of the documentation that are tests with a Prometheus, run here as they are
//! written: the README's alert test, and `#[promgen_test]`'s (promgen-macros cannot run its
//! own: it would need promgen-test). A test checks that each text is still this file's.

use promgen_test::{Feed, HarnessError, Prometheus, promgen_test};

// A test with its own Prometheus, loaded with these rules, on a free port.
#[promgen_test(rules = "tests/rules/api.yml")]
async fn high_error_rate(prometheus: Prometheus) -> Result<(), HarnessError> {
    let traffic = Feed::new()
        .interval("1m")?
        .notation(
            r#"http_requests_total{service="checkout",code="200"}"#,
            "0+100x60",
        )?
        .notation(
            r#"http_requests_total{service="checkout",code="500"}"#,
            "0x10 20+20x19 400x30",
        )?;
    let timeline = prometheus.replay(&traffic, "1h").await?;
    timeline
        .expect(r#"HighErrorRate{service="checkout"}"#)
        .pending_at("12m")
        .never_fires_before("22m")
        .firing_at("22m")
        .resolves_between("30m", "36m");
    Ok(())
}

#[promgen_test(rules = "tests/rules/attribute.yml", evaluation_interval = "1m")]
async fn errors_page_after_five_minutes(prometheus: Prometheus) -> Result<(), HarnessError> {
    let feed = Feed::new()
        .interval("1m")?
        .notation(r#"errors{job="api"}"#, "0x9 10x30 0x20")?;
    let timeline = prometheus.replay(&feed, "1h").await?;
    timeline
        .expect("Errors")
        .pending_at("10m")
        .firing_at("15m")
        .inactive_at("41m");
    Ok(())
}

/// The lines of the code block that starts at `opening` in `text`, with `prefix` taken off
/// each, `use` lines and blank lines left out.
fn block(text: &str, opening: &str, prefix: &str) -> String {
    let start = text
        .find(opening)
        .unwrap_or_else(|| panic!("no {opening:?}"));
    let lines: Vec<&str> = text[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.trim_end() != format!("{prefix}```").trim_end())
        .map(|l| {
            l.strip_prefix(prefix)
                .unwrap_or(l.trim_start_matches(prefix.trim_end()))
        })
        .filter(|l| !l.starts_with("use ") && !l.is_empty())
        .collect();
    assert!(lines.iter().any(|l| l.contains("async fn")), "{lines:?}");
    lines.join("\n")
}

#[test]
fn the_documented_examples_are_tests_of_this_file() {
    let this: String = include_str!("documented_examples.rs")
        .lines()
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    for (place, example) in [
        (
            "README.md",
            block(
                include_str!("../../README.md"),
                "```rust,ignore\nuse promgen_test::",
                "",
            ),
        ),
        (
            "promgen-macros/src/lib.rs",
            block(
                include_str!("../../promgen-macros/src/lib.rs"),
                "/// ```ignore\n/// use promgen_test::",
                "/// ",
            ),
        ),
    ] {
        assert!(
            this.contains(&example),
            "the example in {place} is not a test of promgen-test/tests/documented_examples.rs any more:\n{example}"
        );
    }
}
