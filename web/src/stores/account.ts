// Who uses the shop: the customer signed in at checkout (their session: who they are and the
// token that proves it), their authorized payment not yet used by an order, and the admin,
// signed in with a token an operator issued. Kept in local storage, so a reload keeps both
// signed in. A session ends when its token expires or Plaza refuses it (401); the notice then
// says to sign in again.
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';

import { type Caller, checkAdminToken, isExpired, readToken } from '@/access';
import type { Customer, Payment, Session } from '@/api/client';

const STORAGE_KEY = 'plaza.account.v2';
/** What the UI kept before tokens: a customer without a session. Its id is offered at sign-in. */
const STORAGE_KEY_BEFORE_TOKENS = 'plaza.account.v1';

export interface CustomerSession {
  customer: Customer & { id: string };
  accessToken: string;
  /** RFC 3339: when Plaza stops accepting the token. */
  expireTime: string;
}

interface Saved {
  customerSession: CustomerSession | null;
  adminToken: string | null;
  payment: Payment | null;
  /** The id of the customer whose session ended, offered at the next sign-in. */
  returningCustomerId: string;
}

const SIGNED_OUT: Saved = { customerSession: null, adminToken: null, payment: null, returningCustomerId: '' };

const CUSTOMER_SESSION_ENDED = 'Your sign-in has ended: sign in again with your customer id and phone.';
const CUSTOMER_SESSION_EXPIRED = 'Your sign-in has expired: sign in again with your customer id and phone.';
const ADMIN_TOKEN_REFUSED = 'Plaza no longer accepts your admin token: paste a fresh one.';
const ADMIN_TOKEN_EXPIRED = 'Your admin token has expired: paste a fresh one.';

/** A session as Plaza answered it (or as saved), or null when a part is missing. */
function customerSessionOf(session: Partial<Session> | null | undefined): CustomerSession | null {
  const customer = session?.customer;
  if (typeof customer?.id !== 'string' || !customer.id) return null;
  if (typeof session?.accessToken !== 'string' || !session.accessToken) return null;
  if (typeof session.expireTime !== 'string') return null;
  return {
    customer: { ...customer, id: customer.id },
    accessToken: session.accessToken,
    expireTime: session.expireTime,
  };
}

function paymentOf(value: Payment | null | undefined): Payment | null {
  return typeof value?.id === 'string' ? value : null;
}

function read(key: string): Record<string, unknown> | null {
  const saved: unknown = JSON.parse(globalThis.localStorage?.getItem(key) ?? 'null');
  return typeof saved === 'object' && saved !== null ? (saved as Record<string, unknown>) : null;
}

/** The saved account; anything unreadable counts as signed out. */
function load(): Saved {
  try {
    const saved = read(STORAGE_KEY);
    if (saved) {
      const adminToken = typeof saved.adminToken === 'string' ? saved.adminToken : null;
      return {
        customerSession: customerSessionOf(saved.customerSession as Partial<Session> | null),
        adminToken: adminToken && readToken(adminToken)?.role === 'admin' ? adminToken : null,
        payment: paymentOf(saved.payment as Payment | null),
        returningCustomerId: typeof saved.returningCustomerId === 'string' ? saved.returningCustomerId : '',
      };
    }
    const before = read(STORAGE_KEY_BEFORE_TOKENS);
    const customer = before?.customer as Customer | null | undefined;
    return {
      ...SIGNED_OUT,
      payment: paymentOf(before?.payment as Payment | null),
      returningCustomerId: typeof customer?.id === 'string' ? customer.id : '',
    };
  } catch {
    return SIGNED_OUT;
  }
}

export const useAccount = defineStore('account', () => {
  const saved = load();
  const customerSession = ref<CustomerSession | null>(saved.customerSession);
  const adminToken = ref<string | null>(saved.adminToken);
  const payment = ref<Payment | null>(saved.payment);
  const returningCustomerId = ref(saved.returningCustomerId);
  /** Why the customer was signed out, until they sign in again. */
  const customerNotice = ref('');
  /** Why the admin was signed out, until they sign in again. */
  const adminNotice = ref('');

  const customer = computed(() => customerSession.value?.customer ?? null);
  const customerToken = computed(() => customerSession.value?.accessToken ?? null);
  /** The signed-in admin: the operator's name and when the token expires. */
  const admin = computed(() => (adminToken.value ? readToken(adminToken.value) : null));

  function save(): void {
    globalThis.localStorage?.setItem(
      STORAGE_KEY,
      JSON.stringify({
        customerSession: customerSession.value,
        adminToken: adminToken.value,
        payment: payment.value,
        returningCustomerId: returningCustomerId.value,
      } satisfies Saved),
    );
  }
  save();
  globalThis.localStorage?.removeItem(STORAGE_KEY_BEFORE_TOKENS);
  watch([customerSession, adminToken, payment, returningCustomerId], save);

  /**
   * Signs in with the session Plaza answered to a registration or a sign-in. Another
   * customer's payment, if any, is not this one's.
   */
  function signIn(answer: Session): CustomerSession {
    const session = customerSessionOf(answer);
    if (!session) throw new Error('Plaza answered without a session: try again.');
    if (session.customer.id !== (customerSession.value?.customer.id ?? returningCustomerId.value)) {
      payment.value = null;
    }
    customerSession.value = session;
    returningCustomerId.value = '';
    customerNotice.value = '';
    return session;
  }

  function signOut(): void {
    customerSession.value = null;
    payment.value = null;
    returningCustomerId.value = '';
    customerNotice.value = '';
  }

  /** Signs in as admin with a pasted token; the problem with it when it is not a valid admin token. */
  function signInAsAdmin(token: string): string | null {
    const check = checkAdminToken(token, Date.now());
    if (!check.ok) return check.problem;
    adminToken.value = token.trim();
    adminNotice.value = '';
    return null;
  }

  function signOutAdmin(): void {
    adminToken.value = null;
    adminNotice.value = '';
  }

  /** The session stops; the customer's id and payment stay, for signing in again. */
  function endCustomerSession(notice: string): void {
    returningCustomerId.value = customerSession.value?.customer.id ?? returningCustomerId.value;
    customerSession.value = null;
    customerNotice.value = notice;
  }

  /** Plaza refused the caller's token (401): forget it and say why. */
  function tokenRefused(caller: Caller): void {
    if (caller === 'customer') {
      endCustomerSession(CUSTOMER_SESSION_ENDED);
    } else {
      adminToken.value = null;
      adminNotice.value = ADMIN_TOKEN_REFUSED;
    }
  }

  /** Forgets the tokens that have expired by now. */
  function forgetExpired(nowMs: number): void {
    const session = customerSession.value;
    if (session && isExpired(Date.parse(session.expireTime), nowMs)) endCustomerSession(CUSTOMER_SESSION_EXPIRED);
    if (admin.value && isExpired(admin.value.expiresAtMs, nowMs)) {
      adminToken.value = null;
      adminNotice.value = ADMIN_TOKEN_EXPIRED;
    }
  }

  function authorized(what: Payment): void {
    payment.value = what;
  }

  /** The payment now belongs to an order: the next order needs a new one. */
  function paymentUsed(): void {
    payment.value = null;
  }

  return {
    customerSession,
    adminToken,
    payment,
    returningCustomerId,
    customerNotice,
    adminNotice,
    customer,
    customerToken,
    admin,
    signIn,
    signOut,
    signInAsAdmin,
    signOutAdmin,
    tokenRefused,
    forgetExpired,
    authorized,
    paymentUsed,
  };
});
