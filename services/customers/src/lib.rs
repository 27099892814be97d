//! The customers service: registers a customer (name, phone), looks one up, lists them, and
//! publishes `customers.customer.registered` through its outbox.
//!
//! - `domain`: what a valid customer is (pure);
//! - `application`: the use cases, each one transaction with its event;
//! - `adapters::grpc`: the `CustomersService` API; `adapters::postgres`: the `customers` table.

mod adapters;
mod application;
pub mod domain;

use plaza_events::Stream;
use plaza_proto::customers::v1::customers_service_server::{CustomersServiceServer, SERVICE_NAME};
use plaza_service::{Components, Infrastructure, NoSettings};
use sqlx::migrate::Migrator;

use crate::{adapters::grpc::CustomersApi, application::Customers};

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// The customers service, as `plaza-service` runs it.
#[derive(Debug)]
pub struct Service;

impl plaza_service::Service for Service {
    const NAME: &'static str = "customers";
    const DEFAULT_SETTINGS: &'static str = include_str!("../config/default.toml");
    const STREAM: Stream = Stream::CUSTOMERS;
    type Settings = NoSettings;

    fn migrations() -> &'static Migrator {
        &MIGRATIONS
    }

    fn components(_: &NoSettings, infrastructure: &Infrastructure) -> anyhow::Result<Components> {
        let customers = Customers::new(infrastructure.pool.clone(), infrastructure.outbox.clone());
        Ok(Components::serve(
            CustomersServiceServer::new(CustomersApi::new(customers)),
            SERVICE_NAME,
        ))
    }
}
