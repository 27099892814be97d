use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use async_nats::{HeaderMap, jetstream};
use plaza_events::{Envelope, Event, Namespace};
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Rows published per transaction.
const BATCH_SIZE: i64 = 256;
/// How often the relay looks for rows nobody woke it for: rows left by a crashed replica, or
/// committed by another replica of the service.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long the relay keeps publishing after shutdown was asked for.
const DRAIN_DEADLINE: Duration = Duration::from_secs(5);
/// Sent rows are kept this long for inspection, then deleted.
const SENT_RETENTION_HOURS: i32 = 24;
const PRUNE_INTERVAL: Duration = Duration::from_secs(600);

/// A service's handle on its outbox: commits a change with its event, then wakes the relay,
/// so that the event leaves within milliseconds instead of at the next poll.
#[derive(Debug, Clone, Default)]
pub struct Outbox(Arc<Notify>);

impl Outbox {
    /// Appends `envelope` to the outbox inside `transaction`, commits, and wakes the relay.
    pub async fn commit<T: Event>(
        &self,
        mut transaction: Transaction<'_, Postgres>,
        envelope: Envelope<T>,
    ) -> sqlx::Result<()> {
        crate::outbox::append(&mut transaction, envelope).await?;
        transaction.commit().await?;
        self.notify();
        Ok(())
    }

    /// Wakes the relay; call after committing rows appended with [`crate::outbox::append`]. A
    /// wake-up with no relay waiting is kept for its next wait.
    pub fn notify(&self) {
        self.0.notify_one();
    }
}

/// Publishes the outbox of one service's schema to JetStream. Several replicas may run one
/// each: `FOR UPDATE SKIP LOCKED` gives every row to one relay at a time.
#[derive(Debug)]
pub struct OutboxRelay {
    pool: PgPool,
    jetstream: jetstream::Context,
    namespace: Namespace,
    signal: Outbox,
}

#[derive(sqlx::FromRow)]
struct UnsentEvent {
    position: i64,
    event_id: Uuid,
    event_type: String,
    envelope: String,
    traceparent: Option<String>,
}

impl OutboxRelay {
    pub fn new(
        pool: PgPool,
        jetstream: jetstream::Context,
        namespace: Namespace,
        signal: Outbox,
    ) -> Self {
        Self {
            pool,
            jetstream,
            namespace,
            signal,
        }
    }

    /// Relays until `shutdown`, then keeps relaying for a short deadline so that the events of
    /// the last requests leave before the process does.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(50);
        let mut last_prune = Instant::now();
        while !shutdown.is_cancelled() {
            let wait = match self.relay_batch().await {
                Ok(sent) if sent == BATCH_SIZE as usize => continue,
                Ok(_) => {
                    backoff = Duration::from_millis(50);
                    POLL_INTERVAL
                }
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "outbox relay failed, retrying"
                    );
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    backoff
                }
            };
            if last_prune.elapsed() > PRUNE_INTERVAL {
                last_prune = Instant::now();
                self.prune().await;
            }
            tokio::select! {
                () = self.signal.0.notified() => {}
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => {}
            }
        }
        self.drain().await;
    }

    async fn drain(&self) {
        let deadline = Instant::now() + DRAIN_DEADLINE;
        while Instant::now() < deadline {
            match self.relay_batch().await {
                Ok(0) => return,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "outbox not drained at shutdown"
                    );
                    return;
                }
            }
        }
    }

    /// Publishes one batch of unsent rows and marks them sent; returns how many.
    async fn relay_batch(&self) -> anyhow::Result<usize> {
        let mut transaction = self.pool.begin().await?;
        let events: Vec<UnsentEvent> = sqlx::query_as(
            "SELECT position, event_id, event_type, envelope::text AS envelope, traceparent \
             FROM outbox \
             WHERE sent_at IS NULL ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(BATCH_SIZE)
        .fetch_all(&mut *transaction)
        .await?;
        if events.is_empty() {
            return Ok(0);
        }
        // Send the whole batch, then wait for every PubAck: one round trip, not one per event.
        let mut acks = Vec::with_capacity(events.len());
        for event in &events {
            acks.push(self.publish(event).await?);
        }
        for ack in acks {
            ack.await?;
        }
        let positions: Vec<i64> = events.iter().map(|e| e.position).collect();
        // The mark need not wait for the disk: if a crash loses it, the events are published
        // again, JetStream drops the copies within its duplicate window and the consumers'
        // inbox after it. Not waiting takes a disk flush off every hop of the saga.
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *transaction)
            .await?;
        sqlx::query("UPDATE outbox SET sent_at = now() WHERE position = ANY($1)")
            .bind(&positions)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        tracing::debug!(count = events.len(), "outbox events published");
        Ok(events.len())
    }

    async fn publish(
        &self,
        event: &UnsentEvent,
    ) -> anyhow::Result<jetstream::context::PublishAckFuture> {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", event.event_id.to_string().as_str());
        headers.insert("Content-Type", "application/cloudevents+json");
        if let Some(traceparent) = &event.traceparent {
            headers.insert("traceparent", traceparent.as_str());
        }
        Ok(self
            .jetstream
            .publish_with_headers(
                self.namespace.subject(&event.event_type),
                headers,
                event.envelope.clone().into(),
            )
            .await?)
    }

    async fn prune(&self) {
        let pruned =
            sqlx::query("DELETE FROM outbox WHERE sent_at < now() - make_interval(hours => $1)")
                .bind(SENT_RETENTION_HOURS)
                .execute(&self.pool)
                .await;
        if let Err(error) = pruned {
            tracing::warn!(%error, "could not prune the sent outbox rows");
        }
    }
}
