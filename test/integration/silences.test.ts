import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRuleStore, createSilenceStore, resolveAlertsConfig, type StoredAlert } from '@tickdesk/alerts';
import { buildApp, DESK_ROUTES, resolveApiConfig, type ApiApp } from '@tickdesk/api';
import { deskApiDeps, deskPasswordVerifier } from './api-deps.js';
import { credentials, desk, waitFor } from './helpers.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { publishPrices, trader, type Trader } from './trader.js';

/*
 * Silences against the real desk: created over REST, an alert they cover held by the engine
 * (no chat message), then released at the silence's end by an engine started after the hold
 * (same id, audit held → released → sent), or retired when a retire-at-end silence is ended early.
 */
const SYMBOL = 'SOLUSDT';
const MAX_SECONDS = 3600;

let api: Redis;
let engine: LocalEngine | undefined;
let app: ApiApp;
let alice: Trader | undefined;
let token = '';
let level = 700_000;

const startEngine = () => startLocalEngine(resolveAlertsConfig({ pollMs: 50 }), 'silences-test');
const service = () => engine!.service;

const auth = () => ({ authorization: `Bearer ${token}` });
const postSilence = (payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/v1/silences', headers: auth(), payload });
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A new rule of alice's over a fresh level, and a tick above it: the rule's id. */
async function ruleAndTick(beforeTick?: (ruleId: string) => Promise<void>): Promise<string> {
  level += 1000;
  const reply = await alice!.say(`alert ${SYMBOL} above ${level}`);
  const ruleId = /^Added (r[0-9a-z]+)/.exec(reply)?.[1];
  expect(ruleId, reply).toBeDefined();
  await beforeTick?.(ruleId!);
  await publishPrices(engine!.feed, SYMBOL, [String(level + 1)]);
  return ruleId!;
}

/**
 * The one alert of `ruleId` once it is held. The tick goes again every half second until the
 * rule has fired: a rule added by chat reaches the engine's index within a moment, not at once.
 */
async function heldOf(ruleId: string): Promise<StoredAlert> {
  let held: StoredAlert | undefined;
  const deadline = Date.now() + 10_000;
  for (let i = 1; !held; i++) {
    held = (await service().engine.alerts.heldFor('alice')).find((a) => a.ruleId === ruleId);
    const fired = async () =>
      (await service().engine.alerts.list({ limit: 20 })).alerts.some((a) => a.ruleId === ruleId);
    if (!held && i % 10 === 0 && !(await fired())) await publishPrices(engine!.feed, SYMBOL, [String(level + 1)]);
    if (!held && Date.now() > deadline) {
      const { alerts } = await service().engine.alerts.list({ limit: 5 });
      throw new Error(`no held alert of ${ruleId}: ${JSON.stringify(alerts.map((a) => [a.ruleId, a.lifecycle]))}`);
    }
    await sleep(50);
  }
  return held;
}

async function auditOf(id: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of service().engine.audit.iterate({ alertId: id }))
    out.push(`${r.event} ${r.detail ?? ''}`.trim());
  return out;
}

beforeAll(async () => {
  engine = await startEngine();
  api = new Redis(desk().redisUrl);
  app = await buildApp({
    deps: {
      ...deskApiDeps(api, { auditKey: credentials().audit }),
      silences: { store: createSilenceStore({ redis: api }), maxSeconds: MAX_SECONDS },
    },
    config: resolveApiConfig({ loginRateMax: 1_000, writeRateMax: 1_000 }),
    verifyPassword: deskPasswordVerifier(),
    routes: DESK_ROUTES,
  });
  const login = await app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { jid: `alice@${desk().domain}`, password: credentials().accounts.alice!.password },
  });
  expect(login.statusCode, login.body).toBe(200);
  token = login.json<{ token: string }>().token;
  alice = await trader('alice', { resource: 'silences-test' });
  await waitFor(() => service().engine.presence.get('alice').show === 'online', 10_000, 'alice online');
});

afterAll(async () => {
  await alice?.stop();
  const rules = createRuleStore({ redis: api });
  for await (const rule of rules.all()) if (rule.owner === 'alice') await rules.remove(rule.id);
  await engine?.stop();
  await app?.close();
  api?.disconnect();
});

describe('silences on the real desk', () => {
  it('holds an alert while silenced (no message), then an engine started since releases it at the end: same id', async () => {
    const res = await postSilence({ symbol: SYMBOL, until: inMs(4_000), reason: 'desk meeting' });
    expect(res.statusCode, res.body).toBe(201);
    const silence = res.json<{ id: string }>();
    const before = alice!.alerts.length;
    const ruleId = await ruleAndTick();
    const held = await heldOf(ruleId);
    expect(held.lifecycle.at(-1)).toMatchObject({ event: 'held', detail: `silence=${silence.id} reason=desk meeting` });

    // The engine goes down while the alert is held; another starts: the hold is in Redis.
    await engine!.stop();
    engine = await startEngine();
    await waitFor(() => service().engine.presence.get('alice').show === 'online', 10_000, 'alice online again');
    await sleep(1_000);
    expect(alice!.alerts.length, 'no message while silenced').toBe(before);

    await waitFor(() => alice!.alerts.length > before, 10_000, 'the released alert');
    expect(alice!.alerts[before]!.id).toBe(held.id);
    const events = (await auditOf(held.id)).map((e) => e.split(' ')[0]);
    expect(events.slice(0, 4)).toEqual(['fired', 'held', 'released', 'sent']);
    expect(await auditOf(held.id)).toContain(`released silence-ended silence=${silence.id}`);
  });

  it('retires the held alerts of a retire-at-end silence ended early, and nothing reaches the trader', async () => {
    const before = alice!.alerts.length;
    let silenceId = '';
    const ruleId = await ruleAndTick(async (id) => {
      const res = await postSilence({ ruleId: id, until: inMs(600_000), reason: 'noisy rule', onEnd: 'retire' });
      expect(res.statusCode, res.body).toBe(201);
      silenceId = res.json<{ id: string }>().id;
    });
    const held = await heldOf(ruleId);
    const del = await app.inject({ method: 'DELETE', url: `/v1/silences/${silenceId}`, headers: auth() });
    expect(del.statusCode, del.body).toBe(204);
    const deadline = Date.now() + 5_000;
    while ((await service().engine.alerts.get(held.id))?.state !== 'retired') {
      if (Date.now() > deadline) throw new Error('the alert was not retired');
      await sleep(50);
    }
    expect(await auditOf(held.id)).toEqual([
      expect.stringMatching(/^fired rule=/),
      `held silence=${silenceId} reason=noisy rule`,
      `retired silence-ended silence=${silenceId}`,
    ]);
    await sleep(500);
    expect(alice!.alerts.length).toBe(before);
  });

  it('refuses a silence in the past, too long, without or with both targets, on an unknown instrument or a rule not yours: 422', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ symbol: SYMBOL, until: inMs(-60_000), reason: 'x' }, /"until": must be in the future/],
      [{ symbol: SYMBOL, until: inMs((MAX_SECONDS + 60) * 1000), reason: 'x' }, /"until": a silence may last at most/],
      [{ until: inMs(60_000), reason: 'x' }, /"symbol": give exactly one of symbol and ruleId/],
      [{ symbol: SYMBOL, ruleId: 'r1', until: inMs(60_000), reason: 'x' }, /"symbol": give exactly one/],
      [{ symbol: 'NOSUCH', until: inMs(60_000), reason: 'x' }, /"symbol": no instrument NOSUCH/],
      [{ ruleId: 'rnotmine', until: inMs(60_000), reason: 'x' }, /"ruleId": no rule rnotmine of yours/],
    ];
    for (const [payload, message] of cases) {
      const res = await postSilence(payload);
      expect(res.statusCode, res.body).toBe(422);
      const body = res.json<{ code: string; message: string }>();
      expect(body.code).toBe('TICKDESK_API_INVALID_SILENCE');
      expect(body.message).toMatch(message);
    }
  });
});
