//! Payments' part in the order saga, driven through JetStream as the ordering service drives
//! it: order events published on the ORDERING stream, answers read from the PAYMENTS stream.

use std::time::Duration;

use plaza_events::{
    Envelope, Stream,
    ordering::{
        OrderAccepted, OrderCancelled, OrderCreated, OrderLine, OrderRejected, RejectReason,
    },
};
use plaza_messaging::DEAD_LETTERS;
use plaza_proto::payments::v1::{CapturePaymentRequest, GetPaymentRequest, Payment, PaymentStatus};
use plaza_testkit::eventually;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::{ORDERS_CONSUMER, TestApp, spawn_saga_app};

fn id(value: &str) -> Uuid {
    Uuid::parse_str(value).unwrap()
}

/// A new order of `total_cents` paid with `payment`, by the payment's customer.
fn order_paid_with(payment: &Payment, total_cents: i64) -> OrderCreated {
    OrderCreated {
        order_id: Uuid::now_v7(),
        customer_id: id(&payment.customer_id),
        payment_id: id(&payment.id),
        lines: vec![OrderLine {
            product_id: Uuid::now_v7(),
            store_id: Uuid::now_v7(),
            product_name: "Tea".to_owned(),
            store_name: "Corner Shop".to_owned(),
            unit_price_cents: total_cents,
            quantity: 1,
        }],
        total_cents,
    }
}

async fn authorize(app: &TestApp, amount_cents: i64) -> Payment {
    app.authorize(&Uuid::now_v7().to_string(), amount_cents, "")
        .await
        .unwrap()
}

async fn get_payment(app: &TestApp, payment_id: &str) -> Payment {
    app.api()
        .get_payment(GetPaymentRequest {
            id: payment_id.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// Publishes the order and waits for payments' answer to it, a rejection: its reason.
async fn rejection_reason(app: &TestApp, order: OrderCreated) -> String {
    let order_id = order.order_id;
    app.publish_order_event(order_id, order).await;
    let rejected = app
        .wait_for_event("payments.payment.rejected", order_id)
        .await;
    assert_eq!(rejected["data"]["orderId"], order_id.to_string());
    rejected["data"]["reason"].as_str().unwrap().to_owned()
}

/// Publishes the order and waits until payments confirmed its payment.
async fn confirmed(app: &TestApp, order: OrderCreated) -> serde_json::Value {
    let order_id = order.order_id;
    app.publish_order_event(order_id, order).await;
    app.wait_for_event("payments.payment.confirmed", order_id)
        .await
}

#[tokio::test]
async fn a_payment_covering_the_orders_total_is_confirmed_for_it() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
    let order = order_paid_with(&payment, 1000);
    let order_id = order.order_id;
    let created = app.publish_order_event(order_id, order).await;

    let confirmed = app
        .wait_for_event("payments.payment.confirmed", order_id)
        .await;
    assert_eq!(confirmed["source"], "plaza/payments");
    assert_eq!(confirmed["subject"], payment.id);
    assert_eq!(confirmed["data"]["paymentId"], payment.id);
    assert_eq!(confirmed["data"]["amountCents"], 1000);
    assert_eq!(confirmed["causationid"], created.id.to_string());
    assert_eq!(confirmed["correlationid"], order_id.to_string());
    let read = get_payment(&app, &payment.id).await;
    assert_eq!(read.status(), PaymentStatus::Confirmed);
    assert_eq!(read.order_id, order_id.to_string());
    assert_eq!(read.amount_cents, 1000);
}

#[tokio::test]
async fn an_order_above_the_authorized_amount_is_rejected_for_not_enough_money() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
    let order = order_paid_with(&payment, 1001);
    assert_eq!(rejection_reason(&app, order).await, "NOT_ENOUGH_MONEY");
    assert_eq!(get_payment(&app, &payment.id).await, payment);
}

#[tokio::test]
async fn an_order_with_an_unknown_payment_is_rejected_for_it() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
    let unknown = Uuid::now_v7();
    let order = OrderCreated {
        payment_id: unknown,
        ..order_paid_with(&payment, 500)
    };
    let order_id = order.order_id;
    assert_eq!(rejection_reason(&app, order).await, "UNKNOWN_PAYMENT");
    let rejected = app
        .wait_for_event("payments.payment.rejected", order_id)
        .await;
    assert_eq!(rejected["data"]["paymentId"], unknown.to_string());
    assert_eq!(get_payment(&app, &payment.id).await, payment);
}

#[tokio::test]
async fn another_customers_payment_is_rejected_as_a_customer_mismatch() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
    let order = OrderCreated {
        customer_id: Uuid::now_v7(),
        ..order_paid_with(&payment, 500)
    };
    assert_eq!(rejection_reason(&app, order).await, "CUSTOMER_MISMATCH");
    assert_eq!(get_payment(&app, &payment.id).await, payment);
}

#[tokio::test]
async fn a_payment_confirmed_for_one_order_is_rejected_for_another_as_already_used() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
    let first = order_paid_with(&payment, 400);
    let first_id = first.order_id;
    confirmed(&app, first).await;
    let held = get_payment(&app, &payment.id).await;

    let second = order_paid_with(&payment, 400);
    assert_eq!(rejection_reason(&app, second).await, "PAYMENT_ALREADY_USED");
    let read = get_payment(&app, &payment.id).await;
    assert_eq!(read, held);
    assert_eq!(read.status(), PaymentStatus::Confirmed);
    assert_eq!(read.order_id, first_id.to_string());
}

#[tokio::test]
async fn a_cancelled_orders_confirmed_payment_is_voided() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
    let order = order_paid_with(&payment, 1000);
    let order_id = order.order_id;
    confirmed(&app, order).await;

    let cancelled = app
        .publish_order_event(order_id, OrderCancelled { order_id })
        .await;
    let voided = app
        .wait_for_event("payments.payment.voided", order_id)
        .await;
    assert_eq!(voided["data"]["paymentId"], payment.id);
    assert_eq!(voided["causationid"], cancelled.id.to_string());
    let read = get_payment(&app, &payment.id).await;
    assert_eq!(read.status(), PaymentStatus::Voided);
    assert_eq!(read.order_id, order_id.to_string());
    let capture = app
        .api()
        .capture_payment(CapturePaymentRequest {
            id: payment.id.clone(),
            order_id: order_id.to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(capture.code(), Code::FailedPrecondition, "{capture:?}");
}

#[tokio::test]
async fn a_rejected_orders_confirmed_payment_is_voided() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
    let order = order_paid_with(&payment, 1000);
    let order_id = order.order_id;
    confirmed(&app, order).await;

    let rejected = OrderRejected {
        order_id,
        reason: RejectReason::OutOfStock,
    };
    app.publish_order_event(order_id, rejected).await;
    app.wait_for_event("payments.payment.voided", order_id)
        .await;
    let read = get_payment(&app, &payment.id).await;
    assert_eq!(read.status(), PaymentStatus::Voided);
}

#[tokio::test]
async fn an_order_whose_payment_was_refused_voids_nothing_when_it_is_rejected() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
    confirmed(&app, order_paid_with(&payment, 1000)).await;
    let held = get_payment(&app, &payment.id).await;
    let second = order_paid_with(&payment, 1000);
    let second_id = second.order_id;
    assert_eq!(rejection_reason(&app, second).await, "PAYMENT_ALREADY_USED");

    let rejected = OrderRejected {
        order_id: second_id,
        reason: RejectReason::PaymentAlreadyUsed,
    };
    app.publish_order_event(second_id, rejected).await;
    app.wait_until_orders_handled().await;
    assert!(app.published("payments.payment.voided").await.is_empty());
    assert_eq!(get_payment(&app, &payment.id).await, held);
}

#[tokio::test]
async fn a_cancellation_handled_before_the_creation_binds_nothing() {
    let app = spawn_saga_app().await;
    let database = &app.superuser().await;
    let payment = authorize(&app, 1000).await;
    let order = order_paid_with(&payment, 1000);
    let order_id = order.order_id;

    app.publish_order_event(order_id, OrderCancelled { order_id })
        .await;
    eventually(Duration::from_secs(15), || async move {
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM payments.closed_orders WHERE order_id = $1)",
        )
        .bind(order_id)
        .fetch_one(database)
        .await
        .ok()?
        .then_some(())
    })
    .await
    .expect("the cancellation is recorded");
    let created = app.publish_order_event(order_id, order).await.id;
    eventually(Duration::from_secs(15), || async move {
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM payments.inbox WHERE consumer = $1 AND event_id = $2)",
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

    assert_eq!(get_payment(&app, &payment.id).await, payment);
    // The inbox row and whatever the handler published were committed together.
    let answers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM payments.outbox WHERE envelope->'data'->>'orderId' = $1",
    )
    .bind(order_id.to_string())
    .fetch_one(database)
    .await
    .unwrap();
    assert_eq!(answers, 0);
    app.wait_until_orders_handled().await;
    assert_eq!(
        app.published_types(1).await,
        vec!["payments.payment.authorized"]
    );
}

#[tokio::test]
async fn an_event_delivered_twice_is_handled_once() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
    let order = order_paid_with(&payment, 1000);
    let order_id = order.order_id;
    let created = app.publish_order_event(order_id, order).await;
    // Another message id: JetStream keeps both copies, as when a relay republishes late.
    app.publish_envelope(&created, &Uuid::now_v7().to_string())
        .await;

    app.wait_for_event("payments.payment.confirmed", order_id)
        .await;
    app.wait_until_orders_handled().await;
    assert_eq!(app.messages(Stream::ORDERING).await.len(), 2);
    assert_eq!(app.published("payments.payment.confirmed").await.len(), 1);
    assert!(app.published("payments.payment.rejected").await.is_empty());
    let handled: i64 =
        sqlx::query_scalar("SELECT count(*) FROM payments.inbox WHERE consumer = $1")
            .bind(ORDERS_CONSUMER)
            .fetch_one(&app.superuser().await)
            .await
            .unwrap();
    assert_eq!(handled, 1);
}

#[tokio::test]
async fn what_cannot_be_handled_is_dead_lettered_and_the_consumer_keeps_going() {
    let app = spawn_saga_app().await;
    let payment = authorize(&app, 1000).await;
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
    let mut unfit = serde_json::to_value(Envelope::new(
        Uuid::now_v7(),
        order_paid_with(&payment, 1000),
    ))
    .unwrap();
    unfit["data"] = serde_json::json!({ "orderId": "o-1" });
    app.publish_raw(
        "ordering.order.created",
        "unfit",
        serde_json::to_vec(&unfit).unwrap(),
    )
    .await;
    // A known event payments does not act on is acknowledged, not dead-lettered.
    let accepted = Uuid::now_v7();
    app.publish_order_event(accepted, OrderAccepted { order_id: accepted })
        .await;

    let order = order_paid_with(&payment, 1000);
    confirmed(&app, order).await;
    app.wait_until_orders_handled().await;

    let mut dead: Vec<(String, String, String)> = app
        .messages(DEAD_LETTERS)
        .await
        .into_iter()
        .map(|message| {
            let header = |name: &str| {
                message
                    .headers
                    .get(name)
                    .map(|value| value.as_str().to_owned())
                    .unwrap_or_default()
            };
            assert_eq!(
                message.subject.as_str(),
                namespace.subject(&format!("deadletter.{ORDERS_CONSUMER}"))
            );
            (
                header("Plaza-Original-Subject"),
                header("Plaza-Dead-Letter-Reason"),
                String::from_utf8(message.payload.to_vec()).unwrap(),
            )
        })
        .collect();
    dead.sort();
    assert_eq!(dead.len(), 3, "{dead:?}");
    let created_subject = namespace.subject("ordering.order.created");
    assert_eq!(dead[0].0, created_subject);
    assert!(
        dead[0]
            .1
            .starts_with("data of ordering.order.created does not fit"),
        "{dead:?}"
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&dead[0].2).unwrap(),
        unfit
    );
    assert_eq!(dead[1].0, created_subject);
    assert!(dead[1].1.starts_with("malformed envelope"), "{dead:?}");
    assert_eq!(dead[1].2, "{not json");
    assert_eq!(dead[2].0, namespace.subject("ordering.order.shipped"));
    assert_eq!(dead[2].1, "unknown event type ordering.order.shipped");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&dead[2].2).unwrap(),
        unknown
    );
}
