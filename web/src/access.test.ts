import { describe, expect, it } from 'vitest';

import { checkAdminToken, endsSession, isExpired, readToken, returnPath, tokenFor } from './access';
import { ADMIN_TOKEN, CUSTOMER_TOKEN, plazaToken } from './access.fixtures';

const NOW = Date.UTC(2030, 0, 1, 12);
const NOW_S = NOW / 1000;

describe('reading a token', () => {
  it('reads whom an admin token names and when it expires', () => {
    const claims = readToken(plazaToken({ sub: 'ops', role: 'admin', exp: NOW_S + 60 }));
    expect(claims).toEqual({ subject: 'ops', role: 'admin', expiresAtMs: NOW + 60_000 });
  });

  it('decodes base64url and UTF-8 in the payload', () => {
    const token = plazaToken({ sub: 'Åse ~~~ ???', role: 'admin' });
    expect(token.split('.')[1]).toMatch(/-.*_|_.*-/);
    expect(readToken(token)?.subject).toBe('Åse ~~~ ???');
  });

  it('ignores blanks around a pasted token', () => {
    expect(readToken(`  ${ADMIN_TOKEN}\n`)?.subject).toBe('ops');
  });

  it('accepts an audience list that names Plaza', () => {
    expect(readToken(plazaToken({ sub: 'ops', role: 'admin', aud: ['other', 'plaza'] }))?.role).toBe('admin');
  });

  it('is not a Plaza token when a part is missing or unreadable', () => {
    const [header, payload] = ADMIN_TOKEN.split('.');
    expect(readToken('')).toBeNull();
    expect(readToken(`${header}.${payload}`)).toBeNull();
    expect(readToken(`${header}.not-json!.sig`)).toBeNull();
    expect(readToken(`${header}.${btoa('"just a string"')}.sig`)).toBeNull();
  });

  it('is not a Plaza token when another issuer or audience made it, or a claim is missing', () => {
    expect(readToken(plazaToken({ sub: 'ops', role: 'admin', iss: 'elsewhere' }))).toBeNull();
    expect(readToken(plazaToken({ sub: 'ops', role: 'admin', aud: 'elsewhere' }))).toBeNull();
    expect(readToken(plazaToken({ sub: '', role: 'admin' }))).toBeNull();
    expect(readToken(plazaToken({ sub: 'ops' }))).toBeNull();
    expect(readToken(plazaToken({ sub: 'ops', role: 'admin', exp: '2030-01-01' }))).toBeNull();
  });

  it('counts a token as expired from its expiry on', () => {
    expect(isExpired(NOW + 1, NOW)).toBe(false);
    expect(isExpired(NOW, NOW)).toBe(true);
    expect(isExpired(NOW - 1, NOW)).toBe(true);
  });
});

describe('the admin sign-in', () => {
  it("takes an admin's token that has not expired", () => {
    const check = checkAdminToken(plazaToken({ sub: 'ops', role: 'admin', exp: NOW_S + 1 }), NOW);
    expect(check).toEqual({ ok: true, claims: { subject: 'ops', role: 'admin', expiresAtMs: NOW + 1000 } });
  });

  it("refuses a customer's token, saying so", () => {
    const check = checkAdminToken(plazaToken({ sub: 'c-1', role: 'customer', exp: NOW_S + 60 }), NOW);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.problem).toMatch(/customer's token, not an admin's/);
  });

  it('refuses a token of another role', () => {
    const check = checkAdminToken(plazaToken({ sub: 'x', role: 'auditor', exp: NOW_S + 60 }), NOW);
    expect(!check.ok && check.problem).toMatch(/"auditor"/);
  });

  it('refuses an expired admin token, asking for a fresh one', () => {
    const check = checkAdminToken(plazaToken({ sub: 'ops', role: 'admin', exp: NOW_S }), NOW);
    expect(!check.ok && check.problem).toMatch(/expired .*fresh one/);
  });

  it('refuses what is not a token, and an empty field', () => {
    expect(checkAdminToken('hello', NOW)).toEqual({
      ok: false,
      problem: 'This is not a Plaza token: paste the whole token, three parts joined by dots.',
    });
    expect(checkAdminToken('  ', NOW)).toEqual({ ok: false, problem: 'Paste the admin token.' });
  });
});

describe('which token a call carries', () => {
  const both = { customerToken: CUSTOMER_TOKEN, adminToken: ADMIN_TOKEN };

  it("carries the admin's on the admin pages and the customer's on the shopper's pages", () => {
    expect(tokenFor('admin', both)).toBe(ADMIN_TOKEN);
    expect(tokenFor('customer', both)).toBe(CUSTOMER_TOKEN);
  });

  it("never borrows the other's token", () => {
    expect(tokenFor('admin', { customerToken: CUSTOMER_TOKEN, adminToken: null })).toBeNull();
    expect(tokenFor('customer', { customerToken: null, adminToken: ADMIN_TOKEN })).toBeNull();
  });
});

describe('what a refused call means for the session', () => {
  it('ends the session on a 401 for its current token', () => {
    expect(endsSession(401, CUSTOMER_TOKEN, CUSTOMER_TOKEN)).toBe(true);
  });

  it('keeps it on a 403, a missing right', () => {
    expect(endsSession(403, CUSTOMER_TOKEN, CUSTOMER_TOKEN)).toBe(false);
  });

  it('keeps it on other answers', () => {
    expect(endsSession(200, CUSTOMER_TOKEN, CUSTOMER_TOKEN)).toBe(false);
    expect(endsSession(500, CUSTOMER_TOKEN, CUSTOMER_TOKEN)).toBe(false);
  });

  it('keeps a session begun after the refused call was sent', () => {
    const fresh = plazaToken({ sub: 'c-1', role: 'customer', iat: 1 });
    expect(endsSession(401, CUSTOMER_TOKEN, fresh)).toBe(false);
  });

  it('has nothing to end when the call carried no token', () => {
    expect(endsSession(401, null, null)).toBe(false);
    expect(endsSession(401, null, CUSTOMER_TOKEN)).toBe(false);
  });
});

describe('the page after signing in', () => {
  it('is the page asked for', () => {
    expect(returnPath('/admin/orders?tab=events', '/admin/stores')).toBe('/admin/orders?tab=events');
  });

  it('is the fallback for anything that is not one of our pages', () => {
    for (const asked of [undefined, ['/admin/orders'], '', 'admin/orders', 'https://evil.test/', '//evil.test/x']) {
      expect(returnPath(asked, '/admin/stores')).toBe('/admin/stores');
    }
    expect(returnPath('/\\evil.test', '/admin/stores')).toBe('/admin/stores');
  });

  it('is never the sign-in itself', () => {
    expect(returnPath('/admin/sign-in?redirect=%2Fadmin%2Forders', '/admin/stores')).toBe('/admin/stores');
  });
});
