use std::time::Duration;

use plaza_events::{Envelope, Stream, customers::CustomerRegistered};
use plaza_testkit::eventually;
use sqlx::{Connection, PgConnection, PgPool};

use crate::helpers::{TestApp, spawn_app, spawn_app_in};

const DEADLINE: Duration = Duration::from_secs(10);

/// The number of messages in the service's stream, once the relay marked every row sent.
async fn published_count(app: &TestApp) -> u64 {
    let environment = app.environment();
    let pool = PgPool::connect(&environment.database.url("postgres"))
        .await
        .unwrap();
    eventually(DEADLINE, || {
        let pool = pool.clone();
        async move {
            let unsent: i64 =
                sqlx::query_scalar("SELECT count(*) FROM customers.outbox WHERE sent_at IS NULL")
                    .fetch_one(&pool)
                    .await
                    .ok()?;
            (unsent == 0).then_some(())
        }
    })
    .await
    .expect("every outbox row is sent");
    let stream_name = environment.nats.namespace.stream_name(Stream::CUSTOMERS);
    let mut stream = environment
        .nats
        .jetstream()
        .get_stream(stream_name)
        .await
        .unwrap();
    stream.info().await.unwrap().state.messages
}

#[tokio::test]
async fn a_registered_customer_is_published_once_with_its_envelope() {
    let app = spawn_app().await;
    let customer = app.register("Ana", "600000001").await.unwrap();

    assert_eq!(published_count(&app).await, 1);
    let subject = app
        .environment()
        .nats
        .namespace
        .subject("customers.customer.registered");
    let stream_name = app
        .environment()
        .nats
        .namespace
        .stream_name(Stream::CUSTOMERS);
    let message = app
        .environment()
        .nats
        .jetstream()
        .get_stream(stream_name)
        .await
        .unwrap()
        .get_last_raw_message_by_subject(&subject)
        .await
        .unwrap();
    let envelope: Envelope<CustomerRegistered> = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(envelope.specversion, "1.0");
    assert_eq!(envelope.event_type, "customers.customer.registered");
    assert_eq!(envelope.source, "plaza/customers");
    assert_eq!(envelope.subject, customer.id);
    assert_eq!(envelope.datacontenttype, "application/json");
    assert_eq!(envelope.data.customer_id.to_string(), customer.id);
    assert_eq!(envelope.data.phone, "600000001");
    assert_eq!(
        message
            .headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_owned()),
        Some(envelope.id.to_string())
    );
}

#[tokio::test]
async fn a_relay_restarted_between_publishing_and_marking_publishes_nothing_twice() {
    let app = spawn_app().await;
    app.register("Ana", "600000001").await.unwrap();
    assert_eq!(published_count(&app).await, 1);
    let environment = app.stop().await;

    // The state a crash after the PubAck but before the mark leaves behind: the event is in
    // the stream, and its outbox row still says unsent.
    let mut connection = PgConnection::connect(&environment.database.url("postgres"))
        .await
        .unwrap();
    let unmarked = sqlx::query("UPDATE customers.outbox SET sent_at = NULL")
        .execute(&mut connection)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(unmarked, 1);

    let restarted = spawn_app_in(environment).await;
    assert_eq!(published_count(&restarted).await, 1);
}
