import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_COMMANDS, resolveAlertsConfig } from '@tickdesk/alerts';
import { buildApp, DESK_ROUTES, resolveApiConfig, type ApiApp } from '@tickdesk/api';
import type { Rule } from '@tickdesk/schemas';
import { executeCommand } from '@tickdesk/xmpp';
import { credentials, desk, waitFor } from './helpers.js';
import { deskApiDeps, deskPasswordVerifier } from './api-deps.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { publishPrices, trader, type Trader } from './trader.js';

/** A leg, and a step of a chain, as REST shows them. */
const leg = (symbol: string, coefficient: string) => ({ symbol, coefficient });
const step = (to: string, afterSeconds = 0) => ({ to, afterSeconds });

/**
 * A trader writes rules across instruments and escalation chains from an XMPP client, by
 * chat and by ad-hoc command (docs/alerts-protocol.md §5), on a real Prosody and Redis; the
 * REST API then shows exactly what was written, and a wrong coefficient is refused naming it.
 */
describe('rules across instruments by chat and ad-hoc commands', () => {
  let alice: Trader;
  let engine: LocalEngine;
  /** The REST API on the desk's Redis, and alice's bearer token for it. */
  let app: ApiApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    engine = await startLocalEngine(resolveAlertsConfig({ pollMs: 50 }), 'chat-across-test');
    [alice, app] = await Promise.all([
      trader('alice'),
      buildApp({
        routes: DESK_ROUTES,
        verifyPassword: deskPasswordVerifier(),
        config: resolveApiConfig({ writeRateMax: 1_000, loginRateMax: 1_000 }),
        deps: deskApiDeps(engine.redis, { auditKey: credentials().audit }),
      }),
    ]);
    await waitFor(() => engine.service.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    const { password } = credentials().accounts.alice!;
    const login = await app.inject({
      url: '/v1/auth/token',
      method: 'POST',
      payload: { jid: `alice@${desk().domain}`, password },
    });
    expect(login.statusCode, login.body).toBe(200);
    auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
  });
  afterAll(async () => {
    const rules = engine.service.engine.rules;
    for await (const { id } of rules.all()) await rules.remove(id);
    await Promise.all([alice?.stop(), app?.close()]);
    await engine?.stop();
  });

  /** Alice's rules as GET /v1/rules shows them. */
  async function listed(): Promise<Rule[]> {
    const res = await app.inject({ method: 'GET', url: '/v1/rules', headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ rules: Rule[] }>().rules;
  }
  /** What a trader wrote of a rule: everything but identity and lifecycle. */
  const written = (r: Rule) => {
    const { id: _id, owner: _o, status: _s, createdAt: _c, updatedAt: _u, version: _v, ...rest } = r;
    return rest;
  };
  const idOf = (reply: string) => /^(?:Added|Changed) (r[0-9a-z]+) /.exec(reply)?.[1] ?? `no id in: ${reply}`;

  it('a spread by chat and one by ad-hoc, a chain set by chat: REST shows exactly those fields; the chat rule fires', async () => {
    const before = (await listed()).length;
    const chat = await alice.say(
      'alert spread BTCUSDT -15*ETHUSDT crosses above 0 backup bob escalate recipient, webhook after 60s, desk after 5m',
    );
    expect(chat).toMatch(
      /^Added r[0-9a-z]+ \[active\] BTCUSDT − 15 × ETHUSDT crossed up through 0, once, backup bob, escalates recipient, webhook after 60s, desk after 300s$/,
    );
    const adhoc = await executeCommand(alice.client, engine.engineClient.jid()!, ALERT_COMMANDS.add, {
      symbol: 'BTCUSDT',
      kind: 'spread',
      legs: ['BTCUSDT 2', 'ETHUSDT -0.50', 'SOLUSDT 1'],
      condition: 'less-than',
      threshold: '-100.0',
      frequency: 'every-time',
      cooldownSeconds: '120',
      priority: 'critical',
    });
    expect(adhoc.note?.text).toMatch(
      /^Added r[0-9a-z]+ \[active\] 2 × BTCUSDT − 0\.5 × ETHUSDT \+ SOLUSDT is below -100,/,
    );
    const adhocId = idOf(adhoc.note!.text);
    expect(await alice.say(`escalate ${adhocId} recipient, desk after 2m`)).toMatch(
      new RegExp(`^Changed ${adhocId} .*, escalates recipient, desk after 120s$`),
    );

    const rules = await listed();
    expect(rules).toHaveLength(before + 2);
    const byId = new Map(rules.map((r) => [r.id, r]));
    expect(written(byId.get(idOf(chat))!)).toEqual({
      symbol: 'BTCUSDT',
      condition: 'crossing-up',
      threshold: '0',
      frequency: 'once',
      priority: 'normal',
      backup: 'bob',
      series: { kind: 'spread', legs: [leg('BTCUSDT', '1'), leg('ETHUSDT', '-15')] },
      escalation: [step('recipient'), step('webhook', 60), step('desk', 300)],
    });
    expect(written(byId.get(adhocId)!)).toEqual({
      symbol: 'BTCUSDT',
      condition: 'less-than',
      threshold: '-100',
      frequency: 'every-time',
      cooldownSeconds: 120,
      priority: 'critical',
      series: { kind: 'spread', legs: [leg('BTCUSDT', '2'), leg('ETHUSDT', '-0.5'), leg('SOLUSDT', '1')] },
      escalation: [step('recipient'), step('desk', 120)],
    });
    expect(byId.get(adhocId)!.version).toBe(2);

    // The chat rule is a rule like any other: BTCUSDT − 15 × ETHUSDT goes from −1500 to +500.
    await waitFor(() => engine.service.engine.stats().rules >= before + 2, 5_000, 'the rules in the engine');
    for (const [symbol, price] of [
      ['ETHUSDT', '3100'],
      ['BTCUSDT', '45000'],
      ['BTCUSDT', '47000'],
    ] as const) {
      await publishPrices(engine.feed, symbol, [price]);
      await new Promise((r) => setTimeout(r, 60));
    }
    await waitFor(() => alice.alerts.some((a) => a.payload.rule === idOf(chat)), 10_000, 'the chat rule alert');
    expect(alice.alerts.find((a) => a.payload.rule === idOf(chat))!.payload).toMatchObject({
      series: 'BTCUSDT − 15 × ETHUSDT',
      value: '500',
    });
  });

  it('a bad coefficient is refused naming it, by chat and by ad-hoc, and nothing is added', async () => {
    const before = (await listed()).length;
    expect(await alice.say('alert spread BTCUSDT 1e3*ETHUSDT above 1')).toBe(
      'Not added. series.legs[1].coefficient: must be an exact decimal such as -15 or 0.5',
    );
    expect(await alice.say('alert spread BTCUSDT 0*ETHUSDT above 1')).toBe(
      'Not added. series.legs[1].coefficient: must not be zero: a zero leg adds nothing',
    );
    await expect(
      executeCommand(alice.client, engine.engineClient.jid()!, ALERT_COMMANDS.add, {
        symbol: 'BTCUSDT',
        kind: 'spread',
        legs: ['BTCUSDT 1', 'ETHUSDT 1e3'],
        condition: 'greater-than',
        threshold: '1',
      }),
    ).rejects.toThrow('Not added. series.legs[1].coefficient: must be an exact decimal such as -15 or 0.5');
    expect(await listed()).toHaveLength(before);
  });
});
