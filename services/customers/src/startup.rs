use plaza_events::Stream;
use plaza_proto::customers::v1::customers_service_server::{CustomersServiceServer, SERVICE_NAME};
use plaza_service::{
    Infrastructure,
    grpc::Services,
    settings::{self, DatabaseSettings, GrpcSettings, NatsSettings},
};
use serde::Deserialize;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

use crate::{adapters::grpc::CustomersApi, application::Customers};

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub grpc: GrpcSettings,
    pub database: DatabaseSettings,
    pub nats: NatsSettings,
}

impl Settings {
    /// The embedded defaults, the file named by `PLAZA_CONFIG`, then the environment.
    pub fn load() -> Result<Self, settings::ConfigError> {
        settings::load(crate::SERVICE, crate::DEFAULT_SETTINGS)
    }
}

/// The service, connected and bound, ready to run.
#[derive(Debug)]
pub struct Application {
    infrastructure: Infrastructure,
}

impl Application {
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let infrastructure = Infrastructure::connect(
            crate::SERVICE,
            &settings.grpc,
            &settings.database,
            &settings.nats,
        )
        .await?;
        Ok(Self { infrastructure })
    }

    pub fn port(&self) -> u16 {
        self.infrastructure.port()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let customers = Customers::new(
            self.infrastructure.pool.clone(),
            self.infrastructure.outbox.clone(),
        );
        let services = Services {
            routes: tonic::service::Routes::new(CustomersServiceServer::new(CustomersApi::new(
                customers,
            ))),
            names: vec![SERVICE_NAME],
        };
        self.infrastructure
            .run(services, &MIGRATIONS, Stream::CUSTOMERS, shutdown)
            .await
    }
}

/// The binary's commands: `customers` (or `customers serve`) runs the service;
/// `customers migrate` applies the migrations and exits.
pub async fn main(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let application = Application::build(&settings).await?;
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => application.run_until_stopped(shutdown).await,
        Some("migrate") => application.infrastructure.migrate(&MIGRATIONS).await,
        Some(other) => anyhow::bail!("unknown command {other:?}; use serve or migrate"),
    }
}
