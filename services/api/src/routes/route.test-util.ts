import type { FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Redis } from 'ioredis';
import type { StoredAlert } from '@tickdesk/alerts';
import { DEFAULT_INSTRUMENTS, type RuleInput } from '@tickdesk/schemas';
import type { ApiApp } from '../app.js';
import { SECRET, testApp, type TestAppOptions } from '../app.test-util.js';
import type { Role } from '../deps.js';
import { USERS_KEY } from '../roles.js';
import { createTokenSigner } from '../token.js';

import { privateRedis } from '../redis.test-util.js';

export { privateRedis, until } from '../redis.test-util.js';

/** The desk's users in these tests: two traders, one of each other role. */
const USERS: Record<string, Role> = {
  alice: 'trader',
  bob: 'trader',
  ana: 'analyst',
  carol: 'compliance',
  admin: 'admin',
};
/** Who to sign in as: by name, or the one user of a role (alice for trader). */
export const AS = {
  alice: 'alice',
  bob: 'bob',
  trader: 'alice',
  analyst: 'ana',
  compliance: 'carol',
  admin: 'admin',
} as const;

export async function seedUsers(redis: Redis): Promise<void> {
  await redis.hset(USERS_KEY, USERS);
}

const signer = createTokenSigner({ secret: SECRET, ttlS: 3_600 });
/** A real token for a seeded user, signed as POST /v1/auth/token would sign it. */
export const bearer = (user: string) => ({ authorization: `Bearer ${signer.sign(user, USERS[user]!).token}` });

/** The core's app (buildApp) over `redis`, with route plugins registered under /v1 (options bound by the caller). */
export async function buildTestApp(
  redis: Redis,
  plugins: FastifyPluginAsync[],
  options: Omit<TestAppOptions, 'routes'> = {},
): Promise<ApiApp> {
  return testApp(redis, { ...options, routes: plugins });
}

/**
 * One app with `plugins` over a private Redis for a test file: built before all tests,
 * closed after them, Redis emptied and the desk's users seeded before each test.
 */
export function useRouteApp(
  plugins: FastifyPluginAsync[],
  options: Omit<TestAppOptions, 'routes'> = {},
): {
  readonly app: ApiApp;
  readonly client: Redis;
} {
  let redis: Awaited<ReturnType<typeof privateRedis>> | undefined;
  let client: Redis | undefined;
  let app: ApiApp | undefined;
  beforeAll(async () => {
    redis = await privateRedis();
    client = redis.client();
    app = await buildTestApp(client, plugins, options);
  });
  afterAll(async () => {
    await app?.close();
    await redis?.close();
  });
  beforeEach(async () => {
    await client!.flushall();
    await seedUsers(client!);
  });
  return {
    get app() {
      return app!;
    },
    get client() {
      return client!;
    },
  };
}

export const SYMBOL = DEFAULT_INSTRUMENTS[0]!.symbol;
export const OTHER_SYMBOL = DEFAULT_INSTRUMENTS[1]!.symbol;

export const ruleInput = (over: Partial<RuleInput> = {}): RuleInput => ({
  symbol: SYMBOL,
  condition: 'crossing-up',
  threshold: '65000',
  frequency: 'once',
  priority: 'normal',
  ...over,
});

let alertCounter = 0;
/** A stored alert as the engine writes it (services/alerts/src/engine.ts). */
export function alertFixture(over: Partial<StoredAlert> = {}): StoredAlert {
  alertCounter += 1;
  const firedAt = over.firedAt ?? new Date(Date.UTC(2026, 10, 21, 10, 0, 0, alertCounter)).toISOString();
  return {
    id: `a${alertCounter}x`,
    ruleId: 'r1',
    owner: 'alice',
    recipient: 'alice',
    symbol: SYMBOL,
    condition: 'crossing-up',
    threshold: '65000',
    price: '65000.5',
    previousPrice: '64999.9',
    tickSeq: alertCounter,
    eventTime: firedAt,
    firedAt,
    priority: 'normal',
    body: 'BTCUSDT crossed up through 65000',
    state: 'pending',
    attempts: 0,
    nextActionAt: 0,
    lifecycle: [{ event: 'fired', at: firedAt }],
    ...over,
  };
}
