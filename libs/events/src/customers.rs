//! Events of the customers service, on the `CUSTOMERS` stream.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Event;

const SOURCE: &str = "plaza/customers";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRegistered {
    pub customer_id: Uuid,
    pub name: String,
    pub phone: String,
}

impl Event for CustomerRegistered {
    const TYPE: &'static str = "customers.customer.registered";
    const SOURCE: &'static str = SOURCE;
}
