//! Inventory's part in the order saga, driven through JetStream as the ordering service
//! drives it: order events published on the ORDERING stream, answers read from the INVENTORY
//! stream, stock read through the API.

use std::time::Duration;

use futures::future::join_all;
use plaza_events::{
    Envelope, Stream,
    ordering::{
        OrderAccepted, OrderCancelled, OrderCreated, OrderDelivered, OrderLine, OrderRejected,
        RejectReason,
    },
};
use plaza_messaging::DEAD_LETTERS;
use plaza_proto::inventory::v1::Product;
use plaza_testkit::eventually;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{ORDERS_CONSUMER, TestApp, spawn_saga_app};

fn id(value: &str) -> Uuid {
    Uuid::parse_str(value).unwrap()
}

fn line(product: &Product, quantity: i32) -> OrderLine {
    OrderLine {
        product_id: id(&product.id),
        store_id: id(&product.store_id),
        product_name: product.name.clone(),
        store_name: "Corner Shop".to_owned(),
        unit_price_cents: product.price_cents,
        quantity,
    }
}

/// A new order of `lines`, priced as inventory prices them.
fn order(lines: Vec<OrderLine>) -> OrderCreated {
    OrderCreated {
        order_id: Uuid::now_v7(),
        customer_id: Uuid::now_v7(),
        payment_id: Uuid::now_v7(),
        total_cents: lines
            .iter()
            .map(|line| line.unit_price_cents * i64::from(line.quantity))
            .sum(),
        lines,
    }
}

/// A fresh store with one product of `stock` units.
async fn product_with_stock(app: &TestApp, name: &str, stock: i32) -> Product {
    let store = app.create_store("Corner Shop").await;
    app.add_product(&store, name, 250, stock).await
}

/// Asserts the product's available and reserved units.
async fn assert_stock(app: &TestApp, product: &Product, stock: i32, reserved: i32) {
    let read = app.get_product(&product.id).await;
    assert_eq!(
        (read.stock, read.reserved),
        (stock, reserved),
        "stock and reserved of {}",
        product.name
    );
}

/// Publishes the order and waits for inventory's answer of `event_type` to it.
async fn answer(app: &TestApp, order: OrderCreated, event_type: &str) -> serde_json::Value {
    let order_id = order.order_id;
    app.publish_order_event(order_id, order).await;
    app.wait_for_event(event_type, order_id).await
}

/// Publishes an order of `quantity` units of `product` and waits until it is reserved.
async fn reserved_order(app: &TestApp, product: &Product, quantity: i32) -> Uuid {
    let order = order(vec![line(product, quantity)]);
    let order_id = order.order_id;
    answer(app, order, "inventory.stock.reserved").await;
    order_id
}

#[tokio::test]
async fn an_order_within_the_stock_is_reserved() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 10).await;
    let order = order(vec![line(&tea, 3)]);
    let order_id = order.order_id;
    let created = app.publish_order_event(order_id, order).await;

    let reserved = app
        .wait_for_event("inventory.stock.reserved", order_id)
        .await;
    assert_eq!(reserved["source"], "plaza/inventory");
    assert_eq!(reserved["subject"], order_id.to_string());
    assert_eq!(reserved["causationid"], created.id.to_string());
    assert_eq!(reserved["correlationid"], order_id.to_string());
    assert_eq!(
        reserved["data"]["lines"],
        json!([{ "productId": tea.id, "quantity": 3 }])
    );
    assert_stock(&app, &tea, 7, 3).await;
}

#[tokio::test]
async fn an_order_for_more_than_the_stock_is_rejected_with_the_short_line() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 10).await;
    let rejected = answer(
        &app,
        order(vec![line(&tea, 11)]),
        "inventory.stock.rejected",
    )
    .await;
    assert_eq!(rejected["data"]["reason"], "OUT_OF_STOCK");
    assert_eq!(
        rejected["data"]["lines"],
        json!([{ "productId": tea.id, "requested": 11, "available": 10 }])
    );
    assert_stock(&app, &tea, 10, 0).await;
}

#[tokio::test]
async fn an_order_with_one_short_line_reserves_none_of_its_lines() {
    let app = spawn_saga_app().await;
    let store = app.create_store("Corner Shop").await;
    let tea = app.add_product(&store, "Tea", 250, 10).await;
    let coffee = app.add_product(&store, "Coffee", 400, 2).await;
    let rejected = answer(
        &app,
        order(vec![line(&tea, 3), line(&coffee, 5)]),
        "inventory.stock.rejected",
    )
    .await;
    assert_eq!(
        rejected["data"]["lines"],
        json!([{ "productId": coffee.id, "requested": 5, "available": 2 }])
    );
    assert_stock(&app, &tea, 10, 0).await;
    assert_stock(&app, &coffee, 2, 0).await;
    assert!(app.published("inventory.stock.reserved").await.is_empty());
}

#[tokio::test]
async fn a_product_named_twice_in_one_order_counts_both_lines() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 5).await;
    let too_much = answer(
        &app,
        order(vec![line(&tea, 3), line(&tea, 3)]),
        "inventory.stock.rejected",
    )
    .await;
    assert_eq!(
        too_much["data"]["lines"],
        json!([{ "productId": tea.id, "requested": 6, "available": 5 }])
    );
    assert_stock(&app, &tea, 5, 0).await;

    let all = answer(
        &app,
        order(vec![line(&tea, 2), line(&tea, 3)]),
        "inventory.stock.reserved",
    )
    .await;
    assert_eq!(
        all["data"]["lines"],
        json!([{ "productId": tea.id, "quantity": 5 }])
    );
    assert_stock(&app, &tea, 0, 5).await;
}

#[tokio::test]
async fn a_delivered_order_commits_its_reservation() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 10).await;
    let order_id = reserved_order(&app, &tea, 3).await;

    let delivered = OrderDelivered {
        order_id,
        payment_id: Uuid::now_v7(),
    };
    app.publish_order_event(order_id, delivered).await;
    app.wait_for_event("inventory.stock.committed", order_id)
        .await;
    assert_stock(&app, &tea, 7, 0).await;
}

#[tokio::test]
async fn a_rejected_order_releases_its_reservation() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 10).await;
    let order_id = reserved_order(&app, &tea, 3).await;

    let rejected = OrderRejected {
        order_id,
        reason: RejectReason::NotEnoughMoney,
    };
    app.publish_order_event(order_id, rejected).await;
    app.wait_for_event("inventory.stock.released", order_id)
        .await;
    assert_stock(&app, &tea, 10, 0).await;
}

#[tokio::test]
async fn a_cancelled_order_releases_its_reservation() {
    let app = spawn_saga_app().await;
    let store = app.create_store("Corner Shop").await;
    let tea = app.add_product(&store, "Tea", 250, 10).await;
    let coffee = app.add_product(&store, "Coffee", 400, 4).await;
    let order = order(vec![line(&tea, 3), line(&coffee, 4)]);
    let order_id = order.order_id;
    answer(&app, order, "inventory.stock.reserved").await;
    assert_stock(&app, &coffee, 0, 4).await;

    let cancelled = app
        .publish_order_event(order_id, OrderCancelled { order_id })
        .await;
    let released = app
        .wait_for_event("inventory.stock.released", order_id)
        .await;
    assert_eq!(released["causationid"], cancelled.id.to_string());
    assert_stock(&app, &tea, 10, 0).await;
    assert_stock(&app, &coffee, 4, 0).await;
}

#[tokio::test]
async fn an_order_out_of_stock_gives_nothing_back_when_it_is_rejected() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 10).await;
    let held = reserved_order(&app, &tea, 4).await;
    let order = order(vec![line(&tea, 7)]);
    let order_id = order.order_id;
    answer(&app, order, "inventory.stock.rejected").await;

    let rejected = OrderRejected {
        order_id,
        reason: RejectReason::OutOfStock,
    };
    app.publish_order_event(order_id, rejected).await;
    app.wait_until_orders_handled().await;
    assert!(app.published("inventory.stock.released").await.is_empty());
    assert_stock(&app, &tea, 6, 4).await;
    app.publish_order_event(held, OrderCancelled { order_id: held })
        .await;
    app.wait_for_event("inventory.stock.released", held).await;
    assert_stock(&app, &tea, 10, 0).await;
}

#[tokio::test]
async fn a_cancellation_handled_before_the_creation_reserves_nothing() {
    let app = spawn_saga_app().await;
    let database = &app.superuser().await;
    let tea = product_with_stock(&app, "Tea", 10).await;
    let order = order(vec![line(&tea, 3)]);
    let order_id = order.order_id;

    app.publish_order_event(order_id, OrderCancelled { order_id })
        .await;
    eventually(Duration::from_secs(15), || async move {
        let status: String =
            sqlx::query_scalar("SELECT status FROM inventory.order_stock WHERE order_id = $1")
                .bind(order_id)
                .fetch_optional(database)
                .await
                .ok()??;
        (status == "CLOSED").then_some(())
    })
    .await
    .expect("the cancellation is recorded");
    let created = app.publish_order_event(order_id, order).await.id;
    eventually(Duration::from_secs(15), || async move {
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM inventory.inbox WHERE consumer = $1 AND event_id = $2)",
        )
        .bind(ORDERS_CONSUMER)
        .bind(created)
        .fetch_one(database)
        .await
        .ok()?
        .then_some(())
    })
    .await
    .expect("the creation is handled");

    assert_stock(&app, &tea, 10, 0).await;
    // The inbox row and whatever the handler published were committed together.
    let answers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inventory.outbox WHERE envelope->'data'->>'orderId' = $1",
    )
    .bind(order_id.to_string())
    .fetch_one(database)
    .await
    .unwrap();
    assert_eq!(answers, 0);
    app.wait_until_orders_handled().await;
    assert!(app.published("inventory.stock.reserved").await.is_empty());
    assert!(app.published("inventory.stock.released").await.is_empty());
}

#[tokio::test]
async fn concurrent_orders_never_reserve_more_than_the_stock() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 10).await;
    let orders: Vec<OrderCreated> = (0..40).map(|_| order(vec![line(&tea, 1)])).collect();
    join_all(
        orders
            .into_iter()
            .map(|order| app.publish_order_event(order.order_id, order)),
    )
    .await;

    app.wait_until_orders_handled().await;
    let reserved = app.published("inventory.stock.reserved").await;
    let rejected = app.published("inventory.stock.rejected").await;
    assert_eq!((reserved.len(), rejected.len()), (10, 30));
    for rejection in &rejected {
        assert_eq!(
            rejection["data"]["lines"],
            json!([{ "productId": tea.id, "requested": 1, "available": 0 }])
        );
    }
    assert_stock(&app, &tea, 0, 10).await;
    let held: i64 =
        sqlx::query_scalar("SELECT count(*) FROM inventory.order_stock WHERE status = 'RESERVED'")
            .fetch_one(&app.superuser().await)
            .await
            .unwrap();
    assert_eq!(held, 10);
}

#[tokio::test]
async fn an_event_delivered_twice_is_handled_once() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 10).await;
    let order = order(vec![line(&tea, 3)]);
    let order_id = order.order_id;
    let created = app.publish_order_event(order_id, order).await;
    // Another message id: JetStream keeps both copies, as when a relay republishes late.
    app.publish_envelope(&created, &Uuid::now_v7().to_string())
        .await;

    app.wait_for_event("inventory.stock.reserved", order_id)
        .await;
    app.wait_until_orders_handled().await;
    assert_eq!(app.messages(Stream::ORDERING).await.len(), 2);
    assert_eq!(app.published("inventory.stock.reserved").await.len(), 1);
    assert_stock(&app, &tea, 7, 3).await;
}

#[tokio::test]
async fn an_unknown_or_impossible_event_is_dead_lettered_and_the_consumer_keeps_going() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 10).await;
    let namespace = app.environment().nats.namespace.clone();

    app.publish_raw("ordering.order.created", "malformed", b"{not json".to_vec())
        .await;
    let mut unknown = serde_json::to_value(Envelope::new(
        Uuid::now_v7(),
        OrderCancelled {
            order_id: Uuid::now_v7(),
        },
    ))
    .unwrap();
    unknown["type"] = "ordering.order.shipped".into();
    app.publish_raw(
        "ordering.order.shipped",
        "unknown",
        serde_json::to_vec(&unknown).unwrap(),
    )
    .await;
    // An order no publisher should send: a negative quantity would add stock.
    let negative = order(vec![line(&tea, 2), line(&tea, -5)]);
    app.publish_order_event(negative.order_id, negative).await;
    // A known event inventory does not act on is acknowledged, not dead-lettered.
    let accepted = Uuid::now_v7();
    app.publish_order_event(accepted, OrderAccepted { order_id: accepted })
        .await;
    reserved_order(&app, &tea, 1).await;
    app.wait_until_orders_handled().await;

    let mut dead: Vec<(String, String)> = app
        .messages(DEAD_LETTERS)
        .await
        .into_iter()
        .map(|message| {
            assert_eq!(
                message.subject.as_str(),
                namespace.subject(&format!("deadletter.{ORDERS_CONSUMER}"))
            );
            let original = message
                .headers
                .get("Plaza-Original-Subject")
                .map(|value| value.as_str().to_owned())
                .unwrap_or_default();
            (
                original,
                String::from_utf8(message.payload.to_vec()).unwrap(),
            )
        })
        .collect();
    dead.sort();
    assert_eq!(dead.len(), 3, "{dead:?}");
    assert!(
        dead.contains(&(
            namespace.subject("ordering.order.created"),
            "{not json".to_owned()
        )),
        "{dead:?}"
    );
    assert!(dead.iter().any(|(subject, payload)| {
        *subject == namespace.subject("ordering.order.created") && payload.contains("-5")
    }));
    assert_eq!(dead[2].0, namespace.subject("ordering.order.shipped"));
    assert_stock(&app, &tea, 9, 1).await;
}

/// Publishes `orders` while the service is stopped, so that they all wait for it, then
/// starts it again and waits until it has handled them.
async fn handle_after_restart(app: TestApp, orders: Vec<OrderCreated>) -> TestApp {
    let environment = app.stop().await;
    for order in orders {
        let envelope = Envelope::new(order.order_id, order).correlated(Uuid::now_v7());
        environment
            .publish(&envelope, &envelope.id.to_string())
            .await;
    }
    let app = TestApp::start_again(environment).await;
    app.wait_until_orders_handled().await;
    app
}

#[tokio::test]
async fn events_that_wait_together_are_handled_in_one_transaction() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 100).await;
    let orders: Vec<OrderCreated> = (0..10).map(|_| order(vec![line(&tea, 1)])).collect();

    let app = handle_after_restart(app, orders).await;

    assert_eq!(app.published("inventory.stock.reserved").await.len(), 10);
    assert_stock(&app, &tea, 90, 10).await;
    // A transaction's rows share its start time: fewer times than events means batches.
    let transactions: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT handled_at) FROM inventory.inbox WHERE consumer = $1",
    )
    .bind(ORDERS_CONSUMER)
    .fetch_one(&app.superuser().await)
    .await
    .unwrap();
    assert!(
        transactions < 10,
        "10 events in {transactions} transactions"
    );
}

#[tokio::test]
async fn an_impossible_event_in_a_batch_is_dead_lettered_and_the_others_are_handled() {
    let app = spawn_saga_app().await;
    let tea = product_with_stock(&app, "Tea", 100).await;
    let mut orders: Vec<OrderCreated> = (0..10).map(|_| order(vec![line(&tea, 1)])).collect();
    // A negative quantity would add stock: the handler refuses it as poison.
    orders.insert(5, order(vec![line(&tea, -5)]));

    let app = handle_after_restart(app, orders).await;

    assert_eq!(app.published("inventory.stock.reserved").await.len(), 10);
    assert_eq!(app.messages(DEAD_LETTERS).await.len(), 1);
    assert_stock(&app, &tea, 90, 10).await;
}
