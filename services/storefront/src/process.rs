//! The storefront process: settings (exit 64 when they are wrong, like every Plaza service),
//! telemetry, the server, and SIGTERM with a grace period, all by `plaza_service::run`.

use std::process::ExitCode;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{DEFAULT_SETTINGS, NAME, Settings, serve};

/// The storefront binary's `main`.
pub fn main() -> ExitCode {
    plaza_service::run(
        NAME,
        DEFAULT_SETTINGS,
        Settings::load,
        |settings: Settings, shutdown| async move {
            let listener = TcpListener::bind(settings.listen)
                .await
                .with_context(|| format!("cannot listen on {}", settings.listen))?;
            serve(listener, settings, shutdown).await
        },
    )
}
