//! Ordering's ears in the saga: the answers of payments and inventory, each applied to the
//! order it concerns (see `application::react` and the decisions in `domain`).

use plaza_events::Stream;
use plaza_events::{
    inventory::{StockCommitted, StockRejected, StockReleased, StockReserved},
    payments::{PaymentConfirmed, PaymentRejected, PaymentVoided},
};
use plaza_messaging::{Delivery, Handler, HandlerError, Interest, Subscription};
use sqlx::PgConnection;

use crate::application::react;

pub const PAYMENTS: Subscription = Subscription {
    durable: "ordering-payments",
    stream: Stream::PAYMENTS,
    filter: "payments.payment.>",
};

pub const INVENTORY: Subscription = Subscription {
    durable: "ordering-inventory",
    stream: Stream::INVENTORY,
    filter: "inventory.stock.>",
};

/// Payments' answers: confirmed, rejected, voided.
#[derive(Debug)]
pub struct PaymentAnswers;

impl Handler for PaymentAnswers {
    fn interest(&self, event_type: &str) -> Interest {
        match event_type {
            "payments.payment.confirmed"
            | "payments.payment.rejected"
            | "payments.payment.voided" => Interest::Handle,
            "payments.payment.authorized" | "payments.payment.captured" => Interest::Ignore,
            _ => Interest::Unknown,
        }
    }

    async fn handle(
        &self,
        connection: &mut PgConnection,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        let cause = &delivery.envelope;
        match delivery.event_type() {
            "payments.payment.confirmed" => {
                let answer: PaymentConfirmed = delivery.data()?;
                react(connection, answer.order_id, cause, |order| {
                    order.payment_confirmed()
                })
                .await
            }
            "payments.payment.rejected" => {
                let answer: PaymentRejected = delivery.data()?;
                react(connection, answer.order_id, cause, |order| {
                    order.payment_rejected(answer.reason)
                })
                .await
            }
            _ => {
                let answer: PaymentVoided = delivery.data()?;
                react(connection, answer.order_id, cause, |order| {
                    order.payment_voided()
                })
                .await
            }
        }
    }
}

/// Inventory's answers: reserved, rejected, released, committed.
#[derive(Debug)]
pub struct StockAnswers;

impl Handler for StockAnswers {
    fn interest(&self, event_type: &str) -> Interest {
        match event_type {
            "inventory.stock.reserved"
            | "inventory.stock.rejected"
            | "inventory.stock.released"
            | "inventory.stock.committed" => Interest::Handle,
            _ => Interest::Unknown,
        }
    }

    async fn handle(
        &self,
        connection: &mut PgConnection,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        let cause = &delivery.envelope;
        match delivery.event_type() {
            "inventory.stock.reserved" => {
                let answer: StockReserved = delivery.data()?;
                react(connection, answer.order_id, cause, |order| {
                    order.stock_reserved(answer.lines)
                })
                .await
            }
            "inventory.stock.rejected" => {
                let answer: StockRejected = delivery.data()?;
                react(connection, answer.order_id, cause, |order| {
                    order.stock_rejected(answer.lines)
                })
                .await
            }
            "inventory.stock.released" => {
                let answer: StockReleased = delivery.data()?;
                react(connection, answer.order_id, cause, |order| {
                    order.stock_released()
                })
                .await
            }
            _ => {
                let answer: StockCommitted = delivery.data()?;
                react(connection, answer.order_id, cause, |order| {
                    order.stock_committed()
                })
                .await
            }
        }
    }
}
