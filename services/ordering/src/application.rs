//! The ordering use cases. Every change locks the order, folds its events, decides, and
//! appends the new events with the read model row and the integration events (outbox) in one
//! transaction.

use plaza_domain::{Page, PageRequest, new_id};
use plaza_events::{
    Envelope,
    ordering::{OrderAccepted, OrderCancelled, OrderCreated, OrderDelivered, OrderRejected},
};
use plaza_messaging::{Cause, HandlerError, Outbox, outbox, trace::current_traceparent};
use plaza_service::ServiceError;
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    adapters::{
        postgres::{self, AppendError, EventsQuery, StoredEvent},
        upstream::Upstream,
    },
    domain::{Order, OrderEvent, OrderRefused, OrderRequest, PricingError, price},
};

#[derive(Debug, Clone)]
pub struct Orders {
    pool: PgPool,
    outbox: Outbox,
    upstream: Upstream,
}

fn not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("order {id} not found"))
}

impl From<AppendError> for ServiceError {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::Conflict(id) => {
                ServiceError::Aborted(format!("order {id} changed at the same time, try again"))
            }
            AppendError::RepeatedRequest => ServiceError::Aborted(
                "request_id: an order with it is being placed, try again".to_owned(),
            ),
            AppendError::Database(error) => error.into(),
        }
    }
}

impl From<OrderRefused> for ServiceError {
    fn from(refused: OrderRefused) -> Self {
        ServiceError::FailedPrecondition(refused.to_string())
    }
}

/// What the event store keeps beside each event: why it happened and its trace.
fn metadata(order_id: Uuid, cause: Option<&Cause>) -> Value {
    json!({
        "correlationId": order_id,
        "causationId": cause.map(|cause| cause.id),
        "traceparent": current_traceparent(),
    })
}

impl Orders {
    pub fn new(pool: PgPool, outbox: Outbox, upstream: Upstream) -> Self {
        Self {
            pool,
            outbox,
            upstream,
        }
    }

    /// Places an order: the customer must exist, inventory prices every line. A request id
    /// the customer used before returns that order and places nothing.
    pub async fn place(&self, request: OrderRequest) -> Result<Order, ServiceError> {
        if let Some(earlier) = self.earlier_order(&request).await? {
            return Ok(earlier);
        }
        // The two look-ups are independent: ask both at once.
        let ids: Vec<Uuid> = request.items.iter().map(|(id, _)| *id).collect();
        let (customer_exists, products) = futures::future::try_join(
            self.upstream.customer_exists(request.customer_id),
            self.upstream.price(&ids),
        )
        .await?;
        if !customer_exists {
            return Err(ServiceError::NotFound(format!(
                "customer_id: customer {} not found",
                request.customer_id
            )));
        }
        let (lines, total_cents) = price(&request, &products).map_err(|error| match error {
            PricingError::UnknownProduct { .. } => ServiceError::NotFound(error.to_string()),
            PricingError::NotOrderable(field) => ServiceError::InvalidArgument(field),
        })?;
        let order_id = new_id();
        let created = OrderEvent::OrderCreated {
            customer_id: request.customer_id,
            payment_id: request.payment_id,
            lines,
            total_cents,
            request_id: request.request_id.clone(),
        };
        let mut transaction = self.pool.begin().await?;
        let appended = postgres::append(
            &mut transaction,
            order_id,
            None,
            vec![created.clone()],
            &metadata(order_id, None),
        )
        .await;
        let order = match appended {
            Ok(order) => order,
            // A double click that raced this one placed the order first.
            Err(AppendError::RepeatedRequest) => {
                drop(transaction);
                return self.earlier_order(&request).await?.ok_or_else(|| {
                    ServiceError::Aborted("request_id: in use, try again".to_owned())
                });
            }
            Err(error) => return Err(error.into()),
        };
        publish(&mut transaction, &order, &[created], None).await?;
        transaction.commit().await?;
        self.outbox.notify();
        tracing::info!(order_id = %order.id, total_cents = order.total_cents, "order placed");
        Ok(order)
    }

    async fn earlier_order(&self, request: &OrderRequest) -> Result<Option<Order>, ServiceError> {
        let Some(request_id) = &request.request_id else {
            return Ok(None);
        };
        Ok(postgres::find_by_request(&self.pool, request.customer_id, request_id).await?)
    }

    pub async fn get(&self, id: Uuid) -> Result<Order, ServiceError> {
        postgres::find(&self.pool, id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// One customer's orders, or all; newest first.
    pub async fn list(
        &self,
        customer_id: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Order>, ServiceError> {
        let rows = postgres::list(&self.pool, customer_id, page).await?;
        Ok(Page::from_rows(rows, page, |order| order.id))
    }

    /// Pays an accepted order: captures its payment over gRPC, then delivers it. The order
    /// stays locked meanwhile, so a cancellation cannot slip in between.
    pub async fn pay(&self, id: Uuid) -> Result<Order, ServiceError> {
        let mut transaction = self.pool.begin().await?;
        let order = postgres::lock_and_load(&mut transaction, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let events = order.pay()?;
        self.upstream.capture(order.payment_id, order.id).await?;
        let order = self.append(&mut transaction, &order, events).await?;
        transaction.commit().await?;
        self.outbox.notify();
        tracing::info!(order_id = %id, "order paid and delivered");
        Ok(order)
    }

    pub async fn cancel(&self, id: Uuid) -> Result<Order, ServiceError> {
        let mut transaction = self.pool.begin().await?;
        let order = postgres::lock_and_load(&mut transaction, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let events = order.cancel()?;
        let order = self.append(&mut transaction, &order, events).await?;
        transaction.commit().await?;
        self.outbox.notify();
        tracing::info!(order_id = %id, "order cancelled");
        Ok(order)
    }

    async fn append(
        &self,
        transaction: &mut PgConnection,
        order: &Order,
        events: Vec<OrderEvent>,
    ) -> Result<Order, ServiceError> {
        let after = postgres::append(
            transaction,
            order.id,
            Some(order),
            events.clone(),
            &metadata(order.id, None),
        )
        .await?;
        publish(transaction, &after, &events, None).await?;
        Ok(after)
    }

    /// One order's events, oldest first.
    pub async fn timeline(&self, id: Uuid) -> Result<Vec<StoredEvent>, ServiceError> {
        let events = postgres::order_events(&self.pool, id).await?;
        if events.is_empty() {
            return Err(not_found(id));
        }
        Ok(events)
    }

    pub async fn events(&self, query: EventsQuery) -> Result<Vec<StoredEvent>, ServiceError> {
        Ok(postgres::events(&self.pool, query).await?)
    }
}

/// Reacts to a saga answer about `order_id` inside the consumer's transaction: decides on
/// the locked, folded order and appends what follows (nothing for a late or repeated answer).
pub async fn react(
    connection: &mut PgConnection,
    order_id: Uuid,
    cause: &Cause,
    decide: impl FnOnce(&Order) -> Vec<OrderEvent>,
) -> Result<(), HandlerError> {
    let order = postgres::lock_and_load(connection, order_id)
        .await?
        .ok_or_else(|| HandlerError::Poison(anyhow::anyhow!("no order {order_id}")))?;
    let events = decide(&order);
    if events.is_empty() {
        tracing::debug!(order_id = %order_id, "answer changes nothing");
        return Ok(());
    }
    let after = postgres::append(
        connection,
        order_id,
        Some(&order),
        events.clone(),
        &metadata(order_id, Some(cause)),
    )
    .await
    .map_err(|error| match error {
        AppendError::Database(error) => HandlerError::from(error),
        other => HandlerError::Transient(other.into()),
    })?;
    publish(connection, &after, &events, Some(cause)).await?;
    if after.status != order.status {
        tracing::info!(order_id = %order_id, status = ?after.status, "order moved");
    }
    Ok(())
}

/// The integration events for the other services, one per event that changes the order's
/// status; the side events (payment and stock answers) stay inside ordering.
async fn publish(
    connection: &mut PgConnection,
    order: &Order,
    events: &[OrderEvent],
    cause: Option<&Cause>,
) -> sqlx::Result<()> {
    for event in events {
        let order_id = order.id;
        match event {
            OrderEvent::OrderCreated { .. } => {
                let data = OrderCreated {
                    order_id,
                    customer_id: order.customer_id,
                    payment_id: order.payment_id,
                    lines: order.lines.clone(),
                    total_cents: order.total_cents,
                };
                outbox::append(connection, envelope(order_id, data, cause)).await?;
            }
            OrderEvent::OrderAccepted {} => {
                outbox::append(
                    connection,
                    envelope(order_id, OrderAccepted { order_id }, cause),
                )
                .await?;
            }
            OrderEvent::OrderRejected { reason } => {
                let data = OrderRejected {
                    order_id,
                    reason: *reason,
                };
                outbox::append(connection, envelope(order_id, data, cause)).await?;
            }
            OrderEvent::OrderDelivered {} => {
                let data = OrderDelivered {
                    order_id,
                    payment_id: order.payment_id,
                };
                outbox::append(connection, envelope(order_id, data, cause)).await?;
            }
            OrderEvent::OrderCancelled {} => {
                outbox::append(
                    connection,
                    envelope(order_id, OrderCancelled { order_id }, cause),
                )
                .await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// An integration event about the order: the order's id correlates the whole saga.
fn envelope<T: plaza_events::Event>(order_id: Uuid, data: T, cause: Option<&Cause>) -> Envelope<T> {
    let envelope = Envelope::new(order_id, data).correlated(order_id);
    match cause {
        Some(cause) => envelope.caused_by(cause),
        None => envelope,
    }
}
