import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  isSameWrite,
  normalizeTimestamp,
  resolveConflict,
  timestampMillis,
} from '../src/index.js';
import { seededRandom } from '../src/testing/index.js';

const stamp = (version: number, updatedAt: string, deviceId: string) => ({ version, updatedAt, deviceId });

describe('conflict rule', () => {
  it('orders by version first, whatever the clocks say', () => {
    expect(
      compareVersions(stamp(3, '2020-01-01T00:00:00Z', 'a'), stamp(2, '2030-01-01T00:00:00Z', 'z')),
    ).toBe(1);
    expect(
      compareVersions(stamp(2, '2030-01-01T00:00:00Z', 'z'), stamp(3, '2020-01-01T00:00:00Z', 'a')),
    ).toBe(-1);
  });

  it('breaks version ties by the earlier updatedAt (UTC milliseconds), then by the greater device id', () => {
    const base = stamp(2, '2026-01-01T10:00:00.000Z', 'm');
    // The earlier claim of a version wins, whatever the device.
    expect(compareVersions(stamp(2, '2026-01-01T09:59:59.999Z', 'a'), base)).toBe(1);
    expect(compareVersions(stamp(2, '2026-01-01T10:00:00.001Z', 'z'), base)).toBe(-1);
    // The same instant spelled in another zone is a tie, broken by the device id.
    expect(compareVersions(stamp(2, '2026-01-01T11:00:00+01:00', 'n'), base)).toBe(1);
    expect(compareVersions(stamp(2, '2026-01-01T11:00:00+01:00', 'l'), base)).toBe(-1);
    // A higher version wins even when it was written earlier (a skewed clock).
    expect(compareVersions(stamp(3, '2025-12-31T10:00:00.000Z', 'a'), base)).toBe(1);
  });

  it('treats an equal triple as the same write, whatever the ISO spelling', () => {
    expect(
      isSameWrite(stamp(4, '2026-01-01T10:00:00Z', 'd'), stamp(4, '2026-01-01T10:00:00.000+00:00', 'd')),
    ).toBe(true);
    expect(
      compareVersions(stamp(4, '2026-01-01T10:00:00Z', 'd'), stamp(4, '2026-01-01T10:00:00Z', 'd')),
    ).toBe(0);
  });

  it('is a total order: antisymmetric and transitive on random versions', () => {
    const random = seededRandom(7);
    const stamps = Array.from({ length: 60 }, () =>
      stamp(
        1 + random.int(3),
        new Date(Date.UTC(2026, 0, 1) + random.int(3) * 1000).toISOString(),
        `d${random.int(3)}`,
      ),
    );
    for (const a of stamps) {
      for (const b of stamps) {
        expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a))).toBe(0);
        for (const c of stamps.slice(0, 15)) {
          if (compareVersions(a, b) > 0 && compareVersions(b, c) > 0) expect(compareVersions(a, c)).toBe(1);
        }
      }
    }
  });

  it('resolveConflict returns the winner and is order-independent', () => {
    const a = stamp(2, '2026-01-01T00:00:00Z', 'a');
    const b = stamp(2, '2026-01-01T00:00:00Z', 'b');
    expect(resolveConflict(a, b)).toBe(b);
    expect(resolveConflict(b, a)).toBe(b);
  });

  it('rejects a time that is not ISO-8601 and normalises valid ones to UTC milliseconds', () => {
    expect(() => timestampMillis('yesterday')).toThrow(/not an ISO-8601 time/);
    expect(normalizeTimestamp('2026-01-01T12:00:00+02:00')).toBe('2026-01-01T10:00:00.000Z');
  });
});
