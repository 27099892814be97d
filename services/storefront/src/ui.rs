//! The browser UI: the files of `ui_dir` with the single-page-app fallback, or a built-in
//! page while no UI is built.

use std::{
    convert::Infallible,
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{Method, StatusCode, header::ALLOW},
    response::{Html, IntoResponse, Response},
};
use tower::{Service, ServiceExt};
use tower_http::services::{ServeDir, ServeFile};

use crate::AppState;

/// Shown on `/` while `ui_dir` has no `index.html`.
const HOME_PAGE: &str = include_str!("pages/home.html");

/// Every path no route names. Whether the UI is built is looked up per request (one `stat`),
/// so building it while the storefront runs needs no restart.
pub(crate) async fn serve(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return (StatusCode::METHOD_NOT_ALLOWED, [(ALLOW, "GET, HEAD")]).into_response();
    }
    let path = request.uri().path();
    if outside_the_ui(path) {
        return not_found();
    }
    let index = state.ui_dir.join("index.html");
    if is_file(&index).await {
        let files = ServeDir::new(&state.ui_dir).fallback(spa_fallback(index));
        let Ok(response) = files.oneshot(request).await;
        response.map(Body::new)
    } else if path == "/" || path == "/index.html" {
        Html(HOME_PAGE).into_response()
    } else {
        not_found()
    }
}

pub(crate) async fn log_what_is_served(ui_dir: &Path) {
    if is_file(&ui_dir.join("index.html")).await {
        tracing::info!(ui_dir = %ui_dir.display(), "serving the UI");
    } else {
        tracing::info!(
            ui_dir = %ui_dir.display(),
            "no index.html in ui_dir; / serves the built-in page until the UI is built"
        );
    }
}

pub(crate) fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// The UI's client-side routes are paths without a file extension: they get `index.html`
/// and the UI's router shows the page. A path with an extension names a file that does not
/// exist, and `index.html` in place of a script or image would only hide the mistake.
fn spa_fallback(
    index: PathBuf,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone {
    tower::service_fn(move |request: Request| {
        let index = index.clone();
        async move {
            if names_a_file(request.uri().path()) {
                return Ok(not_found());
            }
            let Ok(response) = ServeFile::new(index).oneshot(request).await;
            Ok(response.map(Body::new))
        }
    })
}

/// Paths that belong to Envoy's API routes or to the docs: a mistake there must be a 404,
/// never the UI's page.
fn outside_the_ui(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path.starts_with("/docs/")
}

fn names_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

async fn is_file(path: &Path) -> bool {
    tokio::fs::metadata(path)
        .await
        .is_ok_and(|metadata| metadata.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_an_extension_names_a_file() {
        assert!(names_a_file("/app.js"));
        assert!(names_a_file("/assets/logo.v2.png"));
        assert!(!names_a_file("/"));
        assert!(!names_a_file("/pages/shopping"));
        assert!(!names_a_file("/pages/shopping/"));
    }

    #[test]
    fn api_and_docs_paths_are_not_the_ui() {
        assert!(outside_the_ui("/api/v1/nothing"));
        assert!(outside_the_ui("/docs/nothing/here"));
        assert!(!outside_the_ui("/apiary"));
        assert!(!outside_the_ui("/pages/docs"));
    }
}
