//! The real `customers` binary, as an operator runs it: exit codes and signals.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use futures::StreamExt;
use plaza_auth::{Caller, Verifier};
use plaza_testkit::{TestEnvironment, eventually, wait_until_serving};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

const BINARY: &str = env!("CARGO_BIN_EXE_customers");

#[tokio::test]
async fn a_bad_configuration_exits_with_64_naming_the_key() {
    let output = Command::new(BINARY)
        .env("PLAZA_CUSTOMERS__AUTH__JWKS_FILE", "jwks.json")
        .env("PLAZA_CUSTOMERS__AUTH__SIGNING_KEY_FILE", "signing-key.pem")
        .env("PLAZA_CUSTOMERS__GRPC__LISTEN", "nonsense")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("grpc.listen"), "{stderr}");
}

#[test]
fn without_a_jwks_the_service_exits_with_64_naming_the_key() {
    let output = Command::new(BINARY)
        .env_remove("PLAZA_CUSTOMERS__AUTH__JWKS_FILE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("auth.jwks_file"), "{stderr}");
}

/// The commands an operator makes a deployment's keys and tokens with: no database, no NATS.
#[test]
fn the_key_commands_make_a_key_its_jwks_and_tokens_that_verify_with_it() {
    let run = |args: &[&str], key: Option<&std::path::Path>| {
        let mut command = Command::new(BINARY);
        command.args(args);
        if let Some(key) = key {
            command.env("PLAZA_CUSTOMERS__AUTH__SIGNING_KEY_FILE", key);
        }
        command.output().unwrap()
    };
    let key = run(&["new-signing-key"], None);
    assert!(key.status.success());
    assert!(key.stdout.starts_with(b"-----BEGIN PRIVATE KEY-----"));
    let key_file =
        std::env::temp_dir().join(format!("plaza-key-{}.pem", uuid::Uuid::now_v7().simple()));
    std::fs::write(&key_file, &key.stdout).unwrap();

    let jwks = run(&["jwks"], Some(&key_file));
    assert!(jwks.status.success());
    let verifier = Verifier::from_jwks(&String::from_utf8(jwks.stdout).unwrap()).unwrap();
    let token = |output: std::process::Output| {
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let admin = token(run(&["issue-admin-token", "alice"], Some(&key_file)));
    assert_eq!(
        verifier.verify(&admin).unwrap(),
        Caller::Admin("alice".to_owned())
    );
    let service = token(run(&["issue-service-token", "ordering"], Some(&key_file)));
    assert_eq!(
        verifier.verify(&service).unwrap(),
        Caller::Service("ordering".to_owned())
    );
    let no_service = run(&["issue-service-token"], Some(&key_file));
    assert!(!no_service.status.success());
    assert!(String::from_utf8_lossy(&no_service.stderr).contains("usage"));
    std::fs::remove_file(key_file).unwrap();
}

/// Starts the real binary against the test's database and NATS namespace, on a free port.
fn start(environment: &TestEnvironment) -> (Child, u16) {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let child = Command::new(BINARY)
        .envs(environment.keys.env("customers"))
        .env("PLAZA_CUSTOMERS__GRPC__LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "PLAZA_CUSTOMERS__DATABASE__URL",
            environment.database.url("plaza_customers"),
        )
        .env("PLAZA_CUSTOMERS__NATS__URL", environment.nats.url())
        .env(
            "PLAZA_CUSTOMERS__NATS__PREFIX",
            environment.nats.namespace.prefix(),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, port)
}

fn sigterm(child: &Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

async fn exit_status(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    eventually(within, || {
        let exited = child.try_wait().ok().flatten();
        async move { exited }
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn sigterm_stops_a_serving_service_with_exit_code_0() {
    let environment = TestEnvironment::create().await.unwrap();
    let (mut child, port) = start(&environment);
    wait_until_serving(port).await.unwrap();

    sigterm(&child);
    let status = exit_status(&mut child, Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0));
}

/// A client watching health (as gRPC's client-side health checking does) hears NOT_SERVING,
/// then the end of its stream, and does not hold the drain until the grace period is over.
#[tokio::test]
async fn sigterm_ends_an_open_health_watch_with_not_serving_and_exits_0_at_once() {
    let environment = TestEnvironment::create().await.unwrap();
    let (mut child, port) = start(&environment);
    let channel = wait_until_serving(port).await.unwrap();
    let mut watch = HealthClient::new(channel)
        .watch(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    let first = watch.next().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);

    let signalled = Instant::now();
    sigterm(&child);
    let last = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(last.status, ServingStatus::NotServing as i32);
    let end = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .unwrap();
    assert!(
        end.is_none(),
        "the watch goes on after NOT_SERVING: {end:?}"
    );
    let status = exit_status(&mut child, Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0));
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "stopped only after {:?}",
        signalled.elapsed()
    );
}
