import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ContentKey,
  deriveKey,
  exportContentKey,
  importContentKey,
  isDecryptionFailedError,
  isInvalidFieldContextError,
  isMalformedEnvelopeError,
  newKdfParams,
  openVisual,
  sealedVisualName,
  sealVisual,
} from '../src/index.js';

const FAST = { N: 2 ** 14, r: 8, p: 1 };
let key: ContentKey;
let other: ContentKey;
const image = randomBytes(4096);
const sha = createHash('sha256').update(image).digest('hex');

beforeAll(async () => {
  key = await deriveKey('amber lantern quietly folds', newKdfParams(FAST));
  other = await deriveKey('seven copper kites at dawn', newKdfParams(FAST));
});

describe('sealed images', () => {
  it('round-trips byte for byte, also with the key as cached on another machine', () => {
    const sealed = sealVisual(key, sha, image);
    expect(sealed.subarray(0, 6).toString('latin1')).toBe('ALVIS1');
    expect(sealed.length).toBe(image.length + 6 + 12 + 16);
    expect(sealed.includes(image.subarray(0, 32))).toBe(false);
    expect(openVisual(key, sha, sealed).equals(image)).toBe(true);
    expect(openVisual(importContentKey(exportContentKey(key)), sha, sealed).equals(image)).toBe(true);
    // A fresh nonce each time.
    expect(sealVisual(key, sha, image).equals(sealed)).toBe(false);
  });

  it('refuses another key, an altered object, another image hash and garbage', () => {
    const sealed = sealVisual(key, sha, image);
    const fail = (run: () => unknown, guard: (e: unknown) => boolean) => {
      let caught: unknown;
      try {
        run();
      } catch (error) {
        caught = error;
      }
      expect(guard(caught)).toBe(true);
    };
    fail(() => openVisual(other, sha, sealed), isDecryptionFailedError);
    const altered = Buffer.from(sealed);
    altered[40] = altered[40]! ^ 1;
    fail(() => openVisual(key, sha, altered), isDecryptionFailedError);
    const otherSha = createHash('sha256').update('something else').digest('hex');
    fail(() => openVisual(key, otherSha, sealed), isDecryptionFailedError);
    fail(() => openVisual(key, sha, image), isMalformedEnvelopeError);
    fail(() => sealVisual(key, 'not-a-hash', image), isInvalidFieldContextError);
  });

  it('names an object by a keyed hash: stable per key, unlinkable to the SHA-256 without it', () => {
    const name = sealedVisualName(key, sha);
    expect(name).toMatch(/^[0-9a-f]{64}$/);
    expect(name).not.toBe(sha);
    expect(sealedVisualName(importContentKey(exportContentKey(key)), sha)).toBe(name);
    expect(sealedVisualName(other, sha)).not.toBe(name);
    expect(createHash('sha256').update(sha).digest('hex')).not.toBe(name);
  });
});
