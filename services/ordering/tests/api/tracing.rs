//! One order's spans in all four services share one trace id: the trace context travels in
//! gRPC metadata, NATS headers and the envelopes.

use plaza_events::Stream;
use plaza_proto::ordering::v1::{CreateOrderRequest, OrderStatus, create_order_request::Item};
use plaza_testkit::record_traces;

use crate::helpers::spawn_plaza;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test]
async fn an_orders_saga_continues_the_callers_trace_in_every_service() {
    record_traces();
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let shopper = plaza.shopper(1000).await;
    let mut request = tonic::Request::new(CreateOrderRequest {
        customer_id: shopper.customer_id.clone(),
        payment_id: shopper.payment_id.clone(),
        items: vec![Item {
            product_id: product.id.clone(),
            quantity: 1,
        }],
        request_id: String::new(),
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-00f067aa0ba902b7-01")
            .parse()
            .unwrap(),
    );
    let order = plaza
        .ordering
        .clone()
        .create_order(request)
        .await
        .unwrap()
        .into_inner();
    plaza
        .order_with_status(&order.id, OrderStatus::Accepted)
        .await;
    plaza.wait_until_settled().await;

    let mut traced = Vec::new();
    for stream in [Stream::ORDERING, Stream::PAYMENTS, Stream::INVENTORY] {
        for message in plaza.environment.messages(stream).await {
            let envelope: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
            if envelope["correlationid"] != order.id.as_str() {
                continue;
            }
            let in_envelope = envelope["traceparent"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let in_header = message
                .headers
                .get("traceparent")
                .map(|value| value.as_str().to_owned())
                .unwrap_or_default();
            traced.push((
                envelope["type"].as_str().unwrap().to_owned(),
                in_envelope,
                in_header,
            ));
        }
    }
    let types: Vec<&str> = traced.iter().map(|(t, _, _)| t.as_str()).collect();
    for expected in [
        "ordering.order.created",
        "payments.payment.confirmed",
        "inventory.stock.reserved",
        "ordering.order.accepted",
    ] {
        assert!(
            types.contains(&expected),
            "{expected} missing from {types:?}"
        );
    }
    for (event_type, in_envelope, in_header) in &traced {
        assert!(
            in_envelope.contains(TRACE_ID),
            "{event_type}: envelope traceparent {in_envelope:?}"
        );
        assert_eq!(
            in_header, in_envelope,
            "{event_type}: header and envelope differ"
        );
    }
}
