//! Live mode: Prometheus's own rule manager evaluates as time passes; assertions poll
//! `/api/v1/alerts` until the expected state holds or a deadline passes.

use crate::{AlertState, HarnessError, Prometheus, replay::label_map, state::LabelMap};
use std::time::{Duration, Instant};

/// An alert as `/api/v1/alerts` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveAlert {
    /// Its labels, `alertname` included.
    pub labels: LabelMap,
    /// Its annotations, templates expanded.
    pub annotations: LabelMap,
    /// Pending or firing.
    pub state: AlertState,
    /// Its value, as text.
    pub value: String,
}

impl Prometheus {
    /// The active (pending and firing) alerts now.
    ///
    /// # Errors
    /// The API call fails.
    pub async fn alerts(&self) -> Result<Vec<LiveAlert>, HarnessError> {
        let raw = self.api.alerts().await?;
        Ok(raw
            .iter()
            .map(|a| LiveAlert {
                labels: label_map(&a["labels"]),
                annotations: label_map(&a["annotations"]),
                state: match a["state"].as_str() {
                    Some("firing") => AlertState::Firing,
                    Some("pending") => AlertState::Pending,
                    _ => AlertState::Inactive,
                },
                value: a["value"].as_str().unwrap_or_default().to_owned(),
            })
            .collect())
    }

    /// Waits until the alerts `selector` matches (`HighErrorRate{service="api"}`) are in
    /// `state` — for [`AlertState::Inactive`], until none is active — polling every 100 ms.
    /// Returns the matching alerts then.
    ///
    /// # Errors
    /// `timeout` passes first (the error shows what was seen last), or the API fails.
    pub async fn wait_for(
        &self,
        selector: &str,
        state: AlertState,
        timeout: Duration,
    ) -> Result<Vec<LiveAlert>, HarnessError> {
        let wanted: promgen::Labels = selector
            .parse()
            .map_err(|e: promgen::LabelError| HarnessError::Assertion(e.to_string()))?;
        let matches = |a: &LiveAlert| {
            a.labels.get("alertname").map(String::as_str) == Some(wanted.name())
                && wanted
                    .without_name()
                    .all(|(k, v)| a.labels.get(k).map(String::as_str) == Some(v))
        };
        let started = Instant::now();
        loop {
            let alerts = self.alerts().await?;
            let matching: Vec<LiveAlert> = alerts.iter().filter(|a| matches(a)).cloned().collect();
            let holds = match state {
                AlertState::Inactive => matching.is_empty(),
                s => matching.iter().any(|a| a.state == s),
            };
            if holds {
                return Ok(matching);
            }
            if started.elapsed() > timeout {
                return Err(HarnessError::Timeout(format!(
                    "{selector} was not {state} within {timeout:?}; active alerts last seen: {alerts:#?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A feed written into Prometheus by remote write as time passes, from
/// [`Prometheus::write_live`]. Stopping it marks its series stale; dropping it stops the
/// writing without that.
pub struct LiveWrite {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), HarnessError>>,
}

impl Prometheus {
    /// Writes `feed` by remote write as time passes, a tick every feed interval starting
    /// now, until stopped: the other way to feed live mode, without waiting for scrape
    /// discovery.
    ///
    /// # Errors
    /// A feed that does not build.
    pub fn write_live(&self, feed: &crate::Feed) -> Result<LiveWrite, HarnessError> {
        use promgen::{
            Scraper, Stop,
            remote_write::{RemoteWriter, WriteOptions},
        };
        let mut registry = feed.registry()?;
        let scraper = Scraper::new(promgen::time::now_ms(), feed.interval_ms(), Stop::Count(0))
            .map_err(|e| HarnessError::Feed(e.to_string()))?;
        let writer = RemoteWriter::new(&WriteOptions::new(self.remote_write_url()))
            .map_err(|e| HarnessError::Write(e.to_string()))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            writer
                .run(&mut registry, &scraper, async {
                    let _ = stopped.await;
                })
                .await
                .map(|_| ())
                .map_err(|e| HarnessError::Write(e.to_string()))
        });
        Ok(LiveWrite {
            stop: Some(stop),
            task,
        })
    }
}

impl LiveWrite {
    /// Stops writing: every series gets a stale marker, and what is pending is sent.
    ///
    /// # Errors
    /// A write the receiver refused while it ran.
    pub async fn stop(mut self) -> Result<(), HarnessError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(HarnessError::Write(format!("the writer task failed: {e}"))),
        }
    }
}

impl Drop for LiveWrite {
    fn drop(&mut self) {
        self.task.abort();
    }
}
