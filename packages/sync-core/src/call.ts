/** How the engine calls its `Remote`: cancellable, with every failure turned into a sync-core error. */
import { abortError, linkedAbortController, throwIfAborted } from './abort.js';
import { isSyncError, SyncNetworkError } from './errors.js';
import type { AbortSignalLike } from './ports.js';

/**
 * Runs one remote call under `signal`. Settles at once on cancellation even if the adapter ignores its
 * signal; a write that still commits later stays pending locally and is replayed harmlessly (pushes are
 * idempotent). A failure that is not a sync-core error counts as a network failure.
 */
export async function callRemote<T>(
  call: (signal: AbortSignalLike) => Promise<T>,
  signal?: AbortSignalLike,
): Promise<T> {
  throwIfAborted(signal);
  const link = linkedAbortController(signal);
  try {
    return await new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(abortError(link.signal));
      link.signal.addEventListener('abort', onAbort, { once: true });
      call(link.signal)
        .then(resolve, reject)
        .finally(() => link.signal.removeEventListener('abort', onAbort));
    });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    if (isSyncError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new SyncNetworkError(`sync request failed: ${message}`, { cause: error });
  } finally {
    link.dispose();
  }
}
