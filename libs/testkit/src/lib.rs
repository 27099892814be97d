//! Test support for Plaza's black-box tests, which run against the real PostgreSQL and the
//! real NATS JetStream of the machine:
//!
//! - [`TestDatabase`]: a fresh database per test, with the roles and schemas of
//!   `deploy/postgres/init.sql`;
//! - [`TestNats`]: a unique stream and subject prefix per test;
//! - [`TestKeys`]: a signing key per test, and tokens for admins, customers and services;
//! - [`RunningService`]: a service started in-process as `main` would start it;
//! - [`eventually`] and [`wait_until_serving`]: polling with a deadline instead of sleeping;
//! - [`assert_invalid_argument`]: the error shape every service promises for bad input;
//! - [`record_traces`]: W3C trace context in the test process, to follow a trace across
//!   services.
//!
//! Databases and streams of earlier runs older than an hour are removed as new ones are made,
//! so crashed tests do not pile up; their names carry a UUID v7, which carries the time.

// Test support: a setup step that fails is the test failing, with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod auth;

pub use auth::{Authorized, TestKeys};

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use async_nats::jetstream::{
    consumer::{Consumer, pull},
    message::StreamMessage,
};
use futures::TryStreamExt;
use plaza_events::{Envelope, Event, Namespace, Stream};
use plaza_service::{Application, Service, load_settings_with, settings::ServiceSettings};
use sqlx::{Connection, PgConnection};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const INIT_SQL: &str = include_str!("../../../deploy/postgres/init.sql");
const STALE_AFTER: Duration = Duration::from_secs(3600);

fn postgres_base() -> String {
    std::env::var("PLAZA_TEST_POSTGRES").unwrap_or_else(|_| "postgres://127.0.0.1:5432".into())
}

fn nats_url() -> String {
    std::env::var("PLAZA_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// True when the UUID v7 in a test resource's name is older than [`STALE_AFTER`].
fn is_stale(id_hex: &str) -> bool {
    let Ok(id) = Uuid::try_parse(id_hex) else {
        return false;
    };
    let Some(created) = id.get_timestamp().map(|t| t.to_unix().0) else {
        return false;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    now.saturating_sub(created) > STALE_AFTER.as_secs()
}

/// A database of its own for one test, prepared like production's by `init.sql`.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
}

impl TestDatabase {
    pub async fn create() -> anyhow::Result<Self> {
        let name = format!("plaza_test_{}", Uuid::now_v7().simple());
        let mut admin =
            PgConnection::connect(&format!("{}/postgres?user=postgres", postgres_base())).await?;
        let existing: Vec<String> =
            sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'plaza_test_%'")
                .fetch_all(&mut admin)
                .await?;
        for stale in existing
            .iter()
            .filter(|n| is_stale(n.trim_start_matches("plaza_test_")))
        {
            // Another test may be dropping it at the same time; either way it goes.
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{stale}\" WITH (FORCE)"))
                .execute(&mut admin)
                .await;
        }
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await?;
        let database = Self { name };
        let mut connection = PgConnection::connect(&database.url("postgres")).await?;
        sqlx::raw_sql(INIT_SQL).execute(&mut connection).await?;
        Ok(database)
    }

    /// The URL that logs in to this database as `role`.
    pub fn url(&self, role: &str) -> String {
        format!("{}/{}?user={role}", postgres_base(), self.name)
    }
}

/// A unique prefix for streams and subjects, so that tests sharing one NATS server never see
/// each other's messages.
#[derive(Debug)]
pub struct TestNats {
    pub namespace: Namespace,
    pub client: async_nats::Client,
}

impl TestNats {
    pub async fn create() -> anyhow::Result<Self> {
        let client = async_nats::connect(nats_url()).await?;
        let jetstream = async_nats::jetstream::new(client.clone());
        let names: Vec<String> = jetstream.stream_names().try_collect().await?;
        for stale in names.iter().filter(|name| {
            name.strip_prefix('T')
                .and_then(|rest| rest.split('_').next())
                .is_some_and(is_stale)
        }) {
            let _ = jetstream.delete_stream(stale).await;
        }
        Ok(Self {
            namespace: Namespace::new(format!("t{}", Uuid::now_v7().simple())),
            client,
        })
    }

    pub fn url(&self) -> String {
        nats_url()
    }

    pub fn jetstream(&self) -> async_nats::jetstream::Context {
        async_nats::jetstream::new(self.client.clone())
    }
}

/// A fresh database and a fresh JetStream namespace: everything one test's services share.
#[derive(Debug)]
pub struct TestEnvironment {
    pub database: TestDatabase,
    pub nats: TestNats,
    pub keys: TestKeys,
}

impl TestEnvironment {
    pub async fn create() -> anyhow::Result<Self> {
        Ok(Self {
            database: TestDatabase::create().await?,
            nats: TestNats::create().await?,
            keys: TestKeys::create()?,
        })
    }

    /// Points a service's settings at this environment, logging in as `role`, on a free port.
    pub fn configure(&self, role: &str, settings: &mut ServiceSettings) {
        settings.grpc.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        settings.database.url = self.database.url(role);
        settings.nats.url = self.nats.url();
        settings.nats.prefix = self.nats.namespace.prefix().to_owned();
    }
}

/// The events of a test: publishing as a service's outbox relay does, reading streams back,
/// and waiting (with a deadline) until consumers and relays have done their work.
impl TestEnvironment {
    /// Publishes `envelope` with `Nats-Msg-Id` = `message_id`, as a relay does; a new
    /// message id makes JetStream keep a second copy of the same event, as a redelivery would.
    pub async fn publish<E: Event>(&self, envelope: &Envelope<E>, message_id: &str) {
        let payload = serde_json::to_vec(envelope).expect("an envelope serializes");
        self.publish_raw(&envelope.event_type, message_id, payload)
            .await;
    }

    /// Publishes any bytes on `event_type`'s subject and waits for the PubAck.
    pub async fn publish_raw(&self, event_type: &str, message_id: &str, payload: Vec<u8>) {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", message_id);
        headers.insert("Content-Type", "application/cloudevents+json");
        self.nats
            .jetstream()
            .publish_with_headers(
                self.nats.namespace.subject(event_type),
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
        let stream = self
            .nats
            .jetstream()
            .get_stream(self.nats.namespace.stream_name(stream))
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

    /// The envelopes of the events of `event_type` now in `stream`.
    pub async fn envelopes(&self, stream: Stream, event_type: &str) -> Vec<serde_json::Value> {
        self.messages(stream)
            .await
            .iter()
            .filter_map(|message| serde_json::from_slice(&message.payload).ok())
            .filter(|envelope: &serde_json::Value| envelope["type"] == event_type)
            .collect()
    }

    /// Waits until `stream` holds an event of `event_type` about `order_id`, and returns
    /// its envelope.
    pub async fn wait_for_order_event(
        &self,
        stream: Stream,
        event_type: &str,
        order_id: Uuid,
    ) -> serde_json::Value {
        eventually(EVENT_DEADLINE, || async move {
            self.envelopes(stream, event_type)
                .await
                .into_iter()
                .find(|envelope| envelope["data"]["orderId"] == order_id.to_string())
        })
        .await
        .unwrap_or_else(|_| panic!("no {event_type} published for order {order_id}"))
    }

    /// Waits until the durable consumer `durable` has been handed every message now in
    /// `stream` and has acknowledged (or dead-lettered) each.
    pub async fn wait_until_consumed(&self, stream: Stream, durable: &str) {
        let stream = self
            .nats
            .jetstream()
            .get_stream(self.nats.namespace.stream_name(stream))
            .await
            .expect("stream declared");
        let last = stream
            .get_info()
            .await
            .expect("stream info")
            .state
            .last_sequence;
        eventually(EVENT_DEADLINE, || async {
            let consumer: Consumer<pull::Config> = stream.get_consumer(durable).await.ok()?;
            let info = consumer.get_info().await.ok()?;
            (info.num_pending == 0
                && info.num_ack_pending == 0
                && info.ack_floor.stream_sequence >= last)
                .then_some(())
        })
        .await
        .unwrap_or_else(|_| panic!("{durable} did not consume its stream"));
    }

    /// Waits until the outbox of `schema` has no unsent row: everything its service wrote is
    /// in its stream.
    pub async fn wait_until_relayed(&self, schema: &str) {
        let database = self.superuser().await;
        let unsent = format!("SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL");
        eventually(EVENT_DEADLINE, || async {
            let count: i64 = sqlx::query_scalar(&unsent)
                .fetch_one(&database)
                .await
                .ok()?;
            (count == 0).then_some(())
        })
        .await
        .unwrap_or_else(|_| panic!("the {schema} outbox was not relayed"));
    }

    /// The test database as the superuser, to look at any service's tables.
    pub async fn superuser(&self) -> sqlx::PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&self.database.url("postgres"))
            .await
            .expect("superuser connects")
    }
}

/// How long a test waits for an event to be published or consumed.
const EVENT_DEADLINE: Duration = Duration::from_secs(15);

/// A service running in the test's process, as `main` would run it, against a
/// [`TestEnvironment`].
#[derive(Debug)]
pub struct RunningService {
    /// A channel to the service, opened once it reports SERVING.
    pub channel: tonic::transport::Channel,
    pub port: u16,
    /// Shared by every service of the test.
    pub environment: Arc<TestEnvironment>,
    shutdown: CancellationToken,
    running: JoinHandle<anyhow::Result<()>>,
}

impl RunningService {
    /// Starts service `S` with its default settings pointed at `environment`, logging in as
    /// its own role (`plaza_<name>`), and waits until it serves.
    pub async fn start<S: Service>(
        environment: impl Into<Arc<TestEnvironment>>,
    ) -> anyhow::Result<Self> {
        Self::start_with::<S>(environment, |_| {}).await
    }

    /// Like [`RunningService::start`], with the service's own settings changed by
    /// `configure` first (for example, where ordering finds the other services).
    pub async fn start_with<S: Service>(
        environment: impl Into<Arc<TestEnvironment>>,
        configure: impl FnOnce(&mut S::Settings),
    ) -> anyhow::Result<Self> {
        let environment = environment.into();
        let keys = environment.keys.settings();
        let overrides: Vec<(&str, &str)> = keys
            .iter()
            .map(|(key, value)| (*key, value.as_str()))
            .collect();
        let (mut common, mut settings) = load_settings_with::<S>(&overrides)?;
        environment.configure(&format!("plaza_{}", S::NAME), &mut common);
        configure(&mut settings);
        let application = Application::<S>::build(&common, settings).await?;
        let port = application.port();
        let shutdown = CancellationToken::new();
        let running = tokio::spawn(application.run_until_stopped(shutdown.clone()));
        Ok(Self {
            channel: wait_until_serving(port).await?,
            port,
            environment,
            shutdown,
            running,
        })
    }

    /// The service's channel, with an admin's token on every call.
    pub fn as_admin(&self) -> Authorized {
        TestKeys::authorized(self.channel.clone(), &self.environment.keys.admin_token())
    }

    /// The service's channel, with customer `customer`'s token on every call.
    pub fn as_customer(&self, customer: Uuid) -> Authorized {
        TestKeys::authorized(
            self.channel.clone(),
            &self.environment.keys.customer_token(customer),
        )
    }

    /// Stops the service as SIGTERM would, checks that it stopped cleanly, and hands back its
    /// environment for a restart.
    pub async fn stop(self) -> anyhow::Result<Arc<TestEnvironment>> {
        self.shutdown.cancel();
        self.running.await??;
        Ok(self.environment)
    }
}

/// Polls `check` until it returns `Some`, every 20 ms, for at most `deadline`.
pub async fn eventually<T, F, Fut>(deadline: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() > give_up {
            anyhow::bail!("condition not met within {deadline:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the gRPC server at `port` reports SERVING on its health service.
pub async fn wait_until_serving(port: u16) -> anyhow::Result<tonic::transport::Channel> {
    let channel =
        tonic::transport::Endpoint::try_from(format!("http://127.0.0.1:{port}"))?.connect_lazy();
    let health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    eventually(Duration::from_secs(20), || {
        let mut health = health.clone();
        async move {
            let response = health
                .check(tonic_health::pb::HealthCheckRequest::default())
                .await
                .ok()?;
            (response.into_inner().status
                == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
                .then_some(())
        }
    })
    .await?;
    Ok(channel)
}

/// Asserts an INVALID_ARGUMENT whose message starts with `field:` and whose `BadRequest`
/// details name `field`.
pub fn assert_invalid_argument<T: std::fmt::Debug>(result: Result<T, tonic::Status>, field: &str) {
    use tonic_types::StatusExt;

    let status = match result {
        Ok(value) => panic!("expected INVALID_ARGUMENT naming {field}, got {value:?}"),
        Err(status) => status,
    };
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with(&format!("{field}:")),
        "{status:?}"
    );
    let violations = status
        .get_details_bad_request()
        .map(|details| details.field_violations)
        .unwrap_or_default();
    assert_eq!(
        violations.first().map(|v| v.field.as_str()),
        Some(field),
        "{status:?}"
    );
}

/// Makes every service in this test process create real span contexts and propagate them as
/// W3C `traceparent` (over gRPC metadata, NATS headers and envelopes), as a service does
/// when it exports traces. Nothing is exported. Call once per test process.
pub fn record_traces() {
    use opentelemetry::trace::TracerProvider;
    use tracing_subscriber::layer::SubscriberExt;

    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("plaza-tests")));
    let _ = tracing::subscriber::set_global_default(subscriber);
}
