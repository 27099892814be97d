use plaza_proto::payments::v1::{GetPaymentRequest, PaymentStatus};
use plaza_testkit::assert_invalid_argument;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::spawn_app;

fn customer() -> String {
    Uuid::now_v7().to_string()
}

#[tokio::test]
async fn an_authorized_payment_holds_the_amount_for_the_customer() {
    let app = spawn_app().await;
    let customer_id = customer();
    let payment = app.authorize(&customer_id, 12_345, "").await.unwrap();
    assert_eq!(Uuid::parse_str(&payment.id).unwrap().get_version_num(), 7);
    assert_eq!(payment.customer_id, customer_id);
    assert_eq!(payment.amount_cents, 12_345);
    assert_eq!(payment.status(), PaymentStatus::Authorized);
    assert_eq!(payment.order_id, "");
    let read = app
        .api()
        .get_payment(GetPaymentRequest {
            id: payment.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, payment);
    assert_eq!(
        app.published_types(1).await,
        vec!["payments.payment.authorized"]
    );
}

#[tokio::test]
async fn an_amount_must_be_positive() {
    let app = spawn_app().await;
    assert_invalid_argument(app.authorize(&customer(), 0, "").await, "amount_cents");
    assert_invalid_argument(app.authorize(&customer(), -100, "").await, "amount_cents");
}

#[tokio::test]
async fn a_payment_needs_a_customer() {
    let app = spawn_app().await;
    assert_invalid_argument(app.authorize("", 100, "").await, "customer_id");
    assert_invalid_argument(app.authorize("ana", 100, "").await, "customer_id");
}

#[tokio::test]
async fn an_unknown_payment_is_not_found() {
    let app = spawn_app().await;
    let status = app
        .api()
        .get_payment(GetPaymentRequest { id: customer() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let malformed = app
        .api()
        .get_payment(GetPaymentRequest {
            id: "p-1".to_owned(),
        })
        .await;
    assert_invalid_argument(malformed, "id");
}

#[tokio::test]
async fn the_same_request_id_returns_the_same_payment_and_publishes_once() {
    let app = spawn_app().await;
    let customer_id = customer();
    let first = app.authorize(&customer_id, 500, "click-1").await.unwrap();
    let again = app.authorize(&customer_id, 500, "click-1").await.unwrap();
    assert_eq!(again, first);
    let other = app.authorize(&customer_id, 500, "click-2").await.unwrap();
    assert_ne!(other.id, first.id);
    assert_eq!(app.published_types(2).await.len(), 2);
}

#[tokio::test]
async fn concurrent_double_clicks_make_one_payment() {
    let app = spawn_app().await;
    let customer_id = customer();
    let clicks = (0..8).map(|_| app.authorize(&customer_id, 700, "double-click"));
    let payments = futures::future::join_all(clicks).await;
    let ids: std::collections::HashSet<String> =
        payments.into_iter().map(|p| p.unwrap().id).collect();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn a_request_id_reused_for_another_amount_already_exists() {
    let app = spawn_app().await;
    let customer_id = customer();
    app.authorize(&customer_id, 500, "click-1").await.unwrap();
    let status = app
        .authorize(&customer_id, 900, "click-1")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert!(status.message().starts_with("request_id:"), "{status:?}");
}

#[tokio::test]
async fn request_ids_belong_to_their_customer() {
    let app = spawn_app().await;
    let ana = app.authorize(&customer(), 500, "click-1").await.unwrap();
    let bob = app.authorize(&customer(), 500, "click-1").await.unwrap();
    assert_ne!(ana.id, bob.id);
}
