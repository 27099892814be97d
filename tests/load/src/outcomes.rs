//! Every order's outcome as ordering publishes it: a plain NATS subscription to the
//! `ordering.order.accepted` and `ordering.order.rejected` subjects, which sees each event the
//! moment the outbox relay publishes it into JetStream.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use futures::StreamExt;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Rejected,
}

type Heard = HashMap<Uuid, (Outcome, Instant)>;

/// The outcomes heard so far, by order id, with the instant each was heard.
#[derive(Debug, Clone)]
pub struct Outcomes {
    heard: Arc<Mutex<Heard>>,
}

impl Outcomes {
    /// Starts listening; events published from now on are heard.
    pub async fn listen(nats_url: &str) -> anyhow::Result<Self> {
        let client = async_nats::connect(nats_url).await?;
        let mut accepted = client.subscribe("ordering.order.accepted").await?;
        let mut rejected = client.subscribe("ordering.order.rejected").await?;
        // The subscriptions are in place once the server has seen them.
        client.flush().await?;
        let heard = Arc::new(Mutex::new(Heard::new()));
        let outcomes = Self {
            heard: heard.clone(),
        };
        tokio::spawn(async move {
            // The client lives as long as this task, which ends with the process.
            let _client = client;
            loop {
                let (message, outcome) = tokio::select! {
                    Some(message) = accepted.next() => (message, Outcome::Accepted),
                    Some(message) = rejected.next() => (message, Outcome::Rejected),
                    else => break,
                };
                let at = Instant::now();
                let order = serde_json::from_slice::<serde_json::Value>(&message.payload)
                    .ok()
                    .and_then(|event| Uuid::parse_str(event["subject"].as_str()?).ok());
                if let Some(order) = order {
                    // A redelivered event keeps the first instant.
                    lock(&heard).entry(order).or_insert((outcome, at));
                }
            }
        });
        Ok(outcomes)
    }

    pub fn get(&self, order: &Uuid) -> Option<(Outcome, Instant)> {
        lock(&self.heard).get(order).copied()
    }

    /// Waits until every one of `orders` has an outcome, or `deadline` passes; the number of
    /// orders still without one.
    pub async fn wait_for(&self, orders: &[Uuid], deadline: Duration) -> usize {
        let until = Instant::now() + deadline;
        loop {
            let missing = {
                let heard = lock(&self.heard);
                orders
                    .iter()
                    .filter(|order| !heard.contains_key(order))
                    .count()
            };
            if missing == 0 || Instant::now() >= until {
                return missing;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn lock(heard: &Mutex<Heard>) -> std::sync::MutexGuard<'_, Heard> {
    heard.lock().unwrap_or_else(PoisonError::into_inner)
}
