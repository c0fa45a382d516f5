import { describe, expect, it } from 'vitest';
import { JwtError, signJwt, verifyJwt } from '../src/jwt.js';

const secret = 'super-secret-jwt-token-with-at-least-32-characters';

describe('HS256 JWT', () => {
  it('round-trips claims and adds iat', () => {
    const token = signJwt(
      { sub: 'u1', role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 60 },
      secret,
    );
    const claims = verifyJwt(token, secret);
    expect(claims.sub).toBe('u1');
    expect(claims.role).toBe('authenticated');
    expect(typeof claims.iat).toBe('number');
    expect(token.split('.')).toHaveLength(3);
  });

  it('refuses a token signed with another secret or a tampered body (PGRST301)', () => {
    const token = signJwt({ sub: 'u1', role: 'authenticated' }, secret);
    expect(() => verifyJwt(token, 'another-secret-of-sufficient-length-000')).toThrow(JwtError);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'u1', role: 'service_role' })).toString('base64url')}.${signature}`;
    try {
      verifyJwt(forged, secret);
      expect.unreachable();
    } catch (error) {
      expect((error as JwtError).code).toBe('PGRST301');
    }
  });

  it('refuses an expired token (PGRST303) but allows 30 s of clock skew', () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt({ sub: 'u1', exp: now - 31 }, secret);
    expect(() => verifyJwt(expired, secret)).toThrow(/expired/);
    try {
      verifyJwt(expired, secret);
    } catch (error) {
      expect((error as JwtError).code).toBe('PGRST303');
    }
    expect(verifyJwt(signJwt({ sub: 'u1', exp: now - 5 }, secret), secret).sub).toBe('u1');
  });

  it('refuses alg none and garbage', () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"role":"service_role"}').toString('base64url')}.`;
    expect(() => verifyJwt(none, secret)).toThrow(JwtError);
    expect(() => verifyJwt('not-a-jwt', secret)).toThrow(JwtError);
  });
});
