import { expect } from 'vitest';

/**
 * expect.stringMatching for a field of an expected object. Vitest declares its asymmetric
 * matchers as returning `any`, which would make the whole expected object unchecked; a matcher
 * is no string, so it is `unknown` here.
 */
export const stringMatching = (pattern: RegExp): unknown => expect.stringMatching(pattern);
