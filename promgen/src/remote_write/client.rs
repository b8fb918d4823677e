//! The HTTP side: one request with the protocol's headers, what the receiver's answer
//! means, and retries.
//!
//! Retried: network errors, timeouts, 5xx and 429, after an exponential backoff with jitter
//! (longer when a `Retry-After` asks for longer: backoff.rs), until `retry_for` has passed.
//! Never retried: any other 4xx, whose body is reported (made printable: a receiver's text
//! reaches terminals), and redirects that are not followed (redirect.rs). For 2.0, a 415, or a
//! 2xx without any `X-Prometheus-Remote-Write-*-Written` header (a 1.0 receiver that
//! decoded the 2.0 body as an empty 1.0 request and wrote nothing), switches the writer to
//! 1.0 for good and the same batch is sent again.

use super::{
    Batch, Encoder, Protocol, SeriesTable, WriteOptions, WriteSummary,
    backoff::Backoff,
    options::RESERVED_HEADERS,
    printable::{printable, printable_start},
    redirect::{self, RedirectProblem},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::{StatusCode, header};
use std::{
    fmt,
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

/// The most of an error body read: enough for any message, and a receiver that sends
/// gigabytes is not read to its end.
const MAX_ERROR_BODY: usize = 64 * 1024;

const SAMPLES_WRITTEN: &str = "x-prometheus-remote-write-samples-written";
const WRITTEN_HEADERS: [&str; 3] = [
    SAMPLES_WRITTEN,
    "x-prometheus-remote-write-histograms-written",
    "x-prometheus-remote-write-exemplars-written",
];

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The URL is not an `http://` or `https://` URL.
    #[error("invalid remote write URL {url:?}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The CA file could not be read or holds no certificate.
    #[error("CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A header from the options cannot be sent.
    #[error("header {0:?} cannot be sent: {1}")]
    Header(String, String),
    /// The HTTP client could not be set up.
    #[error("setting up the HTTP client: {0}")]
    Client(String),
    /// The receiver refused a request for good (a 4xx other than 429): retrying cannot help.
    #[error("the receiver refused the request with HTTP {status}: {body}")]
    Rejected {
        /// The status code.
        status: u16,
        /// The response body, made safe to print by [`printable`](super::printable)
        /// (escaped, and cut after 512 bytes).
        body: String,
    },
    /// The receiver redirected the write where it is not followed: a loop, more than
    /// [`MAX_REDIRECTS`](super::MAX_REDIRECTS) redirects, or a 3xx other than 307 and 308
    /// (a 301, 302 or 303 would send the write again as a GET without its samples).
    /// Retrying cannot help.
    #[error("{}", redirect::describe(*status, location.as_deref(), *problem))]
    Redirect {
        /// The status code of the redirect.
        status: u16,
        /// Where it points, made safe to print; `None` without a `Location`.
        location: Option<String>,
        /// Why it was not followed.
        problem: RedirectProblem,
    },
    /// The TLS handshake failed (the receiver's certificate is not trusted, say): retrying
    /// cannot help. Trust its CA with `caFile`.
    #[error("TLS: {0}")]
    Tls(String),
    /// Retrying did not get a request through in time.
    #[error("gave up after {attempts} attempts over {:.1}s; last: {last}", elapsed.as_secs_f64())]
    GaveUp {
        /// Requests made.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
        /// The last failure.
        last: String,
    },
    /// A 2.0 receiver answered 2xx yet says it wrote fewer samples than were sent.
    #[error("the receiver answered {status} but wrote {written} of {sent} samples")]
    PartialWrite {
        /// The status code.
        status: u16,
        /// Samples sent.
        sent: usize,
        /// Samples it says it wrote.
        written: u64,
    },
    /// The writer stopped before this batch was sent (another shard failed).
    #[error("stopped")]
    Stopped,
    /// Told to stop, the writer gave the receiver
    /// [`RemoteWriter::STOP_GRACE`](super::RemoteWriter::STOP_GRACE) to take what was
    /// pending and the stale markers, and it did not take all of it: the rest was dropped.
    #[error(
        "stopped with {} undelivered{}",
        undelivered_text(*undelivered, *metadata),
        last.as_ref().map(|l| format!("; the receiver's last failure: {l}")).unwrap_or_default()
    )]
    Interrupted {
        /// Samples (stale markers included) that were generated and not delivered.
        undelivered: u64,
        /// Whether the families' metadata (sent apart in 1.0) was not delivered.
        metadata: bool,
        /// The last failure of any request, if one failed (else they went unanswered).
        last: Option<String>,
        /// What the write did until then.
        summary: Box<WriteSummary>,
    },
}

/// What an interrupted write left undelivered, for its message.
fn undelivered_text(samples: u64, metadata: bool) -> String {
    let counted = if samples == 1 {
        "1 sample".to_owned()
    } else {
        format!("{samples} samples")
    };
    match (samples, metadata) {
        (_, false) => counted,
        (0, true) => "the families' metadata".to_owned(),
        (_, true) => format!("{counted} and the families' metadata"),
    }
}

/// Why a writer asked for 2.0 writes 1.0 instead: how the receiver showed that it does not
/// speak Remote Write 2.0.
///
/// ```
/// use promgen::remote_write::FallbackReason;
/// let why = FallbackReason::NoWrittenHeaders { status: 204 };
/// assert!(why.to_string().starts_with("its 204 answer carries no X-Prometheus-Remote-Write-"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackReason {
    /// It answered a 2.0 request 415 Unsupported Media Type.
    UnsupportedMediaType,
    /// It answered a 2.0 request with this 2xx status and no
    /// `X-Prometheus-Remote-Write-*-Written` header: a 1.0 receiver (Prometheus 2.42, say)
    /// that read the 2.0 body as an empty 1.0 request and wrote nothing.
    NoWrittenHeaders {
        /// The status code.
        status: u16,
    },
}

impl fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedMediaType => f.write_str("it answered 415 Unsupported Media Type"),
            Self::NoWrittenHeaders { status } => write!(
                f,
                "its {status} answer carries no X-Prometheus-Remote-Write-Samples-Written header: \
                 it read the 2.0 request as an empty 1.0 one and wrote nothing"
            ),
        }
    }
}

/// Called once when a writer falls back from 2.0 to 1.0.
pub(super) type FallbackNotice = Box<dyn Fn(FallbackReason) + Send + Sync>;

/// What getting one batch through took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Requests that failed and were sent again (a 2.0 → 1.0 switch is not counted).
    pub retries: u32,
    /// Compressed bytes of the request that got through.
    pub bytes: usize,
}

/// A remote write client: the receiver, its credentials, and the protocol it turned out to
/// speak. Shared by all shards.
pub struct Client {
    http: reqwest::Client,
    url: reqwest::Url,
    opts: WriteOptions,
    /// Set once a 2.0 request was answered as only a 1.0 receiver would, with how.
    fallback: OnceLock<FallbackReason>,
    /// Told when `fallback` is set.
    pub(super) notice: Mutex<Option<FallbackNotice>>,
    /// Why the last request that failed did (and was retried).
    last_failure: Mutex<Option<String>>,
    rng: Mutex<ChaCha8Rng>,
}

/// One answer, sorted by what to do about it.
enum Outcome {
    Done,
    FallBack(FallbackReason),
    Retry {
        why: String,
        after: Option<Duration>,
    },
}

impl Client {
    /// A client for `opts`.
    ///
    /// # Errors
    /// A bad URL, CA file or header.
    pub fn new(opts: &WriteOptions) -> Result<Self, WriteError> {
        let url_error = |reason: String| WriteError::Url {
            url: opts.url.clone(),
            reason,
        };
        let url = reqwest::Url::parse(&opts.url).map_err(|e| url_error(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(url_error("expected http://HOST/… or https://HOST/…".into()));
        }
        // rustls needs a process-wide crypto provider; an error means one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = header::HeaderMap::new();
        for (name, value) in &opts.headers {
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(WriteError::Header(
                    name.clone(),
                    "set by the remote write protocol; it cannot be overridden".into(),
                ));
            }
            let bad = |e: &dyn std::fmt::Display| WriteError::Header(name.clone(), e.to_string());
            let n = header::HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(&e))?;
            let v = header::HeaderValue::from_str(value).map_err(|e| bad(&e))?;
            headers.append(n, v);
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("promgen/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .timeout(opts.timeout)
            .redirect(redirect::policy())
            .pool_max_idle_per_host(opts.concurrency.max(1));
        if let Some(path) = &opts.ca_file {
            let ca_error = |reason: String| WriteError::CaFile {
                path: path.display().to_string(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))?;
            if certs.is_empty() {
                return Err(ca_error("no PEM certificate in it".into()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if opts.insecure_skip_verify {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let http = builder
            .build()
            .map_err(|e| WriteError::Client(error_chain(&e)))?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(Self {
            http,
            url,
            opts: opts.clone(),
            fallback: OnceLock::new(),
            notice: Mutex::new(None),
            last_failure: Mutex::new(None),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
        })
    }

    /// The protocol requests go out in now: the one asked for, or 1.0 after a fallback.
    pub fn protocol(&self) -> Protocol {
        if self.fallback.get().is_some() {
            Protocol::V1
        } else {
            self.opts.protocol
        }
    }

    /// Why the receiver is written to in 1.0 although 2.0 was asked for, once it has shown
    /// that it speaks only 1.0.
    pub fn fallback(&self) -> Option<FallbackReason> {
        self.fallback.get().copied()
    }

    /// Records the fallback; the first shard to see it tells the notice, once.
    fn fall_back(&self, reason: FallbackReason) {
        if self.fallback.set(reason).is_ok()
            && let Ok(notice) = self.notice.lock()
            && let Some(notice) = notice.as_ref()
        {
            notice(reason);
        }
    }

    /// Why the last request that was retried failed, if one was.
    pub fn last_failure(&self) -> Option<String> {
        self.last_failure.lock().ok().and_then(|last| last.clone())
    }

    /// The options it was made with.
    pub fn options(&self) -> &WriteOptions {
        &self.opts
    }

    /// Sends `batch`, retrying as the module explains, until it gets through or cannot.
    ///
    /// # Errors
    /// A refusal, or retries that ran out of time.
    pub async fn send(
        &self,
        table: &SeriesTable,
        batch: &Batch,
        encoder: &mut Encoder,
    ) -> Result<Delivery, WriteError> {
        self.deliver(batch.sample_count(), |protocol| {
            (encoder.encode(table, batch, protocol).to_vec(), protocol)
        })
        .await
    }

    /// Sends an encoded 1.0 message as it is (the metadata request), with the same retries.
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn send_message(&self, body: Vec<u8>) -> Result<Delivery, WriteError> {
        self.deliver(0, |_| (body.clone(), Protocol::V1)).await
    }

    /// The retry loop: `body` encodes the request for the protocol in use (and says which
    /// protocol it encoded), again after a fallback.
    async fn deliver(
        &self,
        samples: usize,
        mut body: impl FnMut(Protocol) -> (Vec<u8>, Protocol),
    ) -> Result<Delivery, WriteError> {
        let started = Instant::now();
        let mut backoff = Backoff::new(self.opts.min_backoff, self.opts.max_backoff);
        let mut delivery = Delivery::default();
        let mut attempts = 0;
        loop {
            let (bytes, protocol) = body(self.protocol());
            let size = bytes.len();
            attempts += 1;
            let (why, after) = match self.post(bytes, protocol, samples).await? {
                Outcome::Done => {
                    delivery.bytes = size;
                    return Ok(delivery);
                }
                Outcome::FallBack(reason) => {
                    self.fall_back(reason);
                    continue;
                }
                Outcome::Retry { why, after } => (why, after),
            };
            if let Ok(mut last) = self.last_failure.lock() {
                *last = Some(why.clone());
            }
            let elapsed = started.elapsed();
            if elapsed >= self.opts.retry_for {
                return Err(WriteError::GaveUp {
                    attempts,
                    elapsed,
                    last: why,
                });
            }
            let wait = backoff.wait(after, self.random());
            delivery.retries += 1;
            tokio::time::sleep(wait.min(self.opts.retry_for.saturating_sub(elapsed))).await;
        }
    }

    /// A number in `[0, 1)` for the backoff's jitter.
    fn random(&self) -> f64 {
        self.rng
            .lock()
            .map_or(0.5, |mut rng| rng.random_range(0.0..1.0))
    }

    async fn post(
        &self,
        body: Vec<u8>,
        protocol: Protocol,
        samples: usize,
    ) -> Result<Outcome, WriteError> {
        let (content_type, version) = match protocol {
            Protocol::V1 => ("application/x-protobuf", "0.1.0"),
            Protocol::V2 => (
                "application/x-protobuf;proto=io.prometheus.write.v2.Request",
                "2.0.0",
            ),
        };
        let mut request = self
            .http
            .post(self.url.clone())
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_ENCODING, "snappy")
            .header("X-Prometheus-Remote-Write-Version", version)
            .body(body);
        if let Some((user, password)) = &self.opts.basic_auth {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(token) = &self.opts.bearer_token {
            request = request.bearer_auth(token);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) if is_tls_failure(&e) => return Err(WriteError::Tls(error_chain(&e))),
            Err(e) => {
                if let Some(refused) = redirect::refused(&e) {
                    return Err(WriteError::Redirect {
                        status: refused.status,
                        location: Some(refused.location.clone()),
                        problem: refused.problem,
                    });
                }
                return Ok(Outcome::Retry {
                    why: error_chain(&e),
                    after: None,
                });
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_success() {
            if protocol == Protocol::V2 {
                if !WRITTEN_HEADERS.iter().any(|h| headers.contains_key(*h)) {
                    // Spec 2.0: treat as 415; a 1.0 receiver wrote nothing.
                    return Ok(Outcome::FallBack(FallbackReason::NoWrittenHeaders {
                        status: status.as_u16(),
                    }));
                }
                let written = headers
                    .get(SAMPLES_WRITTEN)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(0);
                if written < samples as u64 {
                    return Err(WriteError::PartialWrite {
                        status: status.as_u16(),
                        sent: samples,
                        written,
                    });
                }
            }
            return Ok(Outcome::Done);
        }
        if status.is_redirection() {
            // What the redirect policy handed back (redirect.rs).
            let location = headers
                .get(header::LOCATION)
                .map(header::HeaderValue::as_bytes);
            return Err(WriteError::Redirect {
                status: status.as_u16(),
                location: redirect::location(response.url(), location),
                problem: RedirectProblem::NotFollowed,
            });
        }
        let body = read_error_body(response).await;
        if status == StatusCode::UNSUPPORTED_MEDIA_TYPE && protocol == Protocol::V2 {
            return Ok(Outcome::FallBack(FallbackReason::UnsupportedMediaType));
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Ok(Outcome::Retry {
                why: format!("HTTP {}: {body}", status.as_u16()),
                after: headers
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after),
            });
        }
        Err(WriteError::Rejected {
            status: status.as_u16(),
            body,
        })
    }
}

/// An error answer's body, made printable, read up to [`MAX_ERROR_BODY`].
async fn read_error_body(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_ERROR_BODY {
                    // The rest is not read: dropping the answer closes its connection.
                    return printable_start(&body);
                }
            }
            Ok(None) => return printable(&body),
            Err(e) if body.is_empty() => {
                return format!("(the body could not be read: {})", error_chain(&e));
            }
            Err(e) => {
                return format!(
                    "{} (the rest of the body could not be read: {})",
                    printable(&body),
                    error_chain(&e)
                );
            }
        }
    }
}

/// A `Retry-After` value: whole seconds (more than fit in a `u64` are as many as fit), or
/// an HTTP date (how long until then).
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let wait = at.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// Whether a request failed in the TLS handshake (an unknown certificate authority, a name
/// mismatch, an expired certificate): retrying cannot fix that.
fn is_tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    // An io::Error's `source` skips the error it wraps (connectors nest them), so look into
    // the wrapped one as well as further down the chain.
    let wrapped = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .is_some_and(|inner| is_tls_failure(inner));
    wrapped || e.source().is_some_and(is_tls_failure)
}

/// An error with its causes, which is where reqwest puts the useful part.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30);
        let text = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&soon)
            .unwrap();
        let wait = parse_retry_after(&text).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{text}: {wait:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX)),
            "a number too big for u64 is a long wait, not none"
        );
    }

    #[test]
    fn bad_urls_and_headers_are_refused() {
        let mut o = WriteOptions::new("ftp://x/y");
        assert!(matches!(Client::new(&o), Err(WriteError::Url { .. })));
        o.url = "http://127.0.0.1:1/api/v1/write".into();
        o.headers = vec![("X-Ok".into(), "a\nb".into())];
        assert!(matches!(Client::new(&o), Err(WriteError::Header(..))));
        o.headers.clear();
        o.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(matches!(Client::new(&o), Err(WriteError::CaFile { .. })));
    }
}
