use plaza_proto::inventory::v1::{
    DeleteProductRequest, GetProductRequest, ListProductsRequest, UpdateProductRequest,
};
use plaza_testkit::assert_invalid_argument;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::{product_request, spawn_app};

#[tokio::test]
async fn a_product_is_added_to_a_store_and_read_back() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    let product = app.add_product(&store, "Tea", 350, 10).await;
    assert_eq!(product.store_id, store.id);
    assert_eq!(
        (product.price_cents, product.stock, product.reserved),
        (350, 10, 0)
    );
    let read = app
        .api()
        .get_product(GetProductRequest {
            id: product.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, product);
}

#[tokio::test]
async fn a_product_for_an_unknown_store_is_not_found() {
    let app = spawn_app().await;
    let status = app
        .api()
        .add_product(product_request(&Uuid::now_v7().to_string(), "Tea", 350, 10))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(status.message().contains("store"), "{status:?}");
}

#[tokio::test]
async fn a_product_with_bad_values_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    let add = |request| {
        let mut api = app.api();
        async move { api.add_product(request).await }
    };
    assert_invalid_argument(
        add(product_request(&store.id, "Tea", -1, 10)).await,
        "price_cents",
    );
    assert_invalid_argument(
        add(product_request(&store.id, "Tea", 350, -1)).await,
        "stock",
    );
    assert_invalid_argument(add(product_request(&store.id, " ", 350, 1)).await, "name");
    assert_invalid_argument(
        add(product_request("shop", "Tea", 350, 1)).await,
        "store_id",
    );
}

#[tokio::test]
async fn a_product_can_be_changed_with_the_same_rules_as_when_added() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    let product = app.add_product(&store, "Tea", 350, 10).await;
    let update = |price_cents, stock| {
        let mut api = app.api();
        let request = UpdateProductRequest {
            id: product.id.clone(),
            name: "Green tea".to_owned(),
            description: String::new(),
            price_cents,
            stock,
        };
        async move { api.update_product(request).await }
    };
    let updated = update(0, 3).await.unwrap().into_inner();
    assert_eq!(
        (
            updated.name.as_str(),
            updated.description.as_str(),
            updated.price_cents,
            updated.stock
        ),
        ("Green tea", "", 0, 3)
    );
    assert_invalid_argument(update(-5, 3).await, "price_cents");
    assert_invalid_argument(update(5, -3).await, "stock");
}

#[tokio::test]
async fn changing_or_deleting_an_unknown_product_is_not_found() {
    let app = spawn_app().await;
    let id = Uuid::now_v7().to_string();
    let update = app
        .api()
        .update_product(UpdateProductRequest {
            id: id.clone(),
            name: "Tea".to_owned(),
            description: String::new(),
            price_cents: 1,
            stock: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(update.code(), Code::NotFound);
    let delete = app
        .api()
        .delete_product(DeleteProductRequest { id })
        .await
        .unwrap_err();
    assert_eq!(delete.code(), Code::NotFound);
}

#[tokio::test]
async fn a_deleted_product_is_gone() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    let product = app.add_product(&store, "Tea", 350, 10).await;
    app.api()
        .delete_product(DeleteProductRequest {
            id: product.id.clone(),
        })
        .await
        .unwrap();
    let status = app
        .api()
        .get_product(GetProductRequest { id: product.id })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn a_stores_products_are_listed_oldest_first_one_page_at_a_time() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    let other = app.create_store("Other Shop").await;
    let tea = app.add_product(&store, "Tea", 350, 10).await;
    app.add_product(&other, "Bread", 200, 5).await;
    let coffee = app.add_product(&store, "Coffee", 450, 10).await;
    let list = |page_token: String| {
        let mut api = app.api();
        let request = ListProductsRequest {
            store_id: store.id.clone(),
            page_size: 1,
            page_token,
        };
        async move { api.list_products(request).await }
    };
    let first = list(String::new()).await.unwrap().into_inner();
    assert_eq!(first.products, vec![tea]);
    let second = list(first.next_page_token).await.unwrap().into_inner();
    assert_eq!(second.products, vec![coffee]);
    assert!(second.next_page_token.is_empty());
}

#[tokio::test]
async fn the_products_of_an_unknown_store_are_not_found() {
    let app = spawn_app().await;
    let status = app
        .api()
        .list_products(ListProductsRequest {
            store_id: Uuid::now_v7().to_string(),
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}
