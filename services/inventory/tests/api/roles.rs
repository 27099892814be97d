use sqlx::{Connection, PgConnection};

use crate::helpers::spawn_app;

const INSUFFICIENT_PRIVILEGE: &str = "42501";

#[tokio::test]
async fn the_inventory_role_cannot_read_the_customers_schema() {
    let app = spawn_app().await;
    let database = &app.environment().database;
    // A customers table, made by the customers role as its migrations would.
    let mut admin = PgConnection::connect(&database.url("postgres"))
        .await
        .unwrap();
    sqlx::raw_sql(
        "SET ROLE plaza_customers; \
         CREATE TABLE customers.customers (id uuid PRIMARY KEY, phone text); \
         INSERT INTO customers.customers VALUES (gen_random_uuid(), '600000001'); \
         RESET ROLE;",
    )
    .execute(&mut admin)
    .await
    .unwrap();

    let mut inventory = PgConnection::connect(&database.url("plaza_inventory"))
        .await
        .unwrap();
    let denied = sqlx::query("SELECT phone FROM customers.customers")
        .fetch_all(&mut inventory)
        .await
        .unwrap_err();
    let code = denied
        .as_database_error()
        .and_then(|e| e.code().map(|c| c.to_string()));
    assert_eq!(code.as_deref(), Some(INSUFFICIENT_PRIVILEGE), "{denied}");

    // Its own schema works, so the denial is about the schema, not the connection.
    let own: i64 = sqlx::query_scalar("SELECT count(*) FROM inventory.stores")
        .fetch_one(&mut inventory)
        .await
        .unwrap();
    assert_eq!(own, 0);
}
