//! Events of the ordering service, on the `ORDERING` stream: the integration events that drive
//! the order saga (DESIGN.md §3).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Event;

const SOURCE: &str = "plaza/ordering";

/// One line of an order, priced by inventory when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub product_id: Uuid,
    pub store_id: Uuid,
    pub product_name: String,
    pub store_name: String,
    pub unit_price_cents: i64,
    pub quantity: i32,
}

/// An order was placed and waits for payments and inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub payment_id: Uuid,
    pub lines: Vec<OrderLine>,
    pub total_cents: i64,
}

impl Event for OrderCreated {
    const TYPE: &'static str = "ordering.order.created";
    const SOURCE: &'static str = SOURCE;
}

/// Payment and stock are both confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderAccepted {
    pub order_id: Uuid,
}

impl Event for OrderAccepted {
    const TYPE: &'static str = "ordering.order.accepted";
    const SOURCE: &'static str = SOURCE;
}

/// Why an order was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RejectReason {
    OutOfStock,
    NotEnoughMoney,
    UnknownPayment,
    PaymentAlreadyUsed,
    CustomerMismatch,
}

/// Payment or stock was refused: whatever the other side holds for the order is released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRejected {
    pub order_id: Uuid,
    pub reason: RejectReason,
}

impl Event for OrderRejected {
    const TYPE: &'static str = "ordering.order.rejected";
    const SOURCE: &'static str = SOURCE;
}

/// The order was paid (its payment captured): inventory commits its reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDelivered {
    pub order_id: Uuid,
    pub payment_id: Uuid,
}

impl Event for OrderDelivered {
    const TYPE: &'static str = "ordering.order.delivered";
    const SOURCE: &'static str = SOURCE;
}

/// The order was cancelled: inventory releases its stock, payments voids its payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    pub order_id: Uuid,
}

impl Event for OrderCancelled {
    const TYPE: &'static str = "ordering.order.cancelled";
    const SOURCE: &'static str = SOURCE;
}
