//! Where the stack's parts listen, and what its processes cost.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

/// The addresses of a stack started by `make run` (its defaults).
#[derive(Debug, Clone)]
pub struct Stack {
    /// Envoy, e.g. `http://127.0.0.1:8080`.
    pub gateway: String,
    pub customers: String,
    pub inventory: String,
    pub payments: String,
    pub ordering: String,
    pub nats: String,
    /// `.run/` of the checkout: the pid files of the processes `make run` started.
    pub run_dir: PathBuf,
    /// `.run/keys/`: the stack's development signing key, its JWKS and ordering's service
    /// token, as `make run` made them.
    pub keys_dir: PathBuf,
    /// The key the run's admin token is signed with: `PLAZA_SIGNING_KEY_FILE`, or
    /// `signing-key.pem` in [`keys_dir`](Self::keys_dir).
    pub signing_key: PathBuf,
}

impl Stack {
    pub fn local(root: &Path) -> Self {
        let run_dir = root.join(".run");
        let keys_dir = run_dir.join("keys");
        let signing_key = std::env::var_os("PLAZA_SIGNING_KEY_FILE")
            .filter(|path| !path.is_empty())
            .map_or_else(|| keys_dir.join("signing-key.pem"), |path| root.join(path));
        Self {
            gateway: "http://127.0.0.1:8080".to_owned(),
            customers: "http://127.0.0.1:50051".to_owned(),
            inventory: "http://127.0.0.1:50052".to_owned(),
            payments: "http://127.0.0.1:50053".to_owned(),
            ordering: "http://127.0.0.1:50054".to_owned(),
            nats: "nats://127.0.0.1:4222".to_owned(),
            run_dir,
            keys_dir,
            signing_key,
        }
    }
}

/// The processes worth watching: those `make run` started (by their pid files), NATS, and
/// every Postgres process (the server and its backends) as one.
pub const PROCESSES: [&str; 8] = [
    "customers",
    "inventory",
    "payments",
    "ordering",
    "envoy",
    "storefront",
    "nats-server",
    "postgres",
];

/// CPU time used so far and peak resident memory of one watched process (or group).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub cpu_seconds: f64,
    /// `VmHWM`; `None` for Postgres, whose processes share their buffers.
    pub peak_rss_kib: Option<u64>,
}

/// The usage of every watched process that runs now.
pub fn usage(stack: &Stack) -> BTreeMap<&'static str, Usage> {
    let mut usage = BTreeMap::new();
    for name in PROCESSES {
        let pids = pids_of(stack, name);
        if pids.is_empty() {
            continue;
        }
        let cpu_seconds = pids.iter().filter_map(|pid| cpu_seconds(*pid)).sum();
        let peak_rss_kib = match name {
            "postgres" => None,
            _ => pids.iter().filter_map(|pid| peak_rss_kib(*pid)).max(),
        };
        usage.insert(
            name,
            Usage {
                cpu_seconds,
                peak_rss_kib,
            },
        );
    }
    usage
}

/// The pid `make run` recorded for `name`, when that process still runs.
pub fn pid_file_process(stack: &Stack, name: &str) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(stack.run_dir.join(format!("{name}.pid")))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (command_name(pid)?.starts_with(&name[..name.len().min(15)])).then_some(pid)
}

fn pids_of(stack: &Stack, name: &str) -> Vec<u32> {
    match name {
        "nats-server" | "postgres" => processes_named(name),
        _ => pid_file_process(stack, name).into_iter().collect(),
    }
}

/// Every process whose command name is `name`.
pub fn processes_named(name: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| command_name(*pid).as_deref() == Some(name))
        .collect()
}

fn command_name(pid: u32) -> Option<String> {
    Some(
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .ok()?
            .trim()
            .to_owned(),
    )
}

/// User plus system CPU time, from `/proc/<pid>/stat` (in clock ticks of 1/100 s, which is
/// what Linux reports to user space on every common configuration).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields that follow start after its `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / 100.0)
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU used between two readings, as a share of one core over `seconds` of wall time.
pub fn cpu_share(
    before: &BTreeMap<&'static str, Usage>,
    after: &BTreeMap<&'static str, Usage>,
    seconds: f64,
) -> BTreeMap<&'static str, (f64, Option<u64>)> {
    after
        .iter()
        .map(|(name, now)| {
            let then = before.get(name).map_or(0.0, |usage| usage.cpu_seconds);
            let share = if seconds > 0.0 {
                (now.cpu_seconds - then).max(0.0) / seconds
            } else {
                0.0
            };
            (*name, (share, now.peak_rss_kib))
        })
        .collect()
}
