import type {
  CallOptions,
  PullPage,
  PullRequest,
  PushBatch,
  PushResult,
  Remote,
  TableSummary,
} from '../src/index.js';

/** Lets the macrotask queue run, so every promise chain started by the engine settles. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Held {
  kind: 'push' | 'pull' | 'summarize';
  run: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** A Remote whose calls wait until the test releases or fails them (when `holding` is on). */
export class GatedRemote implements Remote {
  holding = true;
  readonly held: Held[] = [];
  readonly calls: { kind: string; at: number }[] = [];

  constructor(
    private readonly inner: Remote,
    private readonly now: () => number = () => 0,
  ) {}

  private gate<T>(kind: Held['kind'], run: () => Promise<T>, options?: CallOptions): Promise<T> {
    this.calls.push({ kind, at: this.now() });
    if (!this.holding) return run();
    return new Promise<T>((resolve, reject) => {
      const entry: Held = { kind, run, resolve: resolve as (value: unknown) => void, reject };
      this.held.push(entry);
      options?.signal?.addEventListener('abort', () => {
        const index = this.held.indexOf(entry);
        if (index >= 0) this.held.splice(index, 1);
        reject(options.signal?.reason ?? new Error('aborted'));
      });
    });
  }

  push(batch: PushBatch, options?: CallOptions): Promise<PushResult> {
    return this.gate('push', () => this.inner.push(batch, options), options);
  }
  pull(request: PullRequest, options?: CallOptions): Promise<PullPage> {
    return this.gate('pull', () => this.inner.pull(request, options), options);
  }
  summarize(tables: string[], options?: CallOptions): Promise<TableSummary[]> {
    return this.gate('summarize', () => this.inner.summarize(tables, options), options);
  }

  /** Runs the oldest held call against the real remote. */
  async release(): Promise<string> {
    const entry = this.held.shift();
    if (!entry) throw new Error('no held call');
    try {
      entry.resolve(await entry.run());
    } catch (error) {
      entry.reject(error);
    }
    await flush();
    return entry.kind;
  }

  /** Fails the oldest held call. */
  async fail(error: unknown): Promise<string> {
    const entry = this.held.shift();
    if (!entry) throw new Error('no held call');
    entry.reject(error);
    await flush();
    return entry.kind;
  }

  /** Releases held calls until none is left. */
  async releaseAll(): Promise<void> {
    await flush();
    while (this.held.length > 0) await this.release();
  }
}
