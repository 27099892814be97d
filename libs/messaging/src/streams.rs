use std::time::Duration;

use async_nats::jetstream::{self, stream};
use plaza_events::{Namespace, Stream};

/// How long JetStream remembers a `Nats-Msg-Id` to drop a republished copy. Must outlast a
/// relay's restart between publishing a batch and marking it sent.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Connects to NATS; the connection retries in the background when the server is not up yet,
/// and reconnects by itself after it goes away.
pub async fn connect(url: &str, service: &str) -> anyhow::Result<async_nats::Client> {
    Ok(async_nats::ConnectOptions::new()
        .name(service)
        .retry_on_initial_connect()
        .connect(url)
        .await?)
}

/// Every Plaza stream: file storage, limits retention (the history stays for replay and
/// audit), a two-minute duplicate window.
pub(crate) fn stream_config(
    namespace: &Namespace,
    stream: Stream,
    replicas: usize,
) -> stream::Config {
    stream::Config {
        name: namespace.stream_name(stream),
        subjects: vec![namespace.stream_subjects(stream)],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: DUPLICATE_WINDOW,
        num_replicas: replicas,
        ..Default::default()
    }
}

/// Creates the stream a service publishes to, or updates it to the configuration above: the
/// publishing service owns its stream's configuration.
pub async fn declare_stream(
    jetstream: &jetstream::Context,
    namespace: &Namespace,
    stream: Stream,
    replicas: usize,
) -> anyhow::Result<()> {
    jetstream
        .create_or_update_stream(stream_config(namespace, stream, replicas))
        .await?;
    Ok(())
}
