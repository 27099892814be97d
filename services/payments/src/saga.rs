//! Payments' part in the order saga (DESIGN.md §3): answer each new order with a confirmed
//! or rejected payment, and void the payment of an order that is rejected or cancelled.
//! Each reaction runs in the consumer's transaction, under the order's lock.

use std::time::Duration;

use plaza_domain::now;
use plaza_events::{
    Envelope, Event,
    ordering::{OrderCancelled, OrderCreated, OrderRejected},
    payments::{PaymentConfirmed, PaymentRejected, PaymentVoided},
};
use plaza_messaging::{
    Cause, Delivery, Handler, HandlerError, Interest, lock_for_transaction, outbox,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    adapters::postgres,
    domain::{Confirmation, OrderToPay, PaymentStatus, decide_confirmation, must_void},
};

/// Reacts to the `ORDERING` stream as the `payments-orders` consumer.
#[derive(Debug)]
pub struct OrderEvents {
    /// The demo's delay before answering a new order.
    pub confirm_delay: Duration,
}

impl Handler for OrderEvents {
    fn interest(&self, event_type: &str) -> Interest {
        match event_type {
            "ordering.order.created" | "ordering.order.rejected" | "ordering.order.cancelled" => {
                Interest::Handle
            }
            "ordering.order.accepted" | "ordering.order.delivered" => Interest::Ignore,
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
            "ordering.order.created" => answer_order(connection, delivery.data()?, cause).await,
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

/// Confirms the order's payment, or says why it cannot pay.
async fn answer_order(
    connection: &mut PgConnection,
    order: OrderCreated,
    cause: &Cause,
) -> Result<(), HandlerError> {
    lock_for_transaction(connection, order.order_id).await?;
    if postgres::is_closed(connection, order.order_id).await? {
        tracing::info!(order_id = %order.order_id, "order closed before its payment was confirmed");
        return Ok(());
    }
    let asked = OrderToPay {
        order_id: order.order_id,
        customer_id: order.customer_id,
        payment_id: order.payment_id,
        total_cents: order.total_cents,
    };
    let payment = postgres::find_for_update(connection, order.payment_id).await?;
    match decide_confirmation(payment.as_ref(), &asked) {
        Confirmation::AlreadyConfirmed => Ok(()),
        Confirmation::Confirm => {
            postgres::confirm(connection, order.payment_id, order.order_id, now()).await?;
            let event = PaymentConfirmed {
                payment_id: order.payment_id,
                order_id: order.order_id,
                amount_cents: payment.map_or(0, |p| p.amount_cents),
            };
            outbox::append(
                connection,
                Envelope::new(order.payment_id, event).caused_by(cause),
            )
            .await?;
            tracing::info!(order_id = %order.order_id, payment_id = %order.payment_id, "payment confirmed");
            Ok(())
        }
        Confirmation::Reject(reason) => {
            let event = PaymentRejected {
                payment_id: order.payment_id,
                order_id: order.order_id,
                reason,
            };
            outbox::append(
                connection,
                Envelope::new(order.payment_id, event).caused_by(cause),
            )
            .await?;
            tracing::info!(order_id = %order.order_id, ?reason, "payment rejected");
            Ok(())
        }
    }
}

/// Voids the payment bound to a rejected or cancelled order, and remembers the order as
/// closed so a late creation binds nothing.
async fn release_order(
    connection: &mut PgConnection,
    order_id: Uuid,
    cause: &Cause,
) -> Result<(), HandlerError> {
    lock_for_transaction(connection, order_id).await?;
    let at = now();
    postgres::close_order(connection, order_id, at).await?;
    let Some(payment) = postgres::find_by_order_for_update(connection, order_id).await? else {
        return Ok(());
    };
    if !must_void(&payment, order_id) {
        return Ok(());
    }
    postgres::set_status(connection, payment.id, PaymentStatus::Voided, at).await?;
    let event = PaymentVoided {
        payment_id: payment.id,
        order_id,
    };
    outbox::append(
        connection,
        Envelope::new(payment.id, event).caused_by(cause),
    )
    .await?;
    tracing::info!(order_id = %order_id, payment_id = %payment.id, "payment voided");
    Ok(())
}
