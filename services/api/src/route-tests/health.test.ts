import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiApp } from '../app.js';
import { expectNoInternals, testApp } from '../app.test-util.js';
import type { ComponentHealth } from '../routes/health.js';
import { privateRedis, until } from '../redis.test-util.js';

describe('GET /health and /metrics', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let app: ApiApp;
  let others: Record<string, ComponentHealth> | Error = {};

  beforeAll(async () => {
    server = await privateRedis();
    // No offline queue: with Redis down a command fails at once instead of waiting for a reconnect.
    const redis = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await until(() => redis.status === 'ready');
    app = await testApp(redis, {
      health: async () => {
        if (others instanceof Error) throw others;
        return others;
      },
    });
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  it('200 when every component runs; no token needed', async () => {
    others = { xmpp: { state: 'running' }, feeds: { state: 'running' } };
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(200);
    const body = res.json<{ status: string; components: Record<string, ComponentHealth> }>();
    expect(body.status).toBe('ok');
    expect(Object.keys(body.components).sort()).toEqual(['feeds', 'redis', 'xmpp']);
    expect(body.components.redis!.state).toBe('running');
    expect(body.components.redis!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("carries each component's restarts; Redis keeps its own PING state with the restarts of its process", async () => {
    others = {
      xmpp: { state: 'running', restarts: 2, lastExit: 'SIGKILL', lastRestartAt: '2026-12-06T04:00:00.000Z' },
      redis: { state: 'degraded', detail: 'redis restarting', restarts: 1, lastExit: 'exit 1' },
    };
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      components: Record<string, ComponentHealth & { restarts?: number; lastExit?: string }>;
    }>();
    expect(body.components.xmpp).toEqual({
      state: 'running',
      restarts: 2,
      lastExit: 'SIGKILL',
      lastRestartAt: '2026-12-06T04:00:00.000Z',
    });
    expect(body.components.redis).toMatchObject({ state: 'running', restarts: 1, lastExit: 'exit 1' });
    expect(body.components.redis!.detail).toBeUndefined();
  });

  it('503 when a component is degraded or starting, or the probe fails', async () => {
    others = { xmpp: { state: 'running' }, engine: { state: 'degraded', detail: 'no receipts' } };
    let res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'degraded',
      components: { engine: { state: 'degraded', detail: 'no receipts' } },
    });
    others = { feeds: { state: 'starting' } };
    expect((await app.inject('/health')).statusCode).toBe(503);
    others = new Error('secret internals');
    res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toMatch(/secret internals/);
  });

  it('503 with Redis down, 200 again when it is back', async () => {
    others = {};
    await server.down();
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ components: { redis: { state: 'degraded' } } });
    expectNoInternals(res.body);
    await server.up();
    const deadline = Date.now() + 10_000;
    while ((await app.inject('/health')).statusCode !== 200) {
      if (Date.now() > deadline) throw new Error('Redis did not come back');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('/metrics: Prometheus text with the request histogram, no token needed', async () => {
    await app.inject('/v1/instruments');
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE tickdesk_api_request_duration_seconds histogram');
    expect(res.body).toMatch(
      /tickdesk_api_request_duration_seconds_count\{method="GET",route="\/v1\/instruments",status="401"\} 1/,
    );
  });

  it('/metrics: 500 with a generic message when the registry fails', async () => {
    const spy = vi
      .spyOn(app.metrics.registry, 'metrics')
      .mockRejectedValue(new Error('collector exploded at /srv/x.js:1'));
    try {
      const res = await app.inject('/metrics');
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ code: 'TICKDESK_API_INTERNAL' });
      expectNoInternals(res.body);
      expect(res.body).not.toMatch(/exploded/);
    } finally {
      spy.mockRestore();
    }
  });
});
