//! Layered settings: the service's embedded `config/default.toml`, then the TOML file named
//! by `PLAZA_CONFIG` if set, then environment variables `PLAZA_<SERVICE>__<SECTION>__<KEY>`
//! (for example `PLAZA_CUSTOMERS__DATABASE__URL`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

pub use config::ConfigError;
use serde::{Deserialize, de::DeserializeOwned};

/// Reads settings of type `T` for `service` over the embedded `defaults`.
pub fn load<T: DeserializeOwned>(service: &str, defaults: &str) -> Result<T, config::ConfigError> {
    load_with(service, defaults, &[])
}

/// Like [`load`], with `overrides` (`("auth.jwks_file", path)`) over every other source:
/// how tests set what a service has no default for.
pub fn load_with<T: DeserializeOwned>(
    service: &str,
    defaults: &str,
    overrides: &[(&str, &str)],
) -> Result<T, config::ConfigError> {
    let mut builder = config::Config::builder()
        .add_source(config::File::from_str(defaults, config::FileFormat::Toml));
    if let Ok(path) = std::env::var("PLAZA_CONFIG") {
        builder = builder.add_source(config::File::with_name(&path));
    }
    builder = builder.add_source(
        config::Environment::with_prefix(&format!("PLAZA_{}", service.to_uppercase()))
            .prefix_separator("__")
            .separator("__"),
    );
    for (key, value) in overrides {
        builder = builder.set_override(*key, *value)?;
    }
    builder.build()?.try_deserialize()
}

/// What every service connects to: its listener, its database, NATS.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSettings {
    pub grpc: GrpcSettings,
    pub database: DatabaseSettings,
    pub nats: NatsSettings,
    pub auth: AuthSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// The JWKS of the keys whose tokens the service accepts (public; the same file Envoy
    /// reads). No default: a service without it cannot tell who calls.
    pub jwks_file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GrpcSettings {
    /// Where the gRPC server listens; port 0 picks a free port (tests).
    pub listen: SocketAddr,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// A `postgres://` URL that logs in as the service's own role.
    pub url: String,
    /// The service's schema: every query runs with `search_path` set to it alone.
    pub schema: String,
    pub max_connections: u32,
    /// Apply the service's migrations at start-up.
    pub migrate: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NatsSettings {
    pub url: String,
    /// Prepended to stream names and subjects; empty in production, unique per test.
    pub prefix: String,
    /// JetStream replicas of the streams this service declares (3 on a cluster).
    pub stream_replicas: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info,sqlx=warn`; `RUST_LOG` overrides it.
    pub log_filter: String,
}

/// The settings every service process has, whatever its own.
#[derive(Debug, Clone, Deserialize)]
pub struct ProcessSettings {
    pub telemetry: TelemetrySettings,
    /// How long in-flight work may take to finish after SIGTERM.
    #[serde(with = "seconds")]
    pub shutdown_grace: Duration,
}

/// The settings of a saga participant (payments, inventory).
#[derive(Debug, Clone, Deserialize)]
pub struct ParticipantSettings {
    pub saga: SagaSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SagaSettings {
    /// How long after an order is placed the participant answers it at the earliest: 0 in
    /// production, a few seconds in the demo so a person can watch the order move.
    #[serde(with = "seconds")]
    pub confirm_delay: Duration,
}

/// Durations in settings are whole or fractional seconds.
pub mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(seconds).map_err(serde::de::Error::custom)
    }
}
