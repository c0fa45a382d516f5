/** Assertions for the contract suites, so they need no test framework at runtime. */

export class ContractAssertionError extends Error {
  override readonly name = 'ContractAssertionError';
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(canonical(actual));
  const e = JSON.stringify(canonical(expected));
  if (a !== e) throw new ContractAssertionError(`${what}\n  expected: ${e}\n  actual:   ${a}`);
}

export function assertTrue(condition: unknown, what: string): asserts condition {
  if (!condition) throw new ContractAssertionError(what);
}

export async function assertRejects(
  promise: Promise<unknown>,
  check: (error: unknown) => boolean,
  what: string,
) {
  try {
    await promise;
  } catch (error) {
    if (!check(error)) {
      throw new ContractAssertionError(
        `${what}: wrong error ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    }
    return;
  }
  throw new ContractAssertionError(`${what}: expected a failure, got success`);
}

/** The part of the vitest/jest/mocha API the contract suites use. */
export interface TestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>, timeout?: number): void;
}
