//! At-least-once messaging over NATS JetStream, shared by every Plaza service.
//!
//! - [`outbox`]: a service appends its events to its own `outbox` table in the same
//!   transaction as the state change, so an event exists exactly when the change does.
//! - [`OutboxRelay`]: publishes unsent rows in order with `Nats-Msg-Id` = event id, waits for
//!   the PubAcks, then marks them sent. A crash between publish and mark republishes, and the
//!   stream's duplicate window drops the copy.
//! - [`EventConsumer`]: the idempotent consumer: inbox row in the handler's transaction, ack
//!   after commit, bounded concurrency, nak with backoff, dead letters instead of crashes.
//! - [`trace`]: W3C trace context carried in the envelope and the NATS headers.
//! - [`declare_stream`]: each service declares the stream it publishes to at start-up.
//! - [`migrator`]: the service's migrations plus the tables this crate owns (outbox, inbox).

mod consumer;
pub mod outbox;
mod relay;
mod streams;
pub mod trace;

pub use consumer::{
    Cause, DEAD_LETTERS, Delivery, EventConsumer, Handler, HandlerError, Interest, MAX_DELIVER,
    Subscription, lock_for_transaction,
};
pub use relay::{Outbox, OutboxRelay};
pub use streams::{connect, declare_stream};

use std::borrow::Cow;

use sqlx::migrate::Migrator;

static MESSAGING_MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// The service's own migrations preceded by this crate's (the outbox table), so that one
/// `_sqlx_migrations` history in the service's schema covers both. This crate's migrations
/// use small version numbers; services use timestamps, which sort after them.
pub fn migrator(service: &Migrator) -> Migrator {
    let mut migrations = MESSAGING_MIGRATIONS.migrations.to_vec();
    migrations.extend(service.migrations.iter().cloned());
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}
