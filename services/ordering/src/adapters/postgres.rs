//! The event store (`events`, append-only) and the read model (`orders`).

use chrono::{DateTime, Utc};
use plaza_domain::PageRequest;
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool, types::Json};
use uuid::Uuid;

use crate::domain::{Order, OrderEvent, Recorded};

const NO_ID: Uuid = Uuid::nil();
const LAST_ID: Uuid = Uuid::max();
/// How many orders `rebuild` folds per round trip.
const REBUILD_BATCH: i64 = 500;

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another writer appended this version first: reload and decide again.
    #[error("order {0} changed concurrently")]
    Conflict(Uuid),
    /// The customer already placed an order under this request id.
    #[error("request id already used")]
    RepeatedRequest,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// An event as the event-sourcing views show it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredEvent {
    pub position: i64,
    pub order_id: Uuid,
    pub version: i32,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub data: Value,
    pub recorded_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    version: i32,
    #[sqlx(rename = "type")]
    event_type: String,
    data: Value,
    recorded_at: DateTime<Utc>,
}

impl TryFrom<EventRow> for Recorded {
    type Error = sqlx::Error;

    fn try_from(row: EventRow) -> Result<Self, Self::Error> {
        let event = serde_json::from_value(json!({"type": row.event_type, "data": row.data}))
            .map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
        Ok(Self {
            version: row.version,
            event,
            recorded_at: row.recorded_at,
        })
    }
}

fn split(event: &OrderEvent) -> sqlx::Result<(String, Value)> {
    let mut json = serde_json::to_value(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let event_type = json["type"].as_str().unwrap_or_default().to_owned();
    let data = json.get_mut("data").map_or_else(|| json!({}), Value::take);
    Ok((event_type, data))
}

async fn events_of(connection: &mut PgConnection, order_id: Uuid) -> sqlx::Result<Vec<Recorded>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT version, type, data, recorded_at FROM events WHERE order_id = $1 ORDER BY version",
    )
    .bind(order_id)
    .fetch_all(connection)
    .await?;
    rows.into_iter().map(Recorded::try_from).collect()
}

/// Locks the order for the rest of the transaction and folds its events: every writer of an
/// order goes through here, so its decisions are made on the latest state.
pub async fn lock_and_load(connection: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Order>> {
    let exists: Option<Uuid> = sqlx::query_scalar("SELECT id FROM orders WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    Ok(Order::from_events(id, &events_of(connection, id).await?))
}

/// Appends `events` after `current` (none for a new order) with the versions that follow
/// it, and writes the read model row in the same transaction. Returns the new state.
pub async fn append(
    connection: &mut PgConnection,
    order_id: Uuid,
    current: Option<&Order>,
    events: Vec<OrderEvent>,
    metadata: &Value,
) -> Result<Order, AppendError> {
    let mut version = current.map_or(0, |order| order.version);
    let mut recorded = Vec::with_capacity(events.len());
    for event in events {
        version += 1;
        let (event_type, data) = split(&event)?;
        let recorded_at: DateTime<Utc> = sqlx::query_scalar(
            "INSERT INTO events (order_id, version, type, data, metadata) \
             VALUES ($1, $2, $3, $4, $5) RETURNING recorded_at",
        )
        .bind(order_id)
        .bind(version)
        .bind(event_type)
        .bind(data)
        .bind(metadata)
        .fetch_one(&mut *connection)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.constraint() == Some("events_order_version") => {
                AppendError::Conflict(order_id)
            }
            _ => AppendError::Database(error),
        })?;
        recorded.push(Recorded {
            version,
            event,
            recorded_at,
        });
    }
    let order = match current {
        Some(current) => {
            let mut order = current.clone();
            recorded.iter().for_each(|event| order.apply(event));
            order
        }
        None => Order::from_events(order_id, &recorded).ok_or_else(|| {
            AppendError::Database(sqlx::Error::Protocol(
                "a new order must start with its creation".into(),
            ))
        })?,
    };
    project(connection, &order)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.constraint() == Some("orders_request") => {
                AppendError::RepeatedRequest
            }
            _ => AppendError::Database(error),
        })?;
    Ok(order)
}

fn text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Writes the order's read model row.
async fn project(connection: &mut PgConnection, order: &Order) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO orders (id, customer_id, payment_id, request_id, lines, total_cents, status, \
         payment_status, stock_status, reject_reason, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (id) DO UPDATE SET status = $7, payment_status = $8, stock_status = $9, \
         reject_reason = $10, version = $11, updated_at = $13",
    )
    .bind(order.id)
    .bind(order.customer_id)
    .bind(order.payment_id)
    .bind(&order.request_id)
    .bind(Json(&order.lines))
    .bind(order.total_cents)
    .bind(text(&order.status))
    .bind(text(&order.payment))
    .bind(text(&order.stock))
    .bind(order.reject_reason.as_ref().map(text))
    .bind(order.version)
    .bind(order.created_at)
    .bind(order.updated_at)
    .execute(connection)
    .await?;
    Ok(())
}

const ORDER_COLUMNS: &str = "id, customer_id, payment_id, request_id, lines, total_cents, status, \
     payment_status, stock_status, reject_reason, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Uuid,
    customer_id: Uuid,
    payment_id: Uuid,
    request_id: Option<String>,
    lines: Json<Vec<crate::domain::OrderLine>>,
    total_cents: i64,
    status: String,
    payment_status: String,
    stock_status: String,
    reject_reason: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn parse<T: serde::de::DeserializeOwned>(value: String) -> sqlx::Result<T> {
    serde_json::from_value(Value::String(value)).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

impl TryFrom<OrderRow> for Order {
    type Error = sqlx::Error;

    fn try_from(row: OrderRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: row.id,
            customer_id: row.customer_id,
            payment_id: row.payment_id,
            lines: row.lines.0,
            total_cents: row.total_cents,
            request_id: row.request_id,
            status: parse(row.status)?,
            payment: parse(row.payment_status)?,
            stock: parse(row.stock_status)?,
            reject_reason: row.reject_reason.map(parse).transpose()?,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn orders(rows: Vec<OrderRow>) -> sqlx::Result<Vec<Order>> {
    rows.into_iter().map(Order::try_from).collect()
}

/// The read model's row of an order.
pub async fn find(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Order>> {
    let row: Option<OrderRow> =
        sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.map(Order::try_from).transpose()
}

pub async fn find_by_request(
    pool: &PgPool,
    customer_id: Uuid,
    request_id: &str,
) -> sqlx::Result<Option<Order>> {
    let row: Option<OrderRow> = sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE customer_id = $1 AND request_id = $2"
    ))
    .bind(customer_id)
    .bind(request_id)
    .fetch_optional(pool)
    .await?;
    row.map(Order::try_from).transpose()
}

/// One page and one row more, newest first: one customer's orders, or every order.
pub async fn list(
    pool: &PgPool,
    customer_id: Option<Uuid>,
    page: PageRequest,
) -> sqlx::Result<Vec<Order>> {
    let before = page.after.unwrap_or(LAST_ID);
    let rows: Vec<OrderRow> = match customer_id {
        Some(customer_id) => {
            sqlx::query_as(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE customer_id = $1 AND id < $2 \
                 ORDER BY id DESC LIMIT $3"
            ))
            .bind(customer_id)
            .bind(before)
            .bind(page.fetch_limit())
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE id < $1 ORDER BY id DESC LIMIT $2"
            ))
            .bind(before)
            .bind(page.fetch_limit())
            .fetch_all(pool)
            .await?
        }
    };
    orders(rows)
}

const STORED_EVENT_COLUMNS: &str = "position, order_id, version, type, data, recorded_at";

/// One order's events, oldest first.
pub async fn order_events(pool: &PgPool, order_id: Uuid) -> sqlx::Result<Vec<StoredEvent>> {
    sqlx::query_as(&format!(
        "SELECT {STORED_EVENT_COLUMNS} FROM events WHERE order_id = $1 ORDER BY version"
    ))
    .bind(order_id)
    .fetch_all(pool)
    .await
}

/// Which events the event-sourcing view asks for.
#[derive(Debug, Clone, Copy)]
pub struct EventsQuery {
    pub order_id: Option<Uuid>,
    pub newest_first: bool,
    /// Events after (or, newest first, before) this position.
    pub after: Option<i64>,
    /// Rows to fetch: the page and one more.
    pub limit: i64,
}

/// Every order's events (or one order's) by position, which follows the time of recording.
pub async fn events(pool: &PgPool, query: EventsQuery) -> sqlx::Result<Vec<StoredEvent>> {
    let (comparison, direction, start) = if query.newest_first {
        ("<", "DESC", i64::MAX)
    } else {
        (">", "ASC", 0)
    };
    let position = query.after.unwrap_or(start);
    let filter = if query.order_id.is_some() {
        "AND order_id = $3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {STORED_EVENT_COLUMNS} FROM events WHERE position {comparison} $1 {filter} \
         ORDER BY position {direction} LIMIT $2"
    );
    let mut statement = sqlx::query_as(&sql).bind(position).bind(query.limit);
    if let Some(order_id) = query.order_id {
        statement = statement.bind(order_id);
    }
    statement.fetch_all(pool).await
}

/// Rebuilds the read model from the event store: deletes every row, then folds every
/// order's events and writes its row again. One transaction: readers see the old rows
/// until the new ones are all there.
pub async fn rebuild(pool: &PgPool) -> sqlx::Result<u64> {
    let mut transaction = pool.begin().await?;
    sqlx::query("DELETE FROM orders")
        .execute(&mut *transaction)
        .await?;
    let mut rebuilt = 0;
    let mut after = NO_ID;
    loop {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT order_id FROM events WHERE order_id > $1 ORDER BY order_id LIMIT $2",
        )
        .bind(after)
        .bind(REBUILD_BATCH)
        .fetch_all(&mut *transaction)
        .await?;
        let Some(last) = ids.last() else { break };
        after = *last;
        for id in ids {
            let events = events_of(&mut transaction, id).await?;
            if let Some(order) = Order::from_events(id, &events) {
                project(&mut transaction, &order).await?;
                rebuilt += 1;
            }
        }
    }
    transaction.commit().await?;
    Ok(rebuilt)
}
