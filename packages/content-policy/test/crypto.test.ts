import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ContentKey,
  DEFAULT_KDF_COST,
  decryptField,
  deriveKey,
  ENVELOPE_PREFIX,
  encryptField,
  exportContentKey,
  importContentKey,
  isContentPolicyError,
  isDecryptionFailedError,
  isEnvelope,
  isInvalidCachedKeyError,
  isInvalidFieldContextError,
  isInvalidKdfParamsError,
  isMalformedEnvelopeError,
  isUnsupportedEnvelopeVersionError,
  isWrongPassphraseError,
  type KdfParams,
  keyCheck,
  newKdfParams,
  openField,
  reencryptField,
  unlock,
  verifyKeyCheck,
} from '../src/index.js';

/** The smallest accepted cost keeps the suite fast; one test derives with the default cost. */
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const here = { table: 'turns', id: '01J9ZK3Q8W6V', column: 'content' };

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('key derivation', () => {
  let params: KdfParams;
  let key: ContentKey;
  beforeAll(async () => {
    params = newKdfParams(FAST);
    key = await deriveKey('correct horse battery staple', params);
  });

  it('params are JSON and derive the same key on every machine', async () => {
    const stored = JSON.parse(JSON.stringify(params)) as KdfParams;
    expect(stored).toEqual({ algorithm: 'scrypt', N: 2 ** 14, r: 8, p: 1, salt: expect.any(String) });
    expect(Buffer.from(stored.salt, 'base64url')).toHaveLength(16);
    const again = await deriveKey('correct horse battery staple', stored);
    expect(keyCheck(again)).toBe(keyCheck(key));
    const envelope = encryptField(key, 'hello', here);
    expect(decryptField(again, envelope, here)).toBe('hello');
  });

  it('new params get a fresh salt, and another salt gives another key', async () => {
    const other = newKdfParams(FAST);
    expect(other.salt).not.toBe(params.salt);
    const otherKey = await deriveKey('correct horse battery staple', other);
    expect(keyCheck(otherKey)).not.toBe(keyCheck(key));
  });

  it('the default cost is scrypt N=2^17, r=8, p=1', { timeout: 60_000 }, async () => {
    expect(DEFAULT_KDF_COST).toEqual({ N: 131072, r: 8, p: 1 });
    const defaults = newKdfParams();
    expect(defaults.N).toBe(131072);
    const started = performance.now();
    const derived = await deriveKey('correct horse battery staple', defaults);
    const ms = performance.now() - started;
    console.log(`scrypt N=2^17 r=8 p=1: ${ms.toFixed(0)} ms`);
    expect(keyCheck(derived)).toMatch(/^alkc1:[A-Za-z0-9_-]{43}$/);
  });

  it('a wrong passphrase is a WrongPassphraseError', async () => {
    const check = keyCheck(key);
    const wrong = await deriveKey('correct horse battery stapler', params);
    const error = caught(() => verifyKeyCheck(wrong, check));
    expect(isWrongPassphraseError(error)).toBe(true);
    expect((error as Error).message).not.toContain('stapler');
    expect(isWrongPassphraseError(await rejected(unlock('nope', params, check)))).toBe(true);
    const unlocked = await unlock('correct horse battery staple', params, check);
    expect(keyCheck(unlocked)).toBe(check);
    expect(isWrongPassphraseError(caught(() => verifyKeyCheck(key, 'alkc1:short')))).toBe(true);
    expect(isWrongPassphraseError(await rejected(deriveKey('', params)))).toBe(true);
  });

  it('rejects params outside the bounds, before any work', async () => {
    const bad: unknown[] = [
      null,
      { ...params, algorithm: 'pbkdf2' },
      { ...params, N: 2 ** 10 },
      { ...params, N: 100_000 },
      { ...params, N: 2 ** 24 },
      { ...params, r: 0 },
      { ...params, p: 17 },
      { ...params, salt: 'c2hvcnQ' },
      { ...params, salt: 'not base64url!' },
    ];
    for (const value of bad) {
      const error = await rejected(deriveKey('pw', value as KdfParams));
      expect(isInvalidKdfParamsError(error), JSON.stringify(value)).toBe(true);
    }
    expect(isInvalidKdfParamsError(caught(() => newKdfParams({ N: 3000 })))).toBe(true);
  });
});

describe('field encryption', () => {
  let key: ContentKey;
  let otherKey: ContentKey;
  beforeAll(async () => {
    const params = newKdfParams(FAST);
    key = await deriveKey('passphrase one', params);
    otherKey = await deriveKey('passphrase two', params);
  });

  it('round-trips text, including empty and non-ASCII text', () => {
    for (const text of ['', 'a prompt', 'émoji 🔐 and 中文', 'x'.repeat(100_000)]) {
      const envelope = encryptField(key, text, here);
      expect(envelope.startsWith(ENVELOPE_PREFIX)).toBe(true);
      expect(isEnvelope(envelope)).toBe(true);
      expect(decryptField(key, envelope, here)).toBe(text);
    }
  });

  it('the envelope is compact: prefix, then base64url of nonce, ciphertext and tag', () => {
    const envelope = encryptField(key, 'abc', here);
    const body = Buffer.from(envelope.slice(ENVELOPE_PREFIX.length), 'base64url');
    expect(body).toHaveLength(12 + 1 + 3 + 16);
    expect(envelope).toMatch(/^alenc1:[A-Za-z0-9_-]+$/);
  });

  it('the format is fixed: envelopes open with plain AES-256-GCM calls, and such calls seal envelopes it opens', () => {
    // Every machine and every version reads this: nonce ‖ AES-256-GCM(header byte ‖ UTF-8 text) ‖ tag, the header
    // 0x50 (plain) or 0x52 (redacted), the associated data the JSON array of a label, table, row id and column.
    const contexts = [here, { table: 'turns', id: 'id with "quotes" \\ and é', column: 'tool_calls' }];
    for (const context of contexts) {
      const aad = Buffer.from(
        JSON.stringify(['agentlogs-field-v1', context.table, context.id, context.column]),
      );
      for (const [state, header] of [
        ['plain', 0x50],
        ['redacted', 0x52],
      ] as const) {
        const text = `${state} text, émoji 🔐, a lone surrogate \ud800`;
        const sealed = Buffer.from(
          encryptField(key, text, context, state).slice(ENVELOPE_PREFIX.length),
          'base64url',
        );
        const decipher = createDecipheriv('aes-256-gcm', key.fieldKey, sealed.subarray(0, 12));
        decipher.setAAD(aad);
        decipher.setAuthTag(sealed.subarray(sealed.length - 16));
        const plain = Buffer.concat([
          decipher.update(sealed.subarray(12, sealed.length - 16)),
          decipher.final(),
        ]);
        expect(plain[0]).toBe(header);
        expect(plain.subarray(1).equals(Buffer.from(text, 'utf8'))).toBe(true);

        // Sealed the other way round: the header and the text in two calls, as earlier versions did.
        const nonce = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', key.fieldKey, nonce);
        cipher.setAAD(aad);
        const parts = [nonce, cipher.update(Buffer.of(header)), cipher.update(text, 'utf8'), cipher.final()];
        const envelope =
          ENVELOPE_PREFIX + Buffer.concat([...parts, cipher.getAuthTag()]).toString('base64url');
        expect(openField(key, envelope, context)).toEqual({ text: Buffer.from(text).toString(), state });
      }
    }
  });

  it('uses a fresh nonce per call: two encryptions of the same text differ', () => {
    const a = encryptField(key, 'same text', here);
    const b = encryptField(key, 'same text', here);
    expect(a).not.toBe(b);
    const nonce = (envelope: string) =>
      Buffer.from(envelope.slice(ENVELOPE_PREFIX.length), 'base64url').subarray(0, 12);
    expect(nonce(a).equals(nonce(b))).toBe(false);
  });

  it('a ciphertext moved to another row, column or table does not decrypt', () => {
    const envelope = encryptField(key, 'the prompt', here);
    for (const elsewhere of [
      { ...here, id: '01J9ZK3Q8W6X' },
      { ...here, column: 'title' },
      { ...here, table: 'sessions' },
    ]) {
      const error = caught(() => decryptField(key, envelope, elsewhere));
      expect(isDecryptionFailedError(error)).toBe(true);
      expect((error as Error).message).not.toContain('the prompt');
    }
  });

  it('tampering fails: a flipped bit in nonce, ciphertext or tag, a truncated envelope', () => {
    const envelope = encryptField(key, 'the answer', here);
    const body = Buffer.from(envelope.slice(ENVELOPE_PREFIX.length), 'base64url');
    for (const at of [0, 12, 14, body.length - 1]) {
      const altered = Buffer.from(body);
      altered[at] = altered[at]! ^ 0x01;
      const error = caught(() => decryptField(key, ENVELOPE_PREFIX + altered.toString('base64url'), here));
      expect(isDecryptionFailedError(error), `byte ${at}`).toBe(true);
    }
    const truncated = ENVELOPE_PREFIX + body.subarray(0, body.length - 1).toString('base64url');
    expect(isDecryptionFailedError(caught(() => decryptField(key, truncated, here)))).toBe(true);
  });

  it('the wrong key fails', () => {
    const envelope = encryptField(key, 'secret text', here);
    expect(isDecryptionFailedError(caught(() => decryptField(otherKey, envelope, here)))).toBe(true);
  });

  it('tells envelopes from plain values, and says what is wrong with a malformed one', () => {
    expect(isEnvelope('a prompt')).toBe(false);
    expect(isEnvelope('alenc1:')).toBe(false);
    expect(isEnvelope('alenc1:abc')).toBe(false);
    expect(isEnvelope('alenc1:' + 'a'.repeat(60) + '=')).toBe(false);
    expect(isEnvelope(42)).toBe(false);
    expect(isEnvelope(null)).toBe(false);
    expect(isMalformedEnvelopeError(caught(() => decryptField(key, 'plain text', here)))).toBe(true);
    expect(
      isUnsupportedEnvelopeVersionError(caught(() => decryptField(key, `alenc2:${'A'.repeat(60)}`, here))),
    ).toBe(true);
    expect(isInvalidFieldContextError(caught(() => encryptField(key, 'x', { ...here, id: '' })))).toBe(true);
    expect(isContentPolicyError(caught(() => decryptField(key, 'plain text', here)))).toBe(true);
  });

  it('keeps whether the text was redacted before encryption, inside the ciphertext', () => {
    const envelope = encryptField(key, 'token [REDACTED:github-pat]', here, 'redacted');
    expect(openField(key, envelope, here)).toEqual({
      text: 'token [REDACTED:github-pat]',
      state: 'redacted',
    });
    expect(openField(key, encryptField(key, 'x', here), here).state).toBe('plain');
  });

  it('re-encrypts for a passphrase change: the new key opens it, the old one no longer does', () => {
    const envelope = encryptField(key, 'keep me', here, 'redacted');
    const moved = reencryptField(key, otherKey, envelope, here);
    expect(openField(otherKey, moved, here)).toEqual({ text: 'keep me', state: 'redacted' });
    expect(isDecryptionFailedError(caught(() => decryptField(key, moved, here)))).toBe(true);
    expect(isDecryptionFailedError(caught(() => reencryptField(otherKey, key, envelope, here)))).toBe(true);
  });

  it('a key exported for the local cache imports to the same key, and nothing else imports', () => {
    const cached = exportContentKey(key);
    expect(cached.startsWith('alkey1:')).toBe(true);
    const restored = importContentKey(`${cached}\n`);
    expect(keyCheck(restored)).toBe(keyCheck(key));
    expect(decryptField(restored, encryptField(key, 'cached', here), here)).toBe('cached');
    for (const bad of [
      '',
      'alkey1:',
      `${cached.slice(0, -4)}`,
      cached.replace('alkey1:', 'alkey2:'),
      'alkey1:!!',
    ]) {
      const error = caught(() => importContentKey(bad));
      expect(isInvalidCachedKeyError(error)).toBe(true);
      expect((error as Error).message).not.toContain(cached.slice(7));
    }
  });
});
