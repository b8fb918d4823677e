//! Differential test against promtool: a few hundred templates generated from a fixed
//! seed (printf with random flags, widths, precisions and operands; the humanize family
//! and comparisons on random numbers), expanded by us and checked by `promtool test rules`.

mod common;
use common::{promtool_present, yaml_quote};

use std::collections::BTreeMap;
use std::process::Command;

use promgen_template::{AlertData, NoQueries, expand_alert_template};

/// A small deterministic generator (xorshift64*), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }

    /// A float literal across many magnitudes, sometimes special.
    fn number(&mut self) -> String {
        match self.below(10) {
            0 => self
                .pick(&[
                    "0.0", "-0.0", "1.0", "0.5", "1e21", "1e20", "999999.0", "0.0001", "0.00001",
                ])
                .into(),
            1 => format!("{}", self.below(2000) as i64 - 1000),
            _ => {
                let m = (self.below(99_999) + 1) as f64 / 10f64.powi(self.below(5) as i32);
                let e = self.below(61) as i32 - 30;
                let sign = if self.below(4) == 0 { "-" } else { "" };
                format!("{sign}{:e}", m * 10f64.powi(e))
            }
        }
    }
}

fn operand(r: &mut Rng) -> String {
    match r.below(9) {
        0 => "$value".into(),
        1 => "\"str\"".into(),
        2 => "\"héllo wörld\"".into(),
        3 => r
            .pick(&["true", "nil", "$labels.job", "$labels", "'x'"])
            .into(),
        4 => format!("{}", r.below(100_000) as i64 - 50_000),
        _ => r.number(),
    }
}

fn printf(r: &mut Rng) -> String {
    let mut format = String::new();
    let mut args = Vec::new();
    for _ in 0..1 + r.below(3) {
        format.push('%');
        for flag in ["-", "+", "#", " ", "0"] {
            if r.below(5) == 0 {
                format.push_str(flag);
            }
        }
        if r.below(2) == 0 {
            format.push_str(&r.below(15).to_string());
        }
        if r.below(2) == 0 {
            format.push('.');
            format.push_str(&r.below(12).to_string());
        }
        format.push_str(r.pick(&[
            "v", "d", "s", "f", "e", "E", "g", "G", "x", "X", "q", "t", "c", "b", "o", "U", "F",
        ]));
        format.push('|');
        args.push(operand(r));
    }
    format!("{{{{ printf \"{format}\" {} }}}}", args.join(" "))
}

fn function(r: &mut Rng) -> String {
    let f = r.pick(&[
        "humanize",
        "humanize1024",
        "humanizeDuration",
        "humanizePercentage",
        "humanizeTimestamp",
        "toTime",
    ]);
    let arg = if r.below(6) == 0 {
        format!("\"{}\"", r.number())
    } else {
        r.number()
    };
    format!("{{{{ {f} {arg} }}}}")
}

fn comparison(r: &mut Rng) -> String {
    let f = r.pick(&["eq", "ne", "lt", "le", "gt", "ge"]);
    format!("{{{{ {f} {} {} }}}}", operand(r), operand(r))
}

fn misc(r: &mut Rng) -> String {
    let word = |r: &mut Rng| {
        r.pick(&[
            "\"\"",
            "\"a\"",
            "\"Hello wörld_x-y z9\"",
            "\"ǆ ß İ ﬀ\"",
            "\"host.example.com:9090\"",
            "\"[::1]:80\"",
            "\"10.0.0.1\"",
            "\"a.b.c\"",
            "\"1h30m\"",
            "\"1y\"",
            "\"5m3s\"",
            "\"90s\"",
            "\"1.5\"",
            "\"0x10\"",
            "\"1e3\"",
            "\"+Inf\"",
            "\"nan\"",
            "\" 1\"",
            "\"1_000\"",
            "$labels.job",
            "$labels.__name__",
        ])
        .to_string()
    };
    match r.below(8) {
        0 => format!(
            "{{{{ {} {} }}}}",
            r.pick(&[
                "title",
                "toUpper",
                "toLower",
                "stripPort",
                "stripDomain",
                "len",
                "html",
                "js",
                "urlquery",
                "graphLink",
                "tableLink"
            ]),
            word(r)
        ),
        1 => format!(
            "{{{{ {} {} }}}}",
            r.pick(&[
                "parseDuration",
                "humanize",
                "humanizeDuration",
                "humanizeTimestamp",
                "humanizePercentage"
            ]),
            word(r)
        ),
        2 => {
            let pat = r.pick(&[
                "\"a+\"",
                "\"^h\"",
                "\"(\\\\w+)\\\\.\"",
                "\"[aeiou]\"",
                "\"\\\\d\"",
                "\"(?i)HOST\"",
                "\"x*\"",
                "\"\\\\bex\"",
                "\"$\"",
            ]);
            let repl = r.pick(&["\"<$1>\"", "\"\"", "\"$0$0\"", "\"${1}z\"", "\"$$\""]);
            format!(
                "{{{{ reReplaceAll {pat} {repl} {} }}}} {{{{ match {pat} {} }}}}",
                word(r),
                word(r)
            )
        }
        3 => format!(
            "{{{{ {} {} {} }}}}",
            r.pick(&["and", "or"]),
            operand(r),
            operand(r)
        ),
        4 => format!("{{{{ not {} }}}} {{{{ len {} }}}}", operand(r), word(r)),
        // ASCII only: Go slices bytes, and a cut rune is invalid UTF-8, which our
        // strings cannot hold (we write U+FFFD).
        5 => format!(
            "{{{{ slice {} {} }}}}",
            r.pick(&["\"abc\"", "\"host.example.com\"", "$labels.job", "\"\""]),
            r.below(4)
        ),
        6 => format!("{{{{ index {} {} }}}}", word(r), r.below(4)),
        _ => format!(
            "{{{{ print {} {} }}}}|{{{{ println {} }}}}",
            operand(r),
            operand(r),
            operand(r)
        ),
    }
}

#[test]
fn promtool_agrees_on_generated_templates() {
    if !promtool_present() {
        return;
    }
    // PROMGEN_TEMPLATE_SEED explores other corners; the fixed seed is what CI runs.
    let seed = std::env::var("PROMGEN_TEMPLATE_SEED")
        .ok()
        .and_then(|s| s.parse().ok());
    let mut r = Rng(seed.unwrap_or(0x5eed_cafe_f00d_0001));
    let labels: BTreeMap<String, String> = [("__name__", "m"), ("job", "node")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let data = AlertData {
        labels: labels.clone(),
        value: 42.0,
        ..AlertData::default()
    };
    let mut rules = String::from("groups:\n  - name: generated\n    rules:\n");
    let mut tests = String::from(
        "rule_files:\n  - rules.yml\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'm{job=\"node\"}'\n        values: '42 42 42'\n    alert_rule_test:\n",
    );
    let n = 500;
    for i in 0..n {
        let template = match i % 4 {
            0 => printf(&mut r),
            1 => function(&mut r),
            2 => comparison(&mut r),
            _ => misc(&mut r),
        };
        let name = format!("G{i:03}");
        let annotation = format!("[{template}]");
        rules += &format!(
            "      - alert: {name}\n        expr: m\n        annotations:\n          a: {}\n",
            yaml_quote(&annotation)
        );
        let got = expand_alert_template(&name, &annotation, &data, &mut NoQueries);
        tests += &format!(
            "      - eval_time: 1m\n        alertname: {name}\n        exp_alerts:\n          - exp_labels:\n              job: node\n            exp_annotations:\n              a: {}\n",
            yaml_quote(&got)
        );
    }
    let dir = std::env::temp_dir().join(format!(
        "promgen-template-differential-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(dir.join("rules.yml"), rules).expect("write rules");
    std::fs::write(dir.join("test.yml"), tests).expect("write test");
    let out = Command::new("promtool")
        .args(["test", "rules", "test.yml"])
        .current_dir(&dir)
        .output()
        .expect("run promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool disagrees (files in {}):\n{text}",
        dir.display()
    );
    std::fs::remove_dir_all(&dir).ok();
}
