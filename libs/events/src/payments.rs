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
