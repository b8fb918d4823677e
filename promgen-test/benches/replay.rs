//! A replay of 1 h of 10 series against 3 rules, Prometheus start-up included (target:
//! under 1 s wall), measured in the same run as `promtool test rules` on the same test
//! exported as a promtool file; and the same with a fourth rule that reads `ALERTS`, its
//! own among them, which makes the group replay in lockstep (evaluation by evaluation).
//!
//! `cargo bench -p promgen-test --bench replay`

use criterion::{Criterion, criterion_group, criterion_main};
use promgen_test::{Feed, Prometheus};
use std::time::Duration;

const RULES: &str = r#"groups:
  - name: bench
    interval: 1m
    rules:
      - record: service:errors:ratio_rate5m
        expr: |
          sum by (service) (rate(http_requests_total{code="500"}[5m]))
            / sum by (service) (rate(http_requests_total[5m]))
      - alert: HighErrorRate
        expr: service:errors:ratio_rate5m > 0.05
        for: 5m
        labels: {severity: page}
      - alert: NoTraffic
        expr: sum by (service) (rate(http_requests_total[5m])) == 0
        for: 10m
        labels: {severity: ticket}
"#;

/// `RULES` and an alert on any firing alert: it reads its own `ALERTS`.
fn lockstep_rules() -> String {
    format!(
        "{RULES}      - alert: AnyFiring\n        expr: count(ALERTS{{alertstate=\"firing\"}}) >= 1\n"
    )
}

/// 5 services × 2 status codes: steady traffic, errors in bursts at different times.
fn feed() -> Feed {
    let mut feed = Feed::new().interval("1m").unwrap();
    for (i, service) in ["cart", "checkout", "search", "login", "profile"]
        .iter()
        .enumerate()
    {
        let ok = format!(r#"http_requests_total{{service="{service}",code="200"}}"#);
        let err = format!(r#"http_requests_total{{service="{service}",code="500"}}"#);
        let quiet = 5 + i * 8;
        let errors = format!("0x{quiet} 10+10x9 100x{}", 60 - quiet - 10);
        feed = feed
            .notation(&ok, "0+100x60")
            .unwrap()
            .notation(&err, &errors)
            .unwrap();
    }
    feed
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut group = c.benchmark_group("replay_1h_10_series_3_rules");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    let feed = feed();
    group.bench_function("promgen_test_replay_with_startup", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let prometheus = Prometheus::builder()
                    .rules_yaml(RULES)
                    .start()
                    .await
                    .unwrap();
                let timeline = prometheus.replay(&feed, "1h").await.unwrap();
                assert!(!timeline.episodes().is_empty());
            });
        });
    });

    // The same test as a promtool file: exported once, then `promtool test rules` timed on
    // it, in the same run.
    let dir = std::env::temp_dir().join(format!("promgen-bench-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = runtime.block_on(async {
        let prometheus = Prometheus::builder()
            .rules_yaml(RULES)
            .start()
            .await
            .unwrap();
        let timeline = prometheus.replay(&feed, "1h").await.unwrap();
        prometheus
            .export_promtool(&feed, &timeline, &dir)
            .await
            .unwrap()
    });
    group.bench_function("promtool_test_rules_on_the_export", |b| {
        b.iter(|| {
            let out = std::process::Command::new("promtool")
                .args(["test", "rules"])
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        });
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);

    let mut group = c.benchmark_group("replay_1h_10_series_4_rules_lockstep");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    let rules = lockstep_rules();
    group.bench_function("promgen_test_replay_with_startup", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let prometheus = Prometheus::builder()
                    .rules_yaml(rules.as_str())
                    .start()
                    .await
                    .unwrap();
                let timeline = prometheus.replay(&feed, "1h").await.unwrap();
                timeline.expect("AnyFiring").firing_at("1h");
            });
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
