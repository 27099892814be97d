//! Many orders racing for the last units: no oversell, ever.

use plaza_proto::ordering::v1::OrderStatus;

use crate::helpers::spawn_plaza;

#[tokio::test]
async fn forty_orders_for_ten_units_accept_exactly_ten() {
    let plaza = spawn_plaza().await;
    let product = plaza.product(100, 10).await;
    let mut shoppers = Vec::new();
    for _ in 0..40 {
        shoppers.push(plaza.shopper(1000).await);
    }
    let orders =
        futures::future::join_all(shoppers.iter().map(|s| plaza.order(s, &product, 1))).await;
    let mut accepted = 0;
    let mut rejected = 0;
    for order in orders {
        let order = order.unwrap();
        let settled = plaza
            .order_when(&order.id, |o| {
                matches!(o.status(), OrderStatus::Accepted | OrderStatus::Rejected)
            })
            .await;
        match settled.status() {
            OrderStatus::Accepted => accepted += 1,
            _ => rejected += 1,
        }
    }
    assert_eq!((accepted, rejected), (10, 30));
    let sold_out = plaza.get_product(&product.id).await;
    assert_eq!((sold_out.stock, sold_out.reserved), (0, 10));
}
