//! The server under concurrent scrapes and control-API changes, and fed garbage: every
//! response stays well-formed, nothing is a 5xx, and the server stays up. Loopback only,
//! bounded loops.

mod support;

use promgen::{config::Config, server::Server};
use serde_json::Value;
use std::{
    collections::HashSet,
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};
use support::{agent, call, check_exposition_line, request, runtime};

const CONFIG: &str = r#"
metrics:
  - name: requests_total
    help: "A counter; the help has a backslash \\ and a newline \n in it."
    type: counter
    labels: [path]
    timeseries:
      - labels: {path: "/a"}
        series: 'linear(0..100) >> loop'
      - labels: {path: "say \"hi\"\n\\"}
        values: '1 _ 2 stale 3'
        endStrategy: loop
  - name: latency_seconds
    type: histogram
    buckets: [0.1, 0.5]
    timeseries:
      - observations: 'uniform(0..1)'
        perScrape: 10
  - name: size_bytes
    type: summary
    timeseries:
      - labels: {kind: x}
        observations: 'normal(100, 10)'
        perScrape: 10
"#;

const SCRAPERS: usize = 6;
const SCRAPES: usize = 50;
const MUTATORS: usize = 4;
const CYCLES: usize = 25;

/// Checks one /metrics response: every line well-formed, no series and no family twice.
fn check_scrape(body: &str) {
    let mut series = HashSet::new();
    let mut families = HashSet::new();
    for line in body.lines() {
        match check_exposition_line(line) {
            Ok(Some(s)) => assert!(series.insert(s), "{s} twice in one scrape:\n{body}"),
            Ok(None) => {
                if let Some(rest) = line.strip_prefix("# TYPE ") {
                    let name = rest.split(' ').next().unwrap();
                    assert!(
                        families.insert(name.to_owned()),
                        "family {name} twice:\n{body}"
                    );
                }
            }
            Err(e) => panic!("{e}\n---\n{body}"),
        }
    }
}

#[test]
fn concurrent_scrapes_and_changes_stay_consistent() {
    let rt = runtime();
    let config = Config::parse(CONFIG, "stress").unwrap();
    let server = rt
        .block_on(Server::new(config.build_registry().unwrap()).spawn("127.0.0.1:0"))
        .unwrap();
    let url = server.url();

    std::thread::scope(|scope| {
        for _ in 0..SCRAPERS {
            scope.spawn(|| {
                let agent = agent();
                for i in 0..SCRAPES {
                    // Alternate the formats; both must hold up.
                    let accept = if i % 2 == 0 {
                        "text/plain"
                    } else {
                        "application/openmetrics-text;version=1.0.0"
                    };
                    let mut r = agent
                        .get(format!("{url}/metrics"))
                        .header("Accept", accept)
                        .call()
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    let body = r.body_mut().read_to_string().unwrap();
                    if i % 2 == 1 {
                        assert!(body.ends_with("# EOF\n"), "{body}");
                    }
                    check_scrape(&body);
                }
            });
        }
        for t in 0..MUTATORS {
            let url = &url;
            scope.spawn(move || {
                let agent = agent();
                let api = format!("{url}/api/v1/series");
                for c in 0..CYCLES {
                    let body = format!(
                        r#"{{"name": "stress_{t}", "labels": {{"cycle": "{c}"}}, "series": "linear(0..5) >> loop"}}"#
                    );
                    let r = call(&agent, "POST", &api, Some(&body), None);
                    assert_eq!(r.status, 201, "{}", r.body);
                    let id = r.json()["id"].as_u64().unwrap();
                    let one = format!("{api}/{id}");
                    // The same series again: a conflict, not a second copy.
                    let r = call(&agent, "POST", &api, Some(&body), None);
                    assert_eq!(r.status, 409, "{}", r.body);
                    assert!(r.json()["error"].is_string());
                    let r = call(&agent, "GET", &one, None, None);
                    assert_eq!(r.status, 200, "{}", r.body);
                    assert_eq!(r.json()["name"], format!("stress_{t}"));
                    let changed = body.replace("linear(0..5)", "[1, _, stale]");
                    let r = call(&agent, "PUT", &one, Some(&changed), None);
                    assert_eq!(r.status, 200, "{}", r.body);
                    let r = call(&agent, "GET", &api, None, None);
                    assert_eq!(r.status, 200, "{}", r.body);
                    let list = r.json();
                    let mine: Vec<&Value> = list["series"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|s| s["id"] == id)
                        .collect();
                    assert_eq!(mine.len(), 1, "{list}");
                    assert_eq!(mine[0]["shape"], "[1, _, stale] >> loop");
                    let r = call(&agent, "DELETE", &one, None, None);
                    assert_eq!(r.status, 204, "{}", r.body);
                    let r = call(&agent, "GET", &one, None, None);
                    assert_eq!(r.status, 404, "{}", r.body);
                    r.json();
                }
            });
        }
        scope.spawn(|| {
            for _ in 0..5 {
                garbage(&url);
            }
        });
    });

    // Everything the mutators added is gone again; the config's series remain.
    let agent = agent();
    let list = call(&agent, "GET", &format!("{url}/api/v1/series"), None, None).json();
    assert_eq!(list["series"].as_array().unwrap().len(), 4, "{list}");
    assert_eq!(
        call(&agent, "GET", &format!("{url}/-/healthy"), None, None).status,
        200
    );
    rt.block_on(server.shutdown());
}

/// Bodies and requests no server should choke on: each gets a 4xx with a JSON error.
fn garbage(url: &str) {
    let agent = agent();
    let api = format!("{url}/api/v1/series");
    let deep_list = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let deep_map = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("invalid UTF-8", vec![0xff, 0xfe, 0x00, b'{']),
        ("null", b"null".to_vec()),
        ("a list", b"[1, 2]".to_vec()),
        ("a string", br#""up""#.to_vec()),
        ("truncated JSON", br#"{"name": "up", "series": "1"#.to_vec()),
        ("a huge number as name", br#"{"name": 1e400, "series": "1"}"#.to_vec()),
        (
            "a huge perScrape",
            br#"{"name": "h", "type": "histogram", "observations": "1", "perScrape": 99999999999999999999}"#.to_vec(),
        ),
        (
            "a huge count",
            br#"{"name": "g", "series": "linear(0..=1, 99999999999999999999)"}"#.to_vec(),
        ),
        ("an unknown type", br#"{"name": "g", "type": "gauge2", "series": "1"}"#.to_vec()),
        ("deeply nested lists", deep_list.into_bytes()),
        ("deeply nested maps", deep_map.into_bytes()),
        ("NUL bytes", vec![0; 1000]),
        ("too large", vec![b' '; 70 * 1024]),
    ];
    for (what, body) in &bodies {
        for (method, target) in [("POST", api.clone()), ("PUT", format!("{api}/1"))] {
            let r = request(&agent, method, &target, Some(body), None)
                .unwrap_or_else(|e| panic!("{what}: {method}: {e}"));
            assert!(
                (400..500).contains(&r.status),
                "{what}: {method} gave {}: {}",
                r.status,
                r.body
            );
            r.json(); // a JSON error
        }
    }
    // Below HTTP: a malformed request line, and a body announced far beyond the limit.
    for raw in [
        "NONSENSE\r\n\r\n".to_owned(),
        "POST /api/v1/series HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n{".to_owned(),
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: garbage;q=nope, */*;;;q=2, text/plain;version=9\r\nConnection: close\r\n\r\n".to_owned(),
    ] {
        let addr = url.strip_prefix("http://").unwrap();
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).unwrap();
        let head = String::from_utf8_lossy(&head);
        assert!(
            head.starts_with("HTTP/1.1 4") || head.starts_with("HTTP/1.1 200"),
            "{raw:?} got {head:?}"
        );
        if raw.starts_with("GET") {
            assert!(head.starts_with("HTTP/1.1 200"), "{raw:?} got {head:?}");
        } else {
            assert!(head.starts_with("HTTP/1.1 4"), "{raw:?} got {head:?}");
        }
    }
}
