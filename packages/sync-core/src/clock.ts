import { abortError } from './abort.js';
import type { AbortSignalLike, Clock, Random } from './ports.js';

interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The platform clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignalLike): Promise<void> {
    const timers = globalThis as unknown as Timers;
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = () => {
        timers.clearTimeout(handle);
        reject(abortError(signal as AbortSignalLike));
      };
      const handle = timers.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

export const systemRandom: Random = () => Math.random();
