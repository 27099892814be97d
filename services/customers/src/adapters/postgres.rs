//! The `customers` table.

use plaza_domain::PageRequest;
use plaza_service::ServiceError;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::Customer;

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: Uuid,
    name: String,
    phone: String,
    registered_at: chrono::DateTime<chrono::Utc>,
}

impl From<CustomerRow> for Customer {
    fn from(row: CustomerRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            phone: row.phone,
            registered_at: row.registered_at,
        }
    }
}

pub async fn insert(
    connection: &mut PgConnection,
    customer: &Customer,
) -> Result<(), ServiceError> {
    sqlx::query("INSERT INTO customers (id, name, phone, registered_at) VALUES ($1, $2, $3, $4)")
        .bind(customer.id)
        .bind(&customer.name)
        .bind(&customer.phone)
        .bind(customer.registered_at)
        .execute(connection)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.constraint() == Some("customers_phone") => {
                ServiceError::AlreadyExists(
                    "phone: a customer with this phone is already registered".to_owned(),
                )
            }
            _ => error.into(),
        })?;
    Ok(())
}

pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<Customer>, sqlx::Error> {
    let row: Option<CustomerRow> =
        sqlx::query_as("SELECT id, name, phone, registered_at FROM customers WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(Customer::from))
}

/// One page and one row more, oldest first.
pub async fn list(pool: &PgPool, page: PageRequest) -> Result<Vec<Customer>, sqlx::Error> {
    let rows: Vec<CustomerRow> = sqlx::query_as(
        "SELECT id, name, phone, registered_at FROM customers \
         WHERE id > COALESCE($1, '00000000-0000-0000-0000-000000000000') ORDER BY id LIMIT $2",
    )
    .bind(page.after)
    .bind(page.fetch_limit())
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Customer::from).collect())
}
