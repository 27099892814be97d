//! `make chaos`: Plaza under faults. Against the running stack of `make run`, places a bounded
//! load of orders (each with its own `request_id`, retried across faults) on a shop whose stock
//! runs out, pays or cancels them as they are accepted, and meanwhile kills (`kill -9`) and
//! restarts each service, restarts NATS and Postgres, stops services with SIGTERM (checking
//! health goes NOT_SERVING and the process exits in its grace period), and does it again with
//! second instances of every service sharing the durable consumers and outboxes. Then it
//! settles every order and checks, from the services' own tables and JetStream, that nothing
//! was lost or done twice. Writes `chaos-output/report.md` (and prints it); exits non-zero
//! when a check fails.
//!
//! Usage: plaza-chaos [--orders N] [--rate R] [--stock UNITS] [--pause SECONDS]
//!                    [--downtime SECONDS] [--no-replicas] [--out DIR] [--quick]
//!
//! The shop is set up with an admin token signed with the stack's key
//! (`PLAZA_SIGNING_KEY_FILE`, by default `.run/keys/signing-key.pem`); each order is placed,
//! followed, paid and cancelled with its customer's own token.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    fmt::Write as _,
    io::Write as _,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use futures::{StreamExt, stream};
use plaza_load::{
    access::{self, Credential},
    drive::{self, CallError, OrderingInstances, Retried},
    faults::{self, HealthProbe, Replica, ShutdownSeen, ShutdownWatch},
    invariants::{self, Check, OrderState, RunFacts, Samples, StockSampler},
    outcomes::{Outcome, Outcomes},
    shop::{self, Customer, PaymentRequest, StockedShop},
    stack::{self, Stack},
    stats::{Latencies, millis},
};
use plaza_proto::ordering::v1::{
    CreateOrderRequest, Order as OrderMessage, OrderStatus, create_order_request::Item,
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use uuid::Uuid;

const SERVICES: [&str; 4] = ["customers", "inventory", "payments", "ordering"];
/// Products whose stock runs out during the run, and one that never does (so that orders keep
/// being accepted, and recovery can be timed, after the others are sold out).
const LIMITED_PRODUCTS: usize = 10;
const STAPLE_STOCK: i32 = 1_000_000;
/// Payments authorized per order the run must place: the load goes on past `--orders` while
/// faults remain, up to this many.
const TICKETS_PER_ORDER: usize = 2;
/// How long one order's CreateOrder, PayOrder or CancelOrder is retried.
const CALL_PATIENCE: Duration = Duration::from_secs(120);
/// How long an order is followed, from its creation, for its outcome.
const FOLLOW_PATIENCE: Duration = Duration::from_secs(100);
/// After this long without hearing an order's outcome on NATS, ask ordering.
const ASK_AFTER: Duration = Duration::from_secs(3);
/// How long a restarted service or NATS or Postgres gets to come back.
const COME_BACK: Duration = Duration::from_secs(120);
/// How long after a fault an order placed after it must be accepted.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(90);
/// Waiting for the orders still in hand once the load is over.
const DRAIN_DEADLINE: Duration = Duration::from_secs(150);
/// Settling every order once the load is over.
const SETTLE_DEADLINE: Duration = Duration::from_secs(150);
/// Extra time, beyond the shutdown grace, before a process that ignores SIGTERM is killed.
const EXIT_MARGIN: Duration = Duration::from_secs(5);
/// Replicas listen from here on (customers, inventory, payments, ordering: +1..+4).
const REPLICA_PORT_BASE: u16 = 51050;

#[derive(Debug, Clone)]
struct Options {
    orders: usize,
    rate: f64,
    stock: Option<i32>,
    pause: Duration,
    downtime: Duration,
    replicas: bool,
    out: PathBuf,
    quick: bool,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        orders: 2000,
        rate: 15.0,
        stock: None,
        pause: Duration::from_secs(6),
        downtime: Duration::from_secs(2),
        replicas: true,
        out: PathBuf::from("chaos-output"),
        quick: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--orders" => options.orders = value()?.parse()?,
            "--rate" => options.rate = value()?.parse()?,
            "--stock" => options.stock = Some(value()?.parse()?),
            "--pause" => options.pause = Duration::from_secs_f64(value()?.parse()?),
            "--downtime" => options.downtime = Duration::from_secs_f64(value()?.parse()?),
            "--no-replicas" => options.replicas = false,
            "--out" => options.out = PathBuf::from(value()?),
            "--quick" => {
                options.quick = true;
                options.orders = 600;
                options.rate = 8.0;
                options.pause = Duration::from_secs(3);
                options.downtime = Duration::from_secs(1);
            }
            other => bail!(
                "unknown argument {other} (usage: plaza-chaos [--orders N] [--rate R] [--stock UNITS] [--pause SECONDS] [--downtime SECONDS] [--no-replicas] [--out DIR] [--quick])"
            ),
        }
    }
    anyhow::ensure!(options.orders > 0, "--orders must be at least 1");
    anyhow::ensure!(options.rate > 0.0, "--rate must be positive");
    Ok(options)
}

// --- The run's books ---------------------------------------------------------------------

/// What the run does with an order once it is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Pay,
    Cancel,
    /// Cancelled right after CreateOrder answered, racing the saga.
    CancelEarly,
    /// Left ACCEPTED until the end, then paid or cancelled.
    Leave,
}

/// Half the orders are paid once accepted, a fifth cancelled, one in twenty cancelled at once,
/// the rest left until the end.
fn plan_of(index: usize) -> Plan {
    match pick(index, 6, 20) {
        0..=9 => Plan::Pay,
        10..=13 => Plan::Cancel,
        14 => Plan::CancelEarly,
        _ => Plan::Leave,
    }
}

/// A number in `0..count` that depends on the order's index and on `what` is chosen, so that
/// an order's product, lines, payment and plan are independent of each other and yet the
/// same in every run (SplitMix64).
fn pick(index: usize, what: u64, count: usize) -> usize {
    let mut z = (index as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(what.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % count as u64) as usize
}

/// One order to place: who, with which payment, what.
#[derive(Debug, Clone)]
struct Basket {
    customer: Customer,
    payment_id: String,
    items: Vec<(String, i32)>,
    request_id: String,
    plan: Plan,
}

/// How an order's saga ended as the run heard it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heard {
    Accepted,
    Rejected,
    /// Already past ACCEPTED or REJECTED when ordering was asked (cancelled early, say).
    Other,
}

#[derive(Debug, Clone, Default)]
struct OrderRecord {
    first_attempt: Option<Instant>,
    order: Option<Uuid>,
    answered: Option<Instant>,
    create_error: Option<CallError>,
    outcome: Option<(Heard, Instant)>,
    /// The pay or cancel call made for the order and how it ended.
    action: Option<(Plan, Result<(), CallError>)>,
}

/// Everything the run's tasks write down.
#[derive(Debug, Default)]
struct Books {
    orders: Vec<OrderRecord>,
    /// Attempts retried, by call and code.
    retried: BTreeMap<(&'static str, String), usize>,
    /// Calls that failed for good, by call and code.
    failed: BTreeMap<(&'static str, String), usize>,
    read_back: usize,
    /// Early cancellations refused because the order was already rejected or accepted.
    cancel_too_late: usize,
}

#[derive(Debug, Clone)]
struct Ctx {
    books: Arc<Mutex<Books>>,
    ordering: OrderingInstances,
    outcomes: Outcomes,
}

impl Ctx {
    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count<T>(&self, call: &'static str, retried: &Retried<T>) {
        let mut books = self.books();
        for code in &retried.retried {
            *books
                .retried
                .entry((call, format!("{code:?}")))
                .or_default() += 1;
        }
        if let Err(error) = &retried.result {
            *books
                .failed
                .entry((call, format!("{:?}", error.code)))
                .or_default() += 1;
        }
        if retried.read_back {
            books.read_back += 1;
        }
    }

    /// The first order placed (first attempted) at or after `since` that was accepted: when.
    fn first_accepted_since(&self, since: Instant) -> Option<Instant> {
        self.books()
            .orders
            .iter()
            .filter(|record| record.first_attempt.is_some_and(|at| at >= since))
            .filter_map(|record| match record.outcome {
                Some((Heard::Accepted, at)) => Some(at),
                _ => None,
            })
            .min()
    }

    async fn wait_recovered(&self, since: Instant) -> Option<Duration> {
        let deadline = Instant::now() + RECOVERY_DEADLINE;
        loop {
            if let Some(at) = self.first_accepted_since(since) {
                return Some(at.saturating_duration_since(since));
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Places one order and follows it: cancels it at once, or waits for its outcome and pays or
/// cancels it as planned.
async fn place_and_follow(ctx: Ctx, index: usize, basket: Basket) {
    let first_attempt = Instant::now();
    ctx.books().orders[index].first_attempt = Some(first_attempt);
    let credential = &basket.customer.credential;
    let request = CreateOrderRequest {
        customer_id: basket.customer.id.clone(),
        payment_id: basket.payment_id.clone(),
        items: basket
            .items
            .iter()
            .map(|(product_id, quantity)| Item {
                product_id: product_id.clone(),
                quantity: *quantity,
            })
            .collect(),
        request_id: basket.request_id.clone(),
    };
    let created = drive::create_order(
        &ctx.ordering,
        credential,
        request,
        first_attempt + CALL_PATIENCE,
    )
    .await;
    ctx.count("CreateOrder", &created);
    let order = match created.result.map(|order| Uuid::parse_str(&order.id)) {
        Ok(Ok(order)) => order,
        Ok(Err(error)) => {
            ctx.books().orders[index].create_error = Some(CallError {
                code: Code::Internal,
                message: format!("a malformed order id: {error}"),
            });
            return;
        }
        Err(error) => {
            ctx.books().orders[index].create_error = Some(error);
            return;
        }
    };
    {
        let mut books = ctx.books();
        books.orders[index].order = Some(order);
        books.orders[index].answered = Some(Instant::now());
    }
    if basket.plan == Plan::CancelEarly {
        act(&ctx, credential, index, order, Plan::CancelEarly).await;
        return;
    }
    let Some(heard) = wait_outcome(&ctx, credential, order, Instant::now() + FOLLOW_PATIENCE).await
    else {
        return;
    };
    ctx.books().orders[index].outcome = Some(heard);
    if heard.0 == Heard::Accepted && matches!(basket.plan, Plan::Pay | Plan::Cancel) {
        act(&ctx, credential, index, order, basket.plan).await;
    }
}

async fn act(ctx: &Ctx, credential: &Credential, index: usize, order: Uuid, plan: Plan) {
    let deadline = Instant::now() + CALL_PATIENCE;
    let (call, mut done) = match plan {
        Plan::Pay => (
            "PayOrder",
            drive::pay_order(&ctx.ordering, credential, order, deadline).await,
        ),
        _ => (
            "CancelOrder",
            drive::cancel_order(&ctx.ordering, credential, order, deadline).await,
        ),
    };
    // A cancellation sent right after the creation may find the saga already over (the order
    // rejected): ordering rightly refuses it.
    let too_late = plan == Plan::CancelEarly
        && matches!(&done.result, Err(error) if error.code == Code::FailedPrecondition);
    if too_late {
        done.result = Ok(OrderMessage::default());
        ctx.books().cancel_too_late += 1;
    }
    ctx.count(call, &done);
    ctx.books().orders[index].action = Some((plan, done.result.map(|_| ())));
}

/// The order's outcome: heard on NATS, or (when nothing was heard for a while, as when NATS
/// restarted) read from ordering as its customer.
async fn wait_outcome(
    ctx: &Ctx,
    credential: &Credential,
    order: Uuid,
    deadline: Instant,
) -> Option<(Heard, Instant)> {
    let mut next_ask = Instant::now() + ASK_AFTER;
    loop {
        match ctx.outcomes.get(&order) {
            Some((Outcome::Accepted, at)) => return Some((Heard::Accepted, at)),
            Some((Outcome::Rejected, at)) => return Some((Heard::Rejected, at)),
            None => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        if now >= next_ask {
            next_ask = now + ASK_AFTER;
            let read = drive::get_order(
                &ctx.ordering,
                credential,
                order,
                now + Duration::from_secs(2),
            )
            .await;
            if let Ok(found) = read.result {
                let heard = match OrderStatus::try_from(found.status) {
                    Ok(OrderStatus::Pending) | Err(_) => None,
                    Ok(OrderStatus::Accepted) => Some(Heard::Accepted),
                    Ok(OrderStatus::Rejected) => Some(Heard::Rejected),
                    Ok(_) => Some(Heard::Other),
                };
                if let Some(heard) = heard {
                    return Some((heard, Instant::now()));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Places orders at `rate` per second: at least `orders`, and on while the faults last (up to
/// the baskets prepared). Returns the tasks following each order.
async fn drive_load(
    ctx: Ctx,
    baskets: Arc<Vec<Basket>>,
    orders: usize,
    rate: f64,
    faults_done: CancellationToken,
) -> JoinSet<()> {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let mut tasks = JoinSet::new();
    for (index, basket) in baskets.iter().enumerate() {
        if index >= orders && faults_done.is_cancelled() {
            break;
        }
        tokio::time::sleep_until(start + interval.mul_f64(index as f64)).await;
        tasks.spawn(place_and_follow(ctx.clone(), index, basket.clone()));
        if index + 1 == baskets.len() && !faults_done.is_cancelled() {
            progress(&format!(
                "warning: all {} prepared orders placed while faults remain; raise --rate or --orders",
                baskets.len()
            ));
        }
    }
    tasks
}

// --- Faults ------------------------------------------------------------------------------

/// How a process stopped after SIGTERM.
#[derive(Debug, Clone, Default)]
struct Shutdown {
    seen: ShutdownSeen,
    exited_after: Option<Duration>,
    /// `exit status 0`, `log: stopped cleanly`, ...
    exit: String,
    clean: bool,
}

#[derive(Debug, Clone)]
struct Fault {
    name: String,
    kind: &'static str,
    /// Seconds from the start of the load.
    at: f64,
    injected: Instant,
    /// When the fault took effect: the kill or signal, or the server stopped (a restart's
    /// stop takes a while). Recovery is timed from here.
    effective: Instant,
    /// From the fault to the process, server or port being back (SERVING for a service).
    back_after: Option<Duration>,
    /// From the fault to the first order placed after it being accepted.
    recovered_after: Option<Duration>,
    shutdown: Option<Shutdown>,
    /// Whether the run waited for an order placed after the fault to be accepted.
    awaited_recovery: bool,
    problems: Vec<String>,
}

impl Fault {
    fn new(name: String, kind: &'static str, load_start: Instant) -> Self {
        let injected = Instant::now();
        progress(&format!("fault: {name}"));
        Self {
            name,
            kind,
            at: injected.saturating_duration_since(load_start).as_secs_f64(),
            injected,
            effective: injected,
            back_after: None,
            recovered_after: None,
            shutdown: None,
            awaited_recovery: false,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, problem: String) {
        progress(&format!("  problem: {problem}"));
        self.problems.push(problem);
    }

    async fn recover(&mut self, ctx: &Ctx) {
        self.awaited_recovery = true;
        self.recovered_after = ctx.wait_recovered(self.effective).await;
        match self.recovered_after {
            Some(after) => progress(&format!(
                "  recovered: an order placed after the fault took effect accepted {:.2}s after it",
                after.as_secs_f64()
            )),
            None => self.problem(format!(
                "no order placed after the fault was accepted within {}s",
                RECOVERY_DEADLINE.as_secs()
            )),
        }
    }
}

/// The chaos run's hold on the stack: where things are, and what it started itself.
#[derive(Debug)]
struct Chaos {
    root: PathBuf,
    stack: Stack,
    logs: PathBuf,
    options: Options,
    ctx: Ctx,
    load_start: Instant,
    faults: Vec<Fault>,
    replicas: Vec<Replica>,
    restarts: usize,
    kills: usize,
    sigterms: usize,
}

impl Chaos {
    fn address(&self, service: &str) -> String {
        let url = match service {
            "customers" => &self.stack.customers,
            "inventory" => &self.stack.inventory,
            "payments" => &self.stack.payments,
            _ => &self.stack.ordering,
        };
        url.trim_start_matches("http://").to_owned()
    }

    /// Keeps the log of the instance run.sh is about to restart (run.sh keeps only one old
    /// log), for a report's evidence.
    fn save_log(&self, service: &str) {
        let from = self.root.join(format!(".run/logs/{service}.log"));
        let to = self.logs.join(format!(
            "{service}.before-fault-{}.log",
            self.faults.len() + 1
        ));
        if let Err(error) = std::fs::copy(&from, &to) {
            progress(&format!("  could not keep {}: {error}", from.display()));
        }
    }

    async fn restart_with_run_sh(&mut self, fault: &mut Fault, service: &str) {
        self.save_log(service);
        let log = self.logs.join("run-sh.log");
        match faults::run_sh(&self.root, &[service], &log, COME_BACK).await {
            Ok(()) => self.restarts += 1,
            Err(error) => {
                fault.problem(format!("{service} did not come back: {error:#}"));
                return;
            }
        }
        self.wait_serving(fault, &self.address(service)).await;
    }

    async fn wait_serving(&self, fault: &mut Fault, address: &str) {
        let back = match HealthProbe::new(address) {
            Ok(probe) => {
                probe
                    .wait_serving(fault.injected, Instant::now() + COME_BACK)
                    .await
            }
            Err(_) => None,
        };
        fault.back_after = back;
        match back {
            Some(after) => progress(&format!(
                "  {address} SERVING {:.2}s after the fault",
                after.as_secs_f64()
            )),
            None => fault.problem(format!(
                "{address} not SERVING within {}s",
                COME_BACK.as_secs()
            )),
        }
    }

    /// `kill -9` the run.sh instance of `service`, leave it down for the downtime, restart it
    /// with run.sh.
    async fn kill_service(&mut self, service: &str) {
        let mut fault = Fault::new(format!("kill -9 {service}"), "kill", self.load_start);
        let Some(pid) = stack::pid_file_process(&self.stack, service) else {
            fault.problem(format!("{service} is not running (no live pid in .run/)"));
            self.faults.push(fault);
            return;
        };
        match faults::signal(pid, "KILL") {
            Ok(()) => self.kills += 1,
            Err(error) => fault.problem(format!("{error:#}")),
        }
        if faults::wait_gone(pid, fault.injected, Instant::now() + Duration::from_secs(5))
            .await
            .is_none()
        {
            fault.problem(format!("pid {pid} still runs after SIGKILL"));
        }
        // The outage itself: the service stays down this long.
        tokio::time::sleep(self.options.downtime).await;
        self.restart_with_run_sh(&mut fault, service).await;
        fault.recover(&self.ctx).await;
        self.faults.push(fault);
    }

    /// SIGTERM the run.sh instance of `service` under load, watch its health and its exit,
    /// restart it with run.sh.
    async fn sigterm_service(&mut self, service: &str) {
        let mut fault = Fault::new(format!("SIGTERM {service}"), "sigterm", self.load_start);
        let address = self.address(service);
        let Some(pid) = stack::pid_file_process(&self.stack, service) else {
            fault.problem(format!("{service} is not running (no live pid in .run/)"));
            self.faults.push(fault);
            return;
        };
        let watch = ShutdownWatch::open(&address).await;
        let at = Instant::now();
        fault.injected = at;
        fault.effective = at;
        if let Err(error) = faults::signal(pid, "TERM") {
            fault.problem(format!("{error:#}"));
        }
        self.sigterms += 1;
        let seen = match watch {
            Ok(watch) => Some(watch.signalled(at)),
            Err(error) => {
                fault.problem(format!("cannot watch {address}'s health: {error:#}"));
                None
            }
        };
        let gone = faults::wait_gone(pid, at, at + faults::SHUTDOWN_GRACE + EXIT_MARGIN).await;
        let mut shutdown = Shutdown::default();
        match gone {
            Some((after, status)) => {
                shutdown.exited_after = Some(after);
                let log = self.root.join(format!(".run/logs/{service}.log"));
                (shutdown.exit, shutdown.clean) = match status {
                    Some(status) => describe_wait_status(status),
                    None => log_says(&log),
                };
            }
            None => {
                let _ = faults::signal(pid, "KILL");
                shutdown.exit = "still running after the grace period: killed".to_owned();
            }
        }
        if let Some(seen) = seen {
            shutdown.seen = seen.await.unwrap_or_default();
        }
        judge_shutdown(&mut fault, &shutdown);
        fault.shutdown = Some(shutdown);
        self.restart_with_run_sh(&mut fault, service).await;
        fault.recover(&self.ctx).await;
        self.faults.push(fault);
    }

    /// Stops NATS, leaves it down for the downtime, starts it again (its JetStream store,
    /// streams and durable consumers survive).
    async fn restart_nats(&mut self) {
        let mut fault = Fault::new("restart NATS".to_owned(), "restart", self.load_start);
        let log = self.logs.join("nats-restart.log");
        if let Err(error) = faults::stop_nats(&log).await {
            fault.problem(format!("{error:#}"));
        }
        self.end_outage(
            fault,
            "NATS",
            faults::NATS_ADDRESS,
            faults::start_nats(&log),
        )
        .await;
    }

    /// Stops Postgres (fast: sessions cut, transactions in flight rolled back), leaves it down
    /// for the downtime, starts it again.
    async fn restart_postgres(&mut self) {
        let mut fault = Fault::new("restart Postgres".to_owned(), "restart", self.load_start);
        let log = self.logs.join("postgres-restart.log");
        let version = match faults::postgres_version() {
            Ok(version) => version,
            Err(error) => {
                fault.problem(format!("{error:#}"));
                self.faults.push(fault);
                return;
            }
        };
        if let Err(error) = faults::postgres(&version, "stop", &log).await {
            fault.problem(format!("{error:#}"));
        }
        let start = faults::postgres(&version, "start", &log);
        self.end_outage(fault, "Postgres", faults::POSTGRES_ADDRESS, start)
            .await;
    }

    /// The rest of an outage whose stop has run: the downtime, `start`, then the wait until
    /// `what` takes connections on `address` again and the saga recovers.
    async fn end_outage(
        &mut self,
        mut fault: Fault,
        what: &str,
        address: &str,
        start: impl Future<Output = anyhow::Result<()>>,
    ) {
        fault.effective = Instant::now();
        // The outage itself.
        tokio::time::sleep(self.options.downtime).await;
        match start.await {
            Ok(()) => self.restarts += 1,
            Err(error) => fault.problem(format!("{error:#}")),
        }
        fault.back_after =
            faults::wait_tcp(address, fault.injected, Instant::now() + COME_BACK).await;
        if fault.back_after.is_none() {
            fault.problem(format!("{what} does not accept connections"));
        }
        fault.recover(&self.ctx).await;
        self.faults.push(fault);
    }

    /// Starts a second instance of every service, as children of this process, with the
    /// keys of `make run`'s instances (`.run/keys`), as run.sh starts them.
    async fn start_replicas(&mut self) -> anyhow::Result<()> {
        let release = faults::release_dir(&self.root);
        let keys = &self.stack.keys_dir;
        let service_token = std::fs::read_to_string(keys.join("ordering-service.token"))
            .with_context(|| format!("reading ordering's service token in {}", keys.display()))?;
        let mut fault = Fault::new(
            "start a replica of every service".to_owned(),
            "replicas",
            self.load_start,
        );
        for (offset, service) in (1u16..).zip(SERVICES) {
            let port = faults::free_port(REPLICA_PORT_BASE + offset)?;
            let address = format!("127.0.0.1:{port}");
            let prefix = format!("PLAZA_{}", service.to_uppercase());
            let mut env = vec![(
                format!("{prefix}__AUTH__JWKS_FILE"),
                keys.join("jwks.json").display().to_string(),
            )];
            if service == "customers" {
                env.push((
                    format!("{prefix}__AUTH__SIGNING_KEY_FILE"),
                    keys.join("signing-key.pem").display().to_string(),
                ));
            }
            if service == "ordering" {
                env.push((
                    format!("{prefix}__AUTH__SERVICE_TOKEN"),
                    service_token.trim().to_owned(),
                ));
                for upstream in ["customers", "inventory", "payments"] {
                    env.push((
                        format!("PLAZA_ORDERING__UPSTREAM__{}", upstream.to_uppercase()),
                        faults::url(&self.address(upstream)),
                    ));
                }
            }
            let log = self.logs.join(format!("{service}-replica.log"));
            let replica = Replica::spawn(service, &release.join(service), &address, &env, &log)?;
            progress(&format!(
                "  {service} replica on {address} (pid {}), log {}",
                replica.pid().unwrap_or_default(),
                log.display()
            ));
            self.replicas.push(replica);
        }
        for index in 0..self.replicas.len() {
            let address = self.replicas[index].address.clone();
            self.wait_serving(&mut fault, &address).await;
        }
        let ordering = self.replica("ordering")?.address.clone();
        self.ctx.ordering.add(&faults::url(&ordering))?;
        progress(&format!(
            "  orders now go to {}",
            self.ctx.ordering.addresses().join(" and ")
        ));
        fault.recover(&self.ctx).await;
        self.faults.push(fault);
        Ok(())
    }

    fn replica(&self, service: &str) -> anyhow::Result<&Replica> {
        self.replicas
            .iter()
            .find(|replica| replica.service == service)
            .with_context(|| format!("no {service} replica"))
    }

    fn replica_index(&self, service: &str) -> Option<usize> {
        self.replicas
            .iter()
            .position(|replica| replica.service == service)
    }

    /// SIGTERM a replica (our child, so its exit status is known); `restart` starts it again.
    async fn sigterm_replica(&mut self, service: &str, restart: bool) {
        let mut fault = Fault::new(
            format!("SIGTERM {service} replica"),
            "sigterm",
            self.load_start,
        );
        let Some(index) = self.replica_index(service) else {
            fault.problem(format!("no {service} replica"));
            self.faults.push(fault);
            return;
        };
        let address = self.replicas[index].address.clone();
        let watch = ShutdownWatch::open(&address).await;
        let at = Instant::now();
        fault.injected = at;
        fault.effective = at;
        if let Err(error) = self.replicas[index].signal("TERM") {
            fault.problem(format!("{error:#}"));
        }
        self.sigterms += 1;
        let seen = match watch {
            Ok(watch) => Some(watch.signalled(at)),
            Err(error) => {
                fault.problem(format!("cannot watch {address}'s health: {error:#}"));
                None
            }
        };
        let mut shutdown = Shutdown::default();
        match self.replicas[index]
            .wait_exit(at, at + faults::SHUTDOWN_GRACE + EXIT_MARGIN)
            .await
        {
            Some((after, status)) => {
                shutdown.exited_after = Some(after);
                shutdown.clean = status.success();
                shutdown.exit = status
                    .code()
                    .map_or_else(|| format!("{status}"), |code| format!("exit status {code}"));
            }
            None => {
                let _ = self.replicas[index].signal("KILL");
                let _ = self.replicas[index]
                    .wait_exit(at, Instant::now() + Duration::from_secs(5))
                    .await;
                shutdown.exit = "still running after the grace period: killed".to_owned();
            }
        }
        if let Some(seen) = seen {
            shutdown.seen = seen.await.unwrap_or_default();
        }
        judge_shutdown(&mut fault, &shutdown);
        fault.shutdown = Some(shutdown);
        if restart {
            self.respawn_replica(&mut fault, index).await;
            fault.recover(&self.ctx).await;
        } else if service == "ordering" {
            self.ctx.ordering.remove(&faults::url(&address));
        }
        self.faults.push(fault);
    }

    async fn kill_replica(&mut self, service: &str) {
        let mut fault = Fault::new(
            format!("kill -9 {service} replica"),
            "kill",
            self.load_start,
        );
        let Some(index) = self.replica_index(service) else {
            fault.problem(format!("no {service} replica"));
            self.faults.push(fault);
            return;
        };
        match self.replicas[index].signal("KILL") {
            Ok(()) => self.kills += 1,
            Err(error) => fault.problem(format!("{error:#}")),
        }
        let at = fault.injected;
        if self.replicas[index]
            .wait_exit(at, Instant::now() + Duration::from_secs(5))
            .await
            .is_none()
        {
            fault.problem(format!("the {service} replica still runs after SIGKILL"));
        }
        tokio::time::sleep(self.options.downtime).await;
        self.respawn_replica(&mut fault, index).await;
        fault.recover(&self.ctx).await;
        self.faults.push(fault);
    }

    async fn respawn_replica(&mut self, fault: &mut Fault, index: usize) {
        match self.replicas[index].respawn() {
            Ok(()) => self.restarts += 1,
            Err(error) => {
                fault.problem(format!("cannot restart the replica: {error:#}"));
                return;
            }
        }
        let address = self.replicas[index].address.clone();
        self.wait_serving(fault, &address).await;
    }

    async fn pause(&self) {
        // The time between two faults, in which the load runs undisturbed.
        tokio::time::sleep(self.options.pause).await;
    }

    /// The whole schedule of faults, one after the other, each waited out.
    async fn inject(&mut self) -> anyhow::Result<()> {
        for service in SERVICES {
            self.kill_service(service).await;
            self.pause().await;
        }
        self.restart_nats().await;
        self.pause().await;
        self.restart_postgres().await;
        self.pause().await;
        for service in ["payments", "ordering"] {
            self.sigterm_service(service).await;
            self.pause().await;
        }
        if self.options.replicas {
            self.start_replicas().await?;
            self.pause().await;
            for service in ["ordering", "payments"] {
                self.sigterm_replica(service, true).await;
                self.pause().await;
            }
            for service in ["inventory", "ordering"] {
                self.kill_replica(service).await;
                self.pause().await;
            }
            // The first payments instance dies while its replica carries the saga alone.
            self.kill_service("payments").await;
            self.pause().await;
            for service in SERVICES {
                self.sigterm_replica(service, false).await;
            }
        }
        Ok(())
    }
}

fn judge_shutdown(fault: &mut Fault, shutdown: &Shutdown) {
    if shutdown.seen.not_serving().is_none() {
        fault.problem("health never answered NOT_SERVING after SIGTERM".to_owned());
    }
    match shutdown.exited_after {
        Some(after) if after <= faults::SHUTDOWN_GRACE => {}
        Some(after) => fault.problem(format!(
            "exited {:.1}s after SIGTERM, beyond the {}s grace",
            after.as_secs_f64(),
            faults::SHUTDOWN_GRACE.as_secs()
        )),
        None => fault.problem("did not exit after SIGTERM".to_owned()),
    }
    if !shutdown.clean {
        fault.problem(format!("did not stop cleanly: {}", shutdown.exit));
    }
    progress(&format!(
        "  NOT_SERVING seen after {} ms (watch {}, check {}), watch ended after {} ms, unreachable after {} ms, exited after {} ms: {}",
        millis(shutdown.seen.not_serving()),
        millis(shutdown.seen.watch_not_serving),
        millis(shutdown.seen.check_not_serving),
        millis(shutdown.seen.watch_ended),
        millis(shutdown.seen.unreachable),
        millis(shutdown.exited_after),
        shutdown.exit
    ));
}

/// A wait status read from /proc (a zombie's): `exit status N` or `killed by signal N`.
fn describe_wait_status(status: i32) -> (String, bool) {
    let signal = status & 0x7f;
    if signal == 0 {
        let code = (status >> 8) & 0xff;
        (format!("exit status {code}"), code == 0)
    } else {
        (format!("killed by signal {signal}"), false)
    }
}

/// The exit of a process that is not our child, as its log tells it: the service logs
/// `stopped` after a clean shutdown, and `stopped with an error` or the grace period
/// otherwise.
fn log_says(log: &Path) -> (String, bool) {
    let Ok(text) = std::fs::read_to_string(log) else {
        return (
            format!("exit status unknown ({} unreadable)", log.display()),
            false,
        );
    };
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    let failed = tail.iter().find(|line| {
        line.contains("stopped with an error") || line.contains("did not stop within")
    });
    if let Some(line) = failed {
        return (format!("log: {}", line.trim()), false);
    }
    if tail.iter().any(|line| line.contains("stopped")) {
        (
            "exit status unknown (not our child); log: stopped cleanly".to_owned(),
            true,
        )
    } else {
        (
            "exit status unknown (not our child); the log does not say stopped".to_owned(),
            false,
        )
    }
}

// --- Preparing -------------------------------------------------------------------------------

fn progress(message: &str) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(Instant::now);
    eprintln!("[{:>7.1}s] {message}", start.elapsed().as_secs_f64());
}

/// Digits that keep this run's names and phone numbers apart from earlier runs'.
fn run_label() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    format!("{:010}", millis % 10_000_000_000)
}

/// The units each limited product starts with: enough that about a quarter of all orders
/// find their product sold out.
fn default_stock(orders: usize) -> i32 {
    i32::try_from((orders * 36).div_ceil(1000))
        .unwrap_or(i32::MAX)
        .max(5)
}

/// The baskets of the run: one in four orders buys the staple (never sold out), the others
/// one of the limited products (one in eight of them a second one too); about one in 25
/// payments is a cent short of the total.
fn baskets(shop: &StockedShop, label: &str, count: usize) -> (Vec<Basket>, Vec<PaymentRequest>) {
    let staple = &shop.products[LIMITED_PRODUCTS];
    let mut baskets = Vec::with_capacity(count);
    let mut payments = Vec::with_capacity(count);
    for index in 0..count {
        let customer = &shop.customers[index % shop.customers.len()];
        let mut lines = Vec::new();
        if pick(index, 1, 4) == 0 {
            lines.push(staple);
        } else {
            let product = pick(index, 2, LIMITED_PRODUCTS);
            lines.push(&shop.products[product]);
            if pick(index, 3, 8) == 0 {
                let other = (product + 1 + pick(index, 4, LIMITED_PRODUCTS - 1)) % LIMITED_PRODUCTS;
                lines.push(&shop.products[other]);
            }
        }
        let total: i64 = lines.iter().map(|product| product.price_cents).sum();
        let amount_cents = if pick(index, 5, 25) == 0 {
            total - 1
        } else {
            total
        };
        payments.push(PaymentRequest {
            customer: customer.clone(),
            amount_cents,
            request_id: format!("chaos-{label}-pay-{index}"),
        });
        baskets.push(Basket {
            customer: customer.clone(),
            payment_id: String::new(),
            items: lines
                .iter()
                .map(|product| (product.id.clone(), 1))
                .collect(),
            request_id: format!("chaos-{label}-order-{index}"),
            plan: plan_of(index),
        });
    }
    (baskets, payments)
}

/// Fails unless every service of the stack runs from run.sh's pid files and is SERVING.
async fn check_stack(stack: &Stack) -> anyhow::Result<()> {
    for (service, url) in [
        ("customers", &stack.customers),
        ("inventory", &stack.inventory),
        ("payments", &stack.payments),
        ("ordering", &stack.ordering),
    ] {
        stack::pid_file_process(stack, service).with_context(|| {
            format!("{service} is not running from .run/{service}.pid: start the stack (make run)")
        })?;
        let probe = HealthProbe::new(url)?;
        probe
            .wait_serving(Instant::now(), Instant::now() + Duration::from_secs(30))
            .await
            .with_context(|| format!("{service} is not SERVING on {url}"))?;
    }
    Ok(())
}

// --- After the load --------------------------------------------------------------------------

/// Pays or cancels every order of the run still ACCEPTED, as its customer (as planned; an
/// order whose payment was already captured is paid, since cancelling it could not give the
/// money back), then waits until every order is settled. The orders as they are at the end.
async fn settle(
    ctx: &Ctx,
    pool: &sqlx::PgPool,
    customers: &[Uuid],
    credentials: &HashMap<Uuid, Credential>,
    plans: &HashMap<Uuid, Plan>,
) -> anyhow::Result<(Vec<OrderState>, usize)> {
    let deadline = Instant::now() + SETTLE_DEADLINE;
    let mut closed = HashSet::new();
    loop {
        let orders = invariants::orders_of(pool, customers).await?;
        let accepted: Vec<&OrderState> = orders
            .iter()
            .filter(|order| order.status == "ACCEPTED" && !closed.contains(&order.id))
            .collect();
        if !accepted.is_empty() {
            progress(&format!(
                "paying or cancelling {} orders still ACCEPTED",
                accepted.len()
            ));
        }
        let calls: Vec<(Uuid, bool, &Credential)> = accepted
            .iter()
            .filter_map(|order| {
                let pay = order.payment.as_deref() == Some("CAPTURED")
                    || match plans.get(&order.id) {
                        Some(Plan::Cancel | Plan::CancelEarly) => false,
                        Some(Plan::Pay) => true,
                        // Left until now: half paid, half cancelled.
                        _ => order.id.as_u128() % 2 == 0,
                    };
                let credential = credentials.get(&order.customer_id);
                if credential.is_none() {
                    progress(&format!(
                        "  order {}: no credential for its customer {}",
                        order.id, order.customer_id
                    ));
                }
                Some((order.id, pay, credential?))
            })
            .collect();
        stream::iter(calls)
            .for_each_concurrent(16, |(id, pay, credential)| async move {
                let deadline = Instant::now() + CALL_PATIENCE;
                let (call, done) = if pay {
                    (
                        "PayOrder",
                        drive::pay_order(&ctx.ordering, credential, id, deadline).await,
                    )
                } else {
                    (
                        "CancelOrder",
                        drive::cancel_order(&ctx.ordering, credential, id, deadline).await,
                    )
                };
                ctx.count(call, &done);
                if let Err(error) = done.result {
                    progress(&format!("  {call} {id}: {error}"));
                }
            })
            .await;
        closed.extend(accepted.iter().map(|order| order.id));
        let unsettled = orders
            .iter()
            .filter(|order| order.unsettled_because().is_some())
            .count();
        if unsettled == 0 && accepted.is_empty() {
            return Ok((orders, closed.len()));
        }
        if Instant::now() >= deadline {
            progress(&format!(
                "{unsettled} orders still not settled; giving up waiting"
            ));
            return Ok((invariants::orders_of(pool, customers).await?, closed.len()));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits (a while) for the saga's consumers to have nothing pending, so that the check reads
/// a quiet system.
async fn consumers_quiet(jetstream: &async_nats::jetstream::Context) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut quiet = true;
        for (stream, durable) in invariants::CONSUMERS {
            let consumer: Result<async_nats::jetstream::consumer::PullConsumer, _> =
                jetstream.get_consumer_from_stream(durable, stream).await;
            quiet &= match consumer {
                Ok(mut consumer) => consumer
                    .info()
                    .await
                    .is_ok_and(|info| info.num_pending == 0 && info.num_ack_pending == 0),
                Err(_) => false,
            };
        }
        if quiet || Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

// --- The report ------------------------------------------------------------------------------

#[derive(Debug)]
struct Figures {
    command: String,
    when: String,
    label: String,
    load_seconds: f64,
    sent: usize,
    orders: Vec<OrderState>,
    accepted_ever: usize,
    closed_at_end: usize,
    products: Vec<(String, i32)>,
    final_stock: HashMap<Uuid, (i32, i32)>,
    samples: Samples,
    to_outcome: Latencies,
}

fn report(figures: &Figures, books: &Books, chaos: &Chaos, checks: &[Check]) -> String {
    let mut out = String::new();
    let passed = checks.iter().filter(|check| check.passed).count();
    let _ = writeln!(out, "# Plaza chaos run\n");
    let _ = writeln!(
        out,
        "`{}` on {}, run `{}`, against the stack of `make run` (release build, one 2-core machine). \
         **{passed} of {} checks passed.**\n",
        figures.command,
        figures.when,
        figures.label,
        checks.len()
    );

    let count = |status: &str| {
        figures
            .orders
            .iter()
            .filter(|order| order.status == status)
            .count()
    };
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for order in &figures.orders {
        if let Some(reason) = &order.reject_reason {
            *reasons.entry(reason.clone()).or_default() += 1;
        }
    }
    let created = books
        .orders
        .iter()
        .filter(|record| record.order.is_some())
        .count();
    let create_failed = books
        .orders
        .iter()
        .filter(|record| record.create_error.is_some())
        .count();
    let _ = writeln!(out, "## Orders\n");
    let _ = writeln!(
        out,
        "| placed | created | CreateOrder failed | ever ACCEPTED | REJECTED | DELIVERED | CANCELLED | other | paid or cancelled at the end |"
    );
    let _ = writeln!(
        out,
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let terminal = count("REJECTED") + count("DELIVERED") + count("CANCELLED");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        figures.sent,
        created,
        create_failed,
        figures.accepted_ever,
        count("REJECTED"),
        count("DELIVERED"),
        count("CANCELLED"),
        figures.orders.len() - terminal,
        figures.closed_at_end
    );
    let rejected = count("REJECTED").max(1) as f64;
    let _ = writeln!(
        out,
        "Rejections: {}. Out of stock: {:.0} % of the orders. {} orders in {:.0} s of load ({:.1}/s); \
         each limited product started with {} units, the staple with {}.\n",
        reasons
            .iter()
            .map(|(reason, count)| format!(
                "{reason} {count} ({:.0} %)",
                100.0 * *count as f64 / rejected
            ))
            .collect::<Vec<_>>()
            .join(", "),
        100.0 * reasons.get("OUT_OF_STOCK").copied().unwrap_or_default() as f64
            / figures.orders.len().max(1) as f64,
        figures.sent,
        figures.load_seconds,
        figures.sent as f64 / figures.load_seconds.max(1.0),
        figures.products.first().map_or(0, |(_, stock)| *stock),
        STAPLE_STOCK
    );
    let _ = writeln!(
        out,
        "Request to outcome (ACCEPTED or REJECTED heard), every order: p50 {} ms, p99 {} ms, max {} ms.\n",
        millis(figures.to_outcome.percentile(50.0)),
        millis(figures.to_outcome.percentile(99.0)),
        millis(figures.to_outcome.max())
    );
    let _ = writeln!(out, "Client calls retried (by code) and failed for good:\n");
    let _ = writeln!(out, "| call | retried attempts | failed for good |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for call in ["CreateOrder", "PayOrder", "CancelOrder"] {
        let of = |map: &BTreeMap<(&'static str, String), usize>| {
            let parts: Vec<String> = map
                .iter()
                .filter(|((name, _), _)| *name == call)
                .map(|((_, code), count)| format!("{code} {count}"))
                .collect();
            if parts.is_empty() {
                "none".to_owned()
            } else {
                parts.join(", ")
            }
        };
        let _ = writeln!(
            out,
            "| {call} | {} | {} |",
            of(&books.retried),
            of(&books.failed)
        );
    }
    let _ = writeln!(
        out,
        "\nPayOrder/CancelOrder answers read back after an ambiguous attempt: {}. Cancellations \
         sent right after the creation that found the order no longer cancellable (already \
         REJECTED; not errors): {}.\n",
        books.read_back, books.cancel_too_late
    );

    let _ = writeln!(out, "## Faults\n");
    let _ = writeln!(
        out,
        "{} kills (`kill -9`), {} restarts, {} SIGTERMs. A restart of NATS or Postgres stops \
         it, leaves it down for {:.1} s and starts it; a killed service stays down as long, then \
         `deploy/local/run.sh` (or, for a replica, this run) starts it again. *Back* is the \
         process SERVING (or the port open) again, timed from the fault; *recovered* the first \
         order placed after the fault took effect being ACCEPTED, timed from then; *slowest \
         nearby* the longest any order placed within 3 s of the fault waited for its outcome.\n",
        chaos.kills,
        chaos.restarts,
        chaos.sigterms,
        chaos.options.downtime.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| # | at (s) | fault | back (s) | recovered (s) | slowest nearby (s) | problems |"
    );
    let _ = writeln!(out, "| ---: | ---: | --- | ---: | ---: | ---: | --- |");
    for (number, fault) in chaos.faults.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {:.1} | {} | {} | {} | {} | {} |",
            number + 1,
            fault.at,
            fault.name,
            seconds(fault.back_after),
            seconds(fault.recovered_after),
            seconds(slowest_nearby(books, fault.injected)),
            if fault.problems.is_empty() {
                "none".to_owned()
            } else {
                fault.problems.join("; ")
            }
        );
    }
    let _ = writeln!(out, "\n### Graceful shutdowns (SIGTERM under load)\n");
    let _ = writeln!(
        out,
        "| fault | NOT_SERVING after (ms): Watch / Check | Watch ended after (ms) | unreachable after (ms) | exited after (ms) | exit |"
    );
    let _ = writeln!(out, "| --- | --- | ---: | ---: | ---: | --- |");
    for fault in chaos.faults.iter().filter(|fault| fault.kind == "sigterm") {
        if let Some(shutdown) = &fault.shutdown {
            let _ = writeln!(
                out,
                "| {} | {} / {} | {} | {} | {} | {} |",
                fault.name,
                millis(shutdown.seen.watch_not_serving),
                millis(shutdown.seen.check_not_serving),
                millis(shutdown.seen.watch_ended),
                millis(shutdown.seen.unreachable),
                millis(shutdown.exited_after),
                shutdown.exit
            );
        }
    }

    let _ = writeln!(out, "\n## Stock\n");
    let _ = writeln!(
        out,
        "| product | initial | available | reserved | sold (delivered) | lowest available seen |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: |");
    for (id, initial) in &figures.products {
        let Ok(uuid) = Uuid::parse_str(id) else {
            continue;
        };
        let (stock, reserved) = figures.final_stock.get(&uuid).copied().unwrap_or_default();
        let _ = writeln!(
            out,
            "| {id} | {initial} | {stock} | {reserved} | {} | {} |",
            initial - stock - reserved,
            figures
                .samples
                .min_stock
                .get(&uuid)
                .map_or("-".to_owned(), ToString::to_string)
        );
    }
    let _ = writeln!(
        out,
        "\nThe stock arithmetic was sampled {} times during the run, in one snapshot each \
         ({} samples missed while Postgres was down); {} broken.{}\n",
        figures.samples.taken,
        figures.samples.missed,
        figures.samples.violation_count,
        if figures.samples.violations.is_empty() {
            String::new()
        } else {
            format!(" {}", figures.samples.violations.join("; "))
        }
    );

    let _ = writeln!(out, "## Checks\n");
    let _ = writeln!(out, "| check | result | detail |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for check in checks {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            check.name,
            if check.passed { "pass" } else { "**FAIL**" },
            check.detail.replace('|', "\\|")
        );
    }
    let _ = writeln!(
        out,
        "\nLogs: the service logs in `.run/logs/`; the logs of killed instances, the replicas' \
         and the restarts' in `{}`.",
        chaos.logs.display()
    );
    out
}

fn seconds(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "-".to_owned(),
        |duration| format!("{:.2}", duration.as_secs_f64()),
    )
}

/// The slowest outcome (ACCEPTED or REJECTED heard) of the orders placed within 3 s of `at`:
/// how long the orders caught in the fault waited.
fn slowest_nearby(books: &Books, at: Instant) -> Option<Duration> {
    let window = Duration::from_secs(3);
    books
        .orders
        .iter()
        .filter_map(|record| {
            let first = record.first_attempt?;
            let near = first + window >= at && first <= at + window;
            let (_, heard) = record.outcome?;
            near.then(|| heard.saturating_duration_since(first))
        })
        .max()
}

// --- The run ---------------------------------------------------------------------------------

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let root = std::env::current_dir()?;
    let stack = Stack::local(&root);
    let admin = access::admin(&stack.signing_key, "plaza-chaos")?;
    let label = run_label();
    let command = format!(
        "plaza-chaos {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    let when = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let out = options.out.clone();
    // This run's logs only: the replicas' logs are appended to across their restarts.
    let logs = out.join("logs");
    if logs.exists() {
        std::fs::remove_dir_all(&logs).with_context(|| format!("clearing {}", logs.display()))?;
    }
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;

    progress(&format!("chaos run {label}: checking the stack"));
    check_stack(&stack).await?;
    let pool = invariants::database()?;
    let nats = async_nats::connect(&stack.nats).await?;
    let jetstream = async_nats::jetstream::new(nats);

    let stock = options
        .stock
        .unwrap_or_else(|| default_stock(options.orders));
    let mut stocks = vec![stock; LIMITED_PRODUCTS];
    stocks.push(STAPLE_STOCK);
    let customers = (options.orders / 20).clamp(20, 200);
    let capacity = options.orders * TICKETS_PER_ORDER;
    progress(&format!(
        "opening the shop: {LIMITED_PRODUCTS} products of {stock} units and a staple, {customers} customers, {capacity} payments"
    ));
    let shop = shop::open_stocked_shop(&stack, &admin, &label, &stocks, customers).await?;
    let (mut baskets, payment_requests) = baskets(&shop, &label, capacity);
    let payment_ids = shop::authorize_payments(&stack, &payment_requests).await?;
    for (basket, payment_id) in baskets.iter_mut().zip(&payment_ids) {
        basket.payment_id = payment_id.clone();
    }
    let initial_stock: HashMap<Uuid, i32> = shop
        .products
        .iter()
        .filter_map(|product| Some((Uuid::parse_str(&product.id).ok()?, product.initial_stock)))
        .collect();
    let registered: Vec<(Uuid, Credential)> = shop
        .customers
        .iter()
        .filter_map(|customer| {
            Some((
                Uuid::parse_str(&customer.id).ok()?,
                customer.credential.clone(),
            ))
        })
        .collect();
    let customer_ids: Vec<Uuid> = registered.iter().map(|(id, _)| *id).collect();
    // Each customer's own, to settle their orders with at the end.
    let credentials: HashMap<Uuid, Credential> = registered.into_iter().collect();
    let dead_letters_before =
        invariants::last_sequence(&jetstream, invariants::DEAD_LETTERS).await?;
    let payments_before =
        invariants::last_sequence(&jetstream, invariants::PAYMENTS_STREAM).await?;
    progress(&format!(
        "DEADLETTERS at sequence {dead_letters_before}, PAYMENTS at {payments_before}"
    ));
    let sampler = StockSampler::start(
        pool.clone(),
        initial_stock.clone(),
        customer_ids.clone(),
        Duration::from_secs(1),
        Instant::now(),
    );

    let ctx = Ctx {
        books: Arc::new(Mutex::new(Books {
            orders: vec![OrderRecord::default(); baskets.len()],
            ..Books::default()
        })),
        ordering: OrderingInstances::new(&stack.ordering)?,
        outcomes: Outcomes::listen(&stack.nats).await?,
    };
    let baskets = Arc::new(baskets);
    let faults_done = CancellationToken::new();
    progress(&format!(
        "load: at least {} orders at {}/s, going on while faults remain",
        options.orders, options.rate
    ));
    let load_start = Instant::now();
    let load = tokio::spawn(drive_load(
        ctx.clone(),
        baskets.clone(),
        options.orders,
        options.rate,
        faults_done.clone(),
    ));
    let mut chaos = Chaos {
        root: root.clone(),
        stack: stack.clone(),
        logs: logs.clone(),
        options: options.clone(),
        ctx: ctx.clone(),
        load_start,
        faults: Vec::new(),
        replicas: Vec::new(),
        restarts: 0,
        kills: 0,
        sigterms: 0,
    };
    // Some orders first, so that the first fault hits a stack at work.
    let warm = ctx.wait_recovered(load_start).await;
    progress(&format!("first order accepted after {}", seconds(warm)));
    chaos.pause().await;
    let injected = chaos.inject().await;
    faults_done.cancel();
    if let Err(error) = &injected {
        progress(&format!("the fault schedule stopped: {error:#}"));
    }
    progress("faults done; finishing the load");
    let mut tasks = load.await?;
    let load_seconds = load_start.elapsed().as_secs_f64();
    let sent = ctx
        .books()
        .orders
        .iter()
        .filter(|record| record.first_attempt.is_some())
        .count();
    progress(&format!(
        "{sent} orders placed; waiting for the orders in hand"
    ));
    let drained = tokio::time::timeout(DRAIN_DEADLINE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        progress(&format!(
            "{} orders still in hand after {}s; left to the settling",
            tasks.len(),
            DRAIN_DEADLINE.as_secs()
        ));
        tasks.abort_all();
    }

    let plans: HashMap<Uuid, Plan> = {
        let books = ctx.books();
        books
            .orders
            .iter()
            .zip(baskets.iter())
            .filter_map(|(record, basket)| Some((record.order?, basket.plan)))
            .collect()
    };
    progress("settling every order");
    let (orders, closed_at_end) = settle(&ctx, &pool, &customer_ids, &credentials, &plans).await?;
    consumers_quiet(&jetstream).await;
    let samples = sampler.finish().await;

    progress("checking");
    let (created, failed_requests) = {
        let books = ctx.books();
        let mut created = HashMap::new();
        let mut failed = HashSet::new();
        for (record, basket) in books.orders.iter().zip(baskets.iter()) {
            if let Some(order) = record.order {
                created.insert(basket.request_id.clone(), order);
            } else if record.create_error.is_some() || record.first_attempt.is_some() {
                failed.insert(basket.request_id.clone());
            }
        }
        (created, failed)
    };
    let facts = RunFacts {
        initial_stock: initial_stock.clone(),
        customers: customer_ids.clone(),
        payments: payment_ids
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect(),
        created,
        failed_requests,
        dead_letters_before,
        payments_before,
    };
    let mut checks = invariants::check_all(&pool, &jetstream, &facts, &orders).await;
    checks.push(Check::new(
        "stock arithmetic held in every snapshot during the run",
        samples.violation_count == 0 && samples.taken > 0,
        format!(
            "{} snapshots, {} missed, {} broken{}",
            samples.taken,
            samples.missed,
            samples.violation_count,
            if samples.violations.is_empty() {
                String::new()
            } else {
                format!(": {}", samples.violations.join("; "))
            }
        ),
    ));
    checks.extend(fault_checks(&chaos, injected.as_ref().err()));

    let accepted_ever: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT order_id) FROM ordering.events \
         WHERE order_id = ANY($1) AND type = 'OrderAccepted'",
    )
    .bind(orders.iter().map(|order| order.id).collect::<Vec<_>>())
    .fetch_one(&pool)
    .await
    .unwrap_or_default();
    let final_stock: HashMap<Uuid, (i32, i32)> = invariants::stock_snapshot(
        &pool,
        &initial_stock.keys().copied().collect::<Vec<_>>(),
        &customer_ids,
    )
    .await
    .map(|rows| {
        rows.into_iter()
            .map(|row| (row.id, (row.stock, row.reserved)))
            .collect()
    })
    .unwrap_or_default();
    let to_outcome = {
        let books = ctx.books();
        Latencies::new(
            books
                .orders
                .iter()
                .filter_map(|record| {
                    let (_, heard) = record.outcome?;
                    Some(heard.saturating_duration_since(record.first_attempt?))
                })
                .collect(),
        )
    };
    let figures = Figures {
        command,
        when,
        label,
        load_seconds,
        sent,
        orders,
        accepted_ever: usize::try_from(accepted_ever).unwrap_or_default(),
        closed_at_end,
        products: shop
            .products
            .iter()
            .map(|product| (product.id.clone(), product.initial_stock))
            .collect(),
        final_stock,
        samples,
        to_outcome,
    };
    let markdown = {
        let books = ctx.books();
        report(&figures, &books, &chaos, &checks)
    };
    std::fs::write(out.join("report.md"), &markdown)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{markdown}")?;
    writeln!(stdout, "written: {}", out.join("report.md").display())?;
    let failed: Vec<&str> = checks
        .iter()
        .filter(|check| !check.passed)
        .map(|check| check.name.as_str())
        .collect();
    if !failed.is_empty() {
        bail!("{} checks failed: {}", failed.len(), failed.join("; "));
    }
    Ok(())
}

/// Checks on the faults themselves: each one recovered, each SIGTERM handled gracefully.
fn fault_checks(chaos: &Chaos, schedule_error: Option<&anyhow::Error>) -> Vec<Check> {
    let unrecovered: Vec<String> = chaos
        .faults
        .iter()
        .filter(|fault| fault.awaited_recovery && fault.recovered_after.is_none())
        .map(|fault| fault.name.clone())
        .collect();
    let problems: Vec<String> = chaos
        .faults
        .iter()
        .flat_map(|fault| {
            fault
                .problems
                .iter()
                .map(move |problem| format!("{}: {problem}", fault.name))
        })
        .collect();
    let sigterms: Vec<&Fault> = chaos
        .faults
        .iter()
        .filter(|fault| fault.kind == "sigterm")
        .collect();
    let graceful = sigterms.iter().all(|fault| {
        fault.shutdown.as_ref().is_some_and(|shutdown| {
            shutdown.clean
                && shutdown.seen.not_serving().is_some()
                && shutdown
                    .exited_after
                    .is_some_and(|after| after <= faults::SHUTDOWN_GRACE)
        })
    });
    vec![
        Check::new(
            "the whole fault schedule ran",
            schedule_error.is_none(),
            schedule_error.map_or_else(
                || format!("{} faults", chaos.faults.len()),
                |error| format!("{error:#}"),
            ),
        ),
        Check::new(
            "every fault recovered: an order placed after it was accepted",
            unrecovered.is_empty(),
            if unrecovered.is_empty() {
                "all".to_owned()
            } else {
                unrecovered.join(", ")
            },
        ),
        Check::new(
            "every SIGTERM: NOT_SERVING, then exit 0 within the 20 s grace",
            graceful && !sigterms.is_empty(),
            format!("{} SIGTERMs", sigterms.len()),
        ),
        Check::new(
            "no fault left a problem (a service not back, a process that would not die)",
            problems.is_empty(),
            if problems.is_empty() {
                "none".to_owned()
            } else {
                problems.join("; ")
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_come_in_the_intended_shares() {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for index in 0..10_000 {
            let plan = match plan_of(index) {
                Plan::Pay => "pay",
                Plan::Cancel => "cancel",
                Plan::CancelEarly => "early",
                Plan::Leave => "leave",
            };
            *counts.entry(plan).or_default() += 1;
        }
        let share = |plan: &str| counts.get(plan).copied().unwrap_or_default() as f64 / 10_000.0;
        assert!((share("pay") - 0.50).abs() < 0.03, "{counts:?}");
        assert!((share("cancel") - 0.20).abs() < 0.03, "{counts:?}");
        assert!((share("early") - 0.05).abs() < 0.02, "{counts:?}");
        assert!((share("leave") - 0.25).abs() < 0.03, "{counts:?}");
    }

    #[test]
    fn every_product_is_both_paid_for_and_cancelled() {
        let mut seen = HashSet::new();
        for index in 0..2_000 {
            let product = pick(index, 2, LIMITED_PRODUCTS);
            seen.insert((product, plan_of(index) == Plan::Pay));
        }
        assert_eq!(seen.len(), 2 * LIMITED_PRODUCTS, "{seen:?}");
    }
}
