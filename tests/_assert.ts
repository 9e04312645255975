/**
 * Assertions on top of `node:assert/strict`, shaped like the Deno standard library's.
 *
 * @module
 */

import assert from "node:assert/strict";

export { assert };

/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

/** Asserts that two byte arrays are identical, reporting the first difference briefly. */
export function assertBytesEqual(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  if (actual.length !== expected.length) {
    throw new assert.AssertionError({
      message: `${what}: length ${actual.length} differs from expected ${expected.length}`,
    });
  }
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new assert.AssertionError({
        message: `${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`,
      });
    }
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

function check(error: unknown, type: ErrorClass, includes?: string): Error {
  if (!(error instanceof type)) {
    throw new assert.AssertionError({
      message: `expected ${type.name}, got ${
        error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      }`,
    });
  }
  if (includes !== undefined && !error.message.includes(includes)) {
    throw new assert.AssertionError({
      message: `expected the message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify(error.message)
      }`,
    });
  }
  return error;
}

/** Asserts that `fn` throws an instance of `type` whose message includes `includes`. */
export function assertThrows(fn: () => unknown, type: ErrorClass, includes?: string): Error {
  try {
    fn();
  } catch (error) {
    return check(error, type, includes);
  }
  throw new assert.AssertionError({ message: `expected ${type.name} to be thrown` });
}

/** Asserts that `promise` rejects with an instance of `type` whose message includes `includes`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  type: ErrorClass,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return check(error, type, includes);
  }
  throw new assert.AssertionError({ message: `expected ${type.name} to be rejected` });
}
