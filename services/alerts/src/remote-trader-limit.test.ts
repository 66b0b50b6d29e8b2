import { describe, expect, it } from 'vitest';
import { createRuleService } from './rule-service.js';
import { memoryRules } from './rule-commands.test-util.js';

const input = { symbol: 'BTCUSDT', condition: 'crossing', threshold: '65000', frequency: 'once', priority: 'normal' };
const alice = { user: 'alice', role: 'trader' } as const;

/** A rules service on a desk that follows `followed` partner traders and at most `max`. */
function service(followed: string[], max: number) {
  const { store } = memoryRules();
  const rules = createRuleService({
    rules: store,
    symbols: new Set(['BTCUSDT']),
    traders: () => new Set(['alice', 'bob']),
    peers: new Set(['deskb.localhost']),
    remoteTraders: { max, followed: () => Promise.resolve(new Set(followed)) },
  });
  return { rules, store };
}

describe('partner traders followed: at most TICKDESK_ALERTS_REMOTE_TRADERS_MAX', () => {
  it('a rule naming one partner trader more than the limit is refused, naming the field, the limit and its variable; nothing is stored', async () => {
    const { rules, store } = service(['ana@deskb.localhost', 'bob@deskb.localhost'], 2);
    const out = await rules.create(alice, { ...input, recipient: 'carol@deskb.localhost' });
    if (out.ok || out.kind !== 'invalid') throw new Error(`not refused as invalid: ${JSON.stringify(out)}`);
    expect(out.field).toBe('recipient');
    expect(out.message).toMatch(/carol@deskb\.localhost .*at most 2 \(TICKDESK_ALERTS_REMOTE_TRADERS_MAX\)/);
    const backup = await rules.create(alice, { ...input, backup: 'carol@deskb.localhost' });
    expect(backup.ok === false && backup.kind === 'invalid' && backup.field).toBe('backup');
    expect(await store.list()).toEqual([]);
  });

  it('one already followed, a desk trader, or the last place left: accepted', async () => {
    const { rules } = service(['ana@deskb.localhost'], 2);
    expect((await rules.create(alice, { ...input, recipient: 'ana@deskb.localhost' })).ok).toBe(true);
    expect((await rules.create(alice, { ...input, recipient: 'bob' })).ok).toBe(true);
    expect((await rules.create(alice, { ...input, recipient: 'bob@deskb.localhost' })).ok).toBe(true);
    // Two new ones with one place left: the backup is the one too many.
    const two = await rules.create(alice, {
      ...input,
      recipient: 'bob@deskb.localhost',
      backup: 'eve@deskb.localhost',
    });
    expect(two.ok === false && two.kind === 'invalid' && two.field).toBe('backup');
  });
});
