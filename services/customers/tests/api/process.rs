//! The real `customers` binary, as an operator runs it: exit codes and signals.

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use plaza_testkit::{TestEnvironment, eventually, wait_until_serving};

const BINARY: &str = env!("CARGO_BIN_EXE_customers");

#[tokio::test]
async fn a_bad_configuration_exits_with_64_naming_the_key() {
    let output = Command::new(BINARY)
        .env("PLAZA_CUSTOMERS__GRPC__LISTEN", "nonsense")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("grpc.listen"), "{stderr}");
}

#[tokio::test]
async fn sigterm_stops_a_serving_service_with_exit_code_0() {
    let environment = TestEnvironment::create().await.unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = Command::new(BINARY)
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
    wait_until_serving(port).await.unwrap();

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = eventually(Duration::from_secs(20), || {
        let exited = child.try_wait().ok().flatten();
        async move { exited }
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(0));
}
