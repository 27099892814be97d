//! What every Plaza service binary shares, so that each service's `main.rs` stays a handful of
//! lines and each service's code is about its own domain:
//!
//! - [`settings`]: layered configuration (embedded defaults, an optional file, environment);
//! - [`telemetry`]: `tracing` logs, and OTLP traces when `OTEL_EXPORTER_OTLP_ENDPOINT` is set;
//! - [`shutdown`]: SIGTERM/SIGINT as a cancellation token;
//! - [`grpc`]: the server bootstrap with health, reflection and graceful draining;
//! - [`database`]: the Postgres pool pinned to the service's schema;
//! - [`Infrastructure`]: the connections and background work beside the API (outbox relay);
//! - [`ServiceError`]: the one mapping from what went wrong to a gRPC status;
//! - [`Service`], [`Application`] and [`main`]: one generic service process (exit code 64
//!   on bad configuration); a service only says what it is;
//! - [`run`]: the process life under that, for a binary that is not a gRPC service (the
//!   storefront).

mod application;
pub mod database;
mod error;
pub mod grpc;
mod infrastructure;
mod process;
pub mod settings;
pub mod shutdown;
pub mod telemetry;

pub use application::{
    Application, Components, Service, Worker, load_settings, load_settings_with, main,
};
pub use error::ServiceError;
pub use infrastructure::Infrastructure;
pub use process::run;
