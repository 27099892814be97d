//! Events of the inventory service, on the `INVENTORY` stream.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Event;

const SOURCE: &str = "plaza/inventory";

/// A store's state after it was created or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreSnapshot {
    pub store_id: Uuid,
    pub name: String,
    pub location: String,
    pub participating: bool,
}

/// A product's state after it was added or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductSnapshot {
    pub product_id: Uuid,
    pub store_id: Uuid,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i32,
}

macro_rules! inventory_event {
    ($(#[$doc:meta])* $name:ident($details:ty) = $event_type:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $details);

        impl Event for $name {
            const TYPE: &'static str = $event_type;
            const SOURCE: &'static str = SOURCE;
        }
    };
}

inventory_event!(StoreCreated(StoreSnapshot) = "inventory.store.created");
inventory_event!(
    /// The store's name or location changed.
    StoreUpdated(StoreSnapshot) = "inventory.store.updated"
);
inventory_event!(
    /// The store now takes part in the shop: its products are in the catalog.
    ParticipationEnabled(StoreSnapshot) = "inventory.store.participation_enabled"
);
inventory_event!(
    /// The store left the shop: its products are no longer in the catalog.
    ParticipationDisabled(StoreSnapshot) = "inventory.store.participation_disabled"
);
inventory_event!(ProductAdded(ProductSnapshot) = "inventory.product.added");
inventory_event!(
    /// The product's name, description, price or available stock was changed by an admin.
    ProductUpdated(ProductSnapshot) = "inventory.product.updated"
);

/// The store and, with it, all its products were deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreDeleted {
    pub store_id: Uuid,
    pub product_ids: Vec<Uuid>,
}

impl Event for StoreDeleted {
    const TYPE: &'static str = "inventory.store.deleted";
    const SOURCE: &'static str = SOURCE;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductDeleted {
    pub product_id: Uuid,
    pub store_id: Uuid,
}

impl Event for ProductDeleted {
    const TYPE: &'static str = "inventory.product.deleted";
    const SOURCE: &'static str = SOURCE;
}

/// Units of one product held or missing for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockLine {
    pub product_id: Uuid,
    pub quantity: i32,
}

/// Every line of the order is reserved: the units left the available stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockReserved {
    pub order_id: Uuid,
    pub lines: Vec<StockLine>,
}

impl Event for StockReserved {
    const TYPE: &'static str = "inventory.stock.reserved";
    const SOURCE: &'static str = SOURCE;
}

/// A line the stock cannot cover: what was asked, and what was available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingStock {
    pub product_id: Uuid,
    pub requested: i32,
    pub available: i32,
}

/// Why inventory refuses an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StockRejectReason {
    OutOfStock,
}

/// At least one line cannot be reserved; nothing was reserved (all or nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockRejected {
    pub order_id: Uuid,
    pub reason: StockRejectReason,
    /// The lines the stock cannot cover.
    pub lines: Vec<MissingStock>,
}

impl Event for StockRejected {
    const TYPE: &'static str = "inventory.stock.rejected";
    const SOURCE: &'static str = SOURCE;
}

/// The order's reservation went back to the available stock (order rejected or cancelled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockReleased {
    pub order_id: Uuid,
}

impl Event for StockReleased {
    const TYPE: &'static str = "inventory.stock.released";
    const SOURCE: &'static str = SOURCE;
}

/// The order was delivered: its reserved units are sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockCommitted {
    pub order_id: Uuid,
}

impl Event for StockCommitted {
    const TYPE: &'static str = "inventory.stock.committed";
    const SOURCE: &'static str = SOURCE;
}
