//! The shop a load run buys from: one participating store with products that never run out
//! (the bench), or with a stock of their own that runs out (the chaos run), customers, and one
//! authorized payment per order to come (a payment pays for one order). The store is opened
//! with the admin's credential; each payment is authorized with its customer's.

use anyhow::Context;
use futures::{StreamExt, TryStreamExt, stream};
use plaza_proto::{
    customers::v1::{RegisterCustomerRequest, customers_service_client::CustomersServiceClient},
    inventory::v1::{
        AddProductRequest, CreateStoreRequest, EnableParticipationRequest,
        inventory_service_client::InventoryServiceClient,
    },
    payments::v1::{AuthorizePaymentRequest, payments_service_client::PaymentsServiceClient},
};
use tonic::transport::Channel;

use crate::{access::Credential, stack::Stack};

/// A customer registered for the run, with the credential their session gave them.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: String,
    pub credential: Credential,
}

/// What one order needs: who buys, with which payment, which product (one unit).
#[derive(Debug, Clone)]
pub struct Ticket {
    pub customer: Customer,
    pub payment_id: String,
    pub product_id: String,
}

/// How many products and customers the orders are spread over.
#[derive(Debug, Clone, Copy)]
pub struct ShopSize {
    pub products: usize,
    pub customers: usize,
}

/// Requests in flight while preparing.
const SETUP_CONCURRENCY: usize = 64;
/// Enough stock that no bench order is ever out of stock.
const STOCK: i32 = 1_000_000_000;

pub async fn connect(address: &str) -> anyhow::Result<Channel> {
    Channel::from_shared(address.to_owned())?
        .connect()
        .await
        .with_context(|| format!("cannot connect to {address}: is the stack running (make run)?"))
}

/// Opens the store and its products (as `admin`), registers the customers, and authorizes
/// `orders` payments, each covering one unit of the product its ticket names. `label` keeps
/// the names (and phone numbers) of this run apart from earlier ones.
pub async fn prepare(
    stack: &Stack,
    admin: &Credential,
    label: &str,
    size: ShopSize,
    orders: usize,
) -> anyhow::Result<Vec<Ticket>> {
    anyhow::ensure!(
        size.products > 0 && size.customers > 0,
        "a shop needs at least one product and one customer"
    );
    let catalog: Vec<(i64, i32)> = (0..size.products)
        .map(|index| (100 + 37 * index as i64, STOCK))
        .collect();
    let (_, products) = open_store(stack, admin, "Bench", label, &catalog).await?;
    let customers = CustomersServiceClient::new(connect(&stack.customers).await?);
    let customers = register_customers(&customers, label, "Bench customer", size.customers)
        .await
        .context("registering the bench customers")?;

    let tickets: Vec<(&Customer, &StockedProduct)> = (0..orders)
        .map(|index| {
            (
                &customers[index % customers.len()],
                &products[index % products.len()],
            )
        })
        .collect();
    let requests: Vec<PaymentRequest> = tickets
        .iter()
        .map(|(customer, product)| PaymentRequest {
            customer: (*customer).clone(),
            amount_cents: product.price_cents,
            request_id: String::new(),
        })
        .collect();
    let payment_ids = authorize_payments(stack, &requests).await?;
    Ok(tickets
        .into_iter()
        .zip(payment_ids)
        .map(|((customer, product), payment_id)| Ticket {
            customer: customer.clone(),
            payment_id,
            product_id: product.id.clone(),
        })
        .collect())
}

/// Opens a participating store named `{kind} store {label}` with one product per entry of
/// `catalog` (price in cents, stock), as `admin`.
async fn open_store(
    stack: &Stack,
    admin: &Credential,
    kind: &str,
    label: &str,
    catalog: &[(i64, i32)],
) -> anyhow::Result<(String, Vec<StockedProduct>)> {
    let mut inventory = InventoryServiceClient::new(connect(&stack.inventory).await?);
    let store = inventory
        .create_store(admin.request(CreateStoreRequest {
            name: format!("{kind} store {label}"),
            location: "Loopback".to_owned(),
        }))
        .await?
        .into_inner();
    inventory
        .enable_participation(admin.request(EnableParticipationRequest {
            id: store.id.clone(),
        }))
        .await?;
    let mut products = Vec::with_capacity(catalog.len());
    for (index, &(price_cents, stock)) in catalog.iter().enumerate() {
        let product = inventory
            .add_product(admin.request(AddProductRequest {
                store_id: store.id.clone(),
                name: format!("{kind} product {index}"),
                description: String::new(),
                price_cents,
                stock,
            }))
            .await?
            .into_inner();
        products.push(StockedProduct {
            id: product.id,
            price_cents,
            initial_stock: product.stock,
        });
    }
    Ok((store.id, products))
}

/// Registers `count` customers named `{name} {index}`, each with the credential of the
/// session registration opens; `label` keeps their phone numbers apart from earlier runs'.
async fn register_customers(
    customers: &CustomersServiceClient<Channel>,
    label: &str,
    name: &str,
    count: usize,
) -> anyhow::Result<Vec<Customer>> {
    stream::iter(0..count)
        .map(|index| {
            let mut customers = customers.clone();
            // Unique per run and customer: 3 to 32 characters, digits and spaces.
            let phone = format!("+99 {label} {index:06}");
            let name = format!("{name} {index}");
            async move {
                let session = customers
                    .register_customer(RegisterCustomerRequest { name, phone })
                    .await?
                    .into_inner();
                let customer = session
                    .customer
                    .context("a registration's session without its customer")?;
                anyhow::Ok(Customer {
                    id: customer.id,
                    credential: Credential::new(&session.access_token)?,
                })
            }
        })
        .buffered(SETUP_CONCURRENCY)
        .try_collect()
        .await
}

/// A product of a stocked shop, with the stock it started with.
#[derive(Debug, Clone)]
pub struct StockedProduct {
    pub id: String,
    pub price_cents: i64,
    pub initial_stock: i32,
}

/// A participating store whose products have a limited stock, and its customers.
#[derive(Debug, Clone)]
pub struct StockedShop {
    pub store_id: String,
    pub products: Vec<StockedProduct>,
    pub customers: Vec<Customer>,
}

/// Opens a participating store (as `admin`) with one product per entry of `stocks` (that many
/// units each, prices differing), and registers `customers` customers. `label` keeps the
/// names and phone numbers of this run apart from earlier ones.
pub async fn open_stocked_shop(
    stack: &Stack,
    admin: &Credential,
    label: &str,
    stocks: &[i32],
    customers: usize,
) -> anyhow::Result<StockedShop> {
    anyhow::ensure!(
        !stocks.is_empty() && customers > 0,
        "a shop needs at least one product and one customer"
    );
    let catalog: Vec<(i64, i32)> = stocks
        .iter()
        .enumerate()
        .map(|(index, &stock)| (250 + 111 * index as i64, stock))
        .collect();
    let (store_id, products) = open_store(stack, admin, "Chaos", label, &catalog).await?;
    let customers_client = CustomersServiceClient::new(connect(&stack.customers).await?);
    let customers = register_customers(&customers_client, label, "Chaos customer", customers)
        .await
        .context("registering the chaos customers")?;
    Ok(StockedShop {
        store_id,
        products,
        customers,
    })
}

/// A payment to authorize, by the customer who pays; the request id makes a repeated
/// authorization the same payment.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    pub customer: Customer,
    pub amount_cents: i64,
    pub request_id: String,
}

/// Authorizes the payments, in the order given, each with its customer's credential; their
/// ids.
pub async fn authorize_payments(
    stack: &Stack,
    requests: &[PaymentRequest],
) -> anyhow::Result<Vec<String>> {
    let payments = PaymentsServiceClient::new(connect(&stack.payments).await?);
    stream::iter(requests)
        .map(|request| {
            let mut payments = payments.clone();
            async move {
                let payment = payments
                    .authorize_payment(request.customer.credential.request(
                        AuthorizePaymentRequest {
                            customer_id: request.customer.id.clone(),
                            amount_cents: request.amount_cents,
                            request_id: request.request_id.clone(),
                        },
                    ))
                    .await?
                    .into_inner();
                anyhow::Ok(payment.id)
            }
        })
        .buffered(SETUP_CONCURRENCY)
        .try_collect()
        .await
        .context("authorizing the payments")
}
