//! Helpers shared by the tests that talk HTTP: a blocking client that returns every status
//! as a value, and JSON parsing with the body in the failure message. [`prometheus`] starts
//! and queries a real Prometheus; [`oracle`] asks promtool and the Python client about an
//! exposition; [`cli`] runs the binary and writes config files.

#![allow(dead_code)] // each test binary uses a part

pub mod cli;
pub mod expect;
pub mod oracle;
pub mod prometheus;
pub mod serve;
pub mod victoria;

use serde_json::Value;
use std::time::Duration;

/// A client that never turns a 4xx or 5xx into an error, and gives up after 10 s.
pub fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

/// A multi-threaded runtime of two workers for in-process servers, whose handlers run
/// while the test thread makes blocking requests.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `GET url/metrics` with this `Accept`: the body. Every scrape advances every series.
pub fn scrape(agent: &ureq::Agent, url: &str, accept: &str) -> String {
    agent
        .get(format!("{url}/metrics"))
        .header("Accept", accept)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}/metrics: {e}"))
        .body_mut()
        .read_to_string()
        .unwrap()
}

/// A response: its status, content type and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    /// The body as JSON; panics (showing it) when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} (status {})", self.body, self.status))
    }
}

/// `method url` with an optional body and bearer token.
pub fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<&[u8]>,
    token: Option<&str>,
) -> Result<Reply, ureq::Error> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let response = match method {
        "GET" | "DELETE" => {
            let mut r = if method == "GET" {
                agent.get(url)
            } else {
                agent.delete(url)
            };
            if let Some(auth) = &auth {
                r = r.header("Authorization", auth);
            }
            r.call()
        }
        "POST" | "PUT" => {
            let mut r = if method == "POST" {
                agent.post(url)
            } else {
                agent.put(url)
            };
            if let Some(auth) = &auth {
                r = r.header("Authorization", auth);
            }
            r.send(body.unwrap_or_default())
        }
        _ => panic!("unsupported method {method}"),
    };
    let mut response = response?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()?;
    Ok(Reply {
        status,
        content_type,
        body,
    })
}

/// As [`request`], panicking on a transport error.
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> Reply {
    request(agent, method, url, body.map(str::as_bytes), token)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

/// Checks one line of the Prometheus text format: blank, a comment, or
/// `name{labels} value` with a valid name, well-formed labels and a float value. Returns the
/// series (`name{labels}`) of a sample line.
pub fn check_exposition_line(line: &str) -> Result<Option<&str>, String> {
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("no metric name: {line:?}"));
    }
    let mut rest = &line[name_end..];
    if let Some(labels) = rest.strip_prefix('{') {
        // label="value" pairs; values may hold escaped quotes and backslashes.
        let mut chars = labels.char_indices();
        let mut in_value = false;
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match (in_value, c) {
                (true, '\\') => {
                    chars.next();
                }
                (true, '"') | (false, '"') => in_value = !in_value,
                (false, '}') => {
                    end = Some(i);
                    break;
                }
                (false, c) if c.is_ascii_alphanumeric() || matches!(c, '_' | '=' | ',') => {}
                (true, _) => {}
                (false, c) => return Err(format!("unexpected {c:?} in labels: {line:?}")),
            }
        }
        let end = end.ok_or_else(|| format!("unclosed labels: {line:?}"))?;
        rest = &labels[end + 1..];
    }
    let series = &line[..line.len() - rest.len()];
    let value = rest
        .strip_prefix(' ')
        .ok_or_else(|| format!("no space before the value: {line:?}"))?;
    let value = value.split(' ').next().unwrap_or_default(); // an optional timestamp follows
    match value {
        "+Inf" | "-Inf" | "NaN" => {}
        v => {
            v.parse::<f64>()
                .map_err(|e| format!("bad value {v:?} ({e}): {line:?}"))?;
        }
    }
    Ok(Some(series))
}
