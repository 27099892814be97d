//! What stores and products are, and what valid changes to them are. Pure: no I/O.

use chrono::{DateTime, Utc};
use plaza_domain::{FieldError, in_range, optional_text, parse_id, required_text};
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

    #[test]
    fn a_batch_holds_one_to_a_hundred_ids() {
        assert_eq!(field(parse_batch(&[]).unwrap_err()), "ids");
        let too_many: Vec<String> = (0..101).map(|_| Uuid::now_v7().to_string()).collect();
        assert_eq!(field(parse_batch(&too_many).unwrap_err()), "ids");
    }
}
