import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { DeskShow } from '@tickdesk/schemas';
import type { Element, XmppClient } from '@tickdesk/xmpp';
import type { AlertSteps } from './alert-steps.js';
import { createAlertRouter } from './alert-router.js';
import type { AlertsConfig } from './config.js';
import type { PresenceTracker } from './presence-tracker.js';
import type { StoredAlert } from './store/index.js';

const REMOTE = 'carol@deskb.localhost';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const alert = {
  id: 'a1',
  ruleId: 'r1',
  owner: 'alice',
  addressee: REMOTE,
  recipient: REMOTE,
  backup: 'bob',
  symbol: 'BTCUSDT',
  condition: 'greater-than',
  threshold: '1',
  price: '2',
  tickSeq: 1,
  eventTime: '2026-03-01T12:00:00Z',
  firedAt: '2026-03-01T12:00:00Z',
  priority: 'normal',
  body: 'BTCUSDT',
  state: 'pending',
  attempts: 0,
  nextActionAt: NOW,
  lifecycle: [],
} as StoredAlert;

/** Routes `a` with its addressee's presence `show`; what was recorded and to whom stanzas went. */
async function route(show: DeskShow, a: StoredAlert = alert) {
  const steps: Array<[string, string | undefined]> = [];
  const sentTo: string[] = [];
  const asked: string[] = [];
  const router = createAlertRouter({
    client: { send: async (st: Element) => void sentTo.push(String(st.attrs.to)) } as unknown as XmppClient,
    steps: {
      record: async (x: StoredAlert, event: string, patch: Partial<StoredAlert>, detail?: string) => {
        steps.push([event, detail]);
        return { ...x, ...patch };
      },
    } as unknown as AlertSteps,
    presence: {
      get: (trader: string) => {
        asked.push(trader);
        return { trader, show, since: '2026-03-01T12:00:00Z' };
      },
    } as unknown as PresenceTracker,
    config: {
      alertTtlMs: 86_400_000,
      receiptTimeoutMs: 10_000,
      awayReceiptTimeoutMs: 4_000,
      retryAfterEscalationMs: 30_000,
    } as AlertsConfig,
    domain: 'desk.localhost',
    log: pino({ level: 'silent' }),
    canEscalateTo: () => true,
    sentStanzas: new WeakMap(),
    now: () => NOW,
  });
  await router.route(a);
  return { steps, sentTo, asked };
}

// A rule's remote recipient is routed by their own presence, as the owner would be (routing.ts).
describe("routing an alert to a partner desk's trader", () => {
  it('online: sent to their bare JID only, by their presence (not the owner’s)', async () => {
    expect(await route('online')).toEqual({
      steps: [['sent', `to=${REMOTE}`]],
      sentTo: [REMOTE],
      asked: [REMOTE],
    });
  });

  it('offline: sent for their server to keep, and the local backup told at once', async () => {
    const r = await route('offline');
    expect(r.steps).toEqual([
      ['sent', `to=${REMOTE}`],
      ['escalated', 'to=bob'],
    ]);
    expect(r.sentTo).toEqual([REMOTE, 'bob@desk.localhost']);
  });

  it('dnd: held, nothing sent', async () => {
    expect(await route('dnd')).toMatchObject({ steps: [['held', 'dnd']], sentTo: [] });
  });

  it('no recipient named: the owner, on the desk’s domain, as before', async () => {
    const { addressee: _, ...own } = alert;
    expect(await route('online', { ...own, recipient: 'alice' })).toEqual({
      steps: [['sent', 'to=alice']],
      sentTo: ['alice@desk.localhost'],
      asked: ['alice'],
    });
  });
});
