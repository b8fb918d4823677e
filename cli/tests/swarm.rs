//! `deploy/swarm/stack.yml` on a real Docker Swarm (this machine's engine, in swarm mode for
//! the test, and left again): a four-task service of the promgen-cli image writes one
//! templated load, each task its own part (`--shard-slot` from the task's slot), into one
//! receiver container, a VictoriaMetrics; it then holds exactly the expansion the library
//! gives, no series twice, every sample once, read back by its own `/api/v1/export`.
//!
//! Only with `PROMGEN_DOCKER_TESTS=1` (`./scripts/test.sh` sets it when Docker answers, after
//! `scripts/docker-images.sh` has built `promgen-local/promgen-cli:dev` and
//! `promgen-local/victoria-metrics:1.79`); otherwise it says why it skips.

mod support;

use promgen::{Scraper, Stop};
use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};
use support::{
    expect::expected,
    prometheus::{TempDir, free_port},
    victoria::{assert_holds, export, wait_healthy},
};

/// The load: counters over 25 instances in two zones, and a histogram over 10.
const LOAD: &str = r#"scraper: {scrapeInterval: 15s, startTime: START, endTime: END}
metrics:
  - name: swarm_requests_{0..1}_total
    type: counter
    timeseries:
      - labels: {instance: "host-{00..24}", zone: [a, b]}
        series: uniform(50..150).round().cumsum()
  - name: swarm_latency_seconds
    type: histogram
    buckets: [0.1, 0.5, 1]
    timeseries:
      - labels: {instance: "host-{0..9}"}
        observations: normal(0.3, 0.1).clamp(0, 5)
        perScrape: 20
"#;

/// The receiver, beside the stack's own service.
const RECEIVER: &str = r#"version: "3.8"
services:
  receiver:
    image: ${VICTORIA_IMAGE}
    ports:
      # On the host's own port: the test reads it from outside the swarm, and the routing
      # mesh (ingress) needs kernel features a sandboxed engine may not have.
      - target: 8428
        published: ${RECEIVER_PORT}
        mode: host
    deploy:
      restart_policy:
        condition: none
"#;

fn docker(args: &[&str]) -> (bool, String) {
    let out = Command::new("docker").args(args).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Swarm mode for the test: joined here (and left on drop) unless the engine was in it.
struct Swarm {
    joined: bool,
    stack: String,
}

impl Swarm {
    fn enter(stack: &str) -> Self {
        let (_, state) = docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"]);
        let joined = state.trim() == "inactive";
        if joined {
            let (ok, out) = docker(&["swarm", "init", "--advertise-addr", "127.0.0.1"]);
            assert!(ok, "docker swarm init: {out}");
        }
        Self {
            joined,
            stack: stack.to_owned(),
        }
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        let _ = docker(&["stack", "rm", &self.stack]);
        // The stack's containers and network go away asynchronously: wait for them.
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            let (_, ps) = docker(&[
                "ps",
                "-aq",
                "--filter",
                &format!("label=com.docker.stack.namespace={}", self.stack),
            ]);
            let (_, nets) = docker(&[
                "network",
                "ls",
                "-q",
                "--filter",
                &format!("label=com.docker.stack.namespace={}", self.stack),
            ]);
            if ps.trim().is_empty() && nets.trim().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        if self.joined {
            let _ = docker(&["swarm", "leave", "--force"]);
        }
    }
}

/// `docker stack deploy` of `files` as `stack`, with `env`.
fn deploy(stack: &str, files: &[&Path], env: &[(&str, String)]) {
    let mut c = Command::new("docker");
    c.args(["stack", "deploy", "--detach=true"]);
    for f in files {
        c.arg("-c").arg(f);
    }
    c.arg(stack).envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "docker stack deploy: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The host's address on the swarm's `docker_gwbridge` network, as its tasks reach it. The
/// engine makes that network when the first task starts on a fresh swarm, so it is waited
/// for (a fresh machine has none before).
fn gateway() -> String {
    let started = Instant::now();
    loop {
        let (ok, out) = docker(&[
            "network",
            "inspect",
            "docker_gwbridge",
            "--format",
            "{{(index .IPAM.Config 0).Gateway}}",
        ]);
        if ok {
            return out.trim().to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "docker network inspect docker_gwbridge: {out}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// What each of a service's task containers printed.
fn task_logs(service: &str) -> String {
    let filter = format!("label=com.docker.swarm.service.name={service}");
    let (_, ids) = docker(&["ps", "-aq", "--filter", &filter]);
    ids.lines()
        .map(|id| docker(&["logs", id]).1)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The states of a service's tasks.
fn task_states(service: &str) -> Vec<String> {
    let (_, out) = docker(&["service", "ps", service, "--format", "{{.CurrentState}}"]);
    out.lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn four_swarm_tasks_write_one_load_into_one_receiver_exactly_once() {
    if std::env::var("PROMGEN_DOCKER_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "skipped: set PROMGEN_DOCKER_TESTS=1 (./scripts/test.sh does, when Docker answers) to run it"
        );
        return;
    }
    let promgen_image =
        std::env::var("PROMGEN_IMAGE").unwrap_or_else(|_| "promgen-local/promgen-cli:dev".into());
    let victoria_image = std::env::var("VICTORIA_IMAGE")
        .unwrap_or_else(|_| "promgen-local/victoria-metrics:1.79".into());
    let stack = format!("promgen-swarm-{}", std::process::id());
    let _swarm = Swarm::enter(&stack);

    let dir = TempDir::new("swarm");
    // Ten minutes at 15 s, an hour ago.
    let from = (promgen::time::now_ms() / 60_000 - 60) * 60_000;
    let to = from + 10 * 60_000;
    let load = LOAD
        .replace("START", &(from / 1000).to_string())
        .replace("END", &(to / 1000).to_string());
    let load_path = dir.write("load.yaml", &load);
    let receiver = dir.write("receiver.yml", RECEIVER);
    let port = free_port();
    let stack_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/swarm/stack.yml");
    let mut env = vec![
        ("PROMGEN_IMAGE", promgen_image),
        ("VICTORIA_IMAGE", victoria_image),
        ("RECEIVER_PORT", port.to_string()),
        ("LOAD_CONFIG", load_path.display().to_string()),
        ("SHARDS", "4".to_owned()),
    ];

    // The receiver first, so that no writer starts before it listens.
    deploy(&stack, &[&receiver], &env);
    let url = format!("http://127.0.0.1:{port}");
    wait_healthy(&url, Duration::from_secs(90), || {
        format!(
            "the receiver did not come up: {:?}",
            task_states(&format!("{stack}_receiver"))
        )
    });
    // Through the receiver's port on the host (the swarm's docker_gwbridge gateway, which
    // exists once the receiver's task runs), not `receiver:8428` on the stack's overlay
    // network: a sandboxed engine may lack the VXLAN the overlay needs, and the writers
    // would wait for ever. The stack file, its slot-numbered parts, configs and replicas
    // are what is tested.
    env.push((
        "REMOTE_WRITE_URL",
        format!("http://{}:{port}/api/v1/write", gateway()),
    ));
    deploy(&stack, &[&stack_file, &receiver], &env);
    let service = format!("{stack}_load");
    let started = Instant::now();
    loop {
        let states = task_states(&service);
        if states.len() >= 4 && states.iter().all(|s| s == "Complete") {
            assert_eq!(states.len(), 4, "a task ran twice: {states:?}");
            break;
        }
        if states.iter().any(|s| s == "Failed" || s == "Rejected") {
            panic!("a writer failed: {states:?}\n{}", task_logs(&service));
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the writers did not finish: {states:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let want = expected(&load, &Scraper::new(from, 15_000, Stop::Until(to)).unwrap());
    let got = export(&url, "swarm_.*", from, to);
    assert_eq!(want.len(), 100 + 10 * 6);
    assert_holds(&got, &want);
}
