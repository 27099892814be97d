//! The payments service: mock payments. A customer authorizes an amount; the order saga binds
//! the authorization to one order (confirms it); paying the order captures it; a rejected or
//! cancelled order voids it. Changes are published through the outbox on `PAYMENTS`.
//!
//! - `domain`: payments and the rules of their life (pure);
//! - `application`: the use cases, each one transaction with its event;
//! - `saga`: payments' part in the order saga (confirm, reject, void);
//! - `adapters::grpc`: the `PaymentsService` API and who may call it; `adapters::postgres`:
//!   the `payments` table.

mod adapters;
mod application;
pub mod domain;
mod saga;

use plaza_events::Stream;
use plaza_messaging::Subscription;
use plaza_proto::payments::v1::payments_service_server::{PaymentsServiceServer, SERVICE_NAME};
use plaza_service::{Components, Infrastructure, settings::ParticipantSettings};
use sqlx::migrate::Migrator;

use crate::{
    adapters::grpc::{self, PaymentsApi},
    application::Payments,
    saga::OrderEvents,
};

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// The order events payments answers.
const ORDERS: Subscription = Subscription {
    durable: "payments-orders",
    stream: Stream::ORDERING,
    filter: "ordering.order.>",
};

/// The payments service, as `plaza-service` runs it.
#[derive(Debug)]
pub struct Service;

impl plaza_service::Service for Service {
    const NAME: &'static str = "payments";
    const DEFAULT_SETTINGS: &'static str = include_str!("../config/default.toml");
    const STREAM: Stream = Stream::PAYMENTS;
    type Settings = ParticipantSettings;

    fn migrations() -> &'static Migrator {
        &MIGRATIONS
    }

    fn components(
        settings: &ParticipantSettings,
        infrastructure: &Infrastructure,
    ) -> anyhow::Result<Components> {
        let payments = Payments::new(infrastructure.pool.clone(), infrastructure.outbox.clone());
        let order_events = OrderEvents {
            confirm_delay: settings.saga.confirm_delay,
        };
        Ok(Components::serve(
            infrastructure.guard(
                PaymentsServiceServer::new(PaymentsApi::new(payments)),
                grpc::access,
            ),
            SERVICE_NAME,
        )
        .with_worker(infrastructure.consumer(ORDERS, order_events)))
    }
}
