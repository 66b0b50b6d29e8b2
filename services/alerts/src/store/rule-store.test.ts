import { beforeEach, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { Rule, type RuleInput } from '@tickdesk/schemas';
import { createRuleStore, type RuleChange } from './rule-store.js';
import { usePrivateRedis, until } from './redis.test-util.js';

const redis = usePrivateRedis();
const T0 = Date.parse('2026-11-21T10:00:00.000Z');
let clock = T0;
const now = () => clock;
beforeEach(() => {
  clock = T0;
});

const input = (over: Partial<RuleInput> = {}): RuleInput => ({
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '65000',
  frequency: 'once',
  priority: 'normal',
  ...over,
});

describe('rule store', () => {
  it('creates, reads, updates and removes rules', async () => {
    const store = createRuleStore({ redis: redis.client, now });
    const rule = await store.create('alice', {
      ...input({ backup: 'bob', message: 'take profit' }),
      junk: 'dropped',
    } as RuleInput);
    expect(Value.Check(Rule, rule)).toBe(true);
    expect(rule).toEqual({
      id: rule.id,
      owner: 'alice',
      ...input({ backup: 'bob', message: 'take profit' }),
      status: 'active',
      createdAt: '2026-11-21T10:00:00.000Z',
      updatedAt: '2026-11-21T10:00:00.000Z',
      version: 1,
    });
    expect(rule.id).toMatch(/^r[0-9a-z]{19}$/);
    expect(await store.get(rule.id)).toEqual(rule);
    expect(await store.get('r0000')).toBeUndefined();
    expect(await store.get('not an id')).toBeUndefined();

    clock += 5_000;
    const updated = await store.update(
      rule.id,
      input({ condition: 'inside-channel', threshold: undefined, lower: '1', upper: '2' }),
    );
    expect(updated).toEqual({
      id: rule.id,
      owner: 'alice',
      ...input({ condition: 'inside-channel', lower: '1', upper: '2' }),
      threshold: undefined,
      status: 'active',
      createdAt: rule.createdAt,
      updatedAt: '2026-11-21T10:00:05.000Z',
      version: 2,
    });
    expect(Object.keys((await store.get(rule.id))!)).not.toContain('threshold'); // nothing left over from the old input
    expect(await store.setStatus(rule.id, 'paused')).toMatchObject({ status: 'paused', version: 3, lower: '1' });
    expect(await store.update(rule.id, input())).toMatchObject({ status: 'paused', version: 4, threshold: '65000' });

    expect(await store.remove(rule.id)).toBe(true);
    expect(await store.remove(rule.id)).toBe(false);
    expect(await store.get(rule.id)).toBeUndefined();
    expect(await store.update(rule.id, input())).toBe('not-found');
    expect(await store.setStatus(rule.id, 'active')).toBe('not-found');
    await expect(store.create('Not A Trader', input())).rejects.toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_BAD_INPUT',
    });
  });

  it('refuses a write based on a stale version', async () => {
    const store = createRuleStore({ redis: redis.client, now });
    const rule = await store.create('alice', input());
    expect(await store.update(rule.id, input({ threshold: '1' }), 1)).toMatchObject({ version: 2 });
    expect(await store.update(rule.id, input({ threshold: '2' }), 1)).toBe('version-conflict');
    expect(await store.setStatus(rule.id, 'paused', 1)).toBe('version-conflict');
    expect(await store.get(rule.id)).toMatchObject({ threshold: '1', status: 'active', version: 2 });
    // Without an expected version, concurrent writers all land, one version each.
    const other = createRuleStore({ redis: redis.connect(), now });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).update(rule.id, input({ threshold: String(i) }))),
    );
    expect((await store.get(rule.id))!.version).toBe(22);
  });

  it('lists by owner in creation order and streams all rules', async () => {
    const store = createRuleStore({ redis: redis.client, now, maxRulesPerOwner: 1_000 });
    const made = [];
    for (let i = 0; i < 1_100; i++) {
      clock = T0 + i;
      made.push(await store.create(['alice', 'bob'][i % 2]!, input({ threshold: String(i) })));
    }
    expect(await store.list({ owner: 'alice' })).toEqual(made.filter((r) => r.owner === 'alice'));
    expect(await store.list({ owner: 'nobody' })).toEqual([]);
    expect(await store.list()).toEqual(made);
    await store.remove(made[1]!.id);
    const streamed = [];
    for await (const r of store.all()) streamed.push(r);
    expect(streamed).toEqual(made.filter((_, i) => i !== 1));
    expect(await store.list({ owner: 'bob' })).toHaveLength(549);
  });

  it('refuses a rule over the per-owner cap, for that owner only, until one is deleted', async () => {
    const store = createRuleStore({ redis: redis.client, now, maxRulesPerOwner: 3 });
    const changes: RuleChange[] = [];
    const unsubscribe = await store.subscribe((c) => changes.push(c));
    const made = await Promise.all([1, 2, 3].map((i) => store.create('alice', input({ threshold: String(i) }))));
    // Concurrent creates cannot slip past the cap: the count and the write are one script.
    const racing = await Promise.allSettled([4, 5].map((i) => store.create('alice', input({ threshold: String(i) }))));
    expect(racing.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((racing[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_RULE_LIMIT',
      limit: 3,
    });
    expect(((racing[0] as PromiseRejectedResult).reason as Error).message).toMatch(
      /alice has 3 rules, the most allowed/,
    );
    expect(await store.list({ owner: 'alice' })).toHaveLength(3);
    expect(await store.create('bob', input())).toMatchObject({ owner: 'bob' });
    // Paused and triggered rules still count: the cap bounds what is stored.
    await store.setStatus(made[0]!.id, 'paused');
    await expect(store.create('alice', input())).rejects.toMatchObject({ code: 'TICKDESK_ALERTS_STORE_RULE_LIMIT' });
    await store.remove(made[0]!.id);
    expect(await store.create('alice', input())).toMatchObject({ owner: 'alice' });
    await until(() => changes.length >= 7, 2_000);
    expect(changes.filter((c) => c.op === 'upsert' && c.version === 1)).toHaveLength(5); // no message for a refused create
    await unsubscribe();
    expect(createRuleStore({ redis: redis.client }).maxRulesPerOwner).toBe(500);
  });

  it('publishes every committed change', async () => {
    const store = createRuleStore({ redis: redis.client, now });
    const writer = createRuleStore({ redis: redis.connect(), now });
    const changes: RuleChange[] = [];
    const unsubscribe = await store.subscribe((c) => changes.push(c));
    const rule = await writer.create('alice', input());
    await writer.update(rule.id, input({ threshold: '70000' }));
    await writer.update(rule.id, input(), 1); // refused: no message
    await writer.setStatus(rule.id, 'triggered');
    await writer.remove(rule.id);
    await until(() => changes.length >= 4, 2_000);
    expect(changes).toEqual([
      { id: rule.id, version: 1, op: 'upsert' },
      { id: rule.id, version: 2, op: 'upsert' },
      { id: rule.id, version: 3, op: 'upsert' },
      { id: rule.id, version: 4, op: 'remove' },
    ]);
    await unsubscribe();
    await writer.create('bob', input());
    await new Promise((r) => setTimeout(r, 100));
    expect(changes).toHaveLength(4);
  });

  it('tells the subscriber to reload after its connection comes back', async () => {
    const store = createRuleStore({ redis: redis.client, now });
    const changes: RuleChange[] = [];
    let resyncs = 0;
    const unsubscribe = await store.subscribe(
      (c) => changes.push(c),
      () => resyncs++,
    );
    await redis.down();
    await redis.up();
    await until(() => resyncs === 1, 10_000);
    const rule = await store.create('alice', input());
    await until(() => changes.length === 1, 2_000);
    expect(changes).toEqual([{ id: rule.id, version: 1, op: 'upsert' }]);
    await unsubscribe();
  });
});
