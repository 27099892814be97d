use std::time::Duration;

use async_nats::jetstream::{
    consumer::{Consumer, pull},
    message::StreamMessage,
};
use payments::Service;
use plaza_events::Stream;
use plaza_events::{Envelope, Event};
use plaza_proto::payments::v1::{
    AuthorizePaymentRequest, Payment, payments_service_client::PaymentsServiceClient,
};
use plaza_testkit::{RunningService, TestEnvironment, eventually};
use sqlx::{PgPool, postgres::PgPoolOptions};
use tonic::{Status, transport::Channel};
use uuid::Uuid;

pub struct TestApp {
    pub client: PaymentsServiceClient<Channel>,
    service: RunningService,
}

/// Starts the service against a fresh environment and waits until it serves.
pub async fn spawn_app() -> TestApp {
    let environment = TestEnvironment::create().await.expect("test environment");
    let service = RunningService::start::<Service>(environment)
        .await
        .expect("service starts");
    TestApp {
        client: PaymentsServiceClient::new(service.channel.clone()),
        service,
    }
}

impl TestApp {
    pub fn environment(&self) -> &TestEnvironment {
        &self.service.environment
    }

    pub fn api(&self) -> PaymentsServiceClient<Channel> {
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
        client: PaymentsServiceClient::new(service.channel.clone()),
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

    /// Publishes `envelope` with `Nats-Msg-Id` = `message_id`: a new message id makes
    /// JetStream keep a second copy of the same event, as a redelivery would.
    pub async fn publish_envelope<E: Event>(&self, envelope: &Envelope<E>, message_id: &str) {
        let payload = serde_json::to_vec(envelope).expect("envelope serializes");
        self.publish_raw(&envelope.event_type, message_id, payload)
            .await;
    }

    /// Publishes any bytes on `event_type`'s subject and waits for the PubAck.
    pub async fn publish_raw(&self, event_type: &str, message_id: &str, payload: Vec<u8>) {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", message_id);
        headers.insert("Content-Type", "application/cloudevents+json");
        self.environment()
            .nats
            .jetstream()
            .publish_with_headers(
                self.environment().nats.namespace.subject(event_type),
                headers,
                payload.into(),
            )
            .await
            .expect("published")
            .await
            .expect("acknowledged by JetStream");
    }

    /// Every message now in `stream`, in order.
    pub async fn messages(&self, stream: Stream) -> Vec<StreamMessage> {
        let name = self.environment().nats.namespace.stream_name(stream);
        let stream = self
            .environment()
            .nats
            .jetstream()
            .get_stream(&name)
            .await
            .expect("stream declared");
        let last = stream
            .get_info()
            .await
            .expect("stream info")
            .state
            .last_sequence;
        let mut messages = Vec::new();
        for sequence in 1..=last {
            messages.push(stream.get_raw_message(sequence).await.expect("message"));
        }
        messages
    }

    /// The envelopes of every event now in the PAYMENTS stream of type `event_type`.
    pub async fn published(&self, event_type: &str) -> Vec<serde_json::Value> {
        self.messages(Stream::PAYMENTS)
            .await
            .iter()
            .map(|message| serde_json::from_slice(&message.payload).expect("json"))
            .filter(|envelope: &serde_json::Value| envelope["type"] == event_type)
            .collect()
    }

    /// Waits until the PAYMENTS stream holds an event of `event_type` about `order_id`, and
    /// returns its envelope.
    pub async fn wait_for_event(&self, event_type: &str, order_id: Uuid) -> serde_json::Value {
        eventually(Duration::from_secs(15), || async move {
            self.published(event_type)
                .await
                .into_iter()
                .find(|envelope| envelope["data"]["orderId"] == order_id.to_string())
        })
        .await
        .unwrap_or_else(|_| panic!("{event_type} published for order {order_id}"))
    }

    /// The test database as the superuser, to look at the service's tables.
    pub async fn superuser(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(2)
            .connect(&self.environment().database.url("postgres"))
            .await
            .expect("superuser connects")
    }

    /// Waits until the saga consumer has handled (acknowledged or dead-lettered) every
    /// message now in the ORDERING stream, and the outbox relay has published every event
    /// the handlers wrote: from then on, the PAYMENTS stream shows all they did.
    pub async fn wait_until_orders_handled(&self) {
        let namespace = &self.environment().nats.namespace;
        let ordering = &self
            .environment()
            .nats
            .jetstream()
            .get_stream(namespace.stream_name(Stream::ORDERING))
            .await
            .expect("ORDERING declared");
        let last = ordering.get_info().await.unwrap().state.last_sequence;
        eventually(Duration::from_secs(15), || async move {
            let consumer: Consumer<pull::Config> =
                ordering.get_consumer(ORDERS_CONSUMER).await.ok()?;
            let info = consumer.get_info().await.ok()?;
            (info.num_pending == 0
                && info.num_ack_pending == 0
                && info.delivered.stream_sequence >= last)
                .then_some(())
        })
        .await
        .expect("every order event handled");
        let database = &self.superuser().await;
        eventually(Duration::from_secs(15), || async move {
            let unsent: i64 =
                sqlx::query_scalar("SELECT count(*) FROM payments.outbox WHERE sent_at IS NULL")
                    .fetch_one(database)
                    .await
                    .ok()?;
            (unsent == 0).then_some(())
        })
        .await
        .expect("every event relayed");
    }
}
