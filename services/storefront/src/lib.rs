//! Plaza's storefront: the small static web server behind Envoy (port 8090). Envoy sends it
//! every path that is not the API, so the browser finds the UI, the API docs and the API on
//! one origin and needs no CORS. It serves:
//!
//! - `/`: the browser UI from `ui_dir`, with the single-page-app fallback (a path that names
//!   no file, such as `/pages/shopping`, gets `index.html`; a missing `/app.js` stays a 404).
//!   While `ui_dir` has no `index.html`, `/` is a small built-in page pointing at the docs.
//! - `/docs`: Swagger UI, its files read from the installed npm package `swagger-ui-dist`
//!   (`swagger_ui_dir`), so the binary stays small; a clear 503 while it is not installed.
//! - `/docs/openapi.json`: the OpenAPI document, generated once at start-up from the protos'
//!   descriptor set by `plaza-openapi`, so the docs cannot drift from what Envoy serves.
//! - `/healthz`: `ok`, for Envoy, Kubernetes and `make run`.
//!
//! It has no database and no NATS, so it does not use `plaza_service`'s gRPC service process,
//! only its settings, telemetry and shutdown.

mod docs;
mod process;
mod ui;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context;
use axum::{
    Router,
    body::Bytes,
    extract::Request,
    http::{
        HeaderValue,
        header::{CACHE_CONTROL, CONTENT_TYPE},
    },
    response::Response,
    routing::get,
};
use plaza_service::settings::{self, ConfigError};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::{
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnFailure, TraceLayer},
};

pub use process::main;

/// In logs, traces and the environment prefix (`PLAZA_STOREFRONT__...`).
pub const NAME: &str = "storefront";
/// `config/default.toml`, embedded so the binary runs from anywhere.
pub const DEFAULT_SETTINGS: &str = include_str!("../config/default.toml");

/// The storefront's own settings; relative paths are relative to the working directory.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Where the HTTP server listens; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// The built browser UI: `index.html` and its assets.
    pub ui_dir: PathBuf,
    /// The `swagger-ui-dist` package directory, as npm installs it.
    pub swagger_ui_dir: PathBuf,
}

impl Settings {
    /// Embedded defaults, then the file named by `PLAZA_CONFIG`, then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        settings::load(NAME, DEFAULT_SETTINGS)
    }
}

/// What every request handler reads.
#[derive(Debug)]
struct AppState {
    ui_dir: PathBuf,
    swagger_ui_dir: PathBuf,
    /// The OpenAPI document, serialized once.
    openapi: Bytes,
}

/// The storefront's routes. Generates the OpenAPI document, so it fails only if the protos'
/// HTTP rules cannot be described, which is a bug to see at start-up rather than on `/docs`.
pub fn router(settings: &Settings) -> anyhow::Result<Router> {
    let openapi = serde_json::to_vec_pretty(&docs::api_document()?)
        .context("serializing the OpenAPI document")?;
    let state = Arc::new(AppState {
        ui_dir: settings.ui_dir.clone(),
        swagger_ui_dir: settings.swagger_ui_dir.clone(),
        openapi: Bytes::from(openapi),
    });
    Ok(Router::new()
        .route("/healthz", get(healthz))
        .route("/docs", get(docs::page))
        .route("/docs/", get(docs::page))
        .route("/docs/openapi.json", get(docs::openapi))
        .route("/docs/{file}", get(docs::asset))
        .fallback(ui::serve)
        .with_state(state)
        // Pages name their scripts and styles without a content hash, so a browser must
        // revalidate the pages to pick up a new UI; the assets they load may be cached.
        .layer(SetResponseHeaderLayer::if_not_present(
            CACHE_CONTROL,
            no_cache_for_html,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // A 503 of /docs without Swagger UI is a deployment mistake, not a crash.
                .on_failure(DefaultOnFailure::new().level(tracing::Level::WARN)),
        ))
}

/// Serves `router(&settings)` on `listener` until `shutdown` is cancelled, then lets the
/// requests in flight finish (the caller bounds how long).
pub async fn serve(
    listener: TcpListener,
    settings: Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let app = router(&settings)?;
    let address = listener
        .local_addr()
        .context("reading the listener's address")?;
    tracing::info!(
        %address,
        ui_dir = %settings.ui_dir.display(),
        swagger_ui_dir = %settings.swagger_ui_dir.display(),
        "storefront listening"
    );
    ui::log_what_is_served(&settings.ui_dir).await;
    docs::warn_if_not_installed(&settings.swagger_ui_dir).await;
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .context("serving HTTP")
}

async fn healthz() -> &'static str {
    "ok"
}

fn no_cache_for_html(response: &Response) -> Option<HeaderValue> {
    let html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    html.then(|| HeaderValue::from_static("no-cache"))
}

/// One span per request, joined to the caller's trace when Envoy passes one on.
fn request_span(request: &Request) -> tracing::Span {
    let span = tracing::info_span!(
        "http",
        method = %request.method(),
        path = %request.uri().path(),
    );
    plaza_service::telemetry::adopt_remote_parent(&span, request.headers());
    span
}
