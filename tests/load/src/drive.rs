//! Placing orders: at a fixed arrival rate (open loop: a request leaves on schedule whether or
//! not the earlier ones were answered, so a slow stack cannot slow the load down and hide its
//! own latency) or as fast as the stack answers (closed loop, a number of workers); and, for
//! the chaos run, the order calls retried across faults (see [`OrderingInstances`]). Every
//! call carries the credential of the customer whose order it is.

use std::{
    sync::{
        Arc, PoisonError, RwLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use plaza_proto::ordering::v1::{
    CancelOrderRequest, CreateOrderRequest, GetOrderRequest, Order as OrderMessage, OrderStatus,
    PayOrderRequest, create_order_request::Item, ordering_service_client::OrderingServiceClient,
};
use serde_json::json;
use tonic::{Code, Status, transport::Channel};
use uuid::Uuid;

use crate::{access::Credential, shop::Ticket};

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

    /// Places the ticket's order (one unit) as its customer; the order id, or what went wrong.
    pub async fn create(&self, via: Via, ticket: &Ticket) -> Result<Uuid, String> {
        let customer = &ticket.customer;
        let id = match via {
            Via::Grpc => {
                self.grpc
                    .clone()
                    .create_order(customer.credential.request(CreateOrderRequest {
                        customer_id: customer.id.clone(),
                        payment_id: ticket.payment_id.clone(),
                        items: vec![Item {
                            product_id: ticket.product_id.clone(),
                            quantity: 1,
                        }],
                        request_id: String::new(),
                    }))
                    .await
                    .map_err(|status| format!("{:?}: {}", status.code(), status.message()))?
                    .into_inner()
                    .id
            }
            Via::Rest => {
                let response = self
                    .http
                    .post(&self.orders_url)
                    .header(reqwest::header::AUTHORIZATION, customer.credential.header())
                    .json(&json!({
                        "customerId": customer.id,
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

// --- Calls that outlive faults -----------------------------------------------------------
//
// The chaos run kills ordering and what it depends on while orders flow, so its calls are
// retried until a deadline. That is safe because every call it retries is idempotent:
// CreateOrder carries a `request_id` (the same id returns the same order), and a PayOrder or
// CancelOrder whose earlier attempt may have succeeded is settled by reading the order back.

/// How long one attempt may take before it counts as lost.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Making a connection to an instance that may be down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// An ordering instance's address and a client on its (lazily connected) channel.
type Instance = (String, OrderingServiceClient<Channel>);

/// The ordering instances a client may call, tried in turn: each attempt goes to the next
/// one, so a call whose instance died is retried on another (as a load balancer would).
#[derive(Debug, Clone)]
pub struct OrderingInstances {
    clients: Arc<RwLock<Vec<Instance>>>,
    next: Arc<AtomicUsize>,
}

impl OrderingInstances {
    /// One instance at `address` (`http://127.0.0.1:50054`); connects lazily.
    pub fn new(address: &str) -> anyhow::Result<Self> {
        let instances = Self {
            clients: Arc::new(RwLock::new(Vec::new())),
            next: Arc::new(AtomicUsize::new(0)),
        };
        instances.add(address)?;
        Ok(instances)
    }

    /// Adds an instance; calls are spread over all of them from now on.
    pub fn add(&self, address: &str) -> anyhow::Result<()> {
        let channel = Channel::from_shared(address.to_owned())?
            .connect_timeout(CONNECT_TIMEOUT)
            .connect_lazy();
        let mut clients = self.clients.write().unwrap_or_else(PoisonError::into_inner);
        clients.retain(|(known, _)| known != address);
        clients.push((address.to_owned(), OrderingServiceClient::new(channel)));
        Ok(())
    }

    /// Stops sending calls to `address` (the last instance is always kept).
    pub fn remove(&self, address: &str) {
        let mut clients = self.clients.write().unwrap_or_else(PoisonError::into_inner);
        if clients.len() > 1 {
            clients.retain(|(known, _)| known != address);
        }
    }

    pub fn addresses(&self) -> Vec<String> {
        let clients = self.clients.read().unwrap_or_else(PoisonError::into_inner);
        clients.iter().map(|(address, _)| address.clone()).collect()
    }

    fn pick(&self) -> Option<OrderingServiceClient<Channel>> {
        let clients = self.clients.read().unwrap_or_else(PoisonError::into_inner);
        let count = clients.len();
        (count > 0).then(|| {
            clients[self.next.fetch_add(1, Ordering::Relaxed) % count]
                .1
                .clone()
        })
    }
}

/// A call's final error: the gRPC code and message of its last attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub code: Code,
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl From<Status> for CallError {
    fn from(status: Status) -> Self {
        Self {
            code: status.code(),
            message: status.message().to_owned(),
        }
    }
}

/// A call made with retries: its result, how many attempts it took and the codes of the
/// attempts that failed and were retried.
#[derive(Debug, Clone)]
pub struct Retried<T> {
    pub result: Result<T, CallError>,
    pub attempts: u32,
    pub retried: Vec<Code>,
    /// The answer was read back with GetOrder after an attempt whose outcome was unknown.
    pub read_back: bool,
}

/// Worth another attempt: the instance or one of its dependencies is down or restarting, the
/// answer was lost, or a concurrent change won. INTERNAL is retried as well (every call here
/// is idempotent), but the caller sees it among the retried codes.
pub fn retryable(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::Aborted
            | Code::Unknown
            | Code::Internal
    )
}

/// Calls `call` on the instances in turn until it succeeds, fails for good, or `deadline`
/// passes.
async fn retrying<T, F, Fut>(
    instances: &OrderingInstances,
    deadline: Instant,
    mut call: F,
) -> Retried<T>
where
    F: FnMut(OrderingServiceClient<Channel>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, Status>>,
{
    let mut attempts = 0;
    let mut retried = Vec::new();
    let mut backoff = FIRST_BACKOFF;
    loop {
        attempts += 1;
        let outcome = match instances.pick() {
            Some(client) => match tokio::time::timeout(ATTEMPT_TIMEOUT, call(client)).await {
                Ok(answer) => answer.map(tonic::Response::into_inner),
                Err(_) => Err(Status::deadline_exceeded(
                    "no answer within the attempt timeout",
                )),
            },
            None => Err(Status::unavailable("no ordering instance to call")),
        };
        let status = match outcome {
            Ok(value) => {
                return Retried {
                    result: Ok(value),
                    attempts,
                    retried,
                    read_back: false,
                };
            }
            Err(status) => status,
        };
        if !retryable(status.code()) || Instant::now() + backoff >= deadline {
            return Retried {
                result: Err(status.into()),
                attempts,
                retried,
                read_back: false,
            };
        }
        retried.push(status.code());
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// `message` as one attempt: with `credential` and the attempt timeout.
fn attempt<T>(credential: &Credential, message: T) -> tonic::Request<T> {
    let mut request = credential.request(message);
    request.set_timeout(ATTEMPT_TIMEOUT);
    request
}

/// CreateOrder as the customer `credential` names, retried until `deadline`;
/// `request.request_id` must be set, so that a retry after a lost answer returns the order the
/// lost attempt placed.
pub async fn create_order(
    instances: &OrderingInstances,
    credential: &Credential,
    request: CreateOrderRequest,
    deadline: Instant,
) -> Retried<OrderMessage> {
    debug_assert!(
        !request.request_id.is_empty(),
        "a retried CreateOrder needs a request_id"
    );
    retrying(instances, deadline, |mut client| {
        let request = attempt(credential, request.clone());
        async move { client.create_order(request).await }
    })
    .await
}

/// GetOrder as the order's customer (or an admin), retried until `deadline`.
pub async fn get_order(
    instances: &OrderingInstances,
    credential: &Credential,
    id: Uuid,
    deadline: Instant,
) -> Retried<OrderMessage> {
    retrying(instances, deadline, |mut client| {
        let request = attempt(credential, GetOrderRequest { id: id.to_string() });
        async move { client.get_order(request).await }
    })
    .await
}

/// PayOrder as the order's customer (or an admin), retried until `deadline`. When an attempt
/// failed in a way that may hide its success and a later one is refused (FAILED_PRECONDITION:
/// the order is no longer ACCEPTED), the order is read back: DELIVERED means the earlier
/// attempt paid it.
pub async fn pay_order(
    instances: &OrderingInstances,
    credential: &Credential,
    id: Uuid,
    deadline: Instant,
) -> Retried<OrderMessage> {
    let paid = retrying(instances, deadline, |mut client| {
        let request = attempt(credential, PayOrderRequest { id: id.to_string() });
        async move { client.pay_order(request).await }
    })
    .await;
    settle_by_reading_back(
        instances,
        credential,
        id,
        deadline,
        paid,
        OrderStatus::Delivered,
    )
    .await
}

/// CancelOrder as the order's customer (or an admin), retried until `deadline`, read back like
/// [`pay_order`]: CANCELLED means an earlier attempt cancelled it.
pub async fn cancel_order(
    instances: &OrderingInstances,
    credential: &Credential,
    id: Uuid,
    deadline: Instant,
) -> Retried<OrderMessage> {
    let cancelled = retrying(instances, deadline, |mut client| {
        let request = attempt(credential, CancelOrderRequest { id: id.to_string() });
        async move { client.cancel_order(request).await }
    })
    .await;
    settle_by_reading_back(
        instances,
        credential,
        id,
        deadline,
        cancelled,
        OrderStatus::Cancelled,
    )
    .await
}

async fn settle_by_reading_back(
    instances: &OrderingInstances,
    credential: &Credential,
    id: Uuid,
    deadline: Instant,
    mut call: Retried<OrderMessage>,
    wanted: OrderStatus,
) -> Retried<OrderMessage> {
    let refused_after_a_retry = matches!(&call.result, Err(error) if error.code == Code::FailedPrecondition)
        && !call.retried.is_empty();
    if refused_after_a_retry {
        let read = get_order(instances, credential, id, deadline).await;
        if let Ok(order) = read.result
            && order.status == wanted as i32
        {
            call.result = Ok(order);
            call.read_back = true;
        }
    }
    call
}
