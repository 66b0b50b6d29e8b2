import { writeFileSync, existsSync } from 'node:fs';
import { it } from 'vitest';
import { desk } from './helpers.js';
it('hold', async () => {
  writeFileSync('/tmp/tdesk.json', JSON.stringify(desk()));
  while (!existsSync('/tmp/tdesk.stop')) await new Promise((r) => setTimeout(r, 500));
}, 3_600_000);
