/**
 * The one way this package calls the server: a supabase-js `rpc()` under a timeout and the caller's abort
 * signal, with every failure thrown as a sync-core error (`syncErrorFrom`: transient / permanent, record or
 * session level), never returned.
 */
import { type AbortSignalLike, SyncAbortedError, type SyncError, syncErrorFrom } from '@agentlogs/sync-core';
import type { SupabaseClient } from '@supabase/supabase-js';
import { describeNetworkFailure } from './network.js';

/** Default milliseconds before a call is abandoned with a transient timeout error. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface RequestOptions {
  /** Cancels the call (`SyncAbortedError`). */
  signal?: AbortSignalLike;
  /** Milliseconds before the call is abandoned with a transient `SyncTimeoutError`. */
  timeoutMs?: number;
  /**
   * Send the call once more, at once, when the server closed the connection before answering
   * (`UND_ERR_SOCKET`): a kept-alive connection the server timed out just as the request went out, which
   * happens when the client paused longer than the server's keep-alive (a busy machine, a large batch read
   * from the store). Only for functions whose replay is harmless (the sync RPCs: the server decides each
   * pushed record on its own, pulls and summaries only read).
   */
  retryClosedConnection?: boolean;
}

/** Calls the Postgres function `fn` with `args` and returns its JSON result. */
export async function callRpc(
  client: SupabaseClient,
  fn: string,
  args: Record<string, unknown>,
  options: RequestOptions = {},
): Promise<unknown> {
  if (!options.retryClosedConnection) return callRpcOnce(client, fn, args, options);
  try {
    return await callRpcOnce(client, fn, args, options);
  } catch (error) {
    if (!isClosedBeforeAnswer(error) || options.signal?.aborted) throw error;
    return callRpcOnce(client, fn, args, options);
  }
}

/** A call that got no answer because the server closed the connection (not a refusal, not a timeout). */
function isClosedBeforeAnswer(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === 'network' && typeof e.message === 'string' && e.message.includes('UND_ERR_SOCKET');
}

async function callRpcOnce(
  client: SupabaseClient,
  fn: string,
  args: Record<string, unknown>,
  options: RequestOptions,
): Promise<unknown> {
  const external = options.signal;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (external?.aborted) throw new SyncAbortedError(`${fn} cancelled`, { cause: external.reason });
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  external?.addEventListener('abort', onAbort, { once: true });
  try {
    let response: {
      data: unknown;
      error: { message: string; code?: string; hint?: string | null } | null;
      status: number;
    };
    try {
      response = await client.rpc(fn, args).abortSignal(controller.signal);
    } catch (error) {
      // supabase-js rethrows aborts; anything else is a failure to reach the server.
      throw classifyThrown(fn, error, external?.aborted === true, timedOut);
    }
    if (response.error) {
      if (external?.aborted) throw new SyncAbortedError(`${fn} cancelled`, { cause: external.reason });
      if (timedOut) {
        throw syncErrorFrom({ message: `${fn} timed out after ${timeoutMs} ms`, timedOut: true });
      }
      const { error, status } = response;
      const hint = error.hint ? ` (${error.hint})` : '';
      // No answer at all: postgrest-js keeps the cause (with its code) only in `details`.
      const details = (error as { details?: unknown }).details;
      throw syncErrorFrom({
        status: status === 0 ? undefined : status,
        code: error.code || undefined,
        message:
          status === 0
            ? `${fn}: ${describeNetworkFailure(error, typeof details === 'string' ? details : '')}`
            : `${fn}: ${error.message}${hint}`,
        network: status === 0,
        cause: error,
      });
    }
    return response.data;
  } finally {
    clearTimeout(timer);
    external?.removeEventListener('abort', onAbort);
  }
}

function classifyThrown(fn: string, error: unknown, aborted: boolean, timedOut: boolean): SyncError {
  const message = error instanceof Error ? error.message : String(error);
  if (aborted) return new SyncAbortedError(`${fn} cancelled`, { cause: error });
  if (timedOut) return syncErrorFrom({ message: `${fn} timed out`, timedOut: true, cause: error });
  return syncErrorFrom({
    message: `${fn}: ${describeNetworkFailure(error) || message}`,
    network: true,
    cause: error,
  });
}
