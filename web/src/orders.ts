// What a person may do with an order in each state, and how states look: the rules of the
// saga (DESIGN.md §3) as the UI shows them, in one place.
import type { components } from '@/api/schema';

type Schemas = components['schemas'];
export type OrderStatus = Schemas['plaza.ordering.v1.OrderStatus'];
export type PaymentStatus = Schemas['plaza.ordering.v1.OrderPaymentStatus'];
export type StockStatus = Schemas['plaza.ordering.v1.OrderStockStatus'];
export type RejectReason = Schemas['plaza.ordering.v1.RejectReason'];

/** PrimeVue Tag severities. */
export type Severity = 'success' | 'info' | 'warn' | 'danger' | 'secondary' | 'contrast';

/** Only an ACCEPTED order can be paid (it then becomes DELIVERED). */
export function canPay(status: OrderStatus | undefined): boolean {
  return status === 'ORDER_STATUS_ACCEPTED';
}

/** PENDING and ACCEPTED orders can be cancelled; the others are finished. */
export function canCancel(status: OrderStatus | undefined): boolean {
  return status === 'ORDER_STATUS_PENDING' || status === 'ORDER_STATUS_ACCEPTED';
}

/** While an order is PENDING the saga is still working on it: its page keeps asking. */
export function isSettling(status: OrderStatus | undefined): boolean {
  return status === undefined || status === 'ORDER_STATUS_PENDING' || status === 'ORDER_STATUS_UNSPECIFIED';
}

/** `ORDER_STOCK_STATUS_OUT_OF_STOCK` -> `Out of stock`. */
export function label(value: string | undefined): string {
  if (!value) return '';
  const words = value
    .replace(/^(ORDER_PAYMENT_STATUS|ORDER_STOCK_STATUS|ORDER_STATUS|REJECT_REASON|PAYMENT_STATUS)_/, '')
    .toLowerCase()
    .replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const ORDER: Record<OrderStatus, Severity> = {
  ORDER_STATUS_UNSPECIFIED: 'secondary',
  ORDER_STATUS_PENDING: 'info',
  ORDER_STATUS_ACCEPTED: 'success',
  ORDER_STATUS_REJECTED: 'warn',
  ORDER_STATUS_DELIVERED: 'contrast',
  ORDER_STATUS_CANCELLED: 'danger',
};

const PAYMENT: Record<PaymentStatus, Severity> = {
  ORDER_PAYMENT_STATUS_UNSPECIFIED: 'secondary',
  ORDER_PAYMENT_STATUS_PENDING: 'info',
  ORDER_PAYMENT_STATUS_CONFIRMED: 'success',
  ORDER_PAYMENT_STATUS_REJECTED: 'danger',
  ORDER_PAYMENT_STATUS_CAPTURED: 'contrast',
  ORDER_PAYMENT_STATUS_VOIDED: 'secondary',
};

const STOCK: Record<StockStatus, Severity> = {
  ORDER_STOCK_STATUS_UNSPECIFIED: 'secondary',
  ORDER_STOCK_STATUS_PENDING: 'info',
  ORDER_STOCK_STATUS_RESERVED: 'success',
  ORDER_STOCK_STATUS_OUT_OF_STOCK: 'danger',
  ORDER_STOCK_STATUS_RELEASED: 'secondary',
  ORDER_STOCK_STATUS_COMMITTED: 'contrast',
};

export function orderSeverity(status: OrderStatus | undefined): Severity {
  return status ? ORDER[status] : 'secondary';
}

export function paymentSeverity(status: PaymentStatus | undefined): Severity {
  return status ? PAYMENT[status] : 'secondary';
}

export function stockSeverity(status: StockStatus | undefined): Severity {
  return status ? STOCK[status] : 'secondary';
}

/** Why an order was rejected, in words for the person who placed it. */
export function rejectReasonText(reason: RejectReason | undefined): string {
  switch (reason) {
    case 'REJECT_REASON_OUT_OF_STOCK':
      return 'Not enough stock for one of the items.';
    case 'REJECT_REASON_NOT_ENOUGH_MONEY':
      return 'The authorized payment does not cover the total.';
    case 'REJECT_REASON_UNKNOWN_PAYMENT':
      return 'The payment was not found.';
    case 'REJECT_REASON_PAYMENT_ALREADY_USED':
      return 'The payment already pays for another order.';
    case 'REJECT_REASON_CUSTOMER_MISMATCH':
      return 'The payment belongs to another customer.';
    default:
      return '';
  }
}
