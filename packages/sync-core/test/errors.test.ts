import { describe, expect, it } from 'vitest';
import {
  AuthRequiredError,
  ConstraintViolationError,
  InvalidRecordError,
  isRecordLevelSyncError,
  isSyncError,
  isTransientSyncError,
  PermissionDeniedError,
  parseRetryAfter,
  RateLimitedError,
  SchemaMismatchError,
  ServerUnavailableError,
  SyncNetworkError,
  SyncProtocolError,
  SyncTimeoutError,
  syncErrorFrom,
} from '../src/index.js';

describe('error classification', () => {
  const cases: [
    string,
    Parameters<typeof syncErrorFrom>[0],
    new (...args: never[]) => Error,
    'transient' | 'record' | 'session',
  ][] = [
    ['no response', { message: 'fetch failed', network: true }, SyncNetworkError, 'transient'],
    ['timeout', { message: 'timed out', timedOut: true }, SyncTimeoutError, 'transient'],
    ['HTTP 503', { message: 'down', status: 503 }, ServerUnavailableError, 'transient'],
    ['HTTP 500', { message: 'oops', status: 500 }, ServerUnavailableError, 'transient'],
    ['HTTP 502', { message: 'bad gateway', status: 502 }, ServerUnavailableError, 'transient'],
    ['HTTP 429', { message: 'slow down', status: 429, retryAfter: '7' }, RateLimitedError, 'transient'],
    ['HTTP 408', { message: 'request timeout', status: 408 }, SyncTimeoutError, 'transient'],
    [
      '08006 connection failure',
      { message: 'conn', status: 503, code: '08006' },
      ServerUnavailableError,
      'transient',
    ],
    [
      '53300 too many connections',
      { message: 'busy', status: 500, code: '53300' },
      ServerUnavailableError,
      'transient',
    ],
    [
      '57014 statement timeout',
      { message: 'canceled', status: 500, code: '57014' },
      ServerUnavailableError,
      'transient',
    ],
    [
      '40001 serialization failure',
      { message: 'retry', status: 409, code: '40001' },
      ServerUnavailableError,
      'transient',
    ],
    ['22007 bad datetime', { message: 'bad', status: 400, code: '22007' }, InvalidRecordError, 'record'],
    [
      '22P02 bad text representation',
      { message: 'bad', status: 400, code: '22P02' },
      InvalidRecordError,
      'record',
    ],
    ['23502 not null', { message: 'null', status: 400, code: '23502' }, ConstraintViolationError, 'record'],
    ['23505 unique', { message: 'dup', status: 409, code: '23505' }, ConstraintViolationError, 'record'],
    [
      '42501 insufficient privilege',
      { message: 'denied', status: 403, code: '42501' },
      PermissionDeniedError,
      'record',
    ],
    [
      '42703 unknown column',
      { message: 'column', status: 400, code: '42703' },
      SchemaMismatchError,
      'record',
    ],
    ['42P01 unknown table', { message: 'table', status: 404, code: '42P01' }, SchemaMismatchError, 'record'],
    [
      'PGRST202 unknown function',
      { message: 'no rpc', status: 404, code: 'PGRST202' },
      SchemaMismatchError,
      'session',
    ],
    [
      '42883 undefined function',
      { message: 'no fn', status: 404, code: '42883' },
      SchemaMismatchError,
      'session',
    ],
    ['PGRST301 bad JWT', { message: 'jwt', status: 401, code: 'PGRST301' }, AuthRequiredError, 'session'],
    ['HTTP 401', { message: 'unauthorized', status: 401 }, AuthRequiredError, 'session'],
    ['HTTP 418', { message: 'teapot', status: 418 }, SyncProtocolError, 'session'],
  ];

  for (const [name, failure, Class, kind] of cases) {
    it(`${name} → ${Class.name} (${kind})`, () => {
      const error = syncErrorFrom(failure);
      expect(error).toBeInstanceOf(Class);
      expect(isSyncError(error)).toBe(true);
      expect(isTransientSyncError(error)).toBe(kind === 'transient');
      expect(isRecordLevelSyncError(error)).toBe(kind === 'record');
      expect(error.serverCode).toBe(failure.code);
      expect(error.message).toBe(failure.message);
    });
  }

  it('Retry-After in seconds or as an HTTP date becomes retryAfterMs', () => {
    expect(syncErrorFrom({ message: 'x', status: 503, retryAfter: '120' }).retryAfterMs).toBe(120_000);
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('guards recognise errors from another copy of the package (brand, not instanceof)', async () => {
    // A second instance of the module, as when two versions of the package are installed side by side.
    // @ts-expect-error the query string makes the bundler load the module again; TypeScript cannot resolve it
    const copy = (await import('../src/errors.js?copy')) as typeof import('../src/errors.js');
    const foreign = new copy.ConstraintViolationError('from another copy', { serverCode: '23514' });
    expect(foreign).not.toBeInstanceOf(ConstraintViolationError);
    expect(isSyncError(foreign)).toBe(true);
    expect(isRecordLevelSyncError(foreign)).toBe(true);
    expect(isSyncError(new Error('plain'))).toBe(false);
    expect(isSyncError({ code: 'network' })).toBe(false);
  });

  it('errors serialise to JSON with their classification', () => {
    const error = syncErrorFrom({ message: 'down', status: 503, retryAfter: '2' });
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      name: 'ServerUnavailableError',
      code: 'server_unavailable',
      transient: true,
      status: 503,
      retryAfterMs: 2000,
    });
  });
});
