//! Events of the payments service, on the `PAYMENTS` stream.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Event;

const SOURCE: &str = "plaza/payments";

/// An amount is held for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentAuthorized {
    pub payment_id: Uuid,
    pub customer_id: Uuid,
    pub amount_cents: i64,
}

impl Event for PaymentAuthorized {
    const TYPE: &'static str = "payments.payment.authorized";
    const SOURCE: &'static str = SOURCE;
}

/// The money of a paid order was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentCaptured {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub amount_cents: i64,
}

impl Event for PaymentCaptured {
    const TYPE: &'static str = "payments.payment.captured";
    const SOURCE: &'static str = SOURCE;
}

/// The payment covers the order and is now bound to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentConfirmed {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub amount_cents: i64,
}

impl Event for PaymentConfirmed {
    const TYPE: &'static str = "payments.payment.confirmed";
    const SOURCE: &'static str = SOURCE;
}

/// Why a payment cannot pay for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentRejectReason {
    /// The authorized amount is below the order's total.
    NotEnoughMoney,
    /// No payment has the order's payment id.
    UnknownPayment,
    /// The payment is bound to another order, or was voided.
    PaymentAlreadyUsed,
    /// The payment belongs to another customer.
    CustomerMismatch,
}

/// The payment cannot pay for the order; nothing was bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRejected {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub reason: PaymentRejectReason,
}

impl Event for PaymentRejected {
    const TYPE: &'static str = "payments.payment.rejected";
    const SOURCE: &'static str = SOURCE;
}

/// The order the payment was bound to was rejected or cancelled: the hold is released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentVoided {
    pub payment_id: Uuid,
    pub order_id: Uuid,
}

impl Event for PaymentVoided {
    const TYPE: &'static str = "payments.payment.voided";
    const SOURCE: &'static str = SOURCE;
}
