//! promgen's own metrics on a `/metrics` of their own (`--self-metrics ADDR`), so that a
//! load generator can be watched by the Prometheus it loads.

use axum::{Router, http::header, response::IntoResponse, routing::get};
use std::{net::SocketAddr, sync::Arc};
use tokio::{net::TcpListener, task::JoinHandle};

/// Serves `/metrics` on `addr` (port 0 picks a free one) in the background, each scrape
/// answered with what `render` returns (text exposition); the task ends when aborted.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (addr, task) = promgen::server::spawn_self_metrics("127.0.0.1:0", || "up 1\n".to_owned()).await?;
/// assert_ne!(addr.port(), 0);
/// task.abort();
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// The address cannot be bound.
pub async fn spawn_self_metrics(
    addr: impl tokio::net::ToSocketAddrs,
    render: impl Fn() -> String + Send + Sync + 'static,
) -> std::io::Result<(SocketAddr, JoinHandle<std::io::Result<()>>)> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let render = Arc::new(render);
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let render = Arc::clone(&render);
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    render(),
                )
                    .into_response()
            }
        }),
    );
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((addr, task))
}
