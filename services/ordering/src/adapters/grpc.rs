//! The `plaza.ordering.v1.OrderingService` API: proto in, domain through, proto out, and
//! who may call each method.

use plaza_auth::{Access, Caller};
use plaza_domain::{FieldError, PageRequest, parse_id, parse_page_size};
use plaza_proto::{
    json_struct,
    ordering::v1::{
        CancelOrderRequest, CreateOrderRequest, GetOrderRequest, ListEventsRequest,
        ListEventsResponse, ListOrderEventsRequest, ListOrderEventsResponse, ListOrdersRequest,
        ListOrdersResponse, Order as OrderMessage, OrderEvent as OrderEventMessage, OrderItem,
        OrderPaymentStatus, OrderStatus as OrderStatusMessage, OrderStockStatus, PayOrderRequest,
        RejectReason as RejectReasonMessage, SortOrder, ordering_service_server::OrderingService,
    },
    timestamp,
};
use plaza_service::ServiceError;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::{
    adapters::postgres::{EventsQuery, StoredEvent},
    application::Orders,
    domain::{Order, OrderRequest, OrderStatus, PaymentState, RejectReason, StockState},
};

/// Who may call each method: customers place, read, list, pay and cancel their own orders
/// (the handlers check whose); the event views are for admins.
pub fn access(method: &str) -> Access {
    match method {
        "CreateOrder" | "GetOrder" | "ListOrders" | "PayOrder" | "CancelOrder" => Access::SignedIn,
        _ => Access::Admin,
    }
}

#[derive(Debug)]
pub struct OrderingApi {
    orders: Orders,
}

impl OrderingApi {
    pub fn new(orders: Orders) -> Self {
        Self { orders }
    }

    /// Order `id`, if `caller` may touch it: its customer, or an admin. An order's customer
    /// never changes, so checking before paying or cancelling is as good as checking during.
    async fn order_of(&self, caller: &Caller, id: Uuid) -> Result<Order, Status> {
        let order = self.orders.get(id).await?;
        caller.require_customer(order.customer_id)?;
        Ok(order)
    }
}

fn valid<T>(result: Result<T, FieldError>) -> Result<T, ServiceError> {
    result.map_err(ServiceError::from)
}

#[tonic::async_trait]
impl OrderingService for OrderingApi {
    async fn create_order(
        &self,
        request: Request<CreateOrderRequest>,
    ) -> Result<Response<OrderMessage>, Status> {
        let caller = Caller::of(&request)?.clone();
        let request = request.into_inner();
        let items: Vec<(String, i32)> = request
            .items
            .into_iter()
            .map(|item| (item.product_id, item.quantity))
            .collect();
        let order = valid(OrderRequest::parse(
            &request.customer_id,
            &request.payment_id,
            &items,
            &request.request_id,
        ))?;
        caller.require_customer(order.customer_id)?;
        Ok(Response::new(message(self.orders.place(order).await?)))
    }

    async fn get_order(
        &self,
        request: Request<GetOrderRequest>,
    ) -> Result<Response<OrderMessage>, Status> {
        let id = valid(parse_id("id", &request.get_ref().id))?;
        let order = self.order_of(Caller::of(&request)?, id).await?;
        Ok(Response::new(message(order)))
    }

    async fn list_orders(
        &self,
        request: Request<ListOrdersRequest>,
    ) -> Result<Response<ListOrdersResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let request = request.into_inner();
        let customer_id = match request.customer_id.as_str() {
            "" => None,
            id => Some(valid(parse_id("customer_id", id))?),
        };
        match customer_id {
            Some(customer_id) => caller.require_customer(customer_id)?,
            // Every customer's orders: the order admin view.
            None => caller.require_admin()?,
        }
        let page = valid(PageRequest::parse(request.page_size, &request.page_token))?;
        let page = self.orders.list(customer_id, page).await?;
        Ok(Response::new(ListOrdersResponse {
            next_page_token: page
                .next_page_token
                .map(|id| id.to_string())
                .unwrap_or_default(),
            orders: page.items.into_iter().map(message).collect(),
        }))
    }

    async fn pay_order(
        &self,
        request: Request<PayOrderRequest>,
    ) -> Result<Response<OrderMessage>, Status> {
        let id = valid(parse_id("id", &request.get_ref().id))?;
        self.order_of(Caller::of(&request)?, id).await?;
        Ok(Response::new(message(self.orders.pay(id).await?)))
    }

    async fn cancel_order(
        &self,
        request: Request<CancelOrderRequest>,
    ) -> Result<Response<OrderMessage>, Status> {
        let id = valid(parse_id("id", &request.get_ref().id))?;
        self.order_of(Caller::of(&request)?, id).await?;
        Ok(Response::new(message(self.orders.cancel(id).await?)))
    }

    async fn list_order_events(
        &self,
        request: Request<ListOrderEventsRequest>,
    ) -> Result<Response<ListOrderEventsResponse>, Status> {
        let id = valid(parse_id("id", &request.get_ref().id))?;
        let events = self.orders.timeline(id).await?;
        Ok(Response::new(ListOrderEventsResponse {
            events: events.into_iter().map(event_message).collect(),
        }))
    }

    async fn list_events(
        &self,
        request: Request<ListEventsRequest>,
    ) -> Result<Response<ListEventsResponse>, Status> {
        let request = request.into_inner();
        let order_id = match request.order_id.as_str() {
            "" => None,
            id => Some(valid(parse_id("order_id", id))?),
        };
        let size = valid(parse_page_size(request.page_size))?;
        let after = match request.page_token.as_str() {
            "" => None,
            token => Some(token.parse::<i64>().map_err(|_| {
                ServiceError::from(FieldError::new(
                    "page_token",
                    "is not a token from a previous page",
                ))
            })?),
        };
        let query = EventsQuery {
            order_id,
            newest_first: request.sort() == SortOrder::Descending,
            after,
            limit: i64::from(size) + 1,
        };
        let mut events = self.orders.events(query).await?;
        let next_page_token = if events.len() > size as usize {
            events.truncate(size as usize);
            events
                .last()
                .map(|event| event.position.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(ListEventsResponse {
            events: events.into_iter().map(event_message).collect(),
            next_page_token,
        }))
    }
}

fn message(order: Order) -> OrderMessage {
    let status = match order.status {
        OrderStatus::Pending => OrderStatusMessage::Pending,
        OrderStatus::Accepted => OrderStatusMessage::Accepted,
        OrderStatus::Rejected => OrderStatusMessage::Rejected,
        OrderStatus::Delivered => OrderStatusMessage::Delivered,
        OrderStatus::Cancelled => OrderStatusMessage::Cancelled,
    };
    let payment_status = match order.payment {
        PaymentState::Pending => OrderPaymentStatus::Pending,
        PaymentState::Confirmed => OrderPaymentStatus::Confirmed,
        PaymentState::Rejected => OrderPaymentStatus::Rejected,
        PaymentState::Captured => OrderPaymentStatus::Captured,
        PaymentState::Voided => OrderPaymentStatus::Voided,
    };
    let stock_status = match order.stock {
        StockState::Pending => OrderStockStatus::Pending,
        StockState::Reserved => OrderStockStatus::Reserved,
        StockState::OutOfStock => OrderStockStatus::OutOfStock,
        StockState::Released => OrderStockStatus::Released,
        StockState::Committed => OrderStockStatus::Committed,
    };
    let reject_reason = match order.reject_reason {
        None => RejectReasonMessage::Unspecified,
        Some(RejectReason::OutOfStock) => RejectReasonMessage::OutOfStock,
        Some(RejectReason::NotEnoughMoney) => RejectReasonMessage::NotEnoughMoney,
        Some(RejectReason::UnknownPayment) => RejectReasonMessage::UnknownPayment,
        Some(RejectReason::PaymentAlreadyUsed) => RejectReasonMessage::PaymentAlreadyUsed,
        Some(RejectReason::CustomerMismatch) => RejectReasonMessage::CustomerMismatch,
    };
    OrderMessage {
        id: order.id.to_string(),
        customer_id: order.customer_id.to_string(),
        payment_id: order.payment_id.to_string(),
        items: order
            .lines
            .into_iter()
            .map(|line| OrderItem {
                product_id: line.product_id.to_string(),
                store_id: line.store_id.to_string(),
                product_name: line.product_name,
                store_name: line.store_name,
                unit_price_cents: line.unit_price_cents,
                quantity: line.quantity,
            })
            .collect(),
        total_cents: order.total_cents,
        status: status.into(),
        payment_status: payment_status.into(),
        stock_status: stock_status.into(),
        reject_reason: reject_reason.into(),
        create_time: Some(timestamp(order.created_at)),
        update_time: Some(timestamp(order.updated_at)),
        version: order.version,
    }
}

fn event_message(event: StoredEvent) -> OrderEventMessage {
    OrderEventMessage {
        position: event.position,
        order_id: event.order_id.to_string(),
        version: event.version,
        r#type: event.event_type,
        data: Some(json_struct(event.data)),
        record_time: Some(timestamp(event.recorded_at)),
    }
}
