//! What must hold after a chaos run, read from the services' own tables (as Postgres'
//! superuser) and from JetStream: no unit of stock lost or sold twice, no payment captured
//! twice, every order's event history whole and its read model in step, every order settled
//! in all three services, no dead letter. Also a sampler that checks the stock arithmetic
//! while the run goes on, in one snapshot at a time.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use anyhow::Context;
use async_nats::jetstream::{
    self,
    consumer::{AckPolicy, DeliverPolicy, pull},
};
use futures::StreamExt;
use sqlx::{PgPool, postgres::PgPoolOptions};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The `plaza` database as the superuser of the local cluster (trust authentication).
pub const DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/plaza";
/// The stream that keeps dead letters (`deadletter.<durable>`).
pub const DEAD_LETTERS: &str = "DEADLETTERS";
pub const PAYMENTS_STREAM: &str = "PAYMENTS";
const CAPTURED: &str = "payments.payment.captured";
/// The saga's durable consumers, by the stream they read.
pub const CONSUMERS: [(&str, &str); 4] = [
    ("ORDERING", "payments-orders"),
    ("ORDERING", "inventory-orders"),
    ("PAYMENTS", "ordering-payments"),
    ("INVENTORY", "ordering-inventory"),
];
/// The schemas whose outbox must be empty once the run has settled.
const OUTBOXES: [&str; 4] = ["customers", "inventory", "payments", "ordering"];

/// A pool that connects lazily, so that it survives a Postgres restart (a broken connection
/// is dropped and a new one made).
pub fn database() -> anyhow::Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(DATABASE_URL)?)
}

/// One check and what it found.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

impl Check {
    pub fn new(name: impl Into<String>, passed: bool, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            passed,
            detail: detail.into(),
        }
    }

    /// Passes when `problems` is empty (then `detail` says what was checked); otherwise
    /// shows how many problems and the first few.
    pub fn none_of(name: &str, problems: &[String], detail: impl Into<String>) -> Self {
        if problems.is_empty() {
            Self::new(name, true, detail)
        } else {
            Self::new(
                name,
                false,
                format!("{}: {}", problems.len(), sample(problems)),
            )
        }
    }
}

/// The last sequence of a stream (0 when it does not exist yet).
pub async fn last_sequence(jetstream: &jetstream::Context, stream: &str) -> anyhow::Result<u64> {
    match jetstream.get_stream(stream).await {
        Ok(mut stream) => Ok(stream.info().await?.state.last_sequence),
        Err(error) => match error.kind() {
            jetstream::context::GetStreamErrorKind::JetStream(error)
                if error.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
            {
                Ok(0)
            }
            _ => Err(error.into()),
        },
    }
}

/// The dead letters published after sequence `after`: subject and reason of each.
pub async fn dead_letters_since(
    jetstream: &jetstream::Context,
    after: u64,
) -> anyhow::Result<Vec<String>> {
    let last = last_sequence(jetstream, DEAD_LETTERS).await?;
    if last <= after {
        return Ok(Vec::new());
    }
    let stream = jetstream.get_stream(DEAD_LETTERS).await?;
    let mut letters = Vec::new();
    for sequence in after + 1..=last {
        match stream.get_raw_message(sequence).await {
            Ok(message) => {
                let header = |name: &str| {
                    message
                        .headers
                        .get(name)
                        .map_or_else(String::new, |value| value.to_string())
                };
                let subject = String::from_utf8_lossy(&message.payload);
                let subject_of_event = serde_json::from_str::<serde_json::Value>(&subject)
                    .ok()
                    .and_then(|event| Some(event["subject"].as_str()?.to_owned()))
                    .unwrap_or_default();
                letters.push(format!(
                    "#{sequence} {} (from {}, about {subject_of_event}): {}",
                    message.subject,
                    header("Plaza-Original-Subject"),
                    header("Plaza-Dead-Letter-Reason")
                ));
            }
            Err(error) => letters.push(format!("#{sequence}: unreadable ({error})")),
        }
    }
    Ok(letters)
}

/// `payments.payment.captured` events published after sequence `after`, by payment id: the
/// distinct event ids of each (a copy republished with the same id counts once).
pub async fn captured_events_since(
    jetstream: &jetstream::Context,
    after: u64,
) -> anyhow::Result<HashMap<Uuid, HashSet<Uuid>>> {
    let stream = jetstream.get_stream(PAYMENTS_STREAM).await?;
    let consumer = stream
        .create_consumer(pull::Config {
            deliver_policy: DeliverPolicy::ByStartSequence {
                start_sequence: after + 1,
            },
            filter_subject: CAPTURED.to_owned(),
            ack_policy: AckPolicy::None,
            inactive_threshold: Duration::from_secs(60),
            ..Default::default()
        })
        .await?;
    let mut captured: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    loop {
        let mut batch = consumer
            .fetch()
            .max_messages(1000)
            .expires(Duration::from_secs(1))
            .messages()
            .await?;
        let mut received = 0;
        while let Some(message) = batch.next().await {
            let message = message.map_err(|error| anyhow::anyhow!("reading PAYMENTS: {error}"))?;
            received += 1;
            let event: serde_json::Value = serde_json::from_slice(&message.payload)
                .context("a captured event that is not JSON")?;
            let payment = event["data"]["paymentId"]
                .as_str()
                .and_then(|id| Uuid::parse_str(id).ok());
            let id = event["id"].as_str().and_then(|id| Uuid::parse_str(id).ok());
            if let (Some(payment), Some(id)) = (payment, id) {
                captured.entry(payment).or_default().insert(id);
            }
        }
        if received == 0 {
            break;
        }
    }
    Ok(captured)
}

// --- Orders: settled or not --------------------------------------------------------------

/// An order of the run as the three services see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderState {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub request_id: Option<String>,
    pub status: String,
    pub payment_status: String,
    pub stock_status: String,
    pub reject_reason: Option<String>,
    pub version: i32,
    /// inventory.order_stock's status for the order, if any.
    pub inventory: Option<String>,
    /// The status of the payment bound to the order in payments, if any.
    pub payment: Option<String>,
    /// Whether payments heard that the order was rejected or cancelled.
    pub payments_closed: bool,
}

impl OrderState {
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "REJECTED" | "DELIVERED" | "CANCELLED")
    }

    /// Why the order is not settled yet (`None` when it is): not terminal, or a hold on its
    /// payment or stock that no service has released, or a service that has not heard the
    /// end of the saga.
    pub fn unsettled_because(&self) -> Option<String> {
        let inventory = self.inventory.as_deref();
        let payment = self.payment.as_deref();
        let (ordering_payment, ordering_stock) =
            (self.payment_status.as_str(), self.stock_status.as_str());
        let settled = match self.status.as_str() {
            "DELIVERED" => {
                ordering_payment == "CAPTURED"
                    && ordering_stock == "COMMITTED"
                    && inventory == Some("COMMITTED")
                    && payment == Some("CAPTURED")
            }
            "REJECTED" | "CANCELLED" => {
                let stock_settled = matches!(
                    (ordering_stock, inventory),
                    ("PENDING", Some("CLOSED"))
                        | ("OUT_OF_STOCK", Some("OUT_OF_STOCK"))
                        | ("RELEASED", Some("RELEASED"))
                );
                let payment_settled = matches!(
                    (ordering_payment, payment),
                    ("PENDING" | "REJECTED", None) | ("VOIDED", Some("VOIDED"))
                );
                stock_settled && payment_settled && self.payments_closed
            }
            _ => false,
        };
        (!settled).then(|| {
            format!(
                "{} {}: ordering says payment {ordering_payment}, stock {ordering_stock}; \
                 inventory {}; payments {}{}",
                self.id,
                self.status,
                inventory.unwrap_or("has no row"),
                payment.unwrap_or("binds no payment"),
                if self.payments_closed {
                    ""
                } else {
                    " (order not closed there)"
                },
            )
        })
    }
}

/// Every order placed by `customers`, with what inventory and payments hold for it.
pub async fn orders_of(pool: &PgPool, customers: &[Uuid]) -> anyhow::Result<Vec<OrderState>> {
    Ok(sqlx::query_as(
        "SELECT o.id, o.customer_id, o.request_id, o.status, o.payment_status, o.stock_status, \
                o.reject_reason, o.version, s.status AS inventory, p.status AS payment, \
                (c.order_id IS NOT NULL) AS payments_closed \
         FROM ordering.orders o \
         LEFT JOIN inventory.order_stock s ON s.order_id = o.id \
         LEFT JOIN payments.payments p ON p.order_id = o.id \
         LEFT JOIN payments.closed_orders c ON c.order_id = o.id \
         WHERE o.customer_id = ANY($1)",
    )
    .bind(customers)
    .fetch_all(pool)
    .await?)
}

// --- The stock arithmetic, while the run goes on -----------------------------------------

/// One product's figures in one snapshot.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct StockRow {
    pub id: Uuid,
    /// Available units (`products.stock`).
    pub stock: i32,
    /// `products.reserved`.
    pub reserved: i32,
    /// Units of the run's orders inventory holds as COMMITTED (sold).
    pub sold: i32,
    /// Units of the run's orders inventory holds as RESERVED.
    pub held: i32,
}

/// The run's products in one snapshot (REPEATABLE READ): every unit moves between
/// available, reserved and sold inside one inventory transaction, so in any snapshot
/// `initial = stock + reserved + sold` and `reserved = held` must hold exactly.
pub async fn stock_snapshot(
    pool: &PgPool,
    products: &[Uuid],
    customers: &[Uuid],
) -> anyhow::Result<Vec<StockRow>> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *transaction)
        .await?;
    // An order's stock row commits after the order itself (inventory hears of the order
    // only once ordering committed it), so a snapshot that sees the row sees the order.
    let rows = sqlx::query_as(
        "WITH run_orders AS (SELECT id FROM ordering.orders WHERE customer_id = ANY($2)), \
         lines AS ( \
             SELECT (l->>'productId')::uuid AS product_id, s.status, \
                    (l->>'quantity')::int AS quantity \
             FROM inventory.order_stock s JOIN run_orders r ON r.id = s.order_id \
             CROSS JOIN LATERAL jsonb_array_elements(s.lines) l \
             WHERE s.status IN ('RESERVED', 'COMMITTED')) \
         SELECT p.id, p.stock, p.reserved, \
                COALESCE(sum(l.quantity) FILTER (WHERE l.status = 'COMMITTED'), 0)::int AS sold, \
                COALESCE(sum(l.quantity) FILTER (WHERE l.status = 'RESERVED'), 0)::int AS held \
         FROM inventory.products p LEFT JOIN lines l ON l.product_id = p.id \
         WHERE p.id = ANY($1) \
         GROUP BY p.id, p.stock, p.reserved",
    )
    .bind(products)
    .bind(customers)
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(rows)
}

/// What the stock sampler saw.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub taken: usize,
    /// Samples that could not be taken (Postgres restarting).
    pub missed: usize,
    /// The lowest available stock seen, per product.
    pub min_stock: BTreeMap<Uuid, i32>,
    pub max_reserved: BTreeMap<Uuid, i32>,
    /// Broken arithmetic, at most a few, with when.
    pub violations: Vec<String>,
    pub violation_count: usize,
}

/// Samples the stock arithmetic every `interval` until stopped.
#[derive(Debug)]
pub struct StockSampler {
    samples: Arc<Mutex<Samples>>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl StockSampler {
    pub fn start(
        pool: PgPool,
        initial: HashMap<Uuid, i32>,
        customers: Vec<Uuid>,
        interval: Duration,
        started: Instant,
    ) -> Self {
        let samples = Arc::new(Mutex::new(Samples::default()));
        let stop = CancellationToken::new();
        let task = {
            let (samples, stop) = (samples.clone(), stop.clone());
            let products: Vec<Uuid> = initial.keys().copied().collect();
            tokio::spawn(async move {
                while !stop.is_cancelled() {
                    let snapshot = tokio::time::timeout(
                        Duration::from_secs(5),
                        stock_snapshot(&pool, &products, &customers),
                    )
                    .await;
                    {
                        let mut samples = samples.lock().unwrap_or_else(PoisonError::into_inner);
                        match snapshot {
                            Ok(Ok(rows)) => {
                                samples.taken += 1;
                                let at = started.elapsed().as_secs_f64();
                                for row in rows {
                                    record(&mut samples, &initial, &row, at);
                                }
                            }
                            _ => samples.missed += 1,
                        }
                    }
                    tokio::select! {
                        () = tokio::time::sleep(interval) => {}
                        () = stop.cancelled() => {}
                    }
                }
            })
        };
        Self {
            samples,
            stop,
            task,
        }
    }

    pub async fn finish(self) -> Samples {
        self.stop.cancel();
        let _ = self.task.await;
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn record(samples: &mut Samples, initial: &HashMap<Uuid, i32>, row: &StockRow, at: f64) {
    let min = samples.min_stock.entry(row.id).or_insert(row.stock);
    *min = (*min).min(row.stock);
    let max = samples.max_reserved.entry(row.id).or_insert(row.reserved);
    *max = (*max).max(row.reserved);
    let start = initial.get(&row.id).copied().unwrap_or_default();
    let mut broken = Vec::new();
    if row.stock < 0 || row.reserved < 0 {
        broken.push(format!(
            "negative: stock {} reserved {}",
            row.stock, row.reserved
        ));
    }
    if row.stock + row.reserved + row.sold != start {
        broken.push(format!(
            "stock {} + reserved {} + sold {} = {} != initial {start}",
            row.stock,
            row.reserved,
            row.sold,
            row.stock + row.reserved + row.sold
        ));
    }
    if row.reserved != row.held {
        broken.push(format!(
            "reserved {} but the run's RESERVED orders hold {}",
            row.reserved, row.held
        ));
    }
    if !broken.is_empty() {
        samples.violation_count += 1;
        if samples.violations.len() < 10 {
            samples.violations.push(format!(
                "at {at:.1}s, product {}: {}",
                row.id,
                broken.join("; ")
            ));
        }
    }
}

// --- The checks after the run ------------------------------------------------------------

/// What the checks need to know about the run.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// Every product of the run's shop with its initial stock.
    pub initial_stock: HashMap<Uuid, i32>,
    pub customers: Vec<Uuid>,
    /// The payments the run authorized.
    pub payments: HashSet<Uuid>,
    /// Request id -> the order id CreateOrder answered with.
    pub created: HashMap<String, Uuid>,
    /// Request ids whose CreateOrder failed for good (their order may or may not exist).
    pub failed_requests: HashSet<String>,
    pub dead_letters_before: u64,
    pub payments_before: u64,
}

/// Runs every check on the settled run.
pub async fn check_all(
    pool: &PgPool,
    jetstream: &jetstream::Context,
    facts: &RunFacts,
    orders: &[OrderState],
) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut add = |result: anyhow::Result<Vec<Check>>, name: &str| match result {
        Ok(found) => checks.extend(found),
        Err(error) => checks.push(Check::new(
            name,
            false,
            format!("could not check: {error:#}"),
        )),
    };
    add(client_books(facts, orders), "the client's books");
    add(settled(orders), "every order settled");
    add(stock(pool, facts).await, "stock");
    add(payments(pool, jetstream, facts, orders).await, "payments");
    add(event_histories(pool, orders).await, "event histories");
    add(dead_letters(jetstream, facts).await, "dead letters");
    add(outboxes(pool).await, "outboxes");
    add(consumers(jetstream).await, "consumers");
    checks
}

fn client_books(facts: &RunFacts, orders: &[OrderState]) -> anyhow::Result<Vec<Check>> {
    let by_request: HashMap<&str, Uuid> = orders
        .iter()
        .filter_map(|order| Some((order.request_id.as_deref()?, order.id)))
        .collect();
    let mut wrong = Vec::new();
    for (request, id) in &facts.created {
        match by_request.get(request.as_str()) {
            Some(found) if found == id => {}
            Some(found) => wrong.push(format!("{request}: answered {id}, stored {found}")),
            None => wrong.push(format!("{request}: answered {id}, not stored")),
        }
    }
    let known: HashSet<Uuid> = facts.created.values().copied().collect();
    let mut unknown = Vec::new();
    let mut of_failed_calls = 0;
    for order in orders {
        if known.contains(&order.id) {
            continue;
        }
        match order.request_id.as_deref() {
            Some(request) if facts.failed_requests.contains(request) => of_failed_calls += 1,
            _ => unknown.push(order.id.to_string()),
        }
    }
    Ok(vec![
        Check::none_of(
            "each CreateOrder answer is the one stored order of its request id",
            &wrong,
            format!("{} request ids, one order each", facts.created.len()),
        ),
        Check::none_of(
            "no order the client does not know of",
            &unknown,
            format!(
                "{} orders stored for the run's customers, {of_failed_calls} of them of calls \
                 that failed for good",
                orders.len()
            ),
        ),
    ])
}

fn settled(orders: &[OrderState]) -> anyhow::Result<Vec<Check>> {
    let not_terminal: Vec<String> = orders
        .iter()
        .filter(|order| !order.is_terminal())
        .map(|order| format!("{} {}", order.id, order.status))
        .collect();
    let unsettled: Vec<String> = orders
        .iter()
        .filter(|order| order.is_terminal())
        .filter_map(OrderState::unsettled_because)
        .collect();
    Ok(vec![
        Check::none_of(
            "every order is terminal (REJECTED, DELIVERED or CANCELLED)",
            &not_terminal,
            format!("{} orders", orders.len()),
        ),
        Check::none_of(
            "every terminal order is settled in ordering, inventory and payments",
            &unsettled,
            "no hold left on a payment or on stock; every service heard the end",
        ),
    ])
}

async fn stock(pool: &PgPool, facts: &RunFacts) -> anyhow::Result<Vec<Check>> {
    let products: Vec<Uuid> = facts.initial_stock.keys().copied().collect();
    let rows = stock_snapshot(pool, &products, &facts.customers).await?;
    // Sold as ordering sees it: the units of the run's delivered orders.
    let delivered: HashMap<Uuid, i64> = sqlx::query_as::<_, (Uuid, i64)>(
        "SELECT (l->>'productId')::uuid, sum((l->>'quantity')::int)::bigint \
         FROM ordering.orders o CROSS JOIN LATERAL jsonb_array_elements(o.lines) l \
         WHERE o.customer_id = ANY($1) AND o.status = 'DELIVERED' GROUP BY 1",
    )
    .bind(&facts.customers)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let constraint: Vec<String> = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'inventory' AND t.relname = 'products' AND c.contype = 'c'",
    )
    .fetch_all(pool)
    .await?;

    let mut conservation = Vec::new();
    let mut reserved = Vec::new();
    let mut negative = Vec::new();
    let mut sold_mismatch = Vec::new();
    let mut summary = Vec::new();
    for row in &rows {
        let initial = facts
            .initial_stock
            .get(&row.id)
            .copied()
            .unwrap_or_default();
        let sold = delivered.get(&row.id).copied().unwrap_or_default();
        let total = i64::from(row.stock) + i64::from(row.reserved) + sold;
        if total != i64::from(initial) {
            conservation.push(format!(
                "{}: initial {initial} != available {} + reserved {} + sold {sold}",
                row.id, row.stock, row.reserved
            ));
        }
        if row.reserved != 0 {
            reserved.push(format!("{}: {}", row.id, row.reserved));
        }
        if row.stock < 0 {
            negative.push(format!("{}: {}", row.id, row.stock));
        }
        if i64::from(row.sold) != sold {
            sold_mismatch.push(format!(
                "{}: ordering delivered {sold}, inventory committed {}",
                row.id, row.sold
            ));
        }
        summary.push(format!("{initial}={}+{}+{sold}", row.stock, row.reserved));
    }
    let found: HashSet<Uuid> = rows.iter().map(|row| row.id).collect();
    conservation.extend(
        products
            .iter()
            .filter(|id| !found.contains(id))
            .map(|id| format!("{id}: not found")),
    );
    if !constraint
        .iter()
        .any(|definition| definition.replace(' ', "").contains("stock>=0"))
    {
        negative.push(format!(
            "no CHECK (stock >= 0) on inventory.products (found: {})",
            constraint.join(", ")
        ));
    }
    Ok(vec![
        Check::none_of(
            "per product: initial stock = available + reserved + sold",
            &conservation,
            format!("{} products: {}", rows.len(), summary.join(", ")),
        ),
        Check::none_of(
            "sold units: ordering's delivered orders = inventory's committed lines",
            &sold_mismatch,
            "equal for every product",
        ),
        Check::none_of(
            "nothing reserved at the end",
            &reserved,
            "reserved = 0 for every product",
        ),
        Check::none_of(
            "available stock never negative: CHECK (stock >= 0) in place, every value >= 0",
            &negative,
            format!("{}; every value >= 0", constraint.join(", ")),
        ),
    ])
}

async fn payments(
    pool: &PgPool,
    jetstream: &jetstream::Context,
    facts: &RunFacts,
    orders: &[OrderState],
) -> anyhow::Result<Vec<Check>> {
    let captured_rows: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "SELECT id, order_id FROM payments.payments \
         WHERE customer_id = ANY($1) AND status = 'CAPTURED'",
    )
    .bind(&facts.customers)
    .fetch_all(pool)
    .await?;
    let mut per_order: HashMap<Uuid, usize> = HashMap::new();
    for (_, order) in &captured_rows {
        if let Some(order) = order {
            *per_order.entry(*order).or_default() += 1;
        }
    }
    let twice: Vec<String> = per_order
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(order, count)| format!("order {order}: {count} captured payments"))
        .collect();
    let delivered: HashSet<Uuid> = orders
        .iter()
        .filter(|order| order.status == "DELIVERED")
        .map(|order| order.id)
        .collect();
    let captured_not_delivered: Vec<String> = captured_rows
        .iter()
        .filter(|(_, order)| !order.is_some_and(|order| delivered.contains(&order)))
        .map(|(payment, order)| format!("payment {payment} (order {order:?})"))
        .collect();

    let events = captured_events_since(jetstream, facts.payments_before).await?;
    let run_events: Vec<(&Uuid, &HashSet<Uuid>)> = events
        .iter()
        .filter(|(payment, _)| facts.payments.contains(payment))
        .collect();
    let captured_twice: Vec<String> = run_events
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(payment, ids)| format!("payment {payment}: {} capture events", ids.len()))
        .collect();
    let captured_payments: HashSet<Uuid> = captured_rows.iter().map(|(id, _)| *id).collect();
    let mut capture_problems = captured_twice;
    capture_problems.extend(
        run_events
            .iter()
            .filter(|(payment, _)| !captured_payments.contains(payment))
            .map(|(payment, _)| format!("payment {payment}: a capture event, but not CAPTURED")),
    );
    let mut delivery_problems = captured_not_delivered;
    if delivered.len() != captured_rows.len() {
        delivery_problems.push(format!(
            "{} delivered but {} captured",
            delivered.len(),
            captured_rows.len()
        ));
    }
    Ok(vec![
        Check::none_of(
            "at most one captured payment per order",
            &twice,
            format!(
                "{} captured payments, {} orders",
                captured_rows.len(),
                per_order.len()
            ),
        ),
        Check::none_of(
            "each payment captured at most once (payments.payment.captured events in PAYMENTS)",
            &capture_problems,
            format!(
                "{} payments of the run with a capture event, one each",
                run_events.len()
            ),
        ),
        Check::none_of(
            "DELIVERED orders = captured payments of the run",
            &delivery_problems,
            format!(
                "{} delivered, {} captured",
                delivered.len(),
                captured_rows.len()
            ),
        ),
    ])
}

/// The fold of an order's events as the read model should show it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Folded {
    status: &'static str,
    payment: &'static str,
    stock: &'static str,
    version: i32,
}

fn fold(events: &[(i32, String)]) -> Result<Folded, String> {
    let mut folded = Folded {
        status: "PENDING",
        payment: "PENDING",
        stock: "PENDING",
        version: 0,
    };
    for (index, (version, event_type)) in events.iter().enumerate() {
        let expected = i32::try_from(index + 1).unwrap_or(i32::MAX);
        if *version != expected {
            return Err(format!("version {version} where {expected} was due"));
        }
        if (index == 0) != (event_type == "OrderCreated") {
            return Err(format!("{event_type} as version {version}"));
        }
        match event_type.as_str() {
            "OrderCreated" => {}
            "PaymentConfirmed" => folded.payment = "CONFIRMED",
            "PaymentRejected" => folded.payment = "REJECTED",
            "PaymentVoided" => folded.payment = "VOIDED",
            "StockReserved" => folded.stock = "RESERVED",
            "StockRejected" => folded.stock = "OUT_OF_STOCK",
            "StockReleased" => folded.stock = "RELEASED",
            "StockCommitted" => folded.stock = "COMMITTED",
            "OrderAccepted" => folded.status = "ACCEPTED",
            "OrderRejected" => folded.status = "REJECTED",
            "OrderDelivered" => {
                folded.status = "DELIVERED";
                folded.payment = "CAPTURED";
            }
            "OrderCancelled" => folded.status = "CANCELLED",
            other => return Err(format!("unknown event type {other}")),
        }
        folded.version = *version;
    }
    Ok(folded)
}

async fn event_histories(pool: &PgPool, orders: &[OrderState]) -> anyhow::Result<Vec<Check>> {
    let ids: Vec<Uuid> = orders.iter().map(|order| order.id).collect();
    let rows: Vec<(Uuid, i32, String)> = sqlx::query_as(
        "SELECT order_id, version, type FROM ordering.events \
         WHERE order_id = ANY($1) ORDER BY order_id, version",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let mut histories: HashMap<Uuid, Vec<(i32, String)>> = HashMap::new();
    let mut event_count = 0;
    for (order, version, event_type) in rows {
        event_count += 1;
        histories
            .entry(order)
            .or_default()
            .push((version, event_type));
    }
    let mut gaps = Vec::new();
    let mut drift = Vec::new();
    for order in orders {
        let events = histories.get(&order.id).map_or(&[][..], Vec::as_slice);
        match fold(events) {
            Err(problem) => gaps.push(format!("{}: {problem}", order.id)),
            Ok(folded) if folded.version == 0 => gaps.push(format!("{}: no events", order.id)),
            Ok(folded) => {
                let model = (
                    order.status.as_str(),
                    order.payment_status.as_str(),
                    order.stock_status.as_str(),
                    order.version,
                );
                if model != (folded.status, folded.payment, folded.stock, folded.version) {
                    drift.push(format!(
                        "{}: read model {model:?}, events fold to {folded:?}",
                        order.id
                    ));
                }
            }
        }
    }
    Ok(vec![
        Check::none_of(
            "every order's events: versions 1..n without gaps, created first",
            &gaps,
            format!("{event_count} events of {} orders", orders.len()),
        ),
        Check::none_of(
            "read model = fold of the events (status, payment, stock, version)",
            &drift,
            "every order",
        ),
    ])
}

async fn dead_letters(
    jetstream: &jetstream::Context,
    facts: &RunFacts,
) -> anyhow::Result<Vec<Check>> {
    let letters = dead_letters_since(jetstream, facts.dead_letters_before).await?;
    Ok(vec![Check::none_of(
        "no dead letter during the run",
        &letters,
        format!(
            "DEADLETTERS last sequence still {}",
            facts.dead_letters_before
        ),
    )])
}

async fn outboxes(pool: &PgPool) -> anyhow::Result<Vec<Check>> {
    let mut unsent = Vec::new();
    for schema in OUTBOXES {
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL"
        ))
        .fetch_one(pool)
        .await?;
        if count > 0 {
            unsent.push(format!("{schema}: {count}"));
        }
    }
    Ok(vec![Check::none_of(
        "every outbox relayed (no unsent row)",
        &unsent,
        "customers, inventory, payments, ordering: 0",
    )])
}

async fn consumers(jetstream: &jetstream::Context) -> anyhow::Result<Vec<Check>> {
    let mut behind = Vec::new();
    let mut figures = Vec::new();
    for (stream, durable) in CONSUMERS {
        let mut consumer: jetstream::consumer::Consumer<pull::Config> = jetstream
            .get_consumer_from_stream(durable, stream)
            .await
            .with_context(|| format!("consumer {durable} on {stream}"))?;
        let info = consumer.info().await?;
        figures.push(format!(
            "{durable}: {} pending, {} unacked, {} redelivered",
            info.num_pending, info.num_ack_pending, info.num_redelivered
        ));
        if info.num_pending > 0 || info.num_ack_pending > 0 {
            behind.push(durable);
        }
    }
    Ok(vec![Check::new(
        "every saga consumer caught up (nothing pending or unacknowledged)",
        behind.is_empty(),
        figures.join("; "),
    )])
}

/// The first few of `items`, for a report line.
fn sample(items: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut shown = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > SHOWN {
        shown.push_str(&format!("; and {} more", items.len() - SHOWN));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(types: &[&str]) -> Vec<(i32, String)> {
        types
            .iter()
            .enumerate()
            .map(|(index, event_type)| (index as i32 + 1, (*event_type).to_owned()))
            .collect()
    }

    #[test]
    fn a_delivered_history_folds_to_delivered_captured_committed() {
        let folded = fold(&events(&[
            "OrderCreated",
            "PaymentConfirmed",
            "StockReserved",
            "OrderAccepted",
            "OrderDelivered",
            "StockCommitted",
        ]))
        .unwrap();
        assert_eq!(
            (folded.status, folded.payment, folded.stock, folded.version),
            ("DELIVERED", "CAPTURED", "COMMITTED", 6)
        );
    }

    #[test]
    fn a_gap_in_the_versions_is_found() {
        let mut history = events(&["OrderCreated", "PaymentConfirmed", "StockReserved"]);
        history[2].0 = 4;
        assert!(fold(&history).unwrap_err().contains("version 4"));
    }

    #[test]
    fn a_history_must_start_with_the_creation() {
        assert!(fold(&events(&["PaymentConfirmed"])).is_err());
        assert!(fold(&events(&["OrderCreated", "OrderCreated"])).is_err());
    }

    fn state(status: &str, payment: &str, stock: &str) -> OrderState {
        OrderState {
            id: Uuid::nil(),
            customer_id: Uuid::nil(),
            request_id: None,
            status: status.to_owned(),
            payment_status: payment.to_owned(),
            stock_status: stock.to_owned(),
            reject_reason: None,
            version: 1,
            inventory: None,
            payment: None,
            payments_closed: false,
        }
    }

    #[test]
    fn a_cancelled_order_whose_stock_is_still_reserved_is_not_settled() {
        let mut order = state("CANCELLED", "VOIDED", "RESERVED");
        order.inventory = Some("RESERVED".to_owned());
        order.payment = Some("VOIDED".to_owned());
        order.payments_closed = true;
        assert!(order.unsettled_because().is_some());
        order.stock_status = "RELEASED".to_owned();
        order.inventory = Some("RELEASED".to_owned());
        assert_eq!(order.unsettled_because(), None);
    }

    #[test]
    fn an_order_cancelled_before_either_service_answered_is_settled_once_both_heard() {
        let mut order = state("CANCELLED", "PENDING", "PENDING");
        order.inventory = Some("CLOSED".to_owned());
        assert!(
            order.unsettled_because().is_some(),
            "payments has not closed it"
        );
        order.payments_closed = true;
        assert_eq!(order.unsettled_because(), None);
    }

    #[test]
    fn a_delivered_order_needs_the_capture_and_the_commit() {
        let mut order = state("DELIVERED", "CAPTURED", "RESERVED");
        order.inventory = Some("RESERVED".to_owned());
        order.payment = Some("CAPTURED".to_owned());
        assert!(order.unsettled_because().is_some());
        order.stock_status = "COMMITTED".to_owned();
        order.inventory = Some("COMMITTED".to_owned());
        assert_eq!(order.unsettled_because(), None);
    }
}
