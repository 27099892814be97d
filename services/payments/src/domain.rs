//! Payments and the rules of their life. Pure: no I/O.
//!
//! ```text
//! AUTHORIZED --(saga: order confirmed)--> CONFIRMED --(order paid)--> CAPTURED
//!      \                                       \
//!       +------(order rejected/cancelled)-------+--> VOIDED
//! ```

use chrono::{DateTime, Utc};
use plaza_domain::{FieldError, in_range, parse_id, parse_request_id};
pub use plaza_events::payments::PaymentRejectReason;
use uuid::Uuid;

/// One billion euro: an upper bound that no mock payment needs to pass.
pub const MAX_AMOUNT_CENTS: i64 = 100_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// The amount is held for the customer; no order uses it yet.
    Authorized,
    /// Bound to one order, whose total it covers.
    Confirmed,
    /// The order was paid: the money is taken.
    Captured,
    /// Released: the order was rejected or cancelled.
    Voided,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authorized => "AUTHORIZED",
            Self::Confirmed => "CONFIRMED",
            Self::Captured => "CAPTURED",
            Self::Voided => "VOIDED",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Authorized,
            Self::Confirmed,
            Self::Captured,
            Self::Voided,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub amount_cents: i64,
    pub status: PaymentStatus,
    pub order_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A valid request to authorize: built only by [`Authorization::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub customer_id: Uuid,
    pub amount_cents: i64,
    /// The client's idempotency key: the same key, for the same customer, is the same payment.
    pub request_id: Option<String>,
}

impl Authorization {
    pub fn parse(
        customer_id: &str,
        amount_cents: i64,
        request_id: &str,
    ) -> Result<Self, FieldError> {
        Ok(Self {
            customer_id: parse_id("customer_id", customer_id)?,
            amount_cents: in_range("amount_cents", amount_cents, 1, MAX_AMOUNT_CENTS)?,
            request_id: parse_request_id("request_id", request_id)?,
        })
    }

    /// Whether `payment`, found under this request's key, was made by this same request.
    pub fn is_repeated_by(&self, payment: &Payment) -> bool {
        payment.customer_id == self.customer_id && payment.amount_cents == self.amount_cents
    }
}

/// What capturing a payment for an order does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Take the money now.
    Take,
    /// Already captured for this order: nothing to do, and no error (capture is retried by
    /// ordering until it hears back).
    AlreadyTaken,
}

/// Why a payment cannot be captured for an order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureRefused {
    #[error("payment {payment_id} is not confirmed for order {order_id}")]
    NotConfirmedForOrder { payment_id: Uuid, order_id: Uuid },
    #[error("payment {payment_id} was voided")]
    Voided { payment_id: Uuid },
}

/// Decides whether `payment` may be captured for `order_id`.
pub fn decide_capture(payment: &Payment, order_id: Uuid) -> Result<Capture, CaptureRefused> {
    let for_this_order = payment.order_id == Some(order_id);
    match payment.status {
        PaymentStatus::Confirmed if for_this_order => Ok(Capture::Take),
        PaymentStatus::Captured if for_this_order => Ok(Capture::AlreadyTaken),
        PaymentStatus::Voided => Err(CaptureRefused::Voided {
            payment_id: payment.id,
        }),
        _ => Err(CaptureRefused::NotConfirmedForOrder {
            payment_id: payment.id,
            order_id,
        }),
    }
}

/// What an order asks of its payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderToPay {
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub payment_id: Uuid,
    pub total_cents: i64,
}

/// Payments' answer to a new order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// Bind the payment to the order.
    Confirm,
    /// Already bound to this very order (a replay): answer nothing new.
    AlreadyConfirmed,
    Reject(PaymentRejectReason),
}

/// Decides whether `payment` (if there is one with the order's payment id) pays for `order`.
/// The checks go from the most to the least fundamental, so the reason is the one a person
/// would fix first.
pub fn decide_confirmation(payment: Option<&Payment>, order: &OrderToPay) -> Confirmation {
    let Some(payment) = payment else {
        return Confirmation::Reject(PaymentRejectReason::UnknownPayment);
    };
    if payment.customer_id != order.customer_id {
        return Confirmation::Reject(PaymentRejectReason::CustomerMismatch);
    }
    if payment.order_id == Some(order.order_id) {
        return Confirmation::AlreadyConfirmed;
    }
    if payment.status != PaymentStatus::Authorized {
        return Confirmation::Reject(PaymentRejectReason::PaymentAlreadyUsed);
    }
    if payment.amount_cents < order.total_cents {
        return Confirmation::Reject(PaymentRejectReason::NotEnoughMoney);
    }
    Confirmation::Confirm
}

/// Whether a rejected or cancelled order's payment must be voided: only a payment confirmed
/// for that order and not yet captured.
pub fn must_void(payment: &Payment, order_id: Uuid) -> bool {
    payment.status == PaymentStatus::Confirmed && payment.order_id == Some(order_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(status: PaymentStatus, order_id: Option<Uuid>) -> Payment {
        let now = Utc::now();
        Payment {
            id: Uuid::now_v7(),
            customer_id: Uuid::now_v7(),
            amount_cents: 1000,
            status,
            order_id,
            request_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn an_authorization_needs_a_customer_id() {
        assert_eq!(
            Authorization::parse("", 100, "").unwrap_err().field,
            "customer_id"
        );
        assert_eq!(
            Authorization::parse("ana", 100, "").unwrap_err().field,
            "customer_id"
        );
    }

    #[test]
    fn an_authorized_amount_is_positive_and_bounded() {
        let customer = Uuid::now_v7().to_string();
        assert_eq!(
            Authorization::parse(&customer, 0, "").unwrap_err().field,
            "amount_cents"
        );
        assert_eq!(
            Authorization::parse(&customer, -5, "").unwrap_err().field,
            "amount_cents"
        );
        assert_eq!(
            Authorization::parse(&customer, MAX_AMOUNT_CENTS + 1, "")
                .unwrap_err()
                .field,
            "amount_cents"
        );
        assert!(Authorization::parse(&customer, 1, "").is_ok());
    }

    #[test]
    fn a_request_id_is_optional_but_well_formed() {
        let customer = Uuid::now_v7().to_string();
        assert_eq!(
            Authorization::parse(&customer, 1, "").unwrap().request_id,
            None
        );
        assert_eq!(
            Authorization::parse(&customer, 1, "two words")
                .unwrap_err()
                .field,
            "request_id"
        );
    }

    #[test]
    fn a_repeated_request_is_the_same_customer_and_amount() {
        let existing = payment(PaymentStatus::Authorized, None);
        let same = Authorization {
            customer_id: existing.customer_id,
            amount_cents: 1000,
            request_id: Some("k".to_owned()),
        };
        assert!(same.is_repeated_by(&existing));
        let other_amount = Authorization {
            amount_cents: 999,
            ..same
        };
        assert!(!other_amount.is_repeated_by(&existing));
    }

    #[test]
    fn a_payment_confirmed_for_the_order_is_captured() {
        let order = Uuid::now_v7();
        assert_eq!(
            decide_capture(&payment(PaymentStatus::Confirmed, Some(order)), order),
            Ok(Capture::Take)
        );
    }

    #[test]
    fn capturing_twice_for_the_same_order_is_harmless() {
        let order = Uuid::now_v7();
        assert_eq!(
            decide_capture(&payment(PaymentStatus::Captured, Some(order)), order),
            Ok(Capture::AlreadyTaken)
        );
    }

    #[test]
    fn a_payment_is_never_captured_for_another_order() {
        let order = Uuid::now_v7();
        let other = Uuid::now_v7();
        for status in [PaymentStatus::Confirmed, PaymentStatus::Captured] {
            assert!(matches!(
                decide_capture(&payment(status, Some(order)), other),
                Err(CaptureRefused::NotConfirmedForOrder { .. })
            ));
        }
    }

    #[test]
    fn an_authorized_or_voided_payment_is_not_captured() {
        let order = Uuid::now_v7();
        assert!(decide_capture(&payment(PaymentStatus::Authorized, None), order).is_err());
        assert!(matches!(
            decide_capture(&payment(PaymentStatus::Voided, Some(order)), order),
            Err(CaptureRefused::Voided { .. })
        ));
    }

    fn order_for(payment: &Payment, total_cents: i64) -> OrderToPay {
        OrderToPay {
            order_id: Uuid::now_v7(),
            customer_id: payment.customer_id,
            payment_id: payment.id,
            total_cents,
        }
    }

    #[test]
    fn an_authorization_covering_the_total_is_confirmed() {
        let payment = payment(PaymentStatus::Authorized, None);
        assert_eq!(
            decide_confirmation(Some(&payment), &order_for(&payment, 1000)),
            Confirmation::Confirm
        );
    }

    #[test]
    fn an_authorization_below_the_total_is_not_enough_money() {
        let payment = payment(PaymentStatus::Authorized, None);
        assert_eq!(
            decide_confirmation(Some(&payment), &order_for(&payment, 1001)),
            Confirmation::Reject(PaymentRejectReason::NotEnoughMoney)
        );
    }

    #[test]
    fn a_missing_payment_is_unknown() {
        let payment = payment(PaymentStatus::Authorized, None);
        assert_eq!(
            decide_confirmation(None, &order_for(&payment, 1)),
            Confirmation::Reject(PaymentRejectReason::UnknownPayment)
        );
    }

    #[test]
    fn another_customers_payment_is_a_mismatch() {
        let payment = payment(PaymentStatus::Authorized, None);
        let order = OrderToPay {
            customer_id: Uuid::now_v7(),
            ..order_for(&payment, 1)
        };
        assert_eq!(
            decide_confirmation(Some(&payment), &order),
            Confirmation::Reject(PaymentRejectReason::CustomerMismatch)
        );
    }

    #[test]
    fn a_payment_bound_to_another_order_or_voided_is_already_used() {
        for status in [
            PaymentStatus::Confirmed,
            PaymentStatus::Captured,
            PaymentStatus::Voided,
        ] {
            let payment = payment(status, Some(Uuid::now_v7()));
            assert_eq!(
                decide_confirmation(Some(&payment), &order_for(&payment, 1)),
                Confirmation::Reject(PaymentRejectReason::PaymentAlreadyUsed)
            );
        }
    }

    #[test]
    fn a_replayed_order_finds_its_payment_already_confirmed() {
        let order_id = Uuid::now_v7();
        let payment = payment(PaymentStatus::Confirmed, Some(order_id));
        let order = OrderToPay {
            order_id,
            ..order_for(&payment, 1)
        };
        assert_eq!(
            decide_confirmation(Some(&payment), &order),
            Confirmation::AlreadyConfirmed
        );
    }

    #[test]
    fn only_a_payment_confirmed_for_the_order_is_voided() {
        let order_id = Uuid::now_v7();
        assert!(must_void(
            &payment(PaymentStatus::Confirmed, Some(order_id)),
            order_id
        ));
        assert!(!must_void(
            &payment(PaymentStatus::Confirmed, Some(Uuid::now_v7())),
            order_id
        ));
        assert!(!must_void(
            &payment(PaymentStatus::Captured, Some(order_id)),
            order_id
        ));
        assert!(!must_void(
            &payment(PaymentStatus::Authorized, None),
            order_id
        ));
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in [
            PaymentStatus::Authorized,
            PaymentStatus::Confirmed,
            PaymentStatus::Captured,
            PaymentStatus::Voided,
        ] {
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(PaymentStatus::parse("PAID"), None);
    }
}
