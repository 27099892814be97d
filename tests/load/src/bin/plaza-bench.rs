//! `make bench`: Plaza's throughput and latency against the running stack of `make run`, with
//! the machine's reference figures, written to `bench-output/report.md` and
//! `bench-output/latency.svg`.
//!
//! Usage: plaza-bench [--seconds N] [--rate R] [--workers W] [--out DIR] [--quick]
//!
//! The shop is set up with an admin token signed with the stack's key
//! (`PLAZA_SIGNING_KEY_FILE`, by default `.run/keys/signing-key.pem`); each order is placed
//! with its customer's own token.

use std::{
    collections::BTreeSet,
    io::Write as _,
    path::PathBuf,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use plaza_load::{
    access,
    drive::{self, OrderClient, Sent, Via},
    outcomes::{Outcome, Outcomes},
    report::{self, Reference, Scenario},
    shop::{self, ShopSize, Ticket},
    stack::{self, Stack},
    stats::Latencies,
};
use plaza_proto::inventory::v1::{
    GetCatalogRequest, inventory_service_client::InventoryServiceClient,
};
use uuid::Uuid;

/// How long the orders of a scenario may take to be settled once sent.
const SETTLE_DEADLINE: Duration = Duration::from_secs(120);
/// Concurrent requests of the GetCatalog comparison.
const CATALOG_WORKERS: usize = 32;

#[derive(Debug)]
struct Options {
    seconds: u64,
    rate: u32,
    workers: usize,
    /// Orders prepared for each maximum-rate scenario (each needs its own payment).
    max_orders: usize,
    out: PathBuf,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        seconds: 20,
        rate: 200,
        workers: 64,
        max_orders: 20_000,
        out: PathBuf::from("bench-output"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => options.seconds = value()?.parse()?,
            "--rate" => options.rate = value()?.parse()?,
            "--workers" => options.workers = value()?.parse()?,
            "--max-orders" => options.max_orders = value()?.parse()?,
            "--out" => options.out = PathBuf::from(value()?),
            "--quick" => {
                options.seconds = 5;
                options.max_orders = 5_000;
            }
            other => bail!(
                "unknown argument {other} (usage: plaza-bench [--seconds N] [--rate R] [--workers W] [--max-orders N] [--out DIR] [--quick])"
            ),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let root = std::env::current_dir()?;
    let stack = Stack::local(&root);
    let admin = access::admin(&stack.signing_key, "plaza-bench")?;
    let command = format!(
        "plaza-bench {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    let when = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let duration = Duration::from_secs(options.seconds);

    eprintln!(
        "reference: pgbench, 8 clients, one INSERT per transaction, {}s",
        options.seconds.min(10)
    );
    let pgbench_tps = pgbench(options.seconds.min(10))
        .map_err(|error| eprintln!("  pgbench failed: {error:#}"))
        .ok();
    eprintln!("reference: GetCatalog, REST through Envoy and gRPC direct");
    let (catalog_rest_per_second, catalog_grpc_per_second) =
        catalog_comparison(&stack, Duration::from_secs(options.seconds.min(5))).await?;
    let reference = Reference {
        pgbench_tps,
        catalog_rest_per_second,
        catalog_grpc_per_second,
    };

    let fixed_orders = (f64::from(options.rate) * duration.as_secs_f64()) as usize;
    let label = run_label();
    eprintln!(
        "preparing the shop: {} payments",
        2 * fixed_orders + 2 * options.max_orders
    );
    let started = Instant::now();
    let tickets = shop::prepare(
        &stack,
        &admin,
        &label,
        ShopSize {
            products: 50,
            customers: 500,
        },
        2 * fixed_orders + 2 * options.max_orders,
    )
    .await?;
    eprintln!("  prepared in {:.1}s", started.elapsed().as_secs_f64());
    let (fixed_grpc, rest) = tickets.split_at(fixed_orders);
    let (fixed_rest, rest) = rest.split_at(fixed_orders);
    let (max_grpc, max_rest) = rest.split_at(options.max_orders);

    let outcomes = Outcomes::listen(&stack.nats).await?;
    let client = OrderClient::new(shop::connect(&stack.ordering).await?, &stack.gateway);
    let rate = options.rate;
    let mut scenarios = Vec::new();
    for (via, tickets) in [(Via::Grpc, fixed_grpc), (Via::Rest, fixed_rest)] {
        let name = format!("{}, {rate} orders/s", via.name());
        scenarios.push(
            scenario(
                &name,
                &stack,
                &outcomes,
                drive::fixed_rate(&client, via, tickets, rate, duration),
            )
            .await,
        );
    }
    for (via, tickets) in [(Via::Grpc, max_grpc), (Via::Rest, max_rest)] {
        let name = format!("{}, maximum ({} workers)", via.name(), options.workers);
        let tickets: Arc<Vec<Ticket>> = Arc::new(tickets.to_vec());
        scenarios.push(
            scenario(
                &name,
                &stack,
                &outcomes,
                drive::max_rate(&client, via, tickets, options.workers, duration),
            )
            .await,
        );
    }

    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("creating {}", options.out.display()))?;
    let markdown = report::markdown(&command, &when, &reference, &scenarios);
    std::fs::write(options.out.join("report.md"), &markdown)?;
    std::fs::write(
        options.out.join("latency.svg"),
        report::latency_svg(&scenarios),
    )?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{markdown}")?;
    writeln!(
        stdout,
        "written: {} and {}",
        options.out.join("report.md").display(),
        options.out.join("latency.svg").display()
    )?;
    Ok(())
}

/// Digits that keep this run's names and phone numbers apart from earlier runs'.
fn run_label() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    format!("{:010}", millis % 10_000_000_000)
}

async fn scenario(
    name: &str,
    stack: &Stack,
    outcomes: &Outcomes,
    load: impl Future<Output = Vec<Sent>>,
) -> Scenario {
    eprintln!("scenario: {name}");
    let before = stack::usage(stack);
    let started = Instant::now();
    let sent = load.await;
    let created: Vec<(Uuid, &Sent)> = sent
        .iter()
        .filter_map(|one| one.result.as_ref().ok().map(|id| (*id, one)))
        .collect();
    let ids: Vec<Uuid> = created.iter().map(|(id, _)| *id).collect();
    let unsettled = outcomes.wait_for(&ids, SETTLE_DEADLINE).await;
    let wall = started.elapsed().as_secs_f64();
    let after = stack::usage(stack);

    let first_sent = sent.iter().map(|one| one.sent_at).min();
    let last_answer = sent.iter().map(|one| one.answered_at).max();
    let mut to_accepted = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    let mut last_accepted = None;
    for (id, one) in &created {
        match outcomes.get(id) {
            Some((Outcome::Accepted, at)) => {
                accepted += 1;
                to_accepted.push(at.saturating_duration_since(one.sent_at));
                last_accepted = last_accepted.max(Some(at));
            }
            Some((Outcome::Rejected, _)) => rejected += 1,
            None => {}
        }
    }
    let per_second = |count: usize, until: Option<Instant>| match (first_sent, until) {
        (Some(from), Some(until)) if until > from => count as f64 / (until - from).as_secs_f64(),
        _ => 0.0,
    };
    let errors: Vec<&String> = sent
        .iter()
        .filter_map(|one| one.result.as_ref().err())
        .collect();
    let error_samples: Vec<String> = errors
        .iter()
        .map(|error| (*error).clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .take(3)
        .collect();
    let result = Scenario {
        name: name.to_owned(),
        sent: sent.len(),
        created: created.len(),
        errors: errors.len(),
        error_samples,
        accepted,
        rejected,
        unsettled,
        created_per_second: per_second(created.len(), last_answer),
        accepted_per_second: per_second(accepted, last_accepted),
        to_accepted: Latencies::new(to_accepted),
        create_call: Latencies::new(
            created
                .iter()
                .map(|(_, one)| one.answered_at.saturating_duration_since(one.sent_at))
                .collect(),
        ),
        processes: stack::cpu_share(&before, &after, wall),
    };
    eprintln!(
        "  sent {}, created {}, accepted {} ({:.0}/s), rejected {}, errors {}, unsettled {}",
        result.sent,
        result.created,
        result.accepted,
        result.accepted_per_second,
        result.rejected,
        result.errors,
        result.unsettled
    );
    result
}

/// GetCatalog requests per second, REST through Envoy and gRPC straight to inventory, each
/// from [`CATALOG_WORKERS`] connections for `duration`. REST is driven by wrk, a client of
/// negligible cost: on two cores an HTTP client in this process would take CPU from Envoy and
/// measure itself (reqwest managed about 60 % of wrk's rate here).
async fn catalog_comparison(stack: &Stack, duration: Duration) -> anyhow::Result<(f64, f64)> {
    let url = format!("{}/api/v1/catalog?pageSize=20", stack.gateway);
    let inventory = InventoryServiceClient::new(shop::connect(&stack.inventory).await?);
    // Two rounds, alternating, each side's best: what else the machine does (Postgres
    // settling after pgbench, say) then weighs on both sides alike.
    let (mut rest, mut grpc) = (0.0_f64, 0.0_f64);
    for _ in 0..2 {
        rest = rest.max(wrk(&url, duration)?);
        let inventory = inventory.clone();
        let rate = closed_loop(duration, move || {
            let mut inventory = inventory.clone();
            async move {
                inventory
                    .get_catalog(GetCatalogRequest {
                        page_size: 20,
                        page_token: String::new(),
                    })
                    .await
                    .ok()
                    .map(|_| ())
            }
        })
        .await;
        grpc = grpc.max(rate);
    }
    eprintln!("  REST {rest:.0} req/s, gRPC {grpc:.0} req/s (best of two rounds each)");
    Ok((rest, grpc))
}

/// wrk's requests per second of GETs of `url`.
fn wrk(url: &str, duration: Duration) -> anyhow::Result<f64> {
    let output = Command::new("wrk")
        .arg("-t2")
        .arg(format!("-c{CATALOG_WORKERS}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg(url)
        .output()
        .context("running wrk (Debian package wrk; bench.sh installs it)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "wrk failed: {text}");
    anyhow::ensure!(
        !text.contains("Non-2xx"),
        "wrk got error answers from {url}: {text}"
    );
    text.lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's output: {text}"))
}

/// Successful calls per second of `call`, from [`CATALOG_WORKERS`] loops.
async fn closed_loop<F, Fut>(duration: Duration, call: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Option<()>> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..CATALOG_WORKERS)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    if call().await.is_some() {
                        done += 1;
                    }
                }
                done
            })
        })
        .collect();
    let mut done = 0;
    for worker in workers {
        done += worker.await.unwrap_or(0);
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// pgbench's TPS for one INSERT per transaction from 8 clients, in a scratch database.
fn pgbench(seconds: u64) -> anyhow::Result<f64> {
    const DATABASE: &str = "plaza_bench_reference";
    let psql = |database: &str, sql: &str| -> anyhow::Result<()> {
        let status = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                database,
                "-c",
                sql,
            ])
            .status()
            .context("running psql")?;
        anyhow::ensure!(status.success(), "psql failed: {sql}");
        Ok(())
    };
    psql("postgres", &format!("DROP DATABASE IF EXISTS {DATABASE}"))?;
    psql("postgres", &format!("CREATE DATABASE {DATABASE}"))?;
    psql(
        DATABASE,
        "CREATE TABLE reference_insert (id bigserial PRIMARY KEY, payload integer NOT NULL)",
    )?;
    let script = std::env::temp_dir().join("plaza-bench-insert.sql");
    std::fs::write(
        &script,
        "INSERT INTO reference_insert (payload) VALUES (1);\n",
    )?;
    let output = Command::new("pgbench")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-n",
            "-c",
            "8",
            "-j",
            "2",
            "-T",
        ])
        .arg(seconds.to_string())
        .arg("-f")
        .arg(&script)
        .arg(DATABASE)
        .output()
        .context("running pgbench")?;
    psql("postgres", &format!("DROP DATABASE IF EXISTS {DATABASE}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .find_map(|line| line.trim().strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .with_context(|| format!("no TPS in pgbench's output: {text}"))
}
