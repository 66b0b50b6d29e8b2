import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { NS_COMMANDS, NS_DATA, xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import type { Rule } from '@tickdesk/schemas';
import { ALERT_COMMANDS, createAdhocService } from './adhoc-service.js';
import { listedRuleCommands, listedRule } from './rule-commands.test-util.js';
import { wireBytes } from './reply-pages.js';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const rule = (i: number): Rule => listedRule(i, { message: `level ${'é'.repeat(400)}` });

function harness(rules: Rule[] = [], limits?: Parameters<typeof createAdhocService>[0]['limits']) {
  let handler: ((ctx: { stanza: Element; element: Element }) => Promise<Element>) | undefined;
  const client = {
    iqCallee: { set: (_ns: string, _name: string, h: typeof handler) => (handler = h), get: () => undefined },
    jid: () => 'alerts@desk.localhost/engine',
  } as unknown as XmppClient;
  const { commands, added } = listedRuleCommands(rules, rule(9_999));
  const adhoc = createAdhocService({
    client,
    commands,
    symbols: ['BTCUSDT'],
    domain: 'desk.localhost',
    isTrader: () => true,
    log: pino({ level: 'silent' }),
    ...(limits ? { limits } : {}),
  });
  adhoc.start();
  const runFrom = (from: string, attrs: Record<string, string>, ...children: Element[]) =>
    handler!({
      stanza: xml('iq', { from, type: 'set' }),
      element: xml('command', { xmlns: NS_COMMANDS, ...attrs }, ...children),
    });
  const run = (user: string, attrs: Record<string, string>, ...children: Element[]) =>
    runFrom(`${user}@desk.localhost/c`, attrs, ...children);
  const submit = (fields: Record<string, string>) =>
    xml(
      'x',
      { xmlns: NS_DATA, type: 'submit' },
      ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
    );
  return { adhoc, run, runFrom, submit, added };
}
const isError = (el: Element, condition: string) =>
  el.name === 'error' && el.getChild(condition, NS_STANZAS) !== undefined;

afterEach(() => void vi.useRealTimers());

describe('ad-hoc sessions', () => {
  it('40,000 started sessions: at most 1,000 in all, the rest refused with resource-constraint', async () => {
    const { run, adhoc } = harness();
    let started = 0;
    let refused = 0;
    for (let i = 0; i < 40_000; i++) {
      const out = await run(`u${i % 8_000}`, { node: ALERT_COMMANDS.add, action: 'execute' });
      if (out.name === 'command' && out.attrs.status === 'executing') started += 1;
      else if (isError(out, 'resource-constraint') && out.attrs.type === 'wait') refused += 1;
    }
    expect(started).toBe(1_000);
    expect(refused).toBe(39_000);
    expect(adhoc.sessionCount()).toBe(1_000);
    adhoc.stop();
  });

  it('40,000 sessions started by one user: 5 kept, none refused, and a command stays O(1)', async () => {
    const { run, adhoc } = harness();
    let started = 0;
    for (let i = 0; i < 40_000; i++)
      if ((await run('alice', { node: ALERT_COMMANDS.add })).attrs.status === 'executing') started += 1;
    expect(started).toBe(40_000);
    expect(adhoc.sessionCount()).toBe(5);
    adhoc.stop();
  }, 30_000); // 40,000 commands, each parsing its JID with @xmpp/jid: 3-6 s on a loaded 2-core machine

  it("a sixth session of one user drops that user's least recently used one, so a client that went away with 5 open does not lock the trader out", async () => {
    const { run, submit, adhoc } = harness();
    const first: Element[] = [];
    for (let i = 0; i < 5; i++) first.push(await run('alice', { node: ALERT_COMMANDS.add }));
    for (const s of first) expect(s.attrs.status).toBe('executing');
    // The first session is touched again (an action the stage does not offer), so the second is the least recently used.
    expect(
      (
        await run('alice', { node: ALERT_COMMANDS.add, action: 'next', sessionid: first[0]!.attrs.sessionid as string })
      ).getChild('bad-action', NS_COMMANDS),
    ).toBeDefined();
    const sixth = await run('alice', { node: ALERT_COMMANDS.add });
    expect(sixth.attrs.status).toBe('executing');
    expect(adhoc.sessionCount()).toBe(5);
    const dropped = await run(
      'alice',
      { node: ALERT_COMMANDS.add, action: 'complete', sessionid: first[1]!.attrs.sessionid as string },
      submit({ symbol: 'BTCUSDT', condition: 'crossing', threshold: '1' }),
    );
    expect(dropped.getChild('bad-sessionid', NS_COMMANDS)).toBeDefined();
    const kept = await run(
      'alice',
      { node: ALERT_COMMANDS.add, action: 'complete', sessionid: first[0]!.attrs.sessionid as string },
      submit({ symbol: 'BTCUSDT', condition: 'crossing', threshold: '1' }),
    );
    expect(kept.attrs.status).toBe('completed');
    expect((await run('bob', { node: ALERT_COMMANDS.add })).attrs.status).toBe('executing');
    adhoc.stop();
  });

  it('an idle session expires by timer; completing it then is bad-sessionid; stop() leaves no timer', async () => {
    vi.useFakeTimers();
    const { run, submit, adhoc, added } = harness([], { idleMs: 60_000 });
    const started = await run('alice', { node: ALERT_COMMANDS.add });
    expect(adhoc.sessionCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(60_001);
    expect(adhoc.sessionCount()).toBe(0);
    const late = await run(
      'alice',
      { node: ALERT_COMMANDS.add, action: 'complete', sessionid: started.attrs.sessionid as string },
      submit({ symbol: 'BTCUSDT', condition: 'crossing', threshold: '1' }),
    );
    expect(isError(late, 'bad-request')).toBe(true);
    expect(late.getChild('bad-sessionid', NS_COMMANDS)).toBeDefined();
    expect(added).toEqual([]);
    await run('alice', { node: ALERT_COMMANDS.add });
    await run('bob', { node: ALERT_COMMANDS.delete });
    expect(vi.getTimerCount()).toBe(2);
    adhoc.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(adhoc.sessionCount()).toBe(0);
  });

  it("serves JIDs of the desk's domain only, whatever the resource holds (RFC 7622 §3)", async () => {
    const { runFrom } = harness();
    const node = ALERT_COMMANDS.list;
    for (const from of ['alice@desk.localhost@evil.example/c', 'alice@evil.example/desk.localhost'])
      expect(isError(await runFrom(from, { node }), 'forbidden'), from).toBe(true);
    for (const from of ['alice@desk.localhost/c@d/e', 'Alice@Desk.Localhost/c'])
      expect((await runFrom(from, { node })).name, from).toBe('command');
  });

  it('a node named like an Object property is an unknown command, and opens no session', async () => {
    const { run, adhoc } = harness();
    for (const node of ['__proto__', 'constructor', 'toString'])
      expect(isError(await run('alice', { node }), 'item-not-found')).toBe(true);
    expect(adhoc.sessionCount()).toBe(0);
  });

  it('completing a session frees its place', async () => {
    const { run, submit, adhoc } = harness();
    const s = await run('alice', { node: ALERT_COMMANDS.add });
    const done = await run(
      'alice',
      { node: ALERT_COMMANDS.add, action: 'complete', sessionid: s.attrs.sessionid as string },
      submit({ symbol: 'BTCUSDT', condition: 'crossing', threshold: '1' }),
    );
    expect(done.attrs.status).toBe('completed');
    expect(adhoc.sessionCount()).toBe(0);
    adhoc.stop();
  });
});

describe('ad-hoc replies', () => {
  it('list with 1,300 rules: pages under the byte limit, next to move on, completed on the last', async () => {
    const rules = Array.from({ length: 1_300 }, (_, i) => rule(i));
    const { run, adhoc } = harness(rules);
    const first = await run('alice', { node: ALERT_COMMANDS.list, action: 'execute' });
    const note = first.getChildText('note')!;
    expect(wireBytes(note)).toBeLessThanOrEqual(16_384);
    expect(note).toMatch(/Page 1 of [0-9]+ .* more: choose Next\.$/);
    expect(first.attrs.status).toBe('executing');
    expect(first.getChild('actions')?.getChild('next')).toBeDefined();
    let page = first;
    let pages = 1;
    while (page.attrs.status === 'executing') {
      page = await run('alice', {
        node: ALERT_COMMANDS.list,
        action: 'next',
        sessionid: first.attrs.sessionid as string,
      });
      expect(wireBytes(page.getChildText('note')!)).toBeLessThanOrEqual(16_384);
      pages += 1;
    }
    expect(page.getChildText('note')).toMatch(/That is the last page\.$/);
    expect(page.getChildText('note')).toContain(rules.at(-1)!.id);
    expect(pages).toBeGreaterThan(60);
    expect(adhoc.sessionCount()).toBe(0);
    adhoc.stop();
  }, 30_000);

  it('a short list completes at once, without a session: it works even with every session of the user open', async () => {
    const { run, adhoc } = harness([rule(1)]);
    for (let i = 0; i < 5; i++) await run('alice', { node: ALERT_COMMANDS.add });
    const out = await run('alice', { node: ALERT_COMMANDS.list });
    expect(out.attrs.status).toBe('completed');
    expect(out.getChildText('note')).toContain(rule(1).id);
    expect(adhoc.sessionCount()).toBe(5);
    adhoc.stop();
  });

  it('the delete form lists at most 100 rules as options, else asks for the id as text', async () => {
    const many = harness(Array.from({ length: 150 }, (_, i) => rule(i)));
    const form = await many.run('alice', { node: ALERT_COMMANDS.delete });
    const field = form
      .getChild('x', NS_DATA)!
      .getChildren('field')
      .find((f) => f.attrs.var === 'id')!;
    expect(field.attrs.type).toBe('text-single');
    expect(field.getChildren('option')).toHaveLength(0);
    many.adhoc.stop();
    const few = harness([rule(1), rule(2)]);
    const f2 = (await few.run('alice', { node: ALERT_COMMANDS.delete }))
      .getChild('x', NS_DATA)!
      .getChildren('field')
      .find((f) => f.attrs.var === 'id')!;
    expect(f2.attrs.type).toBe('list-single');
    expect(f2.getChildren('option')).toHaveLength(2);
    few.adhoc.stop();
  });

  it('a form field with a character XML 1.0 forbids is refused, naming the field, and nothing is added', async () => {
    const { run, submit, adhoc, added } = harness();
    const s = await run('alice', { node: ALERT_COMMANDS.add });
    const out = await run(
      'alice',
      { node: ALERT_COMMANDS.add, action: 'complete', sessionid: s.attrs.sessionid as string },
      submit({ symbol: 'BTCUSDT', condition: 'crossing', threshold: '1', backup: 'bob\u0085' }),
    );
    expect(out.getChild('note')?.attrs.type).toBe('error');
    expect(out.getChildText('note')).toMatch(/^Not added\. backup: must not contain the control character U\+0085/);
    expect(added).toEqual([]);
    adhoc.stop();
  });
});
