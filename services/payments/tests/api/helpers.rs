use std::time::Duration;

use async_nats::jetstream::message::StreamMessage;
use payments::Service;
use plaza_events::Stream;
use plaza_events::{Envelope, Event};
use plaza_proto::payments::v1::{
    AuthorizePaymentRequest, Payment, payments_service_client::PaymentsServiceClient,
};
use plaza_testkit::{Authorized, RunningService, TestEnvironment, eventually};
use tonic::Status;
use uuid::Uuid;

pub struct TestApp {
    pub client: PaymentsServiceClient<Authorized>,
    service: RunningService,
}

/// Starts the service against a fresh environment and waits until it serves.
pub async fn spawn_app() -> TestApp {
    let environment = TestEnvironment::create().await.expect("test environment");
    let service = RunningService::start::<Service>(environment)
        .await
        .expect("service starts");
    TestApp {
        client: PaymentsServiceClient::new(service.as_admin()),
        service,
    }
}

impl TestApp {
    pub fn environment(&self) -> &TestEnvironment {
        &self.service.environment
    }

    pub fn api(&self) -> PaymentsServiceClient<Authorized> {
        self.client.clone()
    }

    pub async fn authorize(
        &self,
        customer_id: &str,
        amount_cents: i64,
        request_id: &str,
    ) -> Result<Payment, Status> {
        self.api()
            .authorize_payment(AuthorizePaymentRequest {
                customer_id: customer_id.to_owned(),
                amount_cents,
                request_id: request_id.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Waits until `count` events are in the PAYMENTS stream, and returns their types.
    pub async fn published_types(&self, count: u64) -> Vec<String> {
        let namespace = &self.environment().nats.namespace;
        let stream = self
            .environment()
            .nats
            .jetstream()
            .get_stream(namespace.stream_name(Stream::PAYMENTS))
            .await
            .expect("stream declared");
        eventually(Duration::from_secs(10), || {
            let mut stream = stream.clone();
            async move { (stream.info().await.ok()?.state.messages == count).then_some(()) }
        })
        .await
        .expect("events published");
        let mut types = Vec::new();
        for sequence in 1..=count {
            let message = stream.get_raw_message(sequence).await.expect("message");
            let envelope: serde_json::Value =
                serde_json::from_slice(&message.payload).expect("json");
            types.push(envelope["type"].as_str().unwrap_or_default().to_owned());
        }
        types
    }
}

/// The consumer payments answers the order saga with.
pub const ORDERS_CONSUMER: &str = "payments-orders";

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
        client: PaymentsServiceClient::new(service.as_admin()),
        service,
    }
}

impl TestApp {
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

    /// The envelopes of every event now in the PAYMENTS stream of type `event_type`.
    pub async fn published(&self, event_type: &str) -> Vec<serde_json::Value> {
        self.environment()
            .envelopes(Stream::PAYMENTS, event_type)
            .await
    }

    /// Waits until the PAYMENTS stream holds an event of `event_type` about `order_id`.
    pub async fn wait_for_event(&self, event_type: &str, order_id: Uuid) -> serde_json::Value {
        self.environment()
            .wait_for_order_event(Stream::PAYMENTS, event_type, order_id)
            .await
    }

    pub async fn superuser(&self) -> sqlx::PgPool {
        self.environment().superuser().await
    }

    /// Waits until the saga consumer has handled (acknowledged or dead-lettered) every
    /// message now in the ORDERING stream, and the outbox relay has published every event
    /// the handlers wrote: from then on, the PAYMENTS stream shows all they did.
    pub async fn wait_until_orders_handled(&self) {
        let environment = self.environment();
        environment
            .wait_until_consumed(Stream::ORDERING, ORDERS_CONSUMER)
            .await;
        environment.wait_until_relayed("payments").await;
    }
}
