//! Orders, event-sourced (DESIGN.md §4). An order's state is a pure fold of its events; each
//! command or saga answer is a decision on that state that yields new events, or none when
//! the answer is late or a duplicate. No I/O here.
//!
//! ```text
//! PENDING --payment confirmed + stock reserved--> ACCEPTED --pay--> DELIVERED
//!    |  \--payment rejected | out of stock--> REJECTED              
//!    +----------cancel----------+--cancel (ACCEPTED too)--> CANCELLED
//! ```
//! Beside the status, the order tracks its payment (PENDING, CONFIRMED, REJECTED, CAPTURED,
//! VOIDED) and its stock (PENDING, RESERVED, OUT_OF_STOCK, RELEASED, COMMITTED); each only
//! moves forward, so a late or repeated answer changes nothing.

use chrono::{DateTime, Utc};
use plaza_domain::{FieldError, in_range, parse_id, parse_request_id};
pub use plaza_events::{
    inventory::{MissingStock, StockLine},
    ordering::{OrderLine, RejectReason},
    payments::PaymentRejectReason,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i32 = 99;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    Accepted,
    Rejected,
    Delivered,
    Cancelled,
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pending => "PENDING",
            Self::Accepted => "ACCEPTED",
            Self::Rejected => "REJECTED",
            Self::Delivered => "DELIVERED",
            Self::Cancelled => "CANCELLED",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentState {
    Pending,
    Confirmed,
    Rejected,
    Captured,
    Voided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StockState {
    Pending,
    Reserved,
    OutOfStock,
    Released,
    Committed,
}

/// What happened to an order, as stored in the event store (`type` and `data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum OrderEvent {
    #[serde(rename_all = "camelCase")]
    OrderCreated {
        customer_id: Uuid,
        payment_id: Uuid,
        lines: Vec<OrderLine>,
        total_cents: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
    },
    PaymentConfirmed {},
    PaymentRejected {
        reason: PaymentRejectReason,
    },
    PaymentVoided {},
    StockReserved {
        lines: Vec<StockLine>,
    },
    StockRejected {
        lines: Vec<MissingStock>,
    },
    StockReleased {},
    StockCommitted {},
    OrderAccepted {},
    OrderRejected {
        reason: RejectReason,
    },
    /// Paid: the payment was captured.
    OrderDelivered {},
    OrderCancelled {},
}

/// An event as the store recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub version: i32,
    pub event: OrderEvent,
    pub recorded_at: DateTime<Utc>,
}

/// An order's state: the fold of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub payment_id: Uuid,
    pub lines: Vec<OrderLine>,
    pub total_cents: i64,
    pub request_id: Option<String>,
    pub status: OrderStatus,
    pub payment: PaymentState,
    pub stock: StockState,
    pub reject_reason: Option<RejectReason>,
    /// The version of the last event: the number of events.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a command cannot be carried out on the order as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderRefused {
    #[error("order {id} cannot be paid: it is {status}, not ACCEPTED")]
    NotAccepted { id: Uuid, status: OrderStatus },
    #[error("order {id} cannot be cancelled: it is {status}; only PENDING and ACCEPTED orders can")]
    NotCancellable { id: Uuid, status: OrderStatus },
}

impl Order {
    /// Folds an order's events, oldest first. `None` when there are none or the first is
    /// not the creation.
    pub fn from_events(id: Uuid, events: &[Recorded]) -> Option<Self> {
        let (first, rest) = events.split_first()?;
        let OrderEvent::OrderCreated {
            customer_id,
            payment_id,
            lines,
            total_cents,
            request_id,
        } = &first.event
        else {
            return None;
        };
        let mut order = Self {
            id,
            customer_id: *customer_id,
            payment_id: *payment_id,
            lines: lines.clone(),
            total_cents: *total_cents,
            request_id: request_id.clone(),
            status: OrderStatus::Pending,
            payment: PaymentState::Pending,
            stock: StockState::Pending,
            reject_reason: None,
            version: first.version,
            created_at: first.recorded_at,
            updated_at: first.recorded_at,
        };
        for recorded in rest {
            order.apply(recorded);
        }
        Some(order)
    }

    /// The state after `recorded`.
    pub fn apply(&mut self, recorded: &Recorded) {
        match &recorded.event {
            OrderEvent::OrderCreated { .. } => {}
            OrderEvent::PaymentConfirmed {} => self.payment = PaymentState::Confirmed,
            OrderEvent::PaymentRejected { .. } => self.payment = PaymentState::Rejected,
            OrderEvent::PaymentVoided {} => self.payment = PaymentState::Voided,
            OrderEvent::StockReserved { .. } => self.stock = StockState::Reserved,
            OrderEvent::StockRejected { .. } => self.stock = StockState::OutOfStock,
            OrderEvent::StockReleased {} => self.stock = StockState::Released,
            OrderEvent::StockCommitted {} => self.stock = StockState::Committed,
            OrderEvent::OrderAccepted {} => self.status = OrderStatus::Accepted,
            OrderEvent::OrderRejected { reason } => {
                self.status = OrderStatus::Rejected;
                self.reject_reason = Some(*reason);
            }
            OrderEvent::OrderDelivered {} => {
                self.status = OrderStatus::Delivered;
                self.payment = PaymentState::Captured;
            }
            OrderEvent::OrderCancelled {} => self.status = OrderStatus::Cancelled,
        }
        self.version = recorded.version;
        self.updated_at = recorded.recorded_at;
    }

    fn is_pending(&self) -> bool {
        self.status == OrderStatus::Pending
    }

    /// Payments bound the payment to the order.
    pub fn payment_confirmed(&self) -> Vec<OrderEvent> {
        if self.payment != PaymentState::Pending {
            return Vec::new();
        }
        let mut events = vec![OrderEvent::PaymentConfirmed {}];
        if self.is_pending() && self.stock == StockState::Reserved {
            events.push(OrderEvent::OrderAccepted {});
        }
        events
    }

    pub fn payment_rejected(&self, reason: PaymentRejectReason) -> Vec<OrderEvent> {
        if self.payment != PaymentState::Pending {
            return Vec::new();
        }
        let mut events = vec![OrderEvent::PaymentRejected { reason }];
        if self.is_pending() {
            events.push(OrderEvent::OrderRejected {
                reason: reject_reason(reason),
            });
        }
        events
    }

    /// Payments released the hold of a rejected or cancelled order.
    pub fn payment_voided(&self) -> Vec<OrderEvent> {
        match self.payment {
            PaymentState::Pending | PaymentState::Confirmed => vec![OrderEvent::PaymentVoided {}],
            _ => Vec::new(),
        }
    }

    pub fn stock_reserved(&self, lines: Vec<StockLine>) -> Vec<OrderEvent> {
        if self.stock != StockState::Pending {
            return Vec::new();
        }
        let mut events = vec![OrderEvent::StockReserved { lines }];
        if self.is_pending() && self.payment == PaymentState::Confirmed {
            events.push(OrderEvent::OrderAccepted {});
        }
        events
    }

    pub fn stock_rejected(&self, lines: Vec<MissingStock>) -> Vec<OrderEvent> {
        if self.stock != StockState::Pending {
            return Vec::new();
        }
        let mut events = vec![OrderEvent::StockRejected { lines }];
        if self.is_pending() {
            events.push(OrderEvent::OrderRejected {
                reason: RejectReason::OutOfStock,
            });
        }
        events
    }

    pub fn stock_released(&self) -> Vec<OrderEvent> {
        match self.stock {
            StockState::Pending | StockState::Reserved => vec![OrderEvent::StockReleased {}],
            _ => Vec::new(),
        }
    }

    pub fn stock_committed(&self) -> Vec<OrderEvent> {
        match self.stock {
            StockState::Pending | StockState::Reserved => vec![OrderEvent::StockCommitted {}],
            _ => Vec::new(),
        }
    }

    /// Paying is allowed only for an accepted order; the payment is captured first.
    pub fn pay(&self) -> Result<Vec<OrderEvent>, OrderRefused> {
        match self.status {
            OrderStatus::Accepted => Ok(vec![OrderEvent::OrderDelivered {}]),
            status => Err(OrderRefused::NotAccepted {
                id: self.id,
                status,
            }),
        }
    }

    pub fn cancel(&self) -> Result<Vec<OrderEvent>, OrderRefused> {
        match self.status {
            OrderStatus::Pending | OrderStatus::Accepted => Ok(vec![OrderEvent::OrderCancelled {}]),
            status => Err(OrderRefused::NotCancellable {
                id: self.id,
                status,
            }),
        }
    }
}

fn reject_reason(reason: PaymentRejectReason) -> RejectReason {
    match reason {
        PaymentRejectReason::NotEnoughMoney => RejectReason::NotEnoughMoney,
        PaymentRejectReason::UnknownPayment => RejectReason::UnknownPayment,
        PaymentRejectReason::PaymentAlreadyUsed => RejectReason::PaymentAlreadyUsed,
        PaymentRejectReason::CustomerMismatch => RejectReason::CustomerMismatch,
    }
}

/// A valid request to place an order, before pricing: built only by
/// [`OrderRequest::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub customer_id: Uuid,
    pub payment_id: Uuid,
    /// (product id, quantity), each product once, in the order given.
    pub items: Vec<(Uuid, i32)>,
    pub request_id: Option<String>,
}

impl OrderRequest {
    pub fn parse(
        customer_id: &str,
        payment_id: &str,
        items: &[(String, i32)],
        request_id: &str,
    ) -> Result<Self, FieldError> {
        let customer_id = parse_id("customer_id", customer_id)?;
        let payment_id = parse_id("payment_id", payment_id)?;
        if items.is_empty() || items.len() > MAX_LINES {
            return Err(FieldError::new(
                "items",
                format!("must hold 1 to {MAX_LINES} lines"),
            ));
        }
        let mut parsed: Vec<(Uuid, i32)> = Vec::with_capacity(items.len());
        for (index, (product_id, quantity)) in items.iter().enumerate() {
            let product_id = parse_id(&format!("items[{index}].product_id"), product_id)?;
            if let Some(first) = parsed.iter().position(|(id, _)| *id == product_id) {
                return Err(FieldError::new(
                    format!("items[{index}].product_id"),
                    format!("names the same product as items[{first}]; add up the quantities"),
                ));
            }
            let quantity = in_range(
                &format!("items[{index}].quantity"),
                *quantity,
                1,
                MAX_QUANTITY,
            )?;
            parsed.push((product_id, quantity));
        }
        Ok(Self {
            customer_id,
            payment_id,
            items: parsed,
            request_id: parse_request_id("request_id", request_id)?,
        })
    }
}

/// A product as inventory prices it for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedProduct {
    pub product_id: Uuid,
    pub store_id: Uuid,
    pub product_name: String,
    pub store_name: String,
    pub unit_price_cents: i64,
    pub store_participating: bool,
}

/// Why an order cannot be priced, naming the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("items[{index}].product_id: product {product_id} not found")]
    UnknownProduct { index: usize, product_id: Uuid },
    #[error(transparent)]
    NotOrderable(FieldError),
}

/// Prices every line from inventory's answer: the client never sends prices.
pub fn price(
    request: &OrderRequest,
    products: &[PricedProduct],
) -> Result<(Vec<OrderLine>, i64), PricingError> {
    let mut lines = Vec::with_capacity(request.items.len());
    let mut total_cents = 0i64;
    for (index, (product_id, quantity)) in request.items.iter().enumerate() {
        let product = products
            .iter()
            .find(|p| p.product_id == *product_id)
            .ok_or(PricingError::UnknownProduct {
                index,
                product_id: *product_id,
            })?;
        if !product.store_participating {
            return Err(PricingError::NotOrderable(FieldError::new(
                format!("items[{index}].product_id"),
                format!(
                    "store {} does not take part in the shop",
                    product.store_name
                ),
            )));
        }
        total_cents += product.unit_price_cents * i64::from(*quantity);
        lines.push(OrderLine {
            product_id: *product_id,
            store_id: product.store_id,
            product_name: product.product_name.clone(),
            store_name: product.store_name.clone(),
            unit_price_cents: product.unit_price_cents,
            quantity: *quantity,
        });
    }
    Ok((lines, total_cents))
}

#[cfg(test)]
mod tests;
