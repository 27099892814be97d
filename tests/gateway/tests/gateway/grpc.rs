//! Native gRPC through the same port as REST.

use plaza_proto::inventory::v1::{
    CreateStoreRequest, GetStoreRequest, inventory_service_client::InventoryServiceClient,
};
use tonic::Code;

use crate::harness::spawn_gateway;

#[tokio::test]
async fn a_tonic_client_pointed_at_envoy_reaches_the_services() {
    let gateway = spawn_gateway().await;
    let mut inventory = InventoryServiceClient::connect(gateway.base.clone())
        .await
        .unwrap();
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
