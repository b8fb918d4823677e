//! Prometheus's HTTP API, the few calls the harness makes.

use crate::HarnessError;
use serde_json::Value;
use std::time::Duration;

/// A client for one Prometheus.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub(crate) fn new(base: &str) -> Result<Self, HarnessError> {
        // reqwest is built without a TLS provider of its own; an error means one is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| {
                // reqwest's own words ("builder error") say little: the cause does.
                let mut why = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    why.push_str(&format!(": {s}"));
                    source = s.source();
                }
                HarnessError::Io(format!("HTTP client: {why}"))
            })?;
        Ok(Self {
            http,
            base: base.to_owned(),
        })
    }

    /// Whether `/-/ready` answers 200.
    pub(crate) async fn ready(&self) -> bool {
        let response = self.http.get(format!("{}/-/ready", self.base)).send().await;
        response.is_ok_and(|r| r.status().is_success())
    }

    /// `GET path?params`, its `data` when `status` is `success`.
    async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Value, HarnessError> {
        let request = self.http.get(format!("{}{path}", self.base)).query(params);
        Self::data("GET", path, params, request).await
    }

    /// `POST path` with `params` as a form (a query of any length), its `data`.
    async fn post(&self, path: &str, params: &[(&str, String)]) -> Result<Value, HarnessError> {
        let request = self.http.post(format!("{}{path}", self.base)).form(params);
        Self::data("POST", path, params, request).await
    }

    /// Sends `request`; its `data` when `status` is `success`.
    async fn data(
        method: &str,
        path: &str,
        params: &[(&str, String)],
        request: reqwest::RequestBuilder,
    ) -> Result<Value, HarnessError> {
        let (json, body) = Self::json(method, path, request).await?;
        if json["status"] != "success" {
            return Err(HarnessError::Api(format!(
                "{method} {path} {params:?}: {}: {}",
                json["errorType"].as_str().unwrap_or("error"),
                json["error"].as_str().unwrap_or(&body)
            )));
        }
        Ok(json["data"].clone())
    }

    /// Sends `request`: the JSON it answers, and its body as text.
    async fn json(
        method: &str,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<(Value, String), HarnessError> {
        let response = request
            .send()
            .await
            .map_err(|e| HarnessError::Api(format!("{method} {path}: {e}")))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| HarnessError::Api(format!("{method} {path}: {e}")))?;
        let json: Value = serde_json::from_str(&body)
            .map_err(|_| HarnessError::Api(format!("{method} {path}: HTTP {status}: {body}")))?;
        Ok((json, body))
    }

    /// An instant query's `result`.
    pub(crate) async fn query(
        &self,
        query: &str,
        time_ms: Option<i64>,
    ) -> Result<Vec<Value>, HarnessError> {
        let mut params = vec![("query", query.to_owned())];
        if let Some(t) = time_ms {
            params.push(("time", seconds(t)));
        }
        let data = self.post("/api/v1/query", &params).await?;
        Ok(data["result"].as_array().cloned().unwrap_or_default())
    }

    /// An instant query at `time_ms` as promtool's `promql_expr_test` and the rule manager
    /// see it: a vector's samples, or a scalar as one sample without labels; or, when
    /// Prometheus refuses the query, its error in the engine's words.
    pub(crate) async fn query_checked(
        &self,
        query: &str,
        time_ms: i64,
    ) -> Result<Result<Vec<(crate::state::LabelMap, f64)>, String>, HarnessError> {
        let params = [("query", query.to_owned()), ("time", seconds(time_ms))];
        let request = self
            .http
            .post(format!("{}/api/v1/query", self.base))
            .form(&params);
        let (json, body) = Self::json("POST", "/api/v1/query", request).await?;
        if json["status"] != "success" {
            let error = json["error"].as_str().unwrap_or(&body);
            // The API names the parameter a parse error is in; the engine does not.
            let error = error
                .strip_prefix("invalid parameter \"query\": ")
                .unwrap_or(error);
            return Ok(Err(error.to_owned()));
        }
        let data = &json["data"];
        let result = &data["result"];
        let number = crate::replay::rules::number;
        Ok(Ok(match data["resultType"].as_str() {
            Some("vector") => result
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| {
                    (
                        crate::replay::label_map(&s["metric"]),
                        number(&s["value"][1]),
                    )
                })
                .collect(),
            Some("scalar") => vec![(Default::default(), number(&result[1]))],
            // promtool's words (`cmd/promtool/unittest.go`).
            _ => return Ok(Err("rule result is not a vector or scalar".to_owned())),
        }))
    }

    /// A range query's `result`: one entry per series with its `values`.
    pub(crate) async fn query_range(
        &self,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<Vec<Value>, HarnessError> {
        let params = [
            ("query", query.to_owned()),
            ("start", seconds(start_ms)),
            ("end", seconds(end_ms)),
            ("step", seconds(step_ms)),
        ];
        let data = self.post("/api/v1/query_range", &params).await?;
        Ok(data["result"].as_array().cloned().unwrap_or_default())
    }

    /// `/api/v1/rules`: the groups.
    pub(crate) async fn rule_groups(&self) -> Result<Vec<Value>, HarnessError> {
        let data = self.get("/api/v1/rules", &[]).await?;
        Ok(data["groups"].as_array().cloned().unwrap_or_default())
    }

    /// `/api/v1/alerts`: the active (pending and firing) alerts.
    pub(crate) async fn alerts(&self) -> Result<Vec<Value>, HarnessError> {
        let data = self.get("/api/v1/alerts", &[]).await?;
        Ok(data["alerts"].as_array().cloned().unwrap_or_default())
    }
}

/// Milliseconds as the API's seconds.
fn seconds(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    format!("{sign}{}.{:03}", ms / 1000, ms % 1000)
}
