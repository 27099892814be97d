import { describe, expect, it } from 'vitest';

import { ApiError, allPages, ok } from './client';

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
