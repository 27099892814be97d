//! The `plaza.payments.v1.PaymentsService` API: proto in, domain through, proto out, and
//! who may call each method.

use plaza_auth::{Access, Caller};
use plaza_domain::parse_id;
use plaza_proto::{
    payments::v1::{
        AuthorizePaymentRequest, CapturePaymentRequest, GetPaymentRequest,
        Payment as PaymentMessage, PaymentStatus as PaymentStatusMessage,
        payments_service_server::PaymentsService,
    },
    timestamp,
};
use plaza_service::ServiceError;
use tonic::{Request, Response, Status};

use crate::{
    application::Payments,
    domain::{Authorization, Payment, PaymentStatus},
};

/// Who may call each method: customers authorize and read their own payments (the handlers
/// check whose); capturing is ordering's part of paying an order.
pub fn access(method: &str) -> Access {
    match method {
        "AuthorizePayment" | "GetPayment" => Access::SignedIn,
        "CapturePayment" => Access::Service,
        _ => Access::Admin,
    }
}

#[derive(Debug)]
pub struct PaymentsApi {
    payments: Payments,
}

impl PaymentsApi {
    pub fn new(payments: Payments) -> Self {
        Self { payments }
    }
}

#[tonic::async_trait]
impl PaymentsService for PaymentsApi {
    async fn authorize_payment(
        &self,
        request: Request<AuthorizePaymentRequest>,
    ) -> Result<Response<PaymentMessage>, Status> {
        let caller = Caller::of(&request)?.clone();
        let request = request.into_inner();
        let authorization = Authorization::parse(
            &request.customer_id,
            request.amount_cents,
            &request.request_id,
        )
        .map_err(ServiceError::from)?;
        caller.require_customer(authorization.customer_id)?;
        Ok(Response::new(message(
            self.payments.authorize(authorization).await?,
        )))
    }

    async fn get_payment(
        &self,
        request: Request<GetPaymentRequest>,
    ) -> Result<Response<PaymentMessage>, Status> {
        let id = parse_id("id", &request.get_ref().id).map_err(ServiceError::from)?;
        let payment = self.payments.get(id).await?;
        Caller::of(&request)?.require_customer(payment.customer_id)?;
        Ok(Response::new(message(payment)))
    }

    async fn capture_payment(
        &self,
        request: Request<CapturePaymentRequest>,
    ) -> Result<Response<PaymentMessage>, Status> {
        let request = request.into_inner();
        let id = parse_id("id", &request.id).map_err(ServiceError::from)?;
        let order_id = parse_id("order_id", &request.order_id).map_err(ServiceError::from)?;
        Ok(Response::new(message(
            self.payments.capture(id, order_id).await?,
        )))
    }
}

fn message(payment: Payment) -> PaymentMessage {
    let status = match payment.status {
        PaymentStatus::Authorized => PaymentStatusMessage::Authorized,
        PaymentStatus::Confirmed => PaymentStatusMessage::Confirmed,
        PaymentStatus::Captured => PaymentStatusMessage::Captured,
        PaymentStatus::Voided => PaymentStatusMessage::Voided,
    };
    PaymentMessage {
        id: payment.id.to_string(),
        customer_id: payment.customer_id.to_string(),
        amount_cents: payment.amount_cents,
        status: status.into(),
        order_id: payment
            .order_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        create_time: Some(timestamp(payment.created_at)),
        update_time: Some(timestamp(payment.updated_at)),
    }
}
