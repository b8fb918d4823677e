//! A real VictoriaMetrics for the tests that write into one (Debian's `victoria-metrics`,
//! which `./scripts/test.sh` installs), and reading its raw samples back with its own
//! `/api/v1/export`.

use super::{
    agent,
    prometheus::{TempDir, free_port},
};
use promgen::is_stale;
use std::{
    collections::BTreeMap,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A series' labels, `__name__` included.
pub type Series = BTreeMap<String, String>;

/// A VictoriaMetrics of its own, on a free port, stopped on drop.
pub struct Victoria {
    child: Child,
    pub url: String,
    _dir: TempDir,
}

impl Victoria {
    pub fn start() -> Self {
        let found = Command::new("victoria-metrics")
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "victoria-metrics is not on PATH: run ./scripts/test.sh, which installs Debian's victoria-metrics"
        );
        let dir = TempDir::new("victoria");
        let port = free_port();
        let child = Command::new("victoria-metrics")
            .arg(format!("-storageDataPath={}", dir.path().display()))
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg("-retentionPeriod=100y")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        wait_healthy(&url, Duration::from_secs(30), || {
            "VictoriaMetrics did not start".into()
        });
        Self {
            child,
            url,
            _dir: dir,
        }
    }

    /// Every raw sample of the series whose name matches `re` between `from` and `to` (ms),
    /// per series: what `/api/v1/export` returns, stale markers left out.
    pub fn export(&self, re: &str, from: i64, to: i64) -> Vec<(Series, Vec<(i64, f64)>)> {
        export(&self.url, re, from, to)
    }

    /// As [`Victoria::export`], stale markers kept (as [`promgen::stale_nan`]).
    pub fn export_all(&self, re: &str, from: i64, to: i64) -> Vec<(Series, Vec<(i64, f64)>)> {
        export_all(&self.url, re, from, to)
    }
}

/// [`Victoria::export`] of the VictoriaMetrics at `url`.
pub fn export(url: &str, re: &str, from: i64, to: i64) -> Vec<(Series, Vec<(i64, f64)>)> {
    export_all(url, re, from, to)
        .into_iter()
        .map(|(l, s)| (l, s.into_iter().filter(|(_, v)| !is_stale(*v)).collect()))
        .collect()
}

/// [`Victoria::export_all`] of the VictoriaMetrics at `url`.
pub fn export_all(url: &str, re: &str, from: i64, to: i64) -> Vec<(Series, Vec<(i64, f64)>)> {
    let agent = agent();
    let flushed = agent
        .get(format!("{url}/internal/force_flush"))
        .call()
        .unwrap();
    assert_eq!(flushed.status(), 200);
    let mut body = agent
        .get(format!("{url}/api/v1/export"))
        .query("match[]", format!("{{__name__=~\"{re}\"}}"))
        .query("start", (from / 1000).to_string())
        .query("end", (to / 1000 + 1).to_string())
        .call()
        .unwrap();
    let text = body.body_mut().read_to_string().unwrap();
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let labels = v["metric"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            let samples = v["timestamps"]
                .as_array()
                .unwrap()
                .iter()
                .zip(v["values"].as_array().unwrap())
                // VictoriaMetrics 1.79 exports a stale marker as `null` (and keeps no other
                // NaN: a NaN sample is dropped when written).
                .map(|(t, v)| {
                    let v = if v.is_null() {
                        promgen::stale_nan()
                    } else {
                        v.as_f64().unwrap_or_else(|| {
                            panic!("an exported value that is not a number: {v}")
                        })
                    };
                    (t.as_i64().unwrap(), v)
                })
                .collect();
            (labels, samples)
        })
        .collect()
}

impl Drop for Victoria {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VictoriaMetrics keeps about 12 significant digits of a float.
pub fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-11 * a.abs().max(b.abs())
}

/// Waits until the VictoriaMetrics at `url` answers `/health` with 200; past `timeout`,
/// fails with `why()`.
pub fn wait_healthy(url: &str, timeout: Duration, why: impl Fn() -> String) {
    let agent = agent();
    let started = Instant::now();
    while agent
        .get(format!("{url}/health"))
        .call()
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(started.elapsed() < timeout, "{}", why());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Asserts that `got` (an export) holds exactly the series of `want`, none twice, each with
/// the same timestamps and, to VictoriaMetrics' precision, the same values.
pub fn assert_holds(got: &[(Series, Vec<(i64, f64)>)], want: &super::expect::Expected) {
    let got_names: std::collections::BTreeSet<&Series> = got.iter().map(|(l, _)| l).collect();
    assert_eq!(got_names.len(), got.len(), "a series exported twice");
    let want_names: std::collections::BTreeSet<&Series> = want.keys().collect();
    assert_eq!(
        got_names, want_names,
        "VictoriaMetrics holds other series than expected"
    );
    for (labels, samples) in got {
        let expected = &want[labels];
        assert_eq!(
            samples.iter().map(|s| s.0).collect::<Vec<_>>(),
            expected.iter().map(|s| s.0).collect::<Vec<_>>(),
            "{labels:?}: every timestamp once"
        );
        for (g, e) in samples.iter().zip(expected) {
            assert!(
                close(g.1, e.1) || (is_stale(g.1) && is_stale(e.1)),
                "{labels:?} at {}: {} stored, {} expected",
                g.0,
                g.1,
                e.1
            );
        }
    }
}
