use std::{future::Future, process::ExitCode};

use tokio_util::sync::CancellationToken;

use crate::{
    settings::{self, ConfigError, ProcessSettings},
    shutdown, telemetry,
};

/// sysexits' EX_CONFIG: the configuration is wrong; restarting will not help.
const EXIT_BAD_CONFIG: u8 = 64;

/// The whole life of a service process: loads its settings with `load` (exit 64 with a clear
/// message when they are wrong), starts telemetry, runs `app` until it ends or SIGTERM/SIGINT
/// plus the grace period, and turns the outcome into the exit code.
pub fn run<S, F, Fut>(
    service: &'static str,
    defaults: &'static str,
    load: impl FnOnce() -> Result<S, ConfigError>,
    app: F,
) -> ExitCode
where
    F: FnOnce(S, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let loaded = settings::load::<ProcessSettings>(service, defaults)
        .and_then(|process| Ok((process, load()?)));
    let (process, settings) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{service}: bad configuration: {error}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{service}: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let _telemetry = telemetry::init(service, &process.telemetry)?;
        let shutdown = shutdown::on_signal();
        let app = app(settings, shutdown.clone());
        tokio::pin!(app);
        let result = tokio::select! {
            result = &mut app => result,
            () = shutdown.cancelled() => {
                tokio::time::timeout(process.shutdown_grace, app)
                    .await
                    .unwrap_or_else(|_| Err(anyhow::anyhow!(
                        "did not stop within the grace period of {:?}",
                        process.shutdown_grace
                    )))
            }
        };
        if let Err(error) = &result {
            tracing::error!(
                error = format!("{error:#}"),
                "{service} stopped with an error"
            );
        }
        result
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{service}: {error:#}");
            ExitCode::FAILURE
        }
    }
}
