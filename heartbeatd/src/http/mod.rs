//! The HTTP listener of `metrics_listen` (or `--metrics-listen`):
//! `/metrics` for Prometheus, `/` the live status page, `/status.json` its
//! data. Read-only: nothing that changes the cluster is reachable here.
//!
//! Served by hyper's HTTP/1 server on the daemon's tokio runtime (hyper is
//! the HTTP implementation under axum and most of tokio's ecosystem; with
//! three fixed read-only routes, a router on top would add nothing). Every
//! handler reads the snapshot the engine publishes, so the engine never
//! waits on a client. A slow or hostile client is bounded:
//! [`HttpLimits`] caps connections (the surplus is closed at once), header
//! size, the time to send a request's head, and a connection's lifetime.

pub mod recent;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use heartbeat_core::config::Config;
use heartbeat_core::control::StatusView;
use heartbeat_core::runtime::Cluster;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::registry::Registry;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::metrics::{render, DaemonMetrics};
use recent::{Recent, RecentEvent, Timeline};

/// The status page: one self-contained document (no external assets).
const PAGE: &str = include_str!("page.html");

/// Bounds on HTTP clients.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// Connections served at once; more are closed as soon as accepted.
    pub max_connections: usize,
    /// Bytes a request head may take (hyper answers 431 beyond it).
    pub max_head_bytes: usize,
    /// Time to send a complete request head.
    pub head_timeout: Duration,
    /// Longest life of one connection, keep-alive included.
    pub connection_lifetime: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: 64,
            max_head_bytes: 16 * 1024,
            head_timeout: Duration::from_secs(5),
            connection_lifetime: Duration::from_secs(60),
        }
    }
}

/// What the handlers read.
pub struct HttpState {
    registry: Registry,
    cluster: Arc<Cluster>,
    config: Arc<Config>,
    recent: Arc<Recent>,
}

/// The listener, bound and ready to serve.
pub struct HttpServer {
    listener: TcpListener,
    state: Arc<HttpState>,
    limits: HttpLimits,
}

impl HttpServer {
    /// Binds `address` for the node `cluster` (configured by `config`)
    /// with its `metrics`; `recent` is filled by [`recent::record_events`]
    /// and [`recent::sample_links`].
    pub async fn bind(
        address: SocketAddr,
        cluster: Arc<Cluster>,
        config: Arc<Config>,
        metrics: &DaemonMetrics,
        recent: Arc<Recent>,
    ) -> std::io::Result<HttpServer> {
        let listener = TcpListener::bind(address).await?;
        let registry = metrics.registry(Arc::clone(&cluster), Arc::clone(&config));
        Ok(HttpServer {
            listener,
            state: Arc::new(HttpState {
                registry,
                cluster,
                config,
                recent,
            }),
            limits: HttpLimits::default(),
        })
    }

    /// The bound address (the port, when `:0` was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the task is aborted.
    pub async fn serve(self) {
        let slots = Arc::new(Semaphore::new(self.limits.max_connections));
        loop {
            let (stream, _) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE and friends: let descriptors free up instead of
                    // spinning on a listener that stays readable.
                    tracing::warn!("metrics listener: cannot accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                continue; // dropping the stream closes it
            };
            let state = Arc::clone(&self.state);
            let limits = self.limits;
            tokio::spawn(async move {
                let _slot = slot;
                let service = hyper::service::service_fn(move |request| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, Infallible>(respond(&state, &request)) }
                });
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.head_timeout)
                    .max_buf_size(limits.max_head_bytes);
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(limits.connection_lifetime, connection).await;
            });
        }
    }
}

/// The answer to one request (its body is never read).
fn respond(state: &HttpState, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut r = reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "read-only\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    match request.uri().path() {
        "/" => {
            let mut r = reply(StatusCode::OK, "text/html; charset=utf-8", PAGE);
            r.headers_mut().insert(
                "content-security-policy",
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'unsafe-inline'; \
                     style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
                ),
            );
            r
        }
        "/metrics" => {
            let openmetrics = request
                .headers()
                .get(ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("application/openmetrics-text"));
            let content_type = if openmetrics {
                "application/openmetrics-text; version=1.0.0; charset=utf-8"
            } else {
                "text/plain; version=0.0.4; charset=utf-8"
            };
            reply(
                StatusCode::OK,
                content_type,
                render(&state.registry, openmetrics),
            )
        }
        "/status.json" => reply(
            StatusCode::OK,
            "application/json",
            status_json(state).unwrap_or_default(),
        ),
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    }
}

/// A response with `body`, never cached.
fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The page's data: the status, the link timelines, the recent events.
#[derive(Serialize)]
struct StatusJson {
    status: StatusView,
    timeline: Timeline,
    events: Vec<RecentEvent>,
}

fn status_json(state: &HttpState) -> serde_json::Result<String> {
    let now = tokio::time::Instant::now().into_std();
    serde_json::to_string(&StatusJson {
        status: StatusView::from_status(&state.cluster.status(), &state.config, now),
        timeline: state.recent.timeline(),
        events: state.recent.events(),
    })
}
