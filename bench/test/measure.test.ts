import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { median, runMeasured } from '../src/measure.js';

// A child that holds about 150 MB resident for a moment, then exits with status 3.
const HOLD =
  'const b = Buffer.alloc(150 * 1024 * 1024, 1); setTimeout(() => { b[0] = 2; process.exit(3); }, 300);';
const hasGnuTime = fs.existsSync('/usr/bin/time');

describe('runMeasured', () => {
  it.skipIf(!hasGnuTime)(
    'reads peak RSS and CPU time from GNU time, with the exit status and output',
    async () => {
      const run = await runMeasured(process.execPath, ['-e', `process.stdout.write('hi'); ${HOLD}`], {
        env: process.env,
        rss: 'gnu-time',
      });
      expect(run.exitCode).toBe(3);
      expect(run.stdout).toBe('hi');
      expect(run.maxRssKb).toBeGreaterThan(150 * 1024);
      expect(run.maxRssKb).toBeLessThan(400 * 1024);
      expect(run.cpuMs).toBeGreaterThan(0);
      expect(run.wallMs).toBeGreaterThanOrEqual(300);
    },
  );

  it('polls VmHWM in /proc when asked, and sees the same peak', async () => {
    const run = await runMeasured(process.execPath, ['-e', HOLD], { env: process.env, rss: 'proc-poll' });
    expect(run.exitCode).toBe(3);
    expect(run.maxRssKb).toBeGreaterThan(150 * 1024);
    expect(run.maxRssKb).toBeLessThan(400 * 1024);
    expect(Number.isNaN(run.cpuMs)).toBe(true);
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });
});
