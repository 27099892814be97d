use plaza_proto::inventory::v1::{BatchGetProductsRequest, GetCatalogRequest};
use plaza_testkit::assert_invalid_argument;
use uuid::Uuid;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_catalog_holds_only_the_products_of_participating_stores_with_their_store() {
    let app = spawn_app().await;
    let open = app.create_store("Open Shop").await;
    let closed = app.create_store("Closed Shop").await;
    app.enable(&open).await;
    let tea = app.add_product(&open, "Tea", 350, 10).await;
    app.add_product(&closed, "Bread", 200, 5).await;
    let catalog = app
        .api()
        .get_catalog(GetCatalogRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(catalog.products.len(), 1);
    let item = &catalog.products[0];
    assert_eq!(item.product.as_ref(), Some(&tea));
    assert_eq!(item.store_name, "Open Shop");
    assert_eq!(item.store_location, "Open Shop street 1");
    assert!(catalog.next_page_token.is_empty());
}

#[tokio::test]
async fn a_batch_look_up_prices_products_with_their_store_and_lists_the_missing() {
    let app = spawn_app().await;
    let open = app.create_store("Open Shop").await;
    let closed = app.create_store("Closed Shop").await;
    app.enable(&open).await;
    let tea = app.add_product(&open, "Tea", 350, 10).await;
    let bread = app.add_product(&closed, "Bread", 200, 5).await;
    let unknown = Uuid::now_v7().to_string();
    let batch = app
        .api()
        .batch_get_products(BatchGetProductsRequest {
            ids: vec![
                bread.id.clone(),
                unknown.clone(),
                tea.id.clone(),
                tea.id.clone(),
            ],
        })
        .await
        .unwrap()
        .into_inner();
    let found: Vec<(&str, &str, bool)> = batch
        .products
        .iter()
        .map(|p| {
            let product = p.product.as_ref().unwrap();
            (
                product.id.as_str(),
                p.store_name.as_str(),
                p.store_participating,
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (bread.id.as_str(), "Closed Shop", false),
            (tea.id.as_str(), "Open Shop", true)
        ]
    );
    assert_eq!(batch.products[1].product.as_ref().unwrap().price_cents, 350);
    assert_eq!(batch.missing_ids, vec![unknown]);
}

#[tokio::test]
async fn a_batch_look_up_names_the_malformed_id() {
    let app = spawn_app().await;
    let result = app
        .api()
        .batch_get_products(BatchGetProductsRequest {
            ids: vec![Uuid::now_v7().to_string(), "tea".to_owned()],
        })
        .await;
    assert_invalid_argument(result, "ids[1]");
    let empty = app
        .api()
        .batch_get_products(BatchGetProductsRequest::default())
        .await;
    assert_invalid_argument(empty, "ids");
}
