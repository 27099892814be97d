// Who may call what. Plaza signs its tokens (JWTs) and checks every call; the UI only reads a
// token's payload, unverified, to know whom it names and until when, to choose which token a
// call carries, and to forget a token Plaza no longer accepts.

/** Whose token a call carries: the customer signed in at checkout, or the admin. */
export type Caller = 'customer' | 'admin';

/** What a token says about its holder. */
export interface TokenClaims {
  /** The customer id, or the operator's name for an admin. */
  subject: string;
  /** `customer` or `admin`; another role is possible in a token, and is refused here. */
  role: string;
  /** When Plaza stops accepting the token, in milliseconds since the epoch. */
  expiresAtMs: number;
}

const ISSUER = 'plaza';

/** The text of a base64url part of a JWT. */
function base64urlText(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '=');
  return new TextDecoder().decode(Uint8Array.from(atob(padded), (char) => char.charCodeAt(0)));
}

/** The claims of a Plaza token, or null when it is not one (not a JWT, another issuer or audience). */
export function readToken(token: string): TokenClaims | null {
  const parts = token.trim().split('.');
  const payloadPart = parts[1];
  if (parts.length !== 3 || !payloadPart) return null;
  let payload: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(base64urlText(payloadPart));
    if (typeof parsed !== 'object' || parsed === null) return null;
    payload = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  const { iss, aud, sub, role, exp } = payload;
  const forPlaza = aud === ISSUER || (Array.isArray(aud) && aud.includes(ISSUER));
  if (iss !== ISSUER || !forPlaza) return null;
  if (typeof sub !== 'string' || sub === '' || typeof role !== 'string') return null;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null;
  return { subject: sub, role, expiresAtMs: exp * 1000 };
}

export function isExpired(expiresAtMs: number, nowMs: number): boolean {
  return expiresAtMs <= nowMs;
}

export type AdminTokenCheck = { ok: true; claims: TokenClaims } | { ok: false; problem: string };

/** Whether a pasted token may sign in as admin, and if not, what to tell the person. */
export function checkAdminToken(token: string, nowMs: number): AdminTokenCheck {
  if (token.trim() === '') return { ok: false, problem: 'Paste the admin token.' };
  const claims = readToken(token);
  if (!claims) {
    return { ok: false, problem: 'This is not a Plaza token: paste the whole token, three parts joined by dots.' };
  }
  if (claims.role !== 'admin') {
    const whose = claims.role === 'customer' ? "a customer's token" : `a token with the role "${claims.role}"`;
    return { ok: false, problem: `This is ${whose}, not an admin's: ask an operator for an admin token.` };
  }
  if (isExpired(claims.expiresAtMs, nowMs)) {
    const when = new Date(claims.expiresAtMs).toLocaleString();
    return { ok: false, problem: `This token expired at ${when}: ask an operator for a fresh one.` };
  }
  return { ok: true, claims };
}

/** The token a call carries: the admin pages call with the admin's, the shopper's pages with the customer's. */
export function tokenFor(
  caller: Caller,
  tokens: { customerToken: string | null; adminToken: string | null },
): string | null {
  return caller === 'admin' ? tokens.adminToken : tokens.customerToken;
}

/**
 * Whether Plaza's answer ends the session whose token the call carried: only a 401 (the token
 * is missing, expired or not Plaza's) does, and only while that token is still the current one,
 * so an old call's answer cannot sign out a session begun since. A 403 is a missing right, not
 * a bad token.
 */
export function endsSession(httpStatus: number, sentToken: string | null, currentToken: string | null): boolean {
  return httpStatus === 401 && sentToken !== null && sentToken === currentToken;
}

/** Where to go after signing in: the page asked for, when it is one of ours; otherwise `fallback`. */
export function returnPath(asked: unknown, fallback: string): string {
  if (typeof asked !== 'string' || !asked.startsWith('/') || asked.startsWith('//') || asked.startsWith('/\\')) {
    return fallback;
  }
  return asked.startsWith('/admin/sign-in') ? fallback : asked;
}
