//! What a remote writer is told: where to send, which protocol, how hard to try.

use std::{fmt, path::PathBuf, str::FromStr, time::Duration};

/// The headers the protocol sets, which options may not override (spec 2.0; 1.0 says senders
/// "MUST NOT allow users to configure them"), lowercase.
pub(crate) const RESERVED_HEADERS: [&str; 4] = [
    "content-type",
    "content-encoding",
    "user-agent",
    "x-prometheus-remote-write-version",
];

/// The Remote Write message a sender speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Remote Write 1.0: `prometheus.WriteRequest`. Every receiver speaks it.
    #[default]
    V1,
    /// Remote Write 2.0: `io.prometheus.write.v2.Request`, with a symbols table and metadata
    /// on every series (2.0-rc.4 wire format). A receiver that answers 415, or 2xx without
    /// the `X-Prometheus-Remote-Write-*-Written` headers, is written to with 1.0 instead.
    V2,
}

impl Protocol {
    /// `v1` or `v2`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol name that is not `v1`, `1.0`, `v2` or `2.0`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown remote write protocol {0:?} (expected v1 or v2)")]
pub struct UnknownProtocol(pub String);

impl FromStr for Protocol {
    type Err = UnknownProtocol;

    /// ```
    /// use promgen::remote_write::Protocol;
    /// assert_eq!("2.0".parse(), Ok(Protocol::V2));
    /// assert!("v3".parse::<Protocol>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v1" | "1" | "1.0" => Ok(Self::V1),
            "v2" | "2" | "2.0" => Ok(Self::V2),
            other => Err(UnknownProtocol(other.to_owned())),
        }
    }
}

/// Everything a remote writer needs besides the series: the receiver, the protocol,
/// credentials, batching and retries. The defaults follow Prometheus's own sender.
///
/// ```
/// use promgen::remote_write::{Protocol, WriteOptions};
/// let opts = WriteOptions::new("http://127.0.0.1:9090/api/v1/write");
/// assert_eq!((opts.protocol, opts.max_samples_per_send, opts.concurrency), (Protocol::V1, 2000, 4));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// The receiver's URL, `http://` or `https://`.
    pub url: String,
    /// The message to send.
    pub protocol: Protocol,
    /// Extra headers (a tenant id such as `X-Scope-OrgID`, say). The protocol's own headers
    /// (`Content-Type`, `Content-Encoding`, `User-Agent`, `X-Prometheus-Remote-Write-Version`)
    /// cannot be overridden.
    pub headers: Vec<(String, String)>,
    /// HTTP basic authentication: user name and password.
    pub basic_auth: Option<(String, String)>,
    /// A bearer token for the `Authorization` header.
    pub bearer_token: Option<String>,
    /// A PEM file of extra CA certificates to trust for `https://`.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate (testing only).
    pub insecure_skip_verify: bool,
    /// The limit on one HTTP request.
    pub timeout: Duration,
    /// The most samples in one request.
    pub max_samples_per_send: usize,
    /// Requests in flight at once. Series are split into this many shards, each sending
    /// its requests one after another, so each series' samples arrive in order.
    pub concurrency: usize,
    /// The first wait before a retry; it doubles up to `max_backoff`, with jitter, and no
    /// wait is shorter, whatever the receiver's `Retry-After` says (a zero is taken as 1 ms).
    pub min_backoff: Duration,
    /// The longest wait between retries (a `Retry-After` header may ask for longer, up to a
    /// minute: `MAX_RETRY_AFTER`).
    pub max_backoff: Duration,
    /// How long to keep retrying one request before giving up.
    pub retry_for: Duration,
    /// The most sample time one round of batches spans: every shard sends what it holds at
    /// least this often in sample time, so that no shard runs far ahead of another. The
    /// default 5 minutes suits any receiver (Prometheus refuses samples over an hour older
    /// than the newest in its head, unless its out-of-order window takes them); a receiver
    /// with a wide out-of-order window (promgen-test's) can take longer rounds, and
    /// fewer, fuller requests.
    pub round_span: Duration,
    /// How long a stopped write goes on sending what is pending and the stale markers
    /// (default [`RemoteWriter::STOP_GRACE`](super::RemoteWriter::STOP_GRACE), 1 s): a load
    /// of a million series has a million stale markers to send.
    pub stop_grace: Duration,
}

impl WriteOptions {
    /// The default options for `url`.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            protocol: Protocol::V1,
            headers: Vec::new(),
            basic_auth: None,
            bearer_token: None,
            ca_file: None,
            insecure_skip_verify: false,
            timeout: Duration::from_secs(30),
            max_samples_per_send: 2000,
            concurrency: 4,
            min_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_secs(5),
            retry_for: Duration::from_secs(300),
            round_span: Duration::from_secs(5 * 60),
            stop_grace: Duration::from_secs(1),
        }
    }

    /// The URL the origin's `remoteWriter.host` means: `http://HOST/api/v1/write`.
    ///
    /// ```
    /// use promgen::remote_write::WriteOptions;
    /// assert_eq!(WriteOptions::url_for_host("localhost:9090"), "http://localhost:9090/api/v1/write");
    /// ```
    #[must_use]
    pub fn url_for_host(host: &str) -> String {
        format!("http://{host}/api/v1/write")
    }
}
