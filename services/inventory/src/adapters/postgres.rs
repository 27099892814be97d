//! The `stores` and `products` tables.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use plaza_domain::PageRequest;
use sqlx::{PgConnection, PgPool, types::Json};
use uuid::Uuid;

use crate::domain::{
    Product, ProductDetails, StockLine, StockStatus, Store, StoreDetails, StoreProduct,
};

const STORE_COLUMNS: &str = "id, name, location, participating, created_at";
const PRODUCT_COLUMNS: &str =
    "id, store_id, name, description, price_cents, stock, reserved, created_at";
/// The product columns with the store's, for a `products p JOIN stores s`.
const STORE_PRODUCT_COLUMNS: &str = "p.id, p.store_id, p.name, p.description, p.price_cents, \
     p.stock, p.reserved, p.created_at, s.name AS store_name, s.location AS store_location, \
     s.participating AS store_participating";
const NO_ID: Uuid = Uuid::nil();

#[derive(sqlx::FromRow)]
struct StoreRow {
    id: Uuid,
    name: String,
    location: String,
    participating: bool,
    created_at: DateTime<Utc>,
}

impl From<StoreRow> for Store {
    fn from(row: StoreRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            location: row.location,
            participating: row.participating,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: Uuid,
    store_id: Uuid,
    name: String,
    description: String,
    price_cents: i64,
    stock: i32,
    reserved: i32,
    created_at: DateTime<Utc>,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Self {
            id: row.id,
            store_id: row.store_id,
            name: row.name,
            description: row.description,
            price_cents: row.price_cents,
            stock: row.stock,
            reserved: row.reserved,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct StoreProductRow {
    #[sqlx(flatten)]
    product: ProductRow,
    store_name: String,
    store_location: String,
    store_participating: bool,
}

impl From<StoreProductRow> for StoreProduct {
    fn from(row: StoreProductRow) -> Self {
        Self {
            product: row.product.into(),
            store_name: row.store_name,
            store_location: row.store_location,
            store_participating: row.store_participating,
        }
    }
}

pub async fn insert_store(connection: &mut PgConnection, store: &Store) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO stores (id, name, location, participating, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(store.id)
    .bind(&store.name)
    .bind(&store.location)
    .bind(store.participating)
    .bind(store.created_at)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn find_store(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Store>> {
    let row: Option<StoreRow> =
        sqlx::query_as(&format!("SELECT {STORE_COLUMNS} FROM stores WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(Store::from))
}

/// One page and one row more, oldest first.
pub async fn list_stores(pool: &PgPool, page: PageRequest) -> sqlx::Result<Vec<Store>> {
    let rows: Vec<StoreRow> = sqlx::query_as(&format!(
        "SELECT {STORE_COLUMNS} FROM stores WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(page.after.unwrap_or(NO_ID))
    .bind(page.fetch_limit())
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Store::from).collect())
}

pub async fn update_store(
    connection: &mut PgConnection,
    id: Uuid,
    details: &StoreDetails,
) -> sqlx::Result<Option<Store>> {
    let row: Option<StoreRow> = sqlx::query_as(&format!(
        "UPDATE stores SET name = $2, location = $3 WHERE id = $1 RETURNING {STORE_COLUMNS}"
    ))
    .bind(id)
    .bind(&details.name)
    .bind(&details.location)
    .fetch_optional(connection)
    .await?;
    Ok(row.map(Store::from))
}

/// Sets participation; returns the store and whether it changed.
pub async fn set_participation(
    connection: &mut PgConnection,
    id: Uuid,
    participating: bool,
) -> sqlx::Result<Option<(Store, bool)>> {
    #[derive(sqlx::FromRow)]
    struct Changed {
        #[sqlx(flatten)]
        store: StoreRow,
        changed: bool,
    }
    let row: Option<Changed> = sqlx::query_as(
        "WITH before AS (SELECT id, participating FROM stores WHERE id = $1 FOR UPDATE) \
         UPDATE stores s SET participating = $2 FROM before WHERE s.id = before.id \
         RETURNING s.id, s.name, s.location, s.participating, s.created_at, \
         before.participating <> $2 AS changed",
    )
    .bind(id)
    .bind(participating)
    .fetch_optional(connection)
    .await?;
    Ok(row.map(|row| (row.store.into(), row.changed)))
}

/// Deletes the store and its products; returns the deleted products' ids, or `None` when
/// there was no such store.
pub async fn delete_store(
    connection: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<Vec<Uuid>>> {
    // Locking the store first keeps a product from being added while it goes.
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM stores WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
    if found.is_none() {
        return Ok(None);
    }
    let product_ids: Vec<Uuid> =
        sqlx::query_scalar("DELETE FROM products WHERE store_id = $1 RETURNING id")
            .bind(id)
            .fetch_all(&mut *connection)
            .await?;
    sqlx::query("DELETE FROM stores WHERE id = $1")
        .bind(id)
        .execute(connection)
        .await?;
    Ok(Some(product_ids))
}

/// Inserts the product; `false` when its store does not exist.
pub async fn insert_product(
    connection: &mut PgConnection,
    product: &Product,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO products \
         (id, store_id, name, description, price_cents, stock, reserved, created_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 FROM stores WHERE id = $2 FOR KEY SHARE",
    )
    .bind(product.id)
    .bind(product.store_id)
    .bind(&product.name)
    .bind(&product.description)
    .bind(product.price_cents)
    .bind(product.stock)
    .bind(product.reserved)
    .bind(product.created_at)
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn find_product(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Product>> {
    let row: Option<ProductRow> = sqlx::query_as(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Product::from))
}

/// One page and one row more of a store's products, oldest first.
pub async fn list_products(
    pool: &PgPool,
    store_id: Uuid,
    page: PageRequest,
) -> sqlx::Result<Vec<Product>> {
    let rows: Vec<ProductRow> = sqlx::query_as(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE store_id = $1 AND id > $2 \
         ORDER BY id LIMIT $3"
    ))
    .bind(store_id)
    .bind(page.after.unwrap_or(NO_ID))
    .bind(page.fetch_limit())
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

pub async fn update_product(
    connection: &mut PgConnection,
    id: Uuid,
    details: &ProductDetails,
) -> sqlx::Result<Option<Product>> {
    let row: Option<ProductRow> = sqlx::query_as(&format!(
        "UPDATE products SET name = $2, description = $3, price_cents = $4, stock = $5 \
         WHERE id = $1 RETURNING {PRODUCT_COLUMNS}"
    ))
    .bind(id)
    .bind(&details.name)
    .bind(&details.description)
    .bind(details.price_cents)
    .bind(details.stock)
    .fetch_optional(connection)
    .await?;
    Ok(row.map(Product::from))
}

pub async fn delete_product(
    connection: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<Product>> {
    let row: Option<ProductRow> = sqlx::query_as(&format!(
        "DELETE FROM products WHERE id = $1 RETURNING {PRODUCT_COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(connection)
    .await?;
    Ok(row.map(Product::from))
}

/// One page and one row more of the participating stores' products, oldest first.
pub async fn catalog(pool: &PgPool, page: PageRequest) -> sqlx::Result<Vec<StoreProduct>> {
    let rows: Vec<StoreProductRow> = sqlx::query_as(&format!(
        "SELECT {STORE_PRODUCT_COLUMNS} FROM products p JOIN stores s ON s.id = p.store_id \
         WHERE s.participating AND p.id > $1 ORDER BY p.id LIMIT $2"
    ))
    .bind(page.after.unwrap_or(NO_ID))
    .bind(page.fetch_limit())
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(StoreProduct::from).collect())
}

pub async fn products_with_stores(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<StoreProduct>> {
    let rows: Vec<StoreProductRow> = sqlx::query_as(&format!(
        "SELECT {STORE_PRODUCT_COLUMNS} FROM products p JOIN stores s ON s.id = p.store_id \
         WHERE p.id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(StoreProduct::from).collect())
}

/// What inventory did for an order, if anything yet, locked until the transaction ends.
pub async fn order_stock_for_update(
    connection: &mut PgConnection,
    order_id: Uuid,
) -> sqlx::Result<Option<(StockStatus, Vec<StockLine>)>> {
    let row: Option<(String, Json<Vec<StockLine>>)> =
        sqlx::query_as("SELECT status, lines FROM order_stock WHERE order_id = $1 FOR UPDATE")
            .bind(order_id)
            .fetch_optional(connection)
            .await?;
    row.map(|(status, Json(lines))| {
        StockStatus::parse(&status)
            .map(|status| (status, lines))
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown stock status {status:?}").into()))
    })
    .transpose()
}

pub async fn record_order_stock(
    connection: &mut PgConnection,
    order_id: Uuid,
    status: StockStatus,
    lines: &[StockLine],
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO order_stock (order_id, status, lines, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (order_id) DO UPDATE SET status = $2, lines = $3, updated_at = $4",
    )
    .bind(order_id)
    .bind(status.as_str())
    .bind(Json(lines))
    .bind(at)
    .execute(connection)
    .await?;
    Ok(())
}

/// Locks the products' rows in id order (so concurrent reservations never deadlock) and
/// returns their available stock.
pub async fn lock_stock(
    connection: &mut PgConnection,
    product_ids: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, i32>> {
    let rows: Vec<(Uuid, i32)> =
        sqlx::query_as("SELECT id, stock FROM products WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(product_ids)
            .fetch_all(connection)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Moves units between available, reserved and gone: `available` and `reserved` are added
/// to each line's product, times its quantity. The checks on the table keep both >= 0.
async fn move_stock(
    connection: &mut PgConnection,
    lines: &[StockLine],
    available: i32,
    reserved: i32,
) -> sqlx::Result<()> {
    let ids: Vec<Uuid> = lines.iter().map(|line| line.product_id).collect();
    let quantities: Vec<i32> = lines.iter().map(|line| line.quantity).collect();
    sqlx::query(
        "UPDATE products SET stock = stock + $3 * d.quantity, reserved = reserved + $4 * d.quantity \
         FROM unnest($1::uuid[], $2::int[]) AS d(id, quantity) WHERE products.id = d.id",
    )
    .bind(ids)
    .bind(quantities)
    .bind(available)
    .bind(reserved)
    .execute(connection)
    .await?;
    Ok(())
}

/// Available to reserved.
pub async fn reserve(connection: &mut PgConnection, lines: &[StockLine]) -> sqlx::Result<()> {
    move_stock(connection, lines, -1, 1).await
}

/// Reserved back to available.
pub async fn release(connection: &mut PgConnection, lines: &[StockLine]) -> sqlx::Result<()> {
    move_stock(connection, lines, 1, -1).await
}

/// Reserved to sold.
pub async fn commit(connection: &mut PgConnection, lines: &[StockLine]) -> sqlx::Result<()> {
    move_stock(connection, lines, 0, -1).await
}
