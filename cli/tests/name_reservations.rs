//! The names a family takes once exposed, as a property (issue #12 items 2 and 3): for any
//! two generated families (names built from one stem and the suffixes families write,
//! every type, labels among `le`, `quantile` and `job`), the config loader and the control
//! API accept them exactly when what they would expose is valid. "Valid" is what someone
//! else's code says: the two families written as they are, with no reservation applied,
//! must parse for `promtool check metrics` and for the official Python client's text and
//! OpenMetrics parsers, with no series twice. And what is accepted is served so.

mod support;

use promgen::{
    Labels, MetricType,
    config::Config,
    exposition::{Format, RenderedLabels, Writer},
    server::Server,
};
use proptest::{
    prelude::*,
    sample::{select, subsequence},
    test_runner::{Config as Runner, TestCaseError, TestRunner},
};
use serde_json::json;
use std::cell::{Cell, RefCell};
use support::{
    agent, call,
    oracle::{PythonParsers, problems},
    prometheus::require,
    runtime, scrape,
};

/// The suffixes some family writes or reserves, and one none does.
const SUFFIXES: [&str; 6] = ["_total", "_bucket", "_sum", "_count", "_created", "_info"];

#[derive(Debug, Clone)]
struct Family {
    name: String,
    metric_type: MetricType,
    labels: Vec<&'static str>,
}

impl Family {
    fn labels(&self) -> Labels {
        Labels::new(&self.name, self.labels.iter().map(|l| (*l, "x"))).unwrap()
    }

    /// The family as a control-API body (a config's `metrics[]` entry, flattened).
    fn body(&self) -> serde_json::Value {
        let labels: serde_json::Map<String, serde_json::Value> = self
            .labels
            .iter()
            .map(|l| ((*l).to_owned(), json!("x")))
            .collect();
        let mut body =
            json!({"name": self.name, "type": self.metric_type.as_str(), "labels": labels});
        let extra = match self.metric_type {
            MetricType::Histogram => json!({"buckets": [1], "observations": "[0.5, 2] >> loop"}),
            MetricType::Summary => json!({"objectives": [0.5], "observations": "[1] >> loop"}),
            _ => json!({"series": "[1, 2] >> loop"}),
        };
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    }

    /// Its samples, written as they are: no check of any kind.
    fn write(&self, w: &mut Writer<'_>) {
        let labels = RenderedLabels::new(&self.labels());
        let (name, t) = (self.name.as_str(), self.metric_type);
        match t {
            MetricType::Histogram => {
                w.sample(name, t, "_bucket", &labels, Some(("le", 1.0)), 1.0);
                w.sample(
                    name,
                    t,
                    "_bucket",
                    &labels,
                    Some(("le", f64::INFINITY)),
                    2.0,
                );
                w.sample(name, t, "_sum", &labels, None, 2.5);
                w.sample(name, t, "_count", &labels, None, 2.0);
            }
            MetricType::Summary => {
                w.sample(name, t, "", &labels, Some(("quantile", 0.5)), 1.0);
                w.sample(name, t, "_sum", &labels, None, 1.0);
                w.sample(name, t, "_count", &labels, None, 1.0);
            }
            _ => w.sample(name, t, "", &labels, None, 1.0),
        }
    }
}

/// `a` and `b` exposed as they are in `format`: one family when they share name and type
/// (as the registry keeps them), else two.
fn unchecked(a: &Family, b: &Family, format: Format) -> String {
    let mut out = Vec::new();
    let mut w = Writer::new(&mut out, format);
    w.family(&a.name, a.metric_type, Some("a"));
    a.write(&mut w);
    if (&b.name, b.metric_type) != (&a.name, a.metric_type) {
        w.family(&b.name, b.metric_type, Some("b"));
    }
    b.write(&mut w);
    w.finish();
    String::from_utf8(out).unwrap()
}

fn name() -> impl Strategy<Value = String> {
    proptest::collection::vec(select(&SUFFIXES[..]), 0..=2).prop_map(|s| format!("m{}", s.concat()))
}

fn family(name: impl Strategy<Value = String>) -> impl Strategy<Value = Family> {
    (
        name,
        select(&MetricType::ALL[..]),
        subsequence(vec!["job", "le", "quantile"], 0..=2),
    )
        .prop_map(|(name, metric_type, labels)| Family {
            name,
            metric_type,
            labels,
        })
}

/// Two families, the second's name often the first's with a suffix more or less, so that
/// near names (where clashes are) come up as often as unrelated ones.
fn pair() -> impl Strategy<Value = (Family, Family)> {
    family(name()).prop_flat_map(|a| {
        let stem = a.name.clone();
        let shorter = SUFFIXES
            .iter()
            .find_map(|s| stem.strip_suffix(s))
            .unwrap_or(&stem)
            .to_owned();
        let near = prop_oneof![
            Just(stem.clone()),
            Just(shorter),
            select(&SUFFIXES[..]).prop_map(move |s| format!("{stem}{s}")),
            name(),
        ];
        (Just(a), family(near))
    })
}

/// One config of both families, each with its one series.
fn config(a: &Family, b: &Family) -> String {
    let entry = |f: &Family| {
        let mut body = f.body();
        let entry = body.as_object_mut().unwrap();
        let mut series = serde_json::Map::new();
        for key in ["labels", "series", "observations"] {
            if let Some(v) = entry.remove(key) {
                series.insert(key.to_owned(), v);
            }
        }
        entry.insert("timeseries".to_owned(), json!([series]));
        serde_json::Value::Object(entry.clone())
    };
    // JSON is YAML.
    json!({"metrics": [entry(a), entry(b)]}).to_string()
}

#[test]
fn a_pair_of_families_is_refused_exactly_when_its_exposition_would_be_invalid() {
    require("promtool");
    // `run` takes a `Fn`: the one parser process is borrowed per case.
    let parsers = RefCell::new(PythonParsers::start());
    let rt = runtime();
    let server = rt
        .block_on(Server::new(promgen::registry::Registry::default()).spawn("127.0.0.1:0"))
        .unwrap();
    let (url, agent) = (server.url(), agent());
    let api = format!("{url}/api/v1/series");
    let (refused, accepted) = (Cell::new(0), Cell::new(0));
    let mut runner = TestRunner::new(Runner {
        cases: 160,
        failure_persistence: None,
        ..Runner::default()
    });
    let result = runner.run(&pair(), |(a, b)| {
        let parsers = &mut *parsers.borrow_mut();
        let invalid = problems(
            parsers,
            &unchecked(&a, &b, Format::Text),
            &unchecked(&a, &b, Format::OpenMetrics),
        );
        let what = format!("{a:?} and {b:?}, exposed as they are: {invalid:#?}");

        // At load: one config with both (a name twice is refused there in any case).
        let loaded = Config::parse(&config(&a, &b), "pair.yaml");
        let load_should_refuse = !invalid.is_empty() || a.name == b.name;
        prop_assert_eq!(
            loaded.is_err(),
            load_should_refuse,
            "load: {}: {:?}",
            what,
            loaded.as_ref().err().map(ToString::to_string)
        );
        if let Ok(config) = loaded {
            let mut registry = config.build_registry().unwrap();
            let mut served = |format| {
                let mut out = Vec::new();
                registry.scrape_into(&mut out, format, 0);
                String::from_utf8(out).unwrap()
            };
            let (text, om) = (served(Format::Text), served(Format::OpenMetrics));
            let found = problems(parsers, &text, &om);
            prop_assert!(
                found.is_empty(),
                "loaded and served: {:#?}\n{}\n{}",
                found,
                text,
                om
            );
        }

        // In the control API: one after the other.
        let mut ids = Vec::new();
        let mut statuses = Vec::new();
        for f in [&a, &b] {
            let r = call(&agent, "POST", &api, Some(&f.body().to_string()), None);
            statuses.push((r.status, r.body.clone()));
            if r.status == 201 {
                ids.push(r.json()["id"].as_u64().unwrap());
            } else {
                prop_assert!(matches!(r.status, 400 | 409), "{}: {}", r.status, r.body);
                prop_assert!(r.json()["errors"][0]["field"].is_string(), "{}", r.body);
            }
        }
        let both = ids.len() == 2;
        if both {
            let found = problems(
                parsers,
                &scrape(&agent, &url, "text/plain"),
                &scrape(&agent, &url, "application/openmetrics-text;version=1.0.0"),
            );
            prop_assert!(found.is_empty(), "posted and served: {:#?}", found);
        }
        for id in ids {
            let r = call(&agent, "DELETE", &format!("{api}/{id}"), None, None);
            prop_assert_eq!(r.status, 204);
        }
        prop_assert_eq!(both, invalid.is_empty(), "API: {}: {:?}", what, statuses);
        let counter = if invalid.is_empty() {
            &accepted
        } else {
            &refused
        };
        counter.set(counter.get() + 1);
        Ok::<(), TestCaseError>(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Both sides of the property were exercised, not one alone.
    assert!(
        refused.get() >= 20 && accepted.get() >= 20,
        "refused {}, accepted {}",
        refused.get(),
        accepted.get()
    );
    rt.block_on(server.shutdown());
}
