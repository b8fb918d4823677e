//! The oracle: Prometheus 2.42's own `promtool test rules`. Every template of the table
//! becomes an alerting rule's annotation (or label); we expand it with our engine, write
//! the expansions as the test's `exp_annotations`/`exp_labels`, and promtool must agree.
//! A negative control checks that promtool does fail when one expectation is wrong.

mod common;
use common::{promtool_present, yaml_quote};

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use promgen_template::{AlertData, Queries, Sample, expand_alert_template};

const EXTERNAL_URL: &str = "http://prom.example.com:9090/prefix";

/// What the alert expression returns: a `vector(v)` or one of the input series.
#[derive(Clone, Copy)]
enum Expr {
    Vector(f64),
    Metric,
    Ratio,
}

struct Case {
    expr: Expr,
    /// An annotation template.
    annotation: &'static str,
    /// An optional label template.
    label: Option<&'static str>,
}

const M: Expr = Expr::Metric;

fn v(x: f64) -> Expr {
    Expr::Vector(x)
}

fn cases() -> Vec<Case> {
    let a = |expr, annotation| Case {
        expr,
        annotation,
        label: None,
    };
    let l = |expr, annotation, label| Case {
        expr,
        annotation,
        label: Some(label),
    };
    vec![
        a(v(1.0), "plain text"),
        a(v(0.1), "{{ $value }}"),
        a(v(1e21), "{{ $value }}"),
        a(v(-0.0), "{{ $value }}"),
        a(v(f64::NAN), "{{ $value }}"),
        a(v(f64::INFINITY), "{{ $value }}"),
        a(v(f64::NEG_INFINITY), "{{ $value }} {{ .Value }}"),
        a(v(1234567.0), "{{ $value }}"),
        a(v(100000.0), "{{ $value }}"),
        a(v(0.00001), "{{ $value }}"),
        a(v(123.456), "{{ $value }}"),
        a(M, "{{ $labels.instance }}"),
        a(M, "{{ $labels.__name__ }}"),
        a(M, "{{ $labels }}"),
        a(M, "{{ .Labels.job }}|{{ $labels.missing }}|"),
        a(M, "{{ $externalLabels.cluster }} {{ $externalLabels }}"),
        a(M, "{{ $externalURL }} {{ .ExternalURL }}"),
        a(
            M,
            "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
        ),
        a(M, "{{ range $labels }}{{ . }},{{ end }}"),
        a(
            M,
            "{{ range $i, $e := $labels }}{{ if eq $i \"instance\" }}{{ break }}{{ end }}{{ $i }} {{ end }}",
        ),
        a(
            M,
            "{{ range $i, $e := $labels }}{{ if eq $i \"env\" }}{{ continue }}{{ end }}{{ $e }} {{ end }}",
        ),
        a(
            M,
            "{{ if gt $value 40.0 }}high{{ else if gt $value 10.0 }}mid{{ else }}low{{ end }}",
        ),
        a(
            v(5.0),
            "{{ if gt $value 40.0 }}high{{ else if gt $value 10.0 }}mid{{ else }}low{{ end }}",
        ),
        a(M, "{{ if gt $value 10 }}x{{ end }}"),
        a(
            M,
            "{{ if and (gt $value 1.0) (eq $labels.job \"node\") }}yes{{ end }}",
        ),
        a(
            M,
            "{{ or $labels.missing \"default\" }} {{ and 1 0 }} {{ not true }} {{ not \"\" }}",
        ),
        a(
            M,
            "{{ eq $labels.job \"a\" \"b\" \"node\" }} {{ ne $value 42.0 }} {{ lt 1 2 }} {{ le 2 2 }} {{ ge \"a\" \"b\" }}",
        ),
        a(
            M,
            "{{ len $labels }} {{ len \"héllo\" }} {{ len $externalLabels }}",
        ),
        a(
            M,
            "{{ index $labels \"env\" }}|{{ index $labels \"nope\" }}|",
        ),
        a(M, "{{ slice \"abcdef\" 2 }} {{ slice \"abcdef\" 1 3 }}"),
        a(M, "{{ print 1 2 \"x\" 3.5 nil }}"),
        a(M, "{{ println \"a\" 1 }}"),
        a(
            M,
            "{{ printf \"%s|%v|%d|%5.1f|%-5d|%05d|%x|%X|%q|%t|%%\" \"s\" 1.5 42 3.14159 7 -42 255 \"hi\" \"q\" true }}",
        ),
        a(
            M,
            "{{ printf \"%e|%E|%g|%.3g|%+d|% d|%#x|%o|%b|%c|%U\" 123456.789 0.000123 1e21 3.14159 5 5 255 8 5 65 65 }}",
        ),
        a(M, "{{ printf \"%d %s\" 1.5 2 }}"),
        a(
            M,
            "{{ printf \"%d\" }} {{ printf \"%d\" 1 2 }} {{ printf \"%z\" 1 }}",
        ),
        a(M, "{{ printf \"%.2f\" $value }}"),
        a(
            M,
            "{{ printf \"%08.3f|%-8.2f|%+.1e|%6s|%-6s|%.2s\" -3.14159 2.5 12345.0 \"ab\" \"ab\" \"abc\" }}",
        ),
        a(M, "{{ printf \"%v\" $labels }}"),
        a(M, "{{ printf \"%T %T %T %T\" $value 1 \"s\" $labels }}"),
        a(M, "{{ printf \"%q\" \"a\\\"b\\n\" }}"),
        a(
            M,
            "{{ printf \"%x\" \"hi\" }} {{ printf \"% x\" \"hi\" }} {{ printf \"%#x\" \"hi\" }}",
        ),
        a(M, "{{ printf \"%5t|%-7v|%3c\" true false 66 }}"),
        a(M, "{{ printf \"%6.2f%%\" 12.3456 }}"),
        a(
            M,
            "{{ printf \"%g %g %g %g\" 100000.0 1000000.0 0.0001 0.00001 }}",
        ),
        a(M, "{{ printf \"%.0f %.0f %.0f\" 0.5 1.5 2.5 }}"),
        a(M, "{{ printf \"%.3e\" 0.0 }} {{ printf \"%e\" 1e100 }}"),
        a(M, "{{ printf \"%v %v\" 1e20 1e21 }}"),
        a(M, "{{ printf \"%s\" $value }} {{ printf \"%d\" $value }}"),
        a(M, "{{ printf \"%10.4v|\" $value }} {{ printf \"%+v\" 3 }}"),
        a(
            M,
            "{{ printf \"%5.2q\" \"abc\" }} {{ printf \"%-10s|\" \"ab\" }}{{ printf \"%010.3f\" -1.5 }}",
        ),
        a(
            M,
            "{{ 3 | printf \"%d%%\" }} {{ \"x\" | printf \"%s-%s\" \"a\" }} {{ $value | printf \"%.1f\" }}",
        ),
        a(M, "{{ printf \"%v %v\" true nil }}"),
        a(
            v(0.5),
            "{{ printf \"%.3g|%.10g|%g\" $value 1.0 123456789.0 }}",
        ),
        a(M, "a  {{- \"b\" -}}  c"),
        a(M, "x\n  {{- /* comment */ -}}\n  y"),
        a(M, "{{/* only a comment */}}z"),
        a(M, "{{ \"a\" }}  {{- 3 -}}  {{ \"b\" }}"),
        a(M, "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}"),
        a(M, "{{ $v := $value }}{{ with $v }}{{ . }}{{ end }}"),
        a(M, "{{ with $labels.missing }}yes{{ else }}no{{ end }}"),
        a(M, "{{ range $labels.job }}x{{ end }}"),
        a(
            M,
            "{{ define \"x\" }}<{{ . }}>{{ end }}{{ template \"x\" $labels.job }}",
        ),
        a(M, "{{ block \"b\" $value }}[{{ . }}]{{ end }}"),
        a(
            M,
            "{{ 'a' }} {{ 0x1F }} {{ 1e3 }} {{ 1_000 }} {{ 1.0 }} {{ true }} {{ 0o17 }} {{ 017 }}",
        ),
        a(M, "{{ `raw \\ string` }}"),
        a(M, "{{ \"tab\\tnew\" }}"),
        a(M, "{{ html \"<a href='x'>&\\\"\" }}"),
        a(M, "{{ js \"a'b\\\"<>&=\" }}"),
        a(M, "{{ urlquery \"a b&c/d?\" }}"),
        a(M, "{{ (args 1 \"x\").arg1 }} {{ (args 1).arg5 }}"),
        a(v(1234567.0), "{{ humanize $value }}"),
        a(v(0.000123), "{{ humanize $value }}"),
        a(v(0.0), "{{ humanize $value }}"),
        a(v(-1500.0), "{{ humanize $value }}"),
        a(v(1e30), "{{ humanize $value }}"),
        a(v(1.234e-27), "{{ humanize $value }}"),
        a(
            v(f64::NAN),
            "{{ humanize $value }} {{ humanize1024 $value }} {{ humanizeDuration $value }}",
        ),
        a(v(1048576.0), "{{ humanize1024 $value }}"),
        a(v(0.5), "{{ humanize1024 $value }}"),
        a(
            v(1e30),
            "{{ humanize1024 $value }} {{ humanize1024 -2048.0 }}",
        ),
        a(v(0.0001234), "{{ humanizeDuration $value }}"),
        a(v(90061.0), "{{ humanizeDuration $value }}"),
        a(v(59.5), "{{ humanizeDuration $value }}"),
        a(
            v(-3.5),
            "{{ humanizeDuration $value }} {{ humanizeDuration 0.0 }} {{ humanizeDuration -0.5 }}",
        ),
        a(v(0.8125), "{{ humanizePercentage $value }}"),
        a(v(1e-7), "{{ humanizePercentage $value }}"),
        a(v(1435065584.128), "{{ humanizeTimestamp $value }}"),
        a(
            v(0.0),
            "{{ humanizeTimestamp $value }} {{ humanizeTimestamp -1 }}",
        ),
        a(
            M,
            "{{ (1435065584.128 | toTime).Format \"2006-01-02T15:04:05Z07:00\" }}",
        ),
        a(M, "{{ 1435065584.128 | toTime }}"),
        a(
            M,
            "{{ (toTime 86400.5).Format \"Monday January 2 2006 3:04:05.000 PM -07:00\" }}",
        ),
        a(
            M,
            "{{ $labels.instance | stripPort }} {{ $labels.instance | stripDomain }}",
        ),
        a(
            M,
            "{{ \"[2001:db8::1]:80\" | stripPort }} {{ \"[2001:db8::1]:80\" | stripDomain }}",
        ),
        a(
            M,
            "{{ title \"hello wORLD foo_bar x-y\" }} {{ toUpper \"abc\" }} {{ toLower \"ÀBC\" }}",
        ),
        a(
            M,
            "{{ reReplaceAll \"(\\\\w+):(\\\\d+)\" \"${1}_$2\" $labels.instance }}",
        ),
        a(
            M,
            "{{ reReplaceAll \"a\" \"$$\" \"banana\" }} {{ reReplaceAll \"(a)(n)?\" \"$2$1x\" \"banana\" }} {{ reReplaceAll \"(?P<first>b)\" \"${first}B\" \"bob\" }}",
        ),
        a(
            M,
            "{{ match \"^host\" $labels.instance }} {{ match \"\\\\d\" \"٣\" }}",
        ),
        a(M, "{{ $labels.instance | reReplaceAll \":.*\" \"\" }}"),
        a(
            M,
            "{{ graphLink \"rate(x[5m])\" }} {{ tableLink \"up == 0\" }}",
        ),
        a(
            M,
            "{{ parseDuration \"1h30m\" }} {{ parseDuration \"1y2w3d\" }} {{ parseDuration \"500ms\" }}",
        ),
        a(M, "{{ query \"vector(3)\" | first | value }}"),
        a(
            M,
            "{{ range query \"multi\" | sortByLabel \"inst\" }}{{ .Labels.inst }}={{ .Value }} {{ end }}",
        ),
        a(
            M,
            "{{ with query \"sum(multi)\" }}{{ . | first | value | humanize }}{{ end }}",
        ),
        a(
            M,
            "{{ query \"multi{inst='a'}\" | first | label \"inst\" }}",
        ),
        a(
            M,
            "{{ (query \"my_metric\" | first).Labels.job }} {{ len (query \"multi\") }}",
        ),
        a(
            M,
            "{{ range $i, $e := query \"multi\" | sortByLabel \"inst\" }}{{ $i }}:{{ $e.Labels.inst }} {{ end }}",
        ),
        a(
            M,
            "{{ index (query \"multi\" | sortByLabel \"inst\") 1 | value }} [{{ strvalue (query \"vector(1)\" | first) }}]",
        ),
        a(M, "{{ humanize \"1234\" }} {{ humanize 1234 }}"),
        // Errors: the message is what Prometheus writes into the annotation.
        a(M, "{{ query \"nothing_here\" | first }}"),
        a(M, "{{ humanize \"abc\" }}"),
        a(M, "{{ parseDuration \"bad\" }}"),
        a(M, "{{ pathPrefix }}"),
        a(M, "{{ externalURL }}"),
        a(M, "{{ call 1 }}"),
        a(M, "{{ .Foo }}"),
        a(M, "{{ index $labels 1 }}"),
        a(M, "{{ $value.foo }}"),
        a(M, "{{ toTime \"abc\" }}"),
        a(M, "{{ template \"y\" }}"),
        a(M, "{{ lt $labels $labels }}"),
        a(M, "{{ eq $labels $labels }}"),
        a(M, "{{ toUpper 1 }}"),
        a(M, "{{ $value | toUpper }}"),
        a(M, "{{ 1 2 }}"),
        a(
            Expr::Ratio,
            "{{ $labels.instance }} at {{ $value | humanizePercentage }}",
        ),
        // Third batch: Go-syntax and struct-field forms, float bits, everyday annotations.
        a(
            M,
            "{{ printf \"%+v\" (query \"multi\" | sortByLabel \"inst\" | first) }} {{ printf \"%+v\" $ }}",
        ),
        a(
            M,
            "{{ printf \"%#v %#v %#v %#v\" 1.5 \"s\" true 3 }} {{ printf \"%#v\" $labels }}",
        ),
        a(
            M,
            "{{ printf \"%#v\" (query \"multi\" | sortByLabel \"inst\" | first) }} {{ printf \"%#v\" (args 1 \"x\") }}",
        ),
        a(
            M,
            "{{ printf \"%#v\" (toTime 1435065584.128) }} {{ printf \"%#v\" nil }}",
        ),
        a(M, "{{ printf \"%#v\" $ }}"),
        a(
            M,
            "{{ printf \"%x %X %b\" 1.5 -2.0 3.0 }} {{ printf \"%x %b\" 0.0 5e-324 }} {{ printf \"%x\" 0.1 }}",
        ),
        a(
            M,
            "{{ range query \"multi\" | sortByLabel \"inst\" }}{{ . }};{{ end }}",
        ),
        a(
            M,
            "{{ with query \"multi\" }}{{ len . }}{{ end }} {{ (query \"multi\" | sortByLabel \"inst\" | first).Value | printf \"%.1f\" }}",
        ),
        a(
            v(9007199254740993.0),
            "{{ $value }} {{ humanize $value }} {{ printf \"%.0f\" $value }}",
        ),
        a(
            v(1e-9),
            "{{ $value }} {{ humanize $value }} {{ humanizeDuration $value }}",
        ),
        a(
            v(86400.0 * 365.0),
            "{{ humanizeDuration $value }} {{ $value | humanizeTimestamp }}",
        ),
        a(
            v(0.999949),
            "{{ humanizePercentage $value }} {{ printf \"%.2f%%\" (printf \"%f\" $value | humanize | len | printf \"%d\" | len | printf \"%d\" | len) }}",
        ),
        a(M, "VALUE = {{ $value }}\n  LABELS = {{ $labels }}"),
        a(
            M,
            "Instance {{ $labels.instance }} of job {{ $labels.job }} has been down for more than 5 minutes.",
        ),
        a(
            M,
            "{{ $value | humanize1024 }}B free on {{ $labels.instance }} ({{ printf \"%.1f\" (humanize1024 $value | len | printf \"%d\" | len | printf \"%d.5\" | humanize | len | printf \"%d\" | len | printf \"%d\" | len) }})",
        ),
        a(
            M,
            "{{ if ne $labels.env \"prod\" }}non-prod{{ else }}PROD{{ end }}: {{ $labels.instance | reReplaceAll \"\\\\.example\\\\.com\" \"\" }}",
        ),
        a(
            M,
            "{{ $labels.job | title }}{{ if gt $value 1.0 }}s{{ end }} {{ $value | printf \"%g\" }}",
        ),
        a(
            M,
            "{{ range $name, $v := $externalLabels }}{{ $name }}{{ if eq $name \"cluster\" }}!{{ end }}={{ $v }} {{ end }}",
        ),
        a(M, "{{ template \"__alert_T999\" }}"),
        l(M, "labelled", "{{ $labels.env }}-{{ $value }}"),
        l(M, "labelled", "  {{ $labels.job }}  "),
        a(
            M,
            "{{ $r := query \"multi\" }}{{ $s := sortByLabel \"inst\" $r }}{{ range $r }}{{ .Labels.inst }}{{ end }}",
        ),
        a(
            M,
            "{{ $r := query \"multi\" | sortByLabel \"inst\" }}{{ range slice $r 1 }}{{ .Value }}{{ end }} {{ index $r 0 | value }}",
        ),
        // Second batch: Go corners.
        a(M, "{{ humanize \"this is not a number at all\" }}"),
        a(M, "line one\n{{ .Foo }}"),
        a(M, "ok\n  {{ humanize \"x\" }}"),
        a(
            M,
            "{{ printf \"%s\" nil }} {{ printf \"%*d|%-*d|%.*f\" 5 1 4 2 2 3.14159 }}",
        ),
        a(
            M,
            "{{ printf \"%[2]d %[1]d\" 1 2 }} {{ printf \"%[3]d\" 1 }} {{ printf \"%d %d %[1]d %d\" 1 2 }}",
        ),
        a(M, "{{ query \"multi\" | sortByLabel \"inst\" | first }}"),
        a(
            M,
            "{{ printf \"%v\" (query \"multi\" | sortByLabel \"inst\" | first) }}",
        ),
        a(
            M,
            "{{ $labels.job | len }} {{ len (args 1 2 3) }} {{ index (args \"a\" \"b\") \"arg1\" }}",
        ),
        a(M, "{{ index (query \"multi\") 5 }}"),
        a(M, "{{ slice \"abc\" 2 1 }}"),
        a(
            M,
            "{{ 1.5e300 | humanize }} {{ -1e-300 | humanize }} {{ humanizeDuration 1e10 }} {{ humanizeDuration 86399.999 }}",
        ),
        a(M, "{{ humanizePercentage \"abc\" }}"),
        a(
            M,
            "{{ printf \"%.2f\" \"str\" }} {{ printf \"%d\" true }} {{ printf \"%s\" $labels }} {{ printf \"%d\" $labels }}",
        ),
        a(
            M,
            "{{ printf \"%q\" 'x' }} {{ printf \"%08b\" 5 }} {{ printf \"%#o\" 8 }} {{ printf \"%O\" 8 }} {{ printf \"%x\" -255 }}",
        ),
        a(
            M,
            "{{ printf \"%+.3e\" -0.0 }} {{ printf \"% .2f\" 1.0 }} {{ printf \"%+08.2f\" 3.14159 }} {{ printf \"%6.3v\" 3.14159 }}",
        ),
        a(
            M,
            "{{ printf \"%G\" 1e-10 }} {{ printf \"%v\" 1e-4 }} {{ printf \"%v\" 12345678.0 }} {{ printf \"%t\" 1 }}",
        ),
        a(
            M,
            "{{ printf \"%c%c\" 0x1F600 233 }} {{ printf \"%U\" 0x1F600 }} {{ printf \"%#U\" 0x1F600 }} {{ printf \"%5.1s|\" \"héllo\" }}",
        ),
        a(
            M,
            "{{ print nil }}|{{ print }}|{{ println }}|{{ print \"a\" \"b\" 1 2 \"c\" }}",
        ),
        a(
            M,
            "{{ range $k, $v := args 1 \"x\" 2.5 }}{{ $k }}={{ $v }} {{ end }}",
        ),
        a(
            M,
            "{{ with $x := $labels.job }}{{ $x }}{{ end }} {{ if $labels.job }}{{ $labels.job }}{{ end }}",
        ),
        a(
            M,
            "{{ range $i, $e := query \"multi\" | sortByLabel \"inst\" }}{{ if $i }}, {{ end }}{{ $e.Value }}{{ end }}",
        ),
        a(M, "{{ eq .Value 42.0 }} {{ eq nil nil }} {{ not $labels }}"),
        a(M, "{{ eq $labels.missing nil }}"),
        a(M, "{{ and }}"),
        a(M, "{{ label \"x\" }}"),
        a(M, "{{ first \"x\" }}"),
        a(M, "{{ \"x\" | first }}"),
        a(
            M,
            "{{ title \"ǆemo straße\" }} {{ toUpper \"ß straße ǆ\" }} {{ toLower \"ǅ İ\" }}",
        ),
        a(M, "{{ reReplaceAll \"(\" \"x\" \"y\" }}"),
        a(M, "{{ match \"[\" \"x\" }}"),
        a(
            M,
            "{{ stripDomain \"localhost\" }} {{ stripDomain \"a.b:c:d\" }} {{ stripPort \":80\" }} {{ stripDomain \"[::1]:80\" }}",
        ),
        a(M, "{{ graphLink \"a/b?c=d&e f~_.-\" }}"),
        a(M, "{{ parseDuration \"0\" }} {{ parseDuration \"1.5h\" }}"),
        a(M, "{{ parseDuration \"1m1h\" }}"),
        a(M, "{{ humanizeTimestamp 1e10 }}"),
        a(
            M,
            "{{ humanizeTimestamp 1.5 }} {{ (toTime 1.5).Unix }} {{ (toTime -1.5).Unix }} {{ toTime 1435065584 }}",
        ),
        a(
            M,
            "{{ (toTime 0).Format \"Jan 2, 2006 at 3:04pm (MST)\" }} {{ (toTime 1435065584.128).Format \"20060102150405.000\" }}",
        ),
        a(M, "{{ $labels.instance | title }}"),
        a(
            M,
            "{{- range $k, $v := $labels }}\n{{ $k }}: {{ $v }}\n{{- end }}",
        ),
        a(
            M,
            "{{ \"a\" | printf \"%s%s\" \"b\" | printf \"%s%s\" \"c\" }}",
        ),
        a(
            M,
            "{{ $v := 1 }}{{ range $labels }}{{ $v = . }}{{ end }}{{ $v }}",
        ),
        a(
            M,
            "{{ define \"a\" }}{{ $ }}{{ . }}{{ end }}{{ template \"a\" 5 }} {{ template \"a\" }}",
        ),
        a(
            M,
            "{{ .Value | humanize }} {{ $.Labels.job }} {{ with $labels }}{{ .job }}{{ end }} {{ (index $labels \"job\") | toUpper }}",
        ),
        a(M, "{{ 9223372036854775808 }}"),
        a(
            M,
            "{{ -0.0 }} {{ 0.1 | printf \"%.20f\" }} {{ printf \"%.30e\" 1.0 }} {{ printf \"%v\" 5e-324 }}",
        ),
        a(
            M,
            "{{ printf \"%g\" 1.7976931348623157e308 }} {{ printf \"%.1f %.1f %.2f\" 0.05 0.25 1.005 }}",
        ),
        a(
            M,
            "{{ printf \"%.3g %.3g\" 0.0001234 0.00001234 }} {{ printf \"%#g %#.3g %#e %#.0f\" 1.0 2.0 3.0 4.0 }}",
        ),
        a(
            M,
            "{{ printf \"%-08d|\" 5 }} {{ printf \"%+q\" \"héllo\" }} {{ printf \"%#q\" \"back`tick\" }} {{ printf \"%#q\" \"plain\" }}",
        ),
        a(
            M,
            "{{ printf \"%s %s\" \"a\" }} {{ printf \"%!\" }} {{ printf \"abc%\" }} {{ printf \"%.d|%3.0d|\" 0 0 }}",
        ),
        a(
            M,
            "{{ printf \"%5%|%-5q|%05s|%x|%X\" \"a\" \"b\" \"héllo\" \"héllo\" }}",
        ),
        a(
            M,
            "{{ printf \"%v|%6v|%-6v|%06v\" -1 -1 -1 -1 }} {{ printf \"%e %g\" 1e-7 1e-7 }}",
        ),
        a(
            M,
            "{{ printf \"%T %T %T\" (query \"multi\") (query \"multi\" | sortByLabel \"inst\" | first) (toTime 0) }} {{ printf \"%T %T\" (args) (safeHtml \"x\") }}",
        ),
        a(
            M,
            "{{ safeHtml \"<b>\" }} {{ html (safeHtml \"<b>\") }} {{ eq (safeHtml \"a\") \"a\" }} {{ len (safeHtml \"abc\") }}",
        ),
        a(
            M,
            "{{ humanize1024 1023.0 }} {{ humanize1024 1024.0 }} {{ humanize1024 -1.0 }} {{ humanize 999.99999 }} {{ humanize 0.0009999 }}",
        ),
        a(
            M,
            "{{ humanizeDuration 3599.9999 }} {{ humanizeDuration 60 }} {{ humanizeDuration 0.000000000123 }} {{ humanizeDuration 1.5e-30 }}",
        ),
        a(
            M,
            "{{ humanizePercentage 1 }} {{ humanizePercentage 0.000001234 }} {{ humanizePercentage -0.0 }}",
        ),
        a(
            M,
            "{{ index $labels }} {{ index \"abc\" 1 }} {{ slice \"héllo\" 1 3 }}|",
        ),
        a(
            M,
            "{{ lt 1.0 $value }} {{ le \"b\" \"a\" }} {{ gt 2 1 }} {{ ne 1 1 }} {{ ge 1.5 1.5 }} {{ gt (0.0 | humanize) \"\" }}",
        ),
        a(M, "{{ lt 1 1.0 }}"),
        a(M, "{{ lt true false }}"),
        a(M, "{{ eq 1 \"1\" }}"),
        a(M, "{{ eq }}"),
        a(M, "{{ len 3 }}"),
        a(M, "{{ slice 3 }}"),
        a(M, "{{ index 3 1 }}"),
        a(
            M,
            "{{ (args 1 2).arg0 }} {{ $a := args 5 }}{{ $a.arg0 }} {{ $a.nope }}",
        ),
        a(M, "{{ .Labels.job.x }}"),
        a(M, "{{ $labels.job 1 }}"),
        a(M, "{{ .Value 1 }}"),
        a(
            M,
            "{{ (query \"multi\" | sortByLabel \"inst\" | first).Nope }}",
        ),
        a(
            M,
            "{{ template \"nested\" . }}{{ define \"nested\" }}{{ .Labels.job }}/{{ template \"deeper\" .Value }}{{ end }}{{ define \"deeper\" }}{{ humanize . }}{{ end }}",
        ),
        a(
            M,
            "{{ define \"rec\" }}{{ if gt . 0 }}{{ . }}{{ template \"rec\" (len (slice \"aaa\" 1 .)) }}{{ end }}{{ end }}{{ template \"rec\" 3 }}",
        ),
        a(
            M,
            "{{ js \"\u{1}\u{7f}é\u{2028}\" }} {{ urlquery 1 \"x y\" 2 }} {{ html 1 2 }}",
        ),
        a(
            M,
            "{{ toUpper $labels.job | printf \"%q\" }} {{ $labels.job | printf \"%-6s|\" }}",
        ),
        a(
            M,
            "{{ range $i, $e := query \"multi\" | sortByLabel \"inst\" }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ $e.Labels.inst }}{{ else }}none{{ end }}",
        ),
        a(
            M,
            "{{ range query \"nothing_here\" }}x{{ else }}none{{ end }}",
        ),
        a(
            M,
            "{{ with query \"nothing_here\" }}x{{ else }}none{{ end }} {{ with 0 }}x{{ else }}zero{{ end }}",
        ),
        l(M, "labelled", "{{ humanize \"x\" }}"),
        l(
            Expr::Ratio,
            "labelled",
            "{{ $labels.instance | stripPort }}",
        ),
        l(
            M,
            "labelled",
            "{{ if gt $value 40.0 }}critical{{ else }}warning{{ end }}",
        ),
        l(
            v(2.0),
            "labelled",
            "{{ if gt $value 40.0 }}critical{{ else }}warning{{ end }}",
        ),
        l(
            M,
            "labelled",
            "{{ $labels.job | toUpper }}-{{ $externalLabels.cluster }}",
        ),
        l(M, "labelled", "{{ $labels.missing }}"),
        l(M, "labelled", "{{ humanize $value }}"),
    ]
}

/// What promtool's query engine returns for the `query` calls of the table. The order
/// of a result with several series varies from run to run in promtool, so the table
/// sorts those (`sortByLabel`) before depending on it.
struct Stub;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn metric_labels() -> BTreeMap<String, String> {
    labels(&[
        ("__name__", "my_metric"),
        ("env", "prod"),
        ("instance", "host-1.example.com:9100"),
        ("job", "node"),
    ])
}

impl Queries for Stub {
    fn query(&mut self, expr: &str) -> Result<Vec<Sample>, String> {
        let s = |labels, value| Sample { labels, value };
        Ok(match expr {
            "vector(3)" => vec![s(BTreeMap::new(), 3.0)],
            "vector(1)" => vec![s(BTreeMap::new(), 1.0)],
            "multi" => vec![
                s(labels(&[("__name__", "multi"), ("inst", "a")]), 1.0),
                s(labels(&[("__name__", "multi"), ("inst", "b")]), 2.0),
            ],
            "sum(multi)" => vec![s(BTreeMap::new(), 3.0)],
            "multi{inst='a'}" => vec![s(labels(&[("__name__", "multi"), ("inst", "a")]), 1.0)],
            "my_metric" => vec![s(metric_labels(), 42.0)],
            "nothing_here" => vec![],
            other => return Err(format!("the oracle's stub has no answer for {other:?}")),
        })
    }
}

fn promql_number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else if x == 0.0 && x.is_sign_negative() {
        "-0".into()
    } else {
        format!("{x:e}")
    }
}

fn external_labels() -> BTreeMap<String, String> {
    labels(&[("cluster", "eu-1"), ("region", "west")])
}

/// Writes the rules and test files; `tamper` changes the expectation of that case.
fn write_files(dir: &Path, tamper: Option<usize>) {
    let mut rules = String::from("groups:\n  - name: oracle\n    rules:\n");
    let mut tests = format!(
        "rule_files:\n  - rules.yml\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    external_url: {}\n    external_labels:\n",
        yaml_quote(EXTERNAL_URL)
    );
    for (k, v) in external_labels() {
        tests += &format!("      {k}: {}\n", yaml_quote(&v));
    }
    tests += "    input_series:\n";
    tests += "      - series: 'my_metric{instance=\"host-1.example.com:9100\",job=\"node\",env=\"prod\"}'\n        values: '42 42 42'\n";
    tests +=
        "      - series: 'ratio{instance=\"db:5432\"}'\n        values: '0.8125 0.8125 0.8125'\n";
    tests += "      - series: 'multi{inst=\"a\"}'\n        values: '1 1 1'\n";
    tests += "      - series: 'multi{inst=\"b\"}'\n        values: '2 2 2'\n";
    tests += "    alert_rule_test:\n";
    for (i, case) in cases().iter().enumerate() {
        let name = format!("T{i:03}");
        let (expr, series_labels, value) = match case.expr {
            Expr::Vector(x) => (format!("vector({})", promql_number(x)), BTreeMap::new(), x),
            Expr::Metric => ("my_metric".to_string(), metric_labels(), 42.0),
            Expr::Ratio => (
                "ratio".to_string(),
                labels(&[("__name__", "ratio"), ("instance", "db:5432")]),
                0.8125,
            ),
        };
        // Brackets keep every annotation non-empty, and so present.
        let annotation = format!("[{}]", case.annotation);
        rules += &format!(
            "      - alert: {name}\n        expr: {}\n        for: 0s\n",
            yaml_quote(&expr)
        );
        if let Some(label) = case.label {
            rules += &format!(
                "        labels:\n          templated: {}\n",
                yaml_quote(label)
            );
        }
        rules += &format!(
            "        annotations:\n          a: {}\n",
            yaml_quote(&annotation)
        );

        let data = AlertData {
            labels: series_labels.clone(),
            value,
            external_labels: external_labels(),
            external_url: EXTERNAL_URL.to_string(),
            manager_url: None,
        };
        let mut got = expand_alert_template(&name, &annotation, &data, &mut Stub);
        if tamper == Some(i) {
            got.push_str(" (tampered)");
        }
        // The alert's labels: the series' without __name__, then the rule's, expanded;
        // an empty label is no label.
        let mut exp_labels: BTreeMap<String, String> = series_labels;
        exp_labels.remove("__name__");
        if let Some(label) = case.label {
            let l = expand_alert_template(&name, label, &data, &mut Stub);
            if l.is_empty() {
                exp_labels.remove("templated");
            } else {
                exp_labels.insert("templated".into(), l);
            }
        }
        tests += &format!(
            "      - eval_time: 1m\n        alertname: {name}\n        exp_alerts:\n          - exp_labels:\n"
        );
        if exp_labels.is_empty() {
            tests.truncate(tests.len() - 1);
            tests += " {}\n";
        }
        for (k, v) in &exp_labels {
            tests += &format!("              {k}: {}\n", yaml_quote(v));
        }
        tests += &format!(
            "            exp_annotations:\n              a: {}\n",
            yaml_quote(&got)
        );
    }
    std::fs::write(dir.join("rules.yml"), rules).expect("write rules");
    std::fs::write(dir.join("test.yml"), tests).expect("write test");
}

fn run_promtool(dir: &Path) -> (bool, String) {
    let out = Command::new("promtool")
        .args(["test", "rules", "test.yml"])
        .current_dir(dir)
        .output()
        .expect("run promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "promgen-template-oracle-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn promtool_agrees_with_every_expansion() {
    if !promtool_present() {
        return;
    }
    assert!(cases().len() >= 80);
    let dir = scratch("agree");
    write_files(&dir, None);
    let (ok, out) = run_promtool(&dir);
    assert!(
        ok,
        "promtool disagrees (files in {}):\n{out}",
        dir.display()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn promtool_fails_on_a_wrong_expectation() {
    if !promtool_present() {
        return;
    }
    let dir = scratch("tampered");
    write_files(&dir, Some(13));
    let (ok, out) = run_promtool(&dir);
    eprintln!("{out}");
    assert!(!ok, "promtool passed a tampered expectation:\n{out}");
    assert!(
        out.contains("T013"),
        "promtool's failure names another alert:\n{out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
