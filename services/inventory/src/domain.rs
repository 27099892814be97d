//! What stores and products are, and what valid changes to them are. Pure: no I/O.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use plaza_domain::{FieldError, in_range, optional_text, parse_id, required_text};
pub use plaza_events::inventory::{MissingStock, StockLine};
use plaza_events::ordering::OrderLine;
use uuid::Uuid;

const STORE_NAME_MAX_CHARS: usize = 100;
const LOCATION_MAX_CHARS: usize = 200;
const PRODUCT_NAME_MAX_CHARS: usize = 100;
const DESCRIPTION_MAX_CHARS: usize = 2000;
/// Ten million euro: far above any price, far below any overflow of a 99-unit order line.
pub const MAX_PRICE_CENTS: i64 = 1_000_000_000;
pub const MAX_STOCK: i32 = 1_000_000_000;
/// How many products one `BatchGetProducts` may ask for.
pub const MAX_BATCH: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub id: Uuid,
    pub name: String,
    pub location: String,
    pub participating: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: Uuid,
    pub store_id: Uuid,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    /// Units available to order.
    pub stock: i32,
    /// Units held for orders not yet delivered or cancelled.
    pub reserved: i32,
    pub created_at: DateTime<Utc>,
}

/// A product with its store, as the catalog and order pricing see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreProduct {
    pub product: Product,
    pub store_name: String,
    pub store_location: String,
    pub store_participating: bool,
}

/// A store's name and location, valid: built only by [`StoreDetails::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDetails {
    pub name: String,
    pub location: String,
}

impl StoreDetails {
    pub fn parse(name: &str, location: &str) -> Result<Self, FieldError> {
        Ok(Self {
            name: required_text("name", name, STORE_NAME_MAX_CHARS)?,
            location: required_text("location", location, LOCATION_MAX_CHARS)?,
        })
    }
}

/// What an admin sets on a product, valid: built only by [`ProductDetails::parse`]. The same
/// rules hold for adding and for editing (the original system had two different sets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDetails {
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i32,
}

impl ProductDetails {
    pub fn parse(
        name: &str,
        description: &str,
        price_cents: i64,
        stock: i32,
    ) -> Result<Self, FieldError> {
        Ok(Self {
            name: required_text("name", name, PRODUCT_NAME_MAX_CHARS)?,
            description: optional_text("description", description, DESCRIPTION_MAX_CHARS)?,
            price_cents: in_range("price_cents", price_cents, 0, MAX_PRICE_CENTS)?,
            stock: in_range("stock", stock, 0, MAX_STOCK)?,
        })
    }
}

/// The distinct product ids of a batch look-up, in the order asked; between 1 and
/// [`MAX_BATCH`].
pub fn parse_batch(ids: &[String]) -> Result<Vec<Uuid>, FieldError> {
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(FieldError::new(
            "ids",
            format!("must hold 1 to {MAX_BATCH} product ids"),
        ));
    }
    let mut distinct = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let id = parse_id(&format!("ids[{index}]"), id)?;
        if !distinct.contains(&id) {
            distinct.push(id);
        }
    }
    Ok(distinct)
}

/// What inventory did for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockStatus {
    Reserved,
    OutOfStock,
    Released,
    Committed,
    /// Rejected or cancelled before inventory reserved anything.
    Closed,
}

impl StockStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "RESERVED",
            Self::OutOfStock => "OUT_OF_STOCK",
            Self::Released => "RELEASED",
            Self::Committed => "COMMITTED",
            Self::Closed => "CLOSED",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Reserved,
            Self::OutOfStock,
            Self::Released,
            Self::Committed,
            Self::Closed,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

/// An order inventory cannot act on: ordering never publishes one, so it comes from a
/// faulty publisher and must not touch the stock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an order needs lines of 1 to {MAX_STOCK} units each")]
pub struct InvalidDemand;

/// The units an order needs, one line per product (an order may name a product twice), in
/// product id order: the order in which rows are locked, so reservations never deadlock.
pub fn demand(lines: &[OrderLine]) -> Result<Vec<StockLine>, InvalidDemand> {
    if lines.is_empty() || lines.iter().any(|line| line.quantity < 1) {
        return Err(InvalidDemand);
    }
    let mut per_product: BTreeMap<Uuid, i32> = BTreeMap::new();
    for line in lines {
        let total = per_product.entry(line.product_id).or_default();
        *total = total.checked_add(line.quantity).ok_or(InvalidDemand)?;
    }
    Ok(per_product
        .into_iter()
        .map(|(product_id, quantity)| StockLine {
            product_id,
            quantity,
        })
        .collect())
}

/// The lines that the available stock cannot cover; a product that no longer exists has
/// nothing available. Empty means the whole order can be reserved.
pub fn shortfalls(demand: &[StockLine], available: &HashMap<Uuid, i32>) -> Vec<MissingStock> {
    demand
        .iter()
        .filter_map(|line| {
            let available = available.get(&line.product_id).copied().unwrap_or(0);
            (available < line.quantity).then_some(MissingStock {
                product_id: line.product_id,
                requested: line.quantity,
                available,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(error: FieldError) -> String {
        error.field
    }

    #[test]
    fn store_details_are_trimmed() {
        let details = StoreDetails::parse(" Corner Shop ", " Main St 1 ").unwrap();
        assert_eq!(details.name, "Corner Shop");
        assert_eq!(details.location, "Main St 1");
    }

    #[test]
    fn a_store_needs_a_name_and_a_location() {
        assert_eq!(
            field(StoreDetails::parse("", "Main St").unwrap_err()),
            "name"
        );
        assert_eq!(
            field(StoreDetails::parse("Shop", " ").unwrap_err()),
            "location"
        );
    }

    #[test]
    fn store_names_and_locations_are_bounded() {
        assert_eq!(
            field(StoreDetails::parse(&"n".repeat(101), "x").unwrap_err()),
            "name"
        );
        assert_eq!(
            field(StoreDetails::parse("n", &"l".repeat(201)).unwrap_err()),
            "location"
        );
    }

    #[test]
    fn a_product_may_be_free_and_out_of_stock_and_without_description() {
        let details = ProductDetails::parse("Gift card", "", 0, 0).unwrap();
        assert_eq!((details.price_cents, details.stock), (0, 0));
    }

    #[test]
    fn a_product_needs_a_name() {
        assert_eq!(
            field(ProductDetails::parse(" ", "d", 100, 1).unwrap_err()),
            "name"
        );
    }

    #[test]
    fn a_price_is_never_negative_nor_absurd() {
        assert_eq!(
            field(ProductDetails::parse("p", "", -1, 1).unwrap_err()),
            "price_cents"
        );
        assert_eq!(
            field(ProductDetails::parse("p", "", MAX_PRICE_CENTS + 1, 1).unwrap_err()),
            "price_cents"
        );
    }

    #[test]
    fn stock_is_never_negative() {
        assert_eq!(
            field(ProductDetails::parse("p", "", 1, -1).unwrap_err()),
            "stock"
        );
    }

    #[test]
    fn a_description_is_bounded() {
        assert_eq!(
            field(ProductDetails::parse("p", &"d".repeat(2001), 1, 1).unwrap_err()),
            "description"
        );
    }

    #[test]
    fn a_batch_names_the_malformed_id_and_drops_duplicates() {
        let id = Uuid::now_v7().to_string();
        assert_eq!(
            field(parse_batch(&[id.clone(), "x".to_owned()]).unwrap_err()),
            "ids[1]"
        );
        assert_eq!(parse_batch(&[id.clone(), id]).unwrap().len(), 1);
    }

    fn line(product_id: Uuid, quantity: i32) -> OrderLine {
        OrderLine {
            product_id,
            store_id: Uuid::now_v7(),
            product_name: "p".to_owned(),
            store_name: "s".to_owned(),
            unit_price_cents: 1,
            quantity,
        }
    }

    #[test]
    fn demand_adds_up_the_lines_of_one_product_in_id_order() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let demand = demand(&[line(b, 1), line(a, 2), line(b, 3)]).unwrap();
        assert_eq!(
            demand,
            vec![
                StockLine {
                    product_id: a,
                    quantity: 2
                },
                StockLine {
                    product_id: b,
                    quantity: 4
                }
            ]
        );
    }

    #[test]
    fn an_order_without_lines_or_with_a_non_positive_quantity_is_invalid() {
        assert_eq!(demand(&[]), Err(InvalidDemand));
        assert_eq!(demand(&[line(Uuid::now_v7(), 0)]), Err(InvalidDemand));
        assert_eq!(
            demand(&[line(Uuid::now_v7(), 2), line(Uuid::now_v7(), -1)]),
            Err(InvalidDemand)
        );
    }

    #[test]
    fn exactly_the_available_stock_is_enough() {
        let a = Uuid::now_v7();
        let available = HashMap::from([(a, 3)]);
        assert!(
            shortfalls(
                &[StockLine {
                    product_id: a,
                    quantity: 3
                }],
                &available
            )
            .is_empty()
        );
    }

    #[test]
    fn every_line_short_of_stock_is_named_with_what_is_left() {
        let (a, b, gone) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let available = HashMap::from([(a, 3), (b, 10)]);
        let demand = [
            StockLine {
                product_id: a,
                quantity: 4,
            },
            StockLine {
                product_id: b,
                quantity: 10,
            },
            StockLine {
                product_id: gone,
                quantity: 1,
            },
        ];
        assert_eq!(
            shortfalls(&demand, &available),
            vec![
                MissingStock {
                    product_id: a,
                    requested: 4,
                    available: 3
                },
                MissingStock {
                    product_id: gone,
                    requested: 1,
                    available: 0
                }
            ]
        );
    }

    #[test]
    fn stock_statuses_round_trip_through_their_names() {
        for status in [
            StockStatus::Reserved,
            StockStatus::OutOfStock,
            StockStatus::Released,
            StockStatus::Committed,
            StockStatus::Closed,
        ] {
            assert_eq!(StockStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn a_batch_holds_one_to_a_hundred_ids() {
        assert_eq!(field(parse_batch(&[]).unwrap_err()), "ids");
        let too_many: Vec<String> = (0..101).map(|_| Uuid::now_v7().to_string()).collect();
        assert_eq!(field(parse_batch(&too_many).unwrap_err()), "ids");
    }
}
