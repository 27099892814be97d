//! The idempotent JetStream consumer every saga participant uses.
//!
//! A durable pull consumer (several replicas of a service share it) delivers events; each is
//! handled in a Postgres transaction that also records the event id in the `inbox` table,
//! and is acked only after that transaction commits. A redelivered event finds its id in the
//! inbox and is skipped. A transient failure is nak'd with a growing delay; an event that
//! cannot be handled (malformed, of an unknown type, or still failing after `MAX_DELIVER`
//! deliveries) goes to the dead-letter stream and is terminated, never crashing the service.
//!
//! The events that are waiting when a replica is ready are handled together, in one
//! transaction (at most [`BATCH`]): a commit waits for the disk, and under load one commit for
//! many events is what lets the saga keep up. Quiet traffic makes batches of one. When any
//! event of a batch fails, the transaction is rolled back and the batch's events are handled
//! again one by one, each in its own transaction, so one bad event never holds back the
//! others. A batch handles its events in the order of their correlation ids (the order an
//! event is about, whatever its subject), so two batches that lock the same orders lock them
//! in the same order and do not deadlock.

use std::{sync::Arc, time::Duration};

use async_nats::{
    HeaderMap,
    jetstream::{
        self, AckKind,
        consumer::{
            AckPolicy,
            pull::{self, MessagesError as MessageError},
        },
        message::Message,
        stream,
    },
};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use opentelemetry::propagation::Extractor;
use plaza_events::{Envelope, Event, Namespace, Stream};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use uuid::Uuid;

use crate::{Outbox, streams::stream_config};

/// Deliveries of one event before it is dead-lettered.
pub const MAX_DELIVER: i64 = 10;
/// How long the server waits for an ack before it redelivers to another replica.
const ACK_WAIT: Duration = Duration::from_secs(30);
/// Events handled in one transaction at most.
const BATCH: usize = 64;
const MAX_NAK_DELAY: Duration = Duration::from_secs(5);
/// Waiting for a stream that is not there yet, or for NATS or Postgres to come back.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(15);
/// Inbox rows are kept this long: far longer than any redelivery.
const INBOX_RETENTION_DAYS: i32 = 7;
/// The stream that keeps dead letters for inspection.
pub const DEAD_LETTERS: Stream = Stream {
    name: "DEADLETTERS",
    subject_root: "deadletter",
};

/// Which events a consumer reads.
#[derive(Debug, Clone, Copy)]
pub struct Subscription {
    /// The durable consumer's name, shared by the service's replicas: `payments-orders`.
    pub durable: &'static str,
    pub stream: Stream,
    /// A subject filter inside the stream, without the namespace prefix: `ordering.order.>`.
    pub filter: &'static str,
}

/// What a handler does with an event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Handle it.
    Handle,
    /// A known event this handler does not act on: ack it, record nothing.
    Ignore,
    /// Not an event this subject should carry: dead-letter it.
    Unknown,
}

/// A delivered event's envelope, its data still JSON: the cause of whatever a handler
/// publishes in reaction (see [`Envelope::caused_by`]).
pub type Cause = Envelope<serde_json::Value>;

/// An event as delivered, its data still JSON until the handler asks for its type.
#[derive(Debug)]
pub struct Delivery {
    pub envelope: Cause,
}

impl Delivery {
    pub fn id(&self) -> Uuid {
        self.envelope.id
    }

    pub fn event_type(&self) -> &str {
        &self.envelope.event_type
    }

    pub fn time(&self) -> DateTime<Utc> {
        self.envelope.time
    }

    /// For [`Handler::not_before`]: an event of `event_type` waits `delay` after it was
    /// published (a demo's confirmation delay); other events, or no delay, wait not at all.
    pub fn held_back(&self, event_type: &str, delay: std::time::Duration) -> Option<DateTime<Utc>> {
        (self.event_type() == event_type && !delay.is_zero()).then(|| self.time() + delay)
    }

    /// What a batch sorts its events by, so that batches take their locks in one order: the
    /// correlation id, which every event of one order's saga shares (the order id), whatever
    /// its subject (a payment's events are about the payment); the subject otherwise.
    fn lock_order(&self) -> &str {
        self.envelope
            .correlationid
            .as_deref()
            .unwrap_or(&self.envelope.subject)
    }

    /// The payload as `T`; a payload that does not fit is a poison message.
    pub fn data<T: Event>(&self) -> Result<T, HandlerError> {
        serde_json::from_value(self.envelope.data.clone()).map_err(|error| {
            HandlerError::Poison(anyhow::anyhow!("data of {} does not fit: {error}", T::TYPE))
        })
    }
}

/// Why a handler did not handle an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying: the database or another service failed, or a concurrent change won.
    #[error("transient: {0:#}")]
    Transient(anyhow::Error),
    /// Will never succeed: the event is dead-lettered.
    #[error("poison: {0:#}")]
    Poison(anyhow::Error),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        Self::Transient(error.into())
    }
}

/// A saga participant's reaction to events.
pub trait Handler: Send + Sync + 'static {
    fn interest(&self, event_type: &str) -> Interest;

    /// When the event may be handled at the earliest (the demo's confirmation delay). Until
    /// then it is nak'd with that delay, so a waiting event never holds up another.
    fn not_before(&self, _delivery: &Delivery) -> Option<DateTime<Utc>> {
        None
    }

    /// Handles the event inside `transaction`; events it publishes go through
    /// [`crate::outbox::append`] on the same transaction.
    fn handle(
        &self,
        transaction: &mut PgConnection,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// Runs one subscription's handler until shutdown.
#[derive(Debug)]
pub struct EventConsumer<H> {
    pool: PgPool,
    jetstream: jetstream::Context,
    namespace: Namespace,
    outbox: Outbox,
    subscription: Subscription,
    handler: Arc<H>,
    replicas: usize,
}

impl<H: Handler> EventConsumer<H> {
    pub fn new(
        pool: PgPool,
        jetstream: jetstream::Context,
        namespace: Namespace,
        outbox: Outbox,
        subscription: Subscription,
        handler: H,
        replicas: usize,
    ) -> Self {
        Self {
            pool,
            jetstream,
            namespace,
            outbox,
            subscription,
            handler: Arc::new(handler),
            replicas,
        }
    }

    /// Consumes until `shutdown`, then lets the events in hand finish. Survives NATS and
    /// Postgres outages by retrying.
    pub async fn run(self, shutdown: CancellationToken) {
        let durable = self.subscription.durable;
        let mut delay = FIRST_RETRY_DELAY;
        while !shutdown.is_cancelled() {
            match self.consume(&shutdown).await {
                Ok(()) => delay = FIRST_RETRY_DELAY,
                Err(error) => {
                    tracing::warn!(
                        consumer = durable,
                        error = format!("{error:#}"),
                        retry_in = ?delay,
                        "consumer cannot run yet"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => {}
                    }
                    delay = (delay * 2).min(MAX_RETRY_DELAY);
                }
            }
        }
        tracing::info!(consumer = durable, "consumer stopped");
    }

    async fn consume(&self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let consumer = self.consumer().await?;
        self.prune_inbox().await;
        let messages = consumer
            .stream()
            .max_messages_per_batch(BATCH)
            .messages()
            .await?;
        tracing::info!(consumer = self.subscription.durable, "consuming");
        // Whatever has arrived while the last batch was handled is the next batch.
        messages
            .take_until(shutdown.cancelled())
            .ready_chunks(BATCH)
            .for_each(|messages| self.process(messages))
            .await;
        Ok(())
    }

    /// The durable consumer, created on first use. The stream belongs to the publishing
    /// service, which may not have started yet: then this creates it as that service would,
    /// so services can start in any order (the owner's declaration still sets its
    /// configuration).
    async fn consumer(&self) -> anyhow::Result<jetstream::consumer::Consumer<pull::Config>> {
        let config = stream_config(&self.namespace, self.subscription.stream, self.replicas);
        let stream = self.jetstream.get_or_create_stream(config).await?;
        declare_dead_letters(&self.jetstream, &self.namespace, self.replicas).await?;
        let durable = self.subscription.durable;
        Ok(stream
            .get_or_create_consumer(
                durable,
                pull::Config {
                    durable_name: Some(durable.to_owned()),
                    filter_subject: self.namespace.subject(self.subscription.filter),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: ACK_WAIT,
                    max_deliver: MAX_DELIVER,
                    max_ack_pending: 10_000,
                    ..Default::default()
                },
            )
            .await?)
    }

    /// Sorts out what needs no transaction (malformed, unknown, ignored or held-back events),
    /// then handles the rest together.
    async fn process(&self, messages: Vec<Result<Message, MessageError>>) {
        let mut work = Vec::with_capacity(messages.len());
        for message in messages {
            match message {
                Ok(message) => {
                    if let Some(item) = self.admit(message).await {
                        work.push(item);
                    }
                }
                Err(error) => tracing::warn!(%error, "could not receive an event"),
            }
        }
        work.sort_by(|a, b| a.delivery.lock_order().cmp(b.delivery.lock_order()));
        if work.len() > 1 {
            match self.handle_together(&work).await {
                Ok(()) => {
                    self.outbox.notify();
                    for item in &work {
                        ack(&item.message, AckKind::Ack).await;
                    }
                    return;
                }
                // A poison event is expected now and then; a transient failure of a whole
                // batch (a deadlock, say) means contention worth seeing.
                Err(HandlerError::Poison(error)) => tracing::debug!(
                    error = format!("{error:#}"),
                    events = work.len(),
                    "a batch held an event that cannot be handled; handling them one by one"
                ),
                Err(HandlerError::Transient(error)) => tracing::warn!(
                    error = format!("{error:#}"),
                    events = work.len(),
                    "a batch failed; handling its events one by one"
                ),
            }
        }
        for item in &work {
            self.handle_alone(item).instrument(item.span.clone()).await;
        }
    }

    /// An event to handle, or `None` when it was dealt with here: dead-lettered (malformed or
    /// of an unknown type), acked (ignored) or nak'd until its time (held back).
    async fn admit(&self, message: Message) -> Option<Work> {
        let delivered = message.info().map_or(1, |info| info.delivered);
        let envelope: Cause = match serde_json::from_slice(&message.payload) {
            Ok(envelope) => envelope,
            Err(error) => {
                self.dead_letter(&message, &format!("malformed envelope: {error}"))
                    .await;
                return None;
            }
        };
        let delivery = Delivery { envelope };
        let span = tracing::info_span!(
            "event",
            consumer = self.subscription.durable,
            event_type = %delivery.event_type(),
            event_id = %delivery.id(),
            subject = %delivery.envelope.subject,
        );
        if let Some(headers) = &message.headers {
            let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
                propagator.extract(&HeaderExtractor(headers))
            });
            let _ = span.set_parent(parent);
        }
        match self.handler.interest(delivery.event_type()) {
            Interest::Ignore => {
                ack(&message, AckKind::Ack).await;
                return None;
            }
            Interest::Unknown => {
                let reason = format!("unknown event type {}", delivery.event_type());
                self.dead_letter(&message, &reason).instrument(span).await;
                return None;
            }
            Interest::Handle => {}
        }
        if let Some(wait) = self
            .handler
            .not_before(&delivery)
            .and_then(|at| (at - Utc::now()).to_std().ok())
        {
            ack(&message, AckKind::Nak(Some(wait))).await;
            return None;
        }
        Some(Work {
            message,
            delivery,
            delivered,
            span,
        })
    }

    /// Handles every event of the batch in one transaction, or none of them.
    async fn handle_together(&self, work: &[Work]) -> Result<(), HandlerError> {
        let mut transaction = self.pool.begin().await?;
        for item in work {
            self.handle_in(&mut transaction, &item.delivery)
                .instrument(item.span.clone())
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Handles one event in a transaction of its own, then acks it, retries it later or
    /// dead-letters it.
    async fn handle_alone(&self, item: &Work) {
        let handled = async {
            let mut transaction = self.pool.begin().await?;
            self.handle_in(&mut transaction, &item.delivery).await?;
            transaction.commit().await?;
            Ok::<_, HandlerError>(())
        }
        .await;
        let message = &item.message;
        match handled {
            Ok(()) => {
                self.outbox.notify();
                ack(message, AckKind::Ack).await;
            }
            Err(HandlerError::Poison(error)) => {
                self.dead_letter(message, &format!("{error:#}")).await;
            }
            Err(HandlerError::Transient(error)) if item.delivered >= MAX_DELIVER => {
                let reason = format!(
                    "still failing after {} deliveries: {error:#}",
                    item.delivered
                );
                self.dead_letter(message, &reason).await;
            }
            Err(HandlerError::Transient(error)) => {
                let delay = nak_delay(item.delivered);
                tracing::warn!(error = format!("{error:#}"), delivered = item.delivered, retry_in = ?delay, "event not handled, retrying");
                ack(message, AckKind::Nak(Some(delay))).await;
            }
        }
    }

    /// Records the event in the inbox and handles it, inside `transaction`; an event already
    /// in the inbox is skipped.
    async fn handle_in(
        &self,
        transaction: &mut PgConnection,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        let first_time = sqlx::query(
            "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(self.subscription.durable)
        .bind(delivery.id())
        .execute(&mut *transaction)
        .await?
        .rows_affected()
            == 1;
        if !first_time {
            tracing::debug!("event already handled, skipped");
            return Ok(());
        }
        self.handler.handle(transaction, delivery).await
    }

    /// Keeps the event in the dead-letter stream, then stops its redelivery. When even that
    /// fails, the event is nak'd and comes back.
    async fn dead_letter(&self, message: &Message, reason: &str) {
        tracing::error!(subject = %message.subject, reason, "event dead-lettered");
        let mut headers = message.headers.clone().unwrap_or_default();
        headers.insert("Plaza-Dead-Letter-Reason", reason);
        headers.insert("Plaza-Original-Subject", message.subject.as_str());
        let subject = self
            .namespace
            .subject(&format!("deadletter.{}", self.subscription.durable));
        let published = match self
            .jetstream
            .publish_with_headers(subject, headers, message.payload.clone())
            .await
        {
            Ok(ack_future) => ack_future.await.map(|_| ()).map_err(anyhow::Error::from),
            Err(error) => Err(error.into()),
        };
        match published {
            Ok(()) => ack(message, AckKind::Term).await,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "could not dead-letter, retrying"
                );
                ack(message, AckKind::Nak(Some(MAX_NAK_DELAY))).await;
            }
        }
    }

    async fn prune_inbox(&self) {
        let pruned =
            sqlx::query("DELETE FROM inbox WHERE handled_at < now() - make_interval(days => $1)")
                .bind(INBOX_RETENTION_DAYS)
                .execute(&self.pool)
                .await;
        if let Err(error) = pruned {
            tracing::warn!(%error, "could not prune the inbox");
        }
    }
}

/// A delivered event on its way through a batch.
struct Work {
    message: Message,
    delivery: Delivery,
    delivered: i64,
    span: tracing::Span,
}

/// Serializes the transactions of one service that concern `id` (an order): every saga
/// handler takes this lock first, so that, say, an order's cancellation and its creation,
/// delivered at once, are handled one after the other. Released when the transaction ends.
pub async fn lock_for_transaction(connection: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    // The random half of a UUID v7 as the lock key; a collision only serializes two orders.
    let (_, random) = id.as_u64_pair();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(random.cast_signed())
        .execute(connection)
        .await?;
    Ok(())
}

/// The stream that keeps every consumer's dead letters: limits retention, so they stay for
/// an operator to read and replay; as many replicas as the services' own streams.
async fn declare_dead_letters(
    jetstream: &jetstream::Context,
    namespace: &Namespace,
    replicas: usize,
) -> anyhow::Result<()> {
    jetstream
        .get_or_create_stream(stream::Config {
            name: namespace.stream_name(DEAD_LETTERS),
            subjects: vec![namespace.stream_subjects(DEAD_LETTERS)],
            storage: stream::StorageType::File,
            num_replicas: replicas,
            ..Default::default()
        })
        .await?;
    Ok(())
}

/// 100 ms after the first failure, doubling, at most [`MAX_NAK_DELAY`].
fn nak_delay(delivered: i64) -> Duration {
    let doublings = u32::try_from(delivered.clamp(1, 16) - 1).unwrap_or(0);
    (Duration::from_millis(100) * 2u32.pow(doublings)).min(MAX_NAK_DELAY)
}

async fn ack(message: &Message, kind: AckKind) {
    if let Err(error) = message.ack_with(kind).await {
        // The server redelivers after the ack wait; the inbox makes that harmless.
        tracing::warn!(%error, "could not acknowledge an event");
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|value| value.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(name, _)| name.as_ref()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nak_delays_grow_and_are_capped() {
        assert_eq!(nak_delay(1), Duration::from_millis(100));
        assert_eq!(nak_delay(2), Duration::from_millis(200));
        assert_eq!(nak_delay(4), Duration::from_millis(800));
        assert_eq!(nak_delay(9), MAX_NAK_DELAY);
    }
}
