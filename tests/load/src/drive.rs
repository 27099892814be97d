//! Placing orders: at a fixed arrival rate (open loop: a request leaves on schedule whether or
//! not the earlier ones were answered, so a slow stack cannot slow the load down and hide its
//! own latency) or as fast as the stack answers (closed loop, a number of workers).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use plaza_proto::ordering::v1::{
    CreateOrderRequest, create_order_request::Item, ordering_service_client::OrderingServiceClient,
};
use serde_json::json;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::shop::Ticket;

/// How orders reach ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// gRPC straight to ordering's port.
    Grpc,
    /// REST/JSON through Envoy's transcoder.
    Rest,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Grpc => "gRPC direct",
            Via::Rest => "REST via Envoy",
        }
    }
}

/// One CreateOrder as the client saw it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// When the request was due to leave (fixed rate) or left (maximum rate).
    pub sent_at: Instant,
    pub answered_at: Instant,
    pub result: Result<Uuid, String>,
}

/// A client for CreateOrder over either way in.
#[derive(Debug, Clone)]
pub struct OrderClient {
    grpc: OrderingServiceClient<Channel>,
    http: reqwest::Client,
    orders_url: String,
}

impl OrderClient {
    pub fn new(ordering: Channel, gateway: &str) -> Self {
        Self {
            grpc: OrderingServiceClient::new(ordering),
            http: reqwest::Client::new(),
            orders_url: format!("{gateway}/api/v1/orders"),
        }
    }

    /// Places the ticket's order (one unit); the order id, or what went wrong.
    pub async fn create(&self, via: Via, ticket: &Ticket) -> Result<Uuid, String> {
        let id = match via {
            Via::Grpc => {
                self.grpc
                    .clone()
                    .create_order(CreateOrderRequest {
                        customer_id: ticket.customer_id.clone(),
                        payment_id: ticket.payment_id.clone(),
                        items: vec![Item {
                            product_id: ticket.product_id.clone(),
                            quantity: 1,
                        }],
                        request_id: String::new(),
                    })
                    .await
                    .map_err(|status| format!("{:?}: {}", status.code(), status.message()))?
                    .into_inner()
                    .id
            }
            Via::Rest => {
                let response = self
                    .http
                    .post(&self.orders_url)
                    .json(&json!({
                        "customerId": ticket.customer_id,
                        "paymentId": ticket.payment_id,
                        "items": [{"productId": ticket.product_id, "quantity": 1}],
                    }))
                    .send()
                    .await
                    .map_err(|error| error.to_string())?;
                let status = response.status();
                let body: serde_json::Value =
                    response.json().await.map_err(|error| error.to_string())?;
                if !status.is_success() {
                    return Err(format!("HTTP {status}: {}", body["message"]));
                }
                body["id"].as_str().unwrap_or_default().to_owned()
            }
        };
        Uuid::parse_str(&id).map_err(|error| format!("the order id {id:?}: {error}"))
    }
}

/// Places `rate` orders per second for `duration` (or until the tickets run out).
pub async fn fixed_rate(
    client: &OrderClient,
    via: Via,
    tickets: &[Ticket],
    rate: u32,
    duration: Duration,
) -> Vec<Sent> {
    let count = ((f64::from(rate) * duration.as_secs_f64()) as usize).min(tickets.len());
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let start = tokio::time::Instant::now();
    let mut requests = Vec::with_capacity(count);
    for (index, ticket) in tickets.iter().take(count).enumerate() {
        let due = start + interval * index as u32;
        tokio::time::sleep_until(due).await;
        let client = client.clone();
        let ticket = ticket.clone();
        requests.push(tokio::spawn(async move {
            let result = client.create(via, &ticket).await;
            Sent {
                sent_at: due.into_std(),
                answered_at: Instant::now(),
                result,
            }
        }));
    }
    collect(requests).await
}

/// Places orders from `workers` loops, each sending its next as soon as the last is answered,
/// for `duration` (or until the tickets run out).
pub async fn max_rate(
    client: &OrderClient,
    via: Via,
    tickets: Arc<Vec<Ticket>>,
    workers: usize,
    duration: Duration,
) -> Vec<Sent> {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + duration;
    let loops: Vec<_> = (0..workers)
        .map(|_| {
            let (client, tickets, next) = (client.clone(), tickets.clone(), next.clone());
            tokio::spawn(async move {
                let mut sent = Vec::new();
                while Instant::now() < deadline {
                    let Some(ticket) = tickets.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let sent_at = Instant::now();
                    let result = client.create(via, ticket).await;
                    sent.push(Sent {
                        sent_at,
                        answered_at: Instant::now(),
                        result,
                    });
                }
                sent
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in loops {
        if let Ok(sent) = worker.await {
            all.extend(sent);
        }
    }
    all
}

async fn collect(requests: Vec<tokio::task::JoinHandle<Sent>>) -> Vec<Sent> {
    let mut sent = Vec::with_capacity(requests.len());
    for request in requests {
        if let Ok(one) = request.await {
            sent.push(one);
        }
    }
    sent
}
