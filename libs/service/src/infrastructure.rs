//! What every service connects to and runs beside its gRPC API: the listener, the Postgres
//! pool, NATS JetStream, and the outbox relay, with readiness (migrations applied, stream
//! declared) gating health.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream;
use futures::future::join_all;
use plaza_auth::{AccessTable, Guarded, Verifier};
use plaza_events::{Namespace, Stream};
use plaza_messaging::{EventConsumer, Handler, Outbox, OutboxRelay, Subscription};
use sqlx::{PgPool, migrate::Migrator};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    application::{Components, Worker},
    database, grpc,
    settings::ServiceSettings,
};

const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// A service's connections, made before it serves. Nothing here waits for Postgres or NATS:
/// the pool connects lazily and NATS reconnects in the background, so a service starts (and
/// reports NOT_SERVING) while its dependencies come up.
#[derive(Debug)]
pub struct Infrastructure {
    service: &'static str,
    listener: TcpListener,
    pub pool: PgPool,
    pub jetstream: jetstream::Context,
    pub namespace: Namespace,
    pub outbox: Outbox,
    migrate: bool,
    stream_replicas: usize,
    verifier: Arc<Verifier>,
}

impl Infrastructure {
    pub async fn connect(
        service: &'static str,
        settings: &ServiceSettings,
    ) -> anyhow::Result<Self> {
        let verifier = Arc::new(Verifier::load(&settings.auth.jwks_file)?);
        let listener = TcpListener::bind(settings.grpc.listen).await?;
        let client = plaza_messaging::connect(&settings.nats.url, service).await?;
        Ok(Self {
            service,
            listener,
            pool: database::pool(&settings.database)?,
            jetstream: jetstream::new(client),
            namespace: Namespace::new(&settings.nats.prefix),
            outbox: Outbox::default(),
            migrate: settings.database.migrate,
            stream_replicas: settings.nats.stream_replicas,
            verifier,
        })
    }

    /// The port the gRPC server listens on (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map_or(0, |address| address.port())
    }

    /// `api` behind its access table, checked with the keys of the configured JWKS.
    pub fn guard<S>(&self, api: S, access: AccessTable) -> Guarded<S> {
        Guarded::new(api, self.verifier.clone(), access)
    }

    /// A worker that consumes `subscription` with `handler` (see [`EventConsumer`]).
    pub fn consumer<H: Handler>(&self, subscription: Subscription, handler: H) -> Worker {
        let consumer = EventConsumer::new(
            self.pool.clone(),
            self.jetstream.clone(),
            self.namespace.clone(),
            self.outbox.clone(),
            subscription,
            handler,
            self.stream_replicas,
        );
        Box::new(move |shutdown| Box::pin(consumer.run(shutdown)))
    }

    /// Serves the API, relays the outbox and runs the workers until `shutdown`. Before
    /// reporting SERVING it applies `migrations` and declares `stream`, retrying while
    /// Postgres or NATS are down; the relay and the workers start then.
    pub async fn run(
        self,
        components: Components,
        migrations: &'static Migrator,
        stream: Stream,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let readiness = async {
            if self.migrate {
                let migrator = plaza_messaging::migrator(migrations);
                retry("migrations", || migrator.run(&self.pool)).await;
            }
            retry("stream declaration", || {
                plaza_messaging::declare_stream(
                    &self.jetstream,
                    &self.namespace,
                    stream,
                    self.stream_replicas,
                )
            })
            .await;
            let _ = ready_tx.send(());
            Ok(())
        };
        let relay = OutboxRelay::new(
            self.pool.clone(),
            self.jetstream.clone(),
            self.namespace.clone(),
            self.outbox.clone(),
        );
        let workers = components.workers;
        let background = {
            let shutdown = shutdown.clone();
            async move {
                // The relay and the workers start once the tables exist.
                if ready_rx.await.is_ok() {
                    let workers = workers.into_iter().map(|worker| worker(shutdown.clone()));
                    tokio::join!(relay.run(shutdown.clone()), join_all(workers));
                }
                Ok(())
            }
        };
        tracing::info!(service = self.service, port = self.port(), "starting");
        tokio::try_join!(
            grpc::serve(self.listener, components.api, readiness, shutdown.clone()),
            background
        )?;
        self.pool.close().await;
        tracing::info!(service = self.service, "stopped");
        Ok(())
    }

    /// Applies the migrations once and returns: the `migrate` command, for a deployment that
    /// migrates in a job before the service starts.
    pub async fn migrate(&self, migrations: &'static Migrator) -> anyhow::Result<()> {
        plaza_messaging::migrator(migrations)
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

/// Retries `attempt` with capped exponential backoff until it succeeds.
async fn retry<T, E, F, Fut>(what: &str, mut attempt: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delay = Duration::from_millis(100);
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(error) => {
                tracing::warn!(%error, retry_in = ?delay, "{what} failed");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RETRY_DELAY);
            }
        }
    }
}
