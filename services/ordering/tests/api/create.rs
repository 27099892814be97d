//! Placing an order: checks, pricing on the server, and idempotency.

use plaza_proto::{
    inventory::v1::DisableParticipationRequest,
    ordering::v1::{CreateOrderRequest, ListOrdersRequest, create_order_request::Item},
};
use plaza_testkit::assert_invalid_argument;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::{Shopper, spawn_plaza, spawn_plaza_with_service_token};

fn request(shopper: &Shopper, items: &[(&str, i32)]) -> CreateOrderRequest {
    CreateOrderRequest {
        customer_id: shopper.customer_id.clone(),
        payment_id: shopper.payment_id.clone(),
        items: items
            .iter()
            .map(|(product_id, quantity)| Item {
                product_id: (*product_id).to_owned(),
                quantity: *quantity,
            })
            .collect(),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn bad_lines_are_refused_naming_the_line() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let shopper = plaza.shopper(1000).await;
    let mut ordering = plaza.ordering.clone();
    let empty = ordering.create_order(request(&shopper, &[])).await;
    assert_invalid_argument(empty, "items");
    let zero = ordering
        .create_order(request(&shopper, &[(&product.id, 0)]))
        .await;
    assert_invalid_argument(zero, "items[0].quantity");
    let too_many = ordering
        .create_order(request(&shopper, &[(&product.id, 100)]))
        .await;
    assert_invalid_argument(too_many, "items[0].quantity");
    let malformed = ordering
        .create_order(request(&shopper, &[(&product.id, 1), ("tea", 1)]))
        .await;
    assert_invalid_argument(malformed, "items[1].product_id");
    let no_customer = ordering
        .create_order(CreateOrderRequest {
            customer_id: "ana".to_owned(),
            ..request(&shopper, &[(&product.id, 1)])
        })
        .await;
    assert_invalid_argument(no_customer, "customer_id");
}

#[tokio::test]
async fn an_unknown_customer_or_product_is_not_found() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let shopper = plaza.shopper(1000).await;
    let mut ordering = plaza.ordering.clone();
    let stranger = Shopper {
        customer_id: Uuid::now_v7().to_string(),
        payment_id: shopper.payment_id.clone(),
    };
    let status = ordering
        .create_order(request(&stranger, &[(&product.id, 1)]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(status.message().starts_with("customer_id:"), "{status:?}");
    let unknown = Uuid::now_v7().to_string();
    let status = ordering
        .create_order(request(&shopper, &[(&product.id, 1), (&unknown, 1)]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(
        status.message().starts_with("items[1].product_id:"),
        "{status:?}"
    );
}

#[tokio::test]
async fn a_product_of_a_store_that_left_the_shop_cannot_be_ordered() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    plaza
        .inventory
        .clone()
        .disable_participation(DisableParticipationRequest {
            id: product.store_id.clone(),
        })
        .await
        .unwrap();
    let shopper = plaza.shopper(1000).await;
    let result = plaza
        .ordering
        .clone()
        .create_order(request(&shopper, &[(&product.id, 1)]))
        .await;
    assert_invalid_argument(result, "items[0].product_id");
}

#[tokio::test]
async fn a_repeated_request_id_places_one_order() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let shopper = plaza.shopper(1000).await;
    let double_click = CreateOrderRequest {
        request_id: "checkout-1".to_owned(),
        ..request(&shopper, &[(&product.id, 1)])
    };
    let clicks = (0..4).map(|_| {
        let mut ordering = plaza.ordering.clone();
        let request = double_click.clone();
        async move {
            ordering
                .create_order(request)
                .await
                .map(|r| r.into_inner().id)
        }
    });
    let ids: Vec<String> = futures::future::join_all(clicks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let listed = plaza
        .ordering
        .clone()
        .list_orders(ListOrdersRequest {
            customer_id: shopper.customer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.orders.len(), 1);
}

/// Ordering's token signed by a key the other services do not know: an operator's mistake.
/// The order fails as an internal error (the log names `auth.service_token`), and nothing is
/// stored.
#[tokio::test]
async fn a_service_token_the_others_refuse_fails_the_order_and_stores_nothing() {
    let foreign = plaza_auth::Issuer::from_pem(&plaza_auth::Issuer::generate_key().unwrap())
        .unwrap()
        .issue(
            &plaza_auth::Caller::Service("ordering".to_owned()),
            std::time::Duration::from_secs(3600),
        )
        .unwrap()
        .text;
    let plaza = spawn_plaza_with_service_token(foreign).await;
    let product = plaza.product(100, 10).await;
    let shopper = plaza.shopper(1000).await;
    let refused = plaza
        .ordering
        .clone()
        .create_order(request(&shopper, &[(&product.id, 1)]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Internal, "{refused:?}");
    let orders = plaza
        .ordering
        .clone()
        .list_orders(ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(orders.is_empty(), "{orders:?}");
}
