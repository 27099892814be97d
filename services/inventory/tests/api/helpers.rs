use inventory::Service;
use plaza_proto::inventory::v1::{
    AddProductRequest, CreateStoreRequest, EnableParticipationRequest, Product, Store,
    inventory_service_client::InventoryServiceClient,
};
use plaza_testkit::{RunningService, TestEnvironment};
use tonic::transport::Channel;

pub struct TestApp {
    pub client: InventoryServiceClient<Channel>,
    service: RunningService,
}

/// Starts the service against a fresh environment and waits until it serves.
pub async fn spawn_app() -> TestApp {
    let environment = TestEnvironment::create().await.expect("test environment");
    let service = RunningService::start::<Service>(environment)
        .await
        .expect("service starts");
    TestApp {
        client: InventoryServiceClient::new(service.channel.clone()),
        service,
    }
}

impl TestApp {
    pub fn environment(&self) -> &TestEnvironment {
        &self.service.environment
    }

    /// A client to call with: `app.api().create_store(..)`.
    pub fn api(&self) -> InventoryServiceClient<Channel> {
        self.client.clone()
    }

    pub async fn create_store(&self, name: &str) -> Store {
        self.api()
            .create_store(CreateStoreRequest {
                name: name.to_owned(),
                location: format!("{name} street 1"),
            })
            .await
            .expect("store created")
            .into_inner()
    }

    pub async fn enable(&self, store: &Store) -> Store {
        self.api()
            .enable_participation(EnableParticipationRequest {
                id: store.id.clone(),
            })
            .await
            .expect("participation enabled")
            .into_inner()
    }

    pub async fn add_product(
        &self,
        store: &Store,
        name: &str,
        price_cents: i64,
        stock: i32,
    ) -> Product {
        self.api()
            .add_product(product_request(&store.id, name, price_cents, stock))
            .await
            .expect("product added")
            .into_inner()
    }
}

pub fn product_request(
    store_id: &str,
    name: &str,
    price_cents: i64,
    stock: i32,
) -> AddProductRequest {
    AddProductRequest {
        store_id: store_id.to_owned(),
        name: name.to_owned(),
        description: format!("A fine {name}"),
        price_cents,
        stock,
    }
}
