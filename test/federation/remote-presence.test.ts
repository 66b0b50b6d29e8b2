import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { presence, presenceSubscription, rosterEntry, type Element, type XmppClient } from '@tickdesk/xmpp';
import { startPeeredDesks, type PeeredDesks } from './peered-desks.js';

const SYMBOL = DEFAULT_INSTRUMENTS[0]!.symbol;
const ALERTS_A = 'alerts@desk.localhost';
const BOB = 'bob@deskb.localhost';
const ANA = 'ana@deskb.localhost';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POLL = { timeout: 60_000, interval: 200 };

interface Member {
  trader: string;
  show: string;
  remote?: boolean;
}

let desks: PeeredDesks;
let failed = false;
let bob: XmppClient | undefined;

beforeAll(async () => {
  // Two engines share desk A's presence snapshot; room for one partner trader only.
  desks = await startPeeredDesks({
    env: { a: { TICKDESK_ALERT_ENGINES: '2', TICKDESK_ALERTS_REMOTE_TRADERS_MAX: '1' } },
  });
});

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  await bob?.stop().catch(() => undefined);
  await desks?.stop(failed);
});

describe("a partner desk's trader no rule names any more leaves desk A's presence", () => {
  let token: string;
  /** Desk A's REST API as alice. */
  const rest = async <T>(method: string, path: string, json?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${desks.a.apiUrl}${path}`, {
      method,
      headers,
      body: json === undefined ? null : JSON.stringify(json),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
  };
  const listed = async (): Promise<Member[]> =>
    (await rest<{ traders: Member[] }>('GET', '/v1/presence')).body.traders.filter((t) => t.remote);
  const rule = (recipient: string) =>
    rest<{ id: string; code?: string; message?: string }>('POST', '/v1/rules', {
      symbol: SYMBOL,
      condition: 'greater-than',
      threshold: '999999999',
      frequency: 'once',
      priority: 'normal',
      recipient,
    });
  let ruleId = '';

  it('a rule naming bob@deskb: the engines ask for his presence, he approves, and GET /v1/presence lists him online', async () => {
    token = await desks.a.apiToken('alice');
    bob = await desks.b.connect('bob', 'phone');
    bob.on('stanza', (st: Element) => {
      if (st.name === 'presence' && st.attrs.type === 'subscribe' && String(st.attrs.from).startsWith(ALERTS_A))
        void bob!.send(presenceSubscription(ALERTS_A, 'subscribed'));
    });
    // A subscription request reaches a resource that fetched the roster (RFC 6121 §3.1.3).
    await rosterEntry(bob.iq, ALERTS_A);
    await bob.send(presence('available'));
    const made = await rule(BOB);
    expect(made.status, made.text).toBe(201);
    ruleId = made.body.id;
    await expect.poll(async () => (await listed()).find((m) => m.trader === BOB)?.show, POLL).toBe('online');
  });

  it('one partner trader more than TICKDESK_ALERTS_REMOTE_TRADERS_MAX (1) is refused: 422 naming recipient and the limit', async () => {
    const refused = await rule(ANA);
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.code).toBe('TICKDESK_API_INVALID_RULE');
    expect(refused.body.message).toMatch(
      /recipient.*ana@deskb\.localhost.*at most 1 \(TICKDESK_ALERTS_REMOTE_TRADERS_MAX\)/,
    );
  });

  it("the rule deleted: bob@deskb leaves GET /v1/presence and stays gone; desk A's subscription to him is cancelled; the place is free again", async () => {
    const deleted = await rest('DELETE', `/v1/rules/${ruleId}`);
    expect(deleted.status, deleted.text).toBe(204);
    await expect.poll(async () => (await listed()).map((m) => m.trader), POLL).not.toContain(BOB);
    // The unavailable presence his server sends on the unsubscribe, heard by both engines, writes nothing back.
    await sleep(3_000);
    expect((await listed()).map((m) => m.trader)).not.toContain(BOB);
    // Bob's roster no longer gives desk A his presence (`from` gone, RFC 6121 §3.3.2).
    await expect.poll(async () => (await rosterEntry(bob!.iq, ALERTS_A)).subscription, POLL).toMatch(/^(none|to)$/);
    const ana = await rule(ANA);
    expect(ana.status, ana.text).toBe(201);
    await expect.poll(async () => (await listed()).map((m) => m.trader), POLL).toContain(ANA);
  });
});
