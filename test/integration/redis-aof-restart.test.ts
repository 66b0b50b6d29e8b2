import { afterAll, describe, expect, it } from 'vitest';
import { createRuleStore } from '@tickdesk/alerts';
import { privateRedis } from '../support/private-redis.js';

let server: Awaited<ReturnType<typeof privateRedis>> | undefined;
afterAll(async () => server?.close());

/**
 * Redis 7.0 replays MULTI/EXEC from the AOF (scripts are written as one) with the
 * `default` user's permissions (redis/redis#14541, fixed only in later releases): with
 * that user stripped of every command, all script writes vanished at the next start.
 */
describe('Redis restart with ACL users', () => {
  it('keeps writes made by scripts (rules, outbox, audit) as well as plain commands', async () => {
    server = await privateRedis();
    const redis = server.client();
    await redis.set('td:plain', '1');
    const rule = await createRuleStore({ redis }).create('alice', {
      symbol: 'MSFT',
      condition: 'crossing-up',
      threshold: '500.5',
      frequency: 'once',
      priority: 'normal',
    });
    await redis.eval("redis.call('SET', KEYS[1], ARGV[1]); return 1", 1, 'td:scripted', 'x');
    await server.down();
    await server.up();
    expect(await redis.get('td:plain')).toBe('1');
    expect(await redis.get('td:scripted')).toBe('x');
    expect((await createRuleStore({ redis }).get(rule.id))?.id).toBe(rule.id);
  });

  it('still refuses a client that does not authenticate', async () => {
    const anonymous = server!.client({ username: undefined, password: undefined, maxRetriesPerRequest: 0 });
    await expect(anonymous.get('td:plain')).rejects.toThrow(/NOAUTH/);
  });
});
