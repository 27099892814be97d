//! The `plaza.customers.v1.CustomersService` API: proto in, domain through, proto out.

use plaza_domain::{PageRequest, parse_id};
use plaza_proto::{
    customers::v1::{
        Customer as CustomerMessage, GetCustomerRequest, ListCustomersRequest,
        ListCustomersResponse, RegisterCustomerRequest, customers_service_server::CustomersService,
    },
    timestamp,
};
use plaza_service::ServiceError;
use tonic::{Request, Response, Status};

use crate::{
    application::Customers,
    domain::{Customer, Registration},
};

#[derive(Debug)]
pub struct CustomersApi {
    customers: Customers,
}

impl CustomersApi {
    pub fn new(customers: Customers) -> Self {
        Self { customers }
    }
}

#[tonic::async_trait]
impl CustomersService for CustomersApi {
    async fn register_customer(
        &self,
        request: Request<RegisterCustomerRequest>,
    ) -> Result<Response<CustomerMessage>, Status> {
        let request = request.into_inner();
        let registration =
            Registration::parse(&request.name, &request.phone).map_err(ServiceError::from)?;
        let customer = self.customers.register(registration).await?;
        Ok(Response::new(message(customer)))
    }

    async fn get_customer(
        &self,
        request: Request<GetCustomerRequest>,
    ) -> Result<Response<CustomerMessage>, Status> {
        let id = parse_id("id", &request.get_ref().id).map_err(ServiceError::from)?;
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
