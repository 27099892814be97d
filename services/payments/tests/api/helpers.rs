use std::time::Duration;

use payments::Service;
use plaza_events::Stream;
use plaza_proto::payments::v1::{
    AuthorizePaymentRequest, Payment, payments_service_client::PaymentsServiceClient,
};
use plaza_testkit::{RunningService, TestEnvironment, eventually};
use tonic::{Status, transport::Channel};

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
