//! Unit tests: Prometheus 2.42's `template/template_test.go` cases (slices of inputs
//! become `args`, whose map ranges in key order), plus Go semantics and parse errors.

use std::collections::BTreeMap;

use crate::{AlertData, Queries, Sample, Template, TemplateError, expand_alert_template};

struct Fixed(Vec<Sample>);

impl Queries for Fixed {
    fn query(&mut self, _: &str) -> Result<Vec<Sample>, String> {
        Ok(self.0.clone())
    }
}

fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
    Sample {
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        value,
    }
}

fn data() -> AlertData {
    AlertData {
        labels: BTreeMap::from([
            ("instance".into(), "a:9090".into()),
            ("job".into(), "api".into()),
        ]),
        value: 1.5,
        external_labels: BTreeMap::from([("cluster".into(), "eu".into())]),
        external_url: "http://ext".into(),
        manager_url: Some("http://testhost:9090/path/prefix".into()),
    }
}

fn run_q(text: &str, q: Vec<Sample>) -> Result<String, String> {
    let t = Template::parse_named("test", text).map_err(|e| e.to_string())?;
    t.execute(&data(), &mut Fixed(q)).map_err(|e| e.to_string())
}

fn ok(text: &str, want: &str) {
    assert_eq!(
        run_q(text, vec![]).as_deref(),
        Ok(want),
        "template {text:?}"
    );
}

fn err(text: &str, want: &str) {
    assert_eq!(
        run_q(text, vec![]),
        Err(want.to_string()),
        "template {text:?}"
    );
}

#[test]
fn prometheus_basics() {
    ok("plain text", "plain text");
    ok("{{ 1 }}", "1");
    ok("{{ \"<b>\" }}", "<b>");
    ok(
        "{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1 \"2\")}}",
        "1 2",
    );
    err(
        "{{\u{a0}}}",
        "template: test:1: unrecognized character in action: U+00A0",
    );
    err("{{", "template: test:1: unclosed action");
}

#[test]
fn prometheus_queries() {
    let m = |inst: &str, v| sample(&[("__name__", "metric"), ("instance", inst)], v);
    assert_eq!(
        run_q(
            "{{ query \"1.5\" | first | value }}",
            vec![sample(&[], 1.5)]
        )
        .unwrap(),
        "1.5"
    );
    assert_eq!(
        run_q(
            "{{ query \"metric{instance='a'}\" | first | value }}",
            vec![m("a", 11.0)]
        )
        .unwrap(),
        "11"
    );
    assert_eq!(
        run_q(
            "{{ query \"metric{instance='a'}\" | first | label \"instance\" }}",
            vec![m("a", 11.0)]
        )
        .unwrap(),
        "a"
    );
    let v = sample(&[("__name__", "metric"), ("__value__", "a")], 11.0);
    assert_eq!(
        run_q("{{ query \"x\" | first | strvalue }}", vec![v]).unwrap(),
        "a"
    );
    assert_eq!(
        run_q(
            "{{ query \"x\" | first | label \"foo\" }}",
            vec![m("a", 11.0)]
        )
        .unwrap(),
        ""
    );
    assert_eq!(
        run_q(
            "{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}",
            vec![m("a", 11.0)]
        )
        .unwrap(),
        ""
    );
    assert_eq!(
        run_q(
            "{{ range query \"metric\" | sortByLabel \"instance\" }}{{.Labels.instance}}:{{.Value}}: {{end}}",
            vec![m("b", 21.0), m("a", 11.0)]
        )
        .unwrap(),
        "a:11: b:21: "
    );
    assert_eq!(
        run_q("{{ query \"missing\" | first }}", vec![]).unwrap_err(),
        "template: test:1:21: executing \"test\" at <first>: error calling first: first() called on vector with no elements"
    );
    assert_eq!(
        run_q("{{ (query \"missing\").banana }}", vec![]).unwrap_err(),
        "template: test:1:10: executing \"test\" at <\"missing\">: can't evaluate field banana in type template.queryResult"
    );
}

#[test]
fn sort_by_label_sorts_in_place() {
    let m = |inst: &str| sample(&[("inst", inst)], 1.0);
    let t = "{{ $r := query \"x\" }}{{ $_ := sortByLabel \"inst\" $r }}{{ range $r }}{{ .Labels.inst }}{{ end }}";
    assert_eq!(run_q(t, vec![m("c"), m("a"), m("b")]).unwrap(), "abc");
}

#[test]
fn prometheus_strip() {
    for (input, port, domain) in [
        ("foo.example.com", "foo.example.com", "foo"),
        ("foo.example.com:12345", "foo.example.com", "foo:12345"),
        ("192.0.2.1", "192.0.2.1", "192.0.2.1"),
        ("192.0.2.1:12345", "192.0.2.1", "192.0.2.1:12345"),
        ("2001:0DB8::1", "2001:0DB8::1", "2001:0DB8::1"),
        (
            "[2001:0DB8::1]:12345",
            "2001:0DB8::1",
            "[2001:0DB8::1]:12345",
        ),
        (
            "[2001:0DB8::1]::12345",
            "[2001:0DB8::1]::12345",
            "[2001:0DB8::1]::12345",
        ),
    ] {
        ok(&format!("{{{{ {input:?} | stripPort }}}}"), port);
        ok(&format!("{{{{ {input:?} | stripDomain }}}}"), domain);
    }
}

#[test]
fn prometheus_missing_and_regex() {
    err(
        "{{ .Foo }}",
        &format!(
            "template: test:1:3: executing \"test\" at <.Foo>: can't evaluate field Foo in type {}",
            crate::value::DATA_TYPE
        ),
    );
    ok("{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}", "xa");
    ok(
        "{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }}",
        "true false",
    );
    ok("{{ reReplaceAll \"\\\\d+\" \"#\" \"a1٣b22\" }}", "a#٣b#");
}

#[test]
fn prometheus_humanize() {
    ok(
        "{{ range args 0.0 1.0 1234567.0 .12 }}{{ humanize . }}:{{ end }}",
        "0:1:1.235M:120m:",
    );
    ok(
        "{{ range args \"0.0\" \"1.0\" \"1234567.0\" \".12\" }}{{ humanize . }}:{{ end }}",
        "0:1:1.235M:120m:",
    );
    err(
        "{{ humanize \"one\" }}",
        "template: test:1:3: executing \"test\" at <humanize \"one\">: error calling humanize: strconv.ParseFloat: parsing \"one\": invalid syntax",
    );
    ok(
        "{{ range args 0 -1 1 1234567 9223372036854775807 }}{{ humanize . }}:{{ end }}",
        "0:-1:1:1.235M:9.223E:",
    );
    ok(
        "{{ range args 0.0 1.0 1048576.0 .12 }}{{ humanize1024 . }}:{{ end }}",
        "0:1:1Mi:0.12:",
    );
    ok(
        "{{ range args 0 -1 1 1234567 9223372036854775807 }}{{ humanize1024 . }}:{{ end }}",
        "0:-1:1:1.177Mi:8Ei:",
    );
    ok(
        "{{ range args 0 1 60 3600 86400 90000 -183845 899.99 }}{{ humanizeDuration . }}:{{ end }}",
        "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:",
    );
    ok(
        "{{ range args .1 .0001 .12345 60.1 60.5 1.2345 12.345 }}{{ humanizeDuration . }}:{{ end }}",
        "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:",
    );
    ok(
        "{{ range args 0 -1 1 1234567 }}{{ humanizeDuration . }}:{{ end }}",
        "0s:-1s:1s:14d 6h 56m 7s:",
    );
    ok(
        "{{ range args \"+Inf\" \"-Inf\" \"NaN\" }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
        "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:",
    );
    ok(
        "{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}",
        "-22.22%:0%:12.35%:123.5%",
    );
    ok(
        "{{ range args 0 -1 1 1234567 9223372036854775807 }}{{ humanizePercentage . }}:{{ end }}",
        "0%:-100%:100%:1.235e+08%:9.223e+20%:",
    );
    err(
        "{{ \"one\" | humanizePercentage }}",
        "template: test:1:11: executing \"test\" at <humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: parsing \"one\": invalid syntax",
    );
}

#[test]
fn prometheus_time() {
    ok(
        "{{ range args 0 -1 1 1234567 9223372036 }}{{ humanizeTimestamp . }}:{{ end }}",
        "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:",
    );
    err(
        "{{ range args -9223372036854775807 }}{{ humanizeTimestamp . }}:{{ end }}",
        "template: test:1:40: executing \"test\" at <humanizeTimestamp .>: error calling humanizeTimestamp: -9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64",
    );
    ok(
        "{{ 1435065584.128 | humanizeTimestamp }}",
        "2015-06-23 13:19:44.128 +0000 UTC",
    );
    ok(
        "{{ \"1435065584.128\" | humanizeTimestamp }}",
        "2015-06-23 13:19:44.128 +0000 UTC",
    );
    ok("{{ (1435065584.128 | toTime).Format \"2006\" }}", "2015");
    ok(
        "{{ (\"1435065584.128\" | toTime).Format \"2006\" }}",
        "2015",
    );
    ok(
        "{{ (1435065584.128 | toTime).Format \"Mon Jan _2 15:04:05.000 MST 2006\" }}",
        "Tue Jun 23 13:19:44.128 UTC 2015",
    );
    ok("{{ (1435065584 | toTime).Unix }}", "1435065584");
}

#[test]
fn prometheus_strings_and_links() {
    ok("{{ \"aa bb CC\" | title }}", "Aa Bb CC");
    ok("{{ \"aa bb CC\" | toUpper }}", "AA BB CC");
    ok("{{ \"aA bB CC\" | toLower }}", "aa bb cc");
    ok("{{ graphLink \"up\" }}", "/graph?g0.expr=up&g0.tab=0");
    ok("{{ tableLink \"up\" }}", "/graph?g0.expr=up&g0.tab=1");
    ok(
        "{{ tableLink \"rate(x[5m]) > 0\" }}",
        "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0&g0.tab=1",
    );
    ok("{{ pathPrefix }}", "/path/prefix");
    ok("{{ externalURL }}", "http://testhost:9090/path/prefix");
    ok(
        "{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}",
        "3720.01",
    );
}

#[test]
fn go_language() {
    ok("{{- \"a\" -}}  \n {{- /* c */ -}} b", "ab");
    ok("x {{- 3 }}", "x3");
    ok("{{ -3 }}", "-3");
    ok("{{ if 0 }}a{{ else if \"\" }}b{{ else }}c{{ end }}", "c");
    ok(
        "{{ with .Labels.job }}{{ . }}{{ else }}none{{ end }}",
        "api",
    );
    ok(
        "{{ with .Labels.nope }}{{ . }}{{ else }}none{{ end }}",
        "none",
    );
    ok("{{ range $i, $e := query \"x\" }}{{ $i }}{{ end }}", "");
    ok("{{ range query \"x\" }}x{{ else }}empty{{ end }}", "empty");
    err(
        "{{ range .Labels.job }}x{{ end }}",
        "template: test:1:16: executing \"test\" at <.Labels.job>: range can't iterate over api",
    );
    ok(
        "{{ range $k, $v := .Labels }}{{ if eq $k \"job\" }}{{ break }}{{ end }}{{ $k }}{{ end }}",
        "instance",
    );
    ok(
        "{{ range $k, $v := .Labels }}{{ if eq $k \"instance\" }}{{ continue }}{{ end }}{{ $v }}{{ end }}",
        "api",
    );
    ok(
        "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}",
        "2",
    );
    ok(
        "{{ $ }}",
        "{map[instance:a:9090 job:api] map[cluster:eu] http://ext 1.5}",
    );
    ok("{{ .Labels }}", "map[instance:a:9090 job:api]");
    ok(
        "{{ len .Labels }} {{ index .Labels \"job\" }} {{ index .Labels \"x\" }}.",
        "2 api .",
    );
    ok("{{ slice \"abcdef\" 1 3 }}", "bc");
    ok("{{ and 1 0 2 }} {{ or 0 \"\" 3 }} {{ not 0 }}", "0 3 true");
    ok("{{ or 1 (index .Labels 5) }}", "1");
    ok(
        "{{ eq 1 2 3 1 }} {{ ne \"a\" \"b\" }} {{ lt 1.5 2.0 }} {{ ge \"b\" \"a\" }}",
        "true true true true",
    );
    err(
        "{{ gt .Value 1 }}",
        "template: test:1:3: executing \"test\" at <gt .Value 1>: error calling gt: incompatible types for comparison",
    );
    ok("{{ gt .Value 1.0 }}", "true");
    ok(
        "{{ html \"<a href='x'>&\" }} {{ js \"a'b<\" }} {{ urlquery \"a b&c\" }}",
        "&lt;a href=&#39;x&#39;&gt;&amp; a\\'b\\u003C a+b%26c",
    );
    ok(
        "{{ print 1 2 \"a\" 3 }}|{{ println 1 \"a\" }}",
        "1 2a3|1 a\n",
    );
    ok(
        "{{ 'a' }} {{ 0x10 }} {{ 1e3 }} {{ 1_000 }} {{ 1.0 }} {{ true }}",
        "97 16 1000 1000 1 true",
    );
    ok("{{ `raw\\n` }}", "raw\\n");
    ok(
        "{{ define \"t\" }}[{{ . }}]{{ end }}{{ template \"t\" \"x\" }}{{ block \"b\" 2 }}<{{ . }}>{{ end }}",
        "[x]<2>",
    );
    ok("{{ (args 1).arg5 }}", "<no value>");
    err(
        "{{ template \"t\" }}{{ define \"t\" }}{{ template \"t\" }}{{ end }}",
        "template: test:1:46: executing \"t\" at <{{template \"t\"}}>: exceeded maximum template depth (64)",
    );
}

#[test]
fn go_printf() {
    ok(
        "{{ printf \"%s|%v|%d|%5.1f|%-5d|%05d|%x|%X|%q|%t|%%\" \"s\" 1.5 42 3.14159 7 -42 255 \"hi\" \"q\" true }}",
        "s|1.5|42|  3.1|7    |-0042|ff|6869|\"q\"|true|%",
    );
    ok(
        "{{ printf \"%e|%E|%g|%.3g|%+d|% d|%#x|%o|%b|%c|%U\" 123456.789 0.000123 1e21 3.14159 5 5 255 8 5 65 65 }}",
        "1.234568e+05|1.230000E-04|1e+21|3.14|+5| 5|0xff|10|101|A|U+0041",
    );
    ok(
        "{{ printf \"%d %s\" 1.5 2 }}",
        "%!d(float64=1.5) %!s(int=2)",
    );
    ok(
        "{{ printf \"%d\" }} {{ printf \"%d\" 1 2 }} {{ printf \"%z\" 1 }}",
        "%!d(MISSING) 1%!(EXTRA int=2) %!z(int=1)",
    );
    ok(
        "{{ printf \"%v %v %v %v %v\" 1e6 1e-5 100000.0 -0.0 0.1 }}",
        "1e+06 1e-05 100000 -0 0.1",
    );
    ok(
        "{{ printf \"%08.3f|%-8.2f|%+.1e|%6s|%-6s|%.2s\" -3.14159 2.5 12345.0 \"ab\" \"ab\" \"abc\" }}",
        "-003.142|2.50    |+1.2e+04|    ab|ab    |ab",
    );
    ok(
        "{{ printf \"%v\" .Labels }} {{ printf \"%T\" .Value }}",
        "map[instance:a:9090 job:api] float64",
    );
}

fn parse_err(text: &str) -> (String, usize, usize) {
    match Template::parse_named("t", text).unwrap_err() {
        TemplateError::Parse {
            message,
            line,
            column,
            ..
        } => (message, line, column),
        other => panic!("not a parse error: {other:?}"),
    }
}

#[test]
fn parse_errors_have_locations() {
    assert_eq!(
        parse_err("{{ nope }}"),
        ("template: t:1: function \"nope\" not defined".into(), 1, 4)
    );
    assert_eq!(
        parse_err("a\nb {{ $x }}"),
        ("template: t:2: undefined variable \"$x\"".into(), 2, 6)
    );
    assert_eq!(parse_err("{{ if 1 }}x").0, "template: t:1: unexpected EOF");
    assert_eq!(
        parse_err("{{ end }}").0,
        "template: t:1: unexpected {{end}}"
    );
    assert_eq!(
        parse_err("{{ if }}{{ end }}").0,
        "template: t:1: missing value for if"
    );
    assert_eq!(
        parse_err("{{ break }}").0,
        "template: t:1: {{break}} outside {{range}}"
    );
    assert_eq!(
        parse_err("{{ 1 | 2 }}").0,
        "template: t:1: non executable command in pipeline stage 2"
    );
    assert_eq!(
        parse_err("{{ \"a }}").0,
        "template: t:1: unterminated quoted string"
    );
    assert_eq!(
        parse_err("{{ /* x */ }}").0,
        "template: t:1: unexpected \"/\" in command"
    );
    assert_eq!(
        parse_err("{{/* x */ }}").0,
        "template: t:1: comment ends before closing delimiter"
    );
    assert_eq!(
        parse_err("{{ (1 }}").0,
        "template: t:1: unclosed left paren"
    );
    assert_eq!(
        parse_err("{{ 3x }}").0,
        "template: t:1: bad number syntax: \"3x\""
    );
}

#[test]
fn hostile_inputs_are_refused() {
    let deep = "(".repeat(200) + "1" + &")".repeat(200);
    assert!(
        parse_err(&format!("{{{{ {deep} }}}}"))
            .0
            .contains("nesting deeper than 64")
    );
    let ifs = "{{ if 1 }}".repeat(100) + &"{{ end }}".repeat(100);
    assert!(parse_err(&ifs).0.contains("nesting deeper than 64"));
    let big = "x".repeat(crate::MAX_TEMPLATE_BYTES + 1);
    assert!(parse_err(&big).0.contains("over the limit"));
    // 10 nested templates ranging over 10 items each: 10^10 steps, cut by the budget.
    let mut t = String::from("{{ define \"l0\" }}x{{ end }}");
    for i in 1..=10 {
        t += &format!(
            "{{{{ define \"l{i}\" }}}}{{{{ range args 0 1 2 3 4 5 6 7 8 9 }}}}{{{{ template \"l{}\" }}}}{{{{ end }}}}{{{{ end }}}}",
            i - 1
        );
    }
    t += "{{ template \"l10\" }}";
    assert!(run_q(&t, vec![]).unwrap_err().contains("budget"));
}

#[test]
fn alert_expansion() {
    let d = data();
    let mut q = Fixed(vec![]);
    assert_eq!(
        expand_alert_template(
            "A",
            "{{ $labels.job }} {{ $value }} {{ $externalLabels.cluster }} {{ $externalURL }}",
            &d,
            &mut q
        ),
        "api 1.5 eu http://ext"
    );
    assert_eq!(
        expand_alert_template("A", "{{ nope }}", &d, &mut q),
        "<error expanding template: error parsing template __alert_A: template: __alert_A:1: function \"nope\" not defined>"
    );
}

#[test]
fn deep_nesting_fits_a_small_stack() {
    // The deepest nesting the limits allow: 64 template calls, each through 31 controls
    // and a 32-deep parenthesised pipeline (64 levels in all, the parser's limit).
    // Test threads have 2 MiB of stack.
    let ifs = "{{ with 1 }}".repeat(31);
    let ends = "{{ end }}".repeat(31);
    let parens = "(".repeat(32) + "1" + &")".repeat(32);
    let t = format!(
        "{{{{ define \"t\" }}}}{ifs}{{{{ {parens} }}}}{{{{ template \"t\" }}}}{ends}{{{{ end }}}}{{{{ template \"t\" }}}}"
    );
    let r = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || run_q(&t, vec![]))
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    let e = r.unwrap_err();
    assert!(e.contains("execution nested deeper than 200 levels"), "{e}");
}
