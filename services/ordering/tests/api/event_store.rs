//! The event store: append-only for the service's role, versioned without gaps, and the
//! read model it feeds can be rebuilt from it row for row.

use std::process::Command;

use plaza_proto::ordering::v1::{
    CancelOrderRequest, OrderPaymentStatus, OrderStatus, OrderStockStatus, PayOrderRequest,
};
use sqlx::{Connection, PgConnection};

use crate::helpers::spawn_plaza;

const INSUFFICIENT_PRIVILEGE: &str = "42501";
const UNIQUE_VIOLATION: &str = "23505";

fn code(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.to_string())
}

#[tokio::test]
async fn the_service_role_can_append_events_but_never_change_or_delete_them() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let shopper = plaza.shopper(1000).await;
    let order = plaza.order(&shopper, &product, 1).await.unwrap();
    let mut role = PgConnection::connect(&plaza.environment.database.url("plaza_ordering"))
        .await
        .unwrap();
    for statement in [
        "UPDATE ordering.events SET type = 'Tampered'",
        "DELETE FROM ordering.events",
        "TRUNCATE ordering.events",
    ] {
        let refused = sqlx::query(statement).execute(&mut role).await.unwrap_err();
        assert_eq!(
            code(&refused).as_deref(),
            Some(INSUFFICIENT_PRIVILEGE),
            "{statement}: {refused}"
        );
    }
    // Even a superuser's UPDATE meets the trigger.
    let refused = sqlx::query("UPDATE ordering.events SET type = 'Tampered'")
        .execute(&plaza.environment.superuser().await)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("append-only"), "{refused}");

    // A second writer that read version 1 and appends version 2 after someone else did is
    // refused by the (order, version) key.
    let order_id: uuid::Uuid = order.id.parse().unwrap();
    plaza
        .order_with_status(&order.id, OrderStatus::Accepted)
        .await;
    let stale = sqlx::query(
        "INSERT INTO ordering.events (order_id, version, type, data, metadata) \
         VALUES ($1, 2, 'OrderCancelled', '{}', '{}')",
    )
    .bind(order_id)
    .execute(&mut role)
    .await
    .unwrap_err();
    assert_eq!(code(&stale).as_deref(), Some(UNIQUE_VIOLATION), "{stale}");
}

#[tokio::test]
async fn rebuilding_the_projections_reproduces_the_read_model_row_for_row() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 3).await;
    let mut ordering = plaza.ordering.clone();
    // One order in each end state.
    let accepted = plaza
        .order(&plaza.shopper(1000).await, &product, 1)
        .await
        .unwrap();
    let delivered = plaza
        .order(&plaza.shopper(1000).await, &product, 1)
        .await
        .unwrap();
    let cancelled = plaza
        .order(&plaza.shopper(1000).await, &product, 1)
        .await
        .unwrap();
    let rejected = plaza
        .order(&plaza.shopper(1000).await, &product, 5)
        .await
        .unwrap();
    plaza
        .order_with_status(&delivered.id, OrderStatus::Accepted)
        .await;
    ordering
        .pay_order(PayOrderRequest {
            id: delivered.id.clone(),
        })
        .await
        .unwrap();
    plaza
        .order_with_status(&cancelled.id, OrderStatus::Accepted)
        .await;
    ordering
        .cancel_order(CancelOrderRequest {
            id: cancelled.id.clone(),
        })
        .await
        .unwrap();
    plaza
        .order_with_status(&accepted.id, OrderStatus::Accepted)
        .await;
    plaza
        .order_with_status(&rejected.id, OrderStatus::Rejected)
        .await;
    plaza
        .order_when(&delivered.id, |o| {
            o.stock_status() == OrderStockStatus::Committed
        })
        .await;
    plaza
        .order_when(&cancelled.id, |o| {
            o.stock_status() == OrderStockStatus::Released
                && o.payment_status() == OrderPaymentStatus::Voided
        })
        .await;
    plaza
        .order_when(&rejected.id, |o| {
            o.payment_status() == OrderPaymentStatus::Voided
        })
        .await;
    plaza.wait_until_settled().await;
    let before = plaza.read_model().await;
    assert_eq!(before.len(), 4);

    let environment = &plaza.environment;
    let output = Command::new(env!("CARGO_BIN_EXE_ordering"))
        .arg("rebuild-projections")
        .envs(environment.keys.env("ordering"))
        .env("PLAZA_ORDERING__GRPC__LISTEN", "127.0.0.1:0")
        .env(
            "PLAZA_ORDERING__DATABASE__URL",
            environment.database.url("plaza_ordering"),
        )
        .env("PLAZA_ORDERING__NATS__URL", environment.nats.url())
        .env(
            "PLAZA_ORDERING__NATS__PREFIX",
            environment.nats.namespace.prefix(),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    assert_eq!(plaza.read_model().await, before);
}
