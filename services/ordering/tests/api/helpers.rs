use std::{sync::Arc, time::Duration};

use plaza_events::Stream;
use plaza_proto::{
    customers::v1::{RegisterCustomerRequest, customers_service_client::CustomersServiceClient},
    inventory::v1::{
        AddProductRequest, CreateStoreRequest, EnableParticipationRequest, GetProductRequest,
        Product, inventory_service_client::InventoryServiceClient,
    },
    ordering::v1::{
        CreateOrderRequest, GetOrderRequest, Order, OrderStatus, create_order_request::Item,
        ordering_service_client::OrderingServiceClient,
    },
    payments::v1::{
        AuthorizePaymentRequest, GetPaymentRequest, Payment,
        payments_service_client::PaymentsServiceClient,
    },
};
use plaza_testkit::{Authorized, RunningService, TestEnvironment, eventually};
use tonic::Status;
use uuid::Uuid;

pub const DEADLINE: Duration = Duration::from_secs(20);

/// The four services of one test, sharing its database and JetStream namespace.
pub struct Plaza {
    pub ordering: OrderingServiceClient<Authorized>,
    pub customers: CustomersServiceClient<Authorized>,
    pub inventory: InventoryServiceClient<Authorized>,
    pub payments: PaymentsServiceClient<Authorized>,
    pub environment: Arc<TestEnvironment>,
    /// Payments, kept apart so a test can stop and restart it.
    payments_service: Option<RunningService>,
    _services: Vec<RunningService>,
}

/// Starts all four services with no demo delays.
pub async fn spawn_plaza() -> Plaza {
    spawn_plaza_with_stock_delay(Duration::ZERO).await
}

/// Starts all four services; inventory answers new orders only after `stock_delay`, so an
/// order stays PENDING that long.
pub async fn spawn_plaza_with_stock_delay(stock_delay: Duration) -> Plaza {
    spawn_plaza_with(stock_delay, None).await
}

/// Starts all four services, ordering calling the others with `service_token`.
pub async fn spawn_plaza_with_service_token(service_token: String) -> Plaza {
    spawn_plaza_with(Duration::ZERO, Some(service_token)).await
}

async fn spawn_plaza_with(stock_delay: Duration, service_token: Option<String>) -> Plaza {
    let environment = Arc::new(TestEnvironment::create().await.expect("test environment"));
    // The streams exist before any consumer looks for them, as they do once Plaza has run.
    let jetstream = environment.nats.jetstream();
    for stream in [
        Stream::CUSTOMERS,
        Stream::INVENTORY,
        Stream::PAYMENTS,
        Stream::ORDERING,
    ] {
        plaza_messaging::declare_stream(&jetstream, &environment.nats.namespace, stream, 1)
            .await
            .expect("stream declared");
    }
    let customers = RunningService::start::<customers::Service>(environment.clone())
        .await
        .expect("customers starts");
    let inventory =
        RunningService::start_with::<inventory::Service>(environment.clone(), |settings| {
            settings.saga.confirm_delay = stock_delay;
        })
        .await
        .expect("inventory starts");
    let payments = RunningService::start::<payments::Service>(environment.clone())
        .await
        .expect("payments starts");
    let address = |service: &RunningService| format!("http://127.0.0.1:{}", service.port);
    let ordering =
        RunningService::start_with::<ordering::Service>(environment.clone(), |settings| {
            settings.upstream.customers = address(&customers);
            settings.upstream.inventory = address(&inventory);
            settings.upstream.payments = address(&payments);
            if let Some(token) = service_token {
                settings.auth.service_token = token;
            }
        })
        .await
        .expect("ordering starts");
    Plaza {
        ordering: OrderingServiceClient::new(ordering.as_admin()),
        customers: CustomersServiceClient::new(customers.as_admin()),
        inventory: InventoryServiceClient::new(inventory.as_admin()),
        payments: PaymentsServiceClient::new(payments.as_admin()),
        environment,
        payments_service: Some(payments),
        _services: vec![customers, inventory, ordering],
    }
}

impl Plaza {
    /// Stops payments as SIGTERM would; its consumer's messages wait in JetStream.
    pub async fn stop_payments(&mut self) {
        if let Some(payments) = self.payments_service.take() {
            payments.stop().await.expect("payments stops cleanly");
        }
    }

    /// Starts payments again on the same database and namespace.
    pub async fn start_payments(&mut self) {
        let payments = RunningService::start::<payments::Service>(self.environment.clone())
            .await
            .expect("payments starts");
        self.payments = PaymentsServiceClient::new(payments.as_admin());
        self.payments_service = Some(payments);
    }

    /// How many messages wait for the durable consumer `durable` of `stream`.
    pub async fn waiting_for(&self, stream: Stream, durable: &str) -> u64 {
        let jetstream = self.environment.nats.jetstream();
        let stream = jetstream
            .get_stream(self.environment.nats.namespace.stream_name(stream))
            .await
            .expect("stream");
        let info = stream.consumer_info(durable).await.expect("consumer");
        info.num_pending + info.num_ack_pending as u64
    }
}

/// A shopper: a customer id and an authorized payment id.
pub struct Shopper {
    pub customer_id: String,
    pub payment_id: String,
}

impl Plaza {
    /// A participating store with one product.
    pub async fn product(&self, price_cents: i64, stock: i32) -> Product {
        let mut inventory = self.inventory.clone();
        let store = inventory
            .create_store(CreateStoreRequest {
                name: "Corner Shop".to_owned(),
                location: "Main St 1".to_owned(),
            })
            .await
            .unwrap()
            .into_inner();
        inventory
            .enable_participation(EnableParticipationRequest {
                id: store.id.clone(),
            })
            .await
            .unwrap();
        inventory
            .add_product(AddProductRequest {
                store_id: store.id,
                name: "Tea".to_owned(),
                description: "Green".to_owned(),
                price_cents,
                stock,
            })
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn customer(&self) -> String {
        let phone = format!("+{}", Uuid::now_v7().as_u128() % 10_000_000_000_000);
        self.customers
            .clone()
            .register_customer(RegisterCustomerRequest {
                name: "Ana".to_owned(),
                phone,
            })
            .await
            .unwrap()
            .into_inner()
            .customer
            .unwrap()
            .id
    }

    pub async fn authorize(&self, customer_id: &str, amount_cents: i64) -> Payment {
        self.payments
            .clone()
            .authorize_payment(AuthorizePaymentRequest {
                customer_id: customer_id.to_owned(),
                amount_cents,
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// A new customer with a payment of `amount_cents`.
    pub async fn shopper(&self, amount_cents: i64) -> Shopper {
        let customer_id = self.customer().await;
        let payment_id = self.authorize(&customer_id, amount_cents).await.id;
        Shopper {
            customer_id,
            payment_id,
        }
    }

    pub async fn order(
        &self,
        shopper: &Shopper,
        product: &Product,
        quantity: i32,
    ) -> Result<Order, Status> {
        self.ordering
            .clone()
            .create_order(CreateOrderRequest {
                customer_id: shopper.customer_id.clone(),
                payment_id: shopper.payment_id.clone(),
                items: vec![Item {
                    product_id: product.id.clone(),
                    quantity,
                }],
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn get_order(&self, id: &str) -> Order {
        self.ordering
            .clone()
            .get_order(GetOrderRequest { id: id.to_owned() })
            .await
            .unwrap()
            .into_inner()
    }

    /// Polls the order until `done` holds, within [`DEADLINE`].
    pub async fn order_when(&self, id: &str, done: impl Fn(&Order) -> bool) -> Order {
        let reached = eventually(DEADLINE, || async {
            let order = self.get_order(id).await;
            done(&order).then_some(order)
        })
        .await;
        match reached {
            Ok(order) => order,
            Err(_) => panic!("order never got there: {:?}", self.get_order(id).await),
        }
    }

    pub async fn order_with_status(&self, id: &str, status: OrderStatus) -> Order {
        self.order_when(id, |order| order.status() == status).await
    }

    pub async fn get_product(&self, id: &str) -> Product {
        self.inventory
            .clone()
            .get_product(GetProductRequest { id: id.to_owned() })
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn get_payment(&self, id: &str) -> Payment {
        self.payments
            .clone()
            .get_payment(GetPaymentRequest { id: id.to_owned() })
            .await
            .unwrap()
            .into_inner()
    }
}

/// The durable consumers of the saga: (stream, durable).
pub const CONSUMERS: [(Stream, &str); 4] = [
    (Stream::ORDERING, "payments-orders"),
    (Stream::ORDERING, "inventory-orders"),
    (Stream::PAYMENTS, "ordering-payments"),
    (Stream::INVENTORY, "ordering-inventory"),
];

impl Plaza {
    /// Waits until every saga consumer has handled every message of its stream and every
    /// outbox is relayed: nothing is left in flight.
    pub async fn wait_until_settled(&self) {
        for _ in 0..2 {
            // Twice: what the consumers did in the first round was published meanwhile.
            for (stream, durable) in CONSUMERS {
                self.environment.wait_until_consumed(stream, durable).await;
            }
            for schema in ["ordering", "payments", "inventory"] {
                self.environment.wait_until_relayed(schema).await;
            }
        }
    }

    /// The read model, row for row, as the database holds it.
    pub async fn read_model(&self) -> Vec<serde_json::Value> {
        sqlx::query_scalar("SELECT to_jsonb(o) FROM ordering.orders o ORDER BY id")
            .fetch_all(&self.environment.superuser().await)
            .await
            .unwrap()
    }
}
