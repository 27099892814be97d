//! The customers service: registers a customer (name, phone), looks one up, lists them, and
//! publishes `customers.customer.registered` through its outbox.
//!
//! - `domain`: what a valid customer is (pure);
//! - `application`: the use cases, each one transaction with its event;
//! - `adapters::grpc`: the `CustomersService` API and who may call it; `adapters::postgres`:
//!   the `customers` table;
//! - `signing`: the key that signs every Plaza token, and the commands that use it.

mod adapters;
mod application;
pub mod domain;
mod signing;

use std::sync::Arc;

use plaza_events::Stream;
use plaza_proto::customers::v1::customers_service_server::{CustomersServiceServer, SERVICE_NAME};
use plaza_service::{Components, Infrastructure};
use serde::Deserialize;
use sqlx::migrate::Migrator;

pub use crate::signing::SigningSettings;
use crate::{
    adapters::grpc::{self, CustomersApi},
    application::Customers,
};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub auth: SigningSettings,
}

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// The customers service, as `plaza-service` runs it.
#[derive(Debug)]
pub struct Service;

impl plaza_service::Service for Service {
    const NAME: &'static str = "customers";
    const DEFAULT_SETTINGS: &'static str = include_str!("../config/default.toml");
    const STREAM: Stream = Stream::CUSTOMERS;
    type Settings = Settings;

    fn migrations() -> &'static Migrator {
        &MIGRATIONS
    }

    fn components(
        settings: &Settings,
        infrastructure: &Infrastructure,
    ) -> anyhow::Result<Components> {
        let customers = Customers::new(infrastructure.pool.clone(), infrastructure.outbox.clone());
        let api = CustomersApi::new(
            customers,
            Arc::new(settings.auth.issuer()?),
            settings.auth.customer_token_ttl,
        );
        Ok(Components::serve(
            infrastructure.guard(CustomersServiceServer::new(api), grpc::access),
            SERVICE_NAME,
        ))
    }

    /// `new-signing-key`, `jwks`, `issue-admin-token [NAME]`, `issue-service-token SERVICE`.
    fn offline_command(name: &str, args: &[String]) -> Option<anyhow::Result<()>> {
        signing::command(name, args, || {
            let settings: Settings =
                plaza_service::settings::load(Self::NAME, Self::DEFAULT_SETTINGS)?;
            Ok(settings.auth)
        })
    }
}
