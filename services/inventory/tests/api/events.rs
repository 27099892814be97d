use std::time::Duration;

use futures::StreamExt;
use plaza_events::Stream;
use plaza_proto::inventory::v1::DeleteStoreRequest;
use plaza_testkit::eventually;

use crate::helpers::spawn_app;

#[tokio::test]
async fn every_change_is_published_once_in_order() {
    let app = spawn_app().await;
    let store = app.create_store("Corner Shop").await;
    app.enable(&store).await;
    app.enable(&store).await; // already participating: no event
    let product = app.add_product(&store, "Tea", 350, 10).await;
    app.api()
        .delete_store(DeleteStoreRequest {
            id: store.id.clone(),
        })
        .await
        .unwrap();

    let namespace = &app.environment().nats.namespace;
    let jetstream = app.environment().nats.jetstream();
    let stream = jetstream
        .get_stream(namespace.stream_name(Stream::INVENTORY))
        .await
        .unwrap();
    eventually(Duration::from_secs(10), || {
        let mut stream = stream.clone();
        async move { (stream.info().await.ok()?.state.messages == 4).then_some(()) }
    })
    .await
    .expect("four events published");

    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config::default())
        .await
        .unwrap();
    let messages: Vec<serde_json::Value> = consumer
        .fetch()
        .max_messages(10)
        .expires(Duration::from_secs(1))
        .messages()
        .await
        .unwrap()
        .map(|message| serde_json::from_slice(&message.unwrap().payload).unwrap())
        .collect()
        .await;
    let types: Vec<&str> = messages
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![
            "inventory.store.created",
            "inventory.store.participation_enabled",
            "inventory.product.added",
            "inventory.store.deleted"
        ]
    );
    assert_eq!(messages[2]["data"]["priceCents"], 350);
    assert_eq!(messages[3]["data"]["productIds"][0], product.id.as_str());
}
