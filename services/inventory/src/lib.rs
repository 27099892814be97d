//! The inventory service: stores (name, location, taking part in the shop or not), their
//! products (name, description, price, stock), and the public catalog of the participating
//! stores' products. Every change is published through the outbox on the `INVENTORY` stream.
//!
//! - `domain`: what valid stores and products are (pure);
//! - `application`: the use cases, each one transaction with its event;
//! - `saga`: inventory's part in the order saga (reserve, release, commit);
//! - `adapters::grpc`: the `InventoryService` API and who may call it; `adapters::postgres`:
//!   the tables.

mod adapters;
mod application;
pub mod domain;
mod saga;

use plaza_events::Stream;
use plaza_messaging::Subscription;
use plaza_proto::inventory::v1::inventory_service_server::{InventoryServiceServer, SERVICE_NAME};
use plaza_service::{Components, Infrastructure, settings::ParticipantSettings};
use sqlx::migrate::Migrator;

use crate::{
    adapters::grpc::{self, InventoryApi},
    application::Inventory,
    saga::OrderEvents,
};

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// The order events inventory answers.
const ORDERS: Subscription = Subscription {
    durable: "inventory-orders",
    stream: Stream::ORDERING,
    filter: "ordering.order.>",
};

/// The inventory service, as `plaza-service` runs it.
#[derive(Debug)]
pub struct Service;

impl plaza_service::Service for Service {
    const NAME: &'static str = "inventory";
    const DEFAULT_SETTINGS: &'static str = include_str!("../config/default.toml");
    const STREAM: Stream = Stream::INVENTORY;
    type Settings = ParticipantSettings;

    fn migrations() -> &'static Migrator {
        &MIGRATIONS
    }

    fn components(
        settings: &ParticipantSettings,
        infrastructure: &Infrastructure,
    ) -> anyhow::Result<Components> {
        let inventory = Inventory::new(infrastructure.pool.clone(), infrastructure.outbox.clone());
        let order_events = OrderEvents {
            confirm_delay: settings.saga.confirm_delay,
        };
        Ok(Components::serve(
            infrastructure.guard(
                InventoryServiceServer::new(InventoryApi::new(inventory)),
                grpc::access,
            ),
            SERVICE_NAME,
        )
        .with_worker(infrastructure.consumer(ORDERS, order_events)))
    }
}
