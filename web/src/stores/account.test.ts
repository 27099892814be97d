import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';

import { ADMIN_TOKEN, CUSTOMER_ID, CUSTOMER_TOKEN, plazaToken } from '@/access.fixtures';

import { useAccount } from './account';

const CUSTOMER = { id: CUSTOMER_ID, name: 'Åse', phone: '+47 12345678', createTime: '2030-01-01T12:00:00Z' };
const IN_AN_HOUR = new Date(Date.now() + 3_600_000).toISOString();
const SESSION = { customer: CUSTOMER, accessToken: CUSTOMER_TOKEN, expireTime: IN_AN_HOUR };
const PAYMENT = { id: 'pay-1', customerId: CUSTOMER_ID, amountCents: '900' };

/** A new page: a fresh Pinia, reading whatever local storage holds. */
function reload() {
  setActivePinia(createPinia());
  return useAccount();
}

describe('the customer', () => {
  beforeEach(() => {
    localStorage.clear();
  });

  it('is signed in by the session Plaza answered, also after a reload', async () => {
    const account = reload();
    account.signIn(SESSION);
    expect(account.customer?.name).toBe('Åse');
    expect(account.customerToken).toBe(CUSTOMER_TOKEN);
    await nextTick();
    expect(reload().customerToken).toBe(CUSTOMER_TOKEN);
  });

  it('is not signed in by an answer without a token', () => {
    const account = reload();
    expect(() => account.signIn({ customer: CUSTOMER, expireTime: IN_AN_HOUR })).toThrow(/without a session/);
    expect(account.customer).toBeNull();
  });

  it('loses the session when Plaza refuses the token, keeping the id and payment for signing in again', () => {
    const account = reload();
    account.signIn(SESSION);
    account.authorized(PAYMENT);
    account.tokenRefused('customer');
    expect(account.customer).toBeNull();
    expect(account.customerToken).toBeNull();
    expect(account.customerNotice).toMatch(/sign in again/);
    expect(account.returningCustomerId).toBe(CUSTOMER_ID);
    expect(account.payment).toEqual(PAYMENT);
    account.signIn(SESSION);
    expect(account.payment).toEqual(PAYMENT);
    expect(account.customerNotice).toBe('');
  });

  it('drops the payment when another customer signs in: it is not theirs', () => {
    const account = reload();
    account.signIn(SESSION);
    account.authorized(PAYMENT);
    account.tokenRefused('customer');
    account.signIn({ ...SESSION, customer: { ...CUSTOMER, id: 'another' } });
    expect(account.payment).toBeNull();
  });

  it('forgets a session once it has expired, and only then', () => {
    const account = reload();
    account.signIn(SESSION);
    account.forgetExpired(Date.parse(IN_AN_HOUR) - 1);
    expect(account.customer).not.toBeNull();
    account.forgetExpired(Date.parse(IN_AN_HOUR));
    expect(account.customer).toBeNull();
    expect(account.customerNotice).toMatch(/expired/);
  });

  it('forgets everything on signing out', () => {
    const account = reload();
    account.signIn(SESSION);
    account.authorized(PAYMENT);
    account.signOut();
    expect(account.customer).toBeNull();
    expect(account.payment).toBeNull();
    expect(account.returningCustomerId).toBe('');
  });

  it('offers the customer kept before tokens at sign-in, and drops the old record', async () => {
    localStorage.setItem('plaza.account.v1', JSON.stringify({ customer: CUSTOMER, payment: PAYMENT }));
    const account = reload();
    expect(account.customer).toBeNull();
    expect(account.returningCustomerId).toBe(CUSTOMER_ID);
    expect(account.payment).toEqual(PAYMENT);
    expect(localStorage.getItem('plaza.account.v1')).toBeNull();
    await nextTick();
    expect(reload().returningCustomerId).toBe(CUSTOMER_ID);
  });

  it('counts an unreadable saved account as signed out', () => {
    localStorage.setItem('plaza.account.v2', '{not json');
    const account = reload();
    expect(account.customer).toBeNull();
    expect(account.adminToken).toBeNull();
  });
});

describe('the admin', () => {
  beforeEach(() => {
    localStorage.clear();
  });

  it('signs in with an admin token, also after a reload', async () => {
    const account = reload();
    expect(account.signInAsAdmin(`${ADMIN_TOKEN}\n`)).toBeNull();
    expect(account.adminToken).toBe(ADMIN_TOKEN);
    expect(account.admin?.subject).toBe('ops');
    await nextTick();
    expect(reload().admin?.subject).toBe('ops');
  });

  it("is not signed in by a customer's token", () => {
    const account = reload();
    expect(account.signInAsAdmin(CUSTOMER_TOKEN)).toMatch(/not an admin's/);
    expect(account.adminToken).toBeNull();
  });

  it("does not take a saved token that is not an admin's", () => {
    localStorage.setItem(
      'plaza.account.v2',
      JSON.stringify({ customerSession: null, adminToken: CUSTOMER_TOKEN, payment: null, returningCustomerId: '' }),
    );
    expect(reload().admin).toBeNull();
  });

  it('is signed out when Plaza refuses the token, leaving the customer signed in', () => {
    const account = reload();
    account.signIn(SESSION);
    account.signInAsAdmin(ADMIN_TOKEN);
    account.tokenRefused('admin');
    expect(account.admin).toBeNull();
    expect(account.adminNotice).toMatch(/paste a fresh one/);
    expect(account.customerToken).toBe(CUSTOMER_TOKEN);
  });

  it('is signed out once the token has expired', () => {
    const account = reload();
    const expiresS = Math.floor(Date.now() / 1000) + 60;
    account.signInAsAdmin(plazaToken({ sub: 'ops', role: 'admin', exp: expiresS }));
    account.forgetExpired(expiresS * 1000 - 1);
    expect(account.admin).not.toBeNull();
    account.forgetExpired(expiresS * 1000);
    expect(account.admin).toBeNull();
    expect(account.adminNotice).toMatch(/expired/);
  });
});
