//! The services ordering asks over gRPC, each through one shared, lazily connected channel.

use std::time::Duration;

use plaza_auth::Bearer;
use plaza_proto::{
    customers::v1::{GetCustomerRequest, customers_service_client::CustomersServiceClient},
    inventory::v1::{BatchGetProductsRequest, inventory_service_client::InventoryServiceClient},
    payments::v1::{CapturePaymentRequest, payments_service_client::PaymentsServiceClient},
};
use plaza_service::{ServiceError, telemetry::PropagateTrace};
use serde::Deserialize;
use tonic::{Code, Status, service::interceptor::InterceptedService, transport::Channel};
use uuid::Uuid;

use crate::domain::PricedProduct;

/// Where the other services listen.
#[derive(Debug, Clone, Deserialize)]
pub struct UpstreamSettings {
    pub customers: String,
    pub inventory: String,
    pub payments: String,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A channel that carries ordering's service token and the caller's trace context.
type Traced = InterceptedService<InterceptedService<Channel, Bearer>, PropagateTrace>;

#[derive(Debug, Clone)]
pub struct Upstream {
    customers: CustomersServiceClient<Traced>,
    inventory: InventoryServiceClient<Traced>,
    payments: PaymentsServiceClient<Traced>,
}

fn channel(address: &str, token: &Bearer) -> anyhow::Result<Traced> {
    let channel = Channel::from_shared(address.to_owned())?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .connect_lazy();
    Ok(InterceptedService::new(
        InterceptedService::new(channel, token.clone()),
        PropagateTrace,
    ))
}

/// A failure of another service: unavailable (the caller may retry), or unexpected.
fn upstream_error(service: &str, status: Status) -> ServiceError {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
            ServiceError::Unavailable(format!("the {service} service is unavailable, try again"))
        }
        // A misconfiguration, not the caller's doing: an operator must issue ordering a new
        // token or give it the right one.
        Code::Unauthenticated | Code::PermissionDenied => {
            ServiceError::Unexpected(anyhow::anyhow!(
                "{service} refused ordering's service token (auth.service_token): {}",
                status.message()
            ))
        }
        code => ServiceError::Unexpected(anyhow::anyhow!(
            "{service} answered {code:?}: {}",
            status.message()
        )),
    }
}

impl Upstream {
    pub fn connect(settings: &UpstreamSettings, service_token: &str) -> anyhow::Result<Self> {
        let token = Bearer::new(service_token)
            .map_err(|_| anyhow::anyhow!("auth.service_token is not a token"))?;
        Ok(Self {
            customers: CustomersServiceClient::new(channel(&settings.customers, &token)?),
            inventory: InventoryServiceClient::new(channel(&settings.inventory, &token)?),
            payments: PaymentsServiceClient::new(channel(&settings.payments, &token)?),
        })
    }

    pub async fn customer_exists(&self, id: Uuid) -> Result<bool, ServiceError> {
        let request = GetCustomerRequest { id: id.to_string() };
        match self.customers.clone().get_customer(request).await {
            Ok(_) => Ok(true),
            Err(status) if status.code() == Code::NotFound => Ok(false),
            Err(status) => Err(upstream_error("customers", status)),
        }
    }

    /// The products with their stores and prices; unknown ids are left out.
    pub async fn price(&self, ids: &[Uuid]) -> Result<Vec<PricedProduct>, ServiceError> {
        let request = BatchGetProductsRequest {
            ids: ids.iter().map(Uuid::to_string).collect(),
        };
        let response = self
            .inventory
            .clone()
            .batch_get_products(request)
            .await
            .map_err(|status| upstream_error("inventory", status))?
            .into_inner();
        response
            .products
            .into_iter()
            .map(|priced| {
                let product = priced.product.unwrap_or_default();
                Ok(PricedProduct {
                    product_id: parse_uuid(&product.id)?,
                    store_id: parse_uuid(&product.store_id)?,
                    product_name: product.name,
                    store_name: priced.store_name,
                    unit_price_cents: product.price_cents,
                    store_participating: priced.store_participating,
                })
            })
            .collect()
    }

    /// Captures the order's payment. Payments refuses (FAILED_PRECONDITION) a payment not
    /// confirmed for the order.
    pub async fn capture(&self, payment_id: Uuid, order_id: Uuid) -> Result<(), ServiceError> {
        let request = CapturePaymentRequest {
            id: payment_id.to_string(),
            order_id: order_id.to_string(),
        };
        match self.payments.clone().capture_payment(request).await {
            Ok(_) => Ok(()),
            Err(status) if status.code() == Code::FailedPrecondition => Err(
                ServiceError::FailedPrecondition(format!("payment refused: {}", status.message())),
            ),
            Err(status) => Err(upstream_error("payments", status)),
        }
    }
}

fn parse_uuid(value: &str) -> Result<Uuid, ServiceError> {
    Uuid::parse_str(value).map_err(|error| {
        ServiceError::Unexpected(anyhow::anyhow!(
            "inventory sent a malformed id {value:?}: {error}"
        ))
    })
}
