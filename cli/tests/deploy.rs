//! The deployment files: `deploy/kubernetes/` validated by a schema validator (PyPI's
//! `kubernetes-validate`, strict, offline; `./scripts/test.sh` installs it), its scrape
//! config by the real `promtool check config`, and the load configs both ship checked by
//! `promgen-cli check`, in the parts their manifests give them. `deploy/swarm/stack.yml`
//! runs on a real Docker Swarm in `swarm.rs`.

mod support;

use std::{
    path::{Path, PathBuf},
    process::Command,
};
use support::oracle::python;

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// `kubernetes-validate`, beside the Python that has it (`$PROMGEN_PYTHON`), else on PATH.
fn kubernetes_validate() -> Command {
    let beside = Path::new(&python()).with_file_name("kubernetes-validate");
    Command::new(if beside.exists() {
        beside
    } else {
        PathBuf::from("kubernetes-validate")
    })
}

#[test]
fn the_kubernetes_manifests_pass_a_strict_schema_validator() {
    let out = kubernetes_validate()
        .args(["--strict", "--no-warn"])
        .arg(deploy().join("kubernetes/load.yaml"))
        .output()
        .expect("kubernetes-validate runs (./scripts/test.sh installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    for kind in [
        "configmap/promgen-load",
        "service/promgen-load",
        "statefulset/promgen-load",
    ] {
        assert!(
            text.contains(&format!("passed for resource {kind}")),
            "{kind}: {text}"
        );
    }
    // The validator can fail: a misspelt field under strict validation.
    let broken = std::env::temp_dir().join(format!("promgen-k8s-{}.yaml", std::process::id()));
    let manifest = std::fs::read_to_string(deploy().join("kubernetes/load.yaml")).unwrap();
    std::fs::write(&broken, manifest.replace("serviceName:", "servicName:")).unwrap();
    let out = kubernetes_validate()
        .args(["--strict", "--no-warn"])
        .arg(&broken)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&broken);
    assert!(!out.status.success(), "a misspelt field passed");

    let out = Command::new("promtool")
        .args(["check", "config"])
        .arg(deploy().join("kubernetes/prometheus-scrape.yaml"))
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `load.yaml` of the ConfigMap in `deploy/kubernetes/load.yaml`.
fn configmap_load() -> String {
    let manifest = std::fs::read_to_string(deploy().join("kubernetes/load.yaml")).unwrap();
    let start = manifest.find("  load.yaml: |\n").unwrap() + "  load.yaml: |\n".len();
    manifest[start..]
        .lines()
        .take_while(|l| l.starts_with("    "))
        .map(|l| format!("{}\n", &l[4..]))
        .collect()
}

#[test]
fn the_shipped_loads_check_and_split_into_their_parts() {
    let dir = std::env::temp_dir().join(format!("promgen-deploy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let k8s = dir.join("k8s-load.yaml");
    std::fs::write(&k8s, configmap_load()).unwrap();
    let check = |config: &Path, env: Option<(&str, &str)>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_promgen-cli"));
        c.args(["check", "--max-series", "1000000", "--config"])
            .arg(config);
        c.env_remove("PROMGEN_SHARD")
            .env_remove("PROMGEN_SHARD_SLOT");
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(check(&k8s, None).ends_with("ok (10 metrics, 10000 series)\n"));
    // What each pod of the StatefulSet takes: PROMGEN_SHARD=$(POD_INDEX)/4.
    let mut total = 0;
    for i in 0..4 {
        let out = check(&k8s, Some(("PROMGEN_SHARD", &format!("{i}/4"))));
        let n: u64 = out
            .split(", ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(out.contains(&format!("in part {i}/4")), "{out}");
        total += n;
    }
    assert_eq!(total, 10_000);
    // And each task of the Swarm stack: PROMGEN_SHARD_SLOT={{.Task.Slot}}/4, from 1.
    let swarm = deploy().join("swarm/load.yaml");
    assert!(check(&swarm, None).ends_with("ok (11 metrics, 1100 series)\n"));
    let out = check(&swarm, Some(("PROMGEN_SHARD_SLOT", "4/4")));
    assert!(out.contains("in part 3/4"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
