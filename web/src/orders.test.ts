import { describe, expect, it } from 'vitest';

import { type OrderStatus, canCancel, canPay, isSettling, label, orderSeverity, rejectReasonText } from './orders';

const ALL: OrderStatus[] = [
  'ORDER_STATUS_PENDING',
  'ORDER_STATUS_ACCEPTED',
  'ORDER_STATUS_REJECTED',
  'ORDER_STATUS_DELIVERED',
  'ORDER_STATUS_CANCELLED',
];

describe('order status rules', () => {
  it('lets only an accepted order be paid', () => {
    expect(ALL.filter(canPay)).toEqual(['ORDER_STATUS_ACCEPTED']);
  });

  it('lets only pending and accepted orders be cancelled', () => {
    expect(ALL.filter(canCancel)).toEqual(['ORDER_STATUS_PENDING', 'ORDER_STATUS_ACCEPTED']);
  });

  it('keeps asking only while an order is pending', () => {
    expect(ALL.filter(isSettling)).toEqual(['ORDER_STATUS_PENDING']);
  });

  it('names states in words', () => {
    expect(label('ORDER_STATUS_ACCEPTED')).toBe('Accepted');
    expect(label('ORDER_STOCK_STATUS_OUT_OF_STOCK')).toBe('Out of stock');
    expect(label('ORDER_PAYMENT_STATUS_CAPTURED')).toBe('Captured');
    expect(label(undefined)).toBe('');
  });

  it('gives every state a distinct look where it matters', () => {
    expect(orderSeverity('ORDER_STATUS_ACCEPTED')).toBe('success');
    expect(orderSeverity('ORDER_STATUS_CANCELLED')).toBe('danger');
    expect(orderSeverity('ORDER_STATUS_PENDING')).toBe('info');
  });

  it('explains a rejection to the customer', () => {
    expect(rejectReasonText('REJECT_REASON_OUT_OF_STOCK')).toMatch(/stock/);
    expect(rejectReasonText('REJECT_REASON_NOT_ENOUGH_MONEY')).toMatch(/payment/);
    expect(rejectReasonText(undefined)).toBe('');
  });
});
