//! Given events, when a command or answer arrives, then these events (or this refusal).

use super::*;

fn line(quantity: i32) -> OrderLine {
    OrderLine {
        product_id: Uuid::now_v7(),
        store_id: Uuid::now_v7(),
        product_name: "Tea".to_owned(),
        store_name: "Corner Shop".to_owned(),
        unit_price_cents: 350,
        quantity,
    }
}

fn created() -> OrderEvent {
    OrderEvent::OrderCreated {
        customer_id: Uuid::now_v7(),
        payment_id: Uuid::now_v7(),
        lines: vec![line(2)],
        total_cents: 700,
        request_id: None,
    }
}

/// The order after `events`, numbered from version 1.
fn given(events: Vec<OrderEvent>) -> Order {
    let recorded: Vec<Recorded> = events
        .into_iter()
        .enumerate()
        .map(|(index, event)| Recorded {
            version: i32::try_from(index).unwrap() + 1,
            event,
            recorded_at: Utc::now(),
        })
        .collect();
    Order::from_events(Uuid::now_v7(), &recorded).unwrap()
}

fn reserved() -> OrderEvent {
    OrderEvent::StockReserved { lines: Vec::new() }
}

#[test]
fn a_new_order_is_pending_on_every_side() {
    let order = given(vec![created()]);
    assert_eq!(
        (order.status, order.payment, order.stock, order.version),
        (
            OrderStatus::Pending,
            PaymentState::Pending,
            StockState::Pending,
            1
        )
    );
}

#[test]
fn a_fold_needs_the_creation_first() {
    let recorded = Recorded {
        version: 1,
        event: OrderEvent::OrderAccepted {},
        recorded_at: Utc::now(),
    };
    assert_eq!(Order::from_events(Uuid::now_v7(), &[recorded]), None);
    assert_eq!(Order::from_events(Uuid::now_v7(), &[]), None);
}

#[test]
fn a_confirmed_payment_alone_does_not_accept() {
    let order = given(vec![created()]);
    assert_eq!(
        order.payment_confirmed(),
        vec![OrderEvent::PaymentConfirmed {}]
    );
}

#[test]
fn the_second_confirmation_accepts_whichever_comes_first() {
    let paid_first = given(vec![created(), OrderEvent::PaymentConfirmed {}]);
    assert_eq!(
        paid_first.stock_reserved(Vec::new()),
        vec![reserved(), OrderEvent::OrderAccepted {}]
    );
    let stocked_first = given(vec![created(), reserved()]);
    assert_eq!(
        stocked_first.payment_confirmed(),
        vec![
            OrderEvent::PaymentConfirmed {},
            OrderEvent::OrderAccepted {}
        ]
    );
}

#[test]
fn a_rejected_payment_rejects_the_order_with_its_reason() {
    let order = given(vec![created()]);
    assert_eq!(
        order.payment_rejected(PaymentRejectReason::NotEnoughMoney),
        vec![
            OrderEvent::PaymentRejected {
                reason: PaymentRejectReason::NotEnoughMoney
            },
            OrderEvent::OrderRejected {
                reason: RejectReason::NotEnoughMoney
            }
        ]
    );
}

#[test]
fn missing_stock_rejects_the_order_as_out_of_stock() {
    let order = given(vec![created(), OrderEvent::PaymentConfirmed {}]);
    let events = order.stock_rejected(Vec::new());
    assert_eq!(
        events.last(),
        Some(&OrderEvent::OrderRejected {
            reason: RejectReason::OutOfStock
        })
    );
}

#[test]
fn the_first_rejection_gives_the_reason_and_the_second_only_its_side() {
    let order = given(vec![
        created(),
        OrderEvent::StockRejected { lines: Vec::new() },
        OrderEvent::OrderRejected {
            reason: RejectReason::OutOfStock,
        },
    ]);
    assert_eq!(
        order.payment_rejected(PaymentRejectReason::CustomerMismatch),
        vec![OrderEvent::PaymentRejected {
            reason: PaymentRejectReason::CustomerMismatch
        }]
    );
    assert_eq!(order.reject_reason, Some(RejectReason::OutOfStock));
}

#[test]
fn a_duplicate_answer_changes_nothing() {
    let order = given(vec![
        created(),
        OrderEvent::PaymentConfirmed {},
        reserved(),
        OrderEvent::OrderAccepted {},
    ]);
    assert!(order.payment_confirmed().is_empty());
    assert!(order.stock_reserved(Vec::new()).is_empty());
    assert!(
        order
            .payment_rejected(PaymentRejectReason::NotEnoughMoney)
            .is_empty()
    );
}

#[test]
fn a_late_confirmation_never_moves_a_cancelled_order() {
    let order = given(vec![created(), OrderEvent::OrderCancelled {}]);
    assert_eq!(
        order.payment_confirmed(),
        vec![OrderEvent::PaymentConfirmed {}]
    );
    let order = given(vec![
        created(),
        OrderEvent::OrderCancelled {},
        OrderEvent::PaymentConfirmed {},
        reserved(),
    ]);
    assert_eq!(order.status, OrderStatus::Cancelled);
}

#[test]
fn a_redelivered_confirmation_never_undelivers_an_order() {
    let order = given(vec![
        created(),
        OrderEvent::PaymentConfirmed {},
        reserved(),
        OrderEvent::OrderAccepted {},
        OrderEvent::OrderDelivered {},
    ]);
    assert_eq!(order.payment, PaymentState::Captured);
    assert!(order.payment_confirmed().is_empty());
    assert!(order.stock_reserved(Vec::new()).is_empty());
    assert_eq!(order.status, OrderStatus::Delivered);
}

#[test]
fn only_an_accepted_order_is_paid() {
    let accepted = given(vec![
        created(),
        OrderEvent::PaymentConfirmed {},
        reserved(),
        OrderEvent::OrderAccepted {},
    ]);
    assert_eq!(accepted.pay(), Ok(vec![OrderEvent::OrderDelivered {}]));
    let pending = given(vec![created()]);
    assert!(matches!(
        pending.pay(),
        Err(OrderRefused::NotAccepted {
            status: OrderStatus::Pending,
            ..
        })
    ));
}

#[test]
fn pending_and_accepted_orders_can_be_cancelled_and_no_other() {
    let pending = given(vec![created()]);
    assert_eq!(pending.cancel(), Ok(vec![OrderEvent::OrderCancelled {}]));
    let accepted = given(vec![
        created(),
        OrderEvent::PaymentConfirmed {},
        reserved(),
        OrderEvent::OrderAccepted {},
    ]);
    assert_eq!(accepted.cancel(), Ok(vec![OrderEvent::OrderCancelled {}]));
    for last in [
        OrderEvent::OrderRejected {
            reason: RejectReason::OutOfStock,
        },
        OrderEvent::OrderCancelled {},
    ] {
        assert!(given(vec![created(), last]).cancel().is_err());
    }
    let delivered = given(vec![
        created(),
        OrderEvent::PaymentConfirmed {},
        reserved(),
        OrderEvent::OrderAccepted {},
        OrderEvent::OrderDelivered {},
    ]);
    assert!(matches!(
        delivered.cancel(),
        Err(OrderRefused::NotCancellable {
            status: OrderStatus::Delivered,
            ..
        })
    ));
}

#[test]
fn compensation_is_recorded_once() {
    let cancelled = given(vec![
        created(),
        OrderEvent::PaymentConfirmed {},
        reserved(),
        OrderEvent::OrderCancelled {},
    ]);
    assert_eq!(
        cancelled.payment_voided(),
        vec![OrderEvent::PaymentVoided {}]
    );
    assert_eq!(
        cancelled.stock_released(),
        vec![OrderEvent::StockReleased {}]
    );
    let compensated = given(vec![
        created(),
        OrderEvent::PaymentConfirmed {},
        reserved(),
        OrderEvent::OrderCancelled {},
        OrderEvent::PaymentVoided {},
        OrderEvent::StockReleased {},
    ]);
    assert!(compensated.payment_voided().is_empty());
    assert!(compensated.stock_released().is_empty());
    assert!(compensated.payment_confirmed().is_empty());
}

#[test]
fn stored_events_round_trip_with_type_and_data() {
    let event = OrderEvent::OrderRejected {
        reason: RejectReason::OutOfStock,
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["type"], "OrderRejected");
    assert_eq!(json["data"]["reason"], "OUT_OF_STOCK");
    assert_eq!(serde_json::from_value::<OrderEvent>(json).unwrap(), event);
    let unit = serde_json::to_value(OrderEvent::OrderAccepted {}).unwrap();
    assert_eq!(unit["data"], serde_json::json!({}));
}

fn items(entries: &[(&str, i32)]) -> Vec<(String, i32)> {
    entries
        .iter()
        .map(|(id, q)| ((*id).to_owned(), *q))
        .collect()
}

fn parse(items: &[(String, i32)]) -> Result<OrderRequest, FieldError> {
    OrderRequest::parse(
        &Uuid::now_v7().to_string(),
        &Uuid::now_v7().to_string(),
        items,
        "",
    )
}

#[test]
fn an_order_needs_one_to_fifty_lines() {
    assert_eq!(parse(&[]).unwrap_err().field, "items");
    let many: Vec<(String, i32)> = (0..51).map(|_| (Uuid::now_v7().to_string(), 1)).collect();
    assert_eq!(parse(&many).unwrap_err().field, "items");
}

#[test]
fn a_quantity_is_one_to_ninety_nine_and_the_line_is_named() {
    let id = Uuid::now_v7().to_string();
    let other = Uuid::now_v7().to_string();
    assert_eq!(
        parse(&items(&[(&other, 1), (&id, 0)])).unwrap_err().field,
        "items[1].quantity"
    );
    assert_eq!(
        parse(&items(&[(&id, 100)])).unwrap_err().field,
        "items[0].quantity"
    );
    assert!(parse(&items(&[(&id, 99)])).is_ok());
}

#[test]
fn a_malformed_or_repeated_product_names_its_line() {
    let id = Uuid::now_v7().to_string();
    assert_eq!(
        parse(&items(&[(&id, 1), ("tea", 1)])).unwrap_err().field,
        "items[1].product_id"
    );
    assert_eq!(
        parse(&items(&[(&id, 1), (&id, 2)])).unwrap_err().field,
        "items[1].product_id"
    );
}

#[test]
fn customer_and_payment_must_be_uuids() {
    let line = items(&[(&Uuid::now_v7().to_string(), 1)]);
    let payment = Uuid::now_v7().to_string();
    assert_eq!(
        OrderRequest::parse("ana", &payment, &line, "")
            .unwrap_err()
            .field,
        "customer_id"
    );
    assert_eq!(
        OrderRequest::parse(&payment, "", &line, "")
            .unwrap_err()
            .field,
        "payment_id"
    );
}

fn priced(product_id: Uuid, cents: i64, participating: bool) -> PricedProduct {
    PricedProduct {
        product_id,
        store_id: Uuid::now_v7(),
        product_name: "Tea".to_owned(),
        store_name: "Corner Shop".to_owned(),
        unit_price_cents: cents,
        store_participating: participating,
    }
}

#[test]
fn prices_come_from_inventory_in_integer_cents() {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let request = parse(&items(&[(&a.to_string(), 3), (&b.to_string(), 2)])).unwrap();
    let (lines, total) = price(&request, &[priced(b, 5, true), priced(a, 110, true)]).unwrap();
    assert_eq!(total, 3 * 110 + 2 * 5);
    assert_eq!(lines[0].unit_price_cents, 110);
}

#[test]
fn an_unknown_product_or_a_closed_store_names_the_line() {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let request = parse(&items(&[(&a.to_string(), 1), (&b.to_string(), 1)])).unwrap();
    assert_eq!(
        price(&request, &[priced(a, 1, true)]),
        Err(PricingError::UnknownProduct {
            index: 1,
            product_id: b
        })
    );
    match price(&request, &[priced(a, 1, true), priced(b, 1, false)]) {
        Err(PricingError::NotOrderable(error)) => assert_eq!(error.field, "items[1].product_id"),
        other => panic!("expected a closed store, got {other:?}"),
    }
}
