//! The API docs: Swagger UI from the installed `swagger-ui-dist`, with our own page (the
//! package's `swagger-initializer.js` loads the petstore), and the OpenAPI document.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context;
use axum::{
    body::Body,
    extract::{Path as UrlPath, Request, State},
    http::{
        StatusCode,
        header::{CACHE_CONTROL, CONTENT_TYPE},
    },
    response::{Html, IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::{AppState, ui::not_found};

/// The files of `swagger-ui-dist` the page loads; nothing else of the package is served.
const ASSETS: [&str; 4] = [
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
];

const PAGE: &str = include_str!("pages/docs.html");
const NOT_INSTALLED_PAGE: &str = include_str!("pages/docs-missing.html");

/// The OpenAPI document of Plaza's REST API, from the same descriptor set Envoy transcodes
/// with.
pub(crate) fn api_document() -> anyhow::Result<serde_json::Value> {
    plaza_openapi::openapi(plaza_proto::FILE_DESCRIPTOR_SET)
        .context("generating the OpenAPI document from the protos")
}

/// `/docs` and `/docs/`. Whether Swagger UI is installed is looked up per request, so
/// `npm ci` while the storefront runs needs no restart.
pub(crate) async fn page(State(state): State<Arc<AppState>>) -> Response {
    match missing_asset(&state.swagger_ui_dir).await {
        None => Html(PAGE).into_response(),
        Some(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(not_installed_page(&state.swagger_ui_dir)),
        )
            .into_response(),
    }
}

pub(crate) async fn openapi(State(state): State<Arc<AppState>>) -> Response {
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-cache"),
        ],
        state.openapi.clone(),
    )
        .into_response()
}

/// `/docs/<file>`: one of [`ASSETS`], from `swagger_ui_dir`.
pub(crate) async fn asset(
    State(state): State<Arc<AppState>>,
    UrlPath(file): UrlPath<String>,
    request: Request,
) -> Response {
    if !ASSETS.contains(&file.as_str()) {
        return not_found();
    }
    let Ok(response) = ServeFile::new(state.swagger_ui_dir.join(file))
        .oneshot(request)
        .await;
    response.map(Body::new)
}

pub(crate) async fn warn_if_not_installed(dir: &Path) {
    if let Some(file) = missing_asset(dir).await {
        tracing::warn!(
            missing = %file.display(),
            install = install_command(dir),
            "Swagger UI is not installed; /docs answers 503 until it is"
        );
    }
}

async fn missing_asset(dir: &Path) -> Option<PathBuf> {
    for name in ASSETS {
        let file = dir.join(name);
        if !tokio::fs::metadata(&file)
            .await
            .is_ok_and(|metadata| metadata.is_file())
        {
            return Some(file);
        }
    }
    None
}

/// `cd <package> && npm ci` when `dir` is where npm puts `swagger-ui-dist`, as it is by
/// default (`services/storefront/docs/node_modules/swagger-ui-dist`).
fn install_command(dir: &Path) -> String {
    if dir.ends_with("node_modules/swagger-ui-dist") {
        let package = dir.parent().and_then(Path::parent);
        match package {
            Some(package) if !package.as_os_str().is_empty() => {
                format!("cd {} && npm ci", package.display())
            }
            _ => "npm ci".to_owned(),
        }
    } else {
        format!(
            "npm ci   (in the npm package whose node_modules/swagger-ui-dist is {})",
            dir.display()
        )
    }
}

fn not_installed_page(dir: &Path) -> String {
    NOT_INSTALLED_PAGE
        .replace(
            "{{SWAGGER_UI_DIR}}",
            &escape_html(&dir.display().to_string()),
        )
        .replace("{{INSTALL}}", &escape_html(&install_command(dir)))
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_install_command_names_the_npm_package_directory() {
        assert_eq!(
            install_command(Path::new(
                "services/storefront/docs/node_modules/swagger-ui-dist"
            )),
            "cd services/storefront/docs && npm ci"
        );
        assert_eq!(
            install_command(Path::new("node_modules/swagger-ui-dist")),
            "npm ci"
        );
        assert!(install_command(Path::new("/srv/swagger")).contains("/srv/swagger"));
    }

    #[test]
    fn paths_are_escaped_in_the_page() {
        let page = not_installed_page(Path::new("/srv/<b>&"));
        assert!(page.contains("/srv/&lt;b&gt;&amp;"));
        assert!(!page.contains("{{"));
    }
}
