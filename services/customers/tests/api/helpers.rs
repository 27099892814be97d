use std::sync::Arc;

use customers::Service;
use plaza_proto::customers::v1::{
    Customer, RegisterCustomerRequest, Session, customers_service_client::CustomersServiceClient,
};
use plaza_testkit::{Authorized, RunningService, TestEnvironment};
use tonic::{Status, transport::Channel};

pub struct TestApp {
    pub client: CustomersServiceClient<Authorized>,
    service: RunningService,
}

/// Starts the service against a fresh environment and waits until it serves.
pub async fn spawn_app() -> TestApp {
    spawn_app_in(Arc::new(
        TestEnvironment::create().await.expect("test environment"),
    ))
    .await
}

/// Starts the service against an existing environment (a restart).
pub async fn spawn_app_in(environment: Arc<TestEnvironment>) -> TestApp {
    let service = RunningService::start::<Service>(environment)
        .await
        .expect("service starts");
    TestApp {
        client: CustomersServiceClient::new(service.as_admin()),
        service,
    }
}

impl TestApp {
    pub fn channel(&self) -> Channel {
        self.service.channel.clone()
    }

    pub fn environment(&self) -> &TestEnvironment {
        &self.service.environment
    }

    /// Registers a customer, who is signed in by it.
    pub async fn register_session(&self, name: &str, phone: &str) -> Result<Session, Status> {
        self.client
            .clone()
            .register_customer(RegisterCustomerRequest {
                name: name.to_owned(),
                phone: phone.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn register(&self, name: &str, phone: &str) -> Result<Customer, Status> {
        let session = self.register_session(name, phone).await?;
        Ok(session.customer.expect("a session names its customer"))
    }

    pub async fn stop(self) -> Arc<TestEnvironment> {
        self.service.stop().await.expect("clean stop")
    }
}
