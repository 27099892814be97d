//! An order's life through the saga: accepted, paid, delivered; rejected for each reason;
//! cancelled; and what each does to stock and payment.

use std::time::Duration;

use plaza_proto::{
    ordering::v1::{
        CancelOrderRequest, ListOrderEventsRequest, Order, OrderPaymentStatus, OrderStatus,
        OrderStockStatus, PayOrderRequest, RejectReason,
    },
    payments::v1::PaymentStatus,
};
use tonic::Code;

use crate::helpers::{Plaza, spawn_plaza, spawn_plaza_with_stock_delay};

async fn pay(plaza: &Plaza, order: &Order) -> Result<Order, tonic::Status> {
    plaza
        .ordering
        .clone()
        .pay_order(PayOrderRequest {
            id: order.id.clone(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn cancel(plaza: &Plaza, order: &Order) -> Result<Order, tonic::Status> {
    plaza
        .ordering
        .clone()
        .cancel_order(CancelOrderRequest {
            id: order.id.clone(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn event_types(plaza: &Plaza, order: &Order) -> Vec<String> {
    plaza
        .ordering
        .clone()
        .list_order_events(ListOrderEventsRequest {
            id: order.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .events
        .into_iter()
        .map(|event| event.r#type)
        .collect()
}

#[tokio::test]
async fn an_order_is_accepted_then_paid_and_delivered() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(350, 10).await;
    let shopper = plaza.shopper(1000).await;
    let placed = plaza.order(&shopper, &product, 2).await.unwrap();
    assert_eq!(placed.status(), OrderStatus::Pending);
    assert_eq!(placed.total_cents, 700);
    assert_eq!(placed.items[0].unit_price_cents, 350);
    assert_eq!(placed.items[0].store_name, "Corner Shop");

    let accepted = plaza
        .order_with_status(&placed.id, OrderStatus::Accepted)
        .await;
    assert_eq!(accepted.payment_status(), OrderPaymentStatus::Confirmed);
    assert_eq!(accepted.stock_status(), OrderStockStatus::Reserved);
    let held = plaza.get_product(&product.id).await;
    assert_eq!((held.stock, held.reserved), (8, 2));
    assert_eq!(
        plaza.get_payment(&shopper.payment_id).await.status(),
        PaymentStatus::Confirmed
    );

    let delivered = pay(&plaza, &accepted).await.unwrap();
    assert_eq!(delivered.status(), OrderStatus::Delivered);
    assert_eq!(delivered.payment_status(), OrderPaymentStatus::Captured);
    assert_eq!(
        plaza.get_payment(&shopper.payment_id).await.status(),
        PaymentStatus::Captured
    );
    let committed = plaza
        .order_when(&placed.id, |order| {
            order.stock_status() == OrderStockStatus::Committed
        })
        .await;
    assert_eq!(committed.status(), OrderStatus::Delivered);
    let sold = plaza.get_product(&product.id).await;
    assert_eq!((sold.stock, sold.reserved), (8, 0));

    let types = event_types(&plaza, &placed).await;
    assert_eq!(types.first().map(String::as_str), Some("OrderCreated"));
    for expected in [
        "PaymentConfirmed",
        "StockReserved",
        "OrderAccepted",
        "OrderDelivered",
        "StockCommitted",
    ] {
        assert!(
            types.iter().any(|t| t == expected),
            "{expected} missing from {types:?}"
        );
    }
    assert_eq!(committed.version as usize, types.len());
}

#[tokio::test]
async fn an_order_for_more_than_the_stock_is_rejected_and_its_payment_voided() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 3).await;
    let shopper = plaza.shopper(10_000).await;
    let order = plaza.order(&shopper, &product, 4).await.unwrap();
    let rejected = plaza
        .order_with_status(&order.id, OrderStatus::Rejected)
        .await;
    assert_eq!(rejected.reject_reason(), RejectReason::OutOfStock);
    assert_eq!(rejected.stock_status(), OrderStockStatus::OutOfStock);
    let voided = plaza
        .order_when(&order.id, |o| {
            o.payment_status() == OrderPaymentStatus::Voided
        })
        .await;
    assert_eq!(voided.status(), OrderStatus::Rejected);
    assert_eq!(
        plaza.get_payment(&shopper.payment_id).await.status(),
        PaymentStatus::Voided
    );
    let untouched = plaza.get_product(&product.id).await;
    assert_eq!((untouched.stock, untouched.reserved), (3, 0));
}

async fn rejected_for(plaza: &Plaza, order: &Order, reason: RejectReason) {
    let rejected = plaza
        .order_with_status(&order.id, OrderStatus::Rejected)
        .await;
    assert_eq!(rejected.reject_reason(), reason);
    assert_eq!(rejected.payment_status(), OrderPaymentStatus::Rejected);
    // The stock reserved meanwhile goes back.
    plaza
        .order_when(&order.id, |o| {
            o.stock_status() == OrderStockStatus::Released
        })
        .await;
}

#[tokio::test]
async fn an_authorization_below_the_total_is_not_enough_money() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(500, 10).await;
    let shopper = plaza.shopper(999).await;
    let order = plaza.order(&shopper, &product, 2).await.unwrap();
    rejected_for(&plaza, &order, RejectReason::NotEnoughMoney).await;
    let restored = plaza.get_product(&product.id).await;
    assert_eq!((restored.stock, restored.reserved), (10, 0));
    assert_eq!(
        plaza.get_payment(&shopper.payment_id).await.status(),
        PaymentStatus::Authorized
    );
}

#[tokio::test]
async fn an_unknown_payment_is_rejected() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(500, 10).await;
    let mut shopper = plaza.shopper(999).await;
    shopper.payment_id = uuid::Uuid::now_v7().to_string();
    let order = plaza.order(&shopper, &product, 1).await.unwrap();
    rejected_for(&plaza, &order, RejectReason::UnknownPayment).await;
}

#[tokio::test]
async fn another_customers_payment_is_a_customer_mismatch() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(500, 10).await;
    let owner = plaza.shopper(5000).await;
    let mut shopper = plaza.shopper(5000).await;
    shopper.payment_id = owner.payment_id.clone();
    let order = plaza.order(&shopper, &product, 1).await.unwrap();
    rejected_for(&plaza, &order, RejectReason::CustomerMismatch).await;
    assert_eq!(
        plaza.get_payment(&owner.payment_id).await.status(),
        PaymentStatus::Authorized
    );
}

#[tokio::test]
async fn a_payment_used_by_one_order_cannot_pay_another() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let shopper = plaza.shopper(5000).await;
    let first = plaza.order(&shopper, &product, 1).await.unwrap();
    plaza
        .order_with_status(&first.id, OrderStatus::Accepted)
        .await;
    let second = plaza.order(&shopper, &product, 1).await.unwrap();
    rejected_for(&plaza, &second, RejectReason::PaymentAlreadyUsed).await;
    assert_eq!(
        plaza.get_order(&first.id).await.status(),
        OrderStatus::Accepted
    );
}

#[tokio::test]
async fn an_accepted_order_cancelled_gives_back_its_stock_and_voids_its_payment() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 5).await;
    let shopper = plaza.shopper(1000).await;
    let order = plaza.order(&shopper, &product, 2).await.unwrap();
    let accepted = plaza
        .order_with_status(&order.id, OrderStatus::Accepted)
        .await;
    let cancelled = cancel(&plaza, &accepted).await.unwrap();
    assert_eq!(cancelled.status(), OrderStatus::Cancelled);
    let compensated = plaza
        .order_when(&order.id, |o| {
            o.stock_status() == OrderStockStatus::Released
                && o.payment_status() == OrderPaymentStatus::Voided
        })
        .await;
    assert_eq!(compensated.status(), OrderStatus::Cancelled);
    let restored = plaza.get_product(&product.id).await;
    assert_eq!((restored.stock, restored.reserved), (5, 0));
    assert_eq!(
        plaza.get_payment(&shopper.payment_id).await.status(),
        PaymentStatus::Voided
    );
}

#[tokio::test]
async fn a_pending_order_cancelled_reserves_nothing_and_voids_its_payment() {
    // Inventory answers only after a minute: the order stays PENDING until cancelled.
    let plaza = spawn_plaza_with_stock_delay(Duration::from_secs(60)).await;
    let product = plaza.product(100, 5).await;
    let shopper = plaza.shopper(1000).await;
    let order = plaza.order(&shopper, &product, 2).await.unwrap();
    let confirmed = plaza
        .order_when(&order.id, |o| {
            o.payment_status() == OrderPaymentStatus::Confirmed
        })
        .await;
    assert_eq!(confirmed.status(), OrderStatus::Pending);
    let cancelled = cancel(&plaza, &confirmed).await.unwrap();
    assert_eq!(cancelled.status(), OrderStatus::Cancelled);
    plaza
        .order_when(&order.id, |o| {
            o.payment_status() == OrderPaymentStatus::Voided
        })
        .await;
    assert_eq!(
        plaza.get_payment(&shopper.payment_id).await.status(),
        PaymentStatus::Voided
    );
    let untouched = plaza.get_product(&product.id).await;
    assert_eq!((untouched.stock, untouched.reserved), (5, 0));
}

#[tokio::test]
async fn only_an_accepted_order_is_paid_and_a_delivered_one_is_not_cancelled() {
    let plaza = spawn_plaza_with_stock_delay(Duration::from_secs(60)).await;
    let product = plaza.product(100, 5).await;
    let shopper = plaza.shopper(1000).await;
    let pending = plaza.order(&shopper, &product, 1).await.unwrap();
    let refused = pay(&plaza, &pending).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("ACCEPTED"), "{refused:?}");

    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 5).await;
    let shopper = plaza.shopper(1000).await;
    let order = plaza.order(&shopper, &product, 1).await.unwrap();
    let accepted = plaza
        .order_with_status(&order.id, OrderStatus::Accepted)
        .await;
    pay(&plaza, &accepted).await.unwrap();
    let refused = cancel(&plaza, &accepted).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let paid_twice = pay(&plaza, &accepted).await.unwrap_err();
    assert_eq!(paid_twice.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn an_order_placed_while_payments_is_down_completes_when_it_is_back() {
    let mut plaza = spawn_plaza().await;
    let product = plaza.product(100, 5).await;
    let shopper = plaza.shopper(1000).await;
    plaza.stop_payments().await;

    let order = plaza.order(&shopper, &product, 1).await.unwrap();
    plaza
        .order_when(&order.id, |o| {
            o.stock_status() == OrderStockStatus::Reserved
        })
        .await;
    plaza_testkit::eventually(crate::helpers::DEADLINE, || async {
        (plaza
            .waiting_for(plaza_events::Stream::ORDERING, "payments-orders")
            .await
            == 1)
            .then_some(())
    })
    .await
    .expect("the order waits for payments");
    assert_eq!(
        plaza.get_order(&order.id).await.status(),
        OrderStatus::Pending
    );

    plaza.start_payments().await;
    let accepted = plaza
        .order_with_status(&order.id, OrderStatus::Accepted)
        .await;
    assert_eq!(accepted.payment_status(), OrderPaymentStatus::Confirmed);
    assert_eq!(
        plaza.get_payment(&shopper.payment_id).await.status(),
        PaymentStatus::Confirmed
    );
}
