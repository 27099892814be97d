//! The `payments` table.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{Payment, PaymentStatus};

const COLUMNS: &str =
    "id, customer_id, amount_cents, status, order_id, request_id, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: Uuid,
    customer_id: Uuid,
    amount_cents: i64,
    status: String,
    order_id: Option<Uuid>,
    request_id: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<PaymentRow> for Payment {
    type Error = sqlx::Error;

    fn try_from(row: PaymentRow) -> Result<Self, Self::Error> {
        let status = PaymentStatus::parse(&row.status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown payment status {:?}", row.status).into())
        })?;
        Ok(Self {
            id: row.id,
            customer_id: row.customer_id,
            amount_cents: row.amount_cents,
            status,
            order_id: row.order_id,
            request_id: row.request_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn payment(row: Option<PaymentRow>) -> sqlx::Result<Option<Payment>> {
    row.map(Payment::try_from).transpose()
}

/// Inserts the payment unless the customer already used its request id; `false` then.
pub async fn insert(connection: &mut PgConnection, payment: &Payment) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO payments \
         (id, customer_id, amount_cents, status, order_id, request_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (customer_id, request_id) WHERE request_id IS NOT NULL DO NOTHING",
    )
    .bind(payment.id)
    .bind(payment.customer_id)
    .bind(payment.amount_cents)
    .bind(payment.status.as_str())
    .bind(payment.order_id)
    .bind(&payment.request_id)
    .bind(payment.created_at)
    .bind(payment.updated_at)
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn find_by_request(
    connection: &mut PgConnection,
    customer_id: Uuid,
    request_id: &str,
) -> sqlx::Result<Option<Payment>> {
    let row: Option<PaymentRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payments WHERE customer_id = $1 AND request_id = $2"
    ))
    .bind(customer_id)
    .bind(request_id)
    .fetch_optional(connection)
    .await?;
    payment(row)
}

pub async fn find(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Payment>> {
    let row: Option<PaymentRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
    payment(row)
}

/// Reads the payment and locks it until the transaction ends.
pub async fn find_for_update(
    connection: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<Payment>> {
    let row: Option<PaymentRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payments WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(connection)
    .await?;
    payment(row)
}

pub async fn find_by_order_for_update(
    connection: &mut PgConnection,
    order_id: Uuid,
) -> sqlx::Result<Option<Payment>> {
    let row: Option<PaymentRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payments WHERE order_id = $1 FOR UPDATE"
    ))
    .bind(order_id)
    .fetch_optional(connection)
    .await?;
    payment(row)
}

/// Binds the payment to the order: CONFIRMED.
pub async fn confirm(
    connection: &mut PgConnection,
    id: Uuid,
    order_id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payments SET status = 'CONFIRMED', order_id = $2, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(order_id)
    .bind(at)
    .execute(connection)
    .await?;
    Ok(())
}

/// Records that the order was rejected or cancelled; `false` when it already was.
pub async fn close_order(
    connection: &mut PgConnection,
    order_id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO closed_orders (order_id, closed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(at)
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn is_closed(connection: &mut PgConnection, order_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM closed_orders WHERE order_id = $1)")
        .bind(order_id)
        .fetch_one(connection)
        .await
}

pub async fn set_status(
    connection: &mut PgConnection,
    id: Uuid,
    status: PaymentStatus,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE payments SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(at)
        .execute(connection)
        .await?;
    Ok(())
}
