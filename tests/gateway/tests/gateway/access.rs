//! Who may call what, through Envoy (REST) and straight at each service's port (gRPC): every
//! protected method refuses a call without a token (401 / UNAUTHENTICATED) and one from a
//! customer it does not belong to (403 / PERMISSION_DENIED), and lets an admin through.

use std::time::{Duration, SystemTime};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use bytes::{Buf, BufMut};
use plaza_auth::{Caller, Issuer};
use plaza_proto::{
    customers::v1::{GetCustomerRequest, ListCustomersRequest},
    inventory::v1::{
        AddProductRequest, BatchGetProductsRequest, CreateStoreRequest, DeleteProductRequest,
        DeleteStoreRequest, DisableParticipationRequest, EnableParticipationRequest,
        GetProductRequest, GetStoreRequest, ListProductsRequest, ListStoresRequest,
        UpdateProductRequest, UpdateStoreRequest,
    },
    ordering::v1::{
        CancelOrderRequest, CreateOrderRequest, GetOrderRequest, ListEventsRequest,
        ListOrderEventsRequest, ListOrdersRequest, PayOrderRequest, create_order_request,
    },
    payments::v1::{AuthorizePaymentRequest, CapturePaymentRequest, GetPaymentRequest},
};
use prost::Message;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tonic::{
    Code, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http::uri::PathAndQuery,
    transport::Channel,
};

use crate::harness::{Answer, Gateway, spawn_gateway, spawn_gateway_with};

/// What a caller gets from a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A success: 200 / OK.
    Ok,
    /// Past access control, whatever the method then says (a second delete: not found).
    Admitted,
    /// 401 / UNAUTHENTICATED.
    Unauthenticated,
    /// 403 / PERMISSION_DENIED.
    Denied,
}

/// One protected method, called both ways.
struct Rule {
    /// Index into [`Gateway::services`]: customers, inventory, payments, ordering.
    service: usize,
    /// The gRPC method, `/package.Service/Method`.
    method: &'static str,
    grpc: Vec<u8>,
    rest: (Method, String, Option<Value>),
    /// For customer A, whose data the call is about (or any customer, for admin methods).
    owner: Expect,
    admin: Expect,
}

const CUSTOMERS: usize = 0;
const INVENTORY: usize = 1;
const PAYMENTS: usize = 2;
const ORDERING: usize = 3;

fn rule(
    service: usize,
    method: &'static str,
    grpc: impl Message,
    rest: (Method, String, Option<Value>),
    owner: Expect,
    admin: Expect,
) -> Rule {
    Rule {
        service,
        method,
        grpc: grpc.encode_to_vec(),
        rest,
        owner,
        admin,
    }
}

/// Passes request and response bytes through: one client for every method.
#[derive(Debug, Clone, Copy, Default)]
struct Bytes;

impl Codec for Bytes {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Self;
    type Decoder = Self;

    fn encoder(&mut self) -> Self {
        Self
    }

    fn decoder(&mut self) -> Self {
        Self
    }
}

impl Encoder for Bytes {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Bytes {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut bytes = vec![0; src.remaining()];
        src.copy_to_slice(&mut bytes);
        Ok(Some(bytes))
    }
}

/// Calls `method` on `channel` with `request`, as `token` (none: anonymous).
async fn grpc_call(
    channel: &Channel,
    method: &'static str,
    request: Vec<u8>,
    token: Option<&str>,
) -> Result<Vec<u8>, Status> {
    let mut client = tonic::client::Grpc::new(channel.clone());
    client
        .ready()
        .await
        .map_err(|error| Status::unavailable(error.to_string()))?;
    let mut request = tonic::Request::new(request);
    if let Some(token) = token {
        plaza_auth::Bearer::new(token).unwrap().attach(&mut request);
    }
    client
        .unary(request, PathAndQuery::from_static(method), Bytes)
        .await
        .map(tonic::Response::into_inner)
}

/// Whether a REST answer is what `expect` says; `None` when it is, else what went wrong.
fn rest_mismatch(expect: Expect, answer: &Answer) -> Option<String> {
    let fits = match expect {
        Expect::Ok => answer.status == StatusCode::OK,
        Expect::Admitted => {
            answer.status != StatusCode::UNAUTHORIZED
                && answer.status != StatusCode::FORBIDDEN
                && !answer.status.is_server_error()
        }
        Expect::Unauthenticated => {
            answer.status == StatusCode::UNAUTHORIZED && answer.body["code"] == 16
        }
        Expect::Denied => answer.status == StatusCode::FORBIDDEN && answer.body["code"] == 7,
    };
    (!fits).then(|| format!("{} {}", answer.status, answer.body))
}

fn grpc_mismatch(expect: Expect, result: &Result<Vec<u8>, Status>) -> Option<String> {
    let code = result.as_ref().err().map_or(Code::Ok, Status::code);
    let fits = match expect {
        Expect::Ok => code == Code::Ok,
        Expect::Admitted => !matches!(
            code,
            Code::Unauthenticated | Code::PermissionDenied | Code::Internal | Code::Unknown
        ),
        Expect::Unauthenticated => code == Code::Unauthenticated,
        Expect::Denied => code == Code::PermissionDenied,
    };
    (!fits).then(|| format!("{code:?}: {:?}", result.as_ref().err()))
}

/// A customer registered through the gateway, with the token registering gave them.
async fn register(gateway: &Gateway, name: &str) -> (String, String) {
    let phone = format!("+{}", uuid::Uuid::now_v7().as_u128() % 10_000_000_000_000);
    let session = gateway
        .call(
            Method::POST,
            "/api/v1/customers",
            Some(&json!({"name": name, "phone": phone})),
            None,
        )
        .await
        .ok();
    (
        session["customer"]["id"].as_str().unwrap().to_owned(),
        session["accessToken"].as_str().unwrap().to_owned(),
    )
}

async fn authorize(gateway: &Gateway, customer: &str) -> String {
    gateway
        .post(
            "/api/v1/payments",
            json!({"customerId": customer, "amountCents": "100000"}),
        )
        .await
        .ok()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_protected_method_refuses_strangers_and_other_customers_and_admits_admins() {
    use Expect::{Admitted, Denied, Ok};
    let gateway = spawn_gateway().await;
    let product = gateway.product(100, 1000).await;
    let (store, product) = (text(&product["storeId"]), text(&product["id"]));
    let spare_store = text(
        &gateway
            .post(
                "/api/v1/stores",
                json!({"name": "Spare", "location": "Side St 2"}),
            )
            .await
            .ok()["id"],
    );
    let spare_product = text(
        &gateway
            .post(
                &format!("/api/v1/stores/{store}/products"),
                json!({"name": "Spare tea", "priceCents": "100", "stock": 1}),
            )
            .await
            .ok()["id"],
    );
    let (ana, ana_token) = register(&gateway, "Ana").await;
    let (_, bea_token) = register(&gateway, "Bea").await;
    let (payment, spare_payment) = (
        authorize(&gateway, &ana).await,
        authorize(&gateway, &ana).await,
    );
    let order = gateway
        .call(
            Method::POST,
            "/api/v1/orders",
            Some(&json!({"customerId": ana, "paymentId": payment,
                         "items": [{"productId": product, "quantity": 1}]})),
            Some(&ana_token),
        )
        .await
        .ok();
    let order = text(&order["id"]);
    gateway
        .order_with_status(&order, "ORDER_STATUS_ACCEPTED")
        .await;

    let get = |path: String| (Method::GET, path, None);
    let with = |method: Method, path: String, body: Value| (method, path, Some(body));
    let store_body = json!({"name": "Renamed", "location": "Side St 3"});
    let product_body = json!({"name": "Tea", "description": "", "priceCents": "100", "stock": 5});
    let rules = vec![
        rule(
            CUSTOMERS,
            "/plaza.customers.v1.CustomersService/GetCustomer",
            GetCustomerRequest { id: ana.clone() },
            get(format!("/api/v1/customers/{ana}")),
            Ok,
            Ok,
        ),
        rule(
            CUSTOMERS,
            "/plaza.customers.v1.CustomersService/ListCustomers",
            ListCustomersRequest::default(),
            get("/api/v1/customers".into()),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/CreateStore",
            CreateStoreRequest {
                name: "New".into(),
                location: "New St 1".into(),
            },
            with(
                Method::POST,
                "/api/v1/stores".into(),
                json!({"name": "New", "location": "New St 1"}),
            ),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/ListStores",
            ListStoresRequest::default(),
            get("/api/v1/stores".into()),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/GetStore",
            GetStoreRequest { id: store.clone() },
            get(format!("/api/v1/stores/{store}")),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/UpdateStore",
            UpdateStoreRequest {
                id: spare_store.clone(),
                name: "Renamed".into(),
                location: "Side St 3".into(),
            },
            with(
                Method::PUT,
                format!("/api/v1/stores/{spare_store}"),
                store_body,
            ),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/EnableParticipation",
            EnableParticipationRequest {
                id: spare_store.clone(),
            },
            with(
                Method::PUT,
                format!("/api/v1/stores/{spare_store}/participation"),
                json!({}),
            ),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/DisableParticipation",
            DisableParticipationRequest {
                id: spare_store.clone(),
            },
            (
                Method::DELETE,
                format!("/api/v1/stores/{spare_store}/participation"),
                None,
            ),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/AddProduct",
            AddProductRequest {
                store_id: store.clone(),
                name: "Tea".into(),
                price_cents: 100,
                stock: 5,
                ..Default::default()
            },
            with(
                Method::POST,
                format!("/api/v1/stores/{store}/products"),
                product_body.clone(),
            ),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/ListProducts",
            ListProductsRequest {
                store_id: store.clone(),
                ..Default::default()
            },
            get(format!("/api/v1/stores/{store}/products")),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/GetProduct",
            GetProductRequest {
                id: product.clone(),
            },
            get(format!("/api/v1/products/{product}")),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/UpdateProduct",
            UpdateProductRequest {
                id: spare_product.clone(),
                name: "Tea".into(),
                price_cents: 100,
                stock: 5,
                ..Default::default()
            },
            with(
                Method::PUT,
                format!("/api/v1/products/{spare_product}"),
                product_body,
            ),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/BatchGetProducts",
            BatchGetProductsRequest {
                ids: vec![product.clone()],
            },
            get(format!("/api/v1/products:batchGet?ids={product}")),
            Denied,
            Ok,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/DeleteProduct",
            DeleteProductRequest {
                id: spare_product.clone(),
            },
            (
                Method::DELETE,
                format!("/api/v1/products/{spare_product}"),
                None,
            ),
            Denied,
            Admitted,
        ),
        rule(
            INVENTORY,
            "/plaza.inventory.v1.InventoryService/DeleteStore",
            DeleteStoreRequest {
                id: spare_store.clone(),
            },
            (
                Method::DELETE,
                format!("/api/v1/stores/{spare_store}"),
                None,
            ),
            Denied,
            Admitted,
        ),
        rule(
            PAYMENTS,
            "/plaza.payments.v1.PaymentsService/AuthorizePayment",
            AuthorizePaymentRequest {
                customer_id: ana.clone(),
                amount_cents: 500,
                ..Default::default()
            },
            with(
                Method::POST,
                "/api/v1/payments".into(),
                json!({"customerId": ana, "amountCents": "500"}),
            ),
            Ok,
            Ok,
        ),
        rule(
            PAYMENTS,
            "/plaza.payments.v1.PaymentsService/GetPayment",
            GetPaymentRequest {
                id: payment.clone(),
            },
            get(format!("/api/v1/payments/{payment}")),
            Ok,
            Ok,
        ),
        rule(
            PAYMENTS,
            "/plaza.payments.v1.PaymentsService/CapturePayment",
            CapturePaymentRequest {
                id: payment.clone(),
                order_id: order.clone(),
            },
            with(
                Method::POST,
                format!("/api/v1/payments/{payment}:capture"),
                json!({"orderId": order}),
            ),
            Denied,
            Admitted,
        ),
        rule(
            ORDERING,
            "/plaza.ordering.v1.OrderingService/CreateOrder",
            CreateOrderRequest {
                customer_id: ana.clone(),
                payment_id: spare_payment.clone(),
                items: vec![create_order_request::Item {
                    product_id: product.clone(),
                    quantity: 1,
                }],
                ..Default::default()
            },
            with(
                Method::POST,
                "/api/v1/orders".into(),
                json!({"customerId": ana, "paymentId": spare_payment,
                "items": [{"productId": product, "quantity": 1}]}),
            ),
            Ok,
            Ok,
        ),
        rule(
            ORDERING,
            "/plaza.ordering.v1.OrderingService/GetOrder",
            GetOrderRequest { id: order.clone() },
            get(format!("/api/v1/orders/{order}")),
            Ok,
            Ok,
        ),
        rule(
            ORDERING,
            "/plaza.ordering.v1.OrderingService/ListOrders",
            ListOrdersRequest {
                customer_id: ana.clone(),
                ..Default::default()
            },
            get(format!("/api/v1/orders?customerId={ana}")),
            Ok,
            Ok,
        ),
        // Every customer's orders: the order admin view.
        rule(
            ORDERING,
            "/plaza.ordering.v1.OrderingService/ListOrders",
            ListOrdersRequest::default(),
            get("/api/v1/orders".into()),
            Denied,
            Ok,
        ),
        rule(
            ORDERING,
            "/plaza.ordering.v1.OrderingService/ListOrderEvents",
            ListOrderEventsRequest { id: order.clone() },
            get(format!("/api/v1/orders/{order}/events")),
            Denied,
            Ok,
        ),
        rule(
            ORDERING,
            "/plaza.ordering.v1.OrderingService/ListEvents",
            ListEventsRequest::default(),
            get("/api/v1/events".into()),
            Denied,
            Ok,
        ),
        rule(
            ORDERING,
            "/plaza.ordering.v1.OrderingService/PayOrder",
            PayOrderRequest { id: order.clone() },
            with(
                Method::POST,
                format!("/api/v1/orders/{order}:pay"),
                json!({}),
            ),
            Admitted,
            Admitted,
        ),
        rule(
            ORDERING,
            "/plaza.ordering.v1.OrderingService/CancelOrder",
            CancelOrderRequest { id: order.clone() },
            with(
                Method::POST,
                format!("/api/v1/orders/{order}:cancel"),
                json!({}),
            ),
            Admitted,
            Admitted,
        ),
    ];

    let mut mismatches = Vec::new();
    for rule in &rules {
        let channel = &gateway.services[rule.service].channel;
        let callers = [
            ("no token", None, Expect::Unauthenticated),
            ("another customer", Some(bea_token.as_str()), Denied),
            ("the customer", Some(ana_token.as_str()), rule.owner),
            ("an admin", Some(gateway.admin_token.as_str()), rule.admin),
        ];
        for (who, token, expect) in callers {
            let (method, path, body) = &rule.rest;
            let answer = gateway
                .call(method.clone(), path, body.as_ref(), token)
                .await;
            if let Some(got) = rest_mismatch(expect, &answer) {
                mismatches.push(format!(
                    "Envoy {method} {path} as {who}: want {expect:?}, got {got}"
                ));
            }
            let result = grpc_call(channel, rule.method, rule.grpc.clone(), token).await;
            if let Some(got) = grpc_mismatch(expect, &result) {
                mismatches.push(format!(
                    "{} straight as {who}: want {expect:?}, got {got}",
                    rule.method
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// `token` with its claims replaced by `claims` and its signature kept.
fn with_claims(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}

#[tokio::test]
async fn a_tampered_expired_foreign_or_garbled_token_is_refused_by_envoy_and_by_the_service() {
    let gateway = spawn_gateway().await;
    let (ana, ana_token) = register(&gateway, "Ana").await;
    let keys = &gateway.environment.keys;
    let hour = Duration::from_secs(3600);
    let expired = keys
        .issuer
        .issue_at(
            &Caller::Customer(ana.parse().unwrap()),
            SystemTime::now() - 2 * hour,
            Duration::from_secs(60),
        )
        .unwrap()
        .text;
    let foreign = Issuer::from_pem(&Issuer::generate_key().unwrap())
        .unwrap()
        .issue(&Caller::Admin("mallory".to_owned()), hour)
        .unwrap()
        .text;
    let promoted = with_claims(
        &ana_token,
        &json!({"iss": "plaza", "aud": "plaza", "sub": "mallory", "role": "admin",
                "iat": 0, "exp": 4_000_000_000_u64}),
    );
    let tokens = [
        ("expired", expired),
        ("signed with another key", foreign),
        ("tampered into an admin's", promoted),
        ("garbled", "not.a.token".to_owned()),
    ];
    let customers = &gateway.services[CUSTOMERS].channel;
    for (what, token) in &tokens {
        let answer = gateway
            .call(
                Method::GET,
                &format!("/api/v1/customers/{ana}"),
                None,
                Some(token),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "Envoy, {what}: {}",
            answer.body
        );
        assert_eq!(answer.body["code"], 16, "{what}: {}", answer.body);
        let refused = grpc_call(
            customers,
            "/plaza.customers.v1.CustomersService/GetCustomer",
            GetCustomerRequest { id: ana.clone() }.encode_to_vec(),
            Some(token),
        )
        .await
        .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::Unauthenticated,
            "straight, {what}: {refused:?}"
        );
    }
    let expired = grpc_call(
        customers,
        "/plaza.customers.v1.CustomersService/GetCustomer",
        GetCustomerRequest { id: ana.clone() }.encode_to_vec(),
        Some(&tokens[0].1),
    )
    .await
    .unwrap_err();
    assert!(expired.message().contains("expired"), "{expired:?}");
}

#[tokio::test]
async fn a_service_token_works_between_services_but_not_through_the_front_door() {
    let gateway = spawn_gateway().await;
    let (ana, _) = register(&gateway, "Ana").await;
    let ordering = gateway
        .environment
        .keys
        .token(&Caller::Service("ordering".to_owned()));
    let answer = gateway
        .call(
            Method::GET,
            &format!("/api/v1/customers/{ana}"),
            None,
            Some(&ordering),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    let straight = grpc_call(
        &gateway.services[CUSTOMERS].channel,
        "/plaza.customers.v1.CustomersService/GetCustomer",
        GetCustomerRequest { id: ana }.encode_to_vec(),
        Some(&ordering),
    )
    .await;
    assert!(straight.is_ok(), "{straight:?}");
}

#[tokio::test]
async fn a_customer_signs_in_again_with_id_and_phone_for_a_token_that_works() {
    let gateway = spawn_gateway().await;
    let session = gateway
        .call(
            Method::POST,
            "/api/v1/customers",
            Some(&json!({"name": "Ana", "phone": "+34 611 22 33 44"})),
            None,
        )
        .await
        .ok();
    assert!(session["expireTime"].is_string(), "{session}");
    let ana = text(&session["customer"]["id"]);
    let sign_in = |phone: &str| json!({"customerId": ana, "phone": phone});
    let again = gateway
        .call(
            Method::POST,
            "/api/v1/customers:signIn",
            Some(&sign_in("+34611223344")),
            None,
        )
        .await
        .ok();
    assert_eq!(again["customer"]["id"], ana.as_str());
    let token = text(&again["accessToken"]);
    let me = gateway
        .call(
            Method::GET,
            &format!("/api/v1/customers/{ana}"),
            None,
            Some(&token),
        )
        .await
        .ok();
    assert_eq!(me["name"], "Ana");

    let wrong_phone = gateway
        .call(
            Method::POST,
            "/api/v1/customers:signIn",
            Some(&sign_in("+34 600 00 00 00")),
            None,
        )
        .await;
    wrong_phone.assert_client_error(StatusCode::UNAUTHORIZED, "customer_id and phone");
    let stranger = json!({"customerId": uuid::Uuid::now_v7().to_string(), "phone": "+34611223344"});
    let unknown = gateway
        .call(
            Method::POST,
            "/api/v1/customers:signIn",
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!(unknown.body["message"], wrong_phone.body["message"]);
    gateway
        .call(
            Method::POST,
            "/api/v1/customers:signIn",
            Some(&json!({"customerId": "ana", "phone": "+34611223344"})),
            None,
        )
        .await
        .assert_client_error(StatusCode::BAD_REQUEST, "customer_id");
}

#[tokio::test]
async fn registration_and_sign_in_are_rate_limited_per_client_and_the_catalog_is_not() {
    let gateway = spawn_gateway_with(&[
        "SIGN_IN_BURST=3",
        "SIGN_IN_PER_SECOND=1",
        "SIGN_IN_TOTAL_BURST=1000",
        "SIGN_IN_TOTAL_PER_SECOND=1000",
    ])
    .await;
    let mut registrations = Vec::new();
    for _ in 0..8 {
        let phone = format!("+{}", uuid::Uuid::now_v7().as_u128() % 10_000_000_000_000);
        let answer = gateway
            .call(
                Method::POST,
                "/api/v1/customers",
                Some(&json!({"name": "Ana", "phone": phone})),
                None,
            )
            .await;
        registrations.push(answer);
    }
    let statuses: Vec<StatusCode> = registrations.iter().map(|a| a.status).collect();
    assert!(
        statuses[..3].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let limited = registrations
        .iter()
        .find(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .unwrap_or_else(|| panic!("no registration was limited: {statuses:?}"));
    assert_eq!(limited.body["code"], 8, "{}", limited.body);

    let ana = text(&registrations[0].body["customer"]["id"]);
    let mut sign_ins = Vec::new();
    for _ in 0..8 {
        sign_ins.push(
            gateway
                .call(
                    Method::POST,
                    "/api/v1/customers:signIn",
                    Some(&json!({"customerId": ana, "phone": "+34 600 000 000"})),
                    None,
                )
                .await
                .status,
        );
    }
    assert!(
        sign_ins.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{sign_ins:?}"
    );

    // Another client (another loopback address) has a full bucket of its own: all three
    // of its registrations pass, which one shared bucket, refilled once a second, could not do.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    for _ in 0..3 {
        let phone = format!("+{}", uuid::Uuid::now_v7().as_u128() % 10_000_000_000_000);
        let other = elsewhere
            .post(format!("{}/api/v1/customers", gateway.base))
            .json(&json!({"name": "Bea", "phone": phone}))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::OK);
    }

    for _ in 0..10 {
        let catalog = gateway
            .call(Method::GET, "/api/v1/catalog", None, None)
            .await;
        assert_eq!(catalog.status, StatusCode::OK, "{}", catalog.body);
    }
}
