//! One generic service process. A service says what it is by implementing [`Service`]; this
//! module builds it, serves it, migrates it and runs its commands, the same way for all.

use std::process::ExitCode;

use futures::future::BoxFuture;
use plaza_auth::Guarded;
use plaza_events::Stream;
use serde::de::DeserializeOwned;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

use crate::{
    Infrastructure,
    grpc::Services,
    settings::{self, ServiceSettings},
};

/// What makes a Plaza service: its name, defaults, migrations, stream and API.
pub trait Service: 'static {
    /// In logs, traces and the environment prefix (`PLAZA_<NAME>__...`).
    const NAME: &'static str;
    /// The service's `config/default.toml`, embedded so the binary runs from anywhere.
    const DEFAULT_SETTINGS: &'static str;
    /// The stream the service publishes its events to.
    const STREAM: Stream;
    /// Settings of the service's own, beside the common [`ServiceSettings`].
    type Settings: DeserializeOwned + Send + 'static;

    fn migrations() -> &'static Migrator;

    /// The gRPC services to serve and the workers to run, wired to the infrastructure.
    fn components(
        settings: &Self::Settings,
        infrastructure: &Infrastructure,
    ) -> anyhow::Result<Components>;

    /// A command of the binary that needs no connections (customers' `issue-admin-token`),
    /// run before anything connects, with the arguments after its name; `None` for a name
    /// the service does not know.
    fn offline_command(_name: &str, _args: &[String]) -> Option<anyhow::Result<()>> {
        None
    }

    /// A command of the binary beside `serve` and `migrate` (ordering's
    /// `rebuild-projections`); `None` for a name the service does not know.
    fn command(
        _name: &str,
        _settings: &Self::Settings,
        _infrastructure: &Infrastructure,
    ) -> Option<BoxFuture<'static, anyhow::Result<()>>> {
        None
    }
}

/// Background work a service runs beside its API until shutdown, such as an event consumer.
pub type Worker = Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send>;

/// What a service runs: its gRPC API and its workers.
pub struct Components {
    pub(crate) api: Services,
    pub(crate) workers: Vec<Worker>,
}

impl std::fmt::Debug for Components {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Components")
            .field("api", &self.api.names)
            .field("workers", &self.workers.len())
            .finish()
    }
}

impl Components {
    /// Serves `service` behind its access table (see [`Infrastructure::guard`]), registered
    /// under `name` for health checks.
    pub fn serve<S>(service: Guarded<S>, name: &'static str) -> Self
    where
        S: tonic::codegen::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = std::convert::Infallible,
            > + tonic::server::NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        Self {
            api: Services {
                routes: tonic::service::Routes::new(service),
                names: vec![name],
            },
            workers: Vec::new(),
        }
    }

    pub fn with_worker(mut self, worker: Worker) -> Self {
        self.workers.push(worker);
        self
    }
}

/// A service, connected and bound, ready to run.
#[derive(Debug)]
pub struct Application<S: Service> {
    infrastructure: Infrastructure,
    settings: S::Settings,
}

impl<S: Service> Application<S> {
    pub async fn build(common: &ServiceSettings, settings: S::Settings) -> anyhow::Result<Self> {
        Ok(Self {
            infrastructure: Infrastructure::connect(S::NAME, common).await?,
            settings,
        })
    }

    /// The port the gRPC server listens on (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.infrastructure.port()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let components = S::components(&self.settings, &self.infrastructure)?;
        self.infrastructure
            .run(components, S::migrations(), S::STREAM, shutdown)
            .await
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.infrastructure.migrate(S::migrations()).await
    }

    /// Runs one of the service's own commands (see [`Service::command`]).
    pub async fn run_command(&self, name: &str) -> anyhow::Result<()> {
        match S::command(name, &self.settings, &self.infrastructure) {
            Some(command) => command.await,
            None => anyhow::bail!("unknown command {name:?}; use serve or migrate"),
        }
    }
}

/// Loads the service's settings: embedded defaults, the file named by `PLAZA_CONFIG`, then
/// the environment.
pub fn load_settings<S: Service>() -> Result<(ServiceSettings, S::Settings), settings::ConfigError>
{
    load_settings_with::<S>(&[])
}

/// Like [`load_settings`], with `overrides` over every source (see [`settings::load_with`]).
pub fn load_settings_with<S: Service>(
    overrides: &[(&str, &str)],
) -> Result<(ServiceSettings, S::Settings), settings::ConfigError> {
    Ok((
        settings::load_with(S::NAME, S::DEFAULT_SETTINGS, overrides)?,
        settings::load_with(S::NAME, S::DEFAULT_SETTINGS, overrides)?,
    ))
}

/// The service binary's `main`. Commands: none or `serve` runs the service; `migrate`
/// applies the migrations and exits; others are the service's own.
pub fn main<S: Service>() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some((name, rest)) = args.split_first()
        && let Some(outcome) = S::offline_command(name, rest)
    {
        return match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{}: {name}: {error:#}", S::NAME);
                ExitCode::FAILURE
            }
        };
    }
    crate::run(
        S::NAME,
        S::DEFAULT_SETTINGS,
        load_settings::<S>,
        |(common, settings): (ServiceSettings, S::Settings), shutdown| async move {
            let application = Application::<S>::build(&common, settings).await?;
            match std::env::args().nth(1).as_deref() {
                None | Some("serve") => application.run_until_stopped(shutdown).await,
                Some("migrate") => application.migrate().await,
                Some(other) => application.run_command(other).await,
            }
        },
    )
}
