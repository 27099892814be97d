//! What ordering cannot handle on the subjects it consumes (the answers of payments and of
//! inventory) goes at once to the dead-letter stream, under the name of the durable consumer
//! that read it, and that consumer goes on with the saga.

use plaza_events::{Envelope, Event, inventory::StockReleased, payments::PaymentVoided};
use plaza_messaging::DEAD_LETTERS;
use plaza_proto::ordering::v1::OrderStatus;
use uuid::Uuid;

use crate::helpers::{Plaza, spawn_plaza};

/// A dead letter as an operator reads it: (original subject, reason, payload).
type DeadLetter = (String, String, String);

/// The dead letters of the durable consumer `durable`, sorted by original subject and reason.
async fn dead_letters_of(plaza: &Plaza, durable: &str) -> Vec<DeadLetter> {
    let namespace = &plaza.environment.nats.namespace;
    let subject = namespace.subject(&format!("deadletter.{durable}"));
    let mut dead: Vec<DeadLetter> = plaza
        .environment
        .messages(DEAD_LETTERS)
        .await
        .into_iter()
        .filter(|message| message.subject.as_str() == subject)
        .map(|message| {
            let header = |name: &str| {
                message
                    .headers
                    .get(name)
                    .map(|value| value.as_str().to_owned())
                    .unwrap_or_default()
            };
            (
                header("Plaza-Original-Subject"),
                header("Plaza-Dead-Letter-Reason"),
                String::from_utf8(message.payload.to_vec()).unwrap(),
            )
        })
        .collect();
    dead.sort();
    dead
}

/// Publishes on the subject of `known` (an answer ordering handles): a body that is not JSON,
/// and the bare payload of an answer without its envelope; then `known`'s envelope retyped
/// as `unknown_type`, on that type's subject. Returns the retyped envelope.
async fn publish_what_cannot_be_handled<E: Event>(
    plaza: &Plaza,
    known: Envelope<E>,
    unknown_type: &str,
) -> serde_json::Value {
    let environment = &plaza.environment;
    environment
        .publish_raw(E::TYPE, &Uuid::now_v7().to_string(), b"{not json".to_vec())
        .await;
    environment
        .publish_raw(
            E::TYPE,
            &Uuid::now_v7().to_string(),
            serde_json::to_vec(&known.data).unwrap(),
        )
        .await;
    let mut unknown = serde_json::to_value(&known).unwrap();
    unknown["type"] = unknown_type.into();
    environment
        .publish_raw(
            unknown_type,
            &Uuid::now_v7().to_string(),
            serde_json::to_vec(&unknown).unwrap(),
        )
        .await;
    unknown
}

/// Places an order after the bad messages and waits for it to be ACCEPTED, which needs both
/// of ordering's consumers, then for everything in flight to be handled.
async fn an_order_is_still_accepted(plaza: &Plaza) {
    let product = plaza.product(300, 5).await;
    let shopper = plaza.shopper(1000).await;
    let order = plaza.order(&shopper, &product, 2).await.unwrap();
    plaza
        .order_with_status(&order.id, OrderStatus::Accepted)
        .await;
    plaza.wait_until_settled().await;
}

/// Asserts the three dead letters [`publish_what_cannot_be_handled`] leads to.
fn assert_dead_lettered(
    plaza: &Plaza,
    dead: &[DeadLetter],
    known_type: &str,
    bare_payload: &serde_json::Value,
    unknown: &serde_json::Value,
) {
    let namespace = &plaza.environment.nats.namespace;
    let unknown_type = unknown["type"].as_str().unwrap();
    assert_eq!(dead.len(), 3, "{dead:#?}");
    let (malformed, rest): (Vec<&DeadLetter>, Vec<&DeadLetter>) = dead
        .iter()
        .partition(|(subject, _, _)| *subject == namespace.subject(known_type));
    assert_eq!(malformed.len(), 2, "{dead:#?}");
    for (_, reason, _) in &malformed {
        assert!(reason.starts_with("malformed envelope"), "{dead:#?}");
    }
    let payloads: Vec<&str> = malformed.iter().map(|(_, _, p)| p.as_str()).collect();
    assert!(payloads.contains(&"{not json"), "{dead:#?}");
    assert!(
        payloads.iter().any(
            |p| serde_json::from_str::<serde_json::Value>(p).ok().as_ref() == Some(bare_payload)
        ),
        "{dead:#?}"
    );
    let (subject, reason, payload) = rest[0];
    assert_eq!(*subject, namespace.subject(unknown_type));
    assert_eq!(*reason, format!("unknown event type {unknown_type}"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(payload).unwrap(),
        *unknown
    );
}

#[tokio::test]
async fn what_cannot_be_read_among_payments_answers_is_dead_lettered_and_orders_still_complete() {
    let plaza = spawn_plaza().await;
    let known = Envelope::new(
        Uuid::now_v7(),
        PaymentVoided {
            payment_id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
        },
    );
    let bare_payload = serde_json::to_value(&known.data).unwrap();
    let unknown = publish_what_cannot_be_handled(&plaza, known, "payments.payment.refunded").await;

    an_order_is_still_accepted(&plaza).await;

    let dead = dead_letters_of(&plaza, "ordering-payments").await;
    assert_dead_lettered(&plaza, &dead, PaymentVoided::TYPE, &bare_payload, &unknown);
    assert!(
        dead_letters_of(&plaza, "ordering-inventory")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn what_cannot_be_read_among_inventory_answers_is_dead_lettered_and_orders_still_complete() {
    let plaza = spawn_plaza().await;
    let known = Envelope::new(
        Uuid::now_v7(),
        StockReleased {
            order_id: Uuid::now_v7(),
        },
    );
    let bare_payload = serde_json::to_value(&known.data).unwrap();
    let unknown = publish_what_cannot_be_handled(&plaza, known, "inventory.stock.lost").await;

    an_order_is_still_accepted(&plaza).await;

    let dead = dead_letters_of(&plaza, "ordering-inventory").await;
    assert_dead_lettered(&plaza, &dead, StockReleased::TYPE, &bare_payload, &unknown);
    assert!(
        dead_letters_of(&plaza, "ordering-payments")
            .await
            .is_empty()
    );
}
