//! Hostile control-API bodies against the real `promgen-cli serve`, while a real Prometheus
//! 2.42 scrapes it (issue #12 items 2, 3, 8, 9): alias bombs, labels and names the exposed
//! families reserve, bad bytes and syntax, an over-limit chunked body. Each is refused with
//! a JSON error that says why; afterwards the server answers `/-/healthy`, its resident
//! memory is within 50 MB of where it started, every scrape of it parsed for promtool and
//! the Python client, and Prometheus stored every scrape of it.
//!
//! And a few hundred generated bodies (item 1 and the rest): nesting of every kind around
//! the depth limit and far past it, flat chains up to and past the size limit, segments
//! nested in YAML and JSON, alias bombs, collisions, huge labels, random bytes: no 5xx,
//! errors as JSON, `/-/healthy` after every batch, every scrape parsed by promtool, memory
//! within 50 MB.

mod support;

use serde_json::Value;
use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};
use support::{
    Reply, agent, call,
    oracle::{PythonParsers, problems, promtool_check_metrics},
    prometheus::{Prometheus, TempDir, require, single_value},
    request, scrape,
    serve::serve,
};

/// The served set: names the hostile bodies try to take, all clean for promtool's linter.
const CONFIG: &str = "\
metrics:
  - name: promgen_hostile_steady
    help: Always 1.
    timeseries:
      - values: '1'
        endStrategy: loop
  - name: promgen_hostile_seconds
    help: A histogram whose names the bodies try to take.
    type: histogram
    buckets: [0.1, 1]
    timeseries:
      - observations: 'uniform(0..2)'
        perScrape: 3
  - name: promgen_hostile_requests_total
    help: A counter whose OpenMetrics family the bodies try to take.
    type: counter
    timeseries:
      - series: 'linear(0..100) >> loop'
";

/// How far resident memory may grow over the whole run.
const MEMORY_SLACK_KB: u64 = 50 * 1024;

/// The serve process's resident memory, from `/proc`.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// `levels` levels of ten aliases to the level below: 10^levels nodes once expanded.
fn alias_bomb(levels: usize) -> String {
    let mut anchors = vec!["&a0 [x, x, x, x, x, x, x, x, x, x]".to_owned()];
    for i in 1..levels {
        anchors.push(format!(
            "&a{i} [{}]",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    format!(
        "{{junk: [{}], name: bomb, series: '1'}}",
        anchors.join(", ")
    )
}

/// Bad segments that aliases repeat to just under the node budget: 60 000 errors.
fn error_bomb() -> String {
    let mut anchors = vec!["&a0 {Join: [x, x, x, x, x, x, x, x, x, x]}".to_owned()];
    for i in 1..4 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        anchors.push(format!("&a{i} {{Join: [{refs}]}}"));
    }
    format!(
        "{{junk: [{}], name: bomb, data: [*a3, *a3, *a3, *a3, *a3, *a3]}}",
        anchors.join(", ")
    )
}

/// A 40 kB scalar aliased 200 times: 8 MB of text once expanded.
fn text_bomb() -> String {
    let refs = vec!["*t"; 200].join(", ");
    format!(
        "{{junk: &t '{}', more: [{refs}], name: bomb, series: '1'}}",
        "x".repeat(40_000)
    )
}

/// 150 levels anchored, aliased 100 levels down: 250 levels once expanded.
fn depth_bomb() -> String {
    let anchored = format!("{}{}", "[".repeat(150), "]".repeat(150));
    let alias = format!("{}*a{}", "[".repeat(100), "]".repeat(100));
    format!("{{junk: [&a {anchored}, {alias}], name: bomb, series: '1'}}")
}

/// A refused body: its status, and the message and field of its first error.
struct Refusal {
    what: &'static str,
    body: Vec<u8>,
    status: u16,
    /// Text the first error's message contains.
    message: &'static str,
    /// Its field (`""`: the body as a whole).
    field: &'static str,
}

fn refusals() -> Vec<Refusal> {
    let refusal = |what, body: &str, status, message, field| Refusal {
        what,
        body: body.as_bytes().to_vec(),
        status,
        message,
        field,
    };
    vec![
        refusal(
            "an alias bomb",
            &alias_bomb(10),
            400,
            "aliases expand to more than 100000 nodes",
            "",
        ),
        refusal("an error bomb", &error_bomb(), 400, "unknown key", "junk"),
        refusal(
            "a text bomb",
            &text_bomb(),
            400,
            "aliases expand to more than 4 MiB of text",
            "",
        ),
        refusal(
            "a depth bomb",
            &depth_bomb(),
            400,
            "aliases nest deeper than 200 levels",
            "",
        ),
        refusal(
            "le on a histogram",
            r#"{"name": "hle", "type": "histogram", "buckets": [1], "labels": {"le": "0.1"}, "observations": "0.5"}"#,
            400,
            "label `le` is reserved in a histogram",
            "labels.le",
        ),
        refusal(
            "quantile on a summary",
            r#"{"name": "squantile", "type": "summary", "labels": {"quantile": "1"}, "observations": "0.5"}"#,
            400,
            "label `quantile` is reserved in a summary",
            "labels.quantile",
        ),
        refusal(
            "a gauge named like the histogram's buckets",
            r#"{"name": "promgen_hostile_seconds_bucket", "labels": {"le": "1"}, "series": "1"}"#,
            409,
            "`promgen_hostile_seconds_bucket` is both the buckets of the histogram `promgen_hostile_seconds` and the name of the gauge `promgen_hostile_seconds_bucket`",
            "name",
        ),
        refusal(
            "a gauge named like the histogram's created timestamp",
            r#"{"name": "promgen_hostile_seconds_created", "series": "1"}"#,
            409,
            "the OpenMetrics created timestamp of the histogram `promgen_hostile_seconds`",
            "name",
        ),
        refusal(
            "a counter in the counter's OpenMetrics family",
            "name: promgen_hostile_requests\ntype: counter\nseries: '1'\n",
            409,
            "`promgen_hostile_requests_total` is both the name of the counter `promgen_hostile_requests_total` and the OpenMetrics samples of the counter `promgen_hostile_requests`",
            "name",
        ),
        refusal(
            "broken YAML",
            "name: x\nseries: [1\n",
            400,
            "invalid YAML: ",
            "",
        ),
        refusal(
            "broken JSON",
            r#"{"name": "x", "series": "1""#,
            400,
            "invalid JSON: ",
            "",
        ),
        Refusal {
            what: "bytes that are not UTF-8",
            body: b"{\"name\": \"caf\xe9\", \"series\": \"1\"}".to_vec(),
            status: 400,
            message: "not valid UTF-8 (byte 0xe9)",
            field: "",
        },
    ]
}

/// Checks one refusal's reply.
fn check(refusal: &Refusal, r: &Reply) {
    let what = refusal.what;
    assert_eq!(r.status, refusal.status, "{what}: {}", r.body);
    assert!(
        r.content_type.starts_with("application/json"),
        "{what}: {r:?}"
    );
    let reply = r.json();
    let first = &reply["errors"][0];
    assert_eq!(first["field"], refusal.field, "{what}: {reply}");
    let message = first["message"].as_str().unwrap_or_default();
    assert!(message.contains(refusal.message), "{what}: {reply}");
    assert!(
        r.body.len() < 64 * 1024,
        "{what}: a {} byte reply",
        r.body.len()
    );
}

/// A body sent in chunks, with no announced length, past the 64 KiB limit: the raw reply.
fn chunked_over_limit(addr: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = "POST /api/v1/series HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 8192, " ".repeat(8192));
    for _ in 0..10 {
        // The server may answer and close before taking it all.
        if stream.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply
}

/// The head of the reply to `head` (a request whose body is `body`), read from a fresh
/// connection that asks nothing about keeping it open.
fn raw_reply_head(addr: &str, head: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer and close before taking it all.
    let _ = stream.write_all(body);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply).into_owned();
    reply
        .split_once("\r\n\r\n")
        .map_or(reply.clone(), |(h, _)| h.to_owned())
}

/// Found by the generated bodies below, which failed now and then with "Peer disconnected"
/// on the request after an over-limit one: the server closes a connection whose body it
/// refused unread, and must say so (`Connection: close`), or a keep-alive client sends its
/// next request into the closed connection.
#[test]
fn a_refused_oversize_body_says_the_connection_closes_and_the_next_request_is_answered() {
    let (_server, url) = serve(&[]);
    let addr = url.strip_prefix("http://").unwrap();
    let big = vec![b' '; 100 * 1024];
    let announced = raw_reply_head(
        addr,
        &format!(
            "POST /api/v1/series HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            big.len()
        ),
        &big,
    );
    assert!(announced.starts_with("HTTP/1.1 413"), "{announced}");
    assert!(
        announced.to_ascii_lowercase().contains("connection: close"),
        "an announced oversize body: {announced}"
    );
    let chunk = format!("{:x}\r\n{}\r\n", 8192, " ".repeat(8192));
    let chunked = raw_reply_head(
        addr,
        "POST /api/v1/series HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunk.repeat(10).as_bytes(),
    );
    assert!(chunked.starts_with("HTTP/1.1 413"), "{chunked}");
    assert!(
        chunked.to_ascii_lowercase().contains("connection: close"),
        "a chunked oversize body: {chunked}"
    );
    // What a keep-alive client sees: each oversize body refused, the next request answered.
    let agent = agent();
    let api = format!("{url}/api/v1/series");
    for i in 0..30 {
        // An error: refused before the client had sent it all, and the client saw the close.
        if let Ok(reply) = request(&agent, "POST", &api, Some(&big), None) {
            assert_eq!(reply.status, 413, "{}", reply.body);
        }
        let body =
            format!(r#"{{"name": "after_oversize", "labels": {{"i": "{i}"}}, "series": "1"}}"#);
        let reply = request(&agent, "POST", &api, Some(body.as_bytes()), None)
            .unwrap_or_else(|e| panic!("the request after oversize body {i}: {e}"));
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
}

#[test]
fn hostile_bodies_are_refused_and_leave_serve_healthy_small_and_scraped() {
    require("prometheus");
    require("promtool");
    let dir = TempDir::new("hostile-serve");
    let config = dir.write("promgen.yaml", CONFIG);
    let (serve, url) = serve(&["--config", config.to_str().unwrap()]);
    let pid = serve.child.id();
    let addr = url.strip_prefix("http://").unwrap().to_owned();
    let prometheus = Prometheus::builder(dir.path())
        .config(&format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n  - job_name: promgen\n    static_configs:\n      - targets: ['{addr}']\n"
        ))
        .start();
    let agent = agent();
    let api = format!("{url}/api/v1/series");
    let mut parsers = PythonParsers::start();
    let scrape_both = |parsers: &mut PythonParsers| {
        let text = scrape(&agent, &url, "text/plain");
        let om = scrape(&agent, &url, "application/openmetrics-text;version=1.0.0");
        let found = problems(parsers, &text, &om);
        assert!(found.is_empty(), "{found:#?}\n{text}\n{om}");
        let lint = promtool_check_metrics(&text);
        assert_eq!(lint.output, "", "promtool check metrics\n---\n{text}");
    };

    // Warm up: the allocator's arenas, the runtime's threads, a series added and removed.
    for _ in 0..20 {
        scrape_both(&mut parsers);
        let body = r#"{"name": "promgen_hostile_warmup", "series": "[1] >> hold"}"#;
        let r = call(&agent, "POST", &api, Some(body), None);
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_u64().unwrap();
        assert_eq!(
            call(&agent, "DELETE", &format!("{api}/{id}"), None, None).status,
            204
        );
    }
    let before = rss_kb(pid);

    // 25 rounds of every refusal, POST and PUT: 600 bodies.
    let refusals = refusals();
    let mut peak = before;
    for round in 0..25 {
        for refusal in &refusals {
            let method = if round % 2 == 0 { "POST" } else { "PUT" };
            let target = if method == "POST" {
                api.clone()
            } else {
                format!("{api}/1")
            };
            let r = request(&agent, method, &target, Some(&refusal.body), None)
                .unwrap_or_else(|e| panic!("{}: {e}", refusal.what));
            check(refusal, &r);
        }
        let reply = chunked_over_limit(&addr);
        assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
        let (head, body) = reply.split_once("\r\n\r\n").unwrap();
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{reply}"
        );
        let body: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {reply}"));
        assert_eq!(
            body["error"],
            "the body is larger than the limit of 65536 bytes"
        );
        scrape_both(&mut parsers);
        peak = peak.max(rss_kb(pid));
        assert!(
            peak <= before + MEMORY_SLACK_KB,
            "round {round}: resident {peak} kB, from {before} kB"
        );
    }
    // The error bomb's errors are capped: the first 100, and how many more.
    let r = call(&agent, "POST", &api, Some(&error_bomb()), None);
    let errors = r.json()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 101, "{}", r.body);
    let last = errors[100]["message"].as_str().unwrap();
    assert!(
        last.ends_with("more errors (only the first 100 are listed)"),
        "{last}"
    );

    // A huge label value is no refusal: served as it is, and gone again.
    let huge = format!(
        r#"{{"name": "promgen_hostile_big", "help": "A huge label value.", "labels": {{"v": "{}"}}, "series": "[1] >> hold"}}"#,
        "\\\"x\\n".repeat(10_000)
    );
    let r = call(&agent, "POST", &api, Some(&huge), None);
    assert_eq!(r.status, 201, "{}", r.body);
    scrape_both(&mut parsers);
    let id = r.json()["id"].as_u64().unwrap();
    assert_eq!(
        call(&agent, "DELETE", &format!("{api}/{id}"), None, None).status,
        204
    );

    let after = rss_kb(pid);
    assert!(
        after <= before + MEMORY_SLACK_KB,
        "resident {after} kB after the run, from {before} kB (peak {peak} kB)"
    );
    eprintln!("serve resident memory: {before} kB before, {peak} kB at most, {after} kB after");
    let r = call(&agent, "GET", &format!("{url}/-/healthy"), None, None);
    assert_eq!(r.status, 200);
    let listed = call(&agent, "GET", &api, None, None).json();
    assert_eq!(listed["series"].as_array().unwrap().len(), 3, "{listed}");

    // Prometheus took every scrape of the run: up all along, the steady series each time,
    // and nothing of the refused names.
    prometheus.wait_for("10 scrapes", Duration::from_secs(60), || {
        single_value(&prometheus.query("count_over_time(up[10m])", None)).is_some_and(|n| n >= 10.0)
    });
    let scrapes = single_value(&prometheus.query("count_over_time(up[10m])", None));
    assert_eq!(
        single_value(&prometheus.query("min_over_time(up[10m])", None)),
        Some(1.0),
        "{}",
        prometheus.log()
    );
    assert_eq!(
        single_value(&prometheus.query("count_over_time(promgen_hostile_steady[10m])", None)),
        scrapes
    );
    let refused = prometheus.query(r#"{__name__=~"hle.*|squantile.*|promgen_hostile_seconds_created|promgen_hostile_requests"}"#, None);
    assert!(refused.is_empty(), "{refused:?}");
}

/// Generated bodies between checks.
const BATCH: usize = 40;

/// A small seeded generator, so that a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// The hostile bodies, each with what it is.
fn generated() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut series = |what: String, expr: String| {
        out.push((
            format!("{what} (JSON)"),
            format!(r#"{{"name": "nest", "series": {}}}"#, json_string(&expr)).into_bytes(),
        ));
        out.push((
            format!("{what} (YAML)"),
            format!("name: nest\nseries: {}\n", json_string(&expr)).into_bytes(),
        ));
    };
    for n in [63, 64, 65, 412, 4_623, 20_000] {
        series(
            format!("{n} nested ("),
            format!("{}1{}", "(".repeat(n), ")".repeat(n)),
        );
        series(format!("{n} unclosed ("), format!("{}1", "(".repeat(n)));
        series(format!("{n} unary -"), format!("{}1", "-".repeat(n)));
        series(
            format!("{n} nested ["),
            format!("{}1{}", "[".repeat(n), "]".repeat(n)),
        );
        series(
            format!("{n} nested .abs()"),
            format!("1{}", ".abs()".repeat(n)),
        );
    }
    for n in [100, 11_770, 200_000] {
        series(format!("{n} terms of +"), format!("1{}", "+1".repeat(n)));
        series(format!("{n} terms of *"), format!("1{}", "*1".repeat(n)));
        series(format!("{n} repeats"), format!("[1]{}", " x 1".repeat(n)));
        series(format!("{n} joins"), format!("[1]{}", " >> [1]".repeat(n)));
    }
    // Segments nested in YAML and JSON.
    for n in [64, 1_000, 10_000] {
        let yaml = format!(
            "name: deep\ndata: {}{{Constant: {{value: 1}}}}{}\n",
            "{Abs: {data: ".repeat(n),
            "}}".repeat(n)
        );
        out.push((format!("{n} nested segments (YAML)"), yaml.into_bytes()));
        let json = format!(
            r#"{{"name": "deep", "data": {}1{}}}"#,
            "[".repeat(n),
            "]".repeat(n)
        );
        out.push((format!("{n} nested JSON arrays"), json.into_bytes()));
    }
    // Alias bombs: each level repeats the one before ten times.
    for levels in [5, 9] {
        let mut yaml = String::from("name: bomb\na0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
        for i in 1..levels {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            yaml.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        yaml.push_str(&format!(
            "data: {{CustomValues: {{values: *a{}}}}}\n",
            levels - 1
        ));
        for copy in 0..20 {
            out.push((
                format!("alias bomb of {levels} levels #{copy}"),
                yaml.clone().into_bytes(),
            ));
        }
    }
    // Labels that break a family, and names that collide once families are expanded.
    for (what, body) in [
        (
            "le on a histogram",
            r#"{"name": "hle", "type": "histogram", "buckets": [1], "labels": {"le": "0.1"}, "observations": "1"}"#,
        ),
        (
            "quantile on a summary",
            r#"{"name": "squant", "type": "summary", "labels": {"quantile": "x"}, "observations": "1"}"#,
        ),
        (
            "a histogram",
            r#"{"name": "hcoll", "type": "histogram", "buckets": [1], "observations": "0.5"}"#,
        ),
        (
            "a gauge named as its buckets",
            r#"{"name": "hcoll_bucket", "labels": {"le": "1"}, "series": "1"}"#,
        ),
        (
            "a gauge named as its count",
            r#"{"name": "hcoll_count", "series": "1"}"#,
        ),
        (
            "a counter",
            r#"{"name": "ccoll", "type": "counter", "series": "1"}"#,
        ),
        (
            "a counter named as its _total",
            r#"{"name": "ccoll_total", "type": "counter", "series": "1"}"#,
        ),
        (
            "a gauge named as its _created",
            r#"{"name": "ccoll_created", "series": "1"}"#,
        ),
        (
            "a summary",
            r#"{"name": "scoll", "type": "summary", "observations": "1"}"#,
        ),
        (
            "a gauge named as its _sum",
            r#"{"name": "scoll_sum", "series": "1"}"#,
        ),
    ] {
        out.push((what.to_owned(), body.as_bytes().to_vec()));
    }
    // Huge labels.
    let big = "v".repeat(1 << 20);
    out.push((
        "a 1 MiB label value".into(),
        format!(r#"{{"name": "huge", "labels": {{"a": "{big}"}}, "series": "1"}}"#).into_bytes(),
    ));
    let many: Vec<String> = (0..10_000).map(|i| format!(r#""l{i}": "x""#)).collect();
    out.push((
        "10 000 labels".into(),
        format!(
            r#"{{"name": "many", "labels": {{{}}}, "series": "1"}}"#,
            many.join(", ")
        )
        .into_bytes(),
    ));
    out.push((
        "a 10 KiB label name".into(),
        format!(
            r#"{{"name": "longname", "labels": {{"{}": "x"}}, "series": "1"}}"#,
            "n".repeat(10 << 10)
        )
        .into_bytes(),
    ));
    out.push((
        "escapes in labels and help".into(),
        br#"{"name": "esc", "help": "a \\ b \n c \"", "labels": {"a": "\"\\\n\u0000\u001b]0;x\u0007"}, "series": "1"}"#.to_vec(),
    ));
    // Garbage.
    let mut rng = Rng(0x5eed);
    for i in 0..160 {
        let len = (rng.next() % 2_000) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        out.push((format!("random bytes #{i}"), bytes));
    }
    for (what, body) in [
        ("empty", &b""[..]),
        ("not UTF-8", &b"name: \xff\xfe\n"[..]),
        (
            "JSON of the wrong types",
            &br#"{"name": 1, "labels": [], "series": {}}"#[..],
        ),
        ("a bare string", &b"\"series\""[..]),
        ("a NUL", &b"{\"name\": \"a\0b\", \"series\": \"1\"}"[..]),
    ] {
        out.push((what.to_owned(), body.to_vec()));
    }
    out.push(("20 MiB over the body limit".into(), vec![b' '; 20 << 20]));
    out
}

#[test]
fn generated_bodies_nesting_chains_garbage_and_huge_labels_leave_serve_up_small_and_valid() {
    require("promtool");
    let (server, url) = serve(&[]);
    let pid = server.child.id();
    let agent = agent();
    let healthy = |when: &str| {
        let reply = request(&agent, "GET", &format!("{url}/-/healthy"), None, None)
            .unwrap_or_else(|e| panic!("serve is gone after {when}: {e}"));
        assert_eq!(reply.status, 200, "after {when}");
    };
    let scrape_is_valid = |when: &str| {
        let page = request(&agent, "GET", &format!("{url}/metrics"), None, None)
            .unwrap_or_else(|e| panic!("no scrape after {when}: {e}"))
            .body;
        // 0: clean; 3: lint remarks only (these series have no HELP); 1: it did not parse.
        let checked = promtool_check_metrics(&page);
        if checked.code == Some(1) || checked.output.contains("parsing error") {
            panic!(
                "promtool check metrics refuses the scrape after {when}:\n{}\n--- the page ---\n{page}",
                checked.output
            );
        }
    };
    // Warm up: a few ordinary requests and scrapes, then the memory to stay near.
    for i in 0..20 {
        let body = format!(
            r#"{{"name": "warm", "labels": {{"i": "{i}"}}, "series": "linear(0..10) >> loop"}}"#
        );
        let reply = request(
            &agent,
            "POST",
            &format!("{url}/api/v1/series"),
            Some(body.as_bytes()),
            None,
        )
        .unwrap();
        assert_eq!(reply.status, 201, "{}", reply.body);
        scrape_is_valid("warming up");
    }
    let start_kib = rss_kb(pid);

    let bodies = generated();
    assert!(bodies.len() >= 300, "{} bodies", bodies.len());
    for (n, batch) in bodies.chunks(BATCH).enumerate() {
        for (what, body) in batch {
            let reply = match request(
                &agent,
                "POST",
                &format!("{url}/api/v1/series"),
                Some(body),
                None,
            ) {
                Ok(reply) => reply,
                // A body over the limit is answered (413) and the connection closed before
                // the client has sent it all: fine, as long as the server is still there.
                Err(e) if body.len() > 64 * 1024 => {
                    healthy(&format!("{what}, whose sending was cut ({e})"));
                    continue;
                }
                Err(e) => panic!("POST {what}: no answer ({e}): did serve die?"),
            };
            assert!(
                reply.status < 500,
                "{what}: HTTP {}: {}",
                reply.status,
                reply.body.chars().take(300).collect::<String>()
            );
            if reply.status >= 400 {
                // Errors are JSON with a message, whatever the body was.
                let json = reply.json();
                assert!(json["error"].is_string(), "{what}: {}", reply.body);
            }
        }
        let when = format!("batch {n} (up to {:?})", batch.last().map(|b| &b.0));
        healthy(&when);
        scrape_is_valid(&when);
    }
    healthy("every body");
    scrape_is_valid("every body");
    let end_kib = rss_kb(pid);
    assert!(
        end_kib <= start_kib + 50 * 1024,
        "resident memory grew from {} MiB to {} MiB",
        start_kib / 1024,
        end_kib / 1024
    );
}
