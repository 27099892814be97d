//! At-least-once delivery: every event of a finished saga delivered a second time changes
//! nothing. The copies carry the same event id but a new `Nats-Msg-Id`, so JetStream keeps
//! them and only the consumers' inboxes can recognise them, exactly as after a consumer that
//! committed but crashed before acknowledging.

use plaza_events::Stream;
use plaza_proto::ordering::v1::{OrderStatus, OrderStockStatus};

use crate::helpers::spawn_plaza;

#[tokio::test]
async fn every_event_delivered_twice_changes_nothing_more_than_once() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let shopper = plaza.shopper(1000).await;
    let order = plaza.order(&shopper, &product, 3).await.unwrap();
    let accepted = plaza
        .order_with_status(&order.id, OrderStatus::Accepted)
        .await;
    plaza
        .ordering
        .clone()
        .pay_order(plaza_proto::ordering::v1::PayOrderRequest {
            id: accepted.id.clone(),
        })
        .await
        .unwrap();
    plaza
        .order_when(&order.id, |o| {
            o.stock_status() == OrderStockStatus::Committed
        })
        .await;
    plaza.wait_until_settled().await;
    let before = (
        plaza.get_order(&order.id).await,
        plaza.get_product(&product.id).await,
        plaza.get_payment(&shopper.payment_id).await,
    );

    let jetstream = plaza.environment.nats.jetstream();
    let mut copies = 0;
    for stream in [Stream::ORDERING, Stream::PAYMENTS, Stream::INVENTORY] {
        for message in plaza.environment.messages(stream).await {
            let mut headers = async_nats::HeaderMap::new();
            let copy_id = format!("copy-{}-{}", message.sequence, message.subject);
            headers.insert("Nats-Msg-Id", copy_id.as_str());
            jetstream
                .publish_with_headers(message.subject.clone(), headers, message.payload.clone())
                .await
                .unwrap()
                .await
                .unwrap();
            copies += 1;
        }
    }
    assert!(copies >= 8, "the saga published {copies} events");
    plaza.wait_until_settled().await;

    let after = (
        plaza.get_order(&order.id).await,
        plaza.get_product(&product.id).await,
        plaza.get_payment(&shopper.payment_id).await,
    );
    assert_eq!(after, before);
    assert_eq!((after.1.stock, after.1.reserved), (7, 0));
}
