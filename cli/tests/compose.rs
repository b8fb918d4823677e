//! `test/docker-compose.yaml`, the playground: Prometheus, Grafana and PromLens around a
//! `promgen-cli serve` built from the root `Dockerfile`.
//!
//! - Always (skipped, saying so, when neither `docker-compose` nor `docker compose` is
//!   installed): Compose validates the file, and what it resolves wires the playground —
//!   the four services, the official images, the remote write receiver, the out-of-order
//!   window and the scrape of `promgen:9000` (checked by `promtool check config`), Grafana's
//!   data source at `http://prometheus:9090`, every port on 127.0.0.1 only.
//! - With `PROMGEN_DOCKER_TESTS=1`: Compose brings up `prometheus` and `promgen` from
//!   locally built images (`scripts/docker-images.sh`: no image can be pulled on the test
//!   machines), under a project name of its own with ports the engine picks, waits until
//!   Prometheus has scraped promgen's demo set and checks the series, then takes everything
//!   down again — also when the test fails — and checks that nothing of it is left.

mod support;

use serde_json::Value;
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};
use support::{
    agent,
    prometheus::{encode, require},
};

/// The images `scripts/docker-images.sh` builds.
const LOCAL_PROMETHEUS: &str = "promgen-local/prometheus:2.42";
const LOCAL_PROMGEN: &str = "promgen-local/promgen-cli:dev";

/// The variables the compose file reads; removed so that the defaults are what is checked.
const COMPOSE_VARS: &[&str] = &[
    "PROMETHEUS_IMAGE",
    "PROMGEN_IMAGE",
    "GRAFANA_IMAGE",
    "PROMLENS_IMAGE",
    "PROMETHEUS_PORT",
    "PROMGEN_PORT",
    "GRAFANA_PORT",
    "PROMLENS_PORT",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn compose_file() -> PathBuf {
    root().join("test/docker-compose.yaml")
}

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Compose command here: `docker-compose` (v1), else the `docker compose` plugin (v2).
fn compose_tool() -> Option<Vec<&'static str>> {
    if succeeds("docker-compose", &["version"]) {
        Some(vec!["docker-compose"])
    } else if succeeds("docker", &["compose", "version"]) {
        Some(vec!["docker", "compose"])
    } else {
        None
    }
}

/// `<compose> -f test/docker-compose.yaml [-p project] args`, with `env` as the only
/// values of the compose file's variables.
fn compose(tool: &[&str], project: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(tool[0]);
    command.args(&tool[1..]).arg("-f").arg(compose_file());
    if let Some(project) = project {
        command.args(["-p", project]);
    }
    command.args(args).current_dir(root());
    for var in COMPOSE_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command
        .output()
        .unwrap_or_else(|e| panic!("run {tool:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ---------------------------------------------------------------------------------------
// What `config` resolves

/// A YAML document as JSON (every scalar a string, which is all these checks need), from
/// `saphyr-parser`'s events: the output of `compose config`, Grafana's provisioning file and
/// the Prometheus config.
fn yaml(text: &str) -> Value {
    use saphyr_parser::{Event, Parser};
    fn node<'a>(event: Event<'a>, events: &mut impl Iterator<Item = Event<'a>>) -> Value {
        match event {
            Event::Scalar(text, ..) => Value::String(text.into_owned()),
            Event::SequenceStart(..) => {
                let mut items = Vec::new();
                loop {
                    match events.next().expect("unterminated sequence") {
                        Event::SequenceEnd => break Value::Array(items),
                        e => items.push(node(e, events)),
                    }
                }
            }
            Event::MappingStart(..) => {
                let mut map = serde_json::Map::new();
                loop {
                    let key = match events.next().expect("unterminated mapping") {
                        Event::MappingEnd => break Value::Object(map),
                        e => node(e, events),
                    };
                    let key = key.as_str().expect("a string key").to_owned();
                    let value = node(events.next().expect("a value"), events);
                    map.insert(key, value);
                }
            }
            other => panic!("unexpected YAML event {other:?}"),
        }
    }
    let mut events = Parser::new_from_str(text)
        .map(|e| e.unwrap_or_else(|e| panic!("invalid YAML: {e}\n{text}")).0)
        .filter(|e| {
            !matches!(
                e,
                Event::StreamStart | Event::DocumentStart(_) | Event::Nothing
            )
        });
    let first = events.next().expect("an empty YAML document");
    node(first, &mut events)
}

/// `compose config` with these variables, parsed.
fn resolved(tool: &[&str], env: &[(&str, &str)]) -> Value {
    let out = compose(tool, None, &["config"], env);
    assert!(
        out.status.success(),
        "compose config failed:\n{}",
        text(&out)
    );
    yaml(&String::from_utf8_lossy(&out.stdout))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// A service's bind mounts as `(host path, container path)`: Compose v1 prints
/// `SRC:DST[:MODE]`, v2 `{type, source, target}`.
fn mounts(service: &Value) -> Vec<(String, String)> {
    service["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| match v {
            Value::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                (parts[0].to_owned(), parts[1].to_owned())
            }
            m => (
                m["source"].as_str().unwrap_or_default().to_owned(),
                m["target"].as_str().unwrap().to_owned(),
            ),
        })
        .collect()
}

/// The host file or directory mounted at `target`.
fn mounted(service: &Value, target: &str) -> PathBuf {
    let (source, _) = mounts(service)
        .into_iter()
        .find(|(_, t)| t == target)
        .unwrap_or_else(|| panic!("nothing mounted at {target}: {service}"));
    PathBuf::from(source)
}

/// A service's published ports as `(host ip, host port, container port)`: Compose v1 prints
/// `IP:HOST:CONTAINER/tcp`, v2 `{host_ip, published, target}`.
fn ports(service: &Value) -> Vec<(String, String, String)> {
    service["ports"]
        .as_array()
        .unwrap_or_else(|| panic!("no ports: {service}"))
        .iter()
        .map(|p| match p {
            Value::String(s) => {
                let s = s.trim_end_matches("/tcp");
                let parts: Vec<&str> = s.split(':').collect();
                assert_eq!(parts.len(), 3, "IP:HOST:CONTAINER expected: {s}");
                (parts[0].into(), parts[1].into(), parts[2].into())
            }
            m => (
                m["host_ip"].as_str().unwrap_or_default().into(),
                m["published"].as_str().unwrap_or_default().into(),
                m["target"].as_str().unwrap().into(),
            ),
        })
        .collect()
}

fn skip_without_compose() -> Option<Vec<&'static str>> {
    let tool = compose_tool();
    if tool.is_none() {
        eprintln!(
            "skipped: neither `docker-compose` nor `docker compose` is installed, so test/docker-compose.yaml is not validated"
        );
    }
    tool
}

#[test]
fn compose_file_validates_and_wires_the_playground() {
    let Some(tool) = skip_without_compose() else {
        return;
    };
    let config = resolved(&tool, &[]);
    let services = &config["services"];
    let names: BTreeSet<&str> = services
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["grafana", "prometheus", "promgen", "promlens"])
    );

    // Prometheus: the official image, remote write on, its config from test/prometheus.
    let prometheus = &services["prometheus"];
    assert_eq!(prometheus["image"], "prom/prometheus:v2.53.2");
    let flags = strings(&prometheus["command"]);
    assert!(
        flags.contains(&"--web.enable-remote-write-receiver"),
        "{flags:?}"
    );
    assert!(
        flags.contains(&"--config.file=/etc/prometheus/prometheus.yml"),
        "{flags:?}"
    );
    let prometheus_yml = mounted(prometheus, "/etc/prometheus/prometheus.yml");
    assert_eq!(
        prometheus_yml,
        root().join("test/prometheus/prometheus.yml")
    );
    let prometheus_config = yaml(&std::fs::read_to_string(&prometheus_yml).unwrap());
    assert!(
        prometheus_config["storage"]["tsdb"]["out_of_order_time_window"].is_string(),
        "an out-of-order window, for backfills: {prometheus_config}"
    );
    let targets: Vec<&str> = prometheus_config["scrape_configs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|job| job["static_configs"].as_array().unwrap())
        .flat_map(|sc| strings(&sc["targets"]))
        .collect();
    assert!(targets.contains(&"promgen:9000"), "{targets:?}");
    require("promtool");
    let check = Command::new("promtool")
        .args(["check", "config"])
        .arg(&prometheus_yml)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check));

    // promgen: built from the root Dockerfile, serving on all interfaces in its container.
    let promgen = &services["promgen"];
    assert_eq!(
        Path::new(promgen["build"]["context"].as_str().unwrap())
            .canonicalize()
            .unwrap(),
        root()
    );
    assert_eq!(promgen["build"]["dockerfile"], "Dockerfile");
    assert!(root().join("Dockerfile").is_file());
    assert_eq!(promgen["image"], "promgen:latest");
    assert_eq!(
        strings(&promgen["command"]),
        ["serve", "--listen", "0.0.0.0:9000"]
    );

    // Grafana: the official image, the Prometheus data source provisioned by service name.
    let grafana = &services["grafana"];
    assert!(
        grafana["image"]
            .as_str()
            .unwrap()
            .starts_with("grafana/grafana:"),
        "{grafana}"
    );
    let provisioning = mounted(grafana, "/etc/grafana/provisioning");
    let datasources =
        yaml(&std::fs::read_to_string(provisioning.join("datasources/prometheus.yaml")).unwrap());
    let datasource = &datasources["datasources"][0];
    assert_eq!(datasource["type"], "prometheus");
    assert_eq!(datasource["url"], "http://prometheus:9090");

    // PromLens: the browser queries Prometheus, so it gets the host's address.
    let promlens = &services["promlens"];
    assert!(
        promlens["image"]
            .as_str()
            .unwrap()
            .starts_with("prom/promlens:"),
        "{promlens}"
    );
    assert!(
        strings(&promlens["command"])
            .contains(&"--web.default-prometheus-url=http://localhost:9090"),
        "{promlens}"
    );

    // Every port on loopback only, on the documented defaults.
    for (service, host, container) in [
        ("prometheus", "9090", "9090"),
        ("promgen", "9000", "9000"),
        ("grafana", "3000", "3000"),
        ("promlens", "8080", "8080"),
    ] {
        assert_eq!(
            ports(&services[service]),
            [("127.0.0.1".into(), host.into(), container.into())],
            "{service}"
        );
    }
}

#[test]
fn compose_file_takes_images_and_ports_from_the_environment() {
    let Some(tool) = skip_without_compose() else {
        return;
    };
    let config = resolved(
        &tool,
        &[
            ("PROMETHEUS_IMAGE", LOCAL_PROMETHEUS),
            ("PROMGEN_IMAGE", LOCAL_PROMGEN),
            ("PROMETHEUS_PORT", "0"),
            ("PROMGEN_PORT", "19000"),
        ],
    );
    let services = &config["services"];
    assert_eq!(services["prometheus"]["image"], LOCAL_PROMETHEUS);
    assert_eq!(services["promgen"]["image"], LOCAL_PROMGEN);
    assert_eq!(
        ports(&services["prometheus"]),
        [("127.0.0.1".into(), "0".into(), "9090".into())]
    );
    assert_eq!(
        ports(&services["promgen"]),
        [("127.0.0.1".into(), "19000".into(), "9000".into())]
    );
}

// ---------------------------------------------------------------------------------------
// Up, scrape, down

/// A Compose project, taken down (`down -v`) when dropped, also when the test panics.
struct Project {
    tool: Vec<&'static str>,
    name: String,
    env: Vec<(&'static str, &'static str)>,
    down: bool,
}

impl Project {
    fn run(&self, args: &[&str]) -> Output {
        compose(&self.tool, Some(&self.name), args, &self.env)
    }

    /// Runs `args` and panics, with Compose's output, unless it succeeds.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "compose {args:?} failed:\n{}",
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The loopback port the engine published `service`'s `port` on.
    fn port(&self, service: &str, port: u16) -> u16 {
        let out = self.ok(&["port", service, &port.to_string()]);
        let address = out.trim();
        assert!(
            address.starts_with("127.0.0.1:"),
            "{service}:{port} published on {address:?}, not on loopback"
        );
        address.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn logs(&self) -> String {
        text(&self.run(&["logs", "--no-color"]))
    }

    /// `down -v`: containers, network and volumes removed.
    fn down(&mut self) -> Output {
        self.down = true;
        self.run(&["down", "-v", "--remove-orphans", "-t", "5"])
    }

    /// What the engine still holds of this project: `docker KIND ls` by Compose's label.
    fn leftovers(&self) -> Vec<String> {
        let label = format!("label=com.docker.compose.project={}", self.name);
        let mut left = Vec::new();
        for kind in [
            &["ps", "-a", "-q"][..],
            &["volume", "ls", "-q"],
            &["network", "ls", "-q"],
        ] {
            let out = Command::new("docker")
                .args(kind)
                .args(["--filter", &label])
                .output()
                .unwrap();
            assert!(out.status.success(), "docker {kind:?}: {}", text(&out));
            left.extend(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|id| format!("{} {id}", kind[0])),
            );
        }
        left
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        if !self.down {
            let out = self.down();
            if !out.status.success() {
                eprintln!("compose down of {} failed:\n{}", self.name, text(&out));
            }
        }
    }
}

#[test]
fn compose_up_prometheus_scrapes_promgen() {
    if std::env::var("PROMGEN_DOCKER_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "skipped: set PROMGEN_DOCKER_TESTS=1 (after scripts/docker-images.sh) to bring up Prometheus and promgen with Docker Compose"
        );
        return;
    }
    let tool = compose_tool().expect(
        "PROMGEN_DOCKER_TESTS=1, but neither docker-compose nor docker compose is installed",
    );
    for image in [LOCAL_PROMETHEUS, LOCAL_PROMGEN] {
        assert!(
            succeeds("docker", &["image", "inspect", image]),
            "no image {image}: run scripts/docker-images.sh, which builds it from local binaries"
        );
    }
    let started = Instant::now();
    let mut project = Project {
        tool,
        name: format!("promgen-compose-{}", std::process::id()),
        // Port 0: the engine picks free ones, so that parallel runs cannot clash.
        env: vec![
            ("PROMETHEUS_IMAGE", LOCAL_PROMETHEUS),
            ("PROMGEN_IMAGE", LOCAL_PROMGEN),
            ("PROMETHEUS_PORT", "0"),
            ("PROMGEN_PORT", "0"),
        ],
        down: false,
    };
    project.ok(&["up", "-d", "--no-build", "prometheus", "promgen"]);
    let prometheus = format!("http://127.0.0.1:{}", project.port("prometheus", 9090));
    let promgen = format!("http://127.0.0.1:{}", project.port("promgen", 9000));

    // promgen serves its demo set through the published port…
    let agent = agent();
    let deadline = Instant::now() + Duration::from_secs(60);
    let metrics = loop {
        match support::request(&agent, "GET", &format!("{promgen}/metrics"), None, None) {
            Ok(reply) if reply.status == 200 => break reply.body,
            other => {
                assert!(
                    Instant::now() < deadline,
                    "promgen's /metrics never answered ({other:?}); logs:\n{}",
                    project.logs()
                );
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    };
    assert!(
        metrics.contains("demo_http_requests_total{code=\"200\"}"),
        "{metrics}"
    );

    // …and Prometheus, in the next container, scrapes it as promgen:9000.
    let query = |q: &str| -> Option<Vec<Value>> {
        let url = format!("{prometheus}/api/v1/query?query={}", encode(q));
        let reply = support::request(&agent, "GET", &url, None, None).ok()?;
        (reply.status == 200).then(|| reply.json()["data"]["result"].as_array().unwrap().clone())
    };
    let demo = r#"demo_http_requests_total{job="promgen"}"#;
    let series = loop {
        match query(demo) {
            Some(result) if result.len() == 2 => break result,
            other => {
                assert!(
                    Instant::now() < deadline,
                    "Prometheus never scraped the demo set ({demo}: {other:?}); logs:\n{}",
                    project.logs()
                );
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    };
    let scraped = started.elapsed();
    let mut codes: Vec<String> = series
        .iter()
        .map(|s| {
            let labels = support::prometheus::labels(s);
            assert_eq!(labels["instance"], "promgen:9000", "{labels:?}");
            labels["code"].clone()
        })
        .collect();
    codes.sort();
    assert_eq!(codes, ["200", "500"]);
    let up = query(r#"up{job="promgen"}"#).unwrap();
    assert_eq!(support::prometheus::single_value(&up), Some(1.0));
    let buckets =
        query(r#"http_request_duration_seconds_bucket{job="promgen",handler="/api"}"#).unwrap();
    assert_eq!(buckets.len(), 5, "4 buckets and +Inf: {buckets:?}");

    // Down, and nothing of the project left behind.
    let out = project.down();
    assert!(out.status.success(), "compose down failed:\n{}", text(&out));
    let left = project.leftovers();
    assert!(left.is_empty(), "left behind by {}: {left:?}", project.name);
    eprintln!(
        "compose: up and scraped in {scraped:?}, down after {:?}",
        started.elapsed()
    );
}
