//! What a bench run found: per scenario figures, the machine's reference figures, the
//! Markdown report and an SVG plot of the create-to-accepted latency.

use std::{collections::BTreeMap, fmt::Write, time::Duration};

use crate::stats::{Latencies, millis};

/// One load scenario's results.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// For example `gRPC direct, 200 orders/s`.
    pub name: String,
    pub sent: usize,
    pub created: usize,
    pub errors: usize,
    /// A few distinct error messages, to say what went wrong.
    pub error_samples: Vec<String>,
    pub accepted: usize,
    pub rejected: usize,
    /// Created orders with no outcome by the deadline.
    pub unsettled: usize,
    /// Created orders per second over the sending window.
    pub created_per_second: f64,
    /// Accepted orders per second, from the first request to the last acceptance.
    pub accepted_per_second: f64,
    /// From the request leaving (or being due) to ACCEPTED being published.
    pub to_accepted: Latencies,
    /// The CreateOrder call itself.
    pub create_call: Latencies,
    /// Per process: share of one core while the scenario ran, and peak RSS in KiB.
    pub processes: BTreeMap<&'static str, (f64, Option<u64>)>,
}

/// The machine's own figures, so that results can be quoted as ratios.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// pgbench, 8 clients, one INSERT per transaction.
    pub pgbench_tps: Option<f64>,
    /// GetCatalog requests per second through Envoy's REST, and straight over gRPC.
    pub catalog_rest_per_second: f64,
    pub catalog_grpc_per_second: f64,
}

const TARGET_ACCEPTED_PER_SECOND: f64 = 1000.0;
const TARGET_P99_MS: f64 = 50.0;
const TARGET_REST_SHARE: f64 = 0.6;

pub fn markdown(
    command: &str,
    when: &str,
    reference: &Reference,
    scenarios: &[Scenario],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Plaza benchmark\n");
    let _ = writeln!(
        out,
        "`{command}` on {when}, against the stack of `make run` (release build, everything on one \
         machine: {}).\n",
        machine()
    );

    let _ = writeln!(out, "## Orders\n");
    let _ = writeln!(
        out,
        "| scenario | sent | created/s | accepted/s | errors | create→accepted p50 / p95 / p99 / max (ms) | CreateOrder p50 / p99 (ms) | unsettled |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | --- | --- | ---: |"
    );
    for scenario in scenarios {
        let latency = &scenario.to_accepted;
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.0} | {} | {} / {} / {} / {} | {} / {} | {} |",
            scenario.name,
            scenario.sent,
            scenario.created_per_second,
            scenario.accepted_per_second,
            scenario.errors,
            millis(latency.percentile(50.0)),
            millis(latency.percentile(95.0)),
            millis(latency.percentile(99.0)),
            millis(latency.max()),
            millis(scenario.create_call.percentile(50.0)),
            millis(scenario.create_call.percentile(99.0)),
            scenario.unsettled,
        );
    }
    for scenario in scenarios.iter().filter(|s| !s.error_samples.is_empty()) {
        let _ = writeln!(
            out,
            "\nErrors of {}: {}",
            scenario.name,
            scenario.error_samples.join("; ")
        );
    }
    let _ = writeln!(out, "\n![create to accepted latency](latency.svg)\n");

    let _ = writeln!(out, "## Processes\n");
    let _ = writeln!(
        out,
        "CPU as a share of one core while each scenario ran (the machine has {} cores); peak RSS \
         (`VmHWM`) at the end of the run.\n",
        cores()
    );
    let names: Vec<&str> = scenarios
        .iter()
        .flat_map(|scenario| scenario.processes.keys().copied())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = write!(out, "| process |");
    for scenario in scenarios {
        let _ = write!(out, " CPU, {} |", scenario.name);
    }
    let _ = writeln!(out, " peak RSS (MiB) |");
    let _ = writeln!(out, "| --- |{} ---: |", " ---: |".repeat(scenarios.len()));
    for name in names {
        let _ = write!(out, "| {name} |");
        let mut peak = None;
        for scenario in scenarios {
            match scenario.processes.get(name) {
                Some((share, rss)) => {
                    let _ = write!(out, " {:.0}% |", share * 100.0);
                    peak = peak.max(*rss);
                }
                None => {
                    let _ = write!(out, " - |");
                }
            }
        }
        let peak = peak.map_or_else(
            || "-".to_owned(),
            |kib| format!("{:.0}", kib as f64 / 1024.0),
        );
        let _ = writeln!(out, " {peak} |");
    }

    let _ = writeln!(out, "\n## Reference figures of this machine\n");
    let pgbench = reference
        .pgbench_tps
        .map_or_else(|| "not measured".to_owned(), |tps| format!("{tps:.0} TPS"));
    let _ = writeln!(
        out,
        "- pgbench, 8 clients, one INSERT per transaction: {pgbench}"
    );
    let _ = writeln!(
        out,
        "- GetCatalog, 32 connections, best of two alternating rounds: {:.0} req/s REST through Envoy (wrk), {:.0} req/s gRPC direct ({:.0}%)",
        reference.catalog_rest_per_second,
        reference.catalog_grpc_per_second,
        100.0 * rest_share(reference)
    );

    let _ = writeln!(out, "\n## Against the targets\n");
    let best = scenarios
        .iter()
        .map(|scenario| scenario.accepted_per_second)
        .fold(0.0, f64::max);
    let ratio = reference.pgbench_tps.map_or_else(String::new, |tps| {
        format!(", {:.3} orders per pgbench transaction", best / tps)
    });
    let _ = writeln!(
        out,
        "- orders reaching ACCEPTED: best {best:.0}/s{ratio} (target ≥ {TARGET_ACCEPTED_PER_SECOND:.0}/s): {}",
        verdict(best >= TARGET_ACCEPTED_PER_SECOND)
    );
    for scenario in scenarios.iter().filter(|s| s.name.contains("orders/s")) {
        let p99 = scenario.to_accepted.percentile(99.0);
        let met = p99.is_some_and(|p99| p99.as_secs_f64() * 1000.0 < TARGET_P99_MS);
        let _ = writeln!(
            out,
            "- p99 create→accepted, {}: {} ms (target < {TARGET_P99_MS:.0} ms): {}",
            scenario.name,
            millis(p99),
            verdict(met)
        );
    }
    let share = rest_share(reference);
    let _ = writeln!(
        out,
        "- REST through Envoy vs direct gRPC on GetCatalog: {:.0}% (target ≥ {:.0}%): {}",
        100.0 * share,
        100.0 * TARGET_REST_SHARE,
        verdict(share >= TARGET_REST_SHARE)
    );
    out
}

fn rest_share(reference: &Reference) -> f64 {
    if reference.catalog_grpc_per_second > 0.0 {
        reference.catalog_rest_per_second / reference.catalog_grpc_per_second
    } else {
        0.0
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**not met**" }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{} cores, {model}", cores())
}

const COLOURS: [&str; 6] = [
    "#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2",
];

/// The create-to-accepted latency of each scenario as a cumulative distribution: x is the
/// latency on a log scale, y the share of orders accepted within it.
pub fn latency_svg(scenarios: &[Scenario]) -> String {
    const WIDTH: f64 = 860.0;
    const HEIGHT: f64 = 460.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 250.0;
    const TOP: f64 = 30.0;
    const BOTTOM: f64 = 50.0;
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slowest = scenarios
        .iter()
        .filter_map(|scenario| scenario.to_accepted.max())
        .max()
        .unwrap_or(Duration::from_millis(10));
    // Decades from 1 ms to the first power of ten above the slowest order.
    let decades = (slowest.as_secs_f64() * 1000.0)
        .max(10.0)
        .log10()
        .ceil()
        .max(1.0);
    let x = |ms: f64| LEFT + plot_width * (ms.max(1.0).log10() / decades).min(1.0);
    let y = |share: f64| TOP + plot_height * (1.0 - share);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="18" font-size="14" font-weight="bold">Create → ACCEPTED latency (share of orders within)</text>"#
    );
    for decade in 0..=(decades as u32) {
        let ms = 10f64.powi(decade as i32);
        let at = x(ms);
        let _ = writeln!(
            svg,
            r##"<line x1="{at:.1}" y1="{TOP}" x2="{at:.1}" y2="{:.1}" stroke="#e5e7eb"/><text x="{at:.1}" y="{:.1}" text-anchor="middle">{ms} ms</text>"##,
            TOP + plot_height,
            TOP + plot_height + 18.0
        );
    }
    for tenth in 0..=10 {
        let share = f64::from(tenth) / 10.0;
        let at = y(share);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{at:.1}" x2="{:.1}" y2="{at:.1}" stroke="#e5e7eb"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}%</text>"##,
            LEFT + plot_width,
            LEFT - 6.0,
            at + 4.0,
            tenth * 10
        );
    }
    for (index, scenario) in scenarios.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        let sorted = scenario.to_accepted.sorted();
        if sorted.is_empty() {
            continue;
        }
        // At most ~400 points per curve keeps the file small.
        let step = (sorted.len() / 400).max(1);
        let points: Vec<String> = sorted
            .iter()
            .enumerate()
            .filter(|(rank, _)| rank % step == 0 || rank + 1 == sorted.len())
            .map(|(rank, latency)| {
                let share = (rank + 1) as f64 / sorted.len() as f64;
                format!("{:.1},{:.1}", x(latency.as_secs_f64() * 1000.0), y(share))
            })
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        );
        let legend_y = TOP + 10.0 + 20.0 * index as f64;
        let legend_x = LEFT + plot_width + 16.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{legend_x}" y1="{legend_y}" x2="{:.1}" y2="{legend_y}" stroke="{colour}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            legend_x + 20.0,
            legend_x + 26.0,
            legend_y + 4.0,
            escape(&scenario.name)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">latency (log scale)</text>"#,
        LEFT + plot_width / 2.0,
        HEIGHT - 8.0
    );
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
