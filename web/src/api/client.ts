// The one way the UI talks to Plaza: the REST API that Envoy transcodes to gRPC, on the page's
// own origin. Request and response types come from `schema.d.ts`, which `npm run api`
// generates from the OpenAPI document that is itself generated from the protos.
//
// Three clients, one per caller: `publicApi` carries no token (the catalog, registering,
// signing in), `customerApi` the token of the customer signed in at checkout (the shopper's
// pages), `adminApi` the admin token (the admin pages). A 401 to a call that carried a token
// ends that token's session in the account store.
import createClient, { type Middleware } from 'openapi-fetch';

import { type Caller, endsSession, tokenFor } from '@/access';
import { useAccount } from '@/stores/account';

import type { components, paths } from './schema';

type Schemas = components['schemas'];
export type Customer = Schemas['plaza.customers.v1.Customer'];
export type Session = Schemas['plaza.customers.v1.Session'];
export type Store = Schemas['plaza.inventory.v1.Store'];
export type Product = Schemas['plaza.inventory.v1.Product'];
export type CatalogProduct = Schemas['plaza.inventory.v1.CatalogProduct'];
export type Payment = Schemas['plaza.payments.v1.Payment'];
export type Order = Schemas['plaza.ordering.v1.Order'];
export type OrderItem = Schemas['plaza.ordering.v1.OrderItem'];
export type OrderEvent = Schemas['plaza.ordering.v1.OrderEvent'];
export type SortOrder = Schemas['plaza.ordering.v1.SortOrder'];
type Status = Schemas['google.rpc.Status'];

const baseUrl = globalThis.location?.origin ?? '';

/** Sends the caller's token, and ends the caller's session when Plaza refuses that token. */
function signedAs(caller: Caller): Middleware {
  return {
    onRequest({ request }) {
      const token = tokenFor(caller, useAccount());
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
    onResponse({ request, response }) {
      const sent = request.headers.get('Authorization')?.replace(/^Bearer /, '') ?? null;
      const account = useAccount();
      if (endsSession(response.status, sent, tokenFor(caller, account))) account.tokenRefused(caller);
    },
  };
}

function clientOf(caller: Caller) {
  const client = createClient<paths>({ baseUrl });
  client.use(signedAs(caller));
  return client;
}

/** The calls anyone may make: the catalog, registering and signing in. */
export const publicApi = createClient<paths>({ baseUrl });
/** The shopper's calls, as the customer signed in at checkout. */
export const customerApi = clientOf('customer');
/** The admin pages' calls, with the admin token. */
export const adminApi = clientOf('admin');

const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';
/** The gateway's answer when a client signs in or registers too often. */
const TOO_MANY_REQUESTS = 429;

/**
 * A request Plaza refused or could not answer. `message` is for people; `fieldErrors` maps a
 * request field as the API names it (`phone`, `items[1].quantity`) to what is wrong with it,
 * so a form can show it next to that field.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status; 0 when Plaza could not be reached. */
    readonly httpStatus: number,
    readonly fieldErrors: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The body Envoy sends for an error (`google.rpc.Status` as JSON), or whatever came. */
  static fromResponse(httpStatus: number, body: unknown): ApiError {
    if (httpStatus === TOO_MANY_REQUESTS) {
      return new ApiError('Too many attempts: wait a moment, then try again.', httpStatus);
    }
    const status = (typeof body === 'object' && body !== null ? body : {}) as Status;
    const fieldErrors: Record<string, string> = {};
    for (const detail of status.details ?? []) {
      if (detail['@type'] !== BAD_REQUEST) continue;
      const violations = (detail['fieldViolations'] ?? []) as { field?: string; description?: string }[];
      for (const { field, description } of violations) {
        if (field && description) fieldErrors[field] = description;
      }
    }
    const text =
      status.message ??
      (typeof body === 'string' && body.trim() !== '' ? body.trim() : `the request failed (HTTP ${httpStatus})`);
    return new ApiError(sentence(text), httpStatus, fieldErrors);
  }

  get notFound(): boolean {
    return this.httpStatus === 404;
  }

  /** No token, or one Plaza does not accept (expired, not its own); or, signing in, a wrong id and phone. */
  get unauthenticated(): boolean {
    return this.httpStatus === 401;
  }
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The response's data, or an `ApiError` when Plaza refused the request or was unreachable. */
export async function ok<T>(pending: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await pending;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ApiError(`Plaza cannot be reached: ${reason}`, 0);
  }
  if (result.error !== undefined || !result.response.ok) {
    throw ApiError.fromResponse(result.response.status, result.error);
  }
  return result.data as T;
}

/** Every item of a paged list (AIP-158 page tokens), page after page. */
export async function allPages<T>(
  page: (pageToken: string | undefined) => Promise<{ items: T[] | undefined; nextPageToken?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const next = await page(token);
    items.push(...(next.items ?? []));
    token = next.nextPageToken || undefined;
  } while (token);
  return items;
}

/** The message to show for anything a request threw. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A fresh idempotency key for a request the person may send twice (a double click). */
export function requestId(): string {
  return globalThis.crypto.randomUUID();
}
