use plaza_proto::customers::v1::{GetCustomerRequest, ListCustomersRequest};
use tonic::Code;
use uuid::Uuid;

use plaza_testkit::assert_invalid_argument as assert_invalid;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_registered_customer_has_a_v7_id_and_a_normalised_phone() {
    let app = spawn_app().await;
    let customer = app.register(" Ana Díaz ", "+34 600-000-001").await.unwrap();
    assert_eq!(Uuid::parse_str(&customer.id).unwrap().get_version_num(), 7);
    assert_eq!(customer.name, "Ana Díaz");
    assert_eq!(customer.phone, "+34600000001");
    assert!(customer.create_time.is_some());
}

#[tokio::test]
async fn a_registered_customer_can_be_looked_up() {
    let app = spawn_app().await;
    let registered = app.register("Ana", "600000001").await.unwrap();
    let found = app
        .client
        .clone()
        .get_customer(GetCustomerRequest {
            id: registered.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found, registered);
}

#[tokio::test]
async fn an_unknown_customer_is_not_found() {
    let app = spawn_app().await;
    let status = app
        .client
        .clone()
        .get_customer(GetCustomerRequest {
            id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn a_malformed_id_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let result = app
        .client
        .clone()
        .get_customer(GetCustomerRequest {
            id: "42".to_owned(),
        })
        .await;
    assert_invalid(result, "id");
}

#[tokio::test]
async fn a_registration_without_a_name_is_refused_naming_the_field() {
    let app = spawn_app().await;
    assert_invalid(app.register("  ", "600000001").await, "name");
}

#[tokio::test]
async fn a_registration_with_a_bad_phone_is_refused_naming_the_field() {
    let app = spawn_app().await;
    assert_invalid(app.register("Ana", "call me").await, "phone");
}

#[tokio::test]
async fn a_phone_cannot_be_registered_twice() {
    let app = spawn_app().await;
    app.register("Ana", "+34 600 000 001").await.unwrap();
    let status = app.register("Ana again", "+34600000001").await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert!(status.message().contains("phone"), "{status:?}");
}

#[tokio::test]
async fn customers_are_listed_oldest_first_one_page_at_a_time() {
    let app = spawn_app().await;
    let mut registered = Vec::new();
    for n in 1..=3 {
        registered.push(
            app.register(&format!("Customer {n}"), &format!("60000000{n}"))
                .await
                .unwrap(),
        );
    }
    let mut client = app.client.clone();
    let first = client
        .list_customers(ListCustomersRequest {
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.customers, registered[..2]);
    assert!(!first.next_page_token.is_empty());
    let second = client
        .list_customers(ListCustomersRequest {
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.customers, registered[2..]);
    assert_eq!(second.next_page_token, "");
}

#[tokio::test]
async fn a_page_token_that_was_not_handed_out_is_refused() {
    let app = spawn_app().await;
    let result = app
        .client
        .clone()
        .list_customers(ListCustomersRequest {
            page_size: 2,
            page_token: "page-2".to_owned(),
        })
        .await;
    assert_invalid(result, "page_token");
}
