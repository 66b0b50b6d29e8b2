import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeskPart, DeskStateFile } from '@tickdesk/schemas';
import { deskHealth } from './desk-health.js';

const NOW = Date.parse('2026-12-06T04:00:00.000Z');
const home = mkdtempSync(join(tmpdir(), 'tickdesk-health-'));
let xmpp: net.Server;
let feedState: Server;
let feedReport: unknown = { state: 'running' };
let feedPort = 0;
let engineBeat: string | null = null;

/** What the probe reads from Redis: the last prices and the engine's heartbeat. */
const redis = {
  get: async (key: string) => (key === 'td:alerts:heartbeat' ? engineBeat : null),
  hgetall: async () => ({ BTCUSDT: JSON.stringify({ price: '65000', ingestTime: '2026-12-06T03:59:59.000000Z' }) }),
} as unknown as Redis;

const listen = (s: net.Server) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));

function writeDesk(parts: Record<string, Partial<DeskPart>>): void {
  const full = Object.fromEntries(
    Object.entries(parts).map(([n, p]) => [n, { state: 'running', pid: 1, restarts: 0, ...p }]),
  );
  const desk: DeskStateFile = {
    pid: process.pid,
    startedAt: '2026-12-06T03:00:00.000Z',
    domain: 'desk.localhost',
    ports: { xmpp: 1, xmppTls: 2, xmppHttp: 3, redis: 4 },
    parts: full as Record<string, DeskPart>,
  };
  writeFileSync(join(home, 'desk.json'), JSON.stringify(desk));
}

let probe: ReturnType<typeof deskHealth>;
beforeAll(async () => {
  xmpp = net.createServer((s) => s.destroy());
  const xmppPort = await listen(xmpp);
  feedState = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(feedReport)),
  );
  feedPort = await listen(feedState);
  probe = deskHealth({ home, xmppPort, redis, now: () => NOW });
});
afterAll(() => {
  xmpp.close();
  feedState.close();
  rmSync(home, { recursive: true, force: true });
});

describe('desk health probe', () => {
  it('reports the feed as it reports itself, even while ticks are fresh', async () => {
    engineBeat = JSON.stringify({ state: 'running', at: NOW - 1_000 });
    writeDesk({ feed: { metricsPort: feedPort }, xmpp: {}, redis: {}, alerts: {}, recorder: {}, api: {} });
    feedReport = { state: 'running' };
    expect((await probe()).feeds).toEqual({ state: 'running', restarts: 0 });
    feedReport = { state: 'degraded', detail: 'XMPP session down' };
    expect((await probe()).feeds).toMatchObject({
      state: 'degraded',
      detail: 'feed reports degraded: XMPP session down',
    });
  });

  it("a Sentinel desk's replica and sentinels are components, degraded while up restarts them", async () => {
    writeDesk({
      redis: {},
      'redis-replica': {},
      'sentinel-1': {},
      'sentinel-2': { state: 'restarting', restarts: 1, lastExit: 'SIGKILL' },
      'sentinel-3': {},
    });
    const c = await probe();
    expect(c['redis-replica']).toEqual({ state: 'running', restarts: 0 });
    expect(c['sentinel-1']).toEqual({ state: 'running', restarts: 0 });
    expect(c['sentinel-2']).toMatchObject({
      state: 'degraded',
      detail: 'sentinel-2 restarting',
      restarts: 1,
      lastExit: 'SIGKILL',
    });
    writeDesk({ redis: {} });
    expect(Object.keys(await probe()).filter((k) => k.startsWith('sentinel') || k === 'redis-replica')).toEqual([]);
  });

  it('a feed whose state endpoint does not answer is degraded', async () => {
    writeDesk({ feed: { metricsPort: 1 } });
    expect((await probe()).feeds).toMatchObject({ state: 'degraded', detail: 'the feed does not answer' });
  });

  it("the engine's heartbeat: its own state while fresh, degraded when stale or absent", async () => {
    writeDesk({});
    engineBeat = JSON.stringify({ state: 'running', at: NOW - 3_000, rules: 4 });
    expect((await probe()).engine).toEqual({ state: 'running' });
    engineBeat = JSON.stringify({ state: 'degraded', at: NOW - 1_000 });
    expect((await probe()).engine).toMatchObject({ state: 'degraded' });
    engineBeat = JSON.stringify({ state: 'running', at: NOW - 30_000 });
    expect((await probe()).engine).toMatchObject({
      state: 'degraded',
      detail: 'last heartbeat from the alert engine 30 s ago',
    });
    engineBeat = null;
    expect((await probe()).engine).toMatchObject({ state: 'degraded', detail: 'no heartbeat from the alert engine' });
  });

  it('a fresh heartbeat left by an engine that has since died is not taken for the new one', async () => {
    engineBeat = JSON.stringify({ state: 'running', at: NOW - 1_000, pid: 4100 });
    writeDesk({ alerts: { pid: 4100 } });
    expect((await probe()).engine).toEqual({ state: 'running', restarts: 0 });
    writeDesk({ alerts: { pid: 4242, restarts: 1, lastExit: 'SIGKILL' } });
    expect((await probe()).engine).toMatchObject({
      state: 'starting',
      detail: 'the alert engine restarts (no heartbeat from pid 4242 yet)',
      restarts: 1,
    });
  });

  it("each component carries its process's restarts; a part being restarted is degraded", async () => {
    engineBeat = JSON.stringify({ state: 'running', at: NOW });
    writeDesk({
      xmpp: { restarts: 1, lastExit: 'SIGKILL', lastRestartAt: '2026-12-06T03:58:00.000Z' },
      alerts: { restarts: 2, lastExit: 'exit 1', lastRestartAt: '2026-12-06T03:59:00.000Z' },
      recorder: { state: 'restarting', pid: -1, restarts: 0, lastExit: 'SIGKILL' },
      redis: { restarts: 3 },
    });
    const c = await probe();
    expect(c.xmpp).toEqual({
      state: 'running',
      restarts: 1,
      lastExit: 'SIGKILL',
      lastRestartAt: '2026-12-06T03:58:00.000Z',
    });
    expect(c.engine).toEqual({
      state: 'running',
      restarts: 2,
      lastExit: 'exit 1',
      lastRestartAt: '2026-12-06T03:59:00.000Z',
    });
    expect(c.recorder).toMatchObject({ state: 'degraded', detail: 'recorder restarting', lastExit: 'SIGKILL' });
    expect(c.redis).toMatchObject({ restarts: 3 });
  });

  it('names every XMPP node of a cluster with its state, and a node that is down by its part and node name', async () => {
    engineBeat = JSON.stringify({ state: 'running', at: NOW });
    const node3 = net.createServer((s) => s.destroy());
    const port3 = await listen(node3);
    // A port nothing listens on: bound, then closed.
    const gone = net.createServer();
    const port2 = await listen(gone);
    await new Promise((r) => gone.close(r));
    try {
      const xmppPort = (xmpp.address() as net.AddressInfo).port;
      const node = (i: number, c2sPort: number) => ({
        name: `tickdesk-n${i}@localhost`,
        c2sPort,
        c2sDirectTlsPort: 1,
        httpPort: 1,
        distPort: 1,
      });
      const parts = Object.fromEntries(
        ['xmpp', 'xmpp-2', 'xmpp-3', 'redis'].map((n): [string, DeskPart] => [
          n,
          { state: 'running', pid: 1, restarts: 0 },
        ]),
      );
      parts['xmpp-2'] = { state: 'restarting', pid: -1, restarts: 1, lastExit: 'SIGKILL' };
      const desk: DeskStateFile = {
        pid: process.pid,
        startedAt: '2026-12-06T03:00:00.000Z',
        domain: 'desk.localhost',
        ports: { xmpp: xmppPort, xmppTls: 2, xmppHttp: 3, redis: 4 },
        xmppNodes: [node(1, xmppPort), node(2, port2), node(3, port3)],
        parts,
      };
      writeFileSync(join(home, 'desk.json'), JSON.stringify(desk));
      const c = await probe();
      expect(c.xmpp).toEqual({ state: 'running', restarts: 0 });
      expect(c['xmpp-3']).toEqual({ state: 'running', restarts: 0 });
      expect(c['xmpp-2']).toMatchObject({
        state: 'degraded',
        detail: 'xmpp-2 restarting',
        restarts: 1,
        lastExit: 'SIGKILL',
      });
      // Down while its part still reads running (e.g. hung at start): the port probe names the node.
      parts['xmpp-2'] = { state: 'running', pid: 42, restarts: 1 };
      writeFileSync(join(home, 'desk.json'), JSON.stringify({ ...desk, parts }));
      const down = (await probe())['xmpp-2'];
      expect(down?.state).toBe('degraded');
      expect(down?.detail).toMatch(
        new RegExp(`^XMPP node 2 \\(tickdesk-n2@localhost\\) port ${port2}: .*ECONNREFUSED`),
      );
      // Started again and listening, but not yet rejoined (its part still starting): not running yet.
      parts['xmpp-2'] = { state: 'starting', pid: 43, restarts: 1, lastExit: 'SIGKILL' };
      writeFileSync(
        join(home, 'desk.json'),
        JSON.stringify({ ...desk, xmppNodes: [node(1, xmppPort), node(2, port3), node(3, port3)], parts }),
      );
      expect((await probe())['xmpp-2']).toMatchObject({ state: 'starting', detail: 'xmpp-2 starting', restarts: 1 });
    } finally {
      node3.close();
    }
  });

  it('several alert engines: each is a component (engine, engine-2…) with the instruments it reports holding', async () => {
    engineBeat = JSON.stringify({ state: 'running', at: NOW - 1_000, pid: 11 });
    const reports: Record<string, unknown> = {
      one: { state: 'running', detail: 'slot 1: AAPL ESZ6' },
      two: { state: 'degraded', detail: 'slot 2: no instrument (lease renewal failing)' },
    };
    const servers = ['one', 'two'].map((k) =>
      createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reports[k])),
      ),
    );
    const [one, two] = await Promise.all(servers.map(listen));
    try {
      writeDesk({
        alerts: { pid: 11, metricsPort: one },
        'alerts-2': { pid: 12, metricsPort: two, restarts: 1, lastExit: 'SIGKILL' },
      });
      const c = await probe();
      expect(c.engine).toEqual({ state: 'running', detail: 'slot 1: AAPL ESZ6', restarts: 0 });
      expect(c['engine-2']).toMatchObject({
        state: 'degraded',
        detail: 'alert engine alerts-2 reports degraded: slot 2: no instrument (lease renewal failing)',
        restarts: 1,
        lastExit: 'SIGKILL',
      });
    } finally {
      servers.forEach((s) => s.close());
    }
  });

  it("a standby feed and a standby recorder are components with what they hold; the feed's instruments shown while it runs", async () => {
    engineBeat = JSON.stringify({ state: 'running', at: NOW });
    const reports: Record<string, unknown> = {
      feed: { state: 'running', detail: 'publishing BTCUSDT, ETHUSDT' },
      standby: { state: 'running', detail: 'standby: holds no instrument' },
    };
    const servers = ['feed', 'standby'].map((k) =>
      createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reports[k])),
      ),
    );
    const [feed, standby] = await Promise.all(servers.map(listen));
    try {
      writeDesk({
        feed: { metricsPort: feed },
        'feed-standby': { metricsPort: standby },
        recorder: {},
        'recorder-standby': { state: 'restarting', pid: -1, restarts: 1, lastExit: 'SIGKILL' },
      });
      const c = await probe();
      expect(c.feeds).toEqual({ state: 'running', detail: 'publishing BTCUSDT, ETHUSDT', restarts: 0 });
      expect(c['feed-standby']).toEqual({ state: 'running', detail: 'standby: holds no instrument', restarts: 0 });
      expect(c['recorder-standby']).toMatchObject({
        state: 'degraded',
        detail: 'recorder-standby restarting',
        restarts: 1,
        lastExit: 'SIGKILL',
      });
      // Without a standby the feed's line stays as it was.
      writeDesk({ feed: { metricsPort: feed } });
      expect((await probe()).feeds).toEqual({ state: 'running', restarts: 0 });
    } finally {
      servers.forEach((s) => s.close());
    }
  });

  it('a Sentinel desk names which Redis part is the primary the API reaches, and the other the replica', async () => {
    const sentinelDesk = { redis: {}, 'redis-replica': {}, 'sentinel-1': {} };
    const withPort = (remotePort: number) =>
      deskHealth({
        home,
        xmppPort: (xmpp.address() as net.AddressInfo).port,
        redis: Object.assign(Object.create(redis as object) as Redis, { stream: { remotePort } }),
        now: () => NOW,
      });
    writeDesk(sentinelDesk);
    // desk.json's Redis port is 4: the replica is on 5.
    let c = await withPort(4)();
    expect(c.redis).toMatchObject({ role: 'primary' });
    expect(c['redis-replica']).toMatchObject({ role: 'replica' });
    c = await withPort(5)();
    expect(c.redis).toMatchObject({ role: 'replica' });
    expect(c['redis-replica']).toMatchObject({ role: 'primary' });
    writeDesk({ redis: {} });
    expect((await withPort(4)()).redis).not.toHaveProperty('role');
  });

  it('without a desk (the API run on its own): XMPP, ticks and the engine only', async () => {
    rmSync(join(home, 'desk.json'));
    engineBeat = JSON.stringify({ state: 'running', at: NOW });
    expect(Object.keys(await probe()).sort()).toEqual(['engine', 'feeds', 'xmpp']);
  });
});
