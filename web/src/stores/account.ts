// Who is shopping: the customer registered or looked up at checkout, and their authorized
// payment that is not yet used by an order. Kept in local storage, so "Your orders" knows the
// customer after a reload.
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

import type { Customer, Payment } from '@/api/client';

const STORAGE_KEY = 'plaza.account.v1';

interface Saved {
  customer: Customer | null;
  payment: Payment | null;
}

function load(): Saved {
  try {
    const saved = JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? 'null') as Saved | null;
    return {
      customer: typeof saved?.customer?.id === 'string' ? saved.customer : null,
      payment: typeof saved?.payment?.id === 'string' ? saved.payment : null,
    };
  } catch {
    return { customer: null, payment: null };
  }
}

export const useAccount = defineStore('account', () => {
  const saved = load();
  const customer = ref<Customer | null>(saved.customer);
  const payment = ref<Payment | null>(saved.payment);

  watch([customer, payment], () =>
    globalThis.localStorage?.setItem(
      STORAGE_KEY,
      JSON.stringify({ customer: customer.value, payment: payment.value } satisfies Saved),
    ),
  );

  /** Another customer: their payment, if any, is not this one's. */
  function signIn(who: Customer): void {
    if (customer.value?.id !== who.id) payment.value = null;
    customer.value = who;
  }

  function signOut(): void {
    customer.value = null;
    payment.value = null;
  }

  function authorized(what: Payment): void {
    payment.value = what;
  }

  /** The payment now belongs to an order: the next order needs a new one. */
  function paymentUsed(): void {
    payment.value = null;
  }

  return { customer, payment, signIn, signOut, authorized, paymentUsed };
});
