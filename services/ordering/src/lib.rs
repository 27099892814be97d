//! The ordering service: orders, event-sourced, driven through the order saga (DESIGN.md
//! §3-§5). `CreateOrder` checks the customer and prices every line over gRPC and records
//! `OrderCreated`; payments and inventory answer through JetStream; the order becomes
//! ACCEPTED or REJECTED, then DELIVERED (paid) or CANCELLED.
//!
//! - `domain`: the order's events, its state as their fold, and every decision (pure);
//! - `application`: the use cases and the saga reaction, one transaction each;
//! - `saga`: the consumers of payments' and inventory's answers;
//! - `adapters::grpc`: the `OrderingService` API; `adapters::postgres`: the event store and
//!   the read model; `adapters::upstream`: the gRPC clients of the other services.

mod adapters;
mod application;
pub mod domain;
mod saga;

use futures::FutureExt;
use plaza_events::Stream;
use plaza_proto::ordering::v1::ordering_service_server::{OrderingServiceServer, SERVICE_NAME};
use plaza_service::{Components, Infrastructure};
use serde::Deserialize;
use sqlx::migrate::Migrator;

pub use crate::adapters::upstream::UpstreamSettings;
use crate::{
    adapters::{
        grpc::{self, OrderingApi},
        postgres,
        upstream::Upstream,
    },
    application::Orders,
    saga::{INVENTORY, PAYMENTS, PaymentAnswers, StockAnswers},
};

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub upstream: UpstreamSettings,
    pub auth: CallerSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CallerSettings {
    /// The token ordering calls customers, inventory and payments with (a secret, from
    /// `customers issue-service-token ordering`).
    pub service_token: String,
}

/// The ordering service, as `plaza-service` runs it.
#[derive(Debug)]
pub struct Service;

impl plaza_service::Service for Service {
    const NAME: &'static str = "ordering";
    const DEFAULT_SETTINGS: &'static str = include_str!("../config/default.toml");
    const STREAM: Stream = Stream::ORDERING;
    type Settings = Settings;

    fn migrations() -> &'static Migrator {
        &MIGRATIONS
    }

    fn components(
        settings: &Settings,
        infrastructure: &Infrastructure,
    ) -> anyhow::Result<Components> {
        let upstream = Upstream::connect(&settings.upstream, &settings.auth.service_token)?;
        let orders = Orders::new(
            infrastructure.pool.clone(),
            infrastructure.outbox.clone(),
            upstream,
        );
        let api = OrderingServiceServer::new(OrderingApi::new(orders));
        Ok(
            Components::serve(infrastructure.guard(api, grpc::access), SERVICE_NAME)
                .with_worker(infrastructure.consumer(PAYMENTS, PaymentAnswers))
                .with_worker(infrastructure.consumer(INVENTORY, StockAnswers)),
        )
    }

    /// `ordering rebuild-projections`: rebuilds the read model from the event store.
    fn command(
        name: &str,
        _settings: &Settings,
        infrastructure: &Infrastructure,
    ) -> Option<futures::future::BoxFuture<'static, anyhow::Result<()>>> {
        (name == "rebuild-projections").then(|| {
            let pool = infrastructure.pool.clone();
            async move {
                let rebuilt = postgres::rebuild(&pool).await?;
                tracing::info!(orders = rebuilt, "read model rebuilt from the event store");
                Ok(())
            }
            .boxed()
        })
    }
}
