//! Bad input through REST: every mistake is a 4xx with a JSON body that says what is wrong,
//! never a 5xx.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::spawn_gateway;

#[tokio::test]
async fn malformed_json_and_wrong_types_are_a_json_400() {
    let gateway = spawn_gateway().await;
    gateway
        .post_raw("/api/v1/stores", "{not json")
        .await
        .assert_client_error(StatusCode::BAD_REQUEST, "");
    gateway
        .post("/api/v1/stores", json!({"name": 5, "location": "Main St"}))
        .await
        .assert_client_error(StatusCode::BAD_REQUEST, "name");
    gateway
        .post(
            "/api/v1/orders",
            json!({"customerId": "x", "items": "many"}),
        )
        .await
        .assert_client_error(StatusCode::BAD_REQUEST, "items");
}

#[tokio::test]
async fn rule_breaking_values_are_a_400_naming_the_field() {
    let gateway = spawn_gateway().await;
    gateway
        .get("/api/v1/stores/not-a-uuid")
        .await
        .assert_client_error(StatusCode::BAD_REQUEST, "id: must be a UUID");
    let store = gateway
        .post(
            "/api/v1/stores",
            json!({"name": "Shop", "location": "Main St"}),
        )
        .await
        .ok();
    let store_id = store["id"].as_str().unwrap();
    let negative = gateway
        .post(
            &format!("/api/v1/stores/{store_id}/products"),
            json!({"name": "Tea", "priceCents": "-1", "stock": 1}),
        )
        .await;
    negative.assert_client_error(StatusCode::BAD_REQUEST, "price_cents");
    assert_eq!(
        negative.body["details"][0]["fieldViolations"][0]["field"],
        "price_cents"
    );

    let product = gateway.product(100, 5).await;
    let (customer, payment) = gateway.shopper(1000).await;
    gateway
        .post(
            "/api/v1/orders",
            json!({"customerId": customer, "paymentId": payment,
                   "items": [{"productId": product["id"], "quantity": 0}]}),
        )
        .await
        .assert_client_error(StatusCode::BAD_REQUEST, "items[0].quantity");
}

#[tokio::test]
async fn unknown_paths_methods_and_query_parameters_are_a_json_4xx() {
    let gateway = spawn_gateway().await;
    gateway
        .get("/api/v1/nothing-here")
        .await
        .assert_client_error(StatusCode::NOT_FOUND, "nothing-here");
    gateway
        .get("/api/v1/stores?colour=red")
        .await
        .assert_client_error(StatusCode::BAD_REQUEST, "colour");
    gateway
        .send(reqwest::Method::PATCH, "/api/v1/stores", json!({}))
        .await
        .assert_client_error(StatusCode::NOT_FOUND, "");
}

#[tokio::test]
async fn service_errors_keep_their_http_status() {
    let gateway = spawn_gateway().await;
    let unknown = uuid::Uuid::now_v7();
    gateway
        .get(&format!("/api/v1/customers/{unknown}"))
        .await
        .assert_client_error(StatusCode::NOT_FOUND, "not found");
    let phone = json!({"name": "Ana", "phone": "+34 600 111 222"});
    gateway.post("/api/v1/customers", phone.clone()).await.ok();
    gateway
        .post("/api/v1/customers", phone)
        .await
        .assert_client_error(StatusCode::CONFLICT, "phone");
    let product = gateway.product(100, 5).await;
    let (customer, payment) = gateway.shopper(1000).await;
    let order = gateway
        .place_order(&customer, &payment, &product["id"], 1)
        .await;
    let delivered_or_not = gateway
        .post(
            &format!("/api/v1/orders/{}:cancel", order["id"].as_str().unwrap()),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(delivered_or_not["status"], "ORDER_STATUS_CANCELLED");
    // FAILED_PRECONDITION: Envoy maps it to 400, as Google's HTTP mapping does.
    gateway
        .post(
            &format!("/api/v1/orders/{}:pay", order["id"].as_str().unwrap()),
            json!({}),
        )
        .await
        .assert_client_error(StatusCode::BAD_REQUEST, "not ACCEPTED");
}
