/**
 * Images under end-to-end encryption (docs/privacy.md, decision 0098): an image's bytes are sealed with the
 * content key (AES-256-GCM, a fresh 96-bit nonce, bound to the image's SHA-256 as associated data) and stored
 * under a name that is a keyed hash of that SHA-256, so the bucket shows neither the image nor which known image
 * it is. Only a machine holding the key can compute the name and open the object.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { ContentKey } from './crypto.js';
import { DecryptionFailedError, InvalidFieldContextError, MalformedEnvelopeError } from './errors.js';

/** The first bytes of a sealed image: format 1. */
const MAGIC = Buffer.from('ALVIS1', 'latin1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The extension of a sealed image's object (its type is not told by the name). */
export const SEALED_VISUAL_EXTENSION = 'enc';
/** The content type sealed images are uploaded with. */
export const SEALED_VISUAL_CONTENT_TYPE = 'application/octet-stream';

const nameKeys = new WeakMap<ContentKey, Buffer>();

function nameKey(key: ContentKey): Buffer {
  let derived = nameKeys.get(key);
  if (!derived) {
    derived = Buffer.from(
      hkdfSync('sha256', key.fieldKey, Buffer.alloc(0), 'agentlogs content-policy v1 visual names', 32),
    );
    nameKeys.set(key, derived);
  }
  return derived;
}

function checkSha256(sha256: string): void {
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new InvalidFieldContextError('An image is named by its SHA-256 as 64 lowercase hex digits.');
  }
}

/**
 * The name of an image's sealed object: HMAC-SHA256 of its SHA-256 under a subkey of the content key, as 64 hex
 * digits. The same on every machine holding the key; unlinkable to the image's hash without it.
 */
export function sealedVisualName(key: ContentKey, sha256: string): string {
  checkSha256(sha256);
  return createHmac('sha256', nameKey(key)).update(`agentlogs-visual-name-v1:${sha256}`).digest('hex');
}

function aadFor(sha256: string): Buffer {
  return Buffer.from(`agentlogs-visual-v1:${sha256}`, 'latin1');
}

/** Seals an image's bytes: `ALVIS1` ‖ nonce ‖ ciphertext ‖ tag, bound to its SHA-256. */
export function sealVisual(key: ContentKey, sha256: string, bytes: Uint8Array): Buffer {
  checkSha256(sha256);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.fieldKey, nonce);
  cipher.setAAD(aadFor(sha256));
  const body = Buffer.concat([cipher.update(bytes), cipher.final()]);
  return Buffer.concat([MAGIC, nonce, body, cipher.getAuthTag()]);
}

/**
 * Opens a sealed image and checks that its bytes hash to `sha256`: a wrong key, an altered object or one sealed
 * for another image throws `DecryptionFailedError`.
 */
export function openVisual(key: ContentKey, sha256: string, sealed: Uint8Array): Buffer {
  checkSha256(sha256);
  const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (data.length < MAGIC.length + NONCE_BYTES + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new MalformedEnvelopeError('The object is not a sealed image of this format.');
  }
  const nonce = data.subarray(MAGIC.length, MAGIC.length + NONCE_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const body = data.subarray(MAGIC.length + NONCE_BYTES, data.length - TAG_BYTES);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.fieldKey, nonce);
    decipher.setAAD(aadFor(sha256));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (error) {
    throw new DecryptionFailedError(
      `The sealed image ${sha256.slice(0, 12)}… does not decrypt: wrong key, altered, or sealed for another image.`,
      { cause: error },
    );
  }
  if (createHash('sha256').update(plain).digest('hex') !== sha256) {
    throw new DecryptionFailedError(`The sealed image ${sha256.slice(0, 12)}… does not match its hash.`);
  }
  return plain;
}
