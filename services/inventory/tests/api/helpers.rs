use std::sync::Arc;

use async_nats::jetstream::message::StreamMessage;
use inventory::Service;
use plaza_events::{Envelope, Event, Stream};
use plaza_proto::inventory::v1::GetProductRequest;
use plaza_proto::inventory::v1::{
    AddProductRequest, CreateStoreRequest, EnableParticipationRequest, Product, Store,
    inventory_service_client::InventoryServiceClient,
};
use plaza_testkit::{Authorized, RunningService, TestEnvironment};
use uuid::Uuid;

pub struct TestApp {
    pub client: InventoryServiceClient<Authorized>,
    service: RunningService,
}

/// Starts the service against a fresh environment and waits until it serves.
pub async fn spawn_app() -> TestApp {
    let environment = TestEnvironment::create().await.expect("test environment");
    let service = RunningService::start::<Service>(environment)
        .await
        .expect("service starts");
    TestApp {
        client: InventoryServiceClient::new(service.as_admin()),
        service,
    }
}

impl TestApp {
    pub fn environment(&self) -> &TestEnvironment {
        &self.service.environment
    }

    /// A client to call with: `app.api().create_store(..)`.
    pub fn api(&self) -> InventoryServiceClient<Authorized> {
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

/// The consumer inventory answers the order saga with.
pub const ORDERS_CONSUMER: &str = "inventory-orders";

/// Starts the service with the ORDERING stream already declared, as the ordering service
/// would have, so that the saga consumer starts consuming at once.
pub async fn spawn_saga_app() -> TestApp {
    let environment = TestEnvironment::create().await.expect("test environment");
    plaza_messaging::declare_stream(
        &environment.nats.jetstream(),
        &environment.nats.namespace,
        Stream::ORDERING,
        1,
    )
    .await
    .expect("ORDERING stream declared");
    let service = RunningService::start::<Service>(environment)
        .await
        .expect("service starts");
    TestApp {
        client: InventoryServiceClient::new(service.as_admin()),
        service,
    }
}

impl TestApp {
    /// Stops the service as SIGTERM would; [`TestApp::start_again`] starts it again.
    pub async fn stop(self) -> Arc<TestEnvironment> {
        self.service.stop().await.expect("service stops cleanly")
    }

    pub async fn start_again(environment: Arc<TestEnvironment>) -> TestApp {
        let service = RunningService::start::<Service>(environment)
            .await
            .expect("service starts again");
        TestApp {
            client: InventoryServiceClient::new(service.as_admin()),
            service,
        }
    }

    pub async fn get_product(&self, id: &str) -> Product {
        self.api()
            .get_product(GetProductRequest { id: id.to_owned() })
            .await
            .expect("product found")
            .into_inner()
    }

    /// Publishes an order event as the ordering service's outbox relay would, and returns it.
    pub async fn publish_order_event<E: Event>(&self, order_id: Uuid, data: E) -> Envelope<E> {
        let envelope = Envelope::new(order_id, data).correlated(order_id);
        self.publish_envelope(&envelope, &envelope.id.to_string())
            .await;
        envelope
    }

    /// Publishes `envelope` with `Nats-Msg-Id` = `message_id` (see [`TestEnvironment::publish`]).
    pub async fn publish_envelope<E: Event>(&self, envelope: &Envelope<E>, message_id: &str) {
        self.environment().publish(envelope, message_id).await;
    }

    pub async fn publish_raw(&self, event_type: &str, message_id: &str, payload: Vec<u8>) {
        self.environment()
            .publish_raw(event_type, message_id, payload)
            .await;
    }

    pub async fn messages(&self, stream: Stream) -> Vec<StreamMessage> {
        self.environment().messages(stream).await
    }

    /// The envelopes of every event now in the INVENTORY stream of type `event_type`.
    pub async fn published(&self, event_type: &str) -> Vec<serde_json::Value> {
        self.environment()
            .envelopes(Stream::INVENTORY, event_type)
            .await
    }

    /// Waits until the INVENTORY stream holds an event of `event_type` about `order_id`.
    pub async fn wait_for_event(&self, event_type: &str, order_id: Uuid) -> serde_json::Value {
        self.environment()
            .wait_for_order_event(Stream::INVENTORY, event_type, order_id)
            .await
    }

    pub async fn superuser(&self) -> sqlx::PgPool {
        self.environment().superuser().await
    }

    /// Waits until the saga consumer has handled (acknowledged or dead-lettered) every
    /// message now in the ORDERING stream, and the outbox relay has published every event
    /// the handlers wrote: from then on, the INVENTORY stream shows all they did.
    pub async fn wait_until_orders_handled(&self) {
        let environment = self.environment();
        environment
            .wait_until_consumed(Stream::ORDERING, ORDERS_CONSUMER)
            .await;
        environment.wait_until_relayed("inventory").await;
    }
}
