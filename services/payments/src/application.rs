//! The payments use cases. Each change is one transaction that also appends its event to the
//! outbox.

use plaza_domain::{new_id, now};
use plaza_events::{
    Envelope,
    payments::{PaymentAuthorized, PaymentCaptured},
};
use plaza_messaging::Outbox;
use plaza_service::ServiceError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    adapters::postgres,
    domain::{Authorization, Capture, Payment, PaymentStatus, decide_capture},
};

#[derive(Debug, Clone)]
pub struct Payments {
    pool: PgPool,
    outbox: Outbox,
}

fn not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("payment {id} not found"))
}

impl Payments {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { pool, outbox }
    }

    /// Authorizes an amount. Idempotent: a request id the customer used before returns the
    /// payment it made, and publishes nothing.
    pub async fn authorize(&self, authorization: Authorization) -> Result<Payment, ServiceError> {
        let created_at = now();
        let payment = Payment {
            id: new_id(),
            customer_id: authorization.customer_id,
            amount_cents: authorization.amount_cents,
            status: PaymentStatus::Authorized,
            order_id: None,
            request_id: authorization.request_id.clone(),
            created_at,
            updated_at: created_at,
        };
        let mut transaction = self.pool.begin().await?;
        if !postgres::insert(&mut transaction, &payment).await? {
            let request_id = authorization.request_id.as_deref().unwrap_or_default();
            let earlier =
                postgres::find_by_request(&mut transaction, payment.customer_id, request_id)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::Aborted("request_id: in use, try again".to_owned())
                    })?;
            if !authorization.is_repeated_by(&earlier) {
                return Err(ServiceError::AlreadyExists(
                    "request_id: already used for a payment of a different amount".to_owned(),
                ));
            }
            return Ok(earlier);
        }
        let event = PaymentAuthorized {
            payment_id: payment.id,
            customer_id: payment.customer_id,
            amount_cents: payment.amount_cents,
        };
        self.outbox
            .commit(transaction, Envelope::new(payment.id, event))
            .await?;
        tracing::info!(payment_id = %payment.id, amount_cents = payment.amount_cents, "payment authorized");
        Ok(payment)
    }

    pub async fn get(&self, id: Uuid) -> Result<Payment, ServiceError> {
        postgres::find(&self.pool, id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Captures a payment confirmed for `order_id`. Idempotent for the same order.
    pub async fn capture(&self, id: Uuid, order_id: Uuid) -> Result<Payment, ServiceError> {
        let mut transaction = self.pool.begin().await?;
        let mut payment = postgres::find_for_update(&mut transaction, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        match decide_capture(&payment, order_id) {
            Err(refused) => Err(ServiceError::FailedPrecondition(refused.to_string())),
            Ok(Capture::AlreadyTaken) => Ok(payment),
            Ok(Capture::Take) => {
                payment.status = PaymentStatus::Captured;
                payment.updated_at = now();
                postgres::set_status(&mut transaction, id, payment.status, payment.updated_at)
                    .await?;
                let event = PaymentCaptured {
                    payment_id: id,
                    order_id,
                    amount_cents: payment.amount_cents,
                };
                self.outbox
                    .commit(transaction, Envelope::new(id, event))
                    .await?;
                tracing::info!(payment_id = %id, order_id = %order_id, "payment captured");
                Ok(payment)
            }
        }
    }
}
