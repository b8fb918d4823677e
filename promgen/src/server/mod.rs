//! The HTTP server: `GET /metrics` for Prometheus to scrape, and a control API to create,
//! change and delete series while it runs. Changes live in memory only.
//!
//! Usable from a test in three lines:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use promgen::{config::Config, server::Server};
//! let config = Config::parse("metrics:\n  - name: up\n    timeseries:\n      - series: '1 >> loop'\n", "inline").unwrap();
//! let server = Server::new(config.build_registry().unwrap()).spawn("127.0.0.1:0").await?;
//! // Point Prometheus (or curl) at server.url() + "/metrics".
//! # assert!(server.url().starts_with("http://127.0.0.1:"));
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod api;
mod scrape_stats;
mod self_metrics;

pub use scrape_stats::{ScrapeInterval, ScrapeReport, ScrapeStats};
pub use self_metrics::spawn_self_metrics;

use crate::{exposition::Format, registry::Registry};
use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// The registry shared by the handlers (and the test that started the server).
pub type SharedRegistry = Arc<Mutex<Registry>>;

/// Locks the registry. A handler that panicked while holding the lock cannot leave the
/// registry half-changed (every change is one call), so a poisoned lock is taken as is.
pub(crate) fn lock(registry: &SharedRegistry) -> MutexGuard<'_, Registry> {
    registry
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The default limit on a request body.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

#[derive(Clone)]
struct AppState {
    registry: SharedRegistry,
    token: Option<Arc<str>>,
    /// The largest request body accepted, for the 413's message.
    body_limit: usize,
    scrapes: Arc<ScrapeStats>,
    /// The size of the last scrape's body, to size the next one's buffer.
    last_body: Arc<AtomicUsize>,
}

/// A server over a [`Registry`].
pub struct Server {
    registry: SharedRegistry,
    token: Option<String>,
    body_limit: usize,
    scrapes: Arc<ScrapeStats>,
}

impl Server {
    /// A server exposing `registry`, with an open control API and a 64 KiB body limit.
    #[must_use]
    pub fn new(registry: Registry) -> Self {
        Self {
            registry: Arc::new(Mutex::new(registry)),
            token: None,
            body_limit: DEFAULT_BODY_LIMIT,
            scrapes: Arc::default(),
        }
    }

    /// Requires `Authorization: Bearer <token>` on the mutating routes.
    #[must_use]
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets the largest request body accepted (413 beyond).
    #[must_use]
    pub const fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The registry, to inspect or change it in process.
    #[must_use]
    pub fn registry(&self) -> SharedRegistry {
        Arc::clone(&self.registry)
    }

    /// What `/metrics` has served, counted as it serves.
    #[must_use]
    pub fn scrape_stats(&self) -> Arc<ScrapeStats> {
        Arc::clone(&self.scrapes)
    }

    /// The routes: `/metrics`, `/-/healthy` and `/api/v1/series`.
    pub fn router(&self) -> Router {
        let state = AppState {
            registry: Arc::clone(&self.registry),
            token: self.token.as_deref().map(Arc::from),
            body_limit: self.body_limit,
            scrapes: Arc::clone(&self.scrapes),
            last_body: Arc::new(AtomicUsize::new(0)),
        };
        Router::new()
            .route("/metrics", get(metrics))
            .route("/-/healthy", get(|| async { "promgen is Healthy.\n" }))
            .merge(api::routes())
            .layer(axum::middleware::from_fn_with_state(
                self.body_limit,
                refuse_announced_oversize,
            ))
            .layer(DefaultBodyLimit::max(self.body_limit))
            .with_state(state)
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the requests in flight.
    ///
    /// # Errors
    /// An I/O error from the listener.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Binds `addr` (port 0 picks a free one) and serves in the background.
    ///
    /// # Errors
    /// The address cannot be bound.
    pub async fn spawn(
        self,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> std::io::Result<RunningServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let registry = self.registry();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(self.serve(listener, async {
            let _ = rx.await;
        }));
        Ok(RunningServer {
            addr,
            registry,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A server running in the background; it stops when dropped or shut down.
pub struct RunningServer {
    addr: SocketAddr,
    registry: SharedRegistry,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// The bound address.
    #[must_use]
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The registry being served.
    #[must_use]
    pub fn registry(&self) -> SharedRegistry {
        Arc::clone(&self.registry)
    }

    /// Stops accepting, finishes the requests in flight, and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A body announced (`Content-Length`) beyond the limit gets its 413 at once, instead of
/// the server waiting for bytes it will refuse anyway. Every 413 says `Connection: close`:
/// the body was left unread, so the connection cannot carry another request, and a
/// keep-alive client that is not told sends its next request into a closed connection.
async fn refuse_announced_oversize(
    State(limit): State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut response = match announced {
        Some(n) if n > limit as u64 => api::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is {n} bytes; the limit is {limit}"),
        ),
        _ => next.run(request).await,
    };
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// `GET /metrics`: every series advances one tick; the format follows `Accept`.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    let began = std::time::Instant::now();
    let mut registry = lock(&state.registry);
    // The buffer is one allocation of about the size it will reach (the last body and a
    // little more; before any, 64 bytes a series): no copies as it grows, and a large block
    // the allocator can hand back whole when the body is sent. Grown by doubling from
    // nothing, a million series' 55 MB body was copied five times and left 40 MB resident.
    let hint = match state.last_body.load(Ordering::Relaxed) {
        0 => registry.len().saturating_mul(64),
        last => last.saturating_add(last / 16),
    };
    let mut body = Vec::with_capacity(hint);
    registry.scrape_into(&mut body, format, crate::time::now_ms());
    drop(registry);
    state.last_body.store(body.len(), Ordering::Relaxed);
    state.scrapes.record(began.elapsed(), body.len());
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response()
}
