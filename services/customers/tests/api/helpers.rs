use customers::{Application, Settings};
use plaza_proto::customers::v1::{
    Customer, RegisterCustomerRequest, customers_service_client::CustomersServiceClient,
};
use plaza_testkit::{TestEnvironment, wait_until_serving};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Status, transport::Channel};
use tonic_types::StatusExt;

pub struct TestApp {
    pub client: CustomersServiceClient<Channel>,
    pub environment: TestEnvironment,
    shutdown: CancellationToken,
    running: JoinHandle<anyhow::Result<()>>,
}

/// Starts the service against a fresh environment and waits until it serves.
pub async fn spawn_app() -> TestApp {
    let environment = TestEnvironment::create().await.expect("test environment");
    spawn_app_in(environment).await
}

/// Starts the service against an existing environment (a restart).
pub async fn spawn_app_in(environment: TestEnvironment) -> TestApp {
    let mut settings = Settings::load().expect("settings");
    environment.configure(
        "plaza_customers",
        &mut settings.grpc,
        &mut settings.database,
        &mut settings.nats,
    );
    let application = Application::build(&settings).await.expect("build");
    let port = application.port();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(application.run_until_stopped(shutdown.clone()));
    let channel = wait_until_serving(port).await.expect("serving");
    TestApp {
        client: CustomersServiceClient::new(channel),
        environment,
        shutdown,
        running,
    }
}

impl TestApp {
    pub async fn register(&self, name: &str, phone: &str) -> Result<Customer, Status> {
        self.client
            .clone()
            .register_customer(RegisterCustomerRequest {
                name: name.to_owned(),
                phone: phone.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Stops the service as SIGTERM would, and hands back its environment.
    pub async fn stop(self) -> TestEnvironment {
        self.shutdown.cancel();
        self.running.await.expect("join").expect("clean stop");
        self.environment
    }
}

/// Asserts an INVALID_ARGUMENT that names `field` in its message and its details.
pub fn assert_invalid(result: Result<impl std::fmt::Debug, Status>, field: &str) {
    let status = result.expect_err("should be refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with(&format!("{field}:")),
        "{status:?}"
    );
    let violations = status
        .get_details_bad_request()
        .expect("details")
        .field_violations;
    assert_eq!(violations[0].field, field);
}
