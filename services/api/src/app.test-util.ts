import type { FastifyPluginAsync, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import type { AccountDirectory } from '@tickdesk/accounts';
import { pino } from 'pino';
import { expect } from 'vitest';
import { DEFAULT_INSTRUMENTS, formatMicros, parseTimestamp, type Instrument, type Tick } from '@tickdesk/schemas';
import {
  createAlertStore,
  createAuditChain,
  createRuleStore,
  createSilenceStore,
  createWebhookStore,
  type UrlPolicy,
} from '@tickdesk/alerts';
import { candlesKey, LAST_KEY, ticksKey } from '@tickdesk/recorder';
import { buildApp, type ApiApp } from './app.js';
import { resolveApiConfig, type ApiConfig } from './config.js';
import type { DeskDevices } from './deps.js';
import type { HealthProbe } from './routes/health.js';
import type { VerifyPassword } from './routes/auth.js';
import { USERS_KEY } from './roles.js';

export const SECRET = 'test-secret-test-secret-test-secret';

/** Accounts of the fake XMPP server: password and desk role ('service' and none may not use the API). */
export const ACCOUNTS: Record<string, { password: string; role?: string }> = {
  alice: { password: 'alice-pw', role: 'trader' },
  ana: { password: 'ana-pw', role: 'analyst' },
  carol: { password: 'carol-pw', role: 'compliance' },
  admin: { password: 'admin-pw', role: 'admin' },
  feed: { password: 'feed-pw', role: 'service' },
  ghost: { password: 'ghost-pw' },
};

export const fakeVerify: VerifyPassword = async (user, password) => ACCOUNTS[user]?.password === password;

export async function seedUsers(redis: Redis): Promise<void> {
  for (const [user, { role }] of Object.entries(ACCOUNTS)) if (role) await redis.hset(USERS_KEY, user, role);
}

/** The audit key of test apps: a desk's chain is always keyed. */
export const TEST_AUDIT_KEY = { key: 'k'.repeat(43), keyedFrom: 1 };

export interface TestAppOptions {
  config?: Partial<ApiConfig>;
  verifyPassword?: VerifyPassword;
  health?: HealthProbe;
  routes?: FastifyPluginAsync[];
  now?: () => number;
  accounts?: AccountDirectory;
  /** The MQTT broker's device registry (a fake); none by default (503). */
  devices?: DeskDevices;
  /** Partner desks' domains (TICKDESK_PEERS_FILE); none by default. */
  peers?: readonly string[];
  /** The desk's catalogue; default the market instruments. */
  instruments?: readonly Instrument[];
  /** The XMPP server's HTTP base that /xmpp-websocket is proxied to. */
  xmppWebsocket?: string | readonly string[];
  /** Webhook endpoints over the same Redis: at most this many per owner (default 5), URLs checked against this policy. */
  webhooks?: { perOwnerMax?: number; policy?: UrlPolicy };
}

/** The app over a real Redis, with a fake password check and generous rate limits unless told otherwise. */
export async function testApp(redis: Redis, opts: TestAppOptions = {}): Promise<ApiApp> {
  const app = await buildApp({
    deps: {
      redis,
      log: pino({ level: process.env.TICKDESK_TEST_LOG ?? 'silent' }),
      domain: 'desk.localhost',
      instruments: opts.instruments ?? DEFAULT_INSTRUMENTS,
      rules: createRuleStore({ redis }),
      alerts: createAlertStore({ redis }),
      audit: createAuditChain({ redis, key: TEST_AUDIT_KEY }),
      ...(opts.accounts ? { accounts: opts.accounts } : {}),
      ...(opts.devices ? { devices: opts.devices } : {}),
      ...(opts.peers ? { peers: opts.peers } : {}),
      webhooks: {
        store: createWebhookStore({ redis, perOwnerMax: opts.webhooks?.perOwnerMax ?? 5 }),
        policy: opts.webhooks?.policy ?? { allowPrivate: false, self: [] },
      },
      silences: {
        store: createSilenceStore({ redis, perTraderMax: opts.config?.silencesPerTraderMax ?? 100 }),
        maxSeconds: opts.config?.silenceMaxSeconds ?? 7 * 86_400,
      },
    },
    config: resolveApiConfig({ secret: SECRET, loginRateMax: 100_000, writeRateMax: 100_000, ...opts.config }),
    verifyPassword: opts.verifyPassword ?? fakeVerify,
    ...(opts.health ? { health: opts.health } : {}),
    // Only the routes a test names (none by default), not the whole desk's.
    routes: opts.routes ?? [],
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.xmppWebsocket ? { xmppWebsocket: opts.xmppWebsocket } : {}),
  });
  await app.ready();
  return app;
}

/**
 * A stand-in for the account directory's view of entitlements: symbol → users whose
 * affiliation lets them read it; change `members` to grant or revoke.
 */
export function fakeEntitlements(members: Record<string, string[]>): {
  members: Map<string, Set<string>>;
  accounts: AccountDirectory;
} {
  const state = new Map(Object.entries(members).map(([s, users]) => [s, new Set(users)]));
  const accounts = { members: async () => state } as unknown as AccountDirectory;
  return { members: state, accounts };
}

export async function login(app: ApiApp, user: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { jid: `${user}@desk.localhost`, password: ACCOUNTS[user]!.password },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ token: string }>().token;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Asserts an error response: status, `{ code, message }` and nothing else, no internals. */
export function expectError(
  res: LightMyRequestResponse,
  status: number,
  code?: string,
  messagePart?: string | RegExp,
): { code: string; message: string } {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<{ code: string; message: string }>();
  expect(Object.keys(body).sort()).toEqual(['code', 'message']);
  expect(body.code).toMatch(/^TICKDESK_API_[A-Z_]+$/);
  if (code) expect(body.code).toBe(code);
  if (messagePart) expect(body.message).toMatch(messagePart);
  expectNoInternals(res.body);
  return body;
}

export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|\.js:\d+|ReplyError|TypeError|ECONNREFUSED/);
}

/** Writes market data in the recorder's documented Redis layout (services/recorder/src/redis-layout.ts). */
export async function seedMarket(redis: Redis, ticks: readonly Tick[]): Promise<void> {
  const m = redis.multi();
  for (const t of ticks) {
    const member = `${String(t.seq).padStart(16, '0')}|${t.price}|${t.size}|${t.side}|${t.eventTime}|${t.ingestTime}`;
    m.zadd(ticksKey(t.symbol), parseTimestamp(t.eventTime)!, member);
    m.hset(
      LAST_KEY,
      t.symbol,
      JSON.stringify({ price: t.price, size: t.size, seq: t.seq, eventTime: t.eventTime, ingestTime: t.ingestTime }),
    );
  }
  await m.exec();
}

export async function seedCandles(
  redis: Redis,
  symbol: string,
  interval: '1s' | '1m' | '1h',
  startsMicros: readonly number[],
): Promise<void> {
  const m = redis.multi();
  startsMicros.forEach((start, i) =>
    m.zadd(candlesKey(interval, symbol), start, JSON.stringify([start, '100', `10${i}`, '99', '101', '2.5', 3])),
  );
  await m.exec();
}

/** A tick at `micros` (event time) with seq `seq`. */
export function tickAt(symbol: string, seq: number, micros: number, price = '100.5'): Tick {
  const t = formatMicros(micros);
  return { symbol, seq, price, size: '0.01', side: 'buy', eventTime: t, ingestTime: t };
}
