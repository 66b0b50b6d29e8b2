import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { engineKeys } from '@tickdesk/store';
import { createRuleLeftovers } from './rule-leftovers.js';
import { alertKeys, createFlapStore, createRuleStore } from './store/index.js';
import { createSilenceStore } from './silences/index.js';
import { usePrivateRedis } from './store/redis.test-util.js';

/* What a deleted rule leaves in Redis is removed with it, or at the next start when no engine heard it go. */
const redis = usePrivateRedis();
const log = pino({ level: 'silent' });
const keys = alertKeys();
const firedKey = engineKeys().fired;
const input = {
  symbol: 'MSFT',
  condition: 'greater-than',
  threshold: '100',
  frequency: 'once',
  priority: 'normal',
} as const;

function parts() {
  const rules = createRuleStore({ redis: redis.client });
  const silences = createSilenceStore({ redis: redis.client });
  const flap = createFlapStore({ redis: redis.client });
  const leftovers = createRuleLeftovers({ redis: redis.client, firedKey, flap, rules, silences, log, graceMs: 20 });
  return { rules, silences, flap, leftovers };
}
/** What a rule that fired has in Redis. */
async function firedState(id: string): Promise<void> {
  await redis.client.hset(keys.flap(id), 'v', 1, 'n', 2);
  await redis.client.hset(firedKey, id, '1765015694100000');
  await redis.client.hset(keys.onceFired, id, '1');
}
const stateOf = async (id: string) => [
  await redis.client.exists(keys.flap(id)),
  await redis.client.hexists(firedKey, id),
  await redis.client.hexists(keys.onceFired, id),
];

describe('rule leftovers', () => {
  it('removes the state of deleted rules after the grace, in one pass for a burst, and ends the silences naming them', async () => {
    const { rules, silences, leftovers } = parts();
    const [a, b] = [await rules.create('alice', input), await rules.create('alice', input)];
    await Promise.all([firedState(a.id), firedState(b.id)]);
    const until = new Date(Date.now() + 60_000).toISOString();
    const s = await silences.create('alice', { ruleId: a.id, until, reason: 'x' }, Date.now());
    await rules.remove(a.id);
    leftovers.ruleDeleted(a.id);
    expect(await stateOf(a.id)).toEqual([1, 1, 1]); // within the grace: a firing in flight may still write
    await expect.poll(() => stateOf(a.id)).toEqual([0, 0, 0]);
    expect((await silences.get(s!.id))?.endedAt).toBeDefined();
    expect(await stateOf(b.id)).toEqual([1, 1, 1]);
    await leftovers.stop();
  });

  it('stop removes what is still waiting', async () => {
    const { rules, leftovers } = parts();
    const a = await rules.create('alice', input);
    await firedState(a.id);
    leftovers.ruleDeleted(a.id);
    await leftovers.stop();
    expect(await stateOf(a.id)).toEqual([0, 0, 0]);
  });

  it('sweep at start: rules that fired and are no longer stored lose their state, stored ones keep it', async () => {
    const { rules, leftovers } = parts();
    const kept = await rules.create('alice', input);
    await Promise.all([firedState('rgone1'), firedState('rgone2'), firedState(kept.id)]);
    expect(await leftovers.sweep()).toBe(2);
    expect(await stateOf('rgone1')).toEqual([0, 0, 0]);
    expect(await stateOf('rgone2')).toEqual([0, 0, 0]);
    expect(await stateOf(kept.id)).toEqual([1, 1, 1]);
    expect(await leftovers.sweep()).toBe(0);
  });
});
