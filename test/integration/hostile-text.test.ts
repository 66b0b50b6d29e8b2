import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleInput } from '@tickdesk/schemas';
import { resolveAlertsConfig, type AlertService } from '@tickdesk/alerts';
import type { XmppClient } from '@tickdesk/xmpp';
import { desk, waitFor } from './helpers.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { publishPrices, trader, type Trader } from './trader.js';

let engine: LocalEngine;
let service: AlertService;
let feed: XmppClient;
let alice: Trader;
let bob: Trader;
let engineOffline = 0;

const config = resolveAlertsConfig({
  receiptTimeoutMs: 2_000,
  awayReceiptTimeoutMs: 1_000,
  resends: 2,
  retryAfterEscalationMs: 2_000,
  alertTtlMs: 20_000,
  pollMs: 50,
});
const rule = (over: Partial<RuleInput>): RuleInput => ({
  symbol: 'MSFT',
  condition: 'crossing-up',
  threshold: '500',
  frequency: 'once',
  priority: 'normal',
  ...over,
});

beforeAll(async () => {
  engine = await startLocalEngine(config, 'hostile-text');
  ({ service, feed } = engine);
  engine.engineClient.on('offline', () => (engineOffline += 1));
  alice = await trader('alice');
  bob = await trader('bob');
  await waitFor(
    () => ['alice', 'bob'].every((u) => service.engine.presence.get(u).show === 'online'),
    10_000,
    'traders online',
  );
});

afterAll(async () => {
  for await (const r of service.engine.rules.all()) await service.engine.rules.remove(r.id);
  await alice?.stop();
  await bob?.stop();
  await engine?.stop();
});

describe('text XML 1.0 forbids', () => {
  it("a rule message holding U+0007, stored around the REST check, is sent without the engine's stream being closed; another trader's alert still arrives", async () => {
    const indexed = service.engine.stats().rules;
    // Written to the store directly, as a rule saved before the check existed would be.
    const bell = await service.engine.rules.create('alice', rule({ message: 'one\u0007bell' }));
    expect((await service.engine.rules.get(bell.id))?.message).toBe('one\u0007bell');
    const other = await service.engine.rules.create('bob', rule({ threshold: '500.5', message: 'bob level' }));
    await waitFor(() => service.engine.stats().rules === indexed + 2, 10_000, 'the engine to index both rules');
    await publishPrices(feed, 'MSFT', ['499']);
    await publishPrices(feed, 'MSFT', ['501']);

    // By rule: an earlier file's alert still waiting for a receipt may be resent to a trader as they come online.
    const mineOf = (t: Trader, ruleId: string) => t.alerts.find((a) => a.payload.rule === ruleId);
    await waitFor(
      () => mineOf(alice, bell.id) !== undefined && mineOf(bob, other.id) !== undefined,
      15_000,
      'both alerts',
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}: alice has ${alice.alerts.length}, bob ${bob.alerts.length}; the engine went offline ${engineOffline} times`,
      );
    });
    const alicesAlert = mineOf(alice, bell.id)!;
    expect(alicesAlert.payload).toMatchObject({ rule: bell.id, message: 'one\uFFFDbell' });
    expect(alicesAlert.body).toContain('one\uFFFDbell');
    expect(mineOf(bob, other.id)!.payload).toMatchObject({ rule: other.id, message: 'bob level' });
    await expect
      .poll(async () => (await service.engine.alerts.get(alicesAlert.id))?.state, { timeout: 10_000 })
      .toBe('delivered');
    expect(engineOffline).toBe(0);
    expect(engine.engineClient.state()).toBe('running');
    expect(engine.engineClient.replacedCharacters()).toBe(0); // alertMessage already cleaned it: the audit hash is of the bytes sent
  });

  it('a chat command with a C1 control character is answered with a refusal naming it, and nothing is added', async () => {
    const before = (await service.engine.rules.list({ owner: 'alice' })).length;
    const n = alice.replies.length;
    // Raw on the wire: U+0085 is legal XML 1.0, so the server passes it on; our own client would replace it.
    await (alice.client.entity as unknown as { write(s: string): Promise<void> }).write(
      `<message to="alerts@${desk().domain}" type="chat" id="c1"><body>alert MSFT crosses 600 "a\u0085b"</body></message>`,
    );
    await waitFor(() => alice.replies.length > n, 10_000, 'the reply');
    expect(alice.replies[n]).toMatch(/U\+0085/);
    expect(alice.replies[n]).not.toMatch(/^Added/);
    expect((await service.engine.rules.list({ owner: 'alice' })).length).toBe(before);
    expect(engineOffline).toBe(0);
  });
});
