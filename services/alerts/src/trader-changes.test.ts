import { describe, expect, it } from 'vitest';
import { createRoleStore } from '@tickdesk/store';
import { createTraderRoles } from './trader-roles.js';
import { usePrivateRedis, until } from './store/redis.test-util.js';

/*
 * A trader added while the engine runs (`tickdesk users add`, POST /v1/users) is tracked
 * from the role store's change notification, as rules are: no timer reads the roles again.
 */
const redis = usePrivateRedis({ flush: false });
describe('trader roles by change notification', () => {
  it('a trader added, disabled and enabled again is heard of within half a second', async () => {
    const client = redis.connect();
    const roles = createRoleStore({ redis: client });
    await roles.set('alice', 'trader');
    const calls: string[] = [];
    const t = createTraderRoles({
      redis: client,
      prefix: 'td:',
      onTrader: (u) => void calls.push(`trader ${u}`),
      onDisabled: async (u, running) => void calls.push(`disabled ${u} ${running}`),
      onEnabled: () => undefined,
    });
    await t.start();
    expect([...t.traders]).toEqual(['alice']);
    const added = Date.now();
    await roles.set('bob', 'trader');
    await until(() => t.traders.has('bob'), 500);
    expect(Date.now() - added).toBeLessThan(500);
    expect(calls).toEqual(['trader alice', 'trader bob']);
    await roles.set('bob', 'disabled');
    await until(() => calls.includes('disabled bob true'), 500);
    expect(t.traders.has('bob')).toBe(false);
    await t.stop();
    await roles.set('carol', 'trader');
    await new Promise((r) => setTimeout(r, 200));
    expect(t.traders.has('carol')).toBe(false);
  });

  it('a change heard while a refresh is still running is read after it, not dropped', async () => {
    const client = redis.connect();
    const roles = createRoleStore({ redis: client });
    await client.flushall();
    await roles.set('dan', 'disabled');
    let release: () => void = () => undefined;
    let hold = false;
    const t = createTraderRoles({
      redis: client,
      prefix: 'td:',
      onTrader: () => undefined,
      onDisabled: async () => {
        if (hold) await new Promise<void>((r) => (release = r));
      },
      onEnabled: () => undefined,
    });
    await t.start();
    hold = true;
    await roles.set('erin', 'analyst'); // a refresh starts and waits in onDisabled(dan)
    await new Promise((r) => setTimeout(r, 100));
    await roles.set('fay', 'trader'); // heard while that refresh runs
    await new Promise((r) => setTimeout(r, 100));
    hold = false;
    release();
    await until(() => t.traders.has('fay'), 500);
    await t.stop();
  });
});
