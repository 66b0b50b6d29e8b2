import { describe, expect, it } from 'vitest';
import { createRuleCommands } from './rule-commands.js';
import { createRuleService } from './rule-service.js';
import { memoryRules } from './rule-commands.test-util.js';

const input = { symbol: 'BTCUSDT', condition: 'crossing', threshold: '65000', frequency: 'once', priority: 'normal' };
const ctx = { symbols: new Set(['BTCUSDT']), traders: () => new Set(['alice', 'bob']) };

describe('rules service: one set of rules for REST, chat and ad-hoc', () => {
  it("a trader sees and changes only their own rules; an admin anyone's; compliance reads but changes none", async () => {
    const { store } = memoryRules();
    const service = createRuleService({ rules: store, ...ctx });
    const made = await service.create({ user: 'alice', role: 'trader' }, input);
    if (!made.ok) throw new Error(made.kind);
    const id = made.rule.id;
    expect(await service.get({ user: 'bob', role: 'trader' }, id)).toBeUndefined();
    expect(await service.list({ user: 'bob', role: 'trader' }, { owner: 'alice' })).toEqual([]);
    expect((await service.remove({ user: 'bob', role: 'trader' }, id)).ok).toBe(false);
    expect(await service.setStatus({ user: 'carol', role: 'compliance' }, id, 'paused')).toEqual({
      ok: false,
      kind: 'not-found',
    });
    expect((await service.get({ user: 'carol', role: 'compliance' }, id))?.owner).toBe('alice');
    expect(await service.get({ user: 'dave', role: 'analyst' }, id)).toBeUndefined();
    const paused = await service.setStatus({ user: 'root', role: 'admin' }, id, 'paused');
    expect(paused.ok && paused.rule.status).toBe('paused');
    expect(await service.setStatus({ user: 'alice', role: 'trader' }, id, 'paused')).toEqual({
      ok: false,
      kind: 'wrong-status',
      status: 'paused',
    });
    expect(await service.setStatus({ user: 'alice', role: 'trader' }, id, 'active', 1)).toEqual({
      ok: false,
      kind: 'stale-version',
      version: 2,
    });
  });

  it('refuses a backup who is the owner and an invalid field, naming it, before any write', async () => {
    const { store } = memoryRules();
    const service = createRuleService({ rules: store, ...ctx });
    expect(await service.create({ user: 'alice', role: 'trader' }, { ...input, backup: 'alice' })).toEqual({
      ok: false,
      kind: 'self-backup',
    });
    const bad = await service.create({ user: 'alice', role: 'trader' }, { ...input, symbol: 'NOPE' });
    expect(bad.ok === false && bad.kind === 'invalid' && bad.field).toBe('symbol');
    expect(await store.list()).toEqual([]);
  });

  it('chat: deleting a rule that another path deleted a moment before says it is gone, not "Deleted"', async () => {
    const { store, race } = memoryRules();
    const commands = createRuleCommands({ rules: store, ...ctx });
    const added = await commands.add('alice', input);
    const id = added.ok && added.rule ? added.rule.id : '';
    race();
    expect(await commands.remove('alice', id)).toEqual({ ok: false, text: `No rule ${id} of yours.` });
  });

  it("names a partner desk's trader as recipient or backup only on a configured peer; never as an owner", async () => {
    const { store } = memoryRules();
    const service = createRuleService({ rules: store, ...ctx, peers: new Set(['deskb.localhost']) });
    const alice = { user: 'alice', role: 'trader' } as const;
    const made = await service.create(alice, { ...input, recipient: 'carol@deskb.localhost', backup: 'bob' });
    expect(made.ok && [made.rule.owner, made.rule.recipient, made.rule.backup]).toEqual([
      'alice',
      'carol@deskb.localhost',
      'bob',
    ]);
    const unlisted = await service.create(alice, { ...input, backup: 'carol@deskc.localhost' });
    expect(unlisted.ok === false && unlisted.kind === 'invalid' && unlisted.field).toBe('backup');
    expect(
      await service.create(alice, { ...input, recipient: 'carol@deskb.localhost', backup: 'carol@deskb.localhost' }),
    ).toEqual({ ok: false, kind: 'self-backup' });
    const remoteOwner = await service.create({ user: 'carol@deskb.localhost', role: 'admin' }, input);
    expect(remoteOwner.ok === false && remoteOwner.kind === 'invalid' && remoteOwner.field).toBe('owner');
    expect((await store.list()).map((r) => r.owner)).toEqual(['alice']);
  });
});
