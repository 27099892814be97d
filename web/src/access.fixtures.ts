// Tokens for the unit tests: a real JWT's shape and payload, with a signature nobody checks
// (the UI never verifies tokens; Plaza does).

const NOW_S = Math.floor(Date.now() / 1000);

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** A token with Plaza's issuer and audience, valid for an hour unless `claims` say otherwise. */
export function plazaToken(claims: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ iss: 'plaza', aud: 'plaza', iat: NOW_S, exp: NOW_S + 3600, ...claims }));
  return `${header}.${payload}.c2lnbmF0dXJl`;
}

export const ADMIN_TOKEN = plazaToken({ sub: 'ops', role: 'admin' });
export const CUSTOMER_ID = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
export const CUSTOMER_TOKEN = plazaToken({ sub: CUSTOMER_ID, role: 'customer' });
