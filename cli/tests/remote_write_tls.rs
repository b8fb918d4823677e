//! Remote write over `https://`: a receiver with a certificate from a private CA is trusted
//! through `remoteWriter.tls.caFile` (or `insecureSkipVerify`), and refused at once, without
//! retries, when it is not trusted.
//!
//! The receiver is in-process (a few lines of HTTP/1.1 over `tokio-rustls`): what is tested
//! is the sender's TLS, which the local Prometheus cannot exercise without its own certs.

mod rw_common;
mod support;

use promgen::remote_write::proto::v1::WriteRequest;
use prost::Message;
use rw_common::read_request;
use std::{
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use support::prometheus::TempDir;
use tokio::{io::AsyncWriteExt, net::TcpListener};

/// A TLS receiver for 1.0 requests on 127.0.0.1, certified for `localhost` by a fresh CA.
/// Returns its port, the CA certificate (PEM) and the count of samples received.
fn start_receiver(runtime: &tokio::runtime::Runtime) -> (u16, String, Arc<AtomicU64>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let cert = params.signed_by(&key, &issuer).unwrap();

    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let samples = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&samples);
    runtime.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, counter) = (acceptor.clone(), Arc::clone(&counter));
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    while let Some(body) = read_request(&mut tls).await {
                        let raw = snap::raw::Decoder::new().decompress_vec(&body).unwrap();
                        let request = WriteRequest::decode(&raw[..]).unwrap();
                        let n: usize = request.timeseries.iter().map(|t| t.samples.len()).sum();
                        counter.fetch_add(n as u64, Ordering::Relaxed);
                        let reply = b"HTTP/1.1 204 No Content\r\n\r\n";
                        if tls.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (port, ca.pem(), samples)
}

fn write(config: &std::path::Path) -> (bool, String, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["write", "--config", config.to_str().unwrap()])
        .args(["--from", "-1h", "--to", "now"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), log, started.elapsed())
}

const METRICS: &str =
    "metrics:\n  - name: up\n    timeseries:\n      - labels: {job: a}\n        values: '1x1000'\n";

#[test]
fn a_private_ca_is_trusted_through_ca_file_and_refused_without_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (port, ca_pem, samples) = start_receiver(&runtime);
    let dir = TempDir::new("rw-tls");
    let ca = dir.write("ca.pem", &ca_pem);
    let url = format!("https://localhost:{port}/api/v1/write");

    // Trusted: every sample of the hour (241 ticks at 15 s) arrives.
    let trusted = dir.write(
        "trusted.yaml",
        &format!(
            "remoteWriter:\n  url: {url}\n  tls: {{caFile: {}}}\n{METRICS}",
            ca.display()
        ),
    );
    let (ok, log, _) = write(&trusted);
    assert!(ok, "{log}");
    assert_eq!(samples.load(Ordering::Relaxed), 241, "{log}");

    // Not trusted: refused at once (no five minutes of retries), saying why.
    let untrusted = dir.write(
        "untrusted.yaml",
        &format!("remoteWriter:\n  url: {url}\n{METRICS}"),
    );
    let (ok, log, took) = write(&untrusted);
    assert!(!ok, "an unknown CA must be refused: {log}");
    assert!(
        log.contains("error: TLS: ") && log.to_lowercase().contains("certificate"),
        "{log}"
    );
    assert!(
        took < Duration::from_secs(10),
        "refused without retrying ({took:?})"
    );
    assert_eq!(samples.load(Ordering::Relaxed), 241, "nothing more arrived");

    // insecureSkipVerify, for tests: accepted without the CA.
    let insecure = dir.write(
        "insecure.yaml",
        &format!("remoteWriter:\n  url: {url}\n  tls: {{insecureSkipVerify: true}}\n{METRICS}"),
    );
    let (ok, log, _) = write(&insecure);
    assert!(ok, "{log}");
    assert_eq!(samples.load(Ordering::Relaxed), 482, "{log}");
}
