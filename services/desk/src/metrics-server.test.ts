import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertsMetrics } from '@tickdesk/alerts';
import { createFeedMetrics } from '@tickdesk/feed-core';
import { createRecorderMetrics } from '@tickdesk/recorder';
import { startMetricsServer, type MetricsServer, type PartStateReport } from './metrics-server.js';

const log = pino({ level: 'silent' });
let server: MetricsServer | undefined;
afterEach(async () => server?.close());

const SERVICES = [
  {
    name: 'feed',
    registry: () => createFeedMetrics().registry,
    names: [
      'tickdesk_feed_ticks_total',
      'tickdesk_feed_conflated_total',
      'tickdesk_feed_publish_errors_total',
      'tickdesk_feed_publish_seconds',
    ],
  },
  {
    name: 'recorder',
    registry: () => createRecorderMetrics().registry,
    names: [
      'tickdesk_recorder_ticks_total',
      'tickdesk_recorder_dropped_total',
      'tickdesk_recorder_flush_errors_total',
      'tickdesk_recorder_pending_ticks',
    ],
  },
  {
    name: 'alerts',
    registry: () => createAlertsMetrics().registry,
    names: [
      'tickdesk_alerts_fired_total',
      'tickdesk_alerts_fired_to_delivered_seconds',
      'tickdesk_alerts_batch_seconds',
    ],
  },
] as const;

describe('service metrics endpoint', () => {
  for (const s of SERVICES) {
    it(`${s.name}: Prometheus text with its own metric names and its process metrics, on loopback`, async () => {
      server = await startMetricsServer({
        registry: s.registry(),
        port: 0,
        prefix: `tickdesk_${s.name}_`,
        log,
        state: () => ({ state: 'running' }),
      });
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      for (const name of s.names) expect(text).toContain(`# TYPE ${name} `);
      expect(text).toContain(`# TYPE tickdesk_${s.name}_process_cpu_seconds_total counter`);
    });
  }

  it('answers its own state at /state and 404 elsewhere', async () => {
    let state: PartStateReport = { state: 'degraded', detail: 'XMPP session down' };
    server = await startMetricsServer({
      registry: createFeedMetrics().registry,
      port: 0,
      prefix: 'tickdesk_feed_',
      log,
      state: () => state,
    });
    expect(await (await fetch(`http://127.0.0.1:${server.port}/state`)).json()).toEqual({
      state: 'degraded',
      detail: 'XMPP session down',
    });
    state = { state: 'running' };
    expect(await (await fetch(`http://127.0.0.1:${server.port}/state`)).json()).toEqual({ state: 'running' });
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('a collection that fails is logged with the error as pino serialises it: type, message and stack', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const registry = new Registry();
    new Gauge({
      name: 'tickdesk_test_broken',
      help: 'a gauge whose collect throws',
      registers: [registry],
      collect: () => {
        throw new TypeError('gauge source gone');
      },
    });
    server = await startMetricsServer({
      registry,
      port: 0,
      prefix: 'tickdesk_test_',
      log: pino({ level: 'error' }, sink),
      state: () => ({ state: 'running' }),
    });
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(500);
    const entry = JSON.parse(lines.find((l) => l.includes('metrics not collected'))!) as {
      err: { type: string; message: string; stack: string };
    };
    expect(entry.err.type).toBe('TypeError');
    expect(entry.err.message).toBe('gauge source gone');
    expect(entry.err.stack).toMatch(/^TypeError: gauge source gone\n\s+at /);
  });
});
