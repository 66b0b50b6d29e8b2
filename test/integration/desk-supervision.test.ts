import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { alertId, createAlertStore, createRuleStore } from '@tickdesk/alerts';
import { freePort, loginFor, redisConnection, tail } from '@tickdesk/infra';
import { encodeTickBatch, NS_ALERT, parseDeskState, ticksNode, type DeskStateFile, type Rule } from '@tickdesk/schemas';
import {
  createPubsub,
  createXmppClient,
  presence,
  receiptFor,
  wantsReceipt,
  type Element,
  type XmppClient,
} from '@tickdesk/xmpp';

/**
 * A whole desk as `tickdesk up` runs it (the built code in dist/, a temporary
 * TICKDESK_HOME, free ports); its XMPP server, Redis and alert engine are killed with
 * SIGKILL one at a time. Each must come back (a new pid, running) and /health say ok
 * again, and an alert whose rule fired around the outage must reach `delivered`. How
 * fast is a figure, not an assertion (a busy machine stretches it): printed with the
 * goals (back within 5 s, /health ok within 10 s more) and whether each was met.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(root, 'services/desk/dist/cli.js');
const log = pino({ level: process.env.TICKDESK_TEST_LOG ?? 'silent' });
const BACK_MS = 5_000;
const HEALTHY_MS = 10_000;
/** How long a part may take before the test calls it not restarted at all. */
const BACK_LIMIT_MS = 30_000;
const goals = (backMs: number, healthyMs: number) =>
  `goals ${backMs <= BACK_MS && healthyMs - backMs <= HEALTHY_MS ? 'met' : 'NOT met'} (back ≤ ${BACK_MS} ms, /health ok ≤ ${HEALTHY_MS} ms more)`;

let up: ChildProcess | undefined;
let home = '';
let apiPort = 0;
let redis: Redis | undefined;
let alice: XmppClient | undefined;
let feed: XmppClient | undefined;
const received: string[] = [];
const figures: string[] = [];
let seq = Date.now() * 1000 * 2; // above the synthetic feed's seq, so the engine takes these ticks

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const deskState = (): DeskStateFile => parseDeskState(readFileSync(join(home, 'desk.json'), 'utf8'))!;

async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false> | T | undefined | false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${diagnostics()}`);
    await sleep(100);
  }
}

const healthy = async () =>
  (await fetch(`http://127.0.0.1:${apiPort}/health`, { signal: AbortSignal.timeout(3_000) })).ok;
const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

function diagnostics(): string {
  const parts = [`--- up\n${tail(join(home, 'up.log'), 20)}`];
  for (const f of ['alerts', 'feed', 'recorder', 'api'])
    parts.push(`--- ${f}\n${tail(join(home, 'logs', `${f}.log`), 5)}`);
  return parts.join('\n');
}

/** SIGKILL one part; resolves with the ms until it was back (new pid running) and until /health said ok. */
async function killAndTime(
  part: string,
  ready: () => Promise<boolean> = async () => true,
): Promise<{ backMs: number; healthyMs: number }> {
  const before = deskState().parts[part]!;
  const t0 = Date.now();
  process.kill(before.pid, 'SIGKILL');
  await until(`${part} to be back`, BACK_LIMIT_MS, async () => {
    const p = deskState().parts[part];
    return p && p.pid !== before.pid && p.pid > 0 && p.state === 'running' && (await ready());
  });
  const backMs = Date.now() - t0;
  await until(`/health ok after ${part}`, BACK_LIMIT_MS + HEALTHY_MS, healthy);
  const healthyMs = Date.now() - t0;
  const after = deskState().parts[part]!;
  figures.push(
    `${part}: back in ${backMs} ms, /health ok ${healthyMs} ms after the kill (restarts ${after.restarts}, last exit ${after.lastExit}); ${goals(backMs, healthyMs)}`,
  );
  log.info({ part, backMs, healthyMs }, 'restart measured');
  expect(after).toMatchObject({ restarts: before.restarts + 1, lastExit: 'SIGKILL' });
  return { backMs, healthyMs };
}

/** One tick as the feed account (a second session); resolves with its seq. */
async function publish(symbol: string, price: string): Promise<number> {
  const now = new Date().toISOString().replace('Z', '000Z');
  const ticks = [{ symbol, seq: seq++, price, size: '1', side: 'buy' as const, eventTime: now, ingestTime: now }];
  await createPubsub(feed!, 'pubsub.desk.localhost').publish(
    ticksNode(symbol),
    encodeTickBatch({ symbol, ticks, conflated: 0 }),
  );
  return ticks[0]!.seq;
}

async function reached(alertId: string, event: string): Promise<boolean> {
  const a = await createAlertStore({ redis: redis! }).get(alertId);
  return Boolean(a?.lifecycle.some((s) => s.event === event));
}
const delivered = (alertId: string) => reached(alertId, 'delivered');

/** Alice's rule that the first tick crossing up through `threshold` on `symbol` fires. */
const ruleFor = (symbol: string, threshold: string): Promise<Rule> =>
  createRuleStore({ redis: redis! }).create('alice', {
    symbol,
    condition: 'crossing-up',
    threshold,
    frequency: 'once',
    priority: 'normal',
  });

async function connect(user: string, password: string, ca: string, resource: string): Promise<XmppClient> {
  const client = createXmppClient({
    service: `xmpp://127.0.0.1:${deskState().ports.xmpp}`,
    domain: 'desk.localhost',
    username: user,
    password,
    ca,
    log,
    resource,
  });
  await client.start();
  return client;
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx turbo run build)`);
  home = mkdtempSync(join(tmpdir(), 'tickdesk-supervision-'));
  const ports: number[] = [];
  while (ports.length < 6) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  apiPort = ports[0]!;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('TICKDESK_') && !k.startsWith('VITEST')) env[k] = v;
  Object.assign(env, {
    TICKDESK_HOME: home,
    TICKDESK_API_PORT: String(ports[0]),
    TICKDESK_XMPP_PORT: String(ports[1]),
    TICKDESK_XMPP_TLS_PORT: String(ports[2]),
    TICKDESK_XMPP_HTTP_PORT: String(ports[3]),
    TICKDESK_REDIS_PORT: String(ports[4]),
    TICKDESK_FEED: 'synthetic',
    TICKDESK_FEED_RATE: '40',
    TICKDESK_LOG_LEVEL: 'info',
    TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '2000',
    // The project's server: this file supervises Prosody in one run and ejabberd in the other.
    TICKDESK_XMPP_SERVER: inject('desk').xmppServer,
    TICKDESK_XMPP_DIST_PORT: String(ports[5]),
  });
  // Its own process group: a forced stop reaches everything it started.
  up = spawn(process.execPath, [CLI, 'up'], {
    cwd: root,
    env,
    stdio: ['ignore', openSync(join(home, 'up.log'), 'a'), openSync(join(home, 'up.log'), 'a')],
    detached: true,
  });
  await until('the desk to be ready', 180_000, async () => {
    if (up!.exitCode !== null) throw new Error(`tickdesk up exited: ${diagnostics()}`);
    return healthy();
  });
  const creds = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as {
    accounts: Record<string, { password: string }>;
    redis: { users: Record<string, string> };
  };
  const ca = readFileSync(join(home, 'certs', 'ca.crt'), 'utf8');
  redis = new Redis({
    ...redisConnection(deskState().ports.redis, loginFor(creds.redis, 'desk')),
    maxRetriesPerRequest: 1,
  });
  redis.on('error', () => undefined);
  alice = await connect('alice', creds.accounts.alice!.password, ca, 'supervision');
  alice.on('stanza', (st: Element) => {
    if (st.name !== 'message' || !st.getChild('alert', NS_ALERT)) return;
    received.push(String(st.attrs.id));
    if (wantsReceipt(st)) void alice!.send(receiptFor(String(st.attrs.from), String(st.attrs.id)));
  });
  // Initial presence again on every new session (a restarted server has none of ours).
  alice.on('online', () => void alice!.send(presence('available')));
  await alice.send(presence('available'));
  feed = await connect('feed', creds.accounts.feed!.password, ca, 'supervision');
}, 240_000);

afterAll(async () => {
  log.info({ figures }, 'supervision figures');
  process.stdout.write(`\nsupervision figures:\n  ${figures.join('\n  ')}\n`);
  await alice?.stop().catch(() => undefined);
  await feed?.stop().catch(() => undefined);
  redis?.disconnect();
  if (up && up.exitCode === null) {
    up.kill('SIGTERM');
    const stopped = await Promise.race([
      new Promise<boolean>((r) => up!.once('exit', () => r(true))),
      sleep(30_000).then(() => false),
    ]);
    if (!stopped && up.pid) process.kill(-up.pid, 'SIGKILL');
  }
  if (!process.env.TICKDESK_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
}, 60_000);

describe('tickdesk up supervises every part', () => {
  it('XMPP server killed: back with the same config, data and ports; services reconnect; a rule added during the outage fires and is delivered', async () => {
    const before = deskState();
    const xmppPort = before.ports.xmpp;
    const t0 = Date.now();
    process.kill(before.parts.xmpp!.pid, 'SIGKILL');
    const rule = await ruleFor('ESZ6', '7000.25'); // added while the XMPP server is down
    await killAndTimeFrom(t0, 'xmpp', before.parts.xmpp!.pid, () => portOpen(xmppPort));
    await until(
      'the test clients to reconnect',
      30_000,
      () => alice!.state() === 'running' && feed!.state() === 'running',
    );
    await publish('ESZ6', '7000');
    const id = alertId(rule, 'ESZ6', await publish('ESZ6', '7001'));
    await until('the alert to be delivered', 20_000, () => delivered(id));
    expect(received).toContain(id);
    // The engine's new session counts its stanzas from <enable/> (XEP-0198 §4): the server's ack reaches this alert.
    await until('the server to acknowledge the alert', 15_000, () => reached(id, 'server-acked'));
  }, 90_000);

  it('Redis killed: back from its AOF with the same port and users; a firing made while it was down is delivered', async () => {
    const rule = await ruleFor('MSFT', '900.5');
    await publish('MSFT', '900');
    await sleep(1_000); // the engine has evaluated the tick below the threshold
    const before = deskState().parts.redis!;
    const t0 = Date.now();
    process.kill(before.pid, 'SIGKILL');
    const id = alertId(rule, 'MSFT', await publish('MSFT', '901')); // fires while Redis is down
    await killAndTimeFrom(t0, 'redis', before.pid, async () => (await redis!.ping()) === 'PONG');
    expect((await createRuleStore({ redis: redis! }).get(rule.id))?.id).toBe(rule.id); // the AOF kept the rule
    await until('the alert fired during the outage to be delivered', 20_000, () => delivered(id));
    expect(received).toContain(id);
  }, 90_000);

  it('alert engine killed: restarted, reads back the tick it missed and delivers the alert', async () => {
    const rule = await ruleFor('AAPL', '500.5');
    await publish('AAPL', '500');
    await sleep(1_000);
    const before = deskState().parts.alerts!;
    const t0 = Date.now();
    process.kill(before.pid, 'SIGKILL');
    const id = alertId(rule, 'AAPL', await publish('AAPL', '501')); // no engine runs now
    await killAndTimeFrom(t0, 'alerts', before.pid);
    await until('the alert for the missed tick to be delivered', 20_000, () => delivered(id));
    expect(received).toContain(id);
  }, 90_000);

  for (const part of ['feed', 'recorder', 'api'] as const) {
    it(`${part} killed: restarted, /health ok again`, async () => {
      await killAndTime(part, part === 'api' ? healthy : undefined);
    }, 90_000);
  }

  it('tickdesk status lists every part with its restarts and metrics port', async () => {
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'status'], {
        env: { ...process.env, TICKDESK_HOME: home, TICKDESK_REDIS_PORT: String(deskState().ports.redis) },
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.once('exit', () => resolve(text));
    });
    expect(out).toMatch(/xmpp\s+running \(pid \d+\)\s+restarts 1, last exit SIGKILL, last restart \d{4}-/);
    expect(out).toMatch(/redis\s+running \(pid \d+\)\s+restarts 1, last exit SIGKILL/);
    expect(out).toMatch(
      /feed\s+running \(pid \d+\)\s+restarts 1, last exit SIGKILL, last restart [^ ]+\s+metrics http:\/\/127\.0\.0\.1:\d+\/metrics/,
    );
    const metricsPort = deskState().parts.alerts!.metricsPort!;
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain(
      'tickdesk_alerts_fired_to_delivered_seconds_count',
    );
    const health = (await (await fetch(`http://127.0.0.1:${apiPort}/health`)).json()) as {
      components: Record<string, { restarts?: number; lastExit?: string }>;
    };
    expect(health.components.xmpp).toMatchObject({ restarts: 1, lastExit: 'SIGKILL' });
    expect(health.components.engine).toMatchObject({ restarts: 1, lastExit: 'SIGKILL' });
  }, 30_000);
});

/** As killAndTime, for a kill the test made itself at `t0` (it acts during the outage). */
async function killAndTimeFrom(
  t0: number,
  part: string,
  oldPid: number,
  ready: () => Promise<boolean> = async () => true,
): Promise<void> {
  await until(`${part} to be back`, BACK_LIMIT_MS, async () => {
    const p = deskState().parts[part];
    return p && p.pid !== oldPid && p.pid > 0 && p.state === 'running' && (await ready());
  });
  const backMs = Date.now() - t0;
  await until(`/health ok after ${part}`, BACK_LIMIT_MS + HEALTHY_MS, healthy);
  const healthyMs = Date.now() - t0;
  figures.push(`${part}: back in ${backMs} ms, /health ok ${healthyMs} ms after the kill; ${goals(backMs, healthyMs)}`);
}
