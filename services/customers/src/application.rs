//! The customers use cases. Each change is one transaction that also appends its event to
//! the outbox.

use plaza_domain::{Page, PageRequest, new_id, now};
use plaza_events::{Envelope, customers::CustomerRegistered};
use plaza_messaging::Outbox;
use plaza_service::ServiceError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    adapters::postgres,
    domain::{Customer, Registration, SignIn},
};

#[derive(Debug, Clone)]
pub struct Customers {
    pool: PgPool,
    outbox: Outbox,
}

impl Customers {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { pool, outbox }
    }

    pub async fn register(&self, registration: Registration) -> Result<Customer, ServiceError> {
        let customer = Customer {
            id: new_id(),
            name: registration.name().to_owned(),
            phone: registration.phone().to_owned(),
            registered_at: now(),
        };
        let mut transaction = self.pool.begin().await?;
        postgres::insert(&mut transaction, &customer).await?;
        let event = CustomerRegistered {
            customer_id: customer.id,
            name: customer.name.clone(),
            phone: customer.phone.clone(),
        };
        self.outbox
            .commit(transaction, Envelope::new(customer.id, event))
            .await?;
        tracing::info!(customer_id = %customer.id, "customer registered");
        Ok(customer)
    }

    /// The customer signing in, if the id and phone are theirs. A wrong pair is refused the
    /// same way whichever half is wrong, so it tells no one which ids exist.
    pub async fn sign_in(&self, sign_in: SignIn) -> Result<Customer, ServiceError> {
        postgres::find(&self.pool, sign_in.customer_id())
            .await?
            .filter(|customer| sign_in.matches(customer))
            .ok_or_else(|| {
                ServiceError::Unauthenticated(
                    "no customer has this customer_id and phone".to_owned(),
                )
            })
    }

    pub async fn get(&self, id: Uuid) -> Result<Customer, ServiceError> {
        postgres::find(&self.pool, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("customer {id} not found")))
    }

    pub async fn list(&self, page: PageRequest) -> Result<Page<Customer>, ServiceError> {
        let rows = postgres::list(&self.pool, page).await?;
        Ok(Page::from_rows(rows, page, |customer| customer.id))
    }
}
