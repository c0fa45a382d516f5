/**
 * One error class per failure, a `code` union, and guards that work across duplicate copies of this
 * package (they test a brand property, not `instanceof`).
 *
 * Every error says whether it is transient (retry with backoff) and, for permanent ones, whether it
 * belongs to a record (park it as a dead letter, continue with the rest) or to the whole session
 * (stop syncing until the user acts: sign in again, apply the schema).
 */

export type SyncErrorCode =
  | 'network'
  | 'timeout'
  | 'server_unavailable'
  | 'rate_limited'
  | 'invalid_record'
  | 'constraint_violation'
  | 'permission_denied'
  | 'not_allowed'
  | 'limit_exceeded'
  | 'schema_mismatch'
  | 'auth_required'
  | 'protocol'
  | 'aborted';

const BRAND = '__agentlogsSyncError';

export interface SyncErrorOptions {
  /** The server's own code, e.g. a SQLSTATE (`23502`) or a PostgREST code (`PGRST202`). */
  serverCode?: string;
  /** HTTP status, when there was a response. */
  status?: number;
  /** Minimum wait before retrying, from `Retry-After`. */
  retryAfterMs?: number;
  cause?: unknown;
}

export abstract class SyncError extends Error {
  readonly [BRAND] = true;
  abstract readonly code: SyncErrorCode;
  /** Retrying later may succeed. */
  abstract readonly transient: boolean;
  /** A permanent error caused by one record's content: park that record, continue with the rest. */
  readonly recordLevel: boolean = false;
  readonly serverCode: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.serverCode = options.serverCode;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      transient: this.transient,
      serverCode: this.serverCode,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

/** The request did not reach the server or no response came back (connection refused, reset, DNS). */
export class SyncNetworkError extends SyncError {
  override readonly name = 'SyncNetworkError';
  readonly code = 'network' as const;
  readonly transient = true;
}

/** The request took longer than allowed; the server may or may not have committed it. */
export class SyncTimeoutError extends SyncError {
  override readonly name = 'SyncTimeoutError';
  readonly code = 'timeout' as const;
  readonly transient = true;
}

/** 5xx, 503, or a SQLSTATE of class 08 (connection) / 53 (resources) / 57P (shutdown) / 40 (retryable). */
export class ServerUnavailableError extends SyncError {
  override readonly name = 'ServerUnavailableError';
  readonly code = 'server_unavailable' as const;
  readonly transient = true;
}

/** 429: the server asked to slow down; `retryAfterMs` says how long. */
export class RateLimitedError extends SyncError {
  override readonly name = 'RateLimitedError';
  readonly code = 'rate_limited' as const;
  readonly transient = true;
}

/** SQLSTATE 22xxx: a value the server cannot store (bad timestamp, number out of range, bad JSON). */
export class InvalidRecordError extends SyncError {
  override readonly name = 'InvalidRecordError';
  readonly code = 'invalid_record' as const;
  readonly transient = false;
  override readonly recordLevel = true;
}

/** SQLSTATE 23xxx: not null, foreign key, unique or check violation. */
export class ConstraintViolationError extends SyncError {
  override readonly name = 'ConstraintViolationError';
  readonly code = 'constraint_violation' as const;
  readonly transient = false;
  override readonly recordLevel = true;
}

/** SQLSTATE 42501 (or HTTP 403): row-level security or a missing grant refused the write. */
export class PermissionDeniedError extends SyncError {
  override readonly name = 'PermissionDeniedError';
  readonly code = 'permission_denied' as const;
  readonly transient = false;
  override readonly recordLevel = true;
}

/**
 * The signed-in account may not write to this project (SQLSTATE PT403, HTTP 403): the project's owner has not
 * allowed it. Session level: nothing this account sends will be taken until the owner allows it.
 */
export class NotAllowedError extends SyncError {
  override readonly name = 'NotAllowedError';
  readonly code = 'not_allowed' as const;
  readonly transient = false;
}

/**
 * Over one of the server's caps (SQLSTATE 54000, whose message names the cap, or HTTP 413 from a gateway):
 * record level, since splitting the batch either fits or isolates the record that is too large.
 */
export class LimitExceededError extends SyncError {
  override readonly name = 'LimitExceededError';
  readonly code = 'limit_exceeded' as const;
  readonly transient = false;
  override readonly recordLevel = true;
}

/**
 * The server's schema does not match this client: an unknown table or column in a record (record level:
 * SQLSTATE 42P01, 42703) or a missing sync function (session level: 42883, PGRST202 — apply the schema).
 */
export class SchemaMismatchError extends SyncError {
  override readonly name = 'SchemaMismatchError';
  readonly code = 'schema_mismatch' as const;
  readonly transient = false;
  override readonly recordLevel: boolean;
  constructor(message: string, options: SyncErrorOptions & { recordLevel?: boolean } = {}) {
    super(message, options);
    this.recordLevel = options.recordLevel ?? false;
  }
}

/** 401 or an expired/invalid JWT: sign in again. Stops syncing; never parks records. */
export class AuthRequiredError extends SyncError {
  override readonly name = 'AuthRequiredError';
  readonly code = 'auth_required' as const;
  readonly transient = false;
}

/** The server answered something that breaks the protocol (malformed page, missing outcome). */
export class SyncProtocolError extends SyncError {
  override readonly name = 'SyncProtocolError';
  readonly code = 'protocol' as const;
  readonly transient = false;
}

/** The caller cancelled through its `AbortSignal`. */
export class SyncAbortedError extends SyncError {
  override readonly name = 'SyncAbortedError';
  readonly code = 'aborted' as const;
  readonly transient = false;
}

/** True for any sync-core error, including ones thrown by another copy of this package. */
export function isSyncError(error: unknown): error is SyncError {
  return typeof error === 'object' && error !== null && (error as Record<string, unknown>)[BRAND] === true;
}

export function isTransientSyncError(error: unknown): error is SyncError {
  return isSyncError(error) && error.transient;
}

/** A permanent error that belongs to the records of the request (dead-letter them, continue). */
export function isRecordLevelSyncError(error: unknown): error is SyncError {
  return isSyncError(error) && !error.transient && error.recordLevel;
}

export function isSyncAbortedError(error: unknown): error is SyncAbortedError {
  return isSyncError(error) && error.code === 'aborted';
}

export function isAuthRequiredError(error: unknown): error is AuthRequiredError {
  return isSyncError(error) && error.code === 'auth_required';
}

export function isNotAllowedError(error: unknown): error is NotAllowedError {
  return isSyncError(error) && error.code === 'not_allowed';
}

export function isSchemaMismatchError(error: unknown): error is SchemaMismatchError {
  return isSyncError(error) && error.code === 'schema_mismatch';
}

export interface FailureDescription {
  /** HTTP status, if a response arrived. */
  status?: number;
  /** SQLSTATE or PostgREST code (`PGRST…`), if known. */
  code?: string;
  message: string;
  /** `Retry-After` header value (seconds or an HTTP date), or milliseconds already parsed. */
  retryAfter?: string | number | null;
  /** No response at all (fetch failed). */
  network?: boolean;
  timedOut?: boolean;
  /** Current time for an HTTP-date `Retry-After` (defaults to `Date.now()`). */
  now?: number;
  cause?: unknown;
}

/** Parses `Retry-After`: delta-seconds or an HTTP date. Numbers are taken as milliseconds. */
export function parseRetryAfter(
  value: string | number | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Maps a failed server call to the sync-core error class. Adapters (e.g. a PostgREST/supabase-js Remote)
 * call this with what they know; the classification is the protocol's, in one place.
 */
export function syncErrorFrom(failure: FailureDescription): SyncError {
  const options: SyncErrorOptions = {
    serverCode: failure.code,
    status: failure.status,
    retryAfterMs: parseRetryAfter(failure.retryAfter, failure.now),
    cause: failure.cause,
  };
  const code = failure.code ?? '';
  const status = failure.status;
  const message = failure.message;
  if (failure.timedOut) return new SyncTimeoutError(message, options);
  if (failure.network) return new SyncNetworkError(message, options);
  // PostgREST codes first: they are about the request, not the data.
  if (code === 'PGRST202' || code === 'PGRST203' || code === '42883') {
    return new SchemaMismatchError(message, options);
  }
  if (code === 'PGRST301' || code === 'PGRST302' || code === 'PGRST303' || status === 401) {
    return new AuthRequiredError(message, options);
  }
  if (code === 'PT403') return new NotAllowedError(message, options);
  if (code === '54000' || status === 413) return new LimitExceededError(message, options);
  if (/^(08|53|57P|40)/.test(code) || code === '55P03' || code === '57014') {
    return new ServerUnavailableError(message, options);
  }
  if (code.startsWith('22')) return new InvalidRecordError(message, options);
  if (code.startsWith('23')) return new ConstraintViolationError(message, options);
  if (code === '42501') return new PermissionDeniedError(message, options);
  if (code === '42P01' || code === '42703') {
    return new SchemaMismatchError(message, { ...options, recordLevel: true });
  }
  if (status === 429) return new RateLimitedError(message, options);
  if (status === 408) return new SyncTimeoutError(message, options);
  if (status !== undefined && status >= 500) return new ServerUnavailableError(message, options);
  if (status === 403) return new PermissionDeniedError(message, options);
  if (status === undefined) return new SyncNetworkError(message, options);
  return new SyncProtocolError(message, options);
}
