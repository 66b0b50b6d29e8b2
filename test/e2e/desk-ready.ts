import { afterAll, beforeAll, inject } from 'vitest';
import { ensureDesk, fileDone } from './e2e-desk.js';

/**
 * Setup file of the e2e projects (after the serial guard): the first file starts the
 * project's desk, the others find it, and the last one stops it.
 */
beforeAll(async () => {
  await ensureDesk(inject('e2e'));
});
afterAll(async () => {
  await fileDone(inject('e2e'));
});
