/** The push and pull progress bars: rows and MB on a terminal, nothing anywhere else. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../src/progress.js';
import { transferDetail } from '../src/sync/run.js';

class Capture extends Writable {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('sync progress', () => {
  it('says rows moved of the rows expected, and the size moved so far', () => {
    expect(transferDetail(12_000, 74_707, 18_350_000)).toBe('12,000/74,707 rows, 17.5 MiB');
    expect(transferDetail(0, 0, 0)).toBe('0/0 rows, 0 B');
    // More rows than expected (records written while the push ran): the total follows.
    expect(transferDetail(1_500, 1_000, 2_048)).toBe('1,500/1,500 rows, 2.0 KiB');
  });

  it('draws the bar with rows and MB on a terminal', () => {
    const stream = new Capture(true);
    const bar = new ProgressBar(stream, 'pushing', 0);
    bar.update(250, 1_000, transferDetail(250, 1_000, 3 * 1024 * 1024));
    expect(stream.text).toMatch(/^\rpushing \[#{10}-{30}\] {2}25% 250\/1,000 rows, 3\.0 MiB +$/);
    bar.done();
    expect(stream.text.endsWith('\r')).toBe(true);
  });

  it('draws nothing when stderr is not a terminal', () => {
    const stream = new Capture(false);
    const bar = new ProgressBar(stream, 'pulling', 0);
    bar.update(10, 20, transferDetail(10, 20, 1000));
    bar.done();
    expect(stream.text).toBe('');
  });
});
