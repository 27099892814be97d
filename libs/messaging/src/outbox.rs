//! Appending events to the outbox, inside the caller's transaction.

use plaza_events::{Envelope, Event};
use sqlx::PgConnection;

/// Appends `envelope` to the outbox on `connection`, which should be inside the transaction
/// that makes the change the event describes. An envelope without trace context gets the
/// current span's, so the trace follows the event. After the commit, wake the relay with
/// [`crate::Outbox::notify`].
pub async fn append<T: Event>(
    connection: &mut PgConnection,
    mut envelope: Envelope<T>,
) -> sqlx::Result<()> {
    if envelope.traceparent.is_none() {
        envelope.traceparent = crate::trace::current_traceparent();
    }
    let json = serde_json::to_value(&envelope).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO outbox (event_id, event_type, envelope, traceparent) VALUES ($1, $2, $3, $4)",
    )
    .bind(envelope.id)
    .bind(&envelope.event_type)
    .bind(json)
    .bind(&envelope.traceparent)
    .execute(connection)
    .await?;
    Ok(())
}
