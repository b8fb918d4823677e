//! Why a Prometheus exited while starting, from its log: the error lines only, with the
//! fixture's copies of rule files named as the test named them.

use crate::HarnessError;

/// A rule file the fixture copied: the copy's file name, and what the test called it.
#[derive(Debug, Clone)]
pub(crate) struct RuleCopy {
    pub(crate) copy: String,
    pub(crate) shown: String,
}

/// The error for a Prometheus that exited while starting with `log`: a rule file it
/// refused (named as the test named it), else its error lines, else the end of its log.
pub(crate) fn exit_error(log: &str, rules: &[RuleCopy]) -> HarnessError {
    let errors: Vec<(Option<String>, Option<String>)> = log
        .lines()
        .filter(|l| field(l, "level").as_deref() == Some("error"))
        .map(|l| (field(l, "msg"), field(l, "err")))
        .collect();
    let rename = |text: &str| {
        rules.iter().fold(text.to_owned(), |text, r| {
            text.replace(&format!("/promgen/{}", r.copy), &r.copy)
                .replace(&r.copy, &r.shown)
        })
    };
    if let Some(err) = errors
        .iter()
        .find(|(msg, _)| msg.as_deref() == Some("loading groups failed"))
        .and_then(|(_, err)| err.as_deref())
    {
        // `/tmp/promgen-test-…/rules-0.yml: 5:15: …` names the copy: drop its directory.
        let err = rules
            .iter()
            .fold(err.to_owned(), |text, r| match text.find(&r.copy) {
                Some(at) => {
                    let start = text[..at]
                        .rfind(|c: char| c.is_whitespace())
                        .map_or(0, |i| i + 1);
                    format!("{}{}", &text[..start], &text[at..])
                }
                None => text,
            });
        return HarnessError::RefusedRules(rename(&err));
    }
    let text = if errors.is_empty() {
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    } else {
        errors
            .iter()
            .map(|(msg, err)| match (msg, err) {
                (Some(m), Some(e)) => format!("{m}: {e}"),
                (Some(t), None) | (None, Some(t)) => t.clone(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if text.trim().is_empty() {
        return HarnessError::Exited(
            "it printed nothing: is this a Prometheus server binary?".into(),
        );
    }
    HarnessError::Exited(rename(&text))
}

/// The value of `key=` in a logfmt line, unquoted.
fn field(line: &str, key: &str) -> Option<String> {
    let pattern = format!("{key}=");
    let mut from = 0;
    let at = loop {
        let i = line[from..].find(&pattern)? + from;
        if i == 0 || line.as_bytes()[i - 1] == b' ' {
            break i + pattern.len();
        }
        from = i + pattern.len();
    };
    let rest = &line[at..];
    let Some(quoted) = rest.strip_prefix('"') else {
        return Some(rest.split(' ').next().unwrap_or_default().to_owned());
    };
    let mut value = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                c => value.push(c),
            },
            c => value.push(c),
        }
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = r#"ts=2026-12-01T22:18:44.700Z caller=main.go:512 level=info msg="Starting Prometheus Server" mode=server version="(version=2.42.0+ds)"
ts=2026-12-01T22:18:44.788Z caller=manager.go:1015 level=error component="rule manager" msg="loading groups failed" err="/tmp/promgen-test-1-0/rules-1.yml: 5:15: group \"g\", rule 1, \"A\": could not parse expression: 1:6: parse error: unclosed left parenthesis"
ts=2026-12-01T22:18:44.788Z caller=main.go:1218 level=error msg="Failed to apply configuration" err="error loading rules, previous rule set restored"
ts=2026-12-01T22:18:44.789Z caller=main.go:1127 level=error err="error loading config from \"prometheus.yml\": one or more errors occurred while applying the new configuration (--config.file=\"prometheus.yml\")"
"#;

    fn copies() -> Vec<RuleCopy> {
        vec![
            RuleCopy {
                copy: "rules-0.yml".into(),
                shown: "tests/rules/api.yml".into(),
            },
            RuleCopy {
                copy: "rules-1.yml".into(),
                shown: "rules_yaml #2".into(),
            },
        ]
    }

    #[test]
    fn a_refused_rule_file_is_named_as_the_test_named_it() {
        let err = exit_error(LOG, &copies());
        assert!(matches!(err, HarnessError::RefusedRules(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "Prometheus refused the rules: rules_yaml #2: 5:15: group \"g\", rule 1, \"A\": could not parse expression: 1:6: parse error: unclosed left parenthesis"
        );
    }

    #[test]
    fn other_exits_show_the_error_lines_only() {
        let log = "ts=1 level=info msg=\"Starting\"\nts=2 caller=main.go:1 level=error msg=\"Error opening storage\" err=\"lock DB directory: resource temporarily unavailable\"\n";
        let err = exit_error(log, &copies());
        assert_eq!(
            err.to_string(),
            "Prometheus exited while starting:\nError opening storage: lock DB directory: resource temporarily unavailable"
        );
        let err = exit_error("a\nb\nflag provided but not defined: -x\n", &copies());
        assert!(
            err.to_string()
                .ends_with("a\nb\nflag provided but not defined: -x"),
            "{err}"
        );
    }

    #[test]
    fn logfmt_fields_are_unquoted() {
        let line = r#"ts=1 level=error msg="a \"b\"\nc" err=plain x=1"#;
        assert_eq!(field(line, "msg").as_deref(), Some("a \"b\"\nc"));
        assert_eq!(field(line, "err").as_deref(), Some("plain"));
        assert_eq!(field(line, "level").as_deref(), Some("error"));
        assert_eq!(field(line, "rr"), None);
    }
}
