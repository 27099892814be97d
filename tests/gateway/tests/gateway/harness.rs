//! All four services in-process and the real Envoy in front of them.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use plaza_testkit::{RunningService, TestEnvironment, eventually};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

/// The workspace root, where `.venv` and `deploy/` are.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Plaza behind Envoy. Envoy is stopped when this is dropped.
pub struct Gateway {
    /// `http://127.0.0.1:<port>`: REST and gRPC.
    pub base: String,
    pub http: Client,
    /// The token [`Gateway::get`] and [`Gateway::send`] call with: an admin's.
    pub admin_token: String,
    /// Customers, inventory, payments and ordering, to call straight, bypassing Envoy.
    pub services: Vec<RunningService>,
    pub environment: Arc<TestEnvironment>,
    envoy: Child,
    _workdir: PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.envoy.kill();
        let _ = self.envoy.wait();
    }
}

/// Registration and sign-in limits high enough never to get in a test's way.
const GENEROUS_LIMITS: [&str; 4] = [
    "SIGN_IN_BURST=1000",
    "SIGN_IN_PER_SECOND=1000",
    "SIGN_IN_TOTAL_BURST=1000",
    "SIGN_IN_TOTAL_PER_SECOND=1000",
];

pub async fn spawn_gateway() -> Gateway {
    spawn_gateway_with(&GENEROUS_LIMITS).await
}

/// A gateway rendered with `settings` (`KEY=VALUE` of `render.sh`) beside its addresses.
pub async fn spawn_gateway_with(settings: &[&str]) -> Gateway {
    let environment = Arc::new(TestEnvironment::create().await.expect("test environment"));
    let customers = RunningService::start::<customers::Service>(environment.clone())
        .await
        .unwrap();
    let inventory = RunningService::start::<inventory::Service>(environment.clone())
        .await
        .unwrap();
    let payments = RunningService::start::<payments::Service>(environment.clone())
        .await
        .unwrap();
    let address = |service: &RunningService| format!("127.0.0.1:{}", service.port);
    let (customers_at, inventory_at, payments_at) =
        (address(&customers), address(&inventory), address(&payments));
    let ordering =
        RunningService::start_with::<ordering::Service>(environment.clone(), |settings| {
            settings.upstream.customers = format!("http://{customers_at}");
            settings.upstream.inventory = format!("http://{inventory_at}");
            settings.upstream.payments = format!("http://{payments_at}");
        })
        .await
        .unwrap();

    let workdir =
        std::env::temp_dir().join(format!("plaza-gateway-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&workdir).unwrap();
    let descriptor_set = workdir.join("plaza.pb");
    std::fs::write(&descriptor_set, plaza_proto::FILE_DESCRIPTOR_SET).unwrap();
    let (listen, admin) = (free_port(), free_port());
    let config = workdir.join("envoy.yaml");
    let rendered = Command::new("bash")
        .arg(root().join("deploy/envoy/render.sh"))
        .arg(&config)
        .arg(format!("LISTEN_PORT={listen}"))
        .arg("ADMIN_ADDRESS=127.0.0.1")
        .arg(format!("ADMIN_PORT={admin}"))
        .arg(format!("DESCRIPTOR_SET={}", descriptor_set.display()))
        .arg(format!(
            "JWKS_FILE={}",
            environment.keys.jwks_file.display()
        ))
        .arg(format!("CUSTOMERS={customers_at}"))
        .arg(format!("INVENTORY={inventory_at}"))
        .arg(format!("PAYMENTS={payments_at}"))
        .arg(format!("ORDERING={}", address(&ordering)))
        // No storefront in these tests: the UI route answers 503.
        .arg(format!("STOREFRONT=127.0.0.1:{}", free_port()))
        .args(settings)
        .status()
        .unwrap();
    assert!(rendered.success(), "render.sh failed");
    let envoy_binary = root().join(".venv/bin/envoy");
    assert!(
        envoy_binary.exists(),
        "{} is missing: run `make install`",
        envoy_binary.display()
    );
    let envoy = Command::new(envoy_binary)
        .arg("-c")
        .arg(&config)
        // Several Envoys on one machine need different base ids.
        .args(["--base-id", &listen.to_string(), "--log-level", "error"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = Client::new();
    let ready = format!("http://127.0.0.1:{admin}/ready");
    eventually(Duration::from_secs(20), || async {
        let response = http.get(&ready).send().await.ok()?;
        response.status().is_success().then_some(())
    })
    .await
    .expect("envoy is ready");
    Gateway {
        base: format!("http://127.0.0.1:{listen}"),
        http,
        admin_token: environment.keys.admin_token(),
        services: vec![customers, inventory, payments, ordering],
        environment,
        envoy,
        _workdir: workdir,
    }
}

/// A REST answer: its status and its JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    async fn from(response: Response) -> Self {
        let status = response.status();
        let text = response.text().await.unwrap();
        let body =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}"));
        Self { status, body }
    }

    /// The body of a 200, or a panic with what came back.
    pub fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{:#}", self.body);
        self.body
    }

    /// Asserts an error with the gateway's JSON error shape: a 4xx and a message.
    pub fn assert_client_error(&self, status: StatusCode, message_part: &str) {
        assert_eq!(self.status, status, "{:#}", self.body);
        let message = self.body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(message_part),
            "{message_part:?} not in {:#}",
            self.body
        );
        assert!(self.body["code"].is_number(), "{:#}", self.body);
    }
}

impl Gateway {
    /// A REST call with `token` (none: anonymous); `body` as JSON, if any.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::from(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(reqwest::Method::GET, path, None, Some(&self.admin_token))
            .await
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Answer {
        self.call(method, path, Some(&body), Some(&self.admin_token))
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PUT, path, body).await
    }

    pub async fn post_raw(&self, path: &str, body: &'static str) -> Answer {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .bearer_auth(&self.admin_token)
            .body(body);
        Answer::from(request.send().await.unwrap()).await
    }

    /// A participating store with one product, through REST; returns the product.
    pub async fn product(&self, price_cents: i64, stock: i32) -> Value {
        let store = self
            .post(
                "/api/v1/stores",
                json!({"name": "Corner Shop", "location": "Main St 1"}),
            )
            .await
            .ok();
        let store_id = store["id"].as_str().unwrap();
        let enabled = self
            .put(
                &format!("/api/v1/stores/{store_id}/participation"),
                json!({}),
            )
            .await
            .ok();
        assert_eq!(enabled["participating"], true);
        self.post(
            &format!("/api/v1/stores/{store_id}/products"),
            json!({"name": "Green tea", "description": "Loose", "priceCents": price_cents.to_string(), "stock": stock}),
        )
        .await
        .ok()
    }

    /// A new customer and a payment for them, through REST: (customer id, payment id).
    pub async fn shopper(&self, amount_cents: i64) -> (String, String) {
        let phone = format!("+{}", uuid::Uuid::now_v7().as_u128() % 10_000_000_000_000);
        let session = self
            .post("/api/v1/customers", json!({"name": "Ana", "phone": phone}))
            .await
            .ok();
        let customer_id = session["customer"]["id"].as_str().unwrap().to_owned();
        let payment = self
            .post(
                "/api/v1/payments",
                json!({"customerId": customer_id, "amountCents": amount_cents.to_string()}),
            )
            .await
            .ok();
        assert_eq!(payment["status"], "PAYMENT_STATUS_AUTHORIZED");
        (customer_id, payment["id"].as_str().unwrap().to_owned())
    }

    /// Places an order of `quantity` units of `product_id` through REST; the order.
    pub async fn place_order(
        &self,
        customer_id: &str,
        payment_id: &str,
        product_id: &Value,
        quantity: i32,
    ) -> Value {
        self.post(
            "/api/v1/orders",
            json!({"customerId": customer_id, "paymentId": payment_id,
                   "items": [{"productId": product_id, "quantity": quantity}]}),
        )
        .await
        .ok()
    }

    /// Polls the order through REST until its status is `status`.
    pub async fn order_with_status(&self, id: &str, status: &str) -> Value {
        eventually(Duration::from_secs(20), || async {
            let order = self.get(&format!("/api/v1/orders/{id}")).await.ok();
            (order["status"] == status).then_some(order)
        })
        .await
        .unwrap_or_else(|_| panic!("order {id} never became {status}"))
    }
}
