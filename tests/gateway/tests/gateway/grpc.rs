//! Native gRPC through the same port as REST.

use plaza_proto::inventory::v1::{
    CreateStoreRequest, GetStoreRequest, inventory_service_client::InventoryServiceClient,
};
use plaza_testkit::TestKeys;
use tonic::{Code, transport::Channel};
use uuid::Uuid;

use crate::harness::{Gateway, spawn_gateway};

async fn channel(gateway: &Gateway) -> Channel {
    Channel::from_shared(gateway.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_tonic_client_pointed_at_envoy_reaches_the_services() {
    let gateway = spawn_gateway().await;
    let mut inventory = InventoryServiceClient::new(TestKeys::authorized(
        channel(&gateway).await,
        &gateway.admin_token,
    ));
    let store = inventory
        .create_store(CreateStoreRequest {
            name: "Corner Shop".to_owned(),
            location: "Main St 1".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    let read = inventory
        .get_store(GetStoreRequest {
            id: store.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, store);
    // And the REST side sees the same store.
    let rest = gateway
        .get(&format!("/api/v1/stores/{}", store.id))
        .await
        .ok();
    assert_eq!(rest["name"], "Corner Shop");
    let status = inventory
        .get_store(GetStoreRequest { id: "x".to_owned() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn grpc_through_envoy_needs_a_token_and_the_role() {
    let gateway = spawn_gateway().await;
    let request = || CreateStoreRequest {
        name: "Corner Shop".to_owned(),
        location: "Main St 1".to_owned(),
    };
    let anonymous = InventoryServiceClient::new(channel(&gateway).await)
        .create_store(request())
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated, "{anonymous:?}");
    let customer = gateway.environment.keys.customer_token(Uuid::now_v7());
    let refused =
        InventoryServiceClient::new(TestKeys::authorized(channel(&gateway).await, &customer))
            .create_store(request())
            .await
            .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
}
