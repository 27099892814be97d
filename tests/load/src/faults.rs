//! The faults a chaos run injects and how it watches a process go and come back: signals by
//! pid, gRPC health, restarting a service through `deploy/local/run.sh`, restarting NATS and
//! Postgres, and second instances (replicas) of the services that the run starts itself, as
//! its own children, so that it sees how they exit.
//!
//! Every wait here has a deadline: a process that does not exit or come back is a finding to
//! report, not a reason to hang.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::Context;
use futures::StreamExt;
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// How long a service may drain after SIGTERM (`shutdown_grace` of every service).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// One health check; a server that does not answer in this time counts as unreachable.
const HEALTH_TIMEOUT: Duration = Duration::from_millis(500);
/// How often a process or a port is looked at while waiting.
const POLL: Duration = Duration::from_millis(20);

/// `http://127.0.0.1:50053` for `127.0.0.1:50053`.
pub fn url(address: &str) -> String {
    if address.contains("://") {
        address.to_owned()
    } else {
        format!("http://{address}")
    }
}

// --- Processes ---------------------------------------------------------------------------

/// What `/proc` says about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessState {
    Running,
    /// Exited, not yet reaped by its parent; with its wait status.
    Zombie(Option<i32>),
    Gone,
}

pub fn process_state(pid: u32) -> ProcessState {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return ProcessState::Gone;
    };
    // The command name may hold spaces: the fields that follow start after its `)`.
    let Some((_, fields)) = stat.rsplit_once(')') else {
        return ProcessState::Gone;
    };
    let fields: Vec<&str> = fields.split_whitespace().collect();
    match fields.first() {
        Some(&"Z") | Some(&"X") => {
            // Field 52 of stat (the 50th after the name): the exit status as waitpid reports it.
            ProcessState::Zombie(fields.get(49).and_then(|code| code.parse().ok()))
        }
        Some(_) => ProcessState::Running,
        None => ProcessState::Gone,
    }
}

pub fn alive(pid: u32) -> bool {
    process_state(pid) == ProcessState::Running
}

/// Sends `signal` (`TERM`, `KILL`) to `pid`.
pub fn signal(pid: u32, signal: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .context("running kill")?;
    anyhow::ensure!(status.success(), "kill -s {signal} {pid} failed");
    Ok(())
}

/// Waits until `pid` is no longer running; how long that took from `since`, and its wait
/// status when it lingers as a zombie (a process that is not our child), or `None` on
/// timeout.
pub async fn wait_gone(
    pid: u32,
    since: Instant,
    deadline: Instant,
) -> Option<(Duration, Option<i32>)> {
    loop {
        match process_state(pid) {
            ProcessState::Running => {}
            ProcessState::Zombie(status) => return Some((since.elapsed(), status)),
            ProcessState::Gone => return Some((since.elapsed(), None)),
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Whether we run as root (to restart NATS and Postgres without sudo).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Uid:"))?;
            Some(line.split_whitespace().nth(1)? == "0")
        })
        .unwrap_or(false)
}

/// Runs a command to its end within `timeout`, as root (through `sudo -n` when we are not);
/// its output goes to `log`.
async fn run_as_root(
    program: &str,
    args: &[&str],
    log: &Path,
    timeout: Duration,
) -> anyhow::Result<()> {
    let mut command = if is_root() {
        Command::new(program)
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("-n").arg(program);
        sudo
    };
    command.args(args);
    run_logged(command, log, timeout)
        .await
        .with_context(|| format!("{program} {}", args.join(" ")))
}

/// Runs `command` with stdout and stderr appended to `log`, waits at most `timeout`.
async fn run_logged(mut command: Command, log: &Path, timeout: Duration) -> anyhow::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .kill_on_drop(true)
        .spawn()?;
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => {
            let status = status?;
            anyhow::ensure!(
                status.success(),
                "exited with {status} (see {})",
                log.display()
            );
            Ok(())
        }
        Err(_) => {
            let _ = child.start_kill();
            anyhow::bail!("still running after {timeout:?} (see {})", log.display())
        }
    }
}

/// `bash deploy/local/run.sh SERVICE...` from the checkout at `root`: starts what is not
/// running (and leaves what runs the current build alone), waits until it is SERVING.
pub async fn run_sh(
    root: &Path,
    services: &[&str],
    log: &Path,
    timeout: Duration,
) -> anyhow::Result<()> {
    let mut command = Command::new("bash");
    command
        .arg(root.join("deploy/local/run.sh"))
        .args(services)
        .current_dir(root);
    // The run.sh instances listen where the defaults say, whatever this process was given.
    for service in services {
        command.env_remove(format!("PLAZA_{}__GRPC__LISTEN", service.to_uppercase()));
    }
    run_logged(command, log, timeout)
        .await
        .with_context(|| format!("deploy/local/run.sh {}", services.join(" ")))
}

// --- NATS and Postgres -------------------------------------------------------------------

pub const NATS_ADDRESS: &str = "127.0.0.1:4222";
pub const POSTGRES_ADDRESS: &str = "127.0.0.1:5432";
const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// Whether something accepts TCP connections at `address`.
pub async fn tcp_open(address: &str) -> bool {
    matches!(
        tokio::time::timeout(HEALTH_TIMEOUT, tokio::net::TcpStream::connect(address)).await,
        Ok(Ok(_))
    )
}

/// Polls `address` until it accepts connections; how long that took from `since`.
pub async fn wait_tcp(address: &str, since: Instant, deadline: Instant) -> Option<Duration> {
    loop {
        if tcp_open(address).await {
            return Some(since.elapsed());
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL * 5).await;
    }
}

/// Stops the machine's NATS server: SIGTERM, then SIGKILL after 10 s; returns once it is gone.
pub async fn stop_nats(log: &Path) -> anyhow::Result<()> {
    run_as_root(
        "start-stop-daemon",
        &[
            "--stop",
            "--oknodo",
            "--retry",
            "TERM/10/KILL/5",
            "--exec",
            NATS_SERVER,
        ],
        log,
        Duration::from_secs(30),
    )
    .await
}

/// Starts the machine's NATS server with the options `deploy/local/services-up.sh` uses (its
/// JetStream store survives); the caller waits for its port.
pub async fn start_nats(log: &Path) -> anyhow::Result<()> {
    run_as_root(
        "start-stop-daemon",
        &[
            "--start",
            "--oknodo",
            "--background",
            "--exec",
            NATS_SERVER,
            "--",
            "-a",
            "127.0.0.1",
            "-p",
            "4222",
            "-js",
            "-sd",
            "/var/lib/nats-server",
            "-l",
            "/var/log/nats-server.log",
        ],
        log,
        Duration::from_secs(30),
    )
    .await
}

/// The major version of the machine's Postgres cluster (the newest under /etc/postgresql).
pub fn postgres_version() -> anyhow::Result<String> {
    let mut versions: Vec<(u32, String)> = std::fs::read_dir("/etc/postgresql")
        .context("reading /etc/postgresql: is Postgres installed here?")?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().to_str()?.to_owned();
            Some((name.parse().ok()?, name))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, name)| name)
        .context("no Postgres cluster under /etc/postgresql")
}

/// `pg_ctlcluster VERSION main stop|start|restart`. Stopping is a fast shutdown: sessions
/// are cut and the transactions in flight roll back.
pub async fn postgres(version: &str, action: &str, log: &Path) -> anyhow::Result<()> {
    run_as_root(
        "pg_ctlcluster",
        &["--skip-systemctl-redirect", version, "main", action],
        log,
        Duration::from_secs(60),
    )
    .await
}

// --- gRPC health -------------------------------------------------------------------------

/// A service's health as a client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Serving,
    NotServing,
    /// No answer: refused, reset, or too slow.
    Unreachable,
}

/// A health client on one long-lived channel (it reconnects by itself), so that polling it
/// costs one request, not one connection.
#[derive(Debug, Clone)]
pub struct HealthProbe {
    client: HealthClient<Channel>,
}

impl HealthProbe {
    pub fn new(address: &str) -> anyhow::Result<Self> {
        let channel = Channel::from_shared(url(address))?
            .connect_timeout(HEALTH_TIMEOUT)
            .connect_lazy();
        Ok(Self {
            client: HealthClient::new(channel),
        })
    }

    pub async fn check(&self) -> Health {
        let mut request = tonic::Request::new(HealthCheckRequest {
            service: String::new(),
        });
        request.set_timeout(HEALTH_TIMEOUT);
        let answer = tokio::time::timeout(HEALTH_TIMEOUT, self.client.clone().check(request)).await;
        match answer {
            Ok(Ok(response)) if response.get_ref().status == ServingStatus::Serving as i32 => {
                Health::Serving
            }
            Ok(Ok(_)) => Health::NotServing,
            _ => Health::Unreachable,
        }
    }

    /// Polls until SERVING; how long that took from `since`.
    pub async fn wait_serving(&self, since: Instant, deadline: Instant) -> Option<Duration> {
        loop {
            if self.check().await == Health::Serving {
                return Some(since.elapsed());
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(POLL * 5).await;
        }
    }
}

/// What a client saw of a service's health while it shut down, timed from the signal.
#[derive(Debug, Clone, Default)]
pub struct ShutdownSeen {
    /// NOT_SERVING pushed on a `Health/Watch` stream opened before the signal.
    pub watch_not_serving: Option<Duration>,
    /// When the server ended that stream (it is held open until then, as gRPC clients that
    /// check health on their side hold it).
    pub watch_ended: Option<Duration>,
    /// NOT_SERVING answered to a `Health/Check`.
    pub check_not_serving: Option<Duration>,
    /// The first check that got no answer (the server stopped listening).
    pub unreachable: Option<Duration>,
    /// SERVING was still answered after the signal this long (the last time).
    pub last_serving: Option<Duration>,
}

impl ShutdownSeen {
    /// The first sign of NOT_SERVING, by either way.
    pub fn not_serving(&self) -> Option<Duration> {
        match (self.watch_not_serving, self.check_not_serving) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Watches one instance's health around a SIGTERM: opened before the signal (a `Watch`
/// stream that must say SERVING first, held open until the server ends it, and a `Check`
/// poll every few milliseconds), read until the server stops answering or the grace period
/// is over.
#[derive(Debug)]
pub struct ShutdownWatch {
    task: tokio::task::JoinHandle<ShutdownSeen>,
    signalled: tokio::sync::oneshot::Sender<Instant>,
}

impl ShutdownWatch {
    /// Opens the watch; fails when the instance is not SERVING now.
    pub async fn open(address: &str) -> anyhow::Result<Self> {
        let probe = HealthProbe::new(address)?;
        let mut watch_client = probe.client.clone();
        let mut stream = tokio::time::timeout(
            HEALTH_TIMEOUT * 4,
            watch_client.watch(HealthCheckRequest {
                service: String::new(),
            }),
        )
        .await
        .context("Health/Watch: no answer")??
        .into_inner();
        let first = tokio::time::timeout(HEALTH_TIMEOUT * 4, stream.next())
            .await
            .context("Health/Watch: no first status")?
            .context("Health/Watch ended at once")??;
        anyhow::ensure!(
            first.status == ServingStatus::Serving as i32,
            "{address} is not SERVING before the signal"
        );
        let (signalled, signal_time) = tokio::sync::oneshot::channel::<Instant>();
        let task = tokio::spawn(async move {
            let mut seen = ShutdownSeen::default();
            let Ok(at) = signal_time.await else {
                return seen;
            };
            let deadline = at + SHUTDOWN_GRACE + Duration::from_secs(5);
            let watch = async {
                let mut not_serving = None;
                loop {
                    match tokio::time::timeout_at(deadline.into(), stream.next()).await {
                        Ok(Some(Ok(status))) => {
                            if status.status != ServingStatus::Serving as i32 {
                                not_serving.get_or_insert(at.elapsed());
                            }
                        }
                        // Ended by the server (cleanly or not).
                        Ok(_) => return (not_serving, Some(at.elapsed())),
                        Err(_) => return (not_serving, None),
                    }
                }
            };
            let poll = async {
                let (mut check_not_serving, mut last_serving) = (None, None);
                while Instant::now() < deadline {
                    match probe.check().await {
                        Health::Serving => last_serving = Some(at.elapsed()),
                        Health::NotServing => {
                            check_not_serving.get_or_insert(at.elapsed());
                        }
                        Health::Unreachable => {
                            return (check_not_serving, Some(at.elapsed()), last_serving);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                (check_not_serving, None, last_serving)
            };
            let ((watch_not_serving, watch_ended), (check_not_serving, unreachable, last_serving)) =
                tokio::join!(watch, poll);
            seen.watch_not_serving = watch_not_serving;
            seen.watch_ended = watch_ended;
            seen.check_not_serving = check_not_serving;
            seen.unreachable = unreachable;
            seen.last_serving = last_serving;
            seen
        });
        Ok(Self { task, signalled })
    }

    /// Tells the watch when the signal went out; the task ends with what it saw.
    pub fn signalled(self, at: Instant) -> tokio::task::JoinHandle<ShutdownSeen> {
        let _ = self.signalled.send(at);
        self.task
    }
}

// --- Replicas ----------------------------------------------------------------------------

/// Where cargo put the release binaries: `$CARGO_TARGET_DIR/release` (relative to the
/// checkout when relative), or `target/release`, as `deploy/local/common.sh` says.
pub fn release_dir(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| root.join("target"), |dir| root.join(PathBuf::from(dir)));
    target.join("release")
}

/// A second instance of a service, started by this process with its own listen address and
/// the same database, NATS and durable consumers as the first.
#[derive(Debug)]
pub struct Replica {
    pub service: &'static str,
    /// `127.0.0.1:51053`.
    pub address: String,
    pub log: PathBuf,
    child: Child,
    binary: PathBuf,
    env: Vec<(String, String)>,
}

impl Replica {
    /// Starts `binary` listening on `address`, with `env` added (settings by environment);
    /// its output is appended to `log`. Killed if this process drops it.
    pub fn spawn(
        service: &'static str,
        binary: &Path,
        address: &str,
        env: &[(String, String)],
        log: &Path,
    ) -> anyhow::Result<Self> {
        let child = spawn_child(service, binary, address, env, log)?;
        Ok(Self {
            service,
            address: address.to_owned(),
            log: log.to_owned(),
            child,
            binary: binary.to_owned(),
            env: env.to_vec(),
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Starts the replica again after it exited (same address, settings and log).
    pub fn respawn(&mut self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.child.id().is_none(),
            "{} replica still runs",
            self.service
        );
        self.child = spawn_child(
            self.service,
            &self.binary,
            &self.address,
            &self.env,
            &self.log,
        )?;
        Ok(())
    }

    /// Sends `signal` (`TERM`, `KILL`).
    pub fn signal(&self, name: &str) -> anyhow::Result<()> {
        let pid = self
            .pid()
            .with_context(|| format!("the {} replica is not running", self.service))?;
        signal(pid, name)
    }

    /// Waits for the replica to exit: how long from `since`, and its exit status; `None` on
    /// timeout.
    pub async fn wait_exit(
        &mut self,
        since: Instant,
        deadline: Instant,
    ) -> Option<(Duration, std::process::ExitStatus)> {
        let status = tokio::time::timeout_at(deadline.into(), self.child.wait())
            .await
            .ok()?
            .ok()?;
        Some((since.elapsed(), status))
    }
}

fn spawn_child(
    service: &str,
    binary: &Path,
    address: &str,
    env: &[(String, String)],
    log: &Path,
) -> anyhow::Result<Child> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let prefix = format!("PLAZA_{}", service.to_uppercase());
    Command::new(binary)
        .env(format!("{prefix}__GRPC__LISTEN"), address)
        .env(format!("{prefix}__TELEMETRY__LOG_FORMAT"), "pretty")
        .env("NO_COLOR", "1")
        .envs(
            env.iter()
                .map(|(key, value)| (key.as_str(), value.as_str())),
        )
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))
}

/// A free loopback port at or after `first` (tried by binding it), so a replica does not
/// collide with an outgoing connection that happens to hold its port.
pub fn free_port(first: u16) -> anyhow::Result<u16> {
    (first..first.saturating_add(100))
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .with_context(|| format!("no free port in {first}..{}", first.saturating_add(100)))
}
