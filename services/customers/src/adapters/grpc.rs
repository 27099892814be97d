//! The `plaza.customers.v1.CustomersService` API: proto in, domain through, proto out, and
//! who may call each method.

use std::{sync::Arc, time::Duration};

use plaza_auth::{Access, Caller, Issuer};
use plaza_domain::{PageRequest, parse_id};
use plaza_proto::{
    customers::v1::{
        Customer as CustomerMessage, GetCustomerRequest, ListCustomersRequest,
        ListCustomersResponse, RegisterCustomerRequest, Session, SignInRequest,
        customers_service_server::CustomersService,
    },
    timestamp,
};
use plaza_service::ServiceError;
use tonic::{Request, Response, Status};

use crate::{
    application::Customers,
    domain::{Customer, Registration, SignIn},
};

/// Who may call each method. Registration and sign-in are public (Envoy rate-limits them);
/// a customer reads only themself, which `get_customer` checks.
pub fn access(method: &str) -> Access {
    match method {
        "RegisterCustomer" | "SignIn" => Access::Public,
        "GetCustomer" => Access::SignedIn,
        _ => Access::Admin,
    }
}

#[derive(Debug)]
pub struct CustomersApi {
    customers: Customers,
    issuer: Arc<Issuer>,
    token_lifetime: Duration,
}

impl CustomersApi {
    pub fn new(customers: Customers, issuer: Arc<Issuer>, token_lifetime: Duration) -> Self {
        Self {
            customers,
            issuer,
            token_lifetime,
        }
    }

    /// The customer, signed in: with a token that names them.
    fn session(&self, customer: Customer) -> Result<Session, ServiceError> {
        let token = self
            .issuer
            .issue(&Caller::Customer(customer.id), self.token_lifetime)?;
        Ok(Session {
            customer: Some(message(customer)),
            access_token: token.text,
            expire_time: Some(timestamp(token.expires_at.into())),
        })
    }
}

#[tonic::async_trait]
impl CustomersService for CustomersApi {
    async fn register_customer(
        &self,
        request: Request<RegisterCustomerRequest>,
    ) -> Result<Response<Session>, Status> {
        let request = request.into_inner();
        let registration =
            Registration::parse(&request.name, &request.phone).map_err(ServiceError::from)?;
        let customer = self.customers.register(registration).await?;
        Ok(Response::new(self.session(customer)?))
    }

    async fn sign_in(&self, request: Request<SignInRequest>) -> Result<Response<Session>, Status> {
        let request = request.into_inner();
        let sign_in =
            SignIn::parse(&request.customer_id, &request.phone).map_err(ServiceError::from)?;
        let customer = self.customers.sign_in(sign_in).await?;
        Ok(Response::new(self.session(customer)?))
    }

    /// For the customer themself, an admin, or ordering checking who places an order.
    async fn get_customer(
        &self,
        request: Request<GetCustomerRequest>,
    ) -> Result<Response<CustomerMessage>, Status> {
        let id = parse_id("id", &request.get_ref().id).map_err(ServiceError::from)?;
        let caller = Caller::of(&request)?;
        if !matches!(caller, Caller::Service(_)) {
            caller.require_customer(id)?;
        }
        Ok(Response::new(message(self.customers.get(id).await?)))
    }

    async fn list_customers(
        &self,
        request: Request<ListCustomersRequest>,
    ) -> Result<Response<ListCustomersResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)
            .map_err(ServiceError::from)?;
        let page = self.customers.list(page).await?;
        Ok(Response::new(ListCustomersResponse {
            next_page_token: page
                .next_page_token
                .map(|id| id.to_string())
                .unwrap_or_default(),
            customers: page.items.into_iter().map(message).collect(),
        }))
    }
}

fn message(customer: Customer) -> CustomerMessage {
    CustomerMessage {
        id: customer.id.to_string(),
        name: customer.name,
        phone: customer.phone,
        create_time: Some(timestamp(customer.registered_at)),
    }
}
