import { afterAll, beforeAll, expect, inject } from 'vitest';
import { ensureDesk, fileDone } from './e2e-desk.js';

/** Files that start a desk of their own (other settings) and need not wait for the project's. */
const OWN_DESK = /\/(failover|sensor)-desk[^/]*\.test\.ts$/;

/**
 * Setup file of the e2e projects (after the serial guard): the first file starts the
 * project's desk, the others find it, and the last one stops it.
 */
beforeAll(async () => {
  if (OWN_DESK.test(expect.getState().testPath ?? '')) return;
  await ensureDesk(inject('e2e'));
});
afterAll(async () => {
  await fileDone(inject('e2e'));
});
