//! The seed's walkthrough in REST through Envoy, and the rejections.

use serde_json::json;

use crate::harness::spawn_gateway;

#[tokio::test]
async fn a_shop_is_set_up_and_an_order_placed_accepted_paid_and_delivered_over_rest() {
    let gateway = spawn_gateway().await;
    let product = gateway.product(450, 10).await;
    let product_id = product["id"].as_str().unwrap();
    assert_eq!(
        product["priceCents"], "450",
        "int64 travels as a JSON string"
    );

    let catalog = gateway.get("/api/v1/catalog").await.ok();
    assert_eq!(catalog["products"][0]["product"]["id"], product_id);
    assert_eq!(catalog["products"][0]["storeName"], "Corner Shop");

    let (customer_id, payment_id) = gateway.shopper(1000).await;
    let placed = gateway
        .post(
            "/api/v1/orders",
            json!({
                "customerId": customer_id,
                "paymentId": payment_id,
                "items": [{"productId": product_id, "quantity": 2}],
                "requestId": "checkout-1"
            }),
        )
        .await
        .ok();
    assert_eq!(placed["status"], "ORDER_STATUS_PENDING");
    assert_eq!(placed["totalCents"], "900");
    let order_id = placed["id"].as_str().unwrap();

    gateway
        .order_with_status(order_id, "ORDER_STATUS_ACCEPTED")
        .await;
    let paid = gateway
        .post(&format!("/api/v1/orders/{order_id}:pay"), json!({}))
        .await
        .ok();
    assert_eq!(paid["status"], "ORDER_STATUS_DELIVERED");
    assert_eq!(paid["paymentStatus"], "ORDER_PAYMENT_STATUS_CAPTURED");

    let mine = gateway
        .get(&format!("/api/v1/orders?customerId={customer_id}"))
        .await
        .ok();
    assert_eq!(mine["orders"].as_array().unwrap().len(), 1);

    let timeline = gateway
        .get(&format!("/api/v1/orders/{order_id}/events"))
        .await
        .ok();
    let types: Vec<&str> = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[0], "OrderCreated");
    assert!(
        types.contains(&"OrderAccepted") && types.contains(&"OrderDelivered"),
        "{types:?}"
    );
    let all = gateway
        .get(&format!(
            "/api/v1/events?orderId={order_id}&sort=SORT_ORDER_DESCENDING"
        ))
        .await
        .ok();
    assert_eq!(all["events"][0]["orderId"], order_id);
}

#[tokio::test]
async fn orders_beyond_the_stock_or_the_money_are_rejected_with_the_reason() {
    let gateway = spawn_gateway().await;
    let product = gateway.product(500, 1).await;
    let product_id = product["id"].as_str().unwrap();
    let order = |customer: String, payment: String, quantity: i32| {
        let body = json!({
            "customerId": customer,
            "paymentId": payment,
            "items": [{"productId": product_id, "quantity": quantity}]
        });
        let gateway = &gateway;
        async move { gateway.post("/api/v1/orders", body).await.ok() }
    };
    let (customer, payment) = gateway.shopper(100_000).await;
    let too_many = order(customer, payment, 2).await;
    let rejected = gateway
        .order_with_status(too_many["id"].as_str().unwrap(), "ORDER_STATUS_REJECTED")
        .await;
    assert_eq!(rejected["rejectReason"], "REJECT_REASON_OUT_OF_STOCK");

    let (customer, payment) = gateway.shopper(499).await;
    let too_dear = order(customer, payment, 1).await;
    let rejected = gateway
        .order_with_status(too_dear["id"].as_str().unwrap(), "ORDER_STATUS_REJECTED")
        .await;
    assert_eq!(rejected["rejectReason"], "REJECT_REASON_NOT_ENOUGH_MONEY");
}
