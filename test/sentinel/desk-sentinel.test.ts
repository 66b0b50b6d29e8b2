import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sentinelDesk, until, type SentinelDesk } from './sentinel-desk.js';

/**
 * A whole desk in Sentinel mode as a newcomer starts it (sentinel-desk.ts): its Redis parts
 * in `tickdesk status` and /health, a fail-over of a hung primary watched in `tickdesk
 * status`, and the desk stopped and started again after it (the promoted server stays primary).
 */
let desk: SentinelDesk | undefined;
afterAll(async () => {
  await desk?.remove();
});

describe('a Sentinel desk from tickdesk up', () => {
  it('shows its Redis parts, fails over when the primary hangs, and starts again on the promoted one', async () => {
    desk = await sentinelDesk();
    const d = desk;
    await d.start();
    const { redisPort } = d;
    const health = async () =>
      (await (await fetch(`http://127.0.0.1:${d.apiPort}/health`, { signal: AbortSignal.timeout(3_000) })).json()) as {
        components: Record<string, { state: string }>;
      };

    const parts = ['redis', 'redis-replica', 'sentinel-1', 'sentinel-2', 'sentinel-3'];
    for (const p of parts) expect(d.state().parts[p]).toMatchObject({ state: 'running' });
    const components = (await health()).components;
    for (const p of ['redis-replica', 'sentinel-1', 'sentinel-2', 'sentinel-3'])
      expect(components[p]).toMatchObject({ state: 'running' });
    expect(await d.cli('status')).toContain(`redis primary: redis (127.0.0.1:${redisPort}), named by 3 of 3 sentinels`);

    // The primary hangs (kill -STOP): not an exit, so up does not restart it; the sentinels fail over.
    const primaryPid = d.state().parts.redis!.pid;
    const stoppedAt = Date.now();
    process.kill(primaryPid, 'SIGSTOP');
    try {
      await until('status to name the replica as primary', 30_000, async () =>
        (await d.cli('status')).includes(`redis primary: redis-replica (127.0.0.1:${redisPort + 1})`),
      );
    } finally {
      process.kill(primaryPid, 'SIGCONT');
    }
    const failoverMs = Date.now() - stoppedAt;
    await until('/health ok on the promoted primary', 30_000, d.healthy);
    console.log(JSON.stringify({ failoverSeenInStatusMs: failoverMs, healthyAfterMs: Date.now() - stoppedAt }));

    // Stopped and started again: the promoted server stays primary, provisioning writes to it.
    await d.stop();
    await d.start();
    expect(await d.cli('status')).toContain(
      `redis primary: redis-replica (127.0.0.1:${redisPort + 1}), named by 3 of 3 sentinels`,
    );
    expect(readFileSync(join(d.home, 'up.log'), 'utf8')).toContain(
      `Redis (Sentinel, AOF)    primary 127.0.0.1:${redisPort + 1}, replica :${redisPort}`,
    );
  }, 400_000);
});
