import { describe, expect, it } from 'vitest';
import {
  DecryptionFailedError,
  InvalidFieldContextError,
  InvalidKdfParamsError,
  InvalidPatternError,
  isContentPolicyError,
  isDecryptionFailedError,
  isInvalidFieldContextError,
  isInvalidKdfParamsError,
  isInvalidPatternError,
  isMalformedEnvelopeError,
  isUnsupportedEnvelopeVersionError,
  isWrongPassphraseError,
  MalformedEnvelopeError,
  UnsupportedEnvelopeVersionError,
  WrongPassphraseError,
} from '../src/index.js';

describe('errors', () => {
  const cases = [
    [new InvalidPatternError(2, 'matches the empty string'), 'invalid_pattern', isInvalidPatternError],
    [new InvalidKdfParamsError('bad'), 'invalid_kdf_params', isInvalidKdfParamsError],
    [new WrongPassphraseError(), 'wrong_passphrase', isWrongPassphraseError],
    [new MalformedEnvelopeError('bad'), 'malformed_envelope', isMalformedEnvelopeError],
    [
      new UnsupportedEnvelopeVersionError('new'),
      'unsupported_envelope_version',
      isUnsupportedEnvelopeVersionError,
    ],
    [new DecryptionFailedError('no'), 'decryption_failed', isDecryptionFailedError],
    [new InvalidFieldContextError('empty'), 'invalid_field_context', isInvalidFieldContextError],
  ] as const;

  it('each class has its code, its name and exactly one guard that accepts it', () => {
    const guards = cases.map(([, , guard]) => guard);
    for (const [error, code, guard] of cases) {
      expect(error.code).toBe(code);
      expect(error.name).toBe(error.constructor.name);
      expect(isContentPolicyError(error)).toBe(true);
      expect(guards.filter((other) => other(error))).toEqual([guard]);
      expect(error.toJSON()).toEqual({ name: error.name, code, message: error.message });
    }
  });

  it('guards work across copies of the package (a brand, not instanceof) and refuse other errors', () => {
    const fromAnotherCopy = { __agentlogsContentPolicyError: true, code: 'wrong_passphrase', message: 'x' };
    expect(isContentPolicyError(fromAnotherCopy)).toBe(true);
    expect(isWrongPassphraseError(fromAnotherCopy)).toBe(true);
    expect(isDecryptionFailedError(fromAnotherCopy)).toBe(false);
    for (const other of [new Error('x'), null, undefined, 'wrong_passphrase', { code: 'wrong_passphrase' }]) {
      expect(isContentPolicyError(other)).toBe(false);
      expect(isWrongPassphraseError(other)).toBe(false);
    }
  });

  it('InvalidPatternError names the setting and the index and says what to do', () => {
    const error = new InvalidPatternError(4, 'is not a valid regular expression (Unterminated group)');
    expect(error.message).toBe(
      'sync.redact.patterns[4] is not a valid regular expression (Unterminated group); fix or remove that pattern.',
    );
    expect(error.index).toBe(4);
  });
});
