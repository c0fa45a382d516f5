/**
 * Cancellation without DOM or Node types: the engine works with `AbortSignalLike` and creates its own
 * controllers through the platform's `AbortController` when there is one (Node ≥ 20, browsers, Deno, Bun).
 */
import { SyncAbortedError } from './errors.js';
import type { AbortSignalLike } from './ports.js';

export interface AbortControllerLike {
  readonly signal: AbortSignalLike;
  abort(reason?: unknown): void;
}

class SignalSource implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  private readonly listeners = new Set<() => void>();
  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener);
  }
  fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    for (const listener of [...this.listeners]) listener();
    this.listeners.clear();
  }
}

type PlatformController = new () => AbortControllerLike;

/** A controller whose signal is the platform's `AbortSignal` when available (so adapters can pass it to fetch). */
export function createAbortController(): AbortControllerLike {
  const Platform = (globalThis as { AbortController?: PlatformController }).AbortController;
  if (Platform) return new Platform();
  const source = new SignalSource();
  return { signal: source, abort: (reason?: unknown) => source.fire(reason) };
}

/** A controller that also aborts when any of `parents` aborts. Call `dispose` to unlink. */
export function linkedAbortController(...parents: (AbortSignalLike | undefined)[]): AbortControllerLike & {
  dispose(): void;
} {
  const controller = createAbortController();
  const unlinks: (() => void)[] = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      continue;
    }
    const onAbort = () => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    unlinks.push(() => parent.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    abort: (reason?: unknown) => controller.abort(reason),
    dispose: () => {
      for (const unlink of unlinks) unlink();
    },
  };
}

/** Throws `SyncAbortedError` when the signal is aborted. */
export function throwIfAborted(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

export function abortError(signal: AbortSignalLike): SyncAbortedError {
  const reason = signal.reason;
  if (reason instanceof SyncAbortedError) return reason;
  const message = reason instanceof Error ? reason.message : 'sync cancelled';
  return new SyncAbortedError(message, { cause: reason });
}
