//! The read side: a shopper's orders, the admin's view, the event-sourcing views.

use plaza_proto::ordering::v1::{
    GetOrderRequest, ListEventsRequest, ListOrdersRequest, OrderStatus, SortOrder,
};
use tonic::Code;
use uuid::Uuid;

use crate::helpers::spawn_plaza;

#[tokio::test]
async fn a_shopper_sees_only_their_orders_newest_first_and_the_admin_sees_all() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let ana = plaza.shopper(1000).await;
    let bob = plaza.shopper(1000).await;
    let first = plaza.order(&ana, &product, 1).await.unwrap();
    let bobs = plaza.order(&bob, &product, 1).await.unwrap();
    let second = plaza.order(&ana, &product, 1).await.unwrap();
    let mut ordering = plaza.ordering.clone();
    let anas = ordering
        .list_orders(ListOrdersRequest {
            customer_id: ana.customer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = anas.orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, vec![second.id.as_str(), first.id.as_str()]);

    let page = ordering
        .list_orders(ListOrdersRequest {
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = page.orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, vec![second.id.as_str(), bobs.id.as_str()]);
    let rest = ordering
        .list_orders(ListOrdersRequest {
            page_size: 2,
            page_token: page.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.orders.len(), 1);
    assert_eq!(rest.orders[0].id, first.id);
    assert!(rest.next_page_token.is_empty());
}

#[tokio::test]
async fn an_unknown_order_is_not_found() {
    let plaza = spawn_plaza().await;
    let status = plaza
        .ordering
        .clone()
        .get_order(GetOrderRequest {
            id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn events_can_be_read_for_one_order_and_newest_first() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let shopper = plaza.shopper(1000).await;
    let first = plaza.order(&shopper, &product, 1).await.unwrap();
    plaza
        .order_with_status(&first.id, OrderStatus::Accepted)
        .await;
    let other = plaza.shopper(1000).await;
    let second = plaza.order(&other, &product, 1).await.unwrap();
    plaza
        .order_with_status(&second.id, OrderStatus::Accepted)
        .await;
    let mut ordering = plaza.ordering.clone();

    let one = ordering
        .list_events(ListEventsRequest {
            order_id: first.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(one.events.iter().all(|e| e.order_id == first.id));
    let versions: Vec<i32> = one.events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=versions.len() as i32).collect::<Vec<_>>());
    assert_eq!(one.events[0].r#type, "OrderCreated");
    let created = one.events[0].data.as_ref().unwrap();
    assert!(created.fields.contains_key("totalCents"), "{created:?}");

    let newest = ordering
        .list_events(ListEventsRequest {
            sort: SortOrder::Descending.into(),
            page_size: 3,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(newest.events.len(), 3);
    assert!(
        newest
            .events
            .windows(2)
            .all(|w| w[0].position > w[1].position)
    );
    assert_eq!(newest.events[0].order_id, second.id);
    let older = ordering
        .list_events(ListEventsRequest {
            sort: SortOrder::Descending.into(),
            page_size: 3,
            page_token: newest.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(older.events[0].position < newest.events[2].position);
}
