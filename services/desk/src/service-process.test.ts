import { describe, expect, it } from 'vitest';
import { nodeFlagsOf } from './service-process.js';

describe('nodeFlagsOf', () => {
  it("starts the alert engine's old generation at 256 MB: its full collections pause every alert under way", () => {
    expect(nodeFlagsOf('alerts')).toEqual(['--initial-old-space-size=256']);
  });

  it("leaves the other services at V8's defaults", () => {
    for (const program of ['api', 'feed', 'recorder']) expect(nodeFlagsOf(program)).toEqual([]);
  });

  it('gives Node flags it accepts', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [...nodeFlagsOf('alerts'), '-e', 'process.exit(0)']);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
  });
});
