import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';

import { ADMIN_TOKEN, CUSTOMER_ID, CUSTOMER_TOKEN } from '@/access.fixtures';
import { useAccount } from '@/stores/account';

import { ApiError, adminApi, allPages, customerApi, ok, publicApi } from './client';

function answer(status: number, body: unknown): Promise<{ data?: unknown; error?: unknown; response: Response }> {
  const response = new Response(JSON.stringify(body), { status });
  return Promise.resolve(status < 400 ? { data: body, response } : { error: body, response });
}

describe('the API client', () => {
  it('reads the field violations of an INVALID_ARGUMENT', async () => {
    const body = {
      code: 3,
      message: 'items[1].quantity: must be between 1 and 99, got 0',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [{ field: 'items[1].quantity', description: 'must be between 1 and 99, got 0' }],
        },
      ],
    };
    const error = await ok(answer(400, body)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).httpStatus).toBe(400);
    expect((error as ApiError).message).toBe('Items[1].quantity: must be between 1 and 99, got 0');
    expect((error as ApiError).fieldErrors).toEqual({ 'items[1].quantity': 'must be between 1 and 99, got 0' });
  });

  it('says what happened when the body is not a status', async () => {
    const error = (await ok(answer(503, 'upstream connect error')).catch((caught: unknown) => caught)) as ApiError;
    expect(error.message).toBe('Upstream connect error');
    expect(error.fieldErrors).toEqual({});
  });

  it('reports an unreachable gateway as status 0', async () => {
    const error = (await ok(Promise.reject(new TypeError('Failed to fetch'))).catch(
      (caught: unknown) => caught,
    )) as ApiError;
    expect(error.httpStatus).toBe(0);
    expect(error.message).toMatch(/cannot be reached/);
  });

  it('asks to wait when the gateway says too many attempts', async () => {
    const error = (await ok(answer(429, { code: 8, message: 'Too Many Requests' })).catch(
      (caught: unknown) => caught,
    )) as ApiError;
    expect(error.httpStatus).toBe(429);
    expect(error.message).toBe('Too many attempts: wait a moment, then try again.');
  });

  it('marks NOT_FOUND', async () => {
    const error = (await ok(answer(404, { code: 5, message: 'customer x not found' })).catch(
      (caught: unknown) => caught,
    )) as ApiError;
    expect(error.notFound).toBe(true);
  });

  it('follows page tokens to the last page', async () => {
    const pages: Record<string, { items: number[]; nextPageToken: string }> = {
      '': { items: [1, 2], nextPageToken: 'b' },
      b: { items: [3], nextPageToken: 'c' },
      c: { items: [], nextPageToken: '' },
    };
    const asked: string[] = [];
    const items = await allPages(async (token) => {
      asked.push(token ?? '');
      return pages[token ?? '']!;
    });
    expect(items).toEqual([1, 2, 3]);
    expect(asked).toEqual(['', 'b', 'c']);
  });
});

describe('the tokens the clients send', () => {
  const BASE = 'http://plaza.test';
  const SESSION = {
    customer: { id: CUSTOMER_ID, name: 'Åse', phone: '+47 12345678' },
    accessToken: CUSTOMER_TOKEN,
    expireTime: new Date(Date.now() + 3_600_000).toISOString(),
  };

  /** A gateway that answers `status` and remembers the Authorization header it was sent. */
  function gateway(status: number) {
    const sent: (string | null)[] = [];
    const fetch = async (request: Request) => {
      sent.push(request.headers.get('Authorization'));
      const body = status < 400 ? { orders: [] } : { code: status === 401 ? 16 : 7, message: 'Jwt is expired' };
      return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    };
    return { sent, fetch };
  }

  function signedInBoth() {
    setActivePinia(createPinia());
    const account = useAccount();
    account.signIn(SESSION);
    account.signInAsAdmin(ADMIN_TOKEN);
    return account;
  }

  beforeEach(() => {
    localStorage.clear();
  });

  it("sends the customer's token for the shopper, the admin's for the admin pages, none for the catalog", async () => {
    signedInBoth();
    const { sent, fetch } = gateway(200);
    await customerApi.GET('/api/v1/orders', { baseUrl: BASE, fetch, params: { query: { customerId: CUSTOMER_ID } } });
    await adminApi.GET('/api/v1/orders', { baseUrl: BASE, fetch });
    await publicApi.GET('/api/v1/catalog', { baseUrl: BASE, fetch });
    expect(sent).toEqual([`Bearer ${CUSTOMER_TOKEN}`, `Bearer ${ADMIN_TOKEN}`, null]);
  });

  it("ends the customer's session on a 401, and leaves the admin's", async () => {
    const account = signedInBoth();
    const { fetch } = gateway(401);
    const error = await ok(customerApi.POST('/api/v1/payments', { baseUrl: BASE, fetch, body: {} })).catch(
      (caught: unknown) => caught,
    );
    expect((error as ApiError).unauthenticated).toBe(true);
    expect(account.customer).toBeNull();
    expect(account.customerNotice).toMatch(/sign in again/);
    expect(account.adminToken).toBe(ADMIN_TOKEN);
  });

  it("ends the admin's session on a 401 to an admin call, and leaves the customer's", async () => {
    const account = signedInBoth();
    const { fetch } = gateway(401);
    await adminApi.GET('/api/v1/stores', { baseUrl: BASE, fetch });
    expect(account.admin).toBeNull();
    expect(account.customerToken).toBe(CUSTOMER_TOKEN);
  });

  it('keeps both sessions on a 403', async () => {
    const account = signedInBoth();
    const { fetch } = gateway(403);
    await customerApi.GET('/api/v1/customers/{id}', { baseUrl: BASE, fetch, params: { path: { id: 'another' } } });
    await adminApi.GET('/api/v1/stores', { baseUrl: BASE, fetch });
    expect(account.customerToken).toBe(CUSTOMER_TOKEN);
    expect(account.adminToken).toBe(ADMIN_TOKEN);
  });
});
