use plaza_proto::payments::v1::{CapturePaymentRequest, Payment, PaymentStatus};
use plaza_testkit::assert_invalid_argument;
use sqlx::{Connection, PgConnection};
use tonic::Code;
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

/// Binds the payment to an order as the saga's confirmation does (the saga's handler comes
/// with the ordering service; here the row is set directly).
async fn confirm_for_order(app: &TestApp, payment: &Payment) -> Uuid {
    let order_id = Uuid::now_v7();
    let mut connection = PgConnection::connect(&app.environment().database.url("plaza_payments"))
        .await
        .unwrap();
    sqlx::query("UPDATE payments.payments SET status = 'CONFIRMED', order_id = $2 WHERE id = $1")
        .bind(Uuid::parse_str(&payment.id).unwrap())
        .bind(order_id)
        .execute(&mut connection)
        .await
        .unwrap();
    order_id
}

async fn capture(
    app: &TestApp,
    payment_id: &str,
    order_id: Uuid,
) -> Result<Payment, tonic::Status> {
    app.api()
        .capture_payment(CapturePaymentRequest {
            id: payment_id.to_owned(),
            order_id: order_id.to_string(),
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_payment_confirmed_for_an_order_is_captured_once() {
    let app = spawn_app().await;
    let payment = app
        .authorize(&Uuid::now_v7().to_string(), 1000, "")
        .await
        .unwrap();
    let order_id = confirm_for_order(&app, &payment).await;
    let captured = capture(&app, &payment.id, order_id).await.unwrap();
    assert_eq!(captured.status(), PaymentStatus::Captured);
    assert_eq!(captured.order_id, order_id.to_string());
    let again = capture(&app, &payment.id, order_id).await.unwrap();
    assert_eq!(again, captured);
    assert_eq!(
        app.published_types(2).await,
        vec!["payments.payment.authorized", "payments.payment.captured"]
    );
}

#[tokio::test]
async fn a_payment_only_authorized_is_not_captured() {
    let app = spawn_app().await;
    let payment = app
        .authorize(&Uuid::now_v7().to_string(), 1000, "")
        .await
        .unwrap();
    let status = capture(&app, &payment.id, Uuid::now_v7())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("not confirmed"), "{status:?}");
}

#[tokio::test]
async fn a_payment_is_not_captured_for_another_order() {
    let app = spawn_app().await;
    let payment = app
        .authorize(&Uuid::now_v7().to_string(), 1000, "")
        .await
        .unwrap();
    confirm_for_order(&app, &payment).await;
    let status = capture(&app, &payment.id, Uuid::now_v7())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn capturing_an_unknown_or_malformed_payment_is_refused() {
    let app = spawn_app().await;
    let unknown = capture(&app, &Uuid::now_v7().to_string(), Uuid::now_v7())
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_invalid_argument(capture(&app, "p-1", Uuid::now_v7()).await, "id");
    let no_order = app
        .api()
        .capture_payment(CapturePaymentRequest {
            id: Uuid::now_v7().to_string(),
            order_id: String::new(),
        })
        .await;
    assert_invalid_argument(no_order, "order_id");
}
