//! Inventory's part in the order saga (DESIGN.md §3): reserve every line of a new order, all
//! or nothing, or answer OUT_OF_STOCK; give the units back when the order is rejected or
//! cancelled; sell them when it is delivered. Each reaction runs in the consumer's
//! transaction, under the order's lock.

use std::time::Duration;

use plaza_domain::now;
use plaza_events::{
    Envelope, Event,
    inventory::{StockCommitted, StockRejectReason, StockRejected, StockReleased, StockReserved},
    ordering::{OrderCancelled, OrderCreated, OrderDelivered, OrderRejected},
};
use plaza_messaging::{
    Cause, Delivery, Handler, HandlerError, Interest, lock_for_transaction, outbox,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    adapters::postgres,
    domain::{StockStatus, demand, shortfalls},
};

/// Reacts to the `ORDERING` stream as the `inventory-orders` consumer.
#[derive(Debug)]
pub struct OrderEvents {
    /// The demo's delay before answering a new order.
    pub confirm_delay: Duration,
}

impl Handler for OrderEvents {
    fn interest(&self, event_type: &str) -> Interest {
        match event_type {
            "ordering.order.created"
            | "ordering.order.rejected"
            | "ordering.order.cancelled"
            | "ordering.order.delivered" => Interest::Handle,
            "ordering.order.accepted" => Interest::Ignore,
            _ => Interest::Unknown,
        }
    }

    fn not_before(&self, delivery: &Delivery) -> Option<chrono::DateTime<chrono::Utc>> {
        delivery.held_back(OrderCreated::TYPE, self.confirm_delay)
    }

    async fn handle(
        &self,
        connection: &mut PgConnection,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        let cause = &delivery.envelope;
        match delivery.event_type() {
            "ordering.order.created" => reserve_order(connection, delivery.data()?, cause).await,
            "ordering.order.delivered" => {
                let order: OrderDelivered = delivery.data()?;
                commit_order(connection, order.order_id, cause).await
            }
            "ordering.order.rejected" => {
                let order: OrderRejected = delivery.data()?;
                release_order(connection, order.order_id, cause).await
            }
            _ => {
                let order: OrderCancelled = delivery.data()?;
                release_order(connection, order.order_id, cause).await
            }
        }
    }
}

/// Reserves every line, or none and says which lines are short.
async fn reserve_order(
    connection: &mut PgConnection,
    order: OrderCreated,
    cause: &Cause,
) -> Result<(), HandlerError> {
    let order_id = order.order_id;
    lock_for_transaction(connection, order_id).await?;
    if let Some((status, _)) = postgres::order_stock_for_update(connection, order_id).await? {
        tracing::info!(order_id = %order_id, status = status.as_str(), "order already answered");
        return Ok(());
    }
    let demand = demand(&order.lines).map_err(|invalid| HandlerError::Poison(invalid.into()))?;
    let ids: Vec<Uuid> = demand.iter().map(|line| line.product_id).collect();
    let available = postgres::lock_stock(connection, &ids).await?;
    let missing = shortfalls(&demand, &available);
    if missing.is_empty() {
        postgres::reserve(connection, &demand).await?;
        postgres::record_order_stock(connection, order_id, StockStatus::Reserved, &demand, now())
            .await?;
        let event = StockReserved {
            order_id,
            lines: demand,
        };
        outbox::append(connection, Envelope::new(order_id, event).caused_by(cause)).await?;
        tracing::info!(order_id = %order_id, "stock reserved");
    } else {
        postgres::record_order_stock(
            connection,
            order_id,
            StockStatus::OutOfStock,
            &demand,
            now(),
        )
        .await?;
        let event = StockRejected {
            order_id,
            reason: StockRejectReason::OutOfStock,
            lines: missing,
        };
        outbox::append(connection, Envelope::new(order_id, event).caused_by(cause)).await?;
        tracing::info!(order_id = %order_id, "order out of stock");
    }
    Ok(())
}

/// Gives a rejected or cancelled order's units back; an order not reserved yet is marked
/// closed, so it never will be.
async fn release_order(
    connection: &mut PgConnection,
    order_id: Uuid,
    cause: &Cause,
) -> Result<(), HandlerError> {
    lock_for_transaction(connection, order_id).await?;
    match postgres::order_stock_for_update(connection, order_id).await? {
        None => {
            postgres::record_order_stock(connection, order_id, StockStatus::Closed, &[], now())
                .await?;
        }
        Some((StockStatus::Reserved, lines)) => {
            postgres::release(connection, &lines).await?;
            postgres::record_order_stock(
                connection,
                order_id,
                StockStatus::Released,
                &lines,
                now(),
            )
            .await?;
            let event = StockReleased { order_id };
            outbox::append(connection, Envelope::new(order_id, event).caused_by(cause)).await?;
            tracing::info!(order_id = %order_id, "stock released");
        }
        Some(_) => {}
    }
    Ok(())
}

/// Sells a delivered order's reserved units.
async fn commit_order(
    connection: &mut PgConnection,
    order_id: Uuid,
    cause: &Cause,
) -> Result<(), HandlerError> {
    lock_for_transaction(connection, order_id).await?;
    match postgres::order_stock_for_update(connection, order_id).await? {
        Some((StockStatus::Reserved, lines)) => {
            postgres::commit(connection, &lines).await?;
            postgres::record_order_stock(
                connection,
                order_id,
                StockStatus::Committed,
                &lines,
                now(),
            )
            .await?;
            let event = StockCommitted { order_id };
            outbox::append(connection, Envelope::new(order_id, event).caused_by(cause)).await?;
            tracing::info!(order_id = %order_id, "stock committed");
        }
        Some((StockStatus::Committed, _)) => {}
        other => {
            let status = other.map_or("nothing", |(status, _)| status.as_str());
            tracing::warn!(order_id = %order_id, status, "delivered order holds no reservation");
        }
    }
    Ok(())
}
