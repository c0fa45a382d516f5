import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims of a Supabase-style access token. Extra claims are kept as given. */
export interface JwtClaims {
  sub?: string;
  role?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  iss?: string;
  email?: string;
  [claim: string]: unknown;
}

/** Why a token was refused, in PostgREST's terms: PGRST301 (cannot be decoded / bad signature) or PGRST303 (claims). */
export class JwtError extends Error {
  override readonly name = 'JwtError';
  constructor(
    readonly code: 'PGRST301' | 'PGRST303',
    message: string,
  ) {
    super(message);
  }
}

const base64url = (input: Buffer | string): string => Buffer.from(input).toString('base64url');

/** Signs `claims` as an HS256 JWT with `secret`. `iat` is added when missing. */
export function signJwt(claims: JwtClaims, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = base64url(JSON.stringify({ iat: Math.floor(Date.now() / 1000), ...claims }));
  const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

/**
 * Verifies an HS256 JWT and returns its claims. Throws `JwtError` for a malformed token, another algorithm,
 * a wrong signature (PGRST301) or an expired / not-yet-valid token (PGRST303).
 */
export function verifyJwt(token: string, secret: string, nowSeconds = Date.now() / 1000): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('PGRST301', 'Expected 3 parts in JWT; got ' + parts.length);
  const [header, body, signature] = parts as [string, string, string];
  let headerJson: { alg?: unknown };
  let claims: JwtClaims;
  try {
    headerJson = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as JwtClaims;
  } catch {
    throw new JwtError('PGRST301', 'JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts)');
  }
  if (headerJson.alg !== 'HS256') throw new JwtError('PGRST301', 'Wrong or unsupported encoding algorithm');
  const expected = createHmac('sha256', secret).update(`${header}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new JwtError('PGRST301', 'JWSError JWSInvalidSignature');
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw new JwtError('PGRST303', 'Parsing claims failed');
  }
  // PostgREST allows 30 seconds of clock skew.
  if (typeof claims.exp === 'number' && nowSeconds - 30 >= claims.exp) {
    throw new JwtError('PGRST303', 'JWT expired');
  }
  if (typeof claims.nbf === 'number' && nowSeconds + 30 < claims.nbf) {
    throw new JwtError('PGRST303', 'JWT not yet valid');
  }
  return claims;
}
