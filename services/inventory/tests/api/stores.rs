use plaza_proto::inventory::v1::{
    CreateStoreRequest, DeleteStoreRequest, DisableParticipationRequest, GetProductRequest,
    GetStoreRequest, ListStoresRequest, UpdateStoreRequest,
};
use plaza_testkit::assert_invalid_argument;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_new_store_does_not_take_part_until_enabled() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    assert_eq!(Uuid::parse_str(&store.id).unwrap().get_version_num(), 7);
    assert_eq!(store.name, "Corner Shop");
    assert_eq!(store.location, "Corner Shop street 1");
    assert!(!store.participating);
    assert!(app.enable(&store).await.participating);
}

#[tokio::test]
async fn participation_can_be_enabled_and_disabled_again_and_again() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    assert!(app.enable(&store).await.participating);
    assert!(app.enable(&store).await.participating);
    let disable = || {
        let mut api = app.api();
        let request = DisableParticipationRequest {
            id: store.id.clone(),
        };
        async move { api.disable_participation(request).await }
    };
    assert!(!disable().await.unwrap().into_inner().participating);
    assert!(!disable().await.unwrap().into_inner().participating);
}

#[tokio::test]
async fn a_store_can_be_read_back_and_renamed() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    let read = app
        .api()
        .get_store(GetStoreRequest {
            id: store.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, store);
    let renamed = app
        .api()
        .update_store(UpdateStoreRequest {
            id: store.id.clone(),
            name: "Big Shop".to_owned(),
            location: "Harbour 2".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (renamed.name.as_str(), renamed.location.as_str()),
        ("Big Shop", "Harbour 2")
    );
    assert_eq!(renamed.create_time, store.create_time);
}

#[tokio::test]
async fn stores_are_listed_oldest_first_one_page_at_a_time() {
    let app = spawn_app().await;
    let a = app.create_store("A").await;
    let b = app.create_store("B").await;
    let c = app.create_store("C").await;
    let first = app
        .api()
        .list_stores(ListStoresRequest {
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.stores, vec![a, b]);
    let second = app
        .api()
        .list_stores(ListStoresRequest {
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.stores, vec![c]);
    assert!(second.next_page_token.is_empty());
}

#[tokio::test]
async fn a_store_needs_a_name_and_a_location() {
    let app = spawn_app().await;
    let create = |name: &str, location: &str| {
        let mut api = app.api();
        let request = CreateStoreRequest {
            name: name.to_owned(),
            location: location.to_owned(),
        };
        async move { api.create_store(request).await }
    };
    assert_invalid_argument(create(" ", "Main St").await, "name");
    assert_invalid_argument(create("Shop", "").await, "location");
}

#[tokio::test]
async fn changing_an_unknown_store_is_not_found() {
    let app = spawn_app().await;
    let id = Uuid::now_v7().to_string();
    let update = app
        .api()
        .update_store(UpdateStoreRequest {
            id: id.clone(),
            name: "x".to_owned(),
            location: "y".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(update.code(), Code::NotFound);
    let delete = app
        .api()
        .delete_store(DeleteStoreRequest { id: id.clone() })
        .await
        .unwrap_err();
    assert_eq!(delete.code(), Code::NotFound);
    let disable = app
        .api()
        .disable_participation(DisableParticipationRequest { id })
        .await
        .unwrap_err();
    assert_eq!(disable.code(), Code::NotFound);
}

#[tokio::test]
async fn a_malformed_store_id_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let result = app
        .api()
        .get_store(GetStoreRequest {
            id: "store-1".to_owned(),
        })
        .await;
    assert_invalid_argument(result, "id");
}

#[tokio::test]
async fn deleting_a_store_deletes_its_products() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    let product = app.add_product(&store, "Tea", 350, 10).await;
    app.api()
        .delete_store(DeleteStoreRequest {
            id: store.id.clone(),
        })
        .await
        .unwrap();
    let store_gone = app
        .api()
        .get_store(GetStoreRequest { id: store.id })
        .await
        .unwrap_err();
    assert_eq!(store_gone.code(), Code::NotFound);
    let product_gone = app
        .api()
        .get_product(GetProductRequest { id: product.id })
        .await
        .unwrap_err();
    assert_eq!(product_gone.code(), Code::NotFound);
}
