import { StringDecoder } from 'node:string_decoder';

type Input = NodeJS.ReadableStream & {
  readableEnded?: boolean;
  destroyed?: boolean;
  ref?: () => void;
  unref?: () => void;
};

/**
 * Answers read one line at a time from any readable stream (a pipe, a file, a socket). The stream is read only
 * while an answer is awaited and paused (and unreferenced, so it keeps no process alive) in between: what
 * arrives meanwhile is left to other readers of the same stream, and lines that came in one chunk with the
 * answer wait here for the next question.
 */
export class LineReader {
  private buffer = '';
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly input: Input) {}

  /** The next line without its line ending; `undefined` once the stream has ended with nothing left. */
  async next(signal?: AbortSignal): Promise<string | undefined> {
    for (;;) {
      const newline = this.buffer.indexOf('\n');
      if (newline >= 0) {
        const line = this.buffer.slice(0, newline).replace(/\r$/, '');
        this.buffer = this.buffer.slice(newline + 1);
        return line;
      }
      if (this.ended || this.input.readableEnded || this.input.destroyed) {
        this.ended = true;
        this.buffer += this.decoder.end();
        if (this.buffer === '') return undefined;
        const rest = this.buffer.replace(/\r$/, '');
        this.buffer = '';
        return rest;
      }
      await this.more(signal);
    }
  }

  /** Waits for the next chunk (or the end of the stream, or the signal). */
  private more(signal: AbortSignal | undefined): Promise<void> {
    const input = this.input;
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer | string) => {
        this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
        finish();
        resolve();
      };
      const onEnd = () => {
        this.ended = true;
        finish();
        resolve();
      };
      const onAbort = () => {
        finish();
        reject(signal?.reason);
      };
      const finish = () => {
        input.off('data', onData);
        input.off('end', onEnd);
        input.off('close', onEnd);
        input.off('error', onEnd);
        signal?.removeEventListener('abort', onAbort);
        input.pause();
        input.unref?.();
      };
      input.on('data', onData);
      input.once('end', onEnd);
      input.once('close', onEnd);
      input.once('error', onEnd);
      signal?.addEventListener('abort', onAbort, { once: true });
      input.ref?.();
      input.resume();
    });
  }
}
