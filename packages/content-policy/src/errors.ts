/**
 * One error class per failure, a `code` union, and guards that work across duplicate copies of this package
 * (they test a brand property, not `instanceof`). Messages are one line, say what to do, and never hold a
 * passphrase, a key, a secret or transcript text.
 */

export type ContentPolicyErrorCode =
  | 'invalid_pattern'
  | 'invalid_kdf_params'
  | 'wrong_passphrase'
  | 'malformed_envelope'
  | 'unsupported_envelope_version'
  | 'decryption_failed'
  | 'invalid_field_context'
  | 'invalid_cached_key';

const BRAND = '__agentlogsContentPolicyError';

export abstract class ContentPolicyError extends Error {
  readonly [BRAND] = true;
  abstract readonly code: ContentPolicyErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** A user redaction pattern (`sync.redact.patterns[index]`) is not a usable regular expression. */
export class InvalidPatternError extends ContentPolicyError {
  override readonly name = 'InvalidPatternError';
  readonly code = 'invalid_pattern' as const;
  /** Position of the pattern in the list it came from. */
  readonly index: number;
  constructor(index: number, reason: string) {
    super(`sync.redact.patterns[${index}] ${reason}; fix or remove that pattern.`);
    this.index = index;
  }
}

/** Stored key-derivation parameters are missing, malformed or outside the accepted bounds. */
export class InvalidKdfParamsError extends ContentPolicyError {
  override readonly name = 'InvalidKdfParamsError';
  readonly code = 'invalid_kdf_params' as const;
}

/** The passphrase does not derive the key the stored key check was made with. */
export class WrongPassphraseError extends ContentPolicyError {
  override readonly name = 'WrongPassphraseError';
  readonly code = 'wrong_passphrase' as const;
  constructor(
    message = 'The passphrase is wrong: it does not match the one the encrypted fields were written with.',
  ) {
    super(message);
  }
}

/** The value is not an encrypted-field envelope (wrong prefix, bad base64url, too short). */
export class MalformedEnvelopeError extends ContentPolicyError {
  override readonly name = 'MalformedEnvelopeError';
  readonly code = 'malformed_envelope' as const;
}

/** The envelope was written by a newer format version than this build reads. */
export class UnsupportedEnvelopeVersionError extends ContentPolicyError {
  override readonly name = 'UnsupportedEnvelopeVersionError';
  readonly code = 'unsupported_envelope_version' as const;
}

/**
 * Authentication failed: the key is not the one the field was encrypted with, the envelope was altered, or it was
 * moved to another table, row or column than the one it was written for.
 */
export class DecryptionFailedError extends ContentPolicyError {
  override readonly name = 'DecryptionFailedError';
  readonly code = 'decryption_failed' as const;
}

/** The table, id or column that binds a ciphertext to its place is empty or not a string. */
export class InvalidFieldContextError extends ContentPolicyError {
  override readonly name = 'InvalidFieldContextError';
  readonly code = 'invalid_field_context' as const;
}

/** A cached key (`exportContentKey`) is not in the format this build writes: delete it and unlock again. */
export class InvalidCachedKeyError extends ContentPolicyError {
  override readonly name = 'InvalidCachedKeyError';
  readonly code = 'invalid_cached_key' as const;
}

/** True for any error of this package, including ones thrown by another copy of it. */
export function isContentPolicyError(error: unknown): error is ContentPolicyError {
  return typeof error === 'object' && error !== null && (error as Record<string, unknown>)[BRAND] === true;
}

function hasCode<T extends ContentPolicyError>(code: ContentPolicyErrorCode) {
  return (error: unknown): error is T => isContentPolicyError(error) && error.code === code;
}

export const isInvalidPatternError = hasCode<InvalidPatternError>('invalid_pattern');
export const isInvalidKdfParamsError = hasCode<InvalidKdfParamsError>('invalid_kdf_params');
export const isWrongPassphraseError = hasCode<WrongPassphraseError>('wrong_passphrase');
export const isMalformedEnvelopeError = hasCode<MalformedEnvelopeError>('malformed_envelope');
export const isUnsupportedEnvelopeVersionError = hasCode<UnsupportedEnvelopeVersionError>(
  'unsupported_envelope_version',
);
export const isDecryptionFailedError = hasCode<DecryptionFailedError>('decryption_failed');
export const isInvalidFieldContextError = hasCode<InvalidFieldContextError>('invalid_field_context');
export const isInvalidCachedKeyError = hasCode<InvalidCachedKeyError>('invalid_cached_key');
