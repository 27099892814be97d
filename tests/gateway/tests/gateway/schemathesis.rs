//! Schemathesis against the OpenAPI document generated from the protos, through the real
//! Envoy: a bounded property-based run, valid and invalid requests to every operation, that
//! must find no 5xx and no error answer without Plaza's JSON `{code, message}` body (the
//! check of `tests/gateway/schemathesis_hooks.py`).

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use plaza_testkit::eventually;
use serde_json::{Value, json};

use crate::harness::{Gateway, spawn_gateway};

/// Operations tried at most this many times in each phase.
const EXAMPLES_PER_OPERATION: u32 = 40;
/// Schemathesis is stopped after this long; a run this long has failed.
const WALL_CLOCK_LIMIT: Duration = Duration::from_secs(120);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What the examples of the document point at: real objects, so that the positive requests
/// find them and go past "not found".
struct Seed {
    store: String,
    product: String,
    customer: String,
    payment: String,
    order: String,
}

impl Seed {
    /// A participating store with a product, a customer with a payment, an order.
    async fn plant(gateway: &Gateway) -> Self {
        let product = gateway.product(450, 1000).await;
        let (customer, payment) = gateway.shopper(100_000).await;
        let order = gateway
            .place_order(&customer, &payment, &product["id"], 1)
            .await;
        Self {
            store: product["storeId"].as_str().unwrap().to_owned(),
            product: product["id"].as_str().unwrap().to_owned(),
            customer,
            payment,
            order: order["id"].as_str().unwrap().to_owned(),
        }
    }

    /// The seeded object a parameter of `path` names, if any.
    fn parameter_example(&self, path: &str, name: &str) -> Option<Value> {
        let resource = |segment: &str| match segment {
            "stores" => Some(&self.store),
            "products" => Some(&self.product),
            "customers" => Some(&self.customer),
            "payments" => Some(&self.payment),
            "orders" => Some(&self.order),
            _ => None,
        };
        let id = match name {
            "id" => {
                let segments: Vec<&str> = path.split('/').collect();
                let at = segments.iter().position(|s| s.starts_with("{id}"))?;
                resource(segments[at.checked_sub(1)?])
            }
            "store_id" => Some(&self.store),
            "customerId" => Some(&self.customer),
            "orderId" => Some(&self.order),
            "ids" => return Some(json!([self.product])),
            _ => None,
        }?;
        Some(json!(id))
    }

    /// A valid body for each operation that takes one, referring to the seeded objects.
    fn body_example(&self, method: &str, path: &str) -> Option<Value> {
        let product = json!({
            "name": "Jasmine tea",
            "description": "Loose",
            "priceCents": "300",
            "stock": 50,
        });
        let store = json!({"name": "Second Shop", "location": "Main St 2"});
        match (method, path) {
            ("post", "/api/v1/stores") | ("put", "/api/v1/stores/{id}") => Some(store),
            ("post", "/api/v1/stores/{store_id}/products") | ("put", "/api/v1/products/{id}") => {
                Some(product)
            }
            ("post", "/api/v1/customers") => {
                Some(json!({"name": "Bea", "phone": "+34 600 000 777"}))
            }
            ("post", "/api/v1/payments") => Some(json!({
                "customerId": self.customer,
                "amountCents": "500",
            })),
            ("post", "/api/v1/payments/{id}:capture") => Some(json!({"orderId": self.order})),
            ("post", "/api/v1/orders") => Some(json!({
                "customerId": self.customer,
                "paymentId": self.payment,
                "items": [{"productId": self.product, "quantity": 1}],
            })),
            ("post", "/api/v1/orders/{id}:cancel" | "/api/v1/orders/{id}:pay") => Some(json!({})),
            _ => None,
        }
    }

    /// `document` with the seeded objects as the examples of its parameters and bodies.
    fn with_examples(&self, mut document: Value) -> Value {
        let paths = document["paths"].as_object_mut().expect("paths");
        for (path, operations) in paths.iter_mut() {
            let operations = operations.as_object_mut().expect("operations");
            for (method, operation) in operations.iter_mut() {
                if let Some(parameters) = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                {
                    for parameter in parameters {
                        let name = parameter["name"].as_str().unwrap_or_default().to_owned();
                        if let Some(example) = self.parameter_example(path, &name) {
                            parameter["example"] = example;
                        }
                    }
                }
                if let Some(example) = self.body_example(method, path) {
                    operation["requestBody"]["content"]["application/json"]["example"] = example;
                }
            }
        }
        document
    }
}

/// Runs `command` to its end, or kills it after [`WALL_CLOCK_LIMIT`]; returns whether it
/// succeeded and what it printed. Its output goes to files in `workdir`, so a chatty run
/// cannot fill a pipe.
async fn run_bounded(mut command: Command, workdir: &Path) -> (bool, String) {
    let (stdout, stderr) = (workdir.join("stdout.txt"), workdir.join("stderr.txt"));
    let mut child = command
        .stdout(Stdio::from(std::fs::File::create(&stdout).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&stderr).unwrap()))
        .spawn()
        .expect("schemathesis starts");
    let finished = eventually(WALL_CLOCK_LIMIT, || {
        let status = child.try_wait().expect("schemathesis is waited for");
        async move { status }
    })
    .await;
    let output = format!(
        "{}{}",
        std::fs::read_to_string(&stdout).unwrap_or_default(),
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
    match finished {
        Ok(status) => (status.success(), output),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            (
                false,
                format!("{output}\nschemathesis was stopped after {WALL_CLOCK_LIMIT:?}"),
            )
        }
    }
}

/// `not_a_server_error` and the hooks' `error_body_is_json_status`, over the examples (the seeded
/// objects), coverage (boundary and invalid values, undeclared methods), fuzzing and stateful
/// (inferred links) phases. One worker: Hypothesis describes strategies with `ast.parse`,
/// which on Python 3.11 fails with "AST constructor recursion depth mismatch" when two threads
/// parse at once. A fixed seed, so a run that passes keeps passing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_error_without_a_json_body() {
    let schemathesis = root().join(".venv/bin/schemathesis");
    assert!(
        schemathesis.exists(),
        "{} is missing: run `deploy/local/install.sh`",
        schemathesis.display()
    );
    let gateway = spawn_gateway().await;
    let seed = Seed::plant(&gateway).await;
    let document = plaza_openapi::openapi(plaza_proto::FILE_DESCRIPTOR_SET).expect("document");
    let workdir = std::env::temp_dir().join(format!(
        "plaza-schemathesis-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&workdir).unwrap();
    let spec = workdir.join("openapi.json");
    std::fs::write(
        &spec,
        serde_json::to_vec_pretty(&seed.with_examples(document)).unwrap(),
    )
    .unwrap();

    let mut command = Command::new(&schemathesis);
    command
        .current_dir(&workdir)
        // No `__pycache__` beside the hooks file in the work tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env(
            "SCHEMATHESIS_HOOKS",
            root().join("tests/gateway/schemathesis_hooks.py"),
        )
        .arg("run")
        .arg(&spec)
        .args(["--url", &gateway.base])
        // As an admin, who may call every operation; who may not is tests/gateway access.rs.
        .args([
            "--header",
            &format!("Authorization: Bearer {}", gateway.admin_token),
        ])
        .args(["--checks", "not_a_server_error,error_body_is_json_status"])
        .args(["--max-examples", &EXAMPLES_PER_OPERATION.to_string()])
        .args([
            "--workers",
            "1",
            "--seed",
            "1",
            "--generation-database",
            "none",
        ])
        .args([
            "--request-timeout",
            "10",
            "--output-sanitize",
            "false",
            "--no-color",
        ]);
    // A longer or different run by hand, e.g. `--max-examples 500 --seed 7` or `--checks all`:
    // later options win.
    if let Ok(extra) = std::env::var("PLAZA_SCHEMATHESIS_ARGS") {
        command.args(extra.split_whitespace());
    }
    let (succeeded, output) = run_bounded(command, &workdir).await;
    println!("{output}");
    let _ = std::fs::remove_dir_all(&workdir);
    assert!(
        succeeded,
        "schemathesis found failures: its report is printed above"
    );
}
