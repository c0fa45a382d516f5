import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  randomFillSync,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import {
  DecryptionFailedError,
  InvalidCachedKeyError,
  InvalidFieldContextError,
  InvalidKdfParamsError,
  MalformedEnvelopeError,
  UnsupportedEnvelopeVersionError,
  WrongPassphraseError,
} from './errors.js';

/**
 * Key derivation parameters, stored beside the encrypted data (JSON) so every machine derives the same key from the
 * same passphrase. Not secret.
 */
export interface KdfParams {
  algorithm: 'scrypt';
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
  /** 16+ random bytes, base64url. */
  salt: string;
}

/** The key derived from a passphrase. Holds its bytes privately; never serialise it. */
export interface ContentKey {
  readonly kind: 'agentlogs-content-key';
  /** @internal */
  readonly fieldKey: Buffer;
  /** @internal */
  readonly checkKey: Buffer;
}

/** Where a field lives: the ciphertext is bound to it and fails to decrypt anywhere else. */
export interface FieldContext {
  table: string;
  id: string;
  column: string;
}

/**
 * The default cost: N = 2^17, r = 8, p = 1 — 128 MiB of memory and under a second of CPU time per derivation (0.85 s
 * measured on the build machine), once per process. It is OWASP's recommended minimum for scrypt; the memory cost is what makes a
 * dumped key check expensive to brute-force on GPUs.
 */
export const DEFAULT_KDF_COST = { N: 2 ** 17, r: 8, p: 1 } as const;

/** Bounds on stored parameters: below is too weak to accept, above would exhaust memory (a hostile params row). */
const LIMITS = {
  minN: 2 ** 14,
  maxN: 2 ** 20,
  maxR: 32,
  maxP: 16,
  minSaltBytes: 16,
  maxMemory: 1024 * 1024 * 1024,
};

export function newKdfParams(cost: { N?: number; r?: number; p?: number } = {}): KdfParams {
  const params: KdfParams = {
    algorithm: 'scrypt',
    N: cost.N ?? DEFAULT_KDF_COST.N,
    r: cost.r ?? DEFAULT_KDF_COST.r,
    p: cost.p ?? DEFAULT_KDF_COST.p,
    salt: randomBytes(16).toString('base64url'),
  };
  validateKdfParams(params);
  return params;
}

function memoryFor(params: { N: number; r: number; p: number }): number {
  // scrypt needs 128·N·r bytes for V plus 128·r·p for B; leave headroom for Node's own check.
  return 128 * params.N * params.r + 128 * params.r * params.p + 1024 * 1024;
}

/** Throws {@link InvalidKdfParamsError} unless the value is a usable {@link KdfParams}. */
export function validateKdfParams(value: unknown): asserts value is KdfParams {
  const fail = (what: string): never => {
    throw new InvalidKdfParamsError(`The stored key derivation parameters are invalid (${what}).`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const params = value as Record<string, unknown>;
  if (params.algorithm !== 'scrypt') return fail('algorithm must be scrypt');
  const { N, r, p, salt } = params;
  if (!Number.isInteger(N) || (N as number) < LIMITS.minN || (N as number) > LIMITS.maxN) {
    return fail(`N must be a power of two from 2^14 to 2^20`);
  }
  if (((N as number) & ((N as number) - 1)) !== 0) return fail('N must be a power of two');
  if (!Number.isInteger(r) || (r as number) < 1 || (r as number) > LIMITS.maxR)
    return fail('r must be 1 to 32');
  if (!Number.isInteger(p) || (p as number) < 1 || (p as number) > LIMITS.maxP)
    return fail('p must be 1 to 16');
  if (memoryFor({ N: N as number, r: r as number, p: p as number }) > LIMITS.maxMemory) {
    return fail('N·r needs more than 1 GiB');
  }
  if (typeof salt !== 'string' || !/^[A-Za-z0-9_-]+$/.test(salt)) return fail('salt must be base64url');
  if (Buffer.from(salt, 'base64url').length < LIMITS.minSaltBytes)
    return fail('salt must be 16 bytes or more');
}

function subkey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', master, Buffer.alloc(0), `agentlogs content-policy v1 ${purpose}`, 32),
  );
}

/** Derives the content key from a passphrase (scrypt, then HKDF subkeys for field encryption and the key check). */
export async function deriveKey(passphrase: string, params: KdfParams): Promise<ContentKey> {
  validateKdfParams(params);
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new WrongPassphraseError(
      'The passphrase is empty: enter the passphrase the data was encrypted with.',
    );
  }
  const master = await new Promise<Buffer>((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      Buffer.from(params.salt, 'base64url'),
      32,
      { N: params.N, r: params.r, p: params.p, maxmem: memoryFor(params) },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
  return {
    kind: 'agentlogs-content-key',
    fieldKey: subkey(master, 'field encryption'),
    checkKey: subkey(master, 'key check'),
  };
}

const KEY_EXPORT_PREFIX = 'alkey1:';

/**
 * The key as text, to cache on the machine that derived it (a file only its user can read) so the passphrase is
 * asked once. Whoever reads it can decrypt every field: it is as secret as the passphrase.
 */
export function exportContentKey(key: ContentKey): string {
  return KEY_EXPORT_PREFIX + Buffer.concat([key.fieldKey, key.checkKey]).toString('base64url');
}

/** The key cached by {@link exportContentKey}; throws {@link InvalidCachedKeyError} for anything else. */
export function importContentKey(text: string): ContentKey {
  const body =
    typeof text === 'string' && text.startsWith(KEY_EXPORT_PREFIX)
      ? text.slice(KEY_EXPORT_PREFIX.length).trim()
      : '';
  const bytes = /^[A-Za-z0-9_-]+$/.test(body) ? Buffer.from(body, 'base64url') : Buffer.alloc(0);
  if (bytes.length !== 64) {
    throw new InvalidCachedKeyError(
      'The cached content key is unreadable; unlock again with the passphrase.',
    );
  }
  return {
    kind: 'agentlogs-content-key',
    fieldKey: Buffer.from(bytes.subarray(0, 32)),
    checkKey: Buffer.from(bytes.subarray(32)),
  };
}

const KEY_CHECK_PREFIX = 'alkc1:';

/**
 * A value to store beside the params: an HMAC of a constant under a subkey of the derived key. It tells whether a
 * passphrase is the right one and reveals nothing about the field key.
 */
export function keyCheck(key: ContentKey): string {
  const mac = createHmac('sha256', key.checkKey).update('agentlogs content key check').digest();
  return KEY_CHECK_PREFIX + mac.toString('base64url');
}

/** Throws {@link WrongPassphraseError} unless `check` was made by {@link keyCheck} with this key. */
export function verifyKeyCheck(key: ContentKey, check: string): void {
  const expected = Buffer.from(keyCheck(key));
  const given = Buffer.from(String(check));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new WrongPassphraseError();
}

/** Derives the key and verifies it against the stored check in one step. */
export async function unlock(passphrase: string, params: KdfParams, check: string): Promise<ContentKey> {
  const key = await deriveKey(passphrase, params);
  verifyKeyCheck(key, check);
  return key;
}

/** `alenc1:` + base64url(nonce ‖ ciphertext ‖ tag). */
export const ENVELOPE_PREFIX = 'alenc1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Base64url of the smallest envelope: nonce, one byte of header, tag. */
const MIN_BODY_CHARS = Math.ceil(((NONCE_BYTES + 1 + TAG_BYTES) * 4) / 3);
const ENVELOPE_PATTERN = new RegExp(`^${ENVELOPE_PREFIX}[A-Za-z0-9_-]{${MIN_BODY_CHARS},}$`);

/** What an encrypted field held before encryption: the text as is, or the text after redaction. */
export type SealedState = 'plain' | 'redacted';
const STATE_BYTES: Record<SealedState, number> = { plain: 0x50, redacted: 0x52 };
/** The same bytes as characters: `P` and `R`. */
const HEADER_CHARS: Record<SealedState, string> = { plain: 'P', redacted: 'R' };

/**
 * Random nonces are drawn from a pool refilled from the CSPRNG 1,024 at a time: one `randomBytes(12)` call per
 * field cost as much as the encryption itself. Each nonce is handed out once, as a view of the pool that the caller
 * uses before it asks for the next one (the cipher copies it, the envelope copies it).
 */
const noncePool = Buffer.alloc(NONCE_BYTES * 1024);
let nonceOffset = noncePool.length;

function freshNonce(): Buffer {
  if (nonceOffset >= noncePool.length) {
    randomFillSync(noncePool);
    nonceOffset = 0;
  }
  const nonce = noncePool.subarray(nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}

/**
 * The field key as a KeyObject, made once per key: handing OpenSSL raw key bytes makes it import them again for
 * every field (half the cost of creating the cipher). Cached by the key's Buffer, with a copy of its bytes to tell
 * a Buffer that was overwritten since.
 */
const keyObjects = new WeakMap<Buffer, { bytes: Buffer; keyObject: KeyObject }>();

function fieldKeyObject(key: ContentKey): KeyObject {
  const cached = keyObjects.get(key.fieldKey);
  if (cached?.bytes.equals(key.fieldKey)) return cached.keyObject;
  const bytes = Buffer.from(key.fieldKey);
  const keyObject = createSecretKey(bytes);
  keyObjects.set(key.fieldKey, { bytes, keyObject });
  return keyObject;
}

/** True for a value shaped like an encrypted-field envelope (this format version). */
export function isEnvelope(value: unknown): value is string {
  return typeof value === 'string' && ENVELOPE_PATTERN.test(value);
}

function contextPart(context: FieldContext, part: 'table' | 'id' | 'column'): string {
  const value = context?.[part];
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidFieldContextError(
      `The field's ${part} must be a non-empty string to encrypt or decrypt it.`,
    );
  }
  // JSON.stringify of a string, without the call for the usual ids and names (nothing to escape in them).
  return PLAIN_JSON_STRING.test(value) ? `"${value}"` : JSON.stringify(value);
}

const PLAIN_JSON_STRING = /^[\w .:/@+-]*$/;

function aadFor(context: FieldContext): Buffer {
  const table = contextPart(context, 'table');
  const id = contextPart(context, 'id');
  const column = contextPart(context, 'column');
  // The bytes of JSON.stringify(['agentlogs-field-v1', table, id, column]), without building the array.
  return Buffer.from(`["agentlogs-field-v1",${table},${id},${column}]`);
}

/**
 * Encrypts one field with AES-256-GCM under a fresh 96-bit random nonce, bound to its table, row id and column
 * (additional authenticated data). `state` records, inside the ciphertext, whether the text was redacted first.
 */
export function encryptField(
  key: ContentKey,
  plaintext: string,
  context: FieldContext,
  state: SealedState = 'plain',
): string {
  const aad = aadFor(context);
  const nonce = freshNonce();
  const cipher = createCipheriv('aes-256-gcm', fieldKeyObject(key), nonce);
  cipher.setAAD(aad);
  // The header byte is an ASCII letter: UTF-8 of the letter and the text is the header byte followed by the text's
  // UTF-8, sealed in one call with no buffer built here.
  const body = cipher.update(HEADER_CHARS[state] + plaintext, 'utf8');
  const rest = cipher.final();
  const tag = cipher.getAuthTag();
  const sealed = Buffer.concat(
    rest.length === 0 ? [nonce, body, tag] : [nonce, body, rest, tag],
    NONCE_BYTES + body.length + rest.length + TAG_BYTES,
  );
  return ENVELOPE_PREFIX + sealed.toString('base64url');
}

export interface OpenedField {
  text: string;
  state: SealedState;
}

/** Decrypts an envelope and says whether its text was redacted before encryption. */
export function openField(key: ContentKey, envelope: string, context: FieldContext): OpenedField {
  const aad = aadFor(context);
  if (typeof envelope !== 'string') throw new MalformedEnvelopeError('The encrypted field is not a string.');
  const version = /^alenc(\d+):/.exec(envelope);
  if (version !== null && version[1] !== '1') {
    throw new UnsupportedEnvelopeVersionError(
      `The field was encrypted with format ${version[1]}, newer than this version reads: update agentlogs.`,
    );
  }
  if (!isEnvelope(envelope))
    throw new MalformedEnvelopeError('The value is not an encrypted field envelope.');
  const sealed = Buffer.from(envelope.slice(ENVELOPE_PREFIX.length), 'base64url');
  if (sealed.length < NONCE_BYTES + 1 + TAG_BYTES) {
    throw new MalformedEnvelopeError('The encrypted field is truncated.');
  }
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', fieldKeyObject(key), nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (error) {
    throw new DecryptionFailedError(
      `The field ${context.table}.${context.column} of row ${context.id} does not decrypt: wrong key, altered, or moved from another row or column.`,
      { cause: error },
    );
  }
  const header = plain[0];
  const state =
    header === STATE_BYTES.plain ? 'plain' : header === STATE_BYTES.redacted ? 'redacted' : undefined;
  if (state === undefined) throw new MalformedEnvelopeError('The decrypted field has an unknown header.');
  return { text: plain.subarray(1).toString('utf8'), state };
}

/** Decrypts an envelope written by {@link encryptField} for the same table, row and column. */
export function decryptField(key: ContentKey, envelope: string, context: FieldContext): string {
  return openField(key, envelope, context).text;
}

/** Decrypts with the old key and encrypts with the new one (a passphrase change), keeping the sealed state. */
export function reencryptField(
  oldKey: ContentKey,
  newKey: ContentKey,
  envelope: string,
  context: FieldContext,
): string {
  const opened = openField(oldKey, envelope, context);
  return encryptField(newKey, opened.text, context, opened.state);
}
