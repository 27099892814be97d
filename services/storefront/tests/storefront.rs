//! The storefront as Envoy and a browser see it: an in-process server on port 0 called over
//! HTTP, and the real binary for exit codes and signals. Swagger UI is a temp directory of
//! stand-in files, so the tests need no npm.

// Test helpers panic on purpose: a failed set-up is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use reqwest::{Client, StatusCode, header};
use storefront::Settings;
use tempfile::TempDir;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

const BINARY: &str = env!("CARGO_BIN_EXE_storefront");

struct Server {
    base: String,
    client: Client,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(ui_dir: &Path, swagger_ui_dir: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let settings = Settings {
            listen: address,
            ui_dir: ui_dir.to_owned(),
            swagger_ui_dir: swagger_ui_dir.to_owned(),
        };
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(storefront::serve(listener, settings, shutdown.clone()));
        Self {
            base: format!("http://{address}"),
            client: Client::new(),
            shutdown,
            task,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        (response.status(), response.text().await.unwrap())
    }
}

fn header_of(response: &reqwest::Response, name: header::HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

fn write(dir: &Path, name: &str, contents: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// A temp directory holding a stand-in for every file of swagger-ui-dist the page loads, and
/// the package's petstore initializer, which must not be served.
fn fake_swagger_ui() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "swagger-ui.css", "/* fake swagger-ui.css */");
    write(
        dir.path(),
        "swagger-ui-bundle.js",
        "/* fake swagger-ui-bundle.js */",
    );
    write(
        dir.path(),
        "swagger-ui-standalone-preset.js",
        "/* fake preset */",
    );
    write(dir.path(), "favicon-32x32.png", "fake png");
    write(
        dir.path(),
        "swagger-initializer.js",
        "url: \"https://petstore.swagger.io/v2/swagger.json\"",
    );
    dir
}

fn nowhere() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("node_modules/swagger-ui-dist");
    (dir, missing)
}

#[tokio::test]
async fn healthz_answers_ok() {
    let (_dir, missing) = nowhere();
    let server = Server::start(&missing, &missing).await;
    assert_eq!(
        server.get_text("/healthz").await,
        (StatusCode::OK, "ok".to_owned())
    );
}

#[tokio::test]
async fn without_a_built_ui_the_home_page_links_to_the_docs() {
    let (_dir, missing) = nowhere();
    let server = Server::start(&missing.join("web/dist"), &missing).await;

    let response = server.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header_of(&response, header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-cache");
    let page = response.text().await.unwrap();
    assert!(page.contains("<title>Plaza</title>"), "{page}");
    assert!(page.contains(r#"href="/docs""#), "{page}");
    assert!(page.contains("/api/v1/"), "{page}");

    // No UI, no client-side routes to fall back for.
    assert_eq!(
        server.get("/pages/shopping").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_built_ui_is_served_with_the_single_page_app_fallback() {
    let ui = tempfile::tempdir().unwrap();
    write(
        ui.path(),
        "index.html",
        "<!doctype html><title>Plaza UI</title>",
    );
    write(ui.path(), "app.js", "console.log('plaza');");
    write(ui.path(), "assets/logo.svg", "<svg/>");
    let (_dir, missing) = nowhere();
    let server = Server::start(ui.path(), &missing).await;

    for path in ["/", "/index.html", "/pages/shopping", "/orders/123/events"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header_of(&response, header::CACHE_CONTROL),
            "no-cache",
            "{path}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("<title>Plaza UI</title>"), "{path}: {body}");
    }

    let script = server.get("/app.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(header_of(&script, header::CONTENT_TYPE).contains("javascript"));
    assert_eq!(script.text().await.unwrap(), "console.log('plaza');");
    assert_eq!(server.get_text("/assets/logo.svg").await.1, "<svg/>");

    // A missing file is a 404, not the page; so are mistakes on the API and docs paths.
    for path in [
        "/missing.js",
        "/assets/gone.png",
        "/api/v1/nothing",
        "/docs/no/such/file",
    ] {
        let (status, body) = server.get_text(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains("Plaza UI"), "{path}: {body}");
    }

    let post = server
        .client
        .post(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_openapi_document_describes_the_rest_api() {
    let (_dir, missing) = nowhere();
    let server = Server::start(&missing, &missing).await;

    let response = server.get("/docs/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header_of(&response, header::CONTENT_TYPE),
        "application/json"
    );
    assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-cache");
    let document: serde_json::Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.0.3");
    let paths = document["paths"].as_object().unwrap();
    assert!(!paths.is_empty());
    assert!(paths.contains_key("/api/v1/catalog"), "{:?}", paths.keys());
}

#[tokio::test]
async fn the_docs_page_loads_swagger_ui_and_the_document() {
    let swagger = fake_swagger_ui();
    let (_dir, missing) = nowhere();
    let server = Server::start(&missing, swagger.path()).await;

    for path in ["/docs", "/docs/"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(header_of(&response, header::CONTENT_TYPE).starts_with("text/html"));
        assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-cache");
        let page = response.text().await.unwrap();
        for reference in [
            "/docs/swagger-ui.css",
            "/docs/swagger-ui-bundle.js",
            "/docs/swagger-ui-standalone-preset.js",
            "/docs/openapi.json",
        ] {
            assert!(page.contains(reference), "{path} lacks {reference}: {page}");
        }
        assert!(!page.contains("petstore.swagger.io"), "{page}");
    }

    let bundle = server.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), StatusCode::OK);
    assert!(header_of(&bundle, header::CONTENT_TYPE).contains("javascript"));
    assert_eq!(
        bundle.text().await.unwrap(),
        "/* fake swagger-ui-bundle.js */"
    );
    let css = server.get("/docs/swagger-ui.css").await;
    assert!(header_of(&css, header::CONTENT_TYPE).starts_with("text/css"));
    assert_eq!(
        server.get("/docs/favicon-32x32.png").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        server
            .get("/docs/swagger-ui-standalone-preset.js")
            .await
            .status(),
        StatusCode::OK
    );

    // Only the files the page loads: not the package's petstore initializer.
    assert_eq!(
        server.get("/docs/swagger-initializer.js").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn without_swagger_ui_the_docs_answer_503_saying_to_run_npm_ci() {
    let (dir, missing) = nowhere();
    let server = Server::start(&missing, &missing).await;

    for path in ["/docs", "/docs/"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(header_of(&response, header::CONTENT_TYPE).starts_with("text/html"));
        let page = response.text().await.unwrap();
        let install = format!("cd {} &amp;&amp; npm ci", dir.path().display());
        assert!(page.contains(&install), "{page}");
        assert!(page.contains("swagger-ui-dist"), "{page}");
    }
    // The document does not need Swagger UI.
    assert_eq!(
        server.get("/docs/openapi.json").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn cancelling_the_shutdown_token_stops_the_server() {
    let (_dir, missing) = nowhere();
    let server = Server::start(&missing, &missing).await;
    assert_eq!(server.get("/healthz").await.status(), StatusCode::OK);

    server.shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(10), server.task)
        .await
        .expect("the server did not stop within 10 s");
    stopped.unwrap().unwrap();
}

#[tokio::test]
async fn a_bad_configuration_exits_with_64_naming_the_key() {
    let output = Command::new(BINARY)
        .env_remove("PLAZA_CONFIG")
        .env("PLAZA_STOREFRONT__LISTEN", "nonsense")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("listen"), "{stderr}");
}

#[tokio::test]
async fn sigterm_stops_the_binary_with_exit_code_0() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = Command::new(BINARY)
        .env_remove("PLAZA_CONFIG")
        .env("PLAZA_STOREFRONT__LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let client = Client::new();
    let healthz = format!("http://127.0.0.1:{port}/healthz");
    plaza_testkit::eventually(Duration::from_secs(20), || {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the storefront exited before it served: {status}");
        }
        let request = client.get(&healthz).send();
        async move { (request.await.ok()?.status() == StatusCode::OK).then_some(()) }
    })
    .await
    .expect("the storefront serves /healthz");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = plaza_testkit::eventually(Duration::from_secs(20), || {
        let exited = child.try_wait().unwrap();
        async move { exited }
    })
    .await
    .expect("the storefront stops after SIGTERM");
    assert_eq!(status.code(), Some(0));
}
